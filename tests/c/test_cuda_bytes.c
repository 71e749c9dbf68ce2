/* test_cuda_bytes.c - the device byte store: without a device every entry reports a clear
 * RH_EDEVICE; with one, a gathered and scaled batch equals the CPU computation exactly. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cuda/bytes_cuda.h"
#include "cuda/device.h"

int main(void) {
  enum { N = 50, DIM = 37, B = 9 };
  uint8_t img[N * DIM], lab[N];
  for (int i = 0; i < N * DIM; i++) img[i] = (uint8_t)((i * 131 + 7) % 256);
  for (int i = 0; i < N; i++) lab[i] = (uint8_t)(i % 10);
  int64_t idx[B] = {3, 0, 49, 17, 17, 8, 21, 33, 1};

  if (rh_cuda_device_count() == 0) {
    void *d = (void *)1;
    CHECK(rh_cuda_bytes_upload(&d, img, sizeof img) == RH_EDEVICE);
    CHECK(d == NULL);
    CHECK(strstr(rh_error(), "CUDA") != NULL);
    printf("SKIP: no CUDA device (checked the error path only)\n");
    int rc = check_report();
    return rc ? rc : 77;
  }

  void *dimg, *dlab;
  CHECK_OK(rh_cuda_bytes_upload(&dimg, img, sizeof img));
  CHECK_OK(rh_cuda_bytes_upload(&dlab, lab, sizeof lab));
  rh_tensor x, y, hx, hy;
  CHECK_OK(rh_tensor_new2(&x, B, DIM, RH_CUDA));
  CHECK_OK(rh_tensor_new1(&y, B, RH_CUDA));
  CHECK_OK(rh_cuda_gather_u8(&x, &y, dimg, dlab, N, DIM, idx, B, 1.0f / 255.0f, 1.0f));
  CHECK_OK(rh_tensor_new2(&hx, B, DIM, RH_CPU));
  CHECK_OK(rh_tensor_new1(&hy, B, RH_CPU));
  CHECK_OK(rh_copy(&hx, &x));
  CHECK_OK(rh_copy(&hy, &y));
  int bad = 0;
  for (int i = 0; i < B; i++) {
    for (int j = 0; j < DIM; j++)
      if (rh_data(&hx)[i * DIM + j] != (1.0f / 255.0f) * (float)img[idx[i] * DIM + j]) bad++;
    if (rh_data(&hy)[i] != (float)lab[idx[i]] + 1.0f) bad++;
  }
  CHECK(bad == 0);
  int64_t out_of_range[1] = {N};
  rh_tensor row;
  CHECK_OK(rh_view_narrow(&row, &x, 0, 0, 1));
  CHECK(rh_cuda_gather_u8(&row, NULL, dimg, NULL, N, DIM, out_of_range, 1, 1.0f, 0.0f) == RH_EARG);
  CHECK(strstr(rh_error(), "out of range") != NULL);
  rh_tensor_release(&row);
  rh_tensor_release(&x);
  rh_tensor_release(&y);
  rh_tensor_release(&hx);
  rh_tensor_release(&hy);
  rh_cuda_bytes_free(dimg);
  rh_cuda_bytes_free(dlab);
  return check_report();
}
