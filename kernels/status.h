/* status.h - the status every kernel returns, and the message that explains it.
 *
 * Kernels never raise, exit or print. A failing kernel returns a status other than
 * RH_OK and leaves a human-readable detail in a thread-local buffer (rh_error()),
 * which the Lua bindings put into the error they raise. */
#ifndef RH_STATUS_H
#define RH_STATUS_H

typedef enum rh_status {
  RH_OK = 0,
  RH_ENOMEM,    /* an allocation failed */
  RH_EARG,      /* a bad argument: value out of range, wrong dimension count */
  RH_ESHAPE,    /* shapes that do not fit together */
  RH_EIO,       /* a file could not be opened, read or written */
  RH_EFORMAT,   /* a file's content is malformed or hostile */
  RH_EDEVICE,   /* the device is missing, or tensors on different devices */
  RH_ENUMERIC,  /* NaN/Inf input, or a numerical routine that did not converge */
  RH_EINTERNAL  /* a library call failed in a way that is not the caller's fault */
} rh_status;

/* Sets the detail message (printf-style) and returns `st`, so that a kernel can
 * `return rh_fail(RH_ESHAPE, "shapes %dx%d and %dx%d do not match", ...)`. */
rh_status rh_fail(rh_status st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* The detail message of the last failure on this thread ("" if none). */
const char *rh_error(void);

/* A short generic name for a status ("out of memory", "shape mismatch", ...). */
const char *rh_status_name(rh_status st);

#endif
