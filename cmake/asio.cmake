# The optional Asio layer (include/mailwire/asio.hpp): where standalone Asio
# and Boost.Asio are, for its tests and examples only. Two INTERFACE targets,
# mailwire_asio_standalone and mailwire_asio_boost, made when found; both
# header-only here (Debian 12: libasio-dev; libboost-dev, whose Boost.System
# is header-only since 1.69). Their headers are SYSTEM includes so that
# -Werror applies to mailwire's code only. Not under -fno-exceptions: Asio
# then needs the program to define asio::detail::throw_exception, which a
# library must not do for it (docs/asio.md).
include_guard(GLOBAL)
find_package(Threads)
set(MAILWIRE_ASIO_FOUND OFF)
set(MAILWIRE_ASIO_BOOST_FOUND OFF)
if(CMAKE_CXX_FLAGS MATCHES "-fno-exceptions")
  message(STATUS "mailwire: the Asio layer's tests and examples are not built with -fno-exceptions")
  return()
endif()
find_path(MAILWIRE_ASIO_INCLUDE_DIR asio.hpp)
find_path(MAILWIRE_BOOST_ASIO_INCLUDE_DIR boost/asio.hpp)
if(MAILWIRE_ASIO_INCLUDE_DIR)
  set(MAILWIRE_ASIO_FOUND ON)
  add_library(mailwire_asio_standalone INTERFACE)
  target_include_directories(mailwire_asio_standalone SYSTEM INTERFACE "${MAILWIRE_ASIO_INCLUDE_DIR}")
  target_link_libraries(mailwire_asio_standalone INTERFACE Threads::Threads)
endif()
if(MAILWIRE_BOOST_ASIO_INCLUDE_DIR)
  set(MAILWIRE_ASIO_BOOST_FOUND ON)
  add_library(mailwire_asio_boost INTERFACE)
  target_include_directories(mailwire_asio_boost SYSTEM INTERFACE "${MAILWIRE_BOOST_ASIO_INCLUDE_DIR}")
  target_compile_definitions(mailwire_asio_boost INTERFACE MAILWIRE_ASIO_BOOST)
  target_link_libraries(mailwire_asio_boost INTERFACE Threads::Threads)
endif()
if(NOT MAILWIRE_ASIO_FOUND AND NOT MAILWIRE_ASIO_BOOST_FOUND)
  message(STATUS "mailwire: neither Asio nor Boost.Asio found: the Asio layer's tests and examples are not "
                 "built (Debian: apt-get install libasio-dev libboost-dev)")
endif()
