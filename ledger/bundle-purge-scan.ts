import { open } from 'node:fs/promises';
import { verifyCheckpointSignature, type ParsedCheckpoint } from '../core/checkpoint';
import type { PublicKeyInfo } from '../core/signing';
import { parseBundleLine } from './bundle-line';
import type { BundleSegment } from './bundle-chunk';
import { fileLineChunks } from './line-chunks';
import { PURGE_EVENT_STREAM, PURGE_EVENT_TYPE, PURGE_RESOURCE_TYPE, PurgeCoverage } from './purge-events';

const NEEDLE = Buffer.from(PURGE_EVENT_TYPE);

/** Text of whole lines split as node:readline splits them (\n, \r\n or a lone \r), without a trailing empty line. */
export function readlineLines(text: string): string[] {
  const lines = text.split(/\r?\n|\r(?!\n)/);
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/**
 * The payloads a bundle's purge events cover, gathered from chunks of whole `events.jsonl` lines
 * in any cut: well-formed purge events in the purge stream at a seq within a root signed by a
 * trusted key (a stored checkpoint, a head line or the anchor). A purge event appended to the
 * unsigned tail proves nothing; that the events are chained is checked by the purge stream's own
 * verification.
 *
 * Read while the events are verified, the coverage may still grow: a lookup that fails before
 * {@link complete} is recorded (`missedEarly`), and the caller verifies again with the final
 * coverage, so the verdict is the one a coverage pass of its own before the read would give.
 */
export class PurgeScan {
  readonly coverage = new PurgeCoverage();
  private readonly signedSize: number;
  private done = false;
  /** A lookup failed before the whole file was scanned (it might succeed now). */
  missedEarly = false;

  constructor(
    checkpoints: ParsedCheckpoint[],
    anchors: ParsedCheckpoint[],
    trustedKeys: Map<string, PublicKeyInfo>,
  ) {
    this.signedSize = Math.max(
      0,
      ...checkpoints.filter((c) => verifyCheckpointSignature(c, trustedKeys).ok).map((c) => c.treeSize),
      ...anchors.filter((c) => c.stream === PURGE_EVENT_STREAM).map((c) => c.treeSize),
    );
  }

  /** Adds the purge events among the whole lines of `chunk`. */
  scan(chunk: Buffer): void {
    this.add(PurgeScan.candidates(chunk));
  }

  /**
   * The lines of `chunk` that name the purge type (only those can be purge events), split the way
   * readline splits lines: taken before the chunk leaves this thread, added with {@link add}.
   */
  static candidates(chunk: Buffer): string[] {
    const found: string[] = [];
    for (let at = chunk.indexOf(NEEDLE); at !== -1;) {
      const start = chunk.lastIndexOf(10, at) + 1;
      const nl = chunk.indexOf(10, at);
      const end = nl === -1 ? chunk.length : nl;
      for (const line of readlineLines(chunk.subarray(start, end).toString('utf8')))
        if (line.includes(PURGE_EVENT_TYPE)) found.push(line);
      at = nl === -1 ? -1 : chunk.indexOf(NEEDLE, nl);
    }
    return found;
  }

  /**
   * The candidate lines of a chunk checked on its own: the purge lines the checker found in clean
   * segments (`purgeLines`), or, when any segment is dirty or the chunk was read line by line
   * (`segments` null), every line naming the purge type as {@link candidates} finds them.
   */
  static checkedCandidates(buf: Buffer, segments: BundleSegment[] | null): string[] {
    if (!segments || segments.some((s) => s.stream === null)) return PurgeScan.candidates(buf);
    const found: string[] = [];
    for (const s of segments)
      for (let i = 0; i < s.purgeLines.length; i += 2)
        found.push(buf.toString('utf8', s.purgeLines[i], s.purgeLines[i + 1]));
    return found;
  }

  /** Adds the purge events among `lines` (from {@link candidates}). */
  add(lines: string[]): void {
    for (const line of lines) {
      const parsed = parseBundleLine(line);
      if (!('event' in parsed)) continue;
      const e = parsed.event;
      // An edited line may hold any JSON where the resource belongs: its hash check refuses
      // it later; here it only must not count (or throw).
      const resource = e.resource as unknown as { type?: unknown; id?: unknown } | null;
      if (
        e.stream === PURGE_EVENT_STREAM &&
        e.event_type === PURGE_EVENT_TYPE &&
        typeof resource === 'object' &&
        resource !== null &&
        resource.type === PURGE_RESOURCE_TYPE &&
        typeof resource.id === 'string' &&
        e.seq <= this.signedSize
      )
        this.coverage.add(resource.id);
    }
  }

  /** Marks the whole file scanned: lookups from now on are final. */
  complete(): this {
    this.done = true;
    return this;
  }

  /** True when a purge event covers `seq` of `stream` (so far, until {@link complete}). */
  covers(stream: string, seq: number): boolean {
    const c = this.coverage.covers(stream, seq);
    if (!c && !this.done) this.missedEarly = true;
    return c;
  }

  /** Scans the whole of `file` in a pass of its own. */
  async scanFile(file: string): Promise<this> {
    const events = await open(file, 'r');
    // One buffer, filled again for every chunk.
    const spare: Buffer[] = [];
    try {
      for await (const chunk of fileLineChunks(events, undefined, spare)) {
        this.scan(chunk);
        spare.push(Buffer.from(chunk.buffer));
      }
    } finally {
      await events.close();
    }
    return this.complete();
  }
}
