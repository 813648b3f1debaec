// The Asio layer (include/mailwire/asio.hpp) over loopback TCP on
// 127.0.0.1: mailwire's own server machine on one end (async_serve), the
// client machine on the other (async_send). Compiled four times: standalone
// Asio and Boost.Asio (MAILWIRE_ASIO_BOOST), C++17 (callbacks, use_future)
// and C++20 (coroutines too).
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "catch.hpp"

#if defined(MAILWIRE_ASIO_BOOST)
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#if defined(BOOST_ASIO_HAS_CO_AWAIT)
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#define MAILWIRE_TEST_COROUTINES 1
#endif
#define MAILWIRE_TEST_FLAVOUR "[boost]"
#else
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/post.hpp>
#include <asio/use_future.hpp>
#include <asio/write.hpp>
#if defined(ASIO_HAS_CO_AWAIT)
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#define MAILWIRE_TEST_COROUTINES 1
#endif
#define MAILWIRE_TEST_FLAVOUR "[standalone]"
#endif

#include "mailwire/asio.hpp"

namespace {

using namespace mailwire;
namespace mwa = mailwire::asio_layer;
namespace net = mailwire::asio_layer::net;
using tcp = net::ip::tcp;

// A connected pair of sockets on 127.0.0.1.
struct loopback {
  net::io_context io;
  tcp::socket client{io};
  tcp::socket server{io};
  loopback() {
    tcp::acceptor acc(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    client.connect(acc.local_endpoint());
    acc.accept(server);
  }
};

// What the server side saw, and its policy.
struct inbox {
  std::vector<std::string> messages;
  std::string current;
  std::string refuse_rcpt;  // RCPT of this local part gets 550
  mwa::error_code done;
  bool finished = false;
};

auto policy(inbox& box) {
  return [&box](smtp::server& s, const smtp::server_event& e) {
    using kind = smtp::server_event_type;
    switch (e.type) {
      case kind::mail: s.accept(); break;
      case kind::rcpt:
        if (!box.refuse_rcpt.empty() && e.cmd->address.local_part == box.refuse_rcpt) {
          s.reject(550, smtp::enhanced_status{5, 1, 1}, "No such user");
        } else {
          s.accept();
        }
        break;
      case kind::data_chunk: box.current.append(e.bytes); break;
      case kind::message:
        if (e.error == errc::ok) s.accept();
        box.messages.push_back(std::move(box.current));
        box.current.clear();
        break;
      default: break;
    }
  };
}

smtp::client_options plain_client() {
  smtp::client_options o;
  o.hostname = "client.test";
  o.tls = tls_policy::none;
  return o;
}

mwa::outgoing message(std::string body, std::vector<std::string> to = {"bob@example.org"}) {
  mwa::outgoing m;
  m.from = "alice@example.org";
  m.to = std::move(to);
  m.body = mwa::body_of(std::move(body));
  return m;
}

// Both ends: the server machine run by async_serve with policy(), the
// client machine for async_send with `msgs`; each completion recorded.
struct exchange : loopback {
  smtp::server srv;
  inbox box;
  smtp::client c;
  std::vector<mwa::outgoing> msgs;
  mwa::error_code result = mwa::to_error_code(errc::invalid_state);
  bool called = false;

