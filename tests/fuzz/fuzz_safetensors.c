/* fuzz_safetensors.c - libFuzzer target: the safetensors reader on arbitrary bytes.
 * Every accepted file's tensors are copied out too, so that an index that passed
 * validation but points outside the buffer would be caught by AddressSanitizer. */
#include <stdint.h>
#include <stdlib.h>

#include "safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  rh_st_index idx;
  if (rh_st_parse_buffer(data, size, "fuzz", &idx) != RH_OK) return 0;
  for (size_t i = 0; i < idx.n; i++) {
    const rh_st_entry *e = &idx.entries[i];
    size_t bytes = (size_t)(e->end - e->begin);
    float *dst = malloc(bytes ? bytes : 1);
    if (!dst) break;
    if (rh_st_copy_from_buffer(data, size, &idx, i, dst) != RH_OK) abort(); /* validated: must succeed */
    free(dst);
  }
  rh_st_index_free(&idx);
  return 0;
}
