# Installs a configured mailwire build tree into an empty prefix, as a user or
# a distribution would (mailwire is header-only: nothing to build first).
#   cmake -DBUILD_DIR=<build tree> -DPREFIX=<prefix> -P install.cmake
# Emptying the prefix first keeps files from an earlier run from hiding a
# missing install rule.
file(REMOVE_RECURSE "${PREFIX}")
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${PREFIX}"
                COMMAND_ERROR_IS_FATAL ANY)
