/* test_idx.c - the IDX reader: real Fashion-MNIST t10k (Debian's dataset-fashion-mnist, in
 * /usr/share/datasets/fashion-mnist) against checksums computed with Python (gzip + numpy), tiny files written raw and gzip and read back, and every kind
 * of bad input refused with a message naming the file. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "check.h"
#include "dataset.h"
#include "idx.h"

static char dir[64];

static const char *tmp(const char *name) {
  static char buf[4][256];
  static int k;
  k = (k + 1) % 4;
  snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
  return buf[k];
}

static void put(const char *path, const void *p, size_t n) {
  FILE *f = fopen(path, "wb");
  if (n) fwrite(p, 1, n, f);
  fclose(f);
}

static void put_gz(const char *path, const void *p, size_t n) {
  gzFile f = gzopen(path, "wb");
  if (n) gzwrite(f, p, (unsigned)n);
  gzclose(f);
}

static uint8_t *slurp(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  fseek(f, 0, SEEK_END);
  *n = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *p = malloc(*n + 1);
  *n = fread(p, 1, *n, f);
  fclose(f);
  return p;
}

/* The IDX bytes of a 3 x 2 x 2 image block with values 0..11. */
static size_t tiny(uint8_t *b) {
  const uint8_t h[] = {0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 2};
  memcpy(b, h, sizeof h);
  for (int i = 0; i < 12; i++) b[16 + i] = (uint8_t)i;
  return 28;
}

/* Expects a refusal of `path` whose message names the file and contains `what`. */
static void refused_file(const char *path, const char *what) {
  rh_idx x;
  rh_status st = rh_idx_read(path, &x);
  CHECK(st != RH_OK);
  CHECK(x.data == NULL);
  if (st == RH_OK) rh_idx_free(&x);
  int ok = strstr(rh_error(), path) != NULL && strstr(rh_error(), what) != NULL;
  if (!ok) fprintf(stderr, "  %s: expected '%s', got: %s\n", path, what, rh_error());
  CHECK(ok);
}

static void refused_mem(const uint8_t *p, size_t n, const char *what) {
  rh_idx x;
  rh_status st = rh_idx_read_mem(p, n, "buf", &x);
  CHECK(st != RH_OK);
  if (st == RH_OK) rh_idx_free(&x);
  int ok = strstr(rh_error(), "buf") != NULL && strstr(rh_error(), what) != NULL;
  if (!ok) fprintf(stderr, "  memory: expected '%s', got: %s\n", what, rh_error());
  CHECK(ok);
}

/* The same bytes as a raw file, a gzip file and from memory (raw and gzip): all refused. */
static void refused_all(const char *name, const uint8_t *p, size_t n, const char *what) {
  char gzname[128];
  snprintf(gzname, sizeof gzname, "%s.gz", name);
  put(tmp(name), p, n);
  refused_file(tmp(name), what);
  put_gz(tmp(gzname), p, n);
  refused_file(tmp(gzname), what);
  refused_mem(p, n, what);
  size_t zn;
  uint8_t *z = slurp(tmp(gzname), &zn);
  refused_mem(z, zn, what);
  free(z);
}

static void test_roundtrip(void) {
  uint8_t b[64];
  size_t n = tiny(b);
  put(tmp("tiny"), b, n);
  put_gz(tmp("tiny.gz"), b, n);
  const char *paths[] = {tmp("tiny"), tmp("tiny.gz")};
  for (int k = 0; k < 2; k++) {
    rh_idx x;
    CHECK_OK(rh_idx_read(paths[k], &x));
    CHECK(x.ndim == 3 && x.dims[0] == 3 && x.dims[1] == 2 && x.dims[2] == 2 && x.bytes == 12);
    CHECK(x.data && memcmp(x.data, b + 16, 12) == 0);
    rh_idx_free(&x);
  }
  /* from memory, raw and gzip */
  rh_idx x;
  CHECK_OK(rh_idx_read_mem(b, n, "tiny", &x));
  CHECK(x.bytes == 12 && memcmp(x.data, b + 16, 12) == 0);
  rh_idx_free(&x);
  size_t zn;
  uint8_t *z = slurp(tmp("tiny.gz"), &zn);
  CHECK_OK(rh_idx_read_mem(z, zn, "tiny.gz", &x));
  CHECK(x.bytes == 12 && memcmp(x.data, b + 16, 12) == 0);
  rh_idx_free(&x);
  /* two concatenated gzip members read as one stream, as gzread does */
  uint8_t *zz = malloc(2 * zn);
  size_t half = 10;
  put_gz(tmp("a.gz"), b, half);
  put_gz(tmp("b.gz"), b + half, n - half);
  size_t an, bn;
  uint8_t *za = slurp(tmp("a.gz"), &an), *zb = slurp(tmp("b.gz"), &bn);
  memcpy(zz, za, an);
  memcpy(zz + an, zb, bn);
  CHECK_OK(rh_idx_read_mem(zz, an + bn, "two members", &x));
  CHECK(x.bytes == 12 && memcmp(x.data, b + 16, 12) == 0);
  rh_idx_free(&x);
  free(za), free(zb), free(zz), free(z);
  /* the writer: raw and gzip, read back */
  rh_idx w = {.data = b + 16, .bytes = 12, .ndim = 2, .dims = {4, 3}};
  CHECK_OK(rh_idx_write(tmp("w.idx"), &w, 0));
  CHECK_OK(rh_idx_write(tmp("w.idx.gz"), &w, 1));
  size_t rn;
  uint8_t *raw = slurp(tmp("w.idx"), &rn);
  CHECK(rn == 12 + 12 && raw[2] == 8 && raw[3] == 2 && raw[7] == 4 && raw[11] == 3);
  free(raw);
  uint8_t *gz = slurp(tmp("w.idx.gz"), &rn);
  CHECK(rn >= 2 && gz[0] == 0x1f && gz[1] == 0x8b);
  free(gz);
  CHECK_OK(rh_idx_read(tmp("w.idx.gz"), &x));
  CHECK(x.ndim == 2 && x.dims[0] == 4 && x.dims[1] == 3 && memcmp(x.data, b + 16, 12) == 0);
  rh_idx_free(&x);
}

