# Checks the installed mailwire.pc: pkg-config must give the include directory
# and the version, and the consumer's main.cpp must build with nothing but
# `<c++> $(pkg-config --cflags mailwire) -std=c++17` and run.
#   cmake -DPREFIX=<prefix> -DCXX=<compiler> -DVERSION=<x.y.z> -DSOURCE=<main.cpp>
#         -DWORK_DIR=<dir> -P pkgconfig.cmake
# Prints "SKIPPED:" (a skip for ctest) when pkg-config is not installed.
find_program(PKG_CONFIG NAMES pkg-config pkgconf)
if(NOT PKG_CONFIG)
  message("SKIPPED: pkg-config is not installed, mailwire.pc was not checked")
  return()
endif()

set(ENV{PKG_CONFIG_PATH} "${PREFIX}/share/pkgconfig")
function(pkg_config out)
  execute_process(COMMAND "${PKG_CONFIG}" ${ARGN} mailwire
                  OUTPUT_VARIABLE value OUTPUT_STRIP_TRAILING_WHITESPACE COMMAND_ERROR_IS_FATAL ANY)
  set(${out} "${value}" PARENT_SCOPE)
endfunction()

pkg_config(version --modversion)
if(NOT version STREQUAL VERSION)
  message(FATAL_ERROR "pkg-config --modversion mailwire: '${version}', expected '${VERSION}'")
endif()

# The include path is written relative to the .pc file, so compare it resolved.
pkg_config(cflags --cflags)
separate_arguments(cflags UNIX_COMMAND "${cflags}")
set(include_dirs "")
foreach(flag IN LISTS cflags)
  if(flag MATCHES "^-I(.+)")
    file(REAL_PATH "${CMAKE_MATCH_1}" dir)
    list(APPEND include_dirs "${dir}")
  endif()
endforeach()
file(REAL_PATH "${PREFIX}/include" expected)
if(NOT include_dirs STREQUAL expected)
  message(FATAL_ERROR "pkg-config --cflags mailwire: '${cflags}', expected -I${expected}")
endif()

file(MAKE_DIRECTORY "${WORK_DIR}")
set(exe "${WORK_DIR}/pkgconfig_consumer")
execute_process(COMMAND "${CXX}" ${cflags} -std=c++17 "-DCONSUMER_EXPECTED_VERSION=\"${VERSION}\""
                        "${SOURCE}" -o "${exe}"
                COMMAND_ECHO STDOUT COMMAND_ERROR_IS_FATAL ANY)
execute_process(COMMAND "${exe}" COMMAND_ERROR_IS_FATAL ANY)
