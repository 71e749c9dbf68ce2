/* test_safetensors.c - the safetensors writer and both readers (file and memory):
 * a round trip, the exact on-disk layout, and hostile buffers refused. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "safetensors.h"

static char *slurp(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  *n = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  char *b = malloc(*n + 1);
  if (fread(b, 1, *n, f) != *n) *n = 0;
  fclose(f);
  return b;
}

/* A file image: 8-byte length, header, data. */
static size_t image(unsigned char *out, const char *hdr, const void *data, size_t dn) {
  uint64_t n = strlen(hdr);
  for (int k = 0; k < 8; k++) out[k] = (unsigned char)(n >> (8 * k));
  memcpy(out + 8, hdr, n);
  if (dn) memcpy(out + 8 + n, data, dn);
  return 8 + n + dn;
}

static rh_status parse(const char *hdr, const void *data, size_t dn) {
  unsigned char buf[1024];
  size_t n = image(buf, hdr, data, dn);
  rh_st_index idx;
  rh_status st = rh_st_parse_buffer(buf, n, "mem", &idx);
  if (st == RH_OK) rh_st_index_free(&idx);
  return st;
}

int main(void) {
  char path[] = "/tmp/rh_test_st_XXXXXX";
  int fd = mkstemp(path);
  close(fd);

  rh_tensor a, b;
  CHECK_OK(rh_tensor_new2(&a, 2, 3, RH_CPU));
  CHECK_OK(rh_tensor_new1(&b, 4, RH_CPU));
  for (int i = 0; i < 6; i++) rh_data(&a)[i] = (float)i * 0.5f;
  for (int i = 0; i < 4; i++) rh_data(&b)[i] = -(float)i;
  rh_st_item items[2] = {{"zz", &a}, {"aa", &b}};
  const char *keys[] = {"k2", "k1"}, *vals[] = {"v2", "v1"};
  CHECK_OK(rh_st_write(path, items, 2, keys, vals, 2));

  /* exact layout: sorted names and metadata, padded header, data after it */
  size_t n = 0;
  char *file = slurp(path, &n);
  uint64_t hl = 0;
  for (int k = 7; k >= 0; k--) hl = (hl << 8) | (unsigned char)file[k];
  CHECK(hl % 8 == 0);
  const char *expect = "{\"__metadata__\":{\"k1\":\"v1\",\"k2\":\"v2\"},"
                       "\"aa\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                       "\"zz\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[16,40]}}";
  CHECK(memcmp(file + 8, expect, strlen(expect)) == 0);
  CHECK(n == 8 + hl + 40);
  CHECK(memcmp(file + 8 + hl, rh_data(&b), 16) == 0);

  /* read back through the file reader and the memory reader */
  rh_st_reader r;
  CHECK_OK(rh_st_open(&r, path));
  CHECK(r.index.n == 2 && r.index.nmeta == 2);
  CHECK(strcmp(r.index.meta_keys[0], "k1") == 0 && strcmp(r.index.meta_vals[0], "v1") == 0);
  CHECK(strcmp(r.index.entries[1].name, "zz") == 0 && r.index.entries[1].ndim == 2);
  rh_tensor got;
  CHECK_OK(rh_tensor_new2(&got, 2, 3, RH_CPU));
  CHECK_OK(rh_st_read(&r, 1, &got));
  CHECK(check_maxrel(rh_data(&got), rh_data(&a), 6) == 0);
  CHECK(rh_st_read(&r, 0, &got) == RH_EARG); /* wrong destination shape refused */
  rh_st_close(&r);
  rh_st_close(&r); /* twice is safe */
  rh_st_index idx;
  CHECK_OK(rh_st_parse_buffer(file, n, path, &idx));
  float fb[4];
  CHECK_OK(rh_st_copy_from_buffer(file, n, &idx, 0, fb));
  CHECK(check_maxrel(fb, rh_data(&b), 4) == 0);
  rh_st_index_free(&idx);

  /* every truncation of a valid file is refused, never read past */
  for (size_t k = 0; k < n; k++) {
    char *cut = malloc(k ? k : 1);
    memcpy(cut, file, k);
    CHECK(rh_st_parse_buffer(cut, k, "cut", &idx) != RH_OK);
    free(cut);
  }
  free(file);

  /* duplicate names are refused by the writer */
  rh_st_item dup[2] = {{"x", &a}, {"x", &b}};
  CHECK(rh_st_write(path, dup, 2, NULL, NULL, 0) == RH_EARG);

  /* hostile headers */
  float d4[4] = {1, 2, 3, 4};
  CHECK_OK(parse("{\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}", d4, 16));
  CHECK_OK(parse("{}", NULL, 0));
  CHECK(parse("{\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}", d4, 12) == RH_EFORMAT);
  CHECK(parse("{\"a\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]}}", d4, 16) == RH_EFORMAT);
  CHECK(strstr(rh_error(), "I64") && strstr(rh_error(), "F32 only"));
  CHECK(parse("{\"a\":{\"dtype\":\"F32\",\"shape\":[18446744073709551615],\"data_offsets\":[0,16]}}", d4, 16) ==
        RH_EFORMAT);
  CHECK(parse("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,18446744073709551615]}}", d4, 16) ==
        RH_EFORMAT);
  CHECK(parse("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[9223372036854775807,16]}}", d4, 16) ==
        RH_EFORMAT);
  CHECK(parse("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
              "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
              d4, 12) == RH_EFORMAT);
  CHECK(strstr(rh_error(), "overlap") != NULL);
  CHECK(parse("{\"__metadata__\":{\"a\":\"b\",\"a\":\"c\"}}", NULL, 0) == RH_EFORMAT);
  CHECK(parse("{\"__metadata__\":[]}", NULL, 0) == RH_EFORMAT);
  CHECK(parse("{\"a\":[]}", NULL, 0) == RH_EFORMAT);
  CHECK(parse("{\"a\\u0000b\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}", NULL, 0) == RH_EFORMAT);
  unsigned char big[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, '{', '}'};
  CHECK(rh_st_parse_buffer(big, sizeof big, "big", &idx) == RH_EFORMAT);
  CHECK(strstr(rh_error(), "big: header length") != NULL);

  unlink(path);
  rh_tensor_release(&a);
  rh_tensor_release(&b);
  rh_tensor_release(&got);
  return check_report();
}
