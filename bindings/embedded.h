/* embedded.h - the Lua half of rankhost, compiled into the binary (cmake/embed_lua.cmake). */
#ifndef RH_EMBEDDED_H
#define RH_EMBEDDED_H
#include <stddef.h>

typedef struct rh_embedded_module {
  const char *name;  /* module name for require: "rankhost", "rankhost.nn", ... */
  const char *file;  /* source file name, for error messages */
  const char *src;
  size_t len;
} rh_embedded_module;

extern const rh_embedded_module rh_embedded_modules[];
#endif
