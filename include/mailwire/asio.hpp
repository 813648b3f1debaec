// mailwire: an optional Asio layer that drives mailwire's machines over any
// Asio stream (docs/asio.md has the guide).
//
// The only mailwire header that includes Asio, and mailwire.hpp does not
// include it: opt in by including it. Standalone Asio (Debian: libasio-dev)
// by default; Boost.Asio when MAILWIRE_ASIO_BOOST is defined before it.
//
//   asio::ip::tcp::socket sock(io);           // connected by the caller
//   smtp::client client(opts);                // opts.tls = tls_policy::none
//   std::vector<mailwire::asio_layer::outgoing> msgs(1);
//   msgs[0].from = "a@example.org"; msgs[0].to = {"b@example.org"};
//   msgs[0].body = mailwire::asio_layer::body_of(text);
//   mailwire::asio_layer::async_send(sock, client, msgs, token);   // void(error_code)
//
// It owns nothing mailwire does not: the caller brings the io_context, the
// stream (a tcp::socket, or an ssl::stream for STARTTLS and implicit TLS),
// the ssl::context with its verification and SNI, and the timer. Every
// operation is one composed operation (async_compose) with the completion
// signature void(error_code), so callbacks, use_future and C++20
// coroutines (use_awaitable) all work; error_code is std::error_code with
// standalone Asio and boost::system::error_code with Boost.Asio, and carries
// either Asio's errors or mailwire's errc (to_error_code below). Nothing
// here throws.
//
// One driver (detail::drive_op) runs the machine shape for every operation:
// it writes pending output before it reads, feeds what it read (keeping what
// feed() did not take), pulls events, hands protocol events to the
// operation's hooks, and does the TLS switch (take_unconsumed, handshake,
// tls_established). Cancellation: close or cancel the stream (every
// operation then completes with operation_aborted); with standalone Asio
// 1.22 or newer a per-operation cancellation slot bound to the token
// reaches the stream's reads and writes too. Timeouts: give a steady_timer
// and the durations (timeouts below); a read or write that takes longer
// cancels the stream and the operation completes with error::timed_out.
#ifndef MAILWIRE_ASIO_HPP
#define MAILWIRE_ASIO_HPP

#if defined(MAILWIRE_ASIO_BOOST)
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>
#else
#include <asio/async_result.hpp>
#include <asio/buffer.hpp>
#include <asio/compose.hpp>
#include <asio/error.hpp>
#include <asio/steady_timer.hpp>
#endif

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "mailwire/error.hpp"
#include "mailwire/imap/client.hpp"
#include "mailwire/imap/server.hpp"
#include "mailwire/pop3/client.hpp"
#include "mailwire/pop3/server.hpp"
#include "mailwire/smtp/client.hpp"
#include "mailwire/smtp/path.hpp"
#include "mailwire/smtp/server.hpp"

