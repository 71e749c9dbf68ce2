# C unit tests: tests/c/test_*.c, each its own program linked against the kernels; one
# labelled "bindings" drives the Lua bindings from C and is linked against them too.
# Lua tests: tests/lua/test_*.lua, each run by the rankhost program under ctest.
# GPU tests: tests/gpu/test_*.lua; they print "SKIP" and exit 77 when no device is present.
# Extra labels: a test file whose first or second line (after a #! line) is a comment
# "-- label: NAME[,NAME...]" ("# label: nosan", "/* label: nosan */") gets those besides its
# folder's. "nosan" marks a test a sanitizer cannot apply to (valgrind, mpirun): the
# sanitizer build runs ctest -LE nosan.
function(rh_file_labels src folder out)
  file(STRINGS ${src} head LIMIT_COUNT 2)
  set(labels ${folder})
  foreach(line ${head})
    if(line MATCHES "^(--|#|/\\*) *label: *([A-Za-z0-9_, ]+)")
      string(REPLACE "," ";" extra "${CMAKE_MATCH_2}")
      foreach(l ${extra})
        string(STRIP "${l}" l)
        if(l)
          list(APPEND labels ${l})
        endif()
      endforeach()
    endif()
  endforeach()
  set(${out} "${labels}" PARENT_SCOPE)
endfunction()

set(RH_SOURCE_DIR ${CMAKE_SOURCE_DIR})
# tests that measure memory skip their bounds under ASan (its quarantine keeps freed blocks)
set(RH_SANITIZED_ENV "")
if(RANKHOST_SANITIZE)
  set(RH_SANITIZED_ENV ";RH_SANITIZED=1")
endif()

file(GLOB RH_CTEST_SRCS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/c/test_*.c)
foreach(src ${RH_CTEST_SRCS})
  get_filename_component(name ${src} NAME_WE)
  rh_file_labels(${src} c labels)
  add_executable(${name} ${src} ${CMAKE_SOURCE_DIR}/tests/c/check.c)
  target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/tests/c)
  if("bindings" IN_LIST labels)
    target_link_libraries(${name} PRIVATE rhbindings)
  else()
    target_link_libraries(${name} PRIVATE rhkernels)
  endif()
  add_test(NAME c.${name} COMMAND ${name})
  set_tests_properties(c.${name} PROPERTIES ENVIRONMENT "RH_SOURCE=${CMAKE_SOURCE_DIR}" SKIP_RETURN_CODE 77 LABELS "${labels}")
endforeach()

file(GLOB RH_LUATEST_SRCS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/lua/test_*.lua)
foreach(src ${RH_LUATEST_SRCS})
  get_filename_component(name ${src} NAME_WE)
  rh_file_labels(${src} lua labels)
  add_test(NAME lua.${name} COMMAND rankhost ${src} WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
  set_tests_properties(lua.${name} PROPERTIES
    ENVIRONMENT "RH_SOURCE=${CMAKE_SOURCE_DIR};RH_BUILD=${CMAKE_BINARY_DIR};RANKHOST=$<TARGET_FILE:rankhost>;LUA_PATH=${CMAKE_SOURCE_DIR}/tests/lua/?.lua\\;\\;${RH_SANITIZED_ENV}"
    SKIP_RETURN_CODE 77 LABELS "${labels}")
endforeach()

file(GLOB RH_GPUTEST_SRCS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/gpu/test_*.lua)
foreach(src ${RH_GPUTEST_SRCS})
  get_filename_component(name ${src} NAME_WE)
  rh_file_labels(${src} gpu labels)
  add_test(NAME gpu.${name} COMMAND rankhost ${src} WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
  set_tests_properties(gpu.${name} PROPERTIES
    ENVIRONMENT "RH_SOURCE=${CMAKE_SOURCE_DIR};LUA_PATH=${CMAKE_SOURCE_DIR}/tests/lua/?.lua\\;\\;"
    SKIP_RETURN_CODE 77 LABELS "${labels}")
endforeach()

# Shell-driven tests: tests/sh/test_*.sh, run with the rankhost binary in $RANKHOST.
file(GLOB RH_SHTEST_SRCS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/sh/test_*.sh)
foreach(src ${RH_SHTEST_SRCS})
  get_filename_component(name ${src} NAME_WE)
  rh_file_labels(${src} sh labels)
  add_test(NAME sh.${name} COMMAND bash ${src} WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
  set_tests_properties(sh.${name} PROPERTIES
    ENVIRONMENT "RH_SOURCE=${CMAKE_SOURCE_DIR};RH_BUILD=${CMAKE_BINARY_DIR};RANKHOST=$<TARGET_FILE:rankhost>${RH_SANITIZED_ENV}"
    SKIP_RETURN_CODE 77 LABELS "${labels}")
endforeach()
