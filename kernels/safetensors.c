/* safetensors.c - the hostile-input reader and the atomic writer of safetensors
 * checkpoints. See safetensors.h for the format and the checks. */
#include "safetensors.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic_file.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define RH_BIG_ENDIAN 1
#else
#define RH_BIG_ENDIAN 0
#endif

static uint64_t get_le64(const unsigned char *b) {
  uint64_t v = 0;
  for (int k = 7; k >= 0; k--) v = (v << 8) | b[k];
  return v;
}

static void swap_floats(float *x, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char *b = (unsigned char *)&x[i], t;
    t = b[0], b[0] = b[3], b[3] = t;
    t = b[1], b[1] = b[2], b[2] = t;
  }
}

void rh_st_index_free(rh_st_index *idx) {
  free(idx->entries);
  free(idx->meta_keys);
  free(idx->meta_vals);
  rh_json_free(&idx->json);
  memset(idx, 0, sizeof *idx);
}

/* ---- header validation ---- */

static int cmp_cstr(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* The first name that occurs twice among names[0..n) (sorted in place), or NULL. */
static const char *first_duplicate(const char **names, size_t n) {
  qsort(names, n, sizeof *names, cmp_cstr);
  for (size_t i = 1; i < n; i++)
    if (strcmp(names[i - 1], names[i]) == 0) return names[i];
  return NULL;
}

static int cmp_entry_offset(const void *a, const void *b) {
  const rh_st_entry *x = a, *y = b;
  if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
  if (x->end != y->end) return x->end < y->end ? -1 : 1;
  return 0;
}

static int key_is(const rh_jnode *n, const char *k) {
  return n->keylen == strlen(k) && memcmp(n->key, k, n->keylen) == 0;
}

typedef struct kv {
  const char *k, *v;
} kv;
static int cmp_kv(const void *a, const void *b) { return strcmp(((const kv *)a)->k, ((const kv *)b)->k); }

static rh_status check_metadata(const rh_json *j, const rh_jnode *m, const char *what, rh_st_index *out) {
  if (m->type != RH_JOBJECT)
    return rh_fail(RH_EFORMAT, "%s: __metadata__ must be an object of strings, got %s", what, rh_json_typename(m->type));
  kv *pairs = malloc((m->len + 1) * sizeof *pairs);
  out->meta_keys = calloc(m->len + 1, sizeof *out->meta_keys);
  out->meta_vals = calloc(m->len + 1, sizeof *out->meta_vals);
  if (!pairs || !out->meta_keys || !out->meta_vals) {
    free(pairs);
    return rh_fail(RH_ENOMEM, "%s: out of memory", what);
  }
  size_t n = 0;
  rh_status st = RH_OK;
  for (const rh_jnode *c = rh_json_child(j, m); c && st == RH_OK; c = rh_json_next(j, c)) {
    if (c->type != RH_JSTRING)
      st = rh_fail(RH_EFORMAT, "%s: __metadata__ value of '%s' must be a string, got %s", what, c->key,
                   rh_json_typename(c->type));
    else if (strlen(c->key) != c->keylen || strlen(c->str) != c->len)
      st = rh_fail(RH_EFORMAT, "%s: __metadata__ holds a string with a NUL character", what);
    else
      pairs[n++] = (kv){c->key, c->str};
  }
  if (st == RH_OK) {
    qsort(pairs, n, sizeof *pairs, cmp_kv);
    for (size_t i = 0; i < n; i++) {
      if (i > 0 && strcmp(pairs[i - 1].k, pairs[i].k) == 0) {
        st = rh_fail(RH_EFORMAT, "%s: __metadata__ key '%s' appears twice", what, pairs[i].k);
        break;
      }
      out->meta_keys[i] = pairs[i].k;
      out->meta_vals[i] = pairs[i].v;
    }
    out->nmeta = st == RH_OK ? n : 0;
  }
  free(pairs);
  return st;
}

static const char *dtype_hint(const char *dt) {
  static const char *const known[] = {"F16", "BF16", "F64", "F8_E4M3", "F8_E5M2", "I8", "I16", "I32",
                                      "I64", "U8", "U16", "U32", "U64", "BOOL", NULL};
  for (int i = 0; known[i]; i++)
    if (strcmp(dt, known[i]) == 0) return "; convert it to float32 first (numpy: .astype(np.float32))";
  return " (not a safetensors dtype)";
}

static rh_status check_shape(const rh_json *j, const rh_jnode *s, const char *what, rh_st_entry *e,
                             uint64_t *bytes) {
  if (s->type != RH_JARRAY) return rh_fail(RH_EFORMAT, "%s: tensor '%s': shape must be an array", what, e->name);
  if (s->len > RH_MAXDIM)
    return rh_fail(RH_EFORMAT, "%s: tensor '%s' has %zu dims; rankhost tensors have at most %d", what, e->name,
                   s->len, RH_MAXDIM);
  uint64_t numel = 1;
  int d = 0;
  for (const rh_jnode *c = rh_json_child(j, s); c; c = rh_json_next(j, c), d++) {
    if (c->type != RH_JNUMBER || !c->is_int || c->i < 0)
      return rh_fail(RH_EFORMAT, "%s: tensor '%s': shape entries must be non-negative integers", what, e->name);
    uint64_t v = (uint64_t)c->i;
    if (v != 0 && numel > UINT64_MAX / 4 / v)
      return rh_fail(RH_EFORMAT, "%s: tensor '%s': shape overflows (too many elements)", what, e->name);
    numel *= v;
    e->shape[d] = c->i;
  }
  e->ndim = d;
  *bytes = numel * 4;
  return RH_OK;
}

static rh_status check_offsets(const rh_json *j, const rh_jnode *o, const char *what, uint64_t data_len,
                               rh_st_entry *e) {
  const rh_jnode *b = o->type == RH_JARRAY ? rh_json_child(j, o) : NULL;
  const rh_jnode *en = b ? rh_json_next(j, b) : NULL;
  if (!b || !en || o->len != 2 || b->type != RH_JNUMBER || !b->is_int || b->i < 0 || en->type != RH_JNUMBER ||
      !en->is_int || en->i < 0)
    return rh_fail(RH_EFORMAT, "%s: tensor '%s': data_offsets must be [begin, end], two non-negative integers", what,
                   e->name);
  e->begin = (uint64_t)b->i;
  e->end = (uint64_t)en->i;
  if (e->begin > e->end)
    return rh_fail(RH_EFORMAT, "%s: tensor '%s': data_offsets [%llu, %llu] end before they begin", what, e->name,
                   (unsigned long long)e->begin, (unsigned long long)e->end);
  if (e->end > data_len)
    return rh_fail(RH_EFORMAT, "%s: tensor '%s': data_offsets [%llu, %llu] lie outside the data section (%llu bytes)",
                   what, e->name, (unsigned long long)e->begin, (unsigned long long)e->end,
                   (unsigned long long)data_len);
  return RH_OK;
}

static rh_status check_tensor(const rh_json *j, const rh_jnode *t, const char *what, uint64_t data_len,
                              rh_st_entry *e) {
  e->name = t->key;
  if (strlen(t->key) != t->keylen) return rh_fail(RH_EFORMAT, "%s: a tensor name holds a NUL character", what);
  if (t->type != RH_JOBJECT)
    return rh_fail(RH_EFORMAT, "%s: tensor '%s' must be an object, got %s", what, e->name, rh_json_typename(t->type));
  const rh_jnode *dtype = NULL, *shape = NULL, *offs = NULL;
  for (const rh_jnode *c = rh_json_child(j, t); c; c = rh_json_next(j, c)) {
    const rh_jnode **slot = key_is(c, "dtype") ? &dtype : key_is(c, "shape") ? &shape
                          : key_is(c, "data_offsets") ? &offs : NULL;
    if (!slot) return rh_fail(RH_EFORMAT, "%s: tensor '%s': unknown field '%s'", what, e->name, c->key);
    if (*slot) return rh_fail(RH_EFORMAT, "%s: tensor '%s': field '%s' appears twice", what, e->name, c->key);
    *slot = c;
  }
  if (!dtype || !shape || !offs)
    return rh_fail(RH_EFORMAT, "%s: tensor '%s' lacks '%s'", what, e->name,
                   !dtype ? "dtype" : !shape ? "shape" : "data_offsets");
  if (dtype->type != RH_JSTRING) return rh_fail(RH_EFORMAT, "%s: tensor '%s': dtype must be a string", what, e->name);
  if (strcmp(dtype->str, "F32") != 0)
    return rh_fail(RH_EFORMAT, "%s: tensor '%s' has dtype %.16s; rankhost reads F32 only%s", what, e->name,
                   dtype->str, dtype_hint(dtype->str));
  uint64_t bytes = 0;
  rh_status st = check_shape(j, shape, what, e, &bytes);
  if (st == RH_OK) st = check_offsets(j, offs, what, data_len, e);
  if (st == RH_OK && e->end - e->begin != bytes)
    st = rh_fail(RH_EFORMAT, "%s: tensor '%s': data_offsets span %llu bytes but its shape needs %llu", what, e->name,
                 (unsigned long long)(e->end - e->begin), (unsigned long long)bytes);
  return st;
}

/* Offsets sorted: no overlap, and (as the format requires) no bytes left unindexed. */
static rh_status check_layout(rh_st_index *out, const char *what) {
  qsort(out->entries, out->n, sizeof *out->entries, cmp_entry_offset);
  uint64_t at = 0;
  for (size_t i = 0; i < out->n; i++) {
    const rh_st_entry *e = &out->entries[i];
    if (e->begin < at)
      return rh_fail(RH_EFORMAT, "%s: tensors '%s' and '%s' overlap in the data section", what,
                     out->entries[i - 1].name, e->name);
    if (e->begin > at)
      return rh_fail(RH_EFORMAT, "%s: bytes %llu..%llu of the data section belong to no tensor", what,
                     (unsigned long long)at, (unsigned long long)e->begin);
    at = e->end;
  }
  if (at != out->data_len)
    return rh_fail(RH_EFORMAT, "%s: the data section has %llu bytes but its tensors cover %llu", what,
                   (unsigned long long)out->data_len, (unsigned long long)at);
  return RH_OK;
}

static rh_status parse_header(const char *hdr, size_t hlen, uint64_t data_len, const char *what, rh_st_index *out) {
  size_t errpos;
  rh_status st = rh_json_parse(hdr, hlen, &out->json, &errpos);
  if (st != RH_OK) {
    char msg[512];
    snprintf(msg, sizeof msg, "%s", rh_error());
    return rh_fail(st, "%s: header is not valid JSON: %s", what, msg);
  }
  out->data_len = data_len;
  const rh_json *j = &out->json;
  const rh_jnode *root = rh_json_root(j);
  if (root->type != RH_JOBJECT)
    return rh_fail(RH_EFORMAT, "%s: header must be a JSON object, got %s", what, rh_json_typename(root->type));
  out->entries = calloc(root->len + 1, sizeof *out->entries);
  if (!out->entries) return rh_fail(RH_ENOMEM, "%s: out of memory", what);
  int seen_meta = 0;
  for (const rh_jnode *c = rh_json_child(j, root); c; c = rh_json_next(j, c)) {
    if (key_is(c, "__metadata__")) {
      if (seen_meta++) return rh_fail(RH_EFORMAT, "%s: __metadata__ appears twice", what);
      if ((st = check_metadata(j, c, what, out)) != RH_OK) return st;
      continue;
    }
    if ((st = check_tensor(j, c, what, data_len, &out->entries[out->n])) != RH_OK) return st;
    out->n++;
  }
  const char **names = malloc((out->n + 1) * sizeof *names);
  if (!names) return rh_fail(RH_ENOMEM, "%s: out of memory", what);
  for (size_t i = 0; i < out->n; i++) names[i] = out->entries[i].name;
  const char *dup = first_duplicate(names, out->n);
  if (dup) st = rh_fail(RH_EFORMAT, "%s: tensor '%s' appears twice", what, dup);
  free(names);
  if (st != RH_OK) return st;
  return check_layout(out, what);
}

rh_status rh_st_parse_header(const char *hdr, size_t hlen, uint64_t data_len, const char *what, rh_st_index *out) {
  memset(out, 0, sizeof *out);
  rh_status st = parse_header(hdr, hlen, data_len, what, out);
  if (st != RH_OK) rh_st_index_free(out);
  return st;
}

/* Checks the 8-byte length against the limits and the file's size. */
static rh_status check_length(uint64_t n, uint64_t file_size, const char *what) {
  if (n == 0) return rh_fail(RH_EFORMAT, "%s: header length is 0 (not a safetensors file?)", what);
  if (n > RH_ST_MAX_HEADER)
    return rh_fail(RH_EFORMAT, "%s: header length %llu exceeds the limit of %u bytes (not a safetensors file?)", what,
                   (unsigned long long)n, RH_ST_MAX_HEADER);
  if (n > file_size - 8)
    return rh_fail(RH_EFORMAT, "%s: header length %llu exceeds the %llu bytes after the length field (truncated?)",
                   what, (unsigned long long)n, (unsigned long long)(file_size - 8));
  return RH_OK;
}

static rh_status check_size(uint64_t size, const char *what) {
  if (size == 0) return rh_fail(RH_EFORMAT, "%s: empty file", what);
  if (size < 8)
    return rh_fail(RH_EFORMAT, "%s: file of %llu bytes is too short for a safetensors header (needs 8)", what,
                   (unsigned long long)size);
  return RH_OK;
}

rh_status rh_st_parse_buffer(const void *buf, size_t len, const char *what, rh_st_index *out) {
  memset(out, 0, sizeof *out);
  rh_status st = check_size(len, what);
  if (st != RH_OK) return st;
  uint64_t n = get_le64(buf);
  if ((st = check_length(n, len, what)) != RH_OK) return st;
  st = rh_st_parse_header((const char *)buf + 8, (size_t)n, len - 8 - n, what, out);
  out->data_start = 8 + n;
  return st;
}

rh_status rh_st_copy_from_buffer(const void *buf, size_t len, const rh_st_index *idx, size_t i, float *dst) {
  if (i >= idx->n) return rh_fail(RH_EARG, "tensor %zu of %zu", i, idx->n);
  const rh_st_entry *e = &idx->entries[i];
  if (idx->data_start + e->end > len) return rh_fail(RH_EARG, "index does not match the buffer");
  memcpy(dst, (const char *)buf + idx->data_start + e->begin, (size_t)(e->end - e->begin));
  if (RH_BIG_ENDIAN) swap_floats(dst, (size_t)(e->end - e->begin) / 4);
  return RH_OK;
}

/* ---- reading a file ---- */

static rh_status read_exact(int fd, void *buf, size_t n, uint64_t off, const char *what) {
  char *p = buf;
  while (n > 0) {
    ssize_t k = pread(fd, p, n, (off_t)off);
    if (k < 0) {
      if (errno == EINTR) continue;
      return rh_fail(RH_EIO, "%s: read failed: %s", what, strerror(errno));
    }
    if (k == 0) return rh_fail(RH_EIO, "%s: file ended early (changed while being read?)", what);
    p += k;
    n -= (size_t)k;
    off += (uint64_t)k;
  }
  return RH_OK;
}

void rh_st_close(rh_st_reader *r) {
  if (r->fd >= 0) close(r->fd);
  r->fd = -1;
  free(r->path);
  r->path = NULL;
  rh_st_index_free(&r->index);
}

static rh_status open_checked(rh_st_reader *r, const char *path) {
  r->path = strdup(path);
  if (!r->path) return rh_fail(RH_ENOMEM, "out of memory");
  r->fd = open(path, O_RDONLY | O_CLOEXEC);
  if (r->fd < 0) return rh_fail(RH_EIO, "%s: cannot open: %s", path, strerror(errno));
  struct stat sb;
  if (fstat(r->fd, &sb) != 0) return rh_fail(RH_EIO, "%s: cannot stat: %s", path, strerror(errno));
  if (S_ISDIR(sb.st_mode)) return rh_fail(RH_EIO, "%s: is a directory, not a safetensors file", path);
  if (!S_ISREG(sb.st_mode)) return rh_fail(RH_EIO, "%s: not a regular file", path);
  uint64_t size = (uint64_t)sb.st_size;
  rh_status st = check_size(size, path);
  if (st != RH_OK) return st;
  unsigned char lenbuf[8];
  if ((st = read_exact(r->fd, lenbuf, 8, 0, path)) != RH_OK) return st;
  uint64_t n = get_le64(lenbuf);
  if ((st = check_length(n, size, path)) != RH_OK) return st;
  char *hdr = malloc((size_t)n); /* n <= min(100 MB, file size): the file's own bytes */
  if (!hdr) return rh_fail(RH_ENOMEM, "%s: out of memory for a %llu-byte header", path, (unsigned long long)n);
  st = read_exact(r->fd, hdr, (size_t)n, 8, path);
  if (st == RH_OK) st = rh_st_parse_header(hdr, (size_t)n, size - 8 - n, path, &r->index);
  free(hdr);
  r->index.data_start = 8 + n;
  return st;
}

rh_status rh_st_open(rh_st_reader *r, const char *path) {
  memset(r, 0, sizeof *r);
  r->fd = -1;
  rh_status st = open_checked(r, path);
  if (st != RH_OK) rh_st_close(r);
  return st;
}

rh_status rh_st_read(rh_st_reader *r, size_t i, rh_tensor *dst) {
  if (r->fd < 0 || i >= r->index.n) return rh_fail(RH_EARG, "tensor %zu of a closed or shorter file", i);
  const rh_st_entry *e = &r->index.entries[i];
  uint64_t bytes = e->end - e->begin;
  if (rh_dev(dst) != RH_CPU || !rh_is_contiguous(dst) || (uint64_t)rh_numel(dst) * 4 != bytes)
    return rh_fail(RH_EARG, "%s: destination of tensor '%s' does not match its shape", r->path, e->name);
  rh_status st = read_exact(r->fd, rh_data(dst), (size_t)bytes, r->index.data_start + e->begin, r->path);
  if (st == RH_OK && RH_BIG_ENDIAN) swap_floats(rh_data(dst), (size_t)bytes / 4);
  return st;
}

/* ---- writing ---- */

typedef struct sbuf {
  char *p;
  size_t n, cap;
} sbuf;

static int sb_put(sbuf *b, const char *s, size_t n) {
  if (b->n + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + n + 1) cap *= 2;
    char *q = realloc(b->p, cap);
    if (!q) return 0;
    b->p = q;
    b->cap = cap;
  }
  memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = '\0';
  return 1;
}