  explicit exchange(smtp::server_options so = {}, smtp::client_options co = plain_client())
      : srv(std::move(so)), c(std::move(co)) {}
  void serve(const mwa::session_options& o = {}) {
    mwa::async_serve(server, srv, policy(box), o, [this](mwa::error_code ec) {
      box.done = ec;
      box.finished = true;
    });
  }
  void send(const mwa::session_options& o = {}) {
    mwa::async_send(client, c, msgs, o, [this](mwa::error_code ec) {
      result = ec;
      called = true;
    });
  }
};

mwa::session_options with_timer(net::steady_timer& timer) {
  mwa::session_options o;
  o.timer = &timer;
  o.limits.read = std::chrono::milliseconds(50);
  return o;
}

}  // namespace

TEST_CASE("asio: async_send delivers two messages to async_serve (callbacks)", "[asio]" MAILWIRE_TEST_FLAVOUR) {
  exchange x;
  x.serve();
  x.msgs.push_back(message("Subject: one\r\n\r\nfirst\r\n"));
  x.msgs.push_back(message("Subject: two\r\n\r\n.leading dot\r\nsecond\r\n", {"bob@example.org", "carol@example.org"}));
  x.send();
  x.io.run();
  REQUIRE(x.called);
  CHECK_FALSE(x.result);
  CHECK(x.box.finished);
  CHECK_FALSE(x.box.done);
  REQUIRE(x.box.messages.size() == 2);
  CHECK(x.box.messages[0] == "Subject: one\r\n\r\nfirst\r\n");
  CHECK(x.box.messages[1] == "Subject: two\r\n\r\n.leading dot\r\nsecond\r\n");
  CHECK(x.msgs[0].sent());
  CHECK(x.msgs[1].sent());
  CHECK(x.msgs[1].rcpt.size() == 2);
  CHECK(x.msgs[1].rcpt[1].code == 250);
  CHECK(x.msgs[0].message.size() == 1);
  CHECK(x.msgs[0].message[0].code == 250);
  CHECK(x.srv.closed());
  CHECK(x.c.closed());
}

TEST_CASE("asio: a refused recipient and a bad address are reported per message", "[asio]" MAILWIRE_TEST_FLAVOUR) {
  exchange x;
  x.box.refuse_rcpt = "nobody";
  x.serve();
  x.msgs.push_back(message("x\r\n", {"nobody@example.org", "bob@example.org"}));
  x.msgs.push_back(message("y\r\n", {"not an address"}));
  x.msgs.push_back(message("z\r\n", {"nobody@example.org"}));
  x.msgs.push_back(message("w\r\n"));
  x.send();
  x.io.run();
  CHECK_FALSE(x.result);
  CHECK(x.msgs[0].rcpt[0].code == 550);
  CHECK(x.msgs[0].rcpt[1].code == 250);
  CHECK(x.msgs[0].sent());  // delivered to the one accepted
  CHECK(x.msgs[1].error == errc::smtp_bad_path);
  CHECK_FALSE(x.msgs[1].sent());
  CHECK(x.msgs[2].rcpt[0].code == 550);
  CHECK_FALSE(x.msgs[2].sent());  // no recipient: DATA/BDAT refused
  REQUIRE_FALSE(x.msgs[2].message.empty());
  CHECK(x.msgs[2].message[0].code >= 500);
  CHECK(x.msgs[3].sent());
  REQUIRE(x.box.messages.size() == 2);
  CHECK(x.box.messages[0] == "x\r\n");
  CHECK(x.box.messages[1] == "w\r\n");
}

TEST_CASE("asio: a large body is pulled piece by piece, not held whole", "[asio]" MAILWIRE_TEST_FLAVOUR) {
  smtp::server_options so;
  so.chunking = GENERATE(true, false);  // BDAT and DATA
  // A 16 KiB read does not fit: feed() takes part, the rest is fed next.
  so.max_buffered = 2048;
  exchange x(so);
  x.serve();
  // 4 MiB in 4 KiB pieces; the source counts how far ahead of the server
  // it was asked to go.
  const std::string piece = std::string(4094, 'a') + "\r\n";
  const std::size_t pieces = 1024;
  std::size_t given = 0;
  std::size_t max_ahead = 0;
  x.msgs.resize(1);
  x.msgs[0].from = "<>";
  x.msgs[0].to = {"bob@example.org"};
  x.msgs[0].body = [&]() -> std::string_view {
    if (given == pieces) return {};
    const std::size_t ahead = (given + 1) * piece.size() - x.box.current.size();
    if (ahead > max_ahead) max_ahead = ahead;
    ++given;
    return piece;
  };
  x.send();
  x.io.run();
  CHECK_FALSE(x.result);
  REQUIRE(x.box.messages.size() == 1);
  CHECK(x.box.messages[0].size() == pieces * piece.size());
  CHECK(x.msgs[0].sent());
  // At most the low-water mark, a piece, and what the kernel buffers hold
  // ahead: never the whole 4 MiB.
  CHECK(max_ahead < pieces * piece.size());
}

TEST_CASE("asio: a silent server times out with the caller's timer", "[asio]" MAILWIRE_TEST_FLAVOUR) {
  exchange x;  // nobody serves: no greeting ever comes
  net::steady_timer timer(x.io);
  x.msgs.push_back(message("x\r\n"));
  const auto t0 = std::chrono::steady_clock::now();
  x.send(with_timer(timer));
  x.io.run();
  CHECK(x.result == mwa::error_code(net::error::timed_out));
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
  CHECK(x.msgs[0].message.empty());
}

TEST_CASE("asio: an idle client times out on the server side", "[asio]" MAILWIRE_TEST_FLAVOUR) {
  exchange x;
  net::steady_timer timer(x.io);
  x.serve(with_timer(timer));
  x.io.run();
  CHECK(x.box.finished);
  CHECK(x.box.done == mwa::error_code(net::error::timed_out));
  // The greeting was written before the wait began.
  char buf[64];
  mwa::error_code ec;
  const std::size_t n = x.client.read_some(net::buffer(buf), ec);
  CHECK(std::string(buf, n).rfind("220 ", 0) == 0);
}

TEST_CASE("asio: closing the socket cancels the operation", "[asio]" MAILWIRE_TEST_FLAVOUR) {
  exchange x;  // no greeting: the client waits
  x.msgs.push_back(message("x\r\n"));
  x.send();
  net::post(x.io, [&] { x.client.close(); });
  x.io.run();
  CHECK(x.called);
  CHECK(x.result == mwa::error_code(net::error::operation_aborted));
}

#if !defined(MAILWIRE_ASIO_BOOST)  // Boost 1.74 has no cancellation slots
TEST_CASE("asio: a cancellation slot bound to the token stops the operation", "[asio]" MAILWIRE_TEST_FLAVOUR) {
  exchange x;  // no greeting: the client waits
  x.msgs.push_back(message("x\r\n"));
  net::cancellation_signal stop;
  mwa::async_send(x.client, x.c, x.msgs, net::bind_cancellation_slot(stop.slot(), [&x](mwa::error_code ec) {
                    x.result = ec;
                    x.called = true;
                  }));
  net::post(x.io, [&stop] { stop.emit(net::cancellation_type::terminal); });
  x.io.run();
  CHECK(x.called);
  CHECK(x.result == mwa::error_code(net::error::operation_aborted));
  CHECK(x.client.is_open());  // the stream is still the caller's
}
#endif

TEST_CASE("asio: a server event the handler leaves unanswered ends async_serve", "[asio]" MAILWIRE_TEST_FLAVOUR) {
  exchange x;
  mwa::async_serve(x.server, x.srv, [](smtp::server&, const smtp::server_event&) {}, mwa::session_options{},
                   [&x](mwa::error_code ec) {
                     x.box.done = ec;
                     x.server.close();  // the client then sees EOF
                   });
  x.msgs.push_back(message("x\r\n"));
  x.send();
  x.io.run();
  CHECK(x.box.done == mwa::to_error_code(errc::invalid_state));
  CHECK(x.result);
}

TEST_CASE("asio: the server closing mid-session is errc::truncated", "[asio]" MAILWIRE_TEST_FLAVOUR) {
  exchange x;
  const std::string greeting = "220 hi\r\n";
  net::write(x.server, net::buffer(greeting));
  x.server.shutdown(tcp::socket::shutdown_send);  // EOF after the greeting
  x.msgs.push_back(message("x\r\n"));
  x.send();
  x.io.run();
  CHECK(x.result == mwa::to_error_code(errc::truncated));
}

TEST_CASE("asio: a plain stream cannot do STARTTLS", "[asio]" MAILWIRE_TEST_FLAVOUR) {
  smtp::server_options so;
  so.offer_starttls = true;
  smtp::client_options co = plain_client();
  co.tls = tls_policy::required;
  exchange x(so, co);
  x.serve();
  x.msgs.push_back(message("x\r\n"));
  x.send();
  x.io.run();
  CHECK(x.result == mwa::to_error_code(errc::tls_unavailable));
  CHECK(x.box.messages.empty());
}

TEST_CASE("asio: LMTP gets one reply per accepted recipient", "[asio]" MAILWIRE_TEST_FLAVOUR) {
  smtp::server_options so;
  so.lmtp = true;
  smtp::client_options co = plain_client();
  co.lmtp = true;
  exchange x(so, co);
  inbox& box = x.box;
  mwa::async_serve(x.server, x.srv,
                   [&box](smtp::server& s, const smtp::server_event& e) {
                     using kind = smtp::server_event_type;
                     if (e.type == kind::message) {
                       for (std::size_t i = 0; i < e.recipients; ++i) {
                         if (i == 0) {
                           s.reply_recipient(250, smtp::enhanced_status{2, 0, 0}, "ok");
                         } else {
                           s.reply_recipient(452, smtp::enhanced_status{4, 2, 2}, "full");
                         }
                       }
                       box.messages.push_back(std::move(box.current));
                       return;
                     }
                     if (e.type == kind::mail || e.type == kind::rcpt) s.accept();
                     if (e.type == kind::data_chunk) box.current.append(e.bytes);
                   },
                   mwa::session_options{}, [&box](mwa::error_code ec) { box.done = ec; });
  x.msgs.push_back(message("one\r\n", {"bob@example.org", "carol@example.org"}));
  x.msgs.push_back(message("two\r\n"));
  mwa::session_options o;
  o.lmtp = true;
  x.send(o);
  x.io.run();
  CHECK_FALSE(x.result);
  REQUIRE(x.msgs[0].message.size() == 2);
  CHECK(x.msgs[0].message[0].code == 250);
  CHECK(x.msgs[0].message[1].code == 452);
  CHECK_FALSE(x.msgs[0].sent());
  CHECK(x.msgs[1].sent());
  CHECK(box.messages.size() == 2);
}

TEST_CASE("asio: use_future", "[asio]" MAILWIRE_TEST_FLAVOUR) {
  exchange x;
  x.serve();
  x.msgs.push_back(message("f\r\n"));
  auto f = mwa::async_send(x.client, x.c, x.msgs, net::use_future);
  std::thread t([&] { x.io.run(); });
  // The future throws the error_code if there is one; none comes.
  f.get();
  t.join();
  CHECK(x.msgs[0].sent());
  CHECK(x.box.messages.size() == 1);
}

#if defined(MAILWIRE_TEST_COROUTINES)
TEST_CASE("asio: C++20 coroutines", "[asio][coroutines]" MAILWIRE_TEST_FLAVOUR) {
  exchange x;
  x.msgs.push_back(message("co\r\n"));
  x.msgs.push_back(message("await\r\n"));
  net::co_spawn(
      x.io,
      [&]() -> net::awaitable<void> {
        mwa::error_code ec;
        co_await mwa::async_serve(x.server, x.srv, policy(x.box), mwa::session_options{},
                                  net::redirect_error(net::use_awaitable, ec));
        x.box.done = ec;
        x.box.finished = true;
      },
      net::detached);
  net::co_spawn(
      x.io,
      [&]() -> net::awaitable<void> {
        mwa::error_code ec;
        co_await mwa::async_send(x.client, x.c, x.msgs, net::redirect_error(net::use_awaitable, ec));
        x.result = ec;
      },
      net::detached);
  x.io.run();
  CHECK_FALSE(x.result);
  CHECK(x.box.finished);
  CHECK_FALSE(x.box.done);
  REQUIRE(x.box.messages.size() == 2);
  CHECK(x.box.messages[1] == "await\r\n");
}
#endif

namespace {

// A stand-in for ssl::stream with the shape the layer detects (handshake_type,
// next_layer()), whose "TLS" is the identity: it records what the handshake
// was given, so the switch point can be checked byte for byte.
class fake_tls_stream {
 public:
  enum handshake_type { client, server };
  using executor_type = tcp::socket::executor_type;
  explicit fake_tls_stream(tcp::socket& s) : s_(s) {}
  executor_type get_executor() { return s_.get_executor(); }
  tcp::socket& next_layer() { return s_; }
  tcp::socket& lowest_layer() { return s_; }
  template <class Buffers, class Handler>
  void async_read_some(const Buffers& b, Handler&& h) {
    s_.async_read_some(b, std::forward<Handler>(h));
  }
  template <class Buffers, class Handler>
  void async_write_some(const Buffers& b, Handler&& h) {
    s_.async_write_some(b, std::forward<Handler>(h));
  }
  template <class Buffers, class Handler>
  void async_handshake(handshake_type, const Buffers& b, Handler&& h) {
    given.assign(static_cast<const char*>(b.data()), b.size());
    handshakes++;
    net::post(s_.get_executor(), [h = std::forward<Handler>(h), n = b.size()]() mutable { h(mwa::error_code(), n); });
  }
  template <class Handler>
  void async_handshake(handshake_type, Handler&& h) {
    handshakes++;
    net::post(s_.get_executor(), [h = std::forward<Handler>(h)]() mutable { h(mwa::error_code()); });
  }
  std::string given;
  int handshakes = 0;

