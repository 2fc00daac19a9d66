/*
 * The chunk checker's byte path (ledger/verify-chunk.ts `checkChunk`) for the common case, in C:
 * a chunk of whole COPY lines of one stream is read, each row's canonical envelope and canonical
 * payload are rebuilt from the line's bytes and hashed, rows are linked, and the leaf hashes are
 * written. It answers CLEAN, DIRTY (a row that fails a check: the caller sends the chunk to the
 * row-by-row verifier, which names the fault) or UNSUPPORTED (some line is outside what this
 * reads; the caller checks the chunk with the TypeScript checker instead, which has a reference
 * path for every line). It accepts a subset of what the TypeScript byte path accepts and writes
 * the same bytes for it (test/native-copy-chunk.test.ts compares both on real and mutated
 * chunks), so it never decides where the two could differ:
 * - text fields free of `"`, `\` and control bytes (JSON.stringify writes them back unchanged;
 *   the caller has checked the chunk is valid UTF-8), nulls only where the column allows them;
 * - jsonb as ledger/jsonb-canonical.ts describes it, with ASCII member names only where their
 *   order is decided (UTF-16 order is left to TypeScript), numbers only in the forms whose
 *   `String(Number(text))` is the text itself (see `number_end`);
 * - occurred_at as microseconds from 1970 to 9999, bytea in lower-case hex, no purged payload.
 * Every write is bounded by its buffer; nothing is kept between calls (worker threads call it).
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "copy-chunk.h"

#include <node_api.h>
#include <openssl/sha.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "args.h"

enum { DIRTY = 0, CLEAN = 1, UNSUPPORTED = 2 };
#define FAIL (-1)
#define MAX_DEPTH 64
#define TAB 0x09
#define NL 0x0a

static int is_digit(uint8_t c) { return c >= '0' && c <= '9'; }
/* A byte a JSON string cannot hold unescaped: JSON.stringify would write it differently. */
static int is_stop(uint8_t c) { return c < 0x20 || c == '"' || c == '\\'; }

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/*
 * Index of the first stop byte in b[p..end), or end. With SSE2 (every x86-64), sixteen bytes a
 * step; then eight bytes a step, a word passed over when none of its bytes is below 0x20, 0x22 or
 * 0x5c (a borrow only starts at a matching byte, so the lowest flag is exact); the tail byte by byte.
 */
static long plain_end(const uint8_t *b, long p, long end) {
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'), ctl = _mm_set1_epi8(0x1f);
  for (; p + 16 <= end; p += 16) {
    __m128i x = _mm_loadu_si128((const __m128i *)(b + p));
    __m128i hit = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(x, ctl), x), /* x <= 0x1f, unsigned */
                               _mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, backslash)));
    int m = _mm_movemask_epi8(hit);
    if (m != 0) return p + __builtin_ctz((unsigned)m);
  }
#endif
  for (; p + 8 <= end; p += 8) {
    uint64_t x;
    memcpy(&x, b + p, 8);
    uint64_t q = x ^ (0x22 * ONES), s = x ^ (0x5c * ONES);
    uint64_t hit = ((x - 0x20 * ONES) & ~x) | ((q - ONES) & ~q) | ((s - ONES) & ~s);
    hit &= HIGHS;
    if (hit != 0) return p + (__builtin_ctzll(hit) >> 3);
  }
  while (p < end && !is_stop(b[p])) p++;
  return p;
}

/* Value of a hex digit (lower case), or -1: one load per digit. */
static const int8_t HEX[256] = {
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, 10, 11, 12, 13, 14, 15, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
};

/* A growable output span: every write is checked against its capacity. */
typedef struct {
  uint8_t *b;
  long cap;
} Out;

static long put(Out *o, long at, const uint8_t *src, long n) {
  if (at < 0 || n < 0 || at + n > o->cap) return FAIL;
  memmove(o->b + at, src, (size_t)n);
  return at + n;
}

static long put_byte(Out *o, long at, uint8_t c) {
  if (at < 0 || at >= o->cap) return FAIL;
  o->b[at] = c;
  return at + 1;
}

/* ---- jsonb text -> canonical JSON (the subset of ledger/jsonb-canonical.ts, see above) ---- */

typedef struct {
  const uint8_t *b;
  long end;  /* input bound */
  long in;   /* input end of the value last written */
  long *m;   /* members of the open objects: name start, name end, output start, output end */
  long mtop, mcap;
  uint8_t *scratch;
  long scap;
} Json;

