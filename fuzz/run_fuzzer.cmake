# Runs one libFuzzer target for SECONDS on a scratch copy of its corpus,
# with inputs up to MAX_LEN bytes (the target's .options).
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}/corpus")
file(COPY "${CORPUS}/" DESTINATION "${WORK}/corpus")
execute_process(COMMAND "${FUZZER}" -max_total_time=${SECONDS} -max_len=${MAX_LEN} -print_final_stats=1
                        "-artifact_prefix=${WORK}/" "${WORK}/corpus"
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${FUZZER} failed (${rc}); the crashing input is in ${WORK}/ (crash-*, leak-*, timeout-*, oom-*)")
endif()