static int sb_str(sbuf *b, const char *s) { return sb_put(b, s, strlen(s)); }

static int sb_quote(sbuf *b, const char *s) {
  size_t need = rh_json_quote(NULL, 0, s, strlen(s));
  char *q = malloc(need + 1);
  if (!q) return 0;
  rh_json_quote(q, need + 1, s, strlen(s));
  int ok = sb_put(b, q, need);
  free(q);
  return ok;
}

static int cmp_item(const void *a, const void *b) {
  return strcmp(((const rh_st_item *)a)->name, ((const rh_st_item *)b)->name);
}

static rh_status build_header(const char *path, rh_st_item *items, size_t n, kv *meta, size_t nmeta, sbuf *b) {
  int ok = sb_str(b, "{");
  if (nmeta > 0) {
    ok = ok && sb_str(b, "\"__metadata__\":{");
    for (size_t i = 0; i < nmeta; i++) {
      if (i > 0 && strcmp(meta[i - 1].k, meta[i].k) == 0)
        return rh_fail(RH_EARG, "%s: metadata key '%s' given twice", path, meta[i].k);
      ok = ok && (i == 0 || sb_str(b, ",")) && sb_quote(b, meta[i].k) && sb_str(b, ":") && sb_quote(b, meta[i].v);
    }
    ok = ok && sb_str(b, "}");
  }
  uint64_t at = 0;
  for (size_t i = 0; i < n; i++) {
    const rh_tensor *t = items[i].t;
    if (strcmp(items[i].name, "__metadata__") == 0)
      return rh_fail(RH_EARG, "%s: '__metadata__' is reserved and cannot name a tensor", path);
    if (i > 0 && strcmp(items[i - 1].name, items[i].name) == 0)
      return rh_fail(RH_EARG, "%s: tensor name '%s' given twice", path, items[i].name);
    if (rh_dev(t) != RH_CPU || !rh_is_contiguous(t))
      return rh_fail(RH_EARG, "%s: tensor '%s' must be contiguous on the CPU to be written", path, items[i].name);
    char num[64];
    ok = ok && ((nmeta == 0 && i == 0) || sb_str(b, ",")) && sb_quote(b, items[i].name) &&
         sb_str(b, ":{\"dtype\":\"F32\",\"shape\":[");
    for (int d = 0; d < t->ndim; d++) {
      snprintf(num, sizeof num, "%s%lld", d ? "," : "", (long long)t->size[d]);
      ok = ok && sb_str(b, num);
    }
    uint64_t bytes = (uint64_t)rh_numel(t) * 4;
    snprintf(num, sizeof num, "],\"data_offsets\":[%llu,%llu]}", (unsigned long long)at,
             (unsigned long long)(at + bytes));
    ok = ok && sb_str(b, num);
    at += bytes;
  }
  ok = ok && sb_str(b, "}");
  while (ok && b->n % 8 != 0) ok = sb_str(b, " "); /* aligns the data section to 8 bytes */
  return ok ? RH_OK : rh_fail(RH_ENOMEM, "%s: out of memory building the header", path);
}