static long ws(const Json *j, long p) {
  while (p < j->end && j->b[p] == ' ') p++;
  return p;
}

/*
 * End of the number at `p` when its text is `String(Number(text))`, else FAIL: an integer of at
 * most 15 digits without a leading zero (or a lone 0), or a decimal without exponent, leading or
 * trailing zeros, of at most 15 significant digits and at least 1e-6 in size. Such a decimal is
 * the only one of at most 15 significant digits naming its double (15 digits round-trip), so it
 * is the shortest, and JavaScript writes numbers from 1e-6 to 1e21 without an exponent.
 */
static long number_end(const Json *j, long p) {
  const uint8_t *b = j->b;
  long q = p < j->end && b[p] == '-' ? p + 1 : p;
  long i0 = q;
  while (q < j->end && is_digit(b[q])) q++;
  long ilen = q - i0;
  if (ilen == 0 || ilen > 15 || (ilen > 1 && b[i0] == '0')) return FAIL;
  int zero = ilen == 1 && b[i0] == '0';
  if (q >= j->end || b[q] != '.') {
    if (zero && i0 != p) return FAIL; /* -0 is written 0 */
  } else {
    long f0 = ++q;
    while (q < j->end && is_digit(b[q])) q++;
    long flen = q - f0;
    if (flen == 0 || b[q - 1] == '0') return FAIL;
    long lead = 0;
    if (zero)
      while (b[f0 + lead] == '0') lead++;
    if (lead > 5 || (zero ? flen - lead : ilen + flen) > 15) return FAIL;
  }
  if (q < j->end) {
    uint8_t c = b[q];
    if (c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-' || is_digit(c)) return FAIL;
  }
  return q;
}

/* Copies the escape-free string at b[p] (a quote), quotes included, to out[at..). */
static long str(Json *j, long p, Out *o, long at) {
  long i = plain_end(j->b, p + 1, j->end);
  if (i >= j->end || j->b[i] != '"') return FAIL;
  j->in = i + 1;
  return put(o, at, j->b + p, i + 1 - p);
}

/* 1 when name a sorts before name b, 0 after, FAIL when equal or decided by a non-ASCII byte. */
static int name_before(const uint8_t *b, long a0, long a1, long b0, long b1) {
  long n = a1 - a0 < b1 - b0 ? a1 - a0 : b1 - b0;
  for (long i = 0; i < n; i++) {
    uint8_t x = b[a0 + i], y = b[b0 + i];
    if (x == y) continue;
    if (x >= 0x80 || y >= 0x80) return FAIL;
    return x < y;
  }
  if (a1 - a0 == b1 - b0) return FAIL;
  return a1 - a0 < b1 - b0;
}

static long value(Json *j, long p, Out *o, long at, int depth);

static long literal(Json *j, long p, const char *word, Out *o, long at) {
  long n = (long)strlen(word);
  if (p + n > j->end || memcmp(j->b + p, word, (size_t)n) != 0) return FAIL;
  j->in = p + n;
  return put(o, at, (const uint8_t *)word, n);
}

static long array(Json *j, long p, Out *o, long at, int depth) {
  at = put_byte(o, at, '[');
  long i = ws(j, p + 1);
  if (i < j->end && j->b[i] == ']') {
    j->in = i + 1;
    return put_byte(o, at, ']');
  }
  for (int first = 1;; first = 0) {
    if (!first) at = put_byte(o, at, ',');
    if (at < 0) return FAIL;
    at = value(j, i, o, at, depth + 1);
    if (at < 0) return FAIL;
    i = ws(j, j->in);
    if (i >= j->end) return FAIL;
    if (j->b[i] == ',')
      i = ws(j, i + 1);
    else if (j->b[i] == ']') {
      j->in = i + 1;
      return put_byte(o, at, ']');
    } else
      return FAIL;
  }
}

/* Puts the members at m[base..mtop), which fill out[from..to) with commas between, in name order. */
static long order(Json *j, long base, Out *o, long from, long to) {
  long *m = j->m;
  for (long k = base + 4; k < j->mtop; k += 4) {
    long a0 = m[k], a1 = m[k + 1], o0 = m[k + 2], o1 = m[k + 3];
    long x = k;
    while (x > base) {
      int before = name_before(j->b, a0, a1, m[x - 4], m[x - 3]);
      if (before < 0) return FAIL;
      if (!before) break;
      memcpy(m + x, m + x - 4, 4 * sizeof(long));
      x -= 4;
    }
    m[x] = a0;
    m[x + 1] = a1;
    m[x + 2] = o0;
    m[x + 3] = o1;
  }
  if (to - from > j->scap) return FAIL;
  memcpy(j->scratch, o->b + from, (size_t)(to - from));
  long at = from;
  for (long k = base; k < j->mtop; k += 4) {
    if (k > base) at = put_byte(o, at, ',');
    if (at < 0) return FAIL;
    at = put(o, at, j->scratch + (m[k + 2] - from), m[k + 3] - m[k + 2]);
  }
  return at;
}

static long object(Json *j, long p, Out *o, long at, int depth) {
  at = put_byte(o, at, '{');
  long base = j->mtop;
  long i = ws(j, p + 1);
  if (i < j->end && j->b[i] == '}') {
    j->in = i + 1;
    return put_byte(o, at, '}');
  }
  int sorted = 1;
  for (;;) {
    if (at < 0 || i >= j->end || j->b[i] != '"') return FAIL;
    long k = j->mtop;
    if (k + 4 > j->mcap) {
      long cap = 2 * j->mcap;
      long *grown = realloc(j->m, (size_t)cap * sizeof(long));
      if (grown == NULL) return FAIL;
      j->m = grown;
      j->mcap = cap;
    }
    j->mtop = k + 4;
    if (k > base) at = put_byte(o, at, ',');
    if (at < 0) return FAIL;
    long o0 = at;
    at = str(j, i, o, at);
    if (at < 0) return FAIL;
    long k1 = i + at - o0 - 1; /* the name's closing quote */
    j->m[k] = i + 1;
    j->m[k + 1] = k1;
    j->m[k + 2] = o0;
    if (k > base && sorted) {
      int before = name_before(j->b, j->m[k - 4], j->m[k - 3], i + 1, k1);
      if (before < 0) return FAIL;
      if (!before) sorted = 0;
    }
    long v = ws(j, k1 + 1);
    if (v >= j->end || j->b[v] != ':') return FAIL;
    at = put_byte(o, at, ':');
    if (at < 0) return FAIL;
    at = value(j, ws(j, v + 1), o, at, depth + 1);
    if (at < 0) return FAIL;
    j->m[k + 3] = at;
    j->mtop = k + 4; /* the value's own members are done */
    i = ws(j, j->in);
    if (i >= j->end) return FAIL;
    if (j->b[i] == ',')
      i = ws(j, i + 1);
    else if (j->b[i] == '}')
      break;
    else
      return FAIL;
  }
  if (!sorted && order(j, base, o, j->m[base + 2], at) < 0) return FAIL;
  j->mtop = base;
  j->in = i + 1;
  return put_byte(o, at, '}');
}

static long value(Json *j, long p, Out *o, long at, int depth) {
  if (p >= j->end) return FAIL;
  switch (j->b[p]) {
    case '"':
      return str(j, p, o, at);
    case '{':
      return depth >= MAX_DEPTH ? FAIL : object(j, p, o, at, depth);
    case '[':
      return depth >= MAX_DEPTH ? FAIL : array(j, p, o, at, depth);
    case 't':
      return literal(j, p, "true", o, at);
    case 'f':
      return literal(j, p, "false", o, at);
    case 'n':
      return literal(j, p, "null", o, at);
    default: {
      long q = number_end(j, p);
      if (q < 0) return FAIL;
      j->in = q;
      return put(o, at, j->b + p, q - p);
    }
  }
}

static int json_init(Json *j, const uint8_t *b, long end, long room) {
  j->b = b;
  j->end = end;
  j->in = 0;
  j->mtop = 0;
  j->mcap = 256;
  j->m = malloc((size_t)j->mcap * sizeof(long));
  j->scap = room;
  j->scratch = malloc((size_t)room + 1);
  return j->m != NULL && j->scratch != NULL;
}

static void json_free(Json *j) {
  free(j->m);
  free(j->scratch);
}

/* ---- COPY lines ---- */

/* Index after the tab ending the field at b[p] when it is only digits (1..max of them), else FAIL. */
static long digits_field(const uint8_t *b, long p, long end, long max) {
  long q = p;
  while (q < end && is_digit(b[q])) q++;
  return q < end && b[q] == TAB && q > p && q - p <= max ? q : FAIL;
}

static int null_field(const uint8_t *b, long p, long end) {
  return p + 2 < end && b[p] == '\\' && b[p + 1] == 'N' && b[p + 2] == TAB;
}

/* A plain text field at b[p]: its end (a tab) in *to, or -1 for \N when nullable; returns the index after its tab. */
static long text_field(const uint8_t *b, long p, long end, int nullable, long *to) {
  if (nullable && null_field(b, p, end)) {
    *to = -1;
    return p + 3;
  }
  long q = plain_end(b, p, end);
  if (q >= end || b[q] != TAB) return FAIL;
  *to = q;
  return q + 1;
}

#if defined(__SSE2__)
/* 32 lower-case hex digits at h -> 16 bytes at out; 0 when one is not a lower-case hex digit. */
static int hex32(const uint8_t *h, uint8_t *out) {
  __m128i w[2];
  int ok = 0xffff;
  for (int k = 0; k < 2; k++) {
    __m128i x = _mm_loadu_si128((const __m128i *)(h + 16 * k));
    __m128i digit = _mm_sub_epi8(x, _mm_set1_epi8('0')), alpha = _mm_sub_epi8(x, _mm_set1_epi8('a'));
    __m128i is_digit = _mm_cmpeq_epi8(_mm_min_epu8(digit, _mm_set1_epi8(9)), digit);
    __m128i is_alpha = _mm_cmpeq_epi8(_mm_min_epu8(alpha, _mm_set1_epi8(5)), alpha);
    ok &= _mm_movemask_epi8(_mm_or_si128(is_digit, is_alpha));
    __m128i v = _mm_or_si128(_mm_and_si128(is_digit, digit),
                             _mm_and_si128(is_alpha, _mm_add_epi8(alpha, _mm_set1_epi8(10))));
    /* Each 16-bit lane holds a digit pair, the first (high nibble) in its low byte. */
    w[k] = _mm_or_si128(_mm_and_si128(_mm_slli_epi16(v, 4), _mm_set1_epi16(0x00f0)), _mm_srli_epi16(v, 8));
  }
  _mm_storeu_si128((__m128i *)out, _mm_packus_epi16(w[0], w[1]));
  return ok == 0xffff;
}
#endif

/* The bytea `\\x` + 2n lower-case hex digits + tab at b[p], decoded into out; the index after the tab, or FAIL. */
static long bytea_field(const uint8_t *b, long p, long end, int n, uint8_t *out) {
  if (p + 3 + 2 * n >= end || b[p] != '\\' || b[p + 1] != '\\' || b[p + 2] != 'x' || b[p + 3 + 2 * n] != TAB)
    return FAIL;
  const uint8_t *h = b + p + 3;
  int i = 0, bad = 0;
#if defined(__SSE2__)
  for (; i + 16 <= n; i += 16)
    if (!hex32(h + 2 * i, out + i)) return FAIL;
#endif
  for (; i < n; i++) {
    int hi = HEX[h[2 * i]], lo = HEX[h[2 * i + 1]];
    bad |= hi | lo;
    out[i] = (uint8_t)(hi << 4 | lo);
  }
  return bad < 0 ? FAIL : p + 4 + 2 * n;
}

/* microseconds since 1970 -> "YYYY-MM-DDTHH:MM:SS.ffffffZ" with quotes (core/time.ts formatMicros); 0 past 9999. */
static int occurred_json(uint64_t us, uint8_t out[29]) {
  if (us >= 253402300800000000ULL) return 0;
  uint64_t secs = us / 1000000, frac = us % 1000000;
  int64_t days = (int64_t)(secs / 86400);
  uint64_t rem = secs % 86400;
  /* civil_from_days (H. Hinnant), days from 1970-01-01 >= 0 */
  int64_t z = days + 719468;
  int64_t era = z / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t d = doy - (153 * mp + 2) / 5 + 1;
  int64_t m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) y++;
  uint64_t fields[7] = {(uint64_t)y, (uint64_t)m, (uint64_t)d, rem / 3600, rem / 60 % 60, rem % 60, frac};
  const int widths[7] = {4, 2, 2, 2, 2, 2, 6};
  const char after[7] = {'-', '-', 'T', ':', ':', '.', 'Z'};
  int k = 0;
  out[k++] = '"';
  for (int f = 0; f < 7; f++) {
    uint64_t v = fields[f];
    for (int i = widths[f] - 1; i >= 0; i--, v /= 10) out[k + i] = (uint8_t)('0' + v % 10);
    k += widths[f];
    out[k++] = (uint8_t)after[f];
  }
  out[k++] = '"';
  return k;
}

