/* idx.c - the IDX reader: one parser over two byte sources, a file (zlib's gzread,
 * which passes raw files through) and a memory buffer (raw or inflate).
 *
 * The parser never trusts the header: the data block grows as bytes arrive, up to the
 * size the dims promise (itself capped by RH_IDX_MAX_BYTES), and one byte more is
 * asked for at the end so that a stream longer than promised is refused too. */
#include "idx.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

/* First allocation for the data block; it doubles from here as the stream delivers. */
#define IDX_FIRST_CHUNK ((size_t)4 << 20)

/* ---- byte sources ---- */

typedef struct idx_src {
  const char *name;
  /* read up to n bytes into buf; *got < n only at the end of the stream */
  rh_status (*read)(struct idx_src *s, uint8_t *buf, size_t n, size_t *got);
  gzFile gz;
  const uint8_t *mem;
  size_t len, pos;
  int gzip, ended;
  z_stream zs;
} idx_src;

static rh_status file_read(idx_src *s, uint8_t *buf, size_t n, size_t *got) {
  *got = 0;
  while (*got < n) {
    size_t want = n - *got;
    unsigned ask = want > (1u << 30) ? (1u << 30) : (unsigned)want;
    int r = gzread(s->gz, buf + *got, ask);
    int err = Z_OK;
    const char *msg = gzerror(s->gz, &err);
    if (r < 0 || (err != Z_OK && err != Z_BUF_ERROR))
      return rh_fail(RH_EFORMAT, "%s: corrupt gzip stream (%s)", s->name, msg ? msg : "read error");
    if (err == Z_BUF_ERROR) return rh_fail(RH_EFORMAT, "%s: truncated gzip stream (unexpected end of file)", s->name);
    if (r == 0) break;
    *got += (size_t)r;
  }
  return RH_OK;
}

static rh_status mem_raw_read(idx_src *s, uint8_t *buf, size_t n, size_t *got) {
  size_t left = s->len - s->pos;
  *got = n < left ? n : left;
  memcpy(buf, s->mem + s->pos, *got);
  s->pos += *got;
  return RH_OK;
}

static void feed(idx_src *s) {
  size_t left = s->len - s->pos;
  s->zs.next_in = (Bytef *)(uintptr_t)(s->mem + s->pos);
  s->zs.avail_in = left > UINT_MAX ? UINT_MAX : (uInt)left;
}

/* Inflates like gzread: members are concatenated, and bytes after the last member that
 * do not start another gzip member are ignored. */
static rh_status mem_gz_read(idx_src *s, uint8_t *buf, size_t n, size_t *got) {
  *got = 0;
  while (*got < n && !s->ended) {
    size_t want = n - *got;
    s->zs.next_out = buf + *got;
    s->zs.avail_out = want > UINT_MAX ? UINT_MAX : (uInt)want;
    uInt before_out = s->zs.avail_out, before_in = s->zs.avail_in;
    int ret = inflate(&s->zs, Z_NO_FLUSH);
    *got += before_out - s->zs.avail_out;
    s->pos += before_in - s->zs.avail_in;
    if (s->zs.avail_in == 0) feed(s);
    if (ret == Z_STREAM_END) {
      if (s->len - s->pos >= 2 && s->mem[s->pos] == 0x1f && s->mem[s->pos + 1] == 0x8b) {
        inflateReset(&s->zs);
        feed(s);
      } else {
        s->ended = 1;
      }
    } else if (ret == Z_BUF_ERROR) { /* output room but no input left: the stream stops early */
      return rh_fail(RH_EFORMAT, "%s: truncated gzip stream (unexpected end of data)", s->name);
    } else if (ret != Z_OK) {
      return rh_fail(RH_EFORMAT, "%s: corrupt gzip stream (%s)", s->name, s->zs.msg ? s->zs.msg : zError(ret));
    }
  }
  return RH_OK;
}

/* ---- the parser ---- */

