/* status.c - thread-local detail message for failed kernels. */
#include "status.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char rh_errbuf[512];

rh_status rh_fail(rh_status st, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(rh_errbuf, sizeof rh_errbuf, fmt, ap);
  va_end(ap);
  return st;
}

const char *rh_error(void) { return rh_errbuf; }

const char *rh_status_name(rh_status st) {
  switch (st) {
    case RH_OK: return "ok";
    case RH_ENOMEM: return "out of memory";
    case RH_EARG: return "bad argument";
    case RH_ESHAPE: return "shape mismatch";
    case RH_EIO: return "input/output error";
    case RH_EFORMAT: return "malformed file";
    case RH_EDEVICE: return "device error";
    case RH_ENUMERIC: return "numerical error";
    case RH_EINTERNAL: return "internal error";
  }
  return "unknown status";
}
