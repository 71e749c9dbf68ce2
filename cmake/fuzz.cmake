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

# the kernels again, instrumented; the CUDA forwarders (kernels/cuda/forward.c, part of
# RH_KERNEL_SRCS) answer "built without CUDA" in this CUDA-less tree
add_library(rhkernels_fuzz STATIC ${RH_KERNEL_SRCS})
target_include_directories(rhkernels_fuzz PUBLIC ${CMAKE_SOURCE_DIR}/kernels ${CBLAS_INCLUDE_DIR} ${LAPACKE_INCLUDE_DIR})
target_compile_options(rhkernels_fuzz PRIVATE ${RH_FUZZ_FLAGS})
target_link_libraries(rhkernels_fuzz PUBLIC ${LAPACKE_LIBRARY} ${OPENBLAS_LIBRARY} ZLIB::ZLIB Threads::Threads m)

# the bindings too, for targets that drive Lua code (fuzz_options); linked statically, so a
# target that calls only kernels pulls in none of it
add_library(rhbindings_fuzz STATIC ${RH_BINDING_SRCS} ${RH_EMBED_C})
target_include_directories(rhbindings_fuzz PUBLIC ${CMAKE_SOURCE_DIR}/bindings ${LUA_INCLUDE_DIR})
target_compile_options(rhbindings_fuzz PRIVATE ${RH_FUZZ_FLAGS})
target_compile_definitions(rhbindings_fuzz PRIVATE RH_VERSION="${PROJECT_VERSION}")
target_link_libraries(rhbindings_fuzz PUBLIC rhkernels_fuzz ${LUA_LIBRARY} dl)

add_custom_target(fuzzers)
file(GLOB RH_FUZZ_SRCS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_*.c)
foreach(src ${RH_FUZZ_SRCS})
  get_filename_component(name ${src} NAME_WE)
  string(REGEX REPLACE "^fuzz_" "" topic ${name})
  add_executable(${name} ${src})
  target_compile_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -g)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_libraries(${name} PRIVATE rhbindings_fuzz)
  target_compile_definitions(${name} PRIVATE RH_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
  add_dependencies(fuzzers ${name})
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
