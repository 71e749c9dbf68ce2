/* api.h - the table of function pointers through which the program calls the CUDA
 * module (librankhost_cuda.so): one field per entry of the lists of the *_cuda.h headers,
 * so that a signature is written once (see device.h). The module exports one symbol,
 * rh_cuda_api_get (api_cuda.c); the program's forwarders (forward.c) call through it. */
#ifndef RH_CUDA_API_H
#define RH_CUDA_API_H

#include "bytes_cuda.h"
#include "device.h"
#include "linalg_cuda.h"
#include "nn_cuda.h"
#include "ops_cuda.h"

/* Every entry point of the CUDA backend, in one list. */
#define RH_CUDA_API(X) RH_CUDA_DEVICE_API(X) RH_CUDA_OPS_API(X) RH_CUDA_NN_API(X) RH_CUDA_LINALG_API(X) RH_CUDA_BYTES_API(X)

/* Bumped when the meaning of an entry changes without its signature changing; a change of
 * the list changes the table's size. The program refuses a module whose version or size
 * differ from its own (a module left over from another build). */
#define RH_CUDA_API_VERSION 1

#define RH_CUDA_API_FIELD(kind, ret, name, params, args) ret(*name) params;
typedef struct rh_cuda_api {
  int version;
  size_t size; /* sizeof(rh_cuda_api) in the module */
  RH_CUDA_API(RH_CUDA_API_FIELD)
} rh_cuda_api;

/* The symbol the program looks up in the module. */
#define RH_CUDA_API_SYMBOL "rh_cuda_api_get"
const rh_cuda_api *rh_cuda_api_get(void);

#endif
