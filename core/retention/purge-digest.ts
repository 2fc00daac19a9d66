import { createHash } from 'node:crypto';

/**
 * Batch digests of purge records, recomputed offline from a copy of the deleted items (a backup
 * taken before the purge). Each batch record carries its `digest_version`; the certificate lists
 * the versions its class digest folds over. Spec: docs/retention.md "Purge digests".
 */

/** Digest formats a batch record may carry. */
export const PURGE_DIGEST_VERSIONS = [1, 2, 3] as const;
export type PurgeDigestVersion = (typeof PURGE_DIGEST_VERSIONS)[number];

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest();

/**
 * Version 1: SHA-256 over one line `"<key> <content sha256 hex>\n"` per item, in key order. The
 * content digest of a ledger payload (batches recorded before migration 0039) is its event's
 * `payload_digest`; of a business row (before 0035) SHA-256 over the row's text form, see
 * `rowTextDigest`.
 */
export function batchDigestV1(items: Array<{ key: string; contentDigest: Buffer }>): string {
  const h = createHash('sha256');
  for (const it of items) h.update(`${it.key} ${it.contentDigest.toString('hex')}\n`, 'utf8');
  return h.digest('hex');
}

/** Version 1 content digest of a business row: SHA-256 over its text form (`ROW(columns)::text`, UTF-8). */
export function rowTextDigest(rowText: string): Buffer {
  return sha256(Buffer.from(rowText, 'utf8'));
}

/**
 * Version 2: SHA-256 over the items' 32-byte content digests concatenated in key order (no keys,
 * no text). Ledger payloads (batches since migration 0039): each item's content digest is its
 * event's committed `payload_digest`; the key is bound by the ledger chain (the event's hash covers
 * stream, seq and payload digest) and by the batch's first and last key. Business rows (since
 * 0035): see `batchDigestV2`.
 */
export function batchDigestV2OfContent(contentDigests: Buffer[]): string {
  const h = createHash('sha256');
  for (const d of contentDigests) h.update(d);
  return h.digest('hex');
}

/**
 * Version 2 of business rows: `batchDigestV2OfContent` over each row's SHA-256 of its binary
 * record form, in key order. The record form is PostgreSQL's binary `record` format of the row's
 * columns in table order (`record_send(ROW(c1, ..., cn))`: int32 column count, then per column
 * int32 type OID, int32 length or -1 for NULL, and the type's binary form); the key is one of the
 * columns, so it needs no separate line.
 */
export function batchDigestV2(recordForms: Buffer[]): string {
  return batchDigestV2OfContent(recordForms.map((r) => sha256(r)));
}

/**
 * Version 3 of business rows (batches since migration 0040 of classes with a one-column text or
 * integer key): SHA-256 over the rows' binary record forms (as in `batchDigestV2`) concatenated
 * in key order, one SHA-256 per batch instead of one per row. Each record form starts with its
 * column count and gives every column's length, so the concatenation splits back into rows.
 */
export function batchDigestV3(recordForms: Buffer[]): string {
  return batchDigestV2OfContent(recordForms);
}
