/* atomic_file.h - durable file writes: a whole file written under a temporary name
 * and renamed into place, and whole-line appends; both fsync'd, so a crash at any
 * moment leaves either the old content or the new one, never a mixture.
 *
 * Used by the safetensors writer (kernels) and by rh.io / rh.log (bindings). */
#ifndef RH_ATOMIC_FILE_H
#define RH_ATOMIC_FILE_H

#include <stddef.h>

#include "status.h"

typedef struct rh_atomic_file {
  int fd;            /* the temporary file, -1 when closed */
  char *path;        /* the final name */
  char *tmp;         /* the temporary name: path + ".tmp.XXXXXX", same directory */
} rh_atomic_file;

/* Creates the temporary file beside `path` (so that rename stays on one filesystem). */
rh_status rh_atomic_begin(rh_atomic_file *f, const char *path);
/* Writes all n bytes (looping over short writes and EINTR). */
rh_status rh_atomic_write(rh_atomic_file *f, const void *buf, size_t n);
/* fsync, close, rename over `path`, fsync the directory. Frees f; on failure the
 * temporary file is removed and `path` is untouched. */
rh_status rh_atomic_commit(rh_atomic_file *f);
/* Removes the temporary file and frees f (safe after commit, and twice). */
void rh_atomic_abort(rh_atomic_file *f);

/* Writes buf[0..n) to `path` atomically: begin + write + commit. */
rh_status rh_write_file_atomic(const char *path, const void *buf, size_t n);

/* write(2) of all n bytes on fd, retrying on EINTR and short writes; `what` names
 * the file in messages. */
rh_status rh_write_all(int fd, const void *buf, size_t n, const char *what);
/* fsync of the directory holding `path`, so that a rename or a new file survives a crash. */
rh_status rh_fsync_dir_of(const char *path);

#endif