 private:
  tcp::socket& s_;
};

}  // namespace

TEST_CASE("asio: the server hands the bytes after STARTTLS to the handshake", "[asio]" MAILWIRE_TEST_FLAVOUR) {
  smtp::server_options so;
  so.offer_starttls = true;
  exchange x(so);
  fake_tls_stream tls(x.server);
  mwa::async_serve(tls, x.srv, policy(x.box), mwa::session_options{}, [&x](mwa::error_code ec) {
    x.box.done = ec;
    x.server.close();  // the peer's last read ends
  });
  // The client pipelines its first TLS bytes behind STARTTLS (one write),
  // then, "inside TLS" (the identity here), sends a message.
  const std::string hello = "\x16\x03\x01 not SMTP: MAIL FROM:<evil@example.org>\r\n";
  const std::string script = "EHLO c\r\nSTARTTLS\r\n" + hello;
  const std::string after = "EHLO c\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n"
                            "tls\r\n.\r\nQUIT\r\n";
  net::write(x.client, net::buffer(script));
  std::string seen;
  std::thread peer([&x, &seen, &after] {
    char buf[4096];
    mwa::error_code ec;
    while (seen.find("220 2.0.0") == std::string::npos && !ec) seen.append(buf, x.client.read_some(net::buffer(buf), ec));
    net::write(x.client, net::buffer(after), ec);
    while (!ec) seen.append(buf, x.client.read_some(net::buffer(buf), ec));
  });
  x.io.run();
  peer.join();
  CHECK_FALSE(x.box.done);
  CHECK(tls.handshakes == 1);
  CHECK(tls.given == hello);  // never parsed as SMTP
  CHECK(x.srv.tls());
  REQUIRE(x.box.messages.size() == 1);
  CHECK(x.box.messages[0] == "tls\r\n");
}

#if defined(MAILWIRE_TEST_TLS_PEM)
#if defined(MAILWIRE_ASIO_BOOST)
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/streambuf.hpp>
#else
#include <asio/read_until.hpp>
#include <asio/ssl.hpp>
#include <asio/streambuf.hpp>
#endif

namespace {

// The server's key and certificate and the client's trust in it, from one
// self-signed PEM (CN=localhost). Set before the streams are made: an SSL
// object takes its certificate from the context when it is created.
struct tls_contexts {
  net::ssl::context server_ctx{net::ssl::context::tls_server};
  net::ssl::context client_ctx{net::ssl::context::tls_client};
  explicit tls_contexts(bool trusted) {
    server_ctx.use_certificate_chain_file(MAILWIRE_TEST_TLS_PEM);
    server_ctx.use_private_key_file(MAILWIRE_TEST_TLS_PEM, net::ssl::context::pem);
    if (trusted) client_ctx.load_verify_file(MAILWIRE_TEST_TLS_PEM);
    client_ctx.set_verify_mode(net::ssl::verify_peer);
  }
};

// Both ends over ssl::stream.
struct tls_exchange : loopback, tls_contexts {
  net::ssl::stream<tcp::socket&> server_tls{server, server_ctx};
  net::ssl::stream<tcp::socket&> client_tls{client, client_ctx};
  smtp::server srv;
  inbox box;
  smtp::client c;
  std::vector<mwa::outgoing> msgs;
  mwa::error_code result = mwa::to_error_code(errc::invalid_state);

