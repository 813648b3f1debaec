// A policy server through mailwire's Asio layer (docs/asio.md): accepts mail
// for one domain only, up to 10 MB, with STARTTLS when given a certificate,
// and prints one line per message; an idle client is dropped after 5 min.
//   mailwire-asio-server PORT DOMAIN [CERT-AND-KEY.pem]    (on 127.0.0.1)
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include "asio_includes.hpp"  // <asio.hpp> and <asio/ssl.hpp>, or Boost's
#include "mailwire/asio.hpp"

namespace mw = mailwire::asio_layer;
namespace net = mw::net;
namespace smtp = mailwire::smtp;
using tcp = net::ip::tcp;

struct session {  // one connection and what its policy remembers
  session(tcp::socket s, net::ssl::context& tls, const smtp::server_options& o, std::string d)
      : stream(std::move(s), tls), timer(stream.get_executor()), server(o), domain(std::move(d)) {}
  net::ssl::stream<tcp::socket> stream;
  net::steady_timer timer;
  smtp::server server;
  std::string domain, to;
  std::size_t bytes = 0;

  void operator()(smtp::server& m, const smtp::server_event& e) {
    switch (e.type) {
      case smtp::server_event_type::mail: to.clear(), bytes = 0, m.accept(); break;
      case smtp::server_event_type::rcpt:
        if (e.cmd->address.domain != domain) {
          m.reject(550, smtp::enhanced_status{5, 7, 1}, "Relay denied");
          break;
        }
        to += (to.empty() ? "" : ",") + std::string(e.cmd->address.local_part);
        m.accept();
        break;
      case smtp::server_event_type::data_chunk: bytes += e.bytes.size(); break;
      case smtp::server_event_type::message:
        if (e.error != mailwire::errc::ok) break;  // too big or cut off: answered already
        std::cout << "accepted " << bytes << " bytes for " << to << (m.tls() ? " over TLS" : "") << std::endl;
        m.accept();
        break;
      default: break;
    }
  }
};

void accept_next(tcp::acceptor& acc, net::ssl::context& tls, const smtp::server_options& o, const std::string& d) {
  acc.async_accept([&acc, &tls, &o, d](mw::error_code ec, tcp::socket sock) {
    if (ec == net::error::operation_aborted) return;
    if (ec) {  // out of descriptors, say: try again in 100 ms, without spinning
      auto t = std::make_shared<net::steady_timer>(acc.get_executor(), std::chrono::milliseconds(100));
      return t->async_wait([&acc, &tls, &o, d, t](mw::error_code) { accept_next(acc, tls, o, d); });
    }
    auto s = std::make_shared<session>(std::move(sock), tls, o, d);
    mw::async_serve(s->stream, s->server, std::ref(*s), {&s->timer, mw::smtp_server_timeouts()},
                    [s](mw::error_code) { s->stream.lowest_layer().close(); });  // s lives until here
    accept_next(acc, tls, o, d);
  });
}

int main(int argc, char** argv) {
  char* end = nullptr;  // PORT 0: any free port (printed)
  const unsigned long port = argc >= 3 ? std::strtoul(argv[1], &end, 10) : 0;
  if (argc < 3 || argc > 4 || end == argv[1] || *end != '\0' || port > 65535)
    return std::cerr << "usage: mailwire-asio-server PORT DOMAIN [CERT-AND-KEY.pem]\n", 2;
  net::io_context io;
  net::ssl::context tls(net::ssl::context::tls_server);
  smtp::server_options opts;
  opts.max_message_size = 10'000'000;
  opts.offer_starttls = argc == 4;
  mw::error_code ec;  // a certificate that cannot be read is an error, not an exception
  if (opts.offer_starttls) tls.use_certificate_chain_file(argv[3], ec);
  if (opts.offer_starttls && !ec) tls.use_private_key_file(argv[3], net::ssl::context::pem, ec);
  if (ec) return std::cerr << argv[3] << ": " << ec.message() << '\n', 1;
  tcp::acceptor acc(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)));
  std::cout << "listening on 127.0.0.1:" << acc.local_endpoint().port() << std::endl;
  accept_next(acc, tls, opts, argv[2]);
  io.run();
}