static void test_bad(void) {
  uint8_t b[64], c[64];
  size_t n = tiny(b);
  refused_all("empty", b, 0, "empty file");
  refused_all("short_magic", b, 3, "truncated header");
  memcpy(c, b, n), c[0] = 0x50, c[1] = 0x4b; /* a zip file's magic */
  refused_all("magic", c, n, "not an IDX file");
  memcpy(c, b, n), c[2] = 0x0D;
  refused_all("float", c, n, "unsupported IDX dtype 0x0d (float32)");
  memcpy(c, b, n), c[3] = 0;
  refused_all("ndim0", c, n, "dim count 0");
  memcpy(c, b, n), c[3] = 5;
  refused_all("ndim5", c, n, "dim count 5");
  refused_all("short_dims", b, 10, "truncated header (dims)");
  memcpy(c, b, n), memset(c + 4, 0xff, 12); /* 2^96 bytes: the product overflows 64 bits */
  refused_all("overflow", c, n, "dims promise more than");
  memcpy(c, b, n), c[4] = 0x7f; /* 2^30 * 3 x 2 x 2 bytes: over the limit, yet no huge allocation */
  refused_all("huge", c, n, "dims promise more than");
  memcpy(c, b, n), c[7] = 200; /* promises 800 bytes, holds 12 */
  refused_all("short_data", c, n, "data shorter than the dims say (800 bytes promised, 12 found)");
  refused_all("truncated_data", b, n - 1, "data shorter than the dims say");
  memcpy(c, b, n), c[n] = 99;
  refused_all("long_data", c, n + 1, "data longer than the dims say");

  /* gzip-specific: a stream cut short, a corrupted stream */
  put_gz(tmp("ok.gz"), b, n);
  size_t zn;
  uint8_t *z = slurp(tmp("ok.gz"), &zn);
  for (size_t cut = 10; cut < zn; cut += 3) { /* any cut of the deflate data or trailer */
    put(tmp("cut.gz"), z, cut);
    rh_idx x;
    CHECK(rh_idx_read(tmp("cut.gz"), &x) != RH_OK);
    CHECK(rh_idx_read_mem(z, cut, "cut", &x) != RH_OK);
  }
  put(tmp("cut.gz"), z, zn - 4);
  refused_file(tmp("cut.gz"), "truncated gzip stream");
  refused_mem(z, zn - 4, "truncated gzip stream");
  uint8_t *bad = malloc(zn);
  memcpy(bad, z, zn);
  bad[zn - 6] ^= 0x55; /* inside the CRC-32: the data check fails */
  put(tmp("crc.gz"), bad, zn);
  refused_file(tmp("crc.gz"), "corrupt gzip stream");
  refused_mem(bad, zn, "corrupt gzip stream");
  memcpy(bad, z, zn);
  bad[10] = 0xff; /* the first deflate block header: an invalid block type */
  put(tmp("bad.gz"), bad, zn);
  refused_file(tmp("bad.gz"), "corrupt gzip stream");
  refused_mem(bad, zn, "corrupt gzip stream");
  free(bad);
  free(z);

  /* paths: a directory, a missing file */
  refused_file(dir, "is a directory");
  refused_file(tmp("missing"), "cannot open");
}

