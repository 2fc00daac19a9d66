/*
 * SHA-256 of a span of a byte array, for the verification hot loops (ledger/sha256-span.ts).
 *
 * Why native: `crypto.hash` goes through OpenSSL 3's EVP layer, whose per-call setup (~0.6 us
 * here) costs more than hashing a 33- or 65-byte Merkle input. This calls the SHA-256 that
 * Node.js itself links and exports (OpenSSL's SHA256_Init/Update/Final, the same SHA-NI code),
 * from spans of the caller's buffers: no copy, no digest object, no string.
 *
 * Built by scripts/build.ts with the system C compiler against Node's own headers
 * (<prefix>/include/node); the SHA-256 symbols resolve against the running node when loaded.
 * Every argument is bounds-checked: a bad span throws a RangeError, it never reads or writes
 * outside the arrays.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <node_api.h>
#include <openssl/sha.h>

#include "args.h"
#include "copy-chunk.h"
#include <stdint.h>
#include <string.h>

/* Bumped whenever a function's contract changes: the loader refuses any other. */
#define ABI_VERSION 3

/* Reads (src, from, to, dst, at) and checks src[from..to) and dst[at..at+32) lie within the arrays. */
static int spans(napi_env env, napi_callback_info info, uint8_t **src, size_t *n, uint8_t **dst) {
  size_t argc = 5;
  napi_value argv[5];
  uint8_t *s, *d;
  size_t slen, dlen;
  int64_t from, to, at;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 5) {
    napi_throw_type_error(env, NULL, "sha256: expected (src, from, to, dst, at)");
    return 0;
  }
  if (!bytes_of(env, argv[0], &s, &slen) || !int_of(env, argv[1], &from) || !int_of(env, argv[2], &to) ||
      !bytes_of(env, argv[3], &d, &dlen) || !int_of(env, argv[4], &at))
    return 0;
  if (from < 0 || to < from || (uint64_t)to > slen || at < 0 || (uint64_t)at + 32 > dlen) {
    napi_throw_range_error(env, NULL, "sha256: span outside its array");
    return 0;
  }
  *src = s + from;
  *n = (size_t)(to - from);
  *dst = d + at;
  return 1;
}

static void digest(const uint8_t *src, size_t n, uint8_t out[32]) {
  SHA256_CTX c;
  SHA256_Init(&c);
  SHA256_Update(&c, src, n);
  SHA256_Final(out, &c);
}

/* sha256Into(src, from, to, dst, at): dst[at..at+32) = SHA-256(src[from..to)). */
static napi_value sha256_into(napi_env env, napi_callback_info info) {
  uint8_t *src, *dst, out[32];
  size_t n;
  if (!spans(env, info, &src, &n, &dst)) return NULL;
  /* Through a local: dst may overlap src. */
  digest(src, n, out);
  memcpy(dst, out, 32);
  return NULL;
}

/* sha256Equals(src, from, to, want, at): SHA-256(src[from..to)) == want[at..at+32). */
static napi_value sha256_equals(napi_env env, napi_callback_info info) {
  uint8_t *src, *want, out[32];
  size_t n;
  napi_value result;
  if (!spans(env, info, &src, &n, &want)) return NULL;
  digest(src, n, out);
  napi_get_boolean(env, memcmp(out, want, 32) == 0, &result);
  return result;
}

NAPI_MODULE_INIT() {
  napi_value f, v;
  napi_create_function(env, "sha256Into", NAPI_AUTO_LENGTH, sha256_into, NULL, &f);
  napi_set_named_property(env, exports, "sha256Into", f);
  napi_create_function(env, "sha256Equals", NAPI_AUTO_LENGTH, sha256_equals, NULL, &f);
  napi_set_named_property(env, exports, "sha256Equals", f);
  copy_chunk_register(env, exports);
  napi_create_int32(env, ABI_VERSION, &v);
  napi_set_named_property(env, exports, "abiVersion", v);
  return exports;
}
