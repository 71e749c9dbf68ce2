# fuzz.cmake - libFuzzer targets (option RANKHOST_FUZZ, clang only): every
# tests/fuzz/fuzz_*.c becomes a program over the kernels built with
# -fsanitize=fuzzer-no-link,address,undefined, plus a short ctest run over its seed
# corpus tests/fuzz/corpus/<name without fuzz_>/. A long run is a documented command:
#   CC=clang-14 cmake -S . -B build-fuzz -DRANKHOST_FUZZ=ON -DRANKHOST_CUDA=OFF
#   cmake --build build-fuzz -j2 && build-fuzz/fuzz_idx -max_total_time=30 new/ tests/fuzz/corpus/idx
if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "RANKHOST_FUZZ needs clang (libFuzzer): configure with CC=clang-14")
endif()
set(RH_FUZZ_FLAGS -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined -g)
target_compile_options(rhkernels PUBLIC ${RH_FUZZ_FLAGS} -fsanitize=fuzzer-no-link)
target_link_options(rhkernels PUBLIC -fsanitize=address,undefined)
file(GLOB RH_FUZZ_SRCS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_*.c)
foreach(src ${RH_FUZZ_SRCS})
  get_filename_component(name ${src} NAME_WE)
  string(REGEX REPLACE "^fuzz_" "" corpus ${name})
  add_executable(${name} ${src})
  target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  target_link_libraries(${name} PRIVATE rhkernels)
  # new inputs go to the build folder; the seed corpus in the source tree is only read
  file(MAKE_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz-corpus/${corpus})
  add_test(NAME fuzz.${name}
           COMMAND ${name} -runs=20000 -max_len=4096 ${CMAKE_BINARY_DIR}/fuzz-corpus/${corpus}
                   ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/${corpus})
  set_tests_properties(fuzz.${name} PROPERTIES LABELS "fuzz")
endforeach()