static void sha256(const uint8_t *src, size_t n, uint8_t out[32]) {
  SHA256_CTX c;
  SHA256_Init(&c);
  SHA256_Update(&c, src, n);
  SHA256_Final(out, &c);
}

/* The envelope's fixed text around its fields, in canonical member order (as ledger/verify-chunk.ts). */
#define LIT(s) (const uint8_t *)(s), (long)(sizeof(s) - 1)

/* `"` + text field + `"`, or null. */
static long member(Out *o, long at, const uint8_t *pre, long pre_n, const uint8_t *b, long from, long to) {
  at = put(o, at, pre, pre_n);
  if (to < 0) return put(o, at, LIT("null"));
  at = put_byte(o, at, '"');
  at = put(o, at, b + from, to - from);
  return put_byte(o, at, '"');
}

typedef struct {
  /* The chain hash input: prev_hash, seq (u64 big-endian), envelope, payload_digest. */
  Out env;
  /* The payload digest input: salt, canonical payload. */
  Out pay;
  Json json;
  uint8_t occurred_digits[20];
  long occurred_len;
  uint8_t occurred[32];
  int occurred_n;
} Line;

/* Fields of a line this reads (besides the envelope and payload, written into Line's buffers). */
typedef struct {
  double seq;
  uint8_t digest[32], prev[32], hash[32];
  int has_salt, has_payload, purged;
  long env_end, pay_end, next;
} Row;