static const char *dtype_name(int t) {
  switch (t) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "int16";
    case 0x0C: return "int32";
    case 0x0D: return "float32";
    case 0x0E: return "float64";
    default: return "not an IDX dtype";
  }
}

static rh_status read_exact(idx_src *s, uint8_t *buf, size_t n, const char *what) {
  size_t got;
  rh_status st = s->read(s, buf, n, &got);
  if (st != RH_OK) return st;
  if (got < n) return rh_fail(RH_EFORMAT, "%s: truncated header (%s)", s->name, what);
  return RH_OK;
}

static rh_status parse(idx_src *s, rh_idx *out) {
  memset(out, 0, sizeof *out);
  uint8_t h[4];
  size_t got;
  rh_status st = s->read(s, h, 4, &got);
  if (st != RH_OK) return st;
  if (got == 0) return rh_fail(RH_EFORMAT, "%s: empty file", s->name);
  if (got < 4) return rh_fail(RH_EFORMAT, "%s: truncated header (%zu of 4 magic bytes)", s->name, got);
  if (h[0] != 0 || h[1] != 0)
    return rh_fail(RH_EFORMAT, "%s: not an IDX file (magic bytes %02x %02x %02x %02x, expected 00 00 08 0n)",
                   s->name, h[0], h[1], h[2], h[3]);
  if (h[2] != 0x08)
    return rh_fail(RH_EFORMAT, "%s: unsupported IDX dtype 0x%02x (%s); rankhost reads unsigned-byte (0x08) files",
                   s->name, h[2], dtype_name(h[2]));
  int ndim = h[3];
  if (ndim < 1 || ndim > RH_IDX_MAXDIM)
    return rh_fail(RH_EFORMAT, "%s: unsupported dim count %d (1 to %d)", s->name, ndim, RH_IDX_MAXDIM);
  uint8_t d[4 * RH_IDX_MAXDIM];
  if ((st = read_exact(s, d, 4 * (size_t)ndim, "dims")) != RH_OK) return st;
  uint64_t total = 1;
  for (int i = 0; i < ndim; i++) {
    uint64_t v = (uint64_t)d[4 * i] << 24 | (uint64_t)d[4 * i + 1] << 16 | (uint64_t)d[4 * i + 2] << 8 | d[4 * i + 3];
    out->dims[i] = (int64_t)v;
    /* total <= 2^30 and v < 2^32, so the product below cannot overflow 64 bits */
    total *= v;
    if (total > RH_IDX_MAX_BYTES)
      return rh_fail(RH_EFORMAT, "%s: dims promise more than %llu bytes of data (dim %d is %llu): refused", s->name,
                     (unsigned long long)RH_IDX_MAX_BYTES, i + 1, (unsigned long long)v);
  }
  out->ndim = ndim;

  /* grow the block as the stream delivers, never beyond what the dims promise */
  size_t cap = total < IDX_FIRST_CHUNK ? (size_t)total : IDX_FIRST_CHUNK, have = 0;
  uint8_t *buf = malloc(cap ? cap : 1);
  if (!buf) return rh_fail(RH_ENOMEM, "%s: out of memory for %zu bytes", s->name, cap);
  for (;;) {
    st = s->read(s, buf + have, cap - have, &got);
    if (st != RH_OK) goto fail;
    have += got;
    if (have < cap || have == total) break;
    size_t ncap = cap * 2 > total ? (size_t)total : cap * 2;
    uint8_t *nb = realloc(buf, ncap);
    if (!nb) {
      st = rh_fail(RH_ENOMEM, "%s: out of memory for %zu bytes", s->name, ncap);
      goto fail;
    }
    buf = nb;
    cap = ncap;
  }
  if (have < total) {
    st = rh_fail(RH_EFORMAT, "%s: data shorter than the dims say (%llu bytes promised, %zu found)", s->name,
                 (unsigned long long)total, have);
    goto fail;
  }
  uint8_t extra;
  if ((st = s->read(s, &extra, 1, &got)) != RH_OK) goto fail;
  if (got) {
    st = rh_fail(RH_EFORMAT, "%s: data longer than the dims say (%llu bytes promised, more found)", s->name,
                 (unsigned long long)total);
    goto fail;
  }
  out->data = buf;
  out->bytes = (size_t)total;
  return RH_OK;
fail:
  free(buf);
  out->ndim = 0;
  return st;
}

