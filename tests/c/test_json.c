/* test_json.c - the strict JSON parser and the number/string writers against
 * hand-checked expectations. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "json.h"

static int parses(const char *s) {
  rh_json j;
  rh_status st = rh_json_parse(s, strlen(s), &j, NULL);
  if (st == RH_OK) rh_json_free(&j);
  return st == RH_OK;
}

int main(void) {
  const char *good[] = {"0", "-0", "1e5", "-1.25E-3", "\"\"", "[]", "{}", " [ 1 , { \"a\" : [ ] } ] ", "null",
                        "\"\\ud83d\\ude00\"", "\"\xe2\x82\xac\"", "1234567890123456789012345"};
  for (size_t i = 0; i < sizeof good / sizeof *good; i++) CHECK(parses(good[i]));
  const char *bad[] = {"", " ", "[", "]", "[1,]", "{\"a\"}", "01", "1.", ".1", "+1", "1e", "--1", "\"\\u12\"",
                       "\"\\ud800x\"", "\"\x80\"", "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "nul", "[1]]", "{1:2}",
                       "\"a\nb\"", "1e400", "\"\\U0041\""};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    if (parses(bad[i])) fprintf(stderr, "accepted: %s\n", bad[i]);
    CHECK(!parses(bad[i]));
  }

  /* the tree: values, keys, order, integer vs float */
  const char *src = "{\"n\": -42, \"f\": 2.5, \"s\": \"a\\u0000b\", \"l\": [true, false, null]}";
  rh_json j;
  CHECK_OK(rh_json_parse(src, strlen(src), &j, NULL));
  const rh_jnode *root = rh_json_root(&j);
  CHECK(root->type == RH_JOBJECT && root->len == 4);
  const rh_jnode *n = rh_json_child(&j, root);
  CHECK(n->keylen == 1 && n->key[0] == 'n' && n->is_int && n->i == -42);
  const rh_jnode *f = rh_json_next(&j, n);
  CHECK(f->type == RH_JNUMBER && !f->is_int && f->num == 2.5);
  const rh_jnode *s = rh_json_next(&j, f);
  CHECK(s->type == RH_JSTRING && s->len == 3 && memcmp(s->str, "a\0b", 3) == 0);
  const rh_jnode *l = rh_json_next(&j, s);
  CHECK(l->type == RH_JARRAY && l->len == 3 && rh_json_next(&j, l) == NULL);
  const rh_jnode *e = rh_json_child(&j, l);
  CHECK(e->type == RH_JTRUE);
  e = rh_json_next(&j, e);
  CHECK(e->type == RH_JFALSE);
  CHECK(rh_json_next(&j, e)->type == RH_JNULL);
  rh_json_free(&j);

  /* error positions */
  size_t pos;
  const char *b2 = "[1,\n 2,\n x]";
  CHECK(rh_json_parse(b2, strlen(b2), &j, &pos) == RH_EFORMAT);
  CHECK(pos == 9);
  CHECK(strstr(rh_error(), "line 3, column 2") != NULL);

  /* nesting limit: refused, not a stack overflow */
  size_t deep = 100000;
  char *d = malloc(2 * deep);
  memset(d, '[', deep);
  memset(d + deep, ']', deep);
  CHECK(rh_json_parse(d, 2 * deep, &j, NULL) == RH_EFORMAT);
  CHECK(strstr(rh_error(), "nesting") != NULL);
  free(d);

  /* a NUL-free input that is not NUL-terminated is read within its bounds */
  char unterminated[3] = {'1', '2', '3'};
  CHECK_OK(rh_json_parse(unterminated, 2, &j, NULL));
  CHECK(rh_json_root(&j)->i == 12);
  rh_json_free(&j);

  /* shortest round-trip numbers */
  char buf[64];
  double vals[] = {0.1, 1.0 / 3.0, 1e300, -2.5e-310, 123456789.0, 0.1 + 0.2};
  for (size_t i = 0; i < sizeof vals / sizeof *vals; i++) {
    rh_json_fmt_double(buf, sizeof buf, vals[i]);
    CHECK(strtod(buf, NULL) == vals[i]);
  }
  rh_json_fmt_double(buf, sizeof buf, 0.1);
  CHECK(strcmp(buf, "0.1") == 0);
  rh_json_fmt_float(buf, sizeof buf, 0.1f);
  CHECK(strcmp(buf, "0.1") == 0);
  rh_json_fmt_float(buf, sizeof buf, 1.0f / 3.0f);
  CHECK(strtof(buf, NULL) == 1.0f / 3.0f);

  /* quoting, and sizing with n = 0 */
  const char *raw = "a\"\\\n\x01";
  size_t need = rh_json_quote(NULL, 0, raw, strlen(raw));
  CHECK(need == strlen("\"a\\\"\\\\\\n\\u0001\""));
  char q[64];
  rh_json_quote(q, sizeof q, raw, strlen(raw));
  CHECK(strcmp(q, "\"a\\\"\\\\\\n\\u0001\"") == 0);
  CHECK(rh_json_valid_utf8("\xc3\xa9", 2) && !rh_json_valid_utf8("\xc3", 1) && !rh_json_valid_utf8("\xc0\x80", 2));
  return check_report();
}
