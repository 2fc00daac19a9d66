const settled = () => undefined;

/**
 * Concurrent lookups of one key share statements, as group commit shares commits: a caller
 * joins the next lookup to start, never one already running, so every answer comes from a
 * lookup that began after its caller asked (what was committed before the call is seen: a key
 * revoked before a request arrives is refused). At most one lookup per key runs at a time.
 */
export class SharedLookups<T> {
  private readonly slots = new Map<string, { running: Promise<T>; next?: Promise<T> }>();

  constructor(private readonly lookup: (key: string) => Promise<T>) {}

  /** The result of a lookup of `key` that starts now, or right after the one running. */
  get(key: string): Promise<T> {
    const slot = this.slots.get(key);
    if (!slot) return this.start(key);
    slot.next ??= slot.running.then(settled, settled).then(() => this.start(key));
    return slot.next;
  }

  private start(key: string): Promise<T> {
    const slot: { running: Promise<T>; next?: Promise<T> } = { running: this.lookup(key) };
    this.slots.set(key, slot);
    void slot.running.then(settled, settled).then(() => {
      if (this.slots.get(key) === slot && !slot.next) this.slots.delete(key);
    });
    return slot.running;
  }
}
