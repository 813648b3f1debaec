// The Asio headers the Asio examples use: standalone Asio, or Boost.Asio
// when MAILWIRE_ASIO_BOOST is defined (the examples are built both ways).
#ifndef MAILWIRE_EXAMPLES_ASIO_INCLUDES_HPP
#define MAILWIRE_EXAMPLES_ASIO_INCLUDES_HPP
#if defined(MAILWIRE_ASIO_BOOST)
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#else
#include <asio.hpp>
#include <asio/ssl.hpp>
#endif
#endif  // MAILWIRE_EXAMPLES_ASIO_INCLUDES_HPP