/* Reads the line at b[p]; FAIL when it is outside the subset (see the file comment). */
static int read_line(Line *l, const uint8_t *b, long p, long end, const uint8_t *stream_json, long stream_n,
                     Row *r) {
  long from[15], to[15];
  long q = digits_field(b, p, end, 15);
  if (q < 0) return FAIL;
  double seq = 0;
  for (long i = p; i < q; i++) seq = seq * 10 + (b[i] - '0');
  r->seq = seq;
  p = q + 1;
  for (int k = 1; k <= 11; k++) {
    from[k] = p;
    p = text_field(b, p, end, k >= 10, &to[k]);
    if (p < 0) return FAIL;
  }
  long olen = to[5] - from[5];
  if (digits_field(b, from[5], end, 18) != to[5]) return FAIL;
  if (olen != l->occurred_len || memcmp(l->occurred_digits, b + from[5], (size_t)olen) != 0) {
    uint64_t us = 0;
    for (long i = from[5]; i < to[5]; i++) us = us * 10 + (uint64_t)(b[i] - '0');
    l->occurred_n = occurred_json(us, l->occurred);
    if (l->occurred_n == 0) return FAIL;
    memcpy(l->occurred_digits, b + from[5], (size_t)olen);
    l->occurred_len = olen;
  }
  Out *o = &l->env;
  long at = 40;
  at = member(o, at, LIT("{\"action\":"), b, from[8], to[8]);
  at = member(o, at, LIT(",\"actor\":{\"id\":"), b, from[4], to[4]);
  at = member(o, at, LIT(",\"type\":"), b, from[3], to[3]);
  at = member(o, at, LIT("},\"case_id\":"), b, from[11], to[11]);
  at = put(o, at, LIT(",\"context\":"));
  if (at < 0) return FAIL;
  Json *j = &l->json;
  j->mtop = 0;
  at = value(j, p, o, at, 0);
  if (at < 0) return FAIL;
  p = j->in;
  if (p >= end || b[p] != TAB) return FAIL;
  long v0 = p + 1;
  long v1 = digits_field(b, v0, end, 15);
  if (v1 < 0 || (b[v0] == '0' && v1 - v0 > 1)) return FAIL;
  from[14] = v1 + 1;
  p = text_field(b, v1 + 1, end, 0, &to[14]);
  if (p < 0) return FAIL;
  at = member(o, at, LIT(",\"event_id\":"), b, from[1], to[1]);
  at = member(o, at, LIT(",\"event_type\":"), b, from[2], to[2]);
  at = member(o, at, LIT(",\"idempotency_key\":"), b, from[14], to[14]);
  at = put(o, at, LIT(",\"occurred_at\":"));
  at = put(o, at, l->occurred, l->occurred_n);
  at = member(o, at, LIT(",\"outcome\":"), b, from[9], to[9]);
  at = member(o, at, LIT(",\"resource\":{\"id\":"), b, from[7], to[7]);
  at = member(o, at, LIT(",\"type\":"), b, from[6], to[6]);
  at = put(o, at, LIT("},\"schema_version\":"));
  at = put(o, at, b + v0, v1 - v0);
  at = put(o, at, LIT(",\"stream\":"));
  at = put(o, at, stream_json, stream_n);
  at = member(o, at, LIT(",\"subject_id\":"), b, from[10], to[10]);
  at = put_byte(o, at, '}');
  if (at < 0) return FAIL;
  r->env_end = at;
  if ((p = bytea_field(b, p, end, 32, r->digest)) < 0) return FAIL;
  if ((p = bytea_field(b, p, end, 32, r->prev)) < 0) return FAIL;
  if ((p = bytea_field(b, p, end, 32, r->hash)) < 0) return FAIL;
  r->has_salt = !null_field(b, p, end);
  if (!r->has_salt)
    p += 3;
  else if ((p = bytea_field(b, p, end, 16, l->pay.b)) < 0)
    return FAIL;
  r->has_payload = !null_field(b, p, end);
  if (!r->has_payload)
    p += 3;
  else {
    j->mtop = 0;
    r->pay_end = value(j, p, &l->pay, 16, 0);
    if (r->pay_end < 0) return FAIL;
    p = j->in;
    if (p >= end || b[p] != TAB) return FAIL;
    p++;
  }
  if (p + 1 >= end || b[p + 1] != NL || (b[p] != 't' && b[p] != 'f')) return FAIL;
  r->purged = b[p] == 't';
  r->next = p + 2;
  return 0;
}