static rh_status write_floats(rh_atomic_file *f, const float *x, size_t n) {
  if (!RH_BIG_ENDIAN) return rh_atomic_write(f, x, n * sizeof(float));
  float chunk[1024];
  for (size_t i = 0; i < n; i += 1024) {
    size_t m = n - i < 1024 ? n - i : 1024;
    memcpy(chunk, x + i, m * sizeof(float));
    swap_floats(chunk, m);
    rh_status st = rh_atomic_write(f, chunk, m * sizeof(float));
    if (st != RH_OK) return st;
  }
  return RH_OK;
}

rh_status rh_st_write(const char *path, const rh_st_item *items, size_t n, const char *const *keys,
                      const char *const *vals, size_t nmeta) {
  rh_st_item *sorted = malloc((n + 1) * sizeof *sorted);
  kv *meta = malloc((nmeta + 1) * sizeof *meta);
  sbuf b = {0};
  rh_status st = RH_OK;
  if (!sorted || !meta) {
    st = rh_fail(RH_ENOMEM, "%s: out of memory", path);
    goto done;
  }
  if (n > 0) { /* items may be NULL when there is nothing to write */
    memcpy(sorted, items, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, cmp_item);
  }
  for (size_t i = 0; i < nmeta; i++) meta[i] = (kv){keys[i], vals[i]};
  qsort(meta, nmeta, sizeof *meta, cmp_kv);
  if ((st = build_header(path, sorted, n, meta, nmeta, &b)) != RH_OK) goto done;
  unsigned char len8[8];
  for (int k = 0; k < 8; k++) len8[k] = (unsigned char)((uint64_t)b.n >> (8 * k));
  rh_atomic_file f;
  if ((st = rh_atomic_begin(&f, path)) != RH_OK) goto done;
  st = rh_atomic_write(&f, len8, 8);
  if (st == RH_OK) st = rh_atomic_write(&f, b.p, b.n);
  for (size_t i = 0; st == RH_OK && i < n; i++) st = write_floats(&f, rh_data(sorted[i].t), (size_t)rh_numel(sorted[i].t));
  if (st == RH_OK)
    st = rh_atomic_commit(&f);
  else
    rh_atomic_abort(&f);
done:
  free(sorted);
  free(meta);
  free(b.p);
  return st;
}
