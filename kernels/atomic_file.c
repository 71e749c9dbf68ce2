/* atomic_file.c - temporary file + fsync + rename, and the write/fsync helpers. */
#include "atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

rh_status rh_write_all(int fd, const void *buf, size_t n, const char *what) {
  const char *p = buf;
  while (n > 0) {
    ssize_t k = write(fd, p, n);
    if (k < 0) {
      if (errno == EINTR) continue;
      return rh_fail(RH_EIO, "%s: write failed: %s", what, strerror(errno));
    }
    p += k;
    n -= (size_t)k;
  }
  return RH_OK;
}

rh_status rh_fsync_dir_of(const char *path) {
  const char *slash = strrchr(path, '/');
  char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
  if (!dir) return rh_fail(RH_ENOMEM, "out of memory");
  int fd = open(dir, O_RDONLY | O_DIRECTORY);
  rh_status st = RH_OK;
  if (fd < 0) {
    st = rh_fail(RH_EIO, "%s: cannot open directory: %s", dir, strerror(errno));
  } else {
    /* some filesystems refuse fsync on a directory (EINVAL): nothing more can be done */
    if (fsync(fd) != 0 && errno != EINVAL) st = rh_fail(RH_EIO, "%s: fsync failed: %s", dir, strerror(errno));
    close(fd);
  }
  free(dir);
  return st;
}

rh_status rh_atomic_begin(rh_atomic_file *f, const char *path) {
  memset(f, 0, sizeof *f);
  f->fd = -1;
  size_t n = strlen(path);
  if (n == 0) return rh_fail(RH_EARG, "empty file name");
  f->path = strdup(path);
  f->tmp = malloc(n + 16);
  if (!f->path || !f->tmp) {
    rh_atomic_abort(f);
    return rh_fail(RH_ENOMEM, "out of memory");
  }
  snprintf(f->tmp, n + 16, "%s.tmp.XXXXXX", path);
  f->fd = mkstemp(f->tmp);
  if (f->fd < 0) {
    rh_status st = rh_fail(RH_EIO, "%s: cannot create a temporary file beside it: %s", path, strerror(errno));
    free(f->tmp);
    f->tmp = NULL; /* nothing to remove */
    rh_atomic_abort(f);
    return st;
  }
  /* mkstemp makes 0600; results are ordinary files: honour the umask like fopen does */
  mode_t um = umask(0);
  umask(um);
  fchmod(f->fd, 0666 & ~um);
  return RH_OK;
}

rh_status rh_atomic_write(rh_atomic_file *f, const void *buf, size_t n) {
  if (f->fd < 0) return rh_fail(RH_EARG, "write to a closed atomic file");
  return rh_write_all(f->fd, buf, n, f->path);
}

rh_status rh_atomic_commit(rh_atomic_file *f) {
  rh_status st = RH_OK;
  if (f->fd < 0) return rh_fail(RH_EARG, "commit of a closed atomic file");
  if (fsync(f->fd) != 0) st = rh_fail(RH_EIO, "%s: fsync failed: %s", f->path, strerror(errno));
  if (close(f->fd) != 0 && st == RH_OK) st = rh_fail(RH_EIO, "%s: close failed: %s", f->path, strerror(errno));
  f->fd = -1;
  if (st == RH_OK && rename(f->tmp, f->path) != 0)
    st = rh_fail(RH_EIO, "%s: cannot rename the temporary file into place: %s", f->path, strerror(errno));
  if (st != RH_OK) {
    rh_atomic_abort(f);
    return st;
  }
  free(f->tmp);
  f->tmp = NULL;
  st = rh_fsync_dir_of(f->path);
  rh_atomic_abort(f);
  return st;
}

void rh_atomic_abort(rh_atomic_file *f) {
  if (f->fd >= 0) close(f->fd);
  f->fd = -1;
  if (f->tmp) unlink(f->tmp);
  free(f->tmp);
  free(f->path);
  f->tmp = f->path = NULL;
}

rh_status rh_write_file_atomic(const char *path, const void *buf, size_t n) {
  rh_atomic_file f;
  rh_status st = rh_atomic_begin(&f, path);
  if (st != RH_OK) return st;
  if ((st = rh_atomic_write(&f, buf, n)) != RH_OK) {
    rh_atomic_abort(&f);
    return st;
  }
  return rh_atomic_commit(&f);
}
