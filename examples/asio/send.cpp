// Sends one message, read from standard input, over SMTP submission with
// STARTTLS and AUTH, through mailwire's Asio layer (docs/asio.md). Built with
// standalone Asio, or Boost.Asio with MAILWIRE_ASIO_BOOST.
//   mailwire-asio-send HOST PORT CA-FILE USER PASSWORD FROM TO < message.eml
// Exit 0: sent; 1: refused or failed (the reason on stderr); 2: usage.
#include <cstdio>
#include <iostream>

#include "asio_includes.hpp"  // <asio.hpp> and <asio/ssl.hpp>, or Boost's
#include "mailwire/asio.hpp"

namespace mw = mailwire::asio_layer;
namespace net = mw::net;

int main(int argc, char** argv) {
  if (argc != 8) return std::cerr << "usage: mailwire-asio-send HOST PORT CA-FILE USER PASSWORD FROM TO\n", 2;
  net::io_context io;
  net::ssl::context tls(net::ssl::context::tls_client);
  mw::error_code ec;  // a CA file that cannot be read is an error, not an exception
  if (tls.load_verify_file(argv[3], ec), ec) return std::cerr << argv[3] << ": " << ec.message() << '\n', 1;
  tls.set_verify_mode(net::ssl::verify_peer);
  net::ssl::stream<net::ip::tcp::socket> stream(io, tls);
  stream.set_verify_callback(net::ssl::host_name_verification(argv[1]));
  const auto endpoints = net::ip::tcp::resolver(io).resolve(argv[1], argv[2], ec);
  if (!ec) net::connect(stream.next_layer(), endpoints, ec);
  mailwire::smtp::client_options opts;
  opts.tls = mailwire::tls_policy::required;  // STARTTLS or nothing
  opts.username = argv[4];
  opts.password = argv[5];
  mailwire::smtp::client client(opts);
  std::vector<mw::outgoing> msgs(1);
  msgs[0].from = argv[6];
  msgs[0].to = {argv[7]};
  char buf[64 * 1024];  // the body, streamed from stdin
  msgs[0].body = [&buf] { return std::string_view(buf, std::fread(buf, 1, sizeof buf, stdin)); };
  net::steady_timer timer(io);
  if (!ec) mw::async_send(stream, client, msgs, {&timer, mw::smtp_client_timeouts()}, [&](mw::error_code e) { ec = e; });
  io.run();
  for (const mw::reply_info& r : msgs[0].message) std::cout << "message: " << r.code << ' ' << r.text << '\n';
  if (ec) std::cerr << "error: " << ec.message() << '\n';
  return ec || !msgs[0].sent() ? 1 : 0;
}
