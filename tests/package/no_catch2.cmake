# The README's install recipe on a machine without Catch2: configuring
# mailwire as the top-level project (tests on by default) must succeed with
# a warning naming Catch2, and the install must hold the package.
#   cmake -DSOURCE_DIR=<repo> -DWORK_DIR=<dir> -DGENERATOR=<generator>
#         [-DMAKE_PROGRAM=<path>] [-DCXX_COMPILER=<path>] -P no_catch2.cmake
cmake_minimum_required(VERSION 3.21)

file(REMOVE_RECURSE "${WORK_DIR}")
include("${CMAKE_CURRENT_LIST_DIR}/toolchain.cmake")
# Examples off: they look for fmt and OpenSSL, which is not what this tests.
execute_process(
  COMMAND "${CMAKE_COMMAND}" -S "${SOURCE_DIR}" -B "${WORK_DIR}/build" -G "${GENERATOR}" ${toolchain}
          -DCMAKE_DISABLE_FIND_PACKAGE_Catch2=ON -DMAILWIRE_BUILD_EXAMPLES=OFF
  RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE errors)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "configure without Catch2 failed:\n${output}\n${errors}")
endif()
if(NOT errors MATCHES "Catch2 not found")
  message(FATAL_ERROR "configure without Catch2 did not warn about it:\n${errors}")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${WORK_DIR}/build" --prefix "${WORK_DIR}/prefix"
                COMMAND_ERROR_IS_FATAL ANY)
foreach(file IN ITEMS include/mailwire/mailwire.hpp share/cmake/mailwire/mailwireConfig.cmake
                      share/pkgconfig/mailwire.pc)
  if(NOT EXISTS "${WORK_DIR}/prefix/${file}")
    message(FATAL_ERROR "the install without Catch2 has no ${file}")
  endif()
endforeach()
