/* api_cuda.c - the module's side of api.h: the table of its entry points, the only symbol
 * librankhost_cuda.so exports (the rest is local: see CMakeLists.txt's version script, so
 * that the module's calls between its own rh_cuda_* functions stay inside it instead of
 * going back through the program's forwarders of the same names). */
#include "api.h"

#define RH_CUDA_API_ENTRY(kind, ret, name, params, args) .name = name,

const rh_cuda_api *rh_cuda_api_get(void) {
  static const rh_cuda_api table = {.version = RH_CUDA_API_VERSION,
                                    .size = sizeof(rh_cuda_api),
                                    RH_CUDA_API(RH_CUDA_API_ENTRY)};
  return &table;
}
