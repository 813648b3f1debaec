# Checks a replay build's input cap: an input of exactly MAX_LEN bytes runs,
# one of MAX_LEN + 1 is turned away by the target's own guard (so a
# replayed or merged oversized file cannot stall anything).
#   cmake -DREPLAY=<fuzz_x built with main.cpp> -DMAX_LEN=<n> -DWORK=<dir> -P check_cap.cmake
cmake_minimum_required(VERSION 3.25)
file(MAKE_DIRECTORY "${WORK}")
# Bytes that every target reads as some valid input: options bytes, then text.
string(REPEAT "A" ${MAX_LEN} at_cap)
file(WRITE "${WORK}/at_cap" "${at_cap}")
file(WRITE "${WORK}/over_cap" "${at_cap}A")
foreach(_case at_cap over_cap)
  execute_process(COMMAND "${REPLAY}" "${WORK}/${_case}" RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _err)
  if(_case STREQUAL "at_cap")
    set(_want "replayed 1 inputs, 0 over the cap")
    set(_ok 0)
  else()
    set(_want "replayed 1 inputs, 1 over the cap")
    set(_ok 1)
  endif()
  if(NOT _out MATCHES "${_want}" OR NOT _rc EQUAL _ok)
    message(FATAL_ERROR "${_case} (${MAX_LEN} cap): want '${_want}' and exit ${_ok}, got exit ${_rc}:\n${_out}${_err}")
  endif()
endforeach()