  tls_exchange(smtp::server_options so, smtp::client_options co, bool trusted = true)
      : tls_contexts(trusted), srv(std::move(so)), c(std::move(co)) {}
  void run(const mwa::session_options& so = {}, const mwa::session_options& co = {}) {
    mwa::async_serve(server_tls, srv, policy(box), so, [this](mwa::error_code ec) {
      box.done = ec;
      box.finished = true;
    });
    mwa::async_send(client_tls, c, msgs, co, [this](mwa::error_code ec) { result = ec; });
    io.run();
  }
};

// A server offering STARTTLS, a client requiring it.
std::unique_ptr<tls_exchange> starttls_pair(bool trusted = true) {
  smtp::server_options so;
  so.offer_starttls = true;
  smtp::client_options co = plain_client();
  co.tls = tls_policy::required;
  return std::make_unique<tls_exchange>(so, co, trusted);
}

}  // namespace

TEST_CASE("asio: STARTTLS through ssl::stream", "[asio][tls]" MAILWIRE_TEST_FLAVOUR) {
  auto x = starttls_pair();
  x->msgs.push_back(message("secret\r\n"));
  x->run();
  CHECK_FALSE(x->result);
  CHECK_FALSE(x->box.done);
  CHECK(x->srv.tls());
  CHECK(x->c.tls());
  REQUIRE(x->box.messages.size() == 1);
  CHECK(x->box.messages[0] == "secret\r\n");
  CHECK(x->msgs[0].sent());
}

TEST_CASE("asio: implicit TLS (port 465)", "[asio][tls]" MAILWIRE_TEST_FLAVOUR) {
  smtp::server_options so;
  so.tls_active = true;
  smtp::client_options co = plain_client();
  co.tls = tls_policy::implicit;
  auto x = std::make_unique<tls_exchange>(so, co);
  x->msgs.push_back(message("implicit\r\n"));
  mwa::session_options o;
  o.implicit_tls = true;
  x->run(o, o);
  CHECK_FALSE(x->result);
  CHECK(x->srv.tls());
  REQUIRE(x->box.messages.size() == 1);
  CHECK(x->msgs[0].sent());
}

TEST_CASE("asio: a certificate the client does not trust fails the handshake", "[asio][tls]" MAILWIRE_TEST_FLAVOUR) {
  auto x = starttls_pair(false);  // no trust anchor
  x->msgs.push_back(message("never\r\n"));
  x->run();
  CHECK(x->result);
  CHECK(x->result.category() != mwa::to_error_code(errc::ok).category());
  CHECK(x->box.messages.empty());
}

TEST_CASE("asio: plain text injected after the 220 to STARTTLS ends the session", "[asio][tls]"
          MAILWIRE_TEST_FLAVOUR) {
  smtp::client_options co = plain_client();
  co.tls = tls_policy::required;
  auto x = std::make_unique<tls_exchange>(smtp::server_options{}, co);
  // A fake server on its own thread: EHLO offers STARTTLS, the 220 comes
  // with a line the attacker appended. Sent together or a moment apart,
  // the client must not parse it.
  const bool apart = GENERATE(false, true);
  std::thread peer([&x, apart] {
    net::streambuf in;
    mwa::error_code ec;
    net::write(x->server, net::buffer(std::string("220 fake\r\n")), ec);
    net::read_until(x->server, in, "\r\n", ec);
    net::write(x->server, net::buffer(std::string("250-fake\r\n250 STARTTLS\r\n")), ec);
    in.consume(in.size());
    net::read_until(x->server, in, "\r\n", ec);
    if (!apart) {
      net::write(x->server, net::buffer(std::string("220 go\r\n250 injected\r\n")), ec);
    } else {
      net::write(x->server, net::buffer(std::string("220 go\r\n")), ec);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      net::write(x->server, net::buffer(std::string("250 injected\r\n")), ec);
    }
  });
  x->msgs.push_back(message("never\r\n"));
  mwa::async_send(x->client_tls, x->c, x->msgs, [&x](mwa::error_code ec) { x->result = ec; });
  x->io.run();
  peer.join();
  // Apart, the handshake reads the line as a TLS record and fails; either
  // way the session ends and nothing is sent in plain text.
  if (!apart) CHECK(x->result == mwa::to_error_code(errc::data_after_starttls));
  CHECK(x->result);
  CHECK(x->msgs[0].mail.code == 0);
}
#endif

// ------------------------------------------------------------------ POP3

namespace {

// A maildrop served by pop3::server through async_serve: USER/PASS of
// "u"/"p" in clear (loopback), `messages` as the maildrop.
struct maildrop {
  std::vector<std::string> messages;
  std::uint32_t refuse = 0;  // RETR of this message number gets -ERR
  std::vector<std::uint32_t> retrieved;
  mwa::error_code done;
  bool finished = false;
};

auto pop3_policy(maildrop& d) {
  return [&d](pop3::server& s, const pop3::server_event& e) {
    using kind = pop3::server_event_type;
    switch (e.type) {
      case kind::login:
        if (e.user == "u" && e.password == "p") {
          s.accept();
        } else {
          s.reject(pop3::response_code::auth, "no");
        }
        break;
      case kind::open_maildrop: {
        std::vector<pop3::message_info> list;
        for (std::size_t i = 0; i < d.messages.size(); ++i) {
          list.push_back({d.messages[i].size(), "uid" + std::to_string(i + 1)});
        }
        s.open_maildrop(std::move(list));
        break;
      }
      case kind::retrieve:
        d.retrieved.push_back(e.message);
        if (e.message == d.refuse) {
          s.reject(pop3::response_code::none, "gone");
          break;
        }
        s.send_message(d.messages[e.message - 1]);
        s.end_message();
        break;
      case kind::update: s.accept(); break;
      default: break;
    }
  };
}

pop3::client_options pop3_client(std::string password = "p") {
  pop3::client_options o;
  o.tls = tls_policy::none;
  o.username = "u";
  o.password = std::move(password);
  o.method = pop3::login::user_pass;
  o.auth_policy.allow_cleartext_password = true;
  return o;
}

// What async_fetch's sink saw: each message's bytes, and which ended.
struct fetched {
  std::vector<std::string> bodies;
  std::vector<std::uint32_t> ended;
  std::size_t calls = 0;
  mwa::fetch_sink sink() {
    return [this](std::uint32_t n, std::string_view bytes, bool end) {
      ++calls;
      if (bodies.size() < n) bodies.resize(n);
      if (end) {
        CHECK(bytes.empty());
        ended.push_back(n);
      } else {
        bodies[n - 1].append(bytes);
      }
    };
  }
};

struct pop3_exchange : loopback {
  pop3::server srv;
  maildrop drop;
  pop3::client c;
  fetched got;
  mwa::fetch_sink sink = got.sink();
  mwa::error_code result = mwa::to_error_code(errc::invalid_state);
  bool called = false;

