/* test_cuda_module.c - the CUDA backend is a module loaded on first use (kernels/cuda/
 * forward.c). CPU work and the cheap queries (tf32, memory, sync, releases) never load it.
 * In a CUDA build the module beside this program loads on any machine, GPU or not (cudart
 * loads without a driver): its table matches, every symbol it takes from the program
 * resolves, and the TF32 flag set before loading is handed over. In a build without CUDA
 * every entry point says so. Runs in both builds (never skips). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <string.h>

#include "check.h"
#include "cuda/api.h"
#include "ops.h"

int main(void) {
  CHECK(rh_cuda_module_path() == NULL);

  /* CPU work and the queries that must not load the module */
  rh_tensor a, b, c;
  CHECK_OK(rh_tensor_new2(&a, 3, 4, RH_CPU));
  CHECK_OK(rh_tensor_new2(&b, 4, 2, RH_CPU));
  CHECK_OK(rh_tensor_new2(&c, 3, 2, RH_CPU));
  CHECK_OK(rh_fill(&a, 1.0f));
  CHECK_OK(rh_fill(&b, 2.0f));
  CHECK_OK(rh_gemm(&c, &a, &b, 1.0f, 0.0f));
  CHECK(rh_data(&c)[5] == 8.0f);
  rh_cuda_set_tf32(1);
  CHECK(rh_cuda_tf32() == 1);
  CHECK_OK(rh_cuda_sync());
  size_t in_use = 1, cached = 1;
  rh_cuda_memory(&in_use, &cached);
  CHECK(in_use == 0 && cached == 0);
  rh_cuda_empty_cache();
  rh_cuda_free(NULL);
  rh_cuda_bytes_free(NULL);
  CHECK(rh_cuda_module_path() == NULL);

  if (!rh_cuda_compiled()) {
    CHECK(rh_cuda_load() == RH_EDEVICE);
    CHECK(strstr(rh_error(), "built without CUDA") != NULL);
    CHECK(rh_cuda_device_count() == 0);
    void *p = (void *)1;
    CHECK(rh_cuda_alloc(&p, 16) == RH_EDEVICE && p == NULL);
    /* a generated forwarder: fails before looking at its arguments */
    rh_fail(RH_OK, "%s", "");
    CHECK(rh_cuda_gemm(&c, &a, &b, 1.0f, 0.0f) == RH_EDEVICE);
    CHECK(strstr(rh_error(), "built without CUDA") != NULL);
    CHECK(rh_cuda_module_path() == NULL);
  } else {
    rh_status st = rh_cuda_load();
    CHECK_OK(st);
    if (st != RH_OK) printf("module: %s\n", rh_error());
    const char *path = rh_cuda_module_path();
    CHECK(path && strstr(path, "/librankhost_cuda.so"));
    /* the module's own table: the flag set before loading reached it, and later changes do */
    void *h = path ? dlopen(path, RTLD_NOW | RTLD_NOLOAD) : NULL;
    CHECK(h != NULL);
    const rh_cuda_api *(*get)(void) = h ? (const rh_cuda_api *(*)(void))dlsym(h, RH_CUDA_API_SYMBOL) : NULL;
    CHECK(get != NULL);
    if (get) {
      const rh_cuda_api *t = get();
      CHECK(t->version == RH_CUDA_API_VERSION && t->size == sizeof *t);
      CHECK(t->rh_cuda_tf32() == 1);
      rh_cuda_set_tf32(0);
      CHECK(t->rh_cuda_tf32() == 0);
      CHECK(t->rh_cuda_device_count() == rh_cuda_device_count());
    }
    if (h) dlclose(h); /* drops the NOLOAD reference only */
    if (rh_cuda_device_count() == 0) {
      void *p = (void *)1;
      CHECK(rh_cuda_alloc(&p, 16) == RH_EDEVICE && p == NULL);
      CHECK(strstr(rh_error(), "no CUDA device") != NULL);
    } else {
      void *p = NULL;
      CHECK_OK(rh_cuda_alloc(&p, 16));
      CHECK(p != NULL);
      rh_cuda_memory(&in_use, &cached);
      CHECK(in_use >= 16);
      rh_cuda_free(p);
    }
  }
  rh_tensor_release(&a);
  rh_tensor_release(&b);
  rh_tensor_release(&c);
  return check_report();
}
