/* json.h - a strict JSON (RFC 8259) parser into a small read-only tree, and the
 * number/string writers that rankhost's JSON encoders share.
 *
 * The parser treats its input as hostile: every read is bounds-checked, nesting is
 * limited, strings must be valid UTF-8 with valid escapes (surrogate pairs joined,
 * lone surrogates refused), numbers follow the grammar exactly (no leading zeros,
 * no NaN, no trailing commas). Memory is proportional to the input's length, never
 * to a count that the input claims. A failure sets rh_error() to
 * "line L, column C: what was expected" and gives the byte offset. */
#ifndef RH_JSON_H
#define RH_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

#define RH_JSON_MAXDEPTH 256

typedef enum rh_jtype { RH_JNULL, RH_JFALSE, RH_JTRUE, RH_JNUMBER, RH_JSTRING, RH_JARRAY, RH_JOBJECT } rh_jtype;

typedef struct rh_jnode {
  rh_jtype type;
  int is_int;         /* RH_JNUMBER written without fraction/exponent that fits int64 */
  int64_t i;          /* the value when is_int */
  double num;         /* the value of every number */
  const char *str;    /* RH_JSTRING: decoded UTF-8, NUL-terminated (may hold NULs: use len) */
  size_t len;         /* string length in bytes; child count for arrays and objects */
  const char *key;    /* member name when this node is a value inside an object */
  size_t keylen;
  int32_t first;      /* index of the first child (-1 if none) */
  int32_t next;       /* index of the next sibling (-1 if last) */
  size_t pos;         /* byte offset of the value in the source (for messages) */
} rh_jnode;

typedef struct rh_json {
  rh_jnode *nodes;    /* nodes[0] is the root */
  size_t count;
  char *pool;         /* decoded strings */
} rh_json;

/* Parses src[0..len) (need not be NUL-terminated) as one JSON value surrounded by
 * optional whitespace. On failure *errpos (may be NULL) receives the byte offset. */
rh_status rh_json_parse(const char *src, size_t len, rh_json *out, size_t *errpos);
void rh_json_free(rh_json *j);

static inline const rh_jnode *rh_json_root(const rh_json *j) { return &j->nodes[0]; }
/* The child after `n` in its parent, or NULL; the first child of an array/object. */
static inline const rh_jnode *rh_json_child(const rh_json *j, const rh_jnode *n) {
  return n->first < 0 ? NULL : &j->nodes[n->first];
}
static inline const rh_jnode *rh_json_next(const rh_json *j, const rh_jnode *n) {
  return n->next < 0 ? NULL : &j->nodes[n->next];
}
/* "null", "number", "object", ... */
const char *rh_json_typename(rh_jtype t);
/* 1-based line and column of a byte offset in src. */
void rh_json_linecol(const char *src, size_t len, size_t pos, int *line, int *col);

/* ---- writers ---- */
/* The shortest decimal text that reads back to exactly v ("0.1", "3", "1e+20").
 * v must be finite. Returns the length written into buf (size >= 32). */
int rh_json_fmt_double(char *buf, size_t n, double v);
/* The same for a float32 (at most 9 significant digits). */
int rh_json_fmt_float(char *buf, size_t n, float v);
/* Writes s[0..len) as a quoted JSON string with escapes into buf (capacity n);
 * returns the length it needs (like snprintf): call with n = 0 to size the buffer.
 * Control characters become \uXXXX; bytes >= 0x80 are copied as they are. */
size_t rh_json_quote(char *buf, size_t n, const char *s, size_t len);
/* 1 if s[0..len) is valid UTF-8 (no overlong forms, surrogates or code points past
 * U+10FFFF): what the parser accepts inside strings, so encoders check with it. */
int rh_json_valid_utf8(const char *s, size_t len);

#endif