  explicit pop3_exchange(pop3::client_options co = pop3_client(), pop3::server_options so = pop3_server())
      : srv(std::move(so)), c(std::move(co)) {}
  static pop3::server_options pop3_server() {
    pop3::server_options o;
    o.allow_plaintext_auth = true;
    return o;
  }
  void serve() {
    mwa::async_serve(server, srv, pop3_policy(drop), mwa::session_options{}, [this](mwa::error_code ec) {
      drop.done = ec;
      drop.finished = true;
    });
  }
  void fetch() {
    mwa::async_fetch(client, c, sink, [this](mwa::error_code ec) {
      result = ec;
      called = true;
    });
  }
};

}  // namespace

TEST_CASE("asio: async_fetch gets every message over POP3 (callbacks)", "[asio][pop3]" MAILWIRE_TEST_FLAVOUR) {
  pop3_exchange x;
  // ".." at a line start: the server stuffs it, the client unstuffs it.
  x.drop.messages = {"Subject: one\r\n\r\nfirst\r\n", "Subject: two\r\n\r\n.dot\r\n", std::string(100000, 'x') + "\r\n"};
  x.serve();
  x.fetch();
  x.io.run();
  CHECK(x.called);
  CHECK_FALSE(x.result);
  CHECK(x.drop.finished);
  CHECK_FALSE(x.drop.done);
  CHECK(x.drop.retrieved == std::vector<std::uint32_t>{1, 2, 3});
  CHECK(x.got.ended == std::vector<std::uint32_t>{1, 2, 3});
  REQUIRE(x.got.bodies.size() == 3);
  CHECK(x.got.bodies == x.drop.messages);
  // The large one came in more than one piece: streamed, not gathered.
  CHECK(x.got.calls > 3 + 3);
}

TEST_CASE("asio: async_fetch keeps at most 16 RETRs in flight", "[asio][pop3]" MAILWIRE_TEST_FLAVOUR) {
  // 100 small messages and a pipelining server: were every RETR sent at
  // once, the server would have answered nearly all of them before the
  // client saw the first end.
  pop3_exchange x;
  for (int i = 1; i <= 100; ++i) x.drop.messages.push_back("Subject: " + std::to_string(i) + "\r\n\r\nbody\r\n");
  std::size_t most = 0;
  fetched& got = x.got;
  maildrop& drop = x.drop;
  x.sink = [&](std::uint32_t n, std::string_view bytes, bool end) {
    got.sink()(n, bytes, end);
    if (end) most = std::max(most, drop.retrieved.size() - got.ended.size() + 1);
  };
  x.serve();
  x.fetch();
  x.io.run();
  CHECK_FALSE(x.result);
  CHECK(x.got.ended.size() == 100);
  CHECK(x.got.bodies == x.drop.messages);
  CHECK(most <= 16);
  CHECK(most > 1);  // pipelined all the same
}

TEST_CASE("asio: async_fetch of an empty maildrop only lists and quits", "[asio][pop3]" MAILWIRE_TEST_FLAVOUR) {
  pop3_exchange x;
  x.serve();
  x.fetch();
  x.io.run();
  CHECK_FALSE(x.result);
  CHECK(x.drop.retrieved.empty());
  CHECK(x.got.calls == 0);
  CHECK_FALSE(x.drop.done);
}

TEST_CASE("asio: a RETR refused is reported and the other messages still come", "[asio][pop3]"
          MAILWIRE_TEST_FLAVOUR) {
  pop3_exchange x;
  x.drop.messages = {"a\r\n", "b\r\n", "c\r\n"};
  x.drop.refuse = 2;
  x.serve();
  x.fetch();
  x.io.run();
  CHECK(x.result == mwa::to_error_code(errc::unexpected_reply));
  CHECK(x.got.ended == std::vector<std::uint32_t>{1, 3});
  REQUIRE(x.got.bodies.size() == 3);
  CHECK(x.got.bodies[0] == "a\r\n");
  CHECK(x.got.bodies[1].empty());
  CHECK(x.got.bodies[2] == "c\r\n");
}

TEST_CASE("asio: a login refused ends async_fetch with the machine's error", "[asio][pop3]" MAILWIRE_TEST_FLAVOUR) {
  pop3_exchange x(pop3_client("wrong"));
  x.drop.messages = {"a\r\n"};
  x.serve();
  x.fetch();
  x.io.run();
  CHECK(x.result == mwa::to_error_code(errc::sasl_auth_failed));
  CHECK(x.drop.retrieved.empty());
  CHECK(x.got.calls == 0);
}

TEST_CASE("asio: a POP3 server closing mid-message is an error, the message unended", "[asio][pop3]"
          MAILWIRE_TEST_FLAVOUR) {
  pop3_exchange x;
  // A hand-written server, a command at a time (no CAPA: no pipelining):
  // the login, a listing, then half a message and EOF.
  x.fetch();
  std::thread t([&] {
    net::write(x.server, net::buffer(std::string("+OK hi\r\n")));
    std::string seen;
    char b[256];
    mwa::error_code ec;
    for (;;) {
      const std::size_t eol = seen.find("\r\n");
      if (eol == std::string::npos) {
        const std::size_t n = x.server.read_some(net::buffer(b), ec);
        if (ec) break;
        seen.append(b, n);
        continue;
      }
      const std::string line = seen.substr(0, eol);
      seen.erase(0, eol + 2);
      std::string answer = "+OK\r\n";
      if (line == "CAPA") answer = "-ERR no\r\n";
      if (line == "UIDL") answer = "+OK\r\n1 uidA\r\n.\r\n";
      if (line == "RETR 1") answer = "+OK 10 octets\r\nhalf";
      net::write(x.server, net::buffer(answer), ec);
      if (ec || line == "RETR 1") break;
    }
    x.server.close();
  });
  x.io.run();
  t.join();
  CHECK(x.called);
  CHECK(x.result == mwa::to_error_code(errc::truncated));
  CHECK(x.got.ended.empty());
  REQUIRE(x.got.bodies.size() == 1);
  CHECK(x.got.bodies[0] == "half");
}

TEST_CASE("asio: a POP3 server without UIDL ends async_fetch with extension_missing", "[asio][pop3]"
          MAILWIRE_TEST_FLAVOUR) {
  pop3::server_options so = pop3_exchange::pop3_server();
  so.uidl = false;
  pop3_exchange x(pop3_client(), so);
  x.drop.messages = {"a\r\n"};
  x.serve();
  x.fetch();
  x.io.run();
  CHECK(x.result == mwa::to_error_code(errc::extension_missing));
  CHECK(x.drop.retrieved.empty());
  CHECK_FALSE(x.drop.done);  // QUIT ended the session cleanly
}

TEST_CASE("asio: an empty sink reads the messages and drops them", "[asio][pop3]" MAILWIRE_TEST_FLAVOUR) {
  pop3_exchange x;
  x.drop.messages = {"a\r\n", "b\r\n"};
  x.sink = nullptr;
  x.serve();
  x.fetch();
  x.io.run();
  CHECK(x.called);
  CHECK_FALSE(x.result);
  CHECK(x.drop.retrieved == std::vector<std::uint32_t>{1, 2});
}

TEST_CASE("asio: async_fetch with use_future", "[asio][pop3]" MAILWIRE_TEST_FLAVOUR) {
  pop3_exchange x;
  x.drop.messages = {"f\r\n"};
  x.serve();
  auto f = mwa::async_fetch(x.client, x.c, x.sink, net::use_future);
  std::thread t([&] { x.io.run(); });
  f.get();  // throws the error_code if there is one
  t.join();
  CHECK(x.got.ended == std::vector<std::uint32_t>{1});
  CHECK(x.got.bodies[0] == "f\r\n");
}

#if defined(MAILWIRE_TEST_COROUTINES)
TEST_CASE("asio: async_fetch with C++20 coroutines", "[asio][pop3][coroutines]" MAILWIRE_TEST_FLAVOUR) {
  pop3_exchange x;
  x.drop.messages = {"co\r\n", "await\r\n"};
  x.serve();
  net::co_spawn(
      x.io,
      [&]() -> net::awaitable<void> {
        mwa::error_code ec;
        co_await mwa::async_fetch(x.client, x.c, x.sink, net::redirect_error(net::use_awaitable, ec));
        x.result = ec;
      },
      net::detached);
  x.io.run();
  CHECK_FALSE(x.result);
  CHECK(x.got.bodies == x.drop.messages);
}
#endif

// ------------------------------------------------------------------ IMAP

namespace {

// One mailbox, "INBOX", served by imap::server through async_serve: LOGIN
// of "u"/"p" in clear (loopback); UID = 100 + sequence number (so that a
// sink given sequence numbers would be caught); each FETCH body sent in
// pieces of 1000 bytes, one a paused event.
struct imap_store {
  std::vector<std::string> messages;
  std::vector<std::uint32_t> fetched_uids;  // the UIDs the server sent bodies for
  bool examined = false;
  bool read_only = false;  // the client asked for EXAMINE, not SELECT
  bool peek = false;       // the FETCH was UID FETCH of BODY.PEEK[] alone
  std::size_t cut_at = 0;  // not 0: the last body stops there, the connection shut
  bool shut_on_fetch = false;  // the connection shut when the FETCH comes, unanswered
  tcp::socket* sock = nullptr;
  mwa::error_code done = mwa::to_error_code(errc::invalid_state);
  bool finished = false;
};

class imap_peer {
 public:
  explicit imap_peer(imap_store& st) : st_(&st) {}