static void seq_be(double seq, uint8_t out[8]) {
  uint64_t s = (uint64_t)seq;
  for (int i = 7; i >= 0; i--, s >>= 8) out[i] = (uint8_t)(s & 0xff);
}

/*
 * The interior Merkle nodes that leaves first..first+n-1 (0-based) complete on their own, in the
 * order their merges happen (ledger/chunk-nodes.ts `chunkNodes`, the reference): node =
 * SHA-256(0x01 || left || right). Returns the bytes written to out (at most 32 * (n - 1)).
 */
static long chunk_nodes(const uint8_t *leaves, long n, uint64_t first, uint8_t *out) {
  uint8_t stack[32 * 65], in[65];
  int depth = 0;
  long o = 0;
  in[0] = 1;
  for (long k = 0; k < n; k++) {
    uint64_t i = first + (uint64_t)k;
    memcpy(stack + 32 * depth, leaves + 32 * k, 32);
    depth++;
    /* The node above a run of trailing 1 bits of i spans `span` leaves ending at i. */
    uint64_t span = 2;
    for (uint64_t x = i; x % 2 == 1; x = (x - 1) / 2, span *= 2) {
      if (i + 1 < first + span) break; /* it starts before these leaves */
      memcpy(in + 1, stack + 32 * (depth - 2), 64);
      sha256(in, 65, out + o);
      memcpy(stack + 32 * (depth - 2), out + o, 32);
      depth--;
      o += 32;
    }
  }
  return o;
}