/* Images and labels that do not belong together. */
static void test_pairs(void) {
  uint8_t b[64];
  size_t n = tiny(b);
  const uint8_t l3[] = {0, 0, 8, 1, 0, 0, 0, 3, 0, 9, 4}, l2[] = {0, 0, 8, 1, 0, 0, 0, 2, 0, 1};
  const uint8_t l3bad[] = {0, 0, 8, 1, 0, 0, 0, 3, 0, 10, 4};
  rh_idx im, lb;
  rh_dataset ds;
  CHECK_OK(rh_idx_read_mem(b, n, "img", &im));
  CHECK_OK(rh_idx_read_mem(l2, sizeof l2, "lbl", &lb));
  CHECK(rh_dataset_from_idx(&ds, &im, &lb, 10, "img", "lbl") == RH_EFORMAT);
  CHECK(strstr(rh_error(), "img holds 3 images but lbl holds 2 labels") != NULL);
  rh_idx_free(&lb);
  CHECK_OK(rh_idx_read_mem(l3bad, sizeof l3bad, "lbl", &lb));
  CHECK(rh_dataset_from_idx(&ds, &im, &lb, 10, "img", "lbl") == RH_EFORMAT);
  CHECK(strstr(rh_error(), "lbl: label 10 of example 2 is out of range 0..9") != NULL);
  rh_idx_free(&lb);
  CHECK_OK(rh_idx_read_mem(l3, sizeof l3, "lbl", &lb));
  CHECK(rh_dataset_from_idx(&ds, &lb, &im, 10, "lbl", "img") == RH_EFORMAT); /* swapped files */
  CHECK(strstr(rh_error(), "lbl: images need 2 or more dims") != NULL);
  CHECK_OK(rh_dataset_from_idx(&ds, &im, &lb, 10, "img", "lbl"));
  CHECK(im.data == NULL); /* the store took the bytes */
  CHECK(ds.n == 3 && ds.dim == 4 && ds.classes == 10 && ds.kind == RH_FEAT_U8);
  CHECK(rh_dataset_label(&ds, 0) == 1 && rh_dataset_label(&ds, 1) == 10 && rh_dataset_label(&ds, 2) == 5);
  rh_dataset_release(&ds);
  rh_dataset_release(&ds); /* twice is safe */
  rh_idx_free(&lb);
}

/* The Fashion-MNIST test set that debian-packages.txt installs: gzip files of 10000 images. */
#define FASHION_DIR "/usr/share/datasets/fashion-mnist"
static void test_fashion_mnist(void) {
  const char *ip = FASHION_DIR "/t10k-images-idx3-ubyte.gz", *lp = FASHION_DIR "/t10k-labels-idx1-ubyte.gz";
  if (access(ip, R_OK) != 0 || access(lp, R_OK) != 0) {
    check_fail(__FILE__, __LINE__, "no Fashion-MNIST test set in " FASHION_DIR
               ": apt-get install dataset-fashion-mnist (debian-packages.txt)");
    return;
  }
  rh_idx im, lb;
  CHECK_OK(rh_idx_read(ip, &im));
  CHECK_OK(rh_idx_read(lp, &lb));
  CHECK(im.ndim == 3 && im.dims[0] == 10000 && im.dims[1] == 28 && im.dims[2] == 28);
  CHECK(lb.ndim == 1 && lb.dims[0] == 10000);
  /* figures from /usr/bin/python3: numpy sums of the gunzipped bytes after the header */
  uint64_t sum = 0, wsum = 0, lwsum = 0;
  for (size_t i = 0; i < im.bytes; i++) {
    sum += im.data[i];
    wsum += (uint64_t)im.data[i] * (i % 7919 + 1);
  }
  CHECK(sum == 573469082ull);
  CHECK(wsum == 2263785633940ull);
  int hist[10] = {0};
  for (size_t i = 0; i < lb.bytes; i++) {
    if (lb.data[i] < 10) hist[lb.data[i]]++;
    lwsum += (uint64_t)lb.data[i] * (i % 7919 + 1);
  }
  for (int c = 0; c < 10; c++) CHECK(hist[c] == 1000); /* balanced: 1000 of each class */
  CHECK(lwsum == 151473364ull);                        /* so the order is checked too */
  rh_dataset ds;
  CHECK_OK(rh_dataset_from_idx(&ds, &im, &lb, 10, ip, lp));
  CHECK(ds.n == 10000 && ds.dim == 784 && ds.x->bytes == 7840000); /* bytes, not floats */
  CHECK(rh_dataset_label(&ds, 0) == 10 && rh_dataset_label(&ds, 1) == 3); /* ankle boot, pullover */
  rh_dataset_release(&ds);
  rh_idx_free(&im);
  rh_idx_free(&lb);
}

int main(void) {
  snprintf(dir, sizeof dir, "/tmp/rh_test_idx_XXXXXX");
  if (!mkdtemp(dir)) return 1;
  test_roundtrip();
  test_bad();
  test_pairs();
  test_fashion_mnist();
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
  return check_report();
}