  void operator()(imap::server& s, const imap::server_event& e) {
    using kind = imap::server_event_type;
    switch (e.type) {
      case kind::login:
        if (e.user == "u" && e.password == "p") {
          CHECK(s.accept_login() == errc::ok);
        } else {
          CHECK(s.reject_login(imap::code_kind::authenticationfailed, "no") == errc::ok);
        }
        return;
      case kind::paused: return go_on(s);
      case kind::command: return command(s, e);
      default: return;
    }
  }

 private:
  void command(imap::server& s, const imap::server_event& e) {
    const imap::command& c = *e.cmd;
    tag_ = std::string(e.tag);
    switch (c.type) {
      case imap::command_type::select:
      case imap::command_type::examine: {
        st_->read_only = c.type == imap::command_type::examine;
        if (std::get<imap::select_args>(c.args).mailbox != "INBOX") {
          CHECK(s.complete(e.tag, imap::status_kind::no, imap::code_kind::nonexistent, "No such mailbox") ==
                errc::ok);
          return;
        }
        st_->examined = true;
        imap::response r;
        r.type = imap::response_type::exists;
        r.number = static_cast<std::uint32_t>(st_->messages.size());
        CHECK(s.untagged(r) == errc::ok);
        r.clear();
        r.code.kind = imap::code_kind::uidvalidity;
        r.code.number = 42;
        r.text = "UIDs valid";
        CHECK(s.untagged(r) == errc::ok);
        r.code.kind = imap::code_kind::uidnext;
        r.code.number = st_->messages.size() + 101;
        r.text = "Predicted next UID";
        CHECK(s.untagged(r) == errc::ok);
        CHECK(s.complete(e.tag, imap::status_kind::ok, imap::code_kind::read_only, "Examine completed") == errc::ok);
        return;
      }
      case imap::command_type::fetch: {
        if (st_->shut_on_fetch) {
          mwa::error_code ignored;
          st_->sock->shutdown(tcp::socket::shutdown_both, ignored);
          return;
        }
        const auto& a = std::get<imap::fetch_args>(c.args);
        st_->peek = c.uid && a.attributes.size() == 1 &&
                    a.attributes[0].kind == imap::fetch_attribute_kind::body_section && a.attributes[0].peek;
        const auto n = static_cast<std::uint32_t>(st_->messages.size());
        queue_.clear();
        for (std::uint32_t seq = 1; seq <= n; ++seq) {
          if (a.set.contains(seq + 100, n + 100)) queue_.push_back(seq);
        }
        return go_on(s);
      }
      default: CHECK(s.complete(e.tag, imap::status_kind::bad, "not in this test") == errc::ok); return;
    }
  }

