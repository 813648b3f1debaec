# Runs Doxygen over the public headers and fails on any warning that is not
# in the list of known gaps, so no public name comes in without its
# documented contract, and the list only shrinks.
#   cmake -DDOXYGEN=<doxygen> -DDOXYFILE=<Doxyfile> -DLOG=<warnings.log>
#         -DKNOWN=docs/undocumented.txt -DROOT=<repository> [-DUPDATE=ON]
#         -P check_doxygen.cmake
# A warning is compared without its line number (which moves with every
# edit): "mailwire/smtp/reply.hpp: Member code (variable) of struct ... is
# not documented." UPDATE=ON rewrites KNOWN from the warnings of this run
# (after writing doc comments, to drop what they fixed).
cmake_minimum_required(VERSION 3.21)

file(REMOVE "${LOG}")
get_filename_component(_log_dir "${LOG}" DIRECTORY)
file(MAKE_DIRECTORY "${_log_dir}")
execute_process(COMMAND "${DOXYGEN}" "${DOXYFILE}" RESULT_VARIABLE rc OUTPUT_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "doxygen failed (${rc})")
endif()

set(warnings "")
if(EXISTS "${LOG}")
  file(STRINGS "${LOG}" lines)
  foreach(line IN LISTS lines)
    if(line MATCHES "^(.*):[0-9]+: (.*)$")
      set(file "${CMAKE_MATCH_1}")
      set(text "${CMAKE_MATCH_2}")
      string(REPLACE "${ROOT}/include/" "" file "${file}")
      string(REPLACE "${ROOT}/" "" file "${file}")
      list(APPEND warnings "${file}: ${text}")
    elseif(NOT line STREQUAL "")
      list(APPEND warnings "${line}")  # a warning about no file in particular
    endif()
  endforeach()
endif()
list(REMOVE_DUPLICATES warnings)
list(SORT warnings)

if(UPDATE)
  list(JOIN warnings "\n" body)
  file(WRITE "${ROOT}/${KNOWN}"
       "# Public names still without a /// comment (docs/check_doxygen.cmake).\n"
       "# Write the comment and delete the line; never add one.\n${body}\n")
  list(LENGTH warnings n)
  message(STATUS "${KNOWN}: ${n} known gap(s) written")
  return()
endif()

file(STRINGS "${ROOT}/${KNOWN}" known REGEX "^[^#]")
set(new "")
foreach(w IN LISTS warnings)
  list(FIND known "${w}" at)
  if(at EQUAL -1)
    list(APPEND new "${w}")
  endif()
endforeach()
set(fixed "")
foreach(k IN LISTS known)
  list(FIND warnings "${k}" at)
  if(at EQUAL -1)
    list(APPEND fixed "${k}")
  endif()
endforeach()
list(LENGTH warnings total)
list(LENGTH fixed nfixed)
if(nfixed GREATER 0)
  list(JOIN fixed "\n  " shown)
  message(STATUS "documented since ${KNOWN} was written (delete these lines):\n  ${shown}")
endif()
if(new)
  list(JOIN new "\n  " shown)
  message(FATAL_ERROR "Doxygen warnings (document these names, or fix the comment):\n  ${shown}")
endif()
message(STATUS "API reference built; ${total} known gap(s) left in ${KNOWN}")