int copy_chunk_check(const uint8_t *b, long len, const uint8_t *stream_json, long stream_n, uint8_t *leaves,
                     uint8_t *nodes, long rows, uint8_t meta[CHUNK_META_BYTES]) {
  if (rows <= 0 || len <= 0) return UNSUPPORTED;
  Line l;
  memset(&l, 0, sizeof l);
  l.occurred_len = -1;
  l.env.cap = 72 + len + 512 + stream_n;
  l.env.b = malloc((size_t)l.env.cap);
  l.pay.cap = 16 + len;
  l.pay.b = malloc((size_t)l.pay.cap);
  int ok = json_init(&l.json, b, len, len) && l.env.b != NULL && l.pay.b != NULL;
  int verdict = ok ? CLEAN : UNSUPPORTED;
  uint8_t last[32], leaf_in[33], got[32];
  double first_seq = 0;
  long p = 0, i = 0;
  Row r;
  leaf_in[0] = 0;
  while (verdict == CLEAN && p < len) {
    if (i >= rows || read_line(&l, b, p, len, stream_json, stream_n, &r) < 0) {
      verdict = UNSUPPORTED;
      break;
    }
    if (!r.has_payload && r.purged) {
      verdict = UNSUPPORTED; /* the caller lists purged rows for their proof */
      break;
    }
    if (i == 0) {
      first_seq = r.seq;
      memcpy(meta + 8, r.prev, 32);
    } else if (r.seq != first_seq + (double)i || memcmp(r.prev, last, 32) != 0) {
      verdict = DIRTY;
      break;
    }
    /* hash = SHA-256(prev_hash || seq || envelope || payload_digest) */
    memcpy(l.env.b, r.prev, 32);
    seq_be(r.seq, l.env.b + 32);
    if (put(&l.env, r.env_end, r.digest, 32) < 0) {
      verdict = UNSUPPORTED;
      break;
    }
    sha256(l.env.b, (size_t)r.env_end + 32, got);
    if (memcmp(got, r.hash, 32) != 0) {
      verdict = DIRTY;
      break;
    }
    if (r.has_payload) {
      /* payload_digest = SHA-256(salt || canonical payload) */
      if (!r.has_salt) {
        verdict = DIRTY;
        break;
      }
      sha256(l.pay.b, (size_t)r.pay_end, got);
      if (memcmp(got, r.digest, 32) != 0) {
        verdict = DIRTY;
        break;
      }
    } else {
      verdict = DIRTY; /* no payload and not purged */
      break;
    }
    memcpy(leaf_in + 1, r.hash, 32);
    sha256(leaf_in, 33, leaves + 32 * i);
    if (i > 0) memcpy(meta + 72, last, 32);
    memcpy(last, r.hash, 32);
    i++;
    p = r.next;
  }
  if (verdict == CLEAN && (p != len || i != rows || first_seq < 1)) verdict = UNSUPPORTED;
  if (verdict == CLEAN) {
    memcpy(meta, &first_seq, 8);
    memcpy(meta + 40, last, 32);
    if (rows == 1) memcpy(meta + 72, meta + 8, 32);
    double node_bytes = (double)chunk_nodes(leaves, rows, (uint64_t)first_seq - 1, nodes);
    memcpy(meta + 104, &node_bytes, 8);
  }
  json_free(&l.json);
  free(l.env.b);
  free(l.pay.b);
  return verdict;
}