  // The next piece of the body being sent, the next FETCH response, or
  // the FETCH's completion.
  void go_on(imap::server& s) {
    if (s.body_remaining() > 0) {
      const std::string& m = st_->messages[sending_ - 1];
      const std::size_t at = m.size() - static_cast<std::size_t>(s.body_remaining());
      if (st_->cut_at != 0 && queue_.empty() && at >= st_->cut_at) {
        // What was written reaches the client, then its EOF; this side's
        // async_serve ends (the paused event unanswered).
        mwa::error_code ignored;
        st_->sock->shutdown(tcp::socket::shutdown_both, ignored);
        return;
      }
      CHECK(s.send_body(std::string_view(m).substr(at, 1000)) == errc::ok);
      return;
    }
    if (queue_.empty()) {
      CHECK(s.complete(tag_, imap::status_kind::ok, "Fetch completed") == errc::ok);
      return;
    }
    sending_ = queue_.front();
    queue_.erase(queue_.begin());
    st_->fetched_uids.push_back(sending_ + 100);
    imap::response r;
    r.type = imap::response_type::fetch;
    r.fetch.seq = sending_;
    imap::fetch_item uid;
    uid.kind = imap::fetch_item_kind::uid;
    uid.number = sending_ + 100;
    imap::fetch_item body;
    body.kind = imap::fetch_item_kind::body_section;
    imap::literal_body content;
    content.streamed = true;
    content.size = st_->messages[sending_ - 1].size();
    body.content = content;
    r.fetch.items = {uid, body};
    CHECK(s.untagged(r) == errc::ok);
  }

