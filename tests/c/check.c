/* check.c - see check.h */
#include "check.h"

#include <math.h>

int check_passed, check_failed;

void check_fail(const char *file, int line, const char *msg) {
  check_failed++;
  fprintf(stderr, "%s:%d: check failed: %s\n", file, line, msg);
}

int check_report(void) {
  printf("%d passed, %d failed\n", check_passed, check_failed);
  return check_failed ? 1 : 0;
}

double check_maxrel(const float *a, const float *b, long n) {
  double worst = 0;
  for (long i = 0; i < n; i++) {
    double d = fabs((double)a[i] - (double)b[i]) / fmax(1.0, fabs((double)b[i]));
    if (d > worst || isnan(d)) worst = isnan(d) ? INFINITY : d;
  }
  return worst;
}
