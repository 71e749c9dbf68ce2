/* json.c - the strict JSON parser (recursive descent into an index-linked node array)
 * and the shortest-round-trip number and string writers. See json.h. */
#include "json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct parser {
  const char *s;
  size_t len, p;
  rh_json *j;
  size_t cap;       /* nodes allocated */
  size_t pool_used; /* bytes of j->pool in use */
  int depth;
  size_t errpos;
} parser;

const char *rh_json_typename(rh_jtype t) {
  static const char *const names[] = {"null", "false", "true", "number", "string", "array", "object"};
  return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "?";
}

void rh_json_linecol(const char *src, size_t len, size_t pos, int *line, int *col) {
  int l = 1;
  size_t start = 0;
  if (pos > len) pos = len;
  for (size_t i = 0; i < pos; i++)
    if (src[i] == '\n') {
      l++;
      start = i + 1;
    }
  *line = l;
  *col = (int)(pos - start) + 1;
}

static rh_status perr(parser *ps, size_t pos, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static rh_status perr(parser *ps, size_t pos, const char *fmt, ...) {
  char what[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  int line, col;
  rh_json_linecol(ps->s, ps->len, pos, &line, &col);
  ps->errpos = pos;
  return rh_fail(RH_EFORMAT, "line %d, column %d: %s", line, col, what);
}

/* A printable rendering of the byte at pos for messages: 'x', or end of input. */
static const char *show(parser *ps, size_t pos, char *buf, size_t n) {
  if (pos >= ps->len) return "end of input";
  unsigned char c = (unsigned char)ps->s[pos];
  if (c >= 0x20 && c < 0x7f)
    snprintf(buf, n, "'%c'", c);
  else
    snprintf(buf, n, "byte 0x%02x", c);
  return buf;
}

static void skip_ws(parser *ps) {
  while (ps->p < ps->len) {
    char c = ps->s[ps->p];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
    ps->p++;
  }
}

static rh_status new_node(parser *ps, rh_jtype type, int32_t *idx) {
  rh_json *j = ps->j;
  if (j->count == ps->cap) {
    size_t ncap = ps->cap ? ps->cap * 2 : 16;
    rh_jnode *nn = realloc(j->nodes, ncap * sizeof *nn);
    if (!nn) return rh_fail(RH_ENOMEM, "out of memory parsing JSON (%zu values)", j->count);
    j->nodes = nn;
    ps->cap = ncap;
  }
  rh_jnode *n = &j->nodes[j->count];
  memset(n, 0, sizeof *n);
  n->type = type;
  n->first = n->next = -1;
  n->pos = ps->p;
  *idx = (int32_t)j->count++;
  return RH_OK;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static rh_status read_hex4(parser *ps, unsigned *out) {
  if (ps->len - ps->p < 4) return perr(ps, ps->p, "truncated \\u escape");
  unsigned v = 0;
  for (int k = 0; k < 4; k++) {
    int h = hexval(ps->s[ps->p + k]);
    if (h < 0) return perr(ps, ps->p + k, "bad hex digit in \\u escape");
    v = v * 16 + (unsigned)h;
  }
  ps->p += 4;
  *out = v;
  return RH_OK;
}

static size_t put_utf8(char *d, unsigned cp) {
  if (cp < 0x80) {
    d[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    d[0] = (char)(0xC0 | (cp >> 6));
    d[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    d[0] = (char)(0xE0 | (cp >> 12));
    d[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    d[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  d[0] = (char)(0xF0 | (cp >> 18));
  d[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  d[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  d[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* Length of the valid UTF-8 sequence at s[0..avail), or 0 if invalid (overlong forms,
 * surrogates and code points above U+10FFFF are invalid). */
static size_t utf8_len(const unsigned char *s, size_t avail) {
  unsigned c = s[0];
  size_t n;
  unsigned cp, min;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) n = 2, cp = c & 0x1F, min = 0x80;
  else if (c >= 0xE0 && c <= 0xEF) n = 3, cp = c & 0x0F, min = 0x800;
  else if (c >= 0xF0 && c <= 0xF4) n = 4, cp = c & 0x07, min = 0x10000;
  else return 0;
  if (avail < n) return 0;
  for (size_t k = 1; k < n; k++) {
    if ((s[k] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (s[k] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

/* At the opening quote: decodes the string into the pool. The decoded form is never
 * longer than its source, so the pool (sized to the input) cannot overflow. */
static rh_status parse_string(parser *ps, const char **str, size_t *outlen) {
  size_t start = ps->p++;
  char *d = ps->j->pool + ps->pool_used, *d0 = d;
  for (;;) {
    if (ps->p >= ps->len) return perr(ps, start, "unterminated string");
    unsigned char c = (unsigned char)ps->s[ps->p];
    if (c == '"') {
      ps->p++;
      break;
    }
    if (c < 0x20) return perr(ps, ps->p, "control character (byte 0x%02x) in a string; escape it", c);
    if (c == '\\') {
      if (ps->p + 1 >= ps->len) return perr(ps, start, "unterminated string");
      char e = ps->s[ps->p + 1];
      ps->p += 2;
      switch (e) {
        case '"': *d++ = '"'; break;
        case '\\': *d++ = '\\'; break;
        case '/': *d++ = '/'; break;
        case 'b': *d++ = '\b'; break;
        case 'f': *d++ = '\f'; break;
        case 'n': *d++ = '\n'; break;
        case 'r': *d++ = '\r'; break;
        case 't': *d++ = '\t'; break;
        case 'u': {
          size_t at = ps->p - 2;
          unsigned cp;
          rh_status st = read_hex4(ps, &cp);
          if (st != RH_OK) return st;
          if (cp >= 0xDC00 && cp <= 0xDFFF) return perr(ps, at, "lone low surrogate \\u%04X", cp);
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            unsigned lo;
            if (ps->len - ps->p < 2 || ps->s[ps->p] != '\\' || ps->s[ps->p + 1] != 'u')
              return perr(ps, at, "high surrogate \\u%04X not followed by a low surrogate", cp);
            ps->p += 2;
            st = read_hex4(ps, &lo);
            if (st != RH_OK) return st;
            if (lo < 0xDC00 || lo > 0xDFFF)
              return perr(ps, at, "high surrogate \\u%04X not followed by a low surrogate", cp);
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          d += put_utf8(d, cp);
          break;
        }
        default: return perr(ps, ps->p - 2, "invalid escape '\\%c'", (e >= 0x20 && e < 0x7f) ? e : '?');
      }
      continue;
    }
    size_t n = utf8_len((const unsigned char *)ps->s + ps->p, ps->len - ps->p);
    if (n == 0) return perr(ps, ps->p, "invalid UTF-8 in a string");
    memcpy(d, ps->s + ps->p, n);
    d += n;
    ps->p += n;
  }
  *d++ = '\0';
  *str = d0;
  *outlen = (size_t)(d - d0) - 1;
  ps->pool_used += (size_t)(d - d0);
  return RH_OK;
}

static int isdig(char c) { return c >= '0' && c <= '9'; }

static rh_status parse_number(parser *ps, rh_jnode *n) {
  size_t start = ps->p;
  int integral = 1;
  if (ps->p < ps->len && ps->s[ps->p] == '-') ps->p++;
  if (ps->p >= ps->len || !isdig(ps->s[ps->p])) return perr(ps, ps->p, "expected a digit");
  if (ps->s[ps->p] == '0') {
    ps->p++;
    if (ps->p < ps->len && isdig(ps->s[ps->p])) return perr(ps, start, "number with a leading zero");
  } else {
    while (ps->p < ps->len && isdig(ps->s[ps->p])) ps->p++;
  }
  if (ps->p < ps->len && ps->s[ps->p] == '.') {
    integral = 0;
    ps->p++;
    if (ps->p >= ps->len || !isdig(ps->s[ps->p])) return perr(ps, ps->p, "expected a digit after '.'");
    while (ps->p < ps->len && isdig(ps->s[ps->p])) ps->p++;
  }
  if (ps->p < ps->len && (ps->s[ps->p] == 'e' || ps->s[ps->p] == 'E')) {
    integral = 0;
    ps->p++;
    if (ps->p < ps->len && (ps->s[ps->p] == '+' || ps->s[ps->p] == '-')) ps->p++;
    if (ps->p >= ps->len || !isdig(ps->s[ps->p])) return perr(ps, ps->p, "expected a digit in the exponent");
    while (ps->p < ps->len && isdig(ps->s[ps->p])) ps->p++;
  }
  /* strtod needs a terminated copy: the unused tail of the pool has room for it,
   * since the pool is as long as the input and strings so far used less than the
   * bytes before this number. */
  size_t nlen = ps->p - start;
  char *tmp = ps->j->pool + ps->pool_used;
  memcpy(tmp, ps->s + start, nlen);
  tmp[nlen] = '\0';
  errno = 0;
  n->num = strtod(tmp, NULL);
  if (errno == ERANGE && (n->num > 1.0 || n->num < -1.0))
    return perr(ps, start, "number %.40s is out of range", tmp);
  if (integral) {
    errno = 0;
    long long v = strtoll(tmp, NULL, 10);
    if (errno == 0 && !(v == 0 && tmp[0] == '-')) { /* "-0" stays a float: it keeps its sign */
      n->is_int = 1;
      n->i = (int64_t)v;
    }
  }
  return RH_OK;
}

static rh_status parse_value(parser *ps, int32_t *out);

static rh_status expect_lit(parser *ps, const char *lit, rh_jtype type, int32_t *out) {
  size_t n = strlen(lit);
  if (ps->len - ps->p < n || memcmp(ps->s + ps->p, lit, n) != 0) {
    char b[32];
    return perr(ps, ps->p, "unexpected %s, expected a value", show(ps, ps->p, b, sizeof b));
  }
  rh_status st = new_node(ps, type, out);
  ps->p += n;
  return st;
}

/* Parses members or elements after '{' or '['; children are linked in order. */
static rh_status parse_container(parser *ps, int32_t self, int is_object) {
  char close = is_object ? '}' : ']';
  int32_t last = -1;
  size_t count = 0;
  if (++ps->depth > RH_JSON_MAXDEPTH) return perr(ps, ps->p, "nesting deeper than %d levels", RH_JSON_MAXDEPTH);
  ps->p++; /* the opening bracket */
  skip_ws(ps);
  if (ps->p < ps->len && ps->s[ps->p] == close) {
    ps->p++;
    ps->depth--;
    return RH_OK;
  }
  for (;;) {
    const char *key = NULL;
    size_t keylen = 0;
    rh_status st;
    skip_ws(ps);
    if (is_object) {
      char b[32];
      if (ps->p >= ps->len || ps->s[ps->p] != '"')
        return perr(ps, ps->p, "unexpected %s, expected a string key", show(ps, ps->p, b, sizeof b));
      if ((st = parse_string(ps, &key, &keylen)) != RH_OK) return st;
      skip_ws(ps);
      if (ps->p >= ps->len || ps->s[ps->p] != ':')
        return perr(ps, ps->p, "unexpected %s, expected ':' after a key", show(ps, ps->p, b, sizeof b));
      ps->p++;
    }
    int32_t child;
    if ((st = parse_value(ps, &child)) != RH_OK) return st;
    rh_jnode *nodes = ps->j->nodes;
    nodes[child].key = key;
    nodes[child].keylen = keylen;
    if (last < 0)
      nodes[self].first = child;
    else
      nodes[last].next = child;
    last = child;
    count++;
    skip_ws(ps);
    if (ps->p < ps->len && ps->s[ps->p] == ',') {
      ps->p++;
      continue;
    }
    if (ps->p < ps->len && ps->s[ps->p] == close) {
      ps->p++;
      break;
    }
    char b[32];
    return perr(ps, ps->p, "unexpected %s, expected ',' or '%c'", show(ps, ps->p, b, sizeof b), close);
  }
  ps->j->nodes[self].len = count;
  ps->depth--;
  return RH_OK;
}

static rh_status parse_value(parser *ps, int32_t *out) {
  skip_ws(ps);
  if (ps->p >= ps->len) return perr(ps, ps->p, "unexpected end of input, expected a value");
  char c = ps->s[ps->p];
  rh_status st;
  switch (c) {
    case '{':
    case '[':
      if ((st = new_node(ps, c == '{' ? RH_JOBJECT : RH_JARRAY, out)) != RH_OK) return st;
      return parse_container(ps, *out, c == '{');
    case '"': {
      if ((st = new_node(ps, RH_JSTRING, out)) != RH_OK) return st;
      const char *s;
      size_t n;
      if ((st = parse_string(ps, &s, &n)) != RH_OK) return st;
      ps->j->nodes[*out].str = s;
      ps->j->nodes[*out].len = n;
      return RH_OK;
    }
    case 't': return expect_lit(ps, "true", RH_JTRUE, out);
    case 'f': return expect_lit(ps, "false", RH_JFALSE, out);
    case 'n': return expect_lit(ps, "null", RH_JNULL, out);
    default:
      if (c == '-' || isdig(c)) {
        if ((st = new_node(ps, RH_JNUMBER, out)) != RH_OK) return st;
        return parse_number(ps, &ps->j->nodes[*out]);
      }
      {
        char b[32];
        return perr(ps, ps->p, "unexpected %s, expected a value", show(ps, ps->p, b, sizeof b));
      }
  }
}

rh_status rh_json_parse(const char *src, size_t len, rh_json *out, size_t *errpos) {
  memset(out, 0, sizeof *out);
  if (errpos) *errpos = 0;
  if (len > (size_t)INT32_MAX - 1) return rh_fail(RH_EARG, "JSON text of %zu bytes is too long (limit 2 GiB)", len);
  parser ps = {.s = src, .len = len, .j = out};
  out->pool = malloc(len + 1);
  if (!out->pool) return rh_fail(RH_ENOMEM, "out of memory for a JSON text of %zu bytes", len);
  int32_t root;
  rh_status st = parse_value(&ps, &root);
  if (st == RH_OK) {
    skip_ws(&ps);
    if (ps.p < len) st = perr(&ps, ps.p, "unexpected data after the JSON value");
  }
  if (st != RH_OK) {
    if (errpos) *errpos = ps.errpos;
    rh_json_free(out);
  }
  return st;
}

void rh_json_free(rh_json *j) {
  free(j->nodes);
  free(j->pool);
  memset(j, 0, sizeof *j);
}

/* ---- writers ---- */

int rh_json_fmt_double(char *buf, size_t n, double v) {
  int k = 0;
  if (!buf || n == 0) return 0;
  for (int prec = 15; prec <= 17; prec++) {
    k = snprintf(buf, n, "%.*g", prec, v);
    if (strtod(buf, NULL) == v) break;
  }
  return k;
}

int rh_json_fmt_float(char *buf, size_t n, float v) {
  int k = 0;
  if (!buf || n == 0) return 0;
  for (int prec = 6; prec <= 9; prec++) {
    k = snprintf(buf, n, "%.*g", prec, (double)v);
    if (strtof(buf, NULL) == v) break;
  }
  return k;
}

size_t rh_json_quote(char *buf, size_t n, const char *s, size_t len) {
  size_t k = 0;
#define PUT(ch)                   \
  do {                            \
    if (k < n) buf[k] = (ch);     \
    k++;                          \
  } while (0)
  PUT('"');
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    const char *esc = NULL;
    switch (c) {
      case '"': esc = "\\\""; break;
      case '\\': esc = "\\\\"; break;
      case '\n': esc = "\\n"; break;
      case '\r': esc = "\\r"; break;
      case '\t': esc = "\\t"; break;
      case '\b': esc = "\\b"; break;
      case '\f': esc = "\\f"; break;
      default: break;
    }
    if (esc) {
      PUT(esc[0]);
      PUT(esc[1]);
    } else if (c < 0x20) {
      char u[8];
      snprintf(u, sizeof u, "\\u%04x", c);
      for (int m = 0; m < 6; m++) PUT(u[m]);
    } else {
      PUT((char)c);
    }
  }
  PUT('"');
#undef PUT
  if (n > 0) buf[k < n ? k : n - 1] = '\0';
  return k;
}

int rh_json_valid_utf8(const char *s, size_t len) {
  for (size_t i = 0; i < len;) {
    size_t n = utf8_len((const unsigned char *)s + i, len - i);
    if (n == 0) return 0;
    i += n;
  }
  return 1;
}
