/* Argument checks shared by the module's functions: a wrong type is a TypeError, never a crash. */
#ifndef LEDGER_ARGS_H
#define LEDGER_ARGS_H
#include <node_api.h>
#include <stdint.h>

static inline int bytes_of(napi_env env, napi_value v, uint8_t **data, size_t *len) {
  napi_typedarray_type type;
  void *p;
  if (napi_get_typedarray_info(env, v, &type, len, &p, NULL, NULL) != napi_ok || type != napi_uint8_array) {
    napi_throw_type_error(env, NULL, "ledger native: expected a Uint8Array");
    return 0;
  }
  *data = p;
  return 1;
}

/* An index: a number that is a whole number (anything else is refused, not truncated). */
static inline int int_of(napi_env env, napi_value v, int64_t *out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok) {
    napi_throw_type_error(env, NULL, "ledger native: expected a number");
    return 0;
  }
  if (!(d >= -9007199254740991.0 && d <= 9007199254740991.0) || d != (double)(int64_t)d) {
    napi_throw_range_error(env, NULL, "ledger native: index outside its array");
    return 0;
  }
  *out = (int64_t)d;
  return 1;
}

#endif
