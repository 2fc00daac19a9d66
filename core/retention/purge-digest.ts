import { createHash } from 'node:crypto';

/**
 * Batch digests of purge records, recomputed offline from a copy of the deleted items (a backup
 * taken before the purge). Each batch record carries its `digest_version`; the certificate lists
 * the versions its class digest folds over. Spec: docs/retention.md "Purge digests".
 */

/** Digest formats a batch record may carry. */
export const PURGE_DIGEST_VERSIONS = [1, 2] as const;
export type PurgeDigestVersion = (typeof PURGE_DIGEST_VERSIONS)[number];

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest();

/**
 * Version 1: SHA-256 over one line `"<key> <content sha256 hex>\n"` per item, in key order. The
 * content digest of a ledger payload is its event's `payload_digest`; of a business row (batches
 * recorded before migration 0035) SHA-256 over the row's text form, see `rowTextDigest`.
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
 * Version 2 (business rows): SHA-256 over the concatenated 32-byte SHA-256 of each row's binary
 * record form, in key order. The record form is PostgreSQL's binary `record` format of the row's
 * columns in table order (`record_send(ROW(c1, ..., cn))`: int32 column count, then per column
 * int32 type OID, int32 length or -1 for NULL, and the type's binary form); the key is one of the
 * columns, so it needs no separate line.
 */
export function batchDigestV2(recordForms: Buffer[]): string {
  const h = createHash('sha256');
  for (const r of recordForms) h.update(sha256(r));
  return h.digest('hex');
}