long jsonb_canonical(const uint8_t *b, long from, long to, uint8_t *out, long cap) {
  Json j;
  Out o = {out, cap};
  if (!json_init(&j, b, to, to - from)) {
    json_free(&j);
    return FAIL;
  }
  long p = ws(&j, from);
  long r = p < to ? value(&j, p, &o, 0, 0) : FAIL;
  if (r >= 0 && ws(&j, j.in) != to) r = FAIL;
  json_free(&j);
  return r;
}

/* ---- N-API ---- */

/* The arguments of checkCopyChunk and checkCopyChunkAsync, checked. */
typedef struct {
  napi_value values[5];
  uint8_t *chunk, *stream, *leaves, *nodes, *meta;
  size_t chunk_n, stream_n, leaves_n;
} ChunkArgs;

static int chunk_args(napi_env env, napi_callback_info info, const char *name, ChunkArgs *a) {
  size_t argc = 5, nodes_n, meta_n;
  if (napi_get_cb_info(env, info, &argc, a->values, NULL, NULL) != napi_ok || argc < 5) {
    napi_throw_type_error(env, NULL, name);
    return 0;
  }
  napi_value *v = a->values;
  if (!bytes_of(env, v[0], &a->chunk, &a->chunk_n) || !bytes_of(env, v[1], &a->stream, &a->stream_n) ||
      !bytes_of(env, v[2], &a->leaves, &a->leaves_n) || !bytes_of(env, v[3], &a->nodes, &nodes_n) ||
      !bytes_of(env, v[4], &a->meta, &meta_n))
    return 0;
  if (a->leaves_n % 32 != 0 || nodes_n < a->leaves_n || meta_n < CHUNK_META_BYTES) {
    napi_throw_range_error(env, NULL, "checkCopyChunk: leaves must be 32 bytes a row, nodes as long, meta 112 bytes");
    return 0;
  }
  return 1;
}

static int run_check(const ChunkArgs *a) {
  return copy_chunk_check(a->chunk, (long)a->chunk_n, a->stream, (long)a->stream_n, a->leaves, a->nodes,
                          (long)(a->leaves_n / 32), a->meta);
}

/* checkCopyChunk(chunk, streamJson, leaves, nodes, meta): 1 clean, 0 dirty, 2 unsupported; rows = leaves.length / 32. */
static napi_value check_copy_chunk(napi_env env, napi_callback_info info) {
  ChunkArgs a;
  napi_value result;
  if (!chunk_args(env, info, "checkCopyChunk: expected (chunk, streamJson, leaves, nodes, meta)", &a)) return NULL;
  napi_create_int32(env, run_check(&a), &result);
  return result;
}