namespace mailwire {
inline namespace v0 {
namespace asio_layer {

#if defined(MAILWIRE_ASIO_BOOST)
/// The Asio in use: ::boost::asio (MAILWIRE_ASIO_BOOST) or ::asio.
namespace net = ::boost::asio;
/// The error type of every completion: Asio's own.
using error_code = ::boost::system::error_code;

namespace detail {
// Boost 1.74 cannot carry a std::error_category in its error_code: mailwire's
// codes get a Boost category of their own, with the same names and messages.
class boost_category final : public ::boost::system::error_category {
 public:
  const char* name() const noexcept override { return "mailwire"; }
  std::string message(int v) const override { return std::string(mailwire::to_string(static_cast<errc>(v))); }
};
}  // namespace detail

/// mailwire's code as this Asio's error_code (Boost: a category named
/// "mailwire" with mailwire's messages; compare with ==).
inline error_code to_error_code(errc e) noexcept {
  static const detail::boost_category category;
  return error_code(static_cast<int>(e), category);
}
#else
namespace net = ::asio;
using error_code = ::asio::error_code;

/// mailwire's code as this Asio's error_code (standalone Asio: the
/// std::error_code of mailwire::make_error_code, equal to the errc itself).
inline error_code to_error_code(errc e) noexcept { return mailwire::make_error_code(e); }
#endif

/// How long a read or a write may take before the operation gives up
/// (error::timed_out). RFC 5321 4.5.3.2 gives the minimums; the longest
/// wait of a client (for the reply after the final ".") is the read limit.
struct timeouts {
  /// Longest wait for each read (a reply, a command, more of a message).
  std::chrono::steady_clock::duration read = std::chrono::minutes(10);
  /// Longest wait for each write to complete (a peer that stops reading).
  std::chrono::steady_clock::duration write = std::chrono::minutes(3);
};

/// A client's limits (RFC 5321 4.5.3.2: 10 minutes after ".", 3 minutes
/// per data block written).
inline timeouts smtp_client_timeouts() noexcept { return {std::chrono::minutes(10), std::chrono::minutes(3)}; }
/// A server's idle limit (RFC 5321 4.5.3.2.7: at least 5 minutes for the
/// next command) and its write limit.
inline timeouts smtp_server_timeouts() noexcept { return {std::chrono::minutes(5), std::chrono::minutes(3)}; }

/// What an operation needs besides the stream and the machine.
struct session_options {
  /// The caller's timer for the timeouts; none when null. It must outlive
  /// the operation and serve only it.
  net::steady_timer* timer = nullptr;
  /// The read and write limits the timer enforces.
  timeouts limits;
  /// The stream is an ssl::stream whose handshake comes first (SMTPS, port
  /// 465: client_options::tls = tls_policy::implicit; a server on such a
  /// port: server_options::tls_active = true). The operation does it.
  bool implicit_tls = false;
  /// async_send(): the client speaks LMTP (as client_options::lmtp says),
  /// so a message gets one reply per accepted recipient.
  bool lmtp = false;
};

/// A source of message bytes: each call gives the next piece, valid until
/// the next call; an empty piece is the end. Called only while the output
/// is short, so the message never sits in memory whole.
using body_source = std::function<std::string_view()>;

/// A source that gives `text` (kept inside it) in one piece.
inline body_source body_of(std::string text) {
  return [t = std::move(text), done = false]() mutable -> std::string_view {
    if (done) return {};
    done = true;
    return t;
  };
}

/// A reply as the server gave it (code 0: none came).
struct reply_info {
  std::uint16_t code = 0;  ///< the reply code; 0 when no reply came
  std::string text;        ///< the text of the reply's first line
  /// A 2xx or 3xx reply.
  bool ok() const noexcept { return code >= 200 && code < 400; }
};

/// One message to send, and what became of it. async_send() fills in the
/// results; the caller keeps the object alive until the operation ends.
struct outgoing {
  /// "user@example.org", "<user@example.org>" or "<>".
  std::string from;
  /// The recipients, each as `from` is written.
  std::vector<std::string> to;
  /// Where the message's bytes come from (read while the session sends).
  body_source body;
  /// MAIL FROM parameters (SIZE, BODY, SMTPUTF8, ...).
  smtp::mail_parameters params;

  /// Not sent for this reason (a bad address, a parameter the server
  /// lacks: errc::extension_missing, ...); ok otherwise.
  errc error = errc::ok;
  /// The reply to MAIL FROM.
  reply_info mail;
  std::vector<reply_info> rcpt;  ///< one per `to`, in order
  /// The reply to the message: one (SMTP), or one per accepted recipient
  /// (LMTP), or the refusal of DATA/BDAT.
  std::vector<reply_info> message;

  /// True when every reply to the message accepted it.
  bool sent() const noexcept {
    if (error != errc::ok || message.empty()) return false;
    for (const reply_info& r : message) {
      if (!r.ok()) return false;
    }
    return true;
  }
};

/// Where async_fetch() streams messages: called with the message number
/// and each piece of its content (dot-unstuffed, CRLF line ends; valid only
/// during the call) with `end` false, then once with empty `bytes` and
/// `end` true when the message is complete. A message cut off (the
/// session failed) gets no `end` call: discard what it got. An empty sink
/// reads the messages and drops them.
using fetch_sink = std::function<void(std::uint32_t message, std::string_view bytes, bool end)>;

namespace detail {

// An ssl::stream (it has a handshake_type and a next layer); anything else
// is read and written as it is. Detected, not named, so that this header
// needs no OpenSSL unless the caller uses TLS.
template <class S, class = void>
struct is_tls_stream : std::false_type {};
template <class S>
struct is_tls_stream<S, std::void_t<typename S::handshake_type, decltype(std::declval<S&>().next_layer())>>
    : std::true_type {};

// Body pieces are added while less than this is waiting to be written.
constexpr std::size_t body_low_water = 256u << 10;
constexpr std::size_t read_size = 16u << 10;

// The state of one run of the driver. On the heap, so that buffers handed to
// the stream stay put while Asio moves the operation from handler to
// handler.
template <class Machine, class Hooks>
struct drive_state {
  drive_state(Machine& machine, Hooks h, const session_options& o)
      : m(machine), hooks(std::move(h)), opt(o), buf(new char[read_size]) {}
  enum class step : std::uint8_t { start, read, write, handshake };

  Machine& m;
  Hooks hooks;
  session_options opt;
  std::unique_ptr<char[]> buf;
  std::size_t fed = 0;  // buf[fed, got) was read and not yet taken by feed()
  std::size_t got = 0;
  std::string handshake_bytes;  // a server's: what came after STARTTLS
  step at = step::start;
  bool tls_on = false;
  bool switching = false;  // the starttls event came: flush, then handshake
  bool closing = false;    // the closed event came: flush, then complete
};

// The machine shape, driven over `Stream`, written once for every
// operation. Hooks decide the protocol:
//   void on_event(Machine&, const Event&)  every event but need_more,
//                                          write_output, starttls, paused
//   void pump(Machine&)                    adds output that needs no input
//                                          (a message body), while short
//   errc result() const                    the outcome once closed (or
//                                          errc::ok); stop() ends early
//   bool stop() const
//   static constexpr bool client_side
template <class Stream, class Machine, class Hooks>
class drive_op {
 public:
  using state = drive_state<Machine, Hooks>;
  drive_op(Stream& s, std::unique_ptr<state> st) : s_(s), st_(std::move(st)) {}

  template <class Self>
  void operator()(Self& self, error_code ec = {}, std::size_t n = 0) {
    state& st = *st_;
    const typename state::step was = st.at;
    if (was != state::step::start) {
      const bool timed_out = disarm(ec);
      if (timed_out) return finish(self, error_code(net::error::timed_out));
    }
    switch (was) {
      case state::step::start:
        if (st.opt.implicit_tls) return handshake(self, {});
        break;
      case state::step::read:
        if (ec == net::error::eof) {
          st.m.finish();
        } else if (ec) {
          return finish(self, ec);
        } else {
          st.fed = 0;
          st.got = n;
        }
        break;
      case state::step::write:
        if (ec) return finish(self, ec);
        st.m.consume_output(n);
        break;
      case state::step::handshake:
        if (ec) return finish(self, ec);
        st.tls_on = true;
        st.handshake_bytes.clear();
        st.handshake_bytes.shrink_to_fit();
        // Implicit TLS: the machine was made knowing (no switch point).
        if (!st.switching) break;
        st.switching = false;
        if (const errc e = st.m.tls_established(); e != errc::ok) return finish(self, to_error_code(e));
        break;
    }
    run(self);
  }

 private:
  template <class Self>
  void run(Self& self) {
    state& st = *st_;
    using kind = decltype(st.m.next().type);
    for (;;) {
      if (st.switching || st.closing) {
        if (!st.m.pending_output().empty()) return write(self);
        if (st.closing) return finish(self, st.hooks.result() == errc::ok ? error_code() : to_error_code(st.hooks.result()));
        return switch_tls(self);
      }
      if (st.hooks.stop()) return finish(self, to_error_code(st.hooks.result()));
      const auto e = st.m.next();
      switch (e.type) {
        case kind::need_more:
          st.hooks.pump(st.m);
          if (!st.m.pending_output().empty()) continue;
          if (st.fed < st.got) {
            const std::size_t taken = st.m.feed(std::string_view(st.buf.get() + st.fed, st.got - st.fed));
            // need_more with nothing taken would loop for ever.
            if (taken == 0) return finish(self, to_error_code(errc::invalid_state));
            st.fed += taken;
            continue;
          }
          return read(self);
        case kind::write_output:
          st.hooks.pump(st.m);
          return write(self);
        case kind::starttls: st.switching = true; continue;
        case kind::closed:
          st.hooks.on_event(st.m, e);
          st.closing = true;
          continue;
        default:
          if (is_paused(e.type)) return finish(self, to_error_code(errc::invalid_state));
          if constexpr (std::is_same_v<kind, imap::server_event_type>) {
            // imap::server pauses while a body streams: the handler sends
            // the next piece. One that adds nothing would be asked again
            // for ever.
            if (e.type == kind::paused) {
              const std::size_t before = st.m.pending_output().size();
              st.hooks.on_event(st.m, e);
              if (st.m.pending_output().size() == before) return finish(self, to_error_code(errc::invalid_state));
              continue;
            }
          }
          st.hooks.on_event(st.m, e);
          continue;
      }
    }
  }

  // The server's "answer the last event first": the hooks did not answer.
  template <class Kind>
  static bool is_paused(Kind k) noexcept {
    if constexpr (std::is_same_v<Kind, smtp::server_event_type>) {
      return k == smtp::server_event_type::paused;
    } else if constexpr (std::is_same_v<Kind, pop3::server_event_type>) {
      return k == pop3::server_event_type::paused;
    } else {
      return false;
    }
  }

  // At the TLS switch point, with the output written.
  template <class Self>
  void switch_tls(Self& self) {
    state& st = *st_;
    std::string_view rest;
    if (const errc e = st.m.take_unconsumed(rest); e != errc::ok) return finish(self, to_error_code(e));
    st.handshake_bytes.assign(rest);
    st.handshake_bytes.append(st.buf.get() + st.fed, st.got - st.fed);
    st.fed = st.got = 0;
    // A client's server sends nothing between its 220 and the handshake:
    // anything read is an injection (RFC 3207 5; the machine reports the
    // bytes it saw itself).
    if (Hooks::client_side && !st.handshake_bytes.empty()) {
      return finish(self, to_error_code(errc::data_after_starttls));
    }
    handshake(self, st.handshake_bytes);
  }

  template <class Self>
  void handshake(Self& self, std::string_view initial) {
    if constexpr (is_tls_stream<Stream>::value) {
      st_->at = state::step::handshake;
      arm(st_->opt.limits.read);
      const auto type = Hooks::client_side ? Stream::client : Stream::server;
      if (initial.empty()) {
        s_.async_handshake(type, std::move(self));
      } else {
        s_.async_handshake(type, net::buffer(initial.data(), initial.size()), std::move(self));
      }
    } else {
      (void)initial;
      finish(self, to_error_code(errc::tls_unavailable));
    }
  }

  template <class Self>
  void read(Self& self) {
    st_->at = state::step::read;
    arm(st_->opt.limits.read);
    const auto b = net::buffer(st_->buf.get(), read_size);
    if constexpr (is_tls_stream<Stream>::value) {
      if (st_->tls_on) return s_.async_read_some(b, std::move(self));
      return s_.next_layer().async_read_some(b, std::move(self));
    } else {
      s_.async_read_some(b, std::move(self));
    }
  }

  template <class Self>
  void write(Self& self) {
    st_->at = state::step::write;
    arm(st_->opt.limits.write);
    const std::string_view out = st_->m.pending_output();
    const auto b = net::buffer(out.data(), out.size());
    if constexpr (is_tls_stream<Stream>::value) {
      if (st_->tls_on) return s_.async_write_some(b, std::move(self));
      return s_.next_layer().async_write_some(b, std::move(self));
    } else {
      s_.async_write_some(b, std::move(self));
    }
  }

  // The timer, when given, cancels the stream if the wait outlives `d`.
  // A stale expiry (the wait had ended and the timer was re-armed) finds
  // the expiry in the future and does nothing.
  void arm(std::chrono::steady_clock::duration d) {
    net::steady_timer* t = st_->opt.timer;
    if (t == nullptr) return;
    t->expires_after(d);
    Stream& s = s_;
    t->async_wait([&s, t](const error_code& ec) {
      if (ec || t->expiry() > net::steady_timer::clock_type::now()) return;
      error_code ignored;
      s.lowest_layer().cancel(ignored);
    });
  }

  // True when the wait ended because the timer expired.
  bool disarm(const error_code& ec) {
    net::steady_timer* t = st_->opt.timer;
    if (t == nullptr) return false;
    const bool expired = ec == net::error::operation_aborted && t->expiry() <= net::steady_timer::clock_type::now();
    t->cancel();
    return expired;
  }

  template <class Self>
  void finish(Self& self, error_code ec) {
    if (st_->opt.timer != nullptr) st_->opt.timer->cancel();
    st_.reset();
    self.complete(ec);
  }

  Stream& s_;
  std::unique_ptr<state> st_;
};

template <class Token, class Stream, class Machine, class Hooks>
auto drive(Stream& s, Machine& m, Hooks hooks, const session_options& o, Token&& token) {
  auto st = std::make_unique<drive_state<Machine, Hooks>>(m, std::move(hooks), o);
  return net::async_compose<Token, void(error_code)>(drive_op<Stream, Machine, Hooks>(s, std::move(st)), token, s);
}

// async_send's protocol: each message as a transaction once the session is
// ready (the machine pipelines when it may), then QUIT.
class send_hooks {
 public:
  static constexpr bool client_side = true;
  explicit send_hooks(std::vector<outgoing>& msgs) : msgs_(&msgs) {}

  void on_event(smtp::client& c, const smtp::client_event& e) {
    using kind = smtp::client_event_type;
    switch (e.type) {
      case kind::ready: return next_message(c);
      case kind::mail: current().mail = {e.code, std::string(e.text)}; break;
      case kind::rcpt:
        if (e.index < current().rcpt.size()) current().rcpt[e.index] = {e.code, std::string(e.text)};
        if (e.ok()) ++accepted_;
        break;
      case kind::body:
        body_open_ = true;
        body_started_ = true;
        break;
      case kind::message:
        current().message.push_back({e.code, std::string(e.text)});
        // LMTP: one reply per accepted recipient, once the data went.
        if (!lmtp_ || !body_started_ || ++replies_ >= accepted_) {
          ++index_;
          next_message(c);
        }
        break;
      case kind::reset:
        ++index_;
        next_message(c);
        break;
      case kind::error:
        if (error_ == errc::ok) error_ = e.error;
        break;
      default: break;
    }
  }

  void pump(smtp::client& c) {
    while (body_open_ && c.pending_output().size() < body_low_water) {
      outgoing& m = current();
      const std::string_view piece = m.body ? m.body() : std::string_view();
      if (piece.empty()) {
        body_open_ = false;
        (void)c.end_body();
        return;
      }
      if (const errc e = c.write_body(piece); e != errc::ok) {
        // A message cannot be taken back once begun: end the session.
        m.error = e;
        error_ = e;
        stop_ = true;
        return;
      }
    }
  }

  errc result() const noexcept { return error_; }
  bool stop() const noexcept { return stop_; }
  void set_lmtp(bool on) noexcept { lmtp_ = on; }

 private:
  outgoing& current() { return (*msgs_)[index_]; }

  // Starts the next message that can be started; QUIT after the last.
  void next_message(smtp::client& c) {
    accepted_ = replies_ = 0;
    body_open_ = body_started_ = false;
    for (; index_ < msgs_->size(); ++index_) {
      if (start(c, current())) return;
    }
    (void)c.quit();
  }

  // Queues MAIL, RCPT..., DATA; false when nothing went out (the message's
  // error says why).
  bool start(smtp::client& c, outgoing& m) {
    m.error = errc::ok;
    const std::optional<smtp::address> from = smtp::address::parse(m.from, smtp::path_role::reverse, true, &m.error);
    std::vector<smtp::address> to;
    for (std::size_t i = 0; from && i < m.to.size(); ++i) {
      std::optional<smtp::address> a = smtp::address::parse(m.to[i], smtp::path_role::forward, true, &m.error);
      if (!a) return false;
      to.push_back(std::move(*a));
    }
    if (!from) return false;
    if (to.empty()) {
      m.error = errc::invalid_argument;
      return false;
    }
    m.rcpt.assign(to.size(), reply_info{});
    m.message.clear();
    m.error = c.mail(*from, m.params);
    if (m.error != errc::ok) return false;
    for (std::size_t i = 0; m.error == errc::ok && i < to.size(); ++i) m.error = c.rcpt(to[i]);
    if (m.error == errc::ok) m.error = c.data();
    // MAIL went out but the rest could not: RSET ends the transaction, and
    // its reset event moves on to the next message.
    if (m.error != errc::ok && c.rset() != errc::ok) {
      error_ = m.error;
      (void)c.quit();
    }
    return true;
  }

  std::vector<outgoing>* msgs_;
  std::size_t index_ = 0;
  std::size_t accepted_ = 0;
  std::size_t replies_ = 0;
  errc error_ = errc::ok;
  bool lmtp_ = false;
  bool body_open_ = false;
  bool body_started_ = false;
  bool stop_ = false;
};

// async_serve's protocol: the application's handler answers every event.
template <class Handler, class Server = smtp::server>
class serve_hooks {
 public:
  static constexpr bool client_side = false;
  explicit serve_hooks(Handler h) : h_(std::move(h)) {}
  template <class Event>
  void on_event(Server& s, const Event& e) {
    h_(s, e);
  }
  void pump(Server&) noexcept {}
  errc result() const noexcept { return errc::ok; }
  bool stop() const noexcept { return false; }

 private:
  Handler h_;
};

// async_fetch's protocol: once logged in, UIDL; then RETR of every listed
// message, at most `window` in flight (the machine pipelines them or holds
// them back; a maildrop of 100,000 messages must not queue 100,000
// commands), each streamed to the sink; QUIT after the last reply.
class fetch_hooks {
 public:
  static constexpr bool client_side = true;
  explicit fetch_hooks(fetch_sink& sink) : sink_(&sink) {}

  void on_event(pop3::client& c, const pop3::client_event& e) {
    using kind = pop3::client_event_type;
    switch (e.type) {
      case kind::ready:
        if (const errc r = c.uidl(); r != errc::ok) fail(c, r);
        break;
      case kind::listing:
        if (e.command == pop3::verb::uidl) listed_.push_back(e.message);
        break;
      case kind::chunk: deliver(e.message, e.bytes, false); break;
      case kind::reply: on_reply(c, e); break;
      case kind::error:
        if (error_ == errc::ok) error_ = e.error;
        break;
      case kind::closed:
        // Closed before QUIT's answer without an error event: the
        // server's EOF between responses.
        if (error_ == errc::ok && !quit_ok_) error_ = errc::truncated;
        break;
      default: break;
    }
  }

  void pump(pop3::client&) noexcept {}
  errc result() const noexcept { return error_; }
  bool stop() const noexcept { return false; }

 private:
  void on_reply(pop3::client& c, const pop3::client_event& e) {
    switch (e.command) {
      case pop3::verb::uidl:
        if (!e.ok) return fail(c, errc::unexpected_reply);
        if (listed_.empty()) (void)c.quit();
        while (!quitting_ && next_ < listed_.size() && next_ < window) retr_next(c);
        return;
      case pop3::verb::retr:
        // A -ERR (the message went away) or content that broke a line
        // rule: the other messages are still fetched; the outcome says so.
        if (!e.ok && error_ == errc::ok) error_ = errc::unexpected_reply;
        if (e.ok && e.error != errc::ok && error_ == errc::ok) error_ = e.error;
        if (e.ok) deliver(e.message, std::string_view(), true);
        --waiting_;
        if (quitting_) return;
        if (next_ < listed_.size()) return retr_next(c);
        if (waiting_ == 0) (void)c.quit();
        return;
      case pop3::verb::quit:
        quit_ok_ = e.ok;
        if (!e.ok && error_ == errc::ok) error_ = errc::unexpected_reply;
        return;
      default: return;
    }
  }

  void retr_next(pop3::client& c) {
    if (const errc r = c.retr(listed_[next_++]); r != errc::ok) return fail(c, r);
    ++waiting_;
  }

  // An empty sink would throw bad_function_call: the messages are read
  // and dropped instead.
  void deliver(std::uint32_t n, std::string_view bytes, bool end) {
    if (*sink_) (*sink_)(n, bytes, end);
  }

  void fail(pop3::client& c, errc e) {
    if (error_ == errc::ok) error_ = e;
    if (!quitting_) (void)c.quit();
    quitting_ = true;
  }

  static constexpr std::size_t window = 16;  // RETRs in flight, as examples/pop3_fetch.cpp
  fetch_sink* sink_;
  std::vector<std::uint32_t> listed_;
  std::size_t next_ = 0;     // listed_[next_] is the next to ask for
  std::size_t waiting_ = 0;  // RETRs asked for and not answered
  errc error_ = errc::ok;
  bool quit_ok_ = false;
  bool quitting_ = false;  // fail() sent QUIT: no more RETRs
};

// async_fetch's IMAP protocol: once logged in, EXAMINE the mailbox; UID
// FETCH 1:* (BODY.PEEK[]) unless it is empty, each body streamed to the
// sink by its UID; then LOGOUT. Read-only throughout: nothing is marked
// seen.
class imap_fetch_hooks {
 public:
  static constexpr bool client_side = true;
  imap_fetch_hooks(fetch_sink& sink, std::string mailbox) : sink_(&sink), mailbox_(std::move(mailbox)) {}

  void on_event(imap::client& c, const imap::client_event& e) {
    using kind = imap::client_event_type;
    switch (e.type) {
      case kind::ready: {
        imap::command x;
        x.type = imap::command_type::examine;
        x.args = imap::select_args{mailbox_, false, std::nullopt, {}};
        if (const errc r = c.submit(x); r != errc::ok) fail(c, r);
        break;
      }
      case kind::fetch_chunk:
        open_ = true;
        deliver(e.uid, e.bytes, false);
        break;
      case kind::fetch_chunk_end:
        open_ = false;
        deliver(e.uid, std::string_view(), true);
        break;
      case kind::completed: on_completed(c, e); break;
      case kind::error:
        if (error_ == errc::ok) error_ = e.error;
        break;
      case kind::closed:
        // Closed before LOGOUT's answer (or mid-body) without an error
        // event: the server's EOF between responses.
        if (error_ == errc::ok && (!logout_ok_ || open_)) error_ = errc::truncated;
        break;
      default: break;
    }
  }

  void pump(imap::client&) noexcept {}
  errc result() const noexcept { return error_; }
  bool stop() const noexcept { return false; }

 private:
  void on_completed(imap::client& c, const imap::client_event& e) {
    const bool ok = e.status == imap::status_kind::ok;
    switch (e.command) {
      case imap::command_type::examine:
        if (!ok) return fail(c, errc::unexpected_reply);
        if (c.mailbox().exists == 0) return fail(c, errc::ok);
        return fetch_all(c);
      case imap::command_type::fetch:
        return fail(c, ok ? errc::ok : errc::unexpected_reply);
      case imap::command_type::logout: logout_ok_ = ok; return;
      default: return;
    }
  }

  void fetch_all(imap::client& c) {
    imap::command f;
    f.type = imap::command_type::fetch;
    f.uid = true;
    imap::fetch_attribute a;
    a.kind = imap::fetch_attribute_kind::body_section;
    a.peek = true;
    f.args = imap::fetch_args{imap::sequence_set(imap::seq_range{1, imap::seq_star}), {a}, true, std::nullopt, false};
    if (const errc r = c.submit(f); r != errc::ok) fail(c, r);
  }

  // An empty sink would throw bad_function_call: the bodies are read and
  // dropped instead.
  void deliver(std::uint32_t uid, std::string_view bytes, bool end) {
    if (*sink_) (*sink_)(uid, bytes, end);
  }

  // LOGOUT, keeping the first error (errc::ok: the normal end).
  void fail(imap::client& c, errc e) {
    if (error_ == errc::ok) error_ = e;
    if (!logging_out_) (void)c.logout();
    logging_out_ = true;
  }

  fetch_sink* sink_;
  std::string mailbox_;
  errc error_ = errc::ok;
  bool open_ = false;  // a body began and has not ended
  bool logout_ok_ = false;
  bool logging_out_ = false;
};

}  // namespace detail

/// Runs one SMTP or LMTP client session on `stream` with `client` (made
/// with the caller's client_options, fresh): greeting, EHLO, STARTTLS by
/// the client's policy (`stream` must then be an ssl::stream whose
/// ssl::context verifies the server and which has its SNI set; a plain
/// stream gives errc::tls_unavailable), AUTH, then every message of
/// `messages` in order, pipelined when the server allows, each body pulled
/// from its source while the output is short, then QUIT.
///
/// Completes with void(error_code): ok when the session ended with QUIT
/// (each message's results say whether it was sent); else Asio's error
/// (the stream's, error::timed_out), or mailwire's errc from the machine
/// (tls_unavailable, sasl_*, unexpected_reply, truncated, ...). `stream`,
/// `client` and `messages` must outlive the operation; the caller closes
/// the stream afterwards. For LMTP set o.lmtp.
template <class Stream, class Token>
auto async_send(Stream& stream, smtp::client& client, std::vector<outgoing>& messages, const session_options& o,
                Token&& token) {
  detail::send_hooks hooks(messages);
  hooks.set_lmtp(o.lmtp);
  return detail::drive(stream, client, std::move(hooks), o, std::forward<Token>(token));
}

/// async_send() without timeouts or implicit TLS.
template <class Stream, class Token>
auto async_send(Stream& stream, smtp::client& client, std::vector<outgoing>& messages, Token&& token) {
  return async_send(stream, client, messages, session_options{}, std::forward<Token>(token));
}

/// Runs `server` (made with the caller's server_options, fresh, so its
/// greeting is queued) on an accepted connection until the session is
/// over. `handler(smtp::server&, const smtp::server_event&)` gets every
/// event but need_more, write_output, starttls and paused, and answers the
/// ones that need it (mail, rcpt, message, auth_start, auth_check) before
/// it returns: one left unanswered ends the operation with
/// errc::invalid_state. STARTTLS (when server_options::offer_starttls) is
/// done here: `stream` must be an ssl::stream. The idle limit is
/// o.limits.read (smtp_server_timeouts(): 5 minutes).
///
/// Completes with void(error_code): ok when the session closed (QUIT, a
/// 421, the client's EOF); else Asio's error (error::timed_out when idle
/// too long: the caller closes the connection). `stream` and `server` must
/// outlive the operation; the handler is moved into it.
template <class Stream, class Handler, class Token>
auto async_serve(Stream& stream, smtp::server& server, Handler handler, const session_options& o, Token&& token) {
  return detail::drive(stream, server, detail::serve_hooks<Handler>(std::move(handler)), o,
                       std::forward<Token>(token));
}

/// Runs `server` (a POP3 server machine made with the caller's
/// server_options, fresh) on an accepted connection until the session is
/// over, as the SMTP async_serve() does. `handler(pop3::server&, const
/// pop3::server_event&)` answers login, apop, auth_*, open_maildrop,
/// retrieve and update before it returns; for retrieve that means the whole
/// message (send_message() in pieces, then end_message()): a paused event
/// ends the operation with errc::invalid_state, so a message is held in
/// the output whole (streaming it while the output drains is not done
/// here). STLS (server_options::offer_stls) needs an ssl::stream.
/// Completes with void(error_code) as the SMTP one does.
template <class Stream, class Handler, class Token>
auto async_serve(Stream& stream, pop3::server& server, Handler handler, const session_options& o, Token&& token) {
  return detail::drive(stream, server, detail::serve_hooks<Handler, pop3::server>(std::move(handler)), o,
                       std::forward<Token>(token));
}

/// Fetches every message of a POP3 maildrop on `stream` with `client`
/// (made with the caller's client_options, fresh): the machine sets the
/// session up by itself (greeting, CAPA, STLS by the client's policy, which
/// needs an ssl::stream as in async_send(), the login); then UIDL, RETR of
/// each listed message in order (pipelined when the server offers it),
/// each streamed to `sink` as it arrives and never held whole, then QUIT.
/// Nothing is deleted.
///
/// Completes with void(error_code): ok when every message was fetched and
/// QUIT was answered +OK; else Asio's error (the stream's,
/// error::timed_out), or mailwire's errc: the machine's (sasl_auth_failed,
/// tls_unavailable, extension_missing when UIDL is not offered, truncated
/// when the server closed early, ...), or unexpected_reply when UIDL or a
/// RETR got -ERR (the other messages are still fetched). `stream`, `client`
/// and `sink` must outlive the operation; the caller closes the stream
/// afterwards. o.implicit_tls for POP3S (port 995).
template <class Stream, class Token>
auto async_fetch(Stream& stream, pop3::client& client, fetch_sink& sink, const session_options& o, Token&& token) {
  return detail::drive(stream, client, detail::fetch_hooks(sink), o, std::forward<Token>(token));
}

/// async_fetch() without timeouts or implicit TLS.
template <class Stream, class Token>
auto async_fetch(Stream& stream, pop3::client& client, fetch_sink& sink, Token&& token) {
  return async_fetch(stream, client, sink, session_options{}, std::forward<Token>(token));
}

/// Runs `server` (an IMAP server machine made with the caller's
/// server_options, fresh) on an accepted connection until the session is
/// over, as the SMTP async_serve() does. `handler(imap::server&, const
/// imap::server_event&)` answers login, auth_*, literal and command events
/// before it returns, and a paused event (a body streaming: send_body())
/// with output: a paused event that adds none ends the operation with
/// errc::invalid_state (waiting for a store is not done here). STARTTLS
/// (server_options::offer_starttls) needs an ssl::stream. Completes with
/// void(error_code) as the SMTP one does.
template <class Stream, class Handler, class Token>
auto async_serve(Stream& stream, imap::server& server, Handler handler, const session_options& o, Token&& token) {
  return detail::drive(stream, server, detail::serve_hooks<Handler, imap::server>(std::move(handler)), o,
                       std::forward<Token>(token));
}

/// Fetches every message of the IMAP mailbox `mailbox` (as on the wire:
/// modified UTF-7, or UTF-8 once UTF8=ACCEPT is on) on `stream` with
/// `client` (made with the caller's client_options, fresh): the machine
/// sets the session up by itself (greeting, CAPABILITY, STARTTLS by the
/// client's policy, which needs an ssl::stream as in async_send(), the
/// login); then EXAMINE (read-only: nothing is marked seen), UID FETCH
/// 1:* (BODY.PEEK[]) unless the mailbox is empty, each body streamed to
/// `sink` as it arrives and never held whole, then LOGOUT. The sink's
/// message number is the UID (0 when a server sends the UID after the
/// body, which RFC 9051 allows and servers do not do).
///
/// Completes with void(error_code): ok when every body ended and LOGOUT
/// completed OK; else Asio's error (the stream's, error::timed_out), or
/// mailwire's errc: the machine's (sasl_auth_failed, tls_unavailable, ...),
/// unexpected_reply when EXAMINE or the FETCH got NO or BAD, truncated when
/// the server closed early. `stream`, `client` and `sink` must outlive the
/// operation; the caller closes the stream afterwards. o.implicit_tls for
/// IMAPS (port 993).
template <class Stream, class Token>
auto async_fetch(Stream& stream, imap::client& client, std::string mailbox, fetch_sink& sink,
                 const session_options& o, Token&& token) {
  return detail::drive(stream, client, detail::imap_fetch_hooks(sink, std::move(mailbox)), o,
                       std::forward<Token>(token));
}

/// The IMAP async_fetch() without timeouts or implicit TLS.
template <class Stream, class Token>
auto async_fetch(Stream& stream, imap::client& client, std::string mailbox, fetch_sink& sink, Token&& token) {
  return async_fetch(stream, client, std::move(mailbox), sink, session_options{}, std::forward<Token>(token));
}

}  // namespace asio_layer
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_ASIO_HPP