rh_status rh_idx_read_mem(const void *buf, size_t len, const char *name, rh_idx *out) {
  idx_src s;
  memset(&s, 0, sizeof s);
  s.name = name ? name : "(memory)";
  s.mem = buf;
  s.len = len;
  if (len >= 2 && s.mem[0] == 0x1f && s.mem[1] == 0x8b) {
    s.gzip = 1;
    s.read = mem_gz_read;
    if (inflateInit2(&s.zs, 16 + MAX_WBITS) != Z_OK) return rh_fail(RH_ENOMEM, "%s: cannot start inflate", s.name);
    feed(&s);
  } else {
    s.read = mem_raw_read;
  }
  rh_status st = parse(&s, out);
  if (s.gzip) inflateEnd(&s.zs);
  return st;
}

rh_status rh_idx_read(const char *path, rh_idx *out) {
  memset(out, 0, sizeof *out);
  struct stat sb;
  if (stat(path, &sb) != 0) return rh_fail(RH_EIO, "%s: cannot open (%s)", path, strerror(errno));
  if (S_ISDIR(sb.st_mode)) return rh_fail(RH_EIO, "%s: is a directory, not an IDX file", path);
  idx_src s;
  memset(&s, 0, sizeof s);
  s.name = path;
  s.read = file_read;
  s.gz = gzopen(path, "rb");
  if (!s.gz) return rh_fail(RH_EIO, "%s: cannot open (%s)", path, errno ? strerror(errno) : "out of memory");
  gzbuffer(s.gz, 1u << 20); /* inflate in large steps: loading speed is all inflate */
  rh_status st = parse(&s, out);
  gzclose(s.gz);
  return st;
}

void rh_idx_free(rh_idx *x) {
  free(x->data);
  x->data = NULL;
  x->bytes = 0;
}

rh_status rh_idx_write(const char *path, const rh_idx *x, int gzip) {
  if (x->ndim < 1 || x->ndim > RH_IDX_MAXDIM) return rh_fail(RH_EARG, "%s: dim count %d out of range", path, x->ndim);
  uint8_t h[4 + 4 * RH_IDX_MAXDIM] = {0, 0, 0x08, (uint8_t)x->ndim};
  uint64_t total = 1;
  for (int i = 0; i < x->ndim; i++) {
    uint64_t v = (uint64_t)x->dims[i];
    if (x->dims[i] < 0 || v > 0xffffffffu) return rh_fail(RH_EARG, "%s: dim %d out of range", path, i + 1);
    h[4 + 4 * i] = (uint8_t)(v >> 24);
    h[5 + 4 * i] = (uint8_t)(v >> 16);
    h[6 + 4 * i] = (uint8_t)(v >> 8);
    h[7 + 4 * i] = (uint8_t)v;
    total *= v;
  }
  if (total != x->bytes) return rh_fail(RH_EARG, "%s: dims hold %llu bytes, data has %zu", path,
                                        (unsigned long long)total, x->bytes);
  gzFile f = gzopen(path, gzip ? "wb6" : "wbT");
  if (!f) return rh_fail(RH_EIO, "%s: cannot create (%s)", path, strerror(errno));
  size_t hlen = 4 + 4 * (size_t)x->ndim;
  int ok = gzwrite(f, h, (unsigned)hlen) == (int)hlen;
  for (size_t off = 0; ok && off < x->bytes;) {
    unsigned n = x->bytes - off > (1u << 30) ? (1u << 30) : (unsigned)(x->bytes - off);
    ok = gzwrite(f, x->data + off, n) == (int)n;
    off += n;
  }
  if (gzclose(f) != Z_OK) ok = 0;
  if (!ok) return rh_fail(RH_EIO, "%s: write failed", path);
  return RH_OK;
}