/* A check on libuv's thread pool: its arrays are held by references until it completes. */
typedef struct {
  ChunkArgs args;
  napi_ref refs[5];
  napi_deferred deferred;
  napi_async_work work;
  int verdict;
} Job;

static void job_execute(napi_env env, void *data) {
  (void)env; /* no JavaScript here: only the arrays' bytes */
  Job *job = data;
  job->verdict = run_check(&job->args);
}

static void job_complete(napi_env env, napi_status status, void *data) {
  Job *job = data;
  napi_value v;
  if (status == napi_ok) {
    napi_create_int32(env, job->verdict, &v);
    napi_resolve_deferred(env, job->deferred, v);
  } else {
    napi_value msg;
    napi_create_string_utf8(env, "checkCopyChunkAsync: the check was cancelled", NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, NULL, msg, &v);
    napi_reject_deferred(env, job->deferred, v);
  }
  for (int i = 0; i < 5; i++) napi_delete_reference(env, job->refs[i]);
  napi_delete_async_work(env, job->work);
  free(job);
}

/*
 * checkCopyChunkAsync(chunk, streamJson, leaves, nodes, meta): checkCopyChunk on libuv's thread
 * pool, a promise of its verdict. The caller must not change or transfer the arrays before it
 * settles.
 */
static napi_value check_copy_chunk_async(napi_env env, napi_callback_info info) {
  Job *job = calloc(1, sizeof *job);
  napi_value promise, name;
  if (job == NULL) {
    napi_throw_error(env, NULL, "checkCopyChunkAsync: out of memory");
    return NULL;
  }
  if (!chunk_args(env, info, "checkCopyChunkAsync: expected (chunk, streamJson, leaves, nodes, meta)", &job->args)) {
    free(job);
    return NULL;
  }
  for (int i = 0; i < 5; i++) napi_create_reference(env, job->args.values[i], 1, &job->refs[i]);
  napi_create_string_utf8(env, "ledgerflow:checkCopyChunk", NAPI_AUTO_LENGTH, &name);
  if (napi_create_promise(env, &job->deferred, &promise) != napi_ok ||
      napi_create_async_work(env, NULL, name, job_execute, job_complete, job, &job->work) != napi_ok ||
      napi_queue_async_work(env, job->work) != napi_ok) {
    for (int i = 0; i < 5; i++) napi_delete_reference(env, job->refs[i]);
    free(job);
    napi_throw_error(env, NULL, "checkCopyChunkAsync: could not queue the check");
    return NULL;
  }
  return promise;
}

/* jsonbCanonical(src, from, to, out): the canonical JSON's length written at out[0..), or -1. */
static napi_value jsonb_canonical_napi(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4], result;
  uint8_t *src, *out;
  size_t src_n, out_n;
  int64_t from, to;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 4) {
    napi_throw_type_error(env, NULL, "jsonbCanonical: expected (src, from, to, out)");
    return NULL;
  }
  if (!bytes_of(env, argv[0], &src, &src_n) || !int_of(env, argv[1], &from) || !int_of(env, argv[2], &to) ||
      !bytes_of(env, argv[3], &out, &out_n))
    return NULL;
  if (from < 0 || to < from || (uint64_t)to > src_n) {
    napi_throw_range_error(env, NULL, "jsonbCanonical: span outside its array");
    return NULL;
  }
  napi_create_int64(env, jsonb_canonical(src, (long)from, (long)to, out, (long)out_n), &result);
  return result;
}

void copy_chunk_register(napi_env env, napi_value exports) {
  napi_value f;
  napi_create_function(env, "checkCopyChunk", NAPI_AUTO_LENGTH, check_copy_chunk, NULL, &f);
  napi_set_named_property(env, exports, "checkCopyChunk", f);
  napi_create_function(env, "checkCopyChunkAsync", NAPI_AUTO_LENGTH, check_copy_chunk_async, NULL, &f);
  napi_set_named_property(env, exports, "checkCopyChunkAsync", f);
  napi_create_function(env, "jsonbCanonical", NAPI_AUTO_LENGTH, jsonb_canonical_napi, NULL, &f);
  napi_set_named_property(env, exports, "jsonbCanonical", f);
}
