// The harness of docs/asio.md's fragments (`<!-- fragment: asio -->`, see
// docs/code_blocks.cmake): the names the guide's snippets use, declared
// only (the fragments are compiled, never linked or run). The guide's
// whole programs are examples/asio/*.cpp, built and tested on their own.
#ifndef MAILWIRE_DOCS_HARNESS_ASIO_HPP
#define MAILWIRE_DOCS_HARNESS_ASIO_HPP

#include <asio.hpp>
#include <mailwire/asio.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace net = asio;
namespace mw = mailwire::asio_layer;

extern net::ip::tcp::socket stream;
extern mailwire::smtp::client client;
extern std::vector<mw::outgoing> msgs;
extern mailwire::pop3::client pop3_client;

#endif  // MAILWIRE_DOCS_HARNESS_ASIO_HPP
