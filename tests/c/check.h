/* check.h - a tiny assertion kit for the C unit tests (one program per test file).
 * CHECK(cond) records a failure and goes on; a test ends with `return check_report();`,
 * which prints "N passed, M failed" and returns 1 when anything failed. */
#ifndef RH_CHECK_H
#define RH_CHECK_H
#include <stdio.h>

extern int check_passed, check_failed;
void check_fail(const char *file, int line, const char *msg);
int check_report(void);
/* Max |a-b| over n floats, relative to max(1, |b|). */
double check_maxrel(const float *a, const float *b, long n);

#define CHECK(cond)                                  \
  do {                                               \
    if (cond)                                        \
      check_passed++;                                \
    else                                             \
      check_fail(__FILE__, __LINE__, #cond);         \
  } while (0)
#define CHECK_OK(expr) CHECK((expr) == RH_OK)
#define CHECK_NEAR(a, b, tol) CHECK(fabs((double)(a) - (double)(b)) <= (tol))
#endif
