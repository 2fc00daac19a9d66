/**
 * Group commit for one stream: appends are queued, and while a write is in flight new arrivals
 * accumulate and go together in the next one (one lock and one commit flush cover many events).
 * `write` settles each item of its batch itself and returns what it wrote; `afterWrite` runs
 * before the next batch (the ledger object's checkpoint cadence).
 */
export class GroupCommitQueue<T, R> {
  private queue: T[] = [];
  private flushing = false;

  constructor(
    private readonly maxBatch: number,
    private readonly write: (batch: T[]) => Promise<R[]>,
    private readonly afterWrite: (written: R[]) => Promise<void>,
  ) {}

  enqueue(item: T): void {
    this.queue.push(item);
    if (!this.flushing) void this.drain();
  }

  private async drain(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const written = await this.write(this.queue.splice(0, this.maxBatch));
        await this.afterWrite(written);
      }
    } finally {
      this.flushing = false;
    }
  }
}
