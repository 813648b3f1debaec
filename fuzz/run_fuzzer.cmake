# Runs one libFuzzer target for SECONDS on a scratch copy of its corpus.
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
file(COPY "${CORPUS}/" DESTINATION "${WORK}")
execute_process(COMMAND "${FUZZER}" -max_total_time=${SECONDS} -print_final_stats=1 "${WORK}"
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${FUZZER} failed (${rc}); the crashing input is in the working directory")
endif()
