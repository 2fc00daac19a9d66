/* The chunk checker's byte path in C (copy-chunk.c). */
#ifndef LEDGER_COPY_CHUNK_H
#define LEDGER_COPY_CHUNK_H
#include <node_api.h>
#include <stdint.h>

/* meta: first seq (a double, little-endian), first prev_hash, last hash, the hash before it, node bytes (a double). */
#define CHUNK_META_BYTES 112

/*
 * Checks the `rows` whole COPY lines in b[0..len) of the stream whose JSON string is
 * stream_json; writes 32-byte leaf hashes to leaves and, when clean, the interior Merkle nodes
 * they complete to nodes (32 * rows bytes) and meta. 1 clean, 0 dirty, 2 outside what it reads
 * (check the chunk another way).
 */
int copy_chunk_check(const uint8_t *b, long len, const uint8_t *stream_json, long stream_n, uint8_t *leaves,
                     uint8_t *nodes, long rows, uint8_t meta[CHUNK_META_BYTES]);

/* The canonical JSON of the jsonb text b[from..to) written to out (cap bytes); its length, or -1 outside the subset. */
long jsonb_canonical(const uint8_t *b, long from, long to, uint8_t *out, long cap);

/* Adds checkCopyChunk, checkCopyChunkAsync and jsonbCanonical to the module's exports. */
void copy_chunk_register(napi_env env, napi_value exports);
#endif
