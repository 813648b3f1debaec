# Flags for mailwire's own tests, examples, benchmarks and fuzzers. They live
# on a private target so that nothing here ever reaches a consumer.
add_library(mailwire_dev_flags INTERFACE)
target_link_libraries(mailwire_dev_flags INTERFACE mailwire::mailwire)

if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
  target_compile_options(mailwire_dev_flags INTERFACE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
    -Wold-style-cast -Wimplicit-fallthrough -Wcast-qual -Wformat=2 -Wundef
    $<$<BOOL:${MAILWIRE_WERROR}>:-Werror>)
  if(MAILWIRE_SANITIZE)
    target_compile_options(mailwire_dev_flags INTERFACE
      -fsanitize=${MAILWIRE_SANITIZE} -fno-sanitize-recover=all -fno-omit-frame-pointer)
    target_link_options(mailwire_dev_flags INTERFACE -fsanitize=${MAILWIRE_SANITIZE})
  endif()
elseif(MSVC)
  target_compile_options(mailwire_dev_flags INTERFACE /W4 $<$<BOOL:${MAILWIRE_WERROR}>:/WX>)
endif()

# fmt is for examples, benchmarks and the fmt.hpp test; never for the library.
find_package(fmt CONFIG QUIET)
