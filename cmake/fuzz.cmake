# libFuzzer targets: every tests/fuzz/fuzz_*.c, built against an instrumented copy of
# the kernels (so coverage reaches the parsers) with ASan and UBSan.
#   CC=clang-14 cmake -S . -B build-fuzz -DRANKHOST_FUZZ=ON -DRANKHOST_CUDA=OFF
#   cmake --build build-fuzz -j2 && ctest --test-dir build-fuzz -L fuzz
#   build-fuzz/fuzz_idx -max_total_time=30 new/ tests/fuzz/corpus/idx     # a longer run
# The normal targets in the same build tree stay uninstrumented.
# Each target also becomes a ctest (label "fuzz") that replays its seed corpus,
# tests/fuzz/corpus/<name without fuzz_>/, and then runs RANKHOST_FUZZ_RUNS new inputs
# (with the dictionary tests/fuzz/<name without fuzz_>.dict when there is one).
if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "RANKHOST_FUZZ needs clang (libFuzzer): configure with CC=clang-14, not ${CMAKE_C_COMPILER_ID}")
endif()
set(RANKHOST_FUZZ_RUNS 20000 CACHE STRING "New inputs each fuzz test runs under ctest")
set(RANKHOST_FUZZ_MAXLEN 4096 CACHE STRING "Largest input (bytes) the fuzz tests generate")
set(RH_FUZZ_FLAGS -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g)

# the kernels again, instrumented; CUDA twins answer "built without CUDA"
file(GLOB RH_FUZZ_NOCUDA CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/kernels/cuda/nocuda*.c)
add_library(rhkernels_fuzz STATIC ${RH_KERNEL_SRCS} ${RH_FUZZ_NOCUDA})
target_include_directories(rhkernels_fuzz PUBLIC ${CMAKE_SOURCE_DIR}/kernels ${CBLAS_INCLUDE_DIR} ${LAPACKE_INCLUDE_DIR})
target_compile_options(rhkernels_fuzz PRIVATE ${RH_FUZZ_FLAGS})
target_link_libraries(rhkernels_fuzz PUBLIC ${LAPACKE_LIBRARY} ${OPENBLAS_LIBRARY} ZLIB::ZLIB Threads::Threads m)

file(GLOB RH_FUZZ_SRCS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_*.c)
foreach(src ${RH_FUZZ_SRCS})
  get_filename_component(name ${src} NAME_WE)
  string(REGEX REPLACE "^fuzz_" "" topic ${name})
  add_executable(${name} ${src})
  target_compile_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -g)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_libraries(${name} PRIVATE rhkernels_fuzz)
  # new inputs go to a scratch folder in the build tree; the seed corpus stays untouched
  set(seed ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/${topic})
  set(scratch ${CMAKE_BINARY_DIR}/fuzz-corpus/${topic})
  file(MAKE_DIRECTORY ${scratch})
  set(dict)
  if(EXISTS ${CMAKE_SOURCE_DIR}/tests/fuzz/${topic}.dict)
    set(dict -dict=${CMAKE_SOURCE_DIR}/tests/fuzz/${topic}.dict)
  endif()
  add_test(NAME fuzz.${name} COMMAND ${name} -runs=${RANKHOST_FUZZ_RUNS} -max_len=${RANKHOST_FUZZ_MAXLEN} ${dict} ${scratch} ${seed})
  set_tests_properties(fuzz.${name} PROPERTIES LABELS "fuzz")
endforeach()