  imap_store* st_;
  std::string tag_;
  std::vector<std::uint32_t> queue_;
  std::uint32_t sending_ = 0;
};

imap::client_options imap_client(std::string password = "p") {
  imap::client_options o;
  o.tls = tls_policy::none;
  o.username = "u";
  o.password = std::move(password);
  o.method = imap::login_choice::login;
  o.allow_cleartext_login = true;
  return o;
}

struct imap_exchange : loopback {
  imap::server srv;
  imap_store store;
  imap::client c;
  fetched got;
  mwa::fetch_sink sink = got.sink();
  mwa::error_code result = mwa::to_error_code(errc::invalid_state);
  bool called = false;

  explicit imap_exchange(imap::client_options co = imap_client()) : srv(imap_server()), c(std::move(co)) {}
  static imap::server_options imap_server() {
    imap::server_options o;
    o.allow_plaintext_auth = true;
    return o;
  }
  void serve() {
    store.sock = &server;
    mwa::async_serve(server, srv, imap_peer(store), mwa::session_options{}, [this](mwa::error_code ec) {
      store.done = ec;
      store.finished = true;
    });
  }
  void fetch(std::string mailbox = "INBOX") {
    mwa::async_fetch(client, c, std::move(mailbox), sink, [this](mwa::error_code ec) {
      result = ec;
      called = true;
    });
  }
};

}  // namespace

TEST_CASE("asio: async_fetch gets every message of an IMAP mailbox", "[asio][imap]" MAILWIRE_TEST_FLAVOUR) {
  imap_exchange x;
  x.store.messages = {"Subject: one\r\n\r\nfirst\r\n", "Subject: two\r\n\r\n.dot\r\n",
                      std::string(100000, 'x') + "\r\n"};
  x.serve();
  x.fetch();
  x.io.run();
  CHECK(x.called);
  CHECK_FALSE(x.result);
  CHECK(x.store.finished);
  CHECK_FALSE(x.store.done);
  CHECK(x.store.read_only);
  CHECK(x.store.peek);
  CHECK(x.store.fetched_uids == std::vector<std::uint32_t>{101, 102, 103});
  CHECK(x.got.ended == std::vector<std::uint32_t>{101, 102, 103});
  REQUIRE(x.got.bodies.size() == 103);
  CHECK(std::vector<std::string>(x.got.bodies.begin() + 100, x.got.bodies.end()) == x.store.messages);
  // The large one came in more than one piece: streamed, not gathered.
  CHECK(x.got.calls > 3 + 3);
}

TEST_CASE("asio: async_fetch of an empty IMAP mailbox examines and logs out", "[asio][imap]"
          MAILWIRE_TEST_FLAVOUR) {
  imap_exchange x;
  x.serve();
  x.fetch();
  x.io.run();
  CHECK(x.called);
  CHECK_FALSE(x.result);
  CHECK(x.store.examined);
  CHECK(x.store.fetched_uids.empty());
  CHECK(x.got.calls == 0);
  CHECK(x.store.finished);
  CHECK_FALSE(x.store.done);
}

TEST_CASE("asio: an IMAP login refused ends async_fetch with the machine's error", "[asio][imap]"
          MAILWIRE_TEST_FLAVOUR) {
  imap_exchange x(imap_client("wrong"));
  x.store.messages = {"a\r\n"};
  x.serve();
  x.fetch();
  x.io.run();
  CHECK(x.called);
  CHECK(x.result == mwa::to_error_code(errc::sasl_auth_failed));
  CHECK_FALSE(x.store.examined);
  CHECK(x.got.calls == 0);
}

TEST_CASE("asio: EXAMINE refused (no such mailbox) is unexpected_reply after a clean LOGOUT", "[asio][imap]"
          MAILWIRE_TEST_FLAVOUR) {
  imap_exchange x;
  x.store.messages = {"a\r\n"};
  x.serve();
  x.fetch("Archive");
  x.io.run();
  CHECK(x.called);
  CHECK(x.result == mwa::to_error_code(errc::unexpected_reply));
  CHECK_FALSE(x.store.examined);
  CHECK(x.store.fetched_uids.empty());
  CHECK(x.got.calls == 0);
  // The session still ended with LOGOUT: the server saw no error.
  CHECK(x.store.finished);
  CHECK_FALSE(x.store.done);
}

TEST_CASE("asio: an IMAP server closing mid-body is errc::truncated, the body unended", "[asio][imap]"
          MAILWIRE_TEST_FLAVOUR) {
  imap_exchange x;
  x.store.messages = {"Subject: one\r\n\r\nfirst\r\n", std::string(100000, 'x') + "\r\n"};
  x.store.cut_at = 50000;
  x.serve();
  x.fetch();
  x.io.run();
  CHECK(x.called);
  CHECK(x.result == mwa::to_error_code(errc::truncated));
  CHECK(x.store.fetched_uids == std::vector<std::uint32_t>{101, 102});
  // The last body got no end; the first one may or may not have arrived.
  CHECK(std::find(x.got.ended.begin(), x.got.ended.end(), 102u) == x.got.ended.end());
}

TEST_CASE("asio: an IMAP server closing between responses is errc::truncated", "[asio][imap]"
          MAILWIRE_TEST_FLAVOUR) {
  imap_exchange x;
  x.store.messages = {"a\r\n"};
  x.store.shut_on_fetch = true;
  x.serve();
  x.fetch();
  x.io.run();
  CHECK(x.called);
  CHECK(x.result == mwa::to_error_code(errc::truncated));
  CHECK(x.store.examined);
  CHECK(x.got.calls == 0);
}
