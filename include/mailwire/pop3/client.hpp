// mailwire: the POP3 client session machine (RFC 1939, RFC 2449, RFC 2595,
// RFC 3206, RFC 5034, RFC 6856).
//
// Sans-I/O, in the shape of every mailwire machine (docs/design.md 2):
// feed() what the server sent, pull events with next(), call actions,
// write pending_output() when next() says write_output, read when it says
// need_more, finish() at end of input. The machine sets the session up by
// itself: greeting, CAPA, STLS by policy (the starttls event: handshake,
// then tls_established(), then CAPA again: nothing learnt before TLS is
// kept), UTF8 when asked and offered, the login (SASL through the engine,
// APOP, or USER/PASS), CAPA again (the TRANSACTION state may offer more),
// LANG when asked, then the ready event. Then any commands:
//
//     c.uidl();            // listing events (message, unique_id), then reply
//     c.retr(3);           // chunk events (the message, unstuffed), then reply
//     c.dele(3);           // reply
//     c.quit();            // reply, then closed: the deletions are applied
//
// Every command ends with one reply event (`command`, `message`, `ok`,
// `code`, `text`; STAT's count and size, LIST n's size, UIDL n's id;
// RETR's and TOP's size delivered and, if the content broke a line rule,
// `error`). With PIPELINING offered (and use_pipelining) commands go out
// at once and replies are matched in order (RFC 2449 6.6); without it each
// waits for the last reply.
//
// Safety: any byte after the server's +OK to STLS and before TLS is an
// injection (errc::data_after_starttls) and ends the session; a response
// with no command outstanding, or before its command was written in full,
// is errc::unexpected_reply; passwords in clear (USER/PASS, PLAIN, LOGIN)
// are not sent before TLS unless auth_policy.allow_cleartext_password;
// with tls_policy::required nothing but CAPA and STLS is sent before TLS.
// Messages stream out as chunk events and are never held whole.
//
// Views in events are valid until the next non-const call. Nothing throws
// but std::bad_alloc; actions in the wrong state return
// errc::invalid_state and queue nothing.
#ifndef MAILWIRE_POP3_CLIENT_HPP
#define MAILWIRE_POP3_CLIENT_HPP

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "mailwire/core/base64.hpp"
#include "mailwire/core/dot_stuffing.hpp"
#include "mailwire/core/fifo.hpp"
#include "mailwire/core/line_reader.hpp"
#include "mailwire/core/output_queue.hpp"
#include "mailwire/core/recv_buffer.hpp"
#include "mailwire/core/session.hpp"
#include "mailwire/error.hpp"
#include "mailwire/limits.hpp"
#include "mailwire/pop3/command.hpp"
#include "mailwire/pop3/response.hpp"
#include "mailwire/sasl/client.hpp"
#include "mailwire/sasl/framing.hpp"
#include "mailwire/sasl/login.hpp"

namespace mailwire {
inline namespace v0 {
namespace pop3 {

/// How the client logs in.
enum class login : std::uint8_t {
  /// SASL when CAPA offers a mechanism the policy allows; else USER/PASS
  /// when the password may go in clear (TLS, or allow_cleartext_password);
  /// else APOP when the greeting has a timestamp.
  automatic,
  user_pass,  ///< USER and PASS (needs TLS unless auth_policy.allow_cleartext_password)
  apop,       ///< APOP (errc::extension_missing when the greeting has no timestamp)
  sasl,       ///< AUTH (`mechanism`, or the strongest offered)
};

/// How a POP3 client session is set up: TLS policy, credentials, login method
/// and limits. Every field has a default.
struct client_options {
  /// STLS when offered (opportunistic), always (required: nothing is sent in
  /// clear after CAPA), never, or TLS from the first byte (implicit, port 995).
  tls_policy tls = tls_policy::opportunistic;
  /// Credentials, copied; the nonce (for SCRAM) comes from the caller's
  /// random source. `username` must not be empty.
  std::string username;
  /// The password (USER/PASS, APOP, and the SASL mechanisms that use one).
  std::string password;
  /// SASL: act as this identity; empty: as `username`.
  std::string authzid;
  /// An OAuth 2.0 bearer token (OAUTHBEARER, XOAUTH2).
  std::string token;
  /// Fresh random printable ASCII without ',' (SCRAM's client nonce).
  std::string nonce;
  /// How to log in (see login).
  login method = login::automatic;
  /// SASL: use this mechanism instead of choosing (it must be offered;
  /// the policy still applies).
  std::optional<sasl::mechanism> mechanism;
  /// Which mechanisms may be used; `tls` is filled in by the machine.
  /// allow_cleartext_password also allows USER/PASS before TLS.
  sasl::client_policy auth_policy;
  /// The SASL engine's limits (SCRAM iterations a server may ask for...).
  sasl::client_options auth_limits;
  /// Pipeline commands when the server offers PIPELINING.
  bool use_pipelining = true;
  /// Send UTF8 when the server offers it (RFC 6856): needed for UTF-8
  /// user names and passwords.
  bool utf8 = false;
  /// A LANG tag to set when the server offers LANG (empty: none).
  std::string language;
  /// Status and listing lines, CRLF included (RFC 2449 4: 512).
  std::size_t max_response_line = limits::pop3_response_line;
  /// How RETR and TOP content is read: bare CR/LF repaired to CRLF and NUL
  /// passed by default (a client stores what it gets; a message refused
  /// here would never be fetched). Strict rules give an error in the
  /// reply event (the content is still read to its end).
  dot_options message = lenient_message();
  /// Bytes buffered from the server before parsing.
  std::size_t max_buffered = limits::max_buffered;
  /// Commands waiting to be written past which next() says write_output
  /// before reading further responses.
  std::size_t max_pending_output = limits::max_pending_output;

  /// The default of `message`: bare CR/LF repaired, NUL passed.
  static dot_options lenient_message() noexcept {
    dot_options d;
    d.bare_line_ends = line_end_policy::normalize;
    d.allow_nul = true;
    return d;
  }
};

enum class client_event_type : std::uint8_t {
  need_more,     ///< read more from the server and feed() it (nothing is pending to write)
  write_output,  ///< write pending_output() first
  starttls,      ///< the server said +OK to STLS: handshake, then tls_established()
  ready,         ///< logged in (TRANSACTION state): capabilities() known, commands may start
  listing,       ///< a line of LIST (`message`, `size`) or UIDL (`message`, `unique_id`)
  chunk,         ///< `bytes` of the message RETR or TOP is reading (`size`: so far)
  reply,         ///< the end of a command's response (see client_event)
  error,         ///< `error` says what went wrong (`offset`: where); closed follows when fatal
  closed,        ///< the session is over (after QUIT's reply, a fatal error, or finish())
};

/// One event from client::next().
struct client_event {
  /// What happened (see client_event_type).
  client_event_type type = client_event_type::need_more;
  /// listing, chunk, reply: the command answered (for an error about the
  /// login: the login command).
  verb command = verb::unknown;
  /// reply: +OK (true) or -ERR.
  bool ok = false;
  /// reply: the RFC 2449/3206 response code ("[IN-USE]"...), when there is one.
  response_code code = response_code::none;
  /// reply: the response code as sent, between its brackets.
  std::string_view code_text;
  /// reply: the human-readable text after +OK or -ERR (and the code).
  std::string_view text;
  /// The command's message number (listing: the line's).
  std::uint32_t message = 0;
  /// STAT: messages in the maildrop.
  std::uint32_t count = 0;
  /// STAT: total octets; LIST: the message's size; RETR/TOP: bytes
  /// delivered (chunk: so far; reply: in all).
  std::uint64_t size = 0;
  std::string_view unique_id;  ///< listing (UIDL), reply to UIDL n
  std::string_view bytes;      ///< chunk
  /// error: what went wrong; reply to RETR/TOP: a line rule the content broke
  /// (the content was still read to its end).
  errc error = errc::ok;
  /// Stream offset in the server's bytes of the response or the offending byte.
  std::uint64_t offset = 0;
};

/// The POP3 client session machine (RFC 1939, RFC 2449): one per connection;
/// the drive loop of docs/drive-loop.md.
class client {
 public:
  /// A session waiting for the server's greeting.
  explicit client(client_options o = {});

  // -- input and output ---------------------------------------------------

  /// Takes bytes the server sent; returns how many fit under max_buffered.
  /// Takes nothing at the TLS switch, after finish(), or after close.
  std::size_t feed(std::string_view bytes);
  /// The server closed its side: after what was fed, if a response was
  /// awaited or cut off, an error event (errc::truncated), then closed.
  void finish() noexcept { input_.finish(); }
  /// Bytes to write to the server, oldest first; valid until the next
  /// non-const call.
  std::string_view pending_output() const noexcept { return out_.pending(); }
  /// The caller wrote the first `n` bytes of pending_output(). Responses
  /// are accepted only for commands written in full.
  void consume_output(std::size_t n) noexcept { out_.consume(n); }
  /// True once the session is over: write what is pending, then close.
  bool closed() const noexcept { return state_ == state::closed; }
  /// At the TLS switch: sets `out` to the bytes after the server's +OK to
  /// STLS. There are none (any was an injection and ended the session).
  /// Elsewhere errc::invalid_state.
  errc take_unconsumed(std::string_view& out) noexcept;

  /// The last CAPA response (all false before it, and after TLS until the
  /// next one).
  const capabilities& server_capabilities() const noexcept { return caps_; }
  /// The greeting's APOP timestamp (empty when none).
  std::string_view apop_timestamp() const noexcept { return timestamp_; }
  /// True once the connection is in TLS.
  bool tls() const noexcept { return tls_; }
  /// The SASL mechanism used, once logged in by SASL.
  std::optional<sasl::mechanism> auth_mechanism() const noexcept { return used_mechanism_; }

  // -- events ---------------------------------------------------------------

  /// The next event; need_more only when nothing is pending to write.
  client_event next();

  // -- actions ------------------------------------------------------------

  /// The TLS handshake after the starttls event is done: CAPA again.
  errc tls_established();
  /// For SCRAM-*-PLUS: this connection's channel binding (after TLS).
  void set_channel_binding(sasl::channel_binding::type t, std::string_view data);

  /// Commands, after the ready event. Message numbers start at 1 (0 is
  /// errc::invalid_argument); TOP and UIDL need the capability when CAPA
  /// was answered (errc::extension_missing).
  errc stat();
  /// LIST: sizes, as listing events (one message's in the reply with `message`).
  errc list(std::optional<std::uint32_t> message = std::nullopt);
  /// UIDL: unique-ids, as listing events (one message's in the reply with `message`).
  errc uidl(std::optional<std::uint32_t> message = std::nullopt);
  /// RETR: the message, as chunk events (unstuffed), then the reply.
  errc retr(std::uint32_t message);
  /// TOP: the header and the first `lines` lines of the body, as chunk events.
  errc top(std::uint32_t message, std::uint64_t lines);
  /// DELE: marks the message; the server deletes it at QUIT only.
  errc dele(std::uint32_t message);
  /// NOOP.
  errc noop();
  /// RSET: unmarks every message marked by DELE.
  errc rset();
  /// Ends the session (in TRANSACTION the server applies the deletions);
  /// a reply, then closed. Allowed at any time before close.
  errc quit();

 private:
  enum class state : std::uint8_t { setup, tls_switch, ready, closed };
  // What a response answers.
  enum class step : std::uint8_t {
    greeting, capa, stls, utf8, user, pass, apop, auth, lang, command,
  };
  struct pending {
    step what = step::greeting;
    verb command = verb::unknown;
    std::uint32_t message = 0;
    bool multiline = false;
  };
  // A transaction command held back until the replies it waits for
  // (without PIPELINING).
  struct held {
    verb command = verb::unknown;
    std::uint32_t message = 0;
    std::uint64_t lines = 0;
  };
  // Where the response being read is.
  enum class reading : std::uint8_t { status, lines, message };

  static client_event event(client_event_type t);
  void push(const client_event& e) { events_.push_back(e); }
  void fatal(errc e, std::uint64_t at);
  client_event starved();

  errc send(step what, verb v, std::string_view a = {}, std::string_view b = {});
  errc transaction(verb v, std::uint32_t message, std::uint64_t lines, bool numbered);
  void write_held(const held& h);
  void release_held();

  void on_line(std::string_view line, std::uint64_t at);
  void on_status(const pending& p, const status_line& s, std::uint64_t at);
  void on_listing_line(std::string_view line, std::uint64_t at);
  void end_multiline(std::uint64_t at);
  void on_message(const dot_event& d);

  void next_setup_step();
  void login_failed(errc e, const status_line* s, std::uint64_t at);
  void start_login();
  void start_sasl();
  void auth_challenge(std::string_view text);
  void logged_in();
  void quit_now();

  // The login (credentials, policy, the engine during the exchange only:
  // an idle session carries none) and what POP3 adds to it.
  struct auth_state : sasl::client_login {
    login method = login::automatic;
    std::string initial;  // an initial response too long for the AUTH line
    bool initial_pending = false;
  };

  recv_buffer in_;
  output_queue out_;
  line_reader lines_;
  dot_reader message_;
  capabilities caps_;
  mailwire::detail::awaited_replies<pending> outstanding_;
  mailwire::detail::fifo<held> held_;
  mailwire::detail::fifo<client_event> events_;
  std::unique_ptr<auth_state> auth_;
  std::string timestamp_;
  std::string language_;
  std::string unique_id_;  // UIDL n's id, for its reply event
  pending current_{};     // the multi-line response being read
  status_line current_status_{};
  std::string current_text_;       // its status line's text
  std::string current_code_text_;  // and its response code
  std::optional<sasl::mechanism> used_mechanism_;
  std::size_t max_pending_output_;
  tls_policy tls_policy_;
  state state_ = state::setup;
  reading reading_ = reading::status;
  bool tls_ = false;
  bool caps_known_ = false;
  bool tls_tried_ = false;
  bool utf8_wanted_ = false;
  bool utf8_done_ = false;
  bool logged_in_ = false;
  bool capa_after_login_ = false;
  bool lang_done_ = false;
  bool pipelining_ = false;
  bool use_pipelining_ = true;
  bool quit_sent_ = false;
  bool quit_requested_ = false;
  mailwire::detail::input_end input_;
};

// -- client: definitions, in the order declared ------------------------------

inline client::client(client_options o)
    : in_(o.max_buffered),
      lines_(line_options::with_max_length(o.max_response_line)),
      message_(o.message),
      language_(std::move(o.language)),
      max_pending_output_(o.max_pending_output),
      tls_policy_(o.tls) {
  tls_ = o.tls == tls_policy::implicit;
  utf8_wanted_ = o.utf8;
  use_pipelining_ = o.use_pipelining;
  auth_ = std::make_unique<auth_state>();
  auth_->username = std::move(o.username);
  auth_->password = std::move(o.password);
  auth_->authzid = std::move(o.authzid);
  auth_->token = std::move(o.token);
  auth_->nonce = std::move(o.nonce);
  auth_->policy = o.auth_policy;
  auth_->limits = o.auth_limits;
  auth_->named = o.mechanism;
  auth_->method = o.method;
  pending p;
  p.what = step::greeting;
  outstanding_.expect_now(p);  // the greeting is awaited from the start
}

inline std::size_t client::feed(std::string_view bytes) {
  if (state_ == state::tls_switch || state_ == state::closed || input_.ended()) return 0;
  return in_.feed(bytes);
}

inline errc client::take_unconsumed(std::string_view& out) noexcept {
  return take_after_switch(in_, state_ == state::tls_switch, out);
}

inline client_event client::next() {
  for (;;) {
    if (!events_.empty()) {
      client_event e = events_.front();
      events_.pop_front();
      if (e.type == client_event_type::closed) state_ = state::closed;
      return e;
    }
    if (state_ == state::closed) return event(client_event_type::closed);
    if (out_.size() >= max_pending_output_) return event(client_event_type::write_output);
    if (state_ == state::tls_switch) return starved();
    if (reading_ == reading::message) {
      const dot_event d = message_.next(in_);
      if (d.type == dot_event_type::need_more) return starved();
      on_message(d);
      continue;
    }
    const line_result l = lines_.next(in_);
    if (l.state == line_result::status::need_more) return starved();
    if (l.state == line_result::status::error) {
      fatal(l.error == errc::line_too_long ? errc::reply_too_long : l.error, l.offset);
      continue;
    }
    on_line(l.text, l.offset);
  }
}

inline errc client::tls_established() {
  if (state_ != state::tls_switch) return errc::invalid_state;
  tls_ = true;
  state_ = state::setup;
  caps_ = capabilities{};  // RFC 2595 4: forget what was learnt before TLS
  caps_known_ = false;
  send(step::capa, verb::capa);
  return errc::ok;
}

inline void client::set_channel_binding(sasl::channel_binding::type t, std::string_view data) {
  if (auth_) auth_->bind(t, data);
}

inline errc client::stat() { return transaction(verb::stat, 0, 0, false); }
inline errc client::list(std::optional<std::uint32_t> message) {
  return transaction(verb::list, message.value_or(0), 0, message.has_value());
}
inline errc client::uidl(std::optional<std::uint32_t> message) {
  return transaction(verb::uidl, message.value_or(0), 0, message.has_value());
}
inline errc client::retr(std::uint32_t message) { return transaction(verb::retr, message, 0, true); }
inline errc client::top(std::uint32_t message, std::uint64_t lines) {
  return transaction(verb::top, message, lines, true);
}
inline errc client::dele(std::uint32_t message) { return transaction(verb::dele, message, 0, true); }
inline errc client::noop() { return transaction(verb::noop, 0, 0, false); }
inline errc client::rset() { return transaction(verb::rset, 0, 0, false); }

inline errc client::quit() {
  if (state_ == state::closed || state_ == state::tls_switch || quit_sent_) return errc::invalid_state;
  if (state_ == state::ready) return transaction(verb::quit, 0, 0, false);
  // During the setup: after the response awaited now (QUIT inside an AUTH
  // exchange would be read as a SASL response).
  if (outstanding_.empty()) {
    quit_now();
  } else {
    quit_requested_ = true;
  }
  return errc::ok;
}

inline client_event client::event(client_event_type t) {
  client_event e;
  e.type = t;
  return e;
}

inline void client::fatal(errc e, std::uint64_t at) {
  client_event ev = event(client_event_type::error);
  ev.error = e;
  ev.offset = at;
  push(ev);
  push(event(client_event_type::closed));
  state_ = state::closed;
  auth_.reset();
}

// Nothing more without I/O: the two answers, or the end of the input
// (detail::input_end has the rule).
inline client_event client::starved() {
  if (!input_.ended()) return input_.wait<client_event>(out_);
  // The server closed: harmless only when no response was awaited or cut
  // off.
  const bool unfinished = !outstanding_.empty() || !in_.empty() || lines_.discarding() || reading_ != reading::status;
  state_ = state::closed;
  auth_.reset();
  return input_.at_end<client_event>(in_, unfinished);
}

// Writes a command and awaits its response.
inline errc client::send(step what, verb v, std::string_view a, std::string_view b) {
  const errc e = write_command(out_, v, a, b);
  if (e != errc::ok) return e;
  pending p;
  p.what = what;
  p.command = v;
  p.multiline = v == verb::capa;
  outstanding_.expect(p, out_);
  return errc::ok;
}

inline errc client::transaction(verb v, std::uint32_t message, std::uint64_t lines, bool numbered) {
  if (state_ != state::ready || quit_sent_) return errc::invalid_state;
  if (numbered && message == 0) return errc::invalid_argument;
  if (caps_known_ && ((v == verb::top && !caps_.top) || (v == verb::uidl && !caps_.uidl))) {
    return errc::extension_missing;
  }
  if (v == verb::quit) quit_sent_ = true;
  const held h{v, numbered ? message : 0, lines};
  if (pipelining_ || outstanding_.empty()) {
    write_held(h);
  } else {
    held_.push_back(h);
  }
  return errc::ok;
}

inline void client::write_held(const held& h) {
  if (h.message != 0) {
    write_message_command(out_, h.command, h.message, h.lines);
  } else {
    write_command(out_, h.command);
  }
  pending p;
  p.what = step::command;
  p.command = h.command;
  p.message = h.message;
  p.multiline = h.command == verb::retr || h.command == verb::top ||
                ((h.command == verb::list || h.command == verb::uidl) && h.message == 0);
  outstanding_.expect(p, out_);
}

// Without PIPELINING: the next held command once nothing is outstanding.
inline void client::release_held() {
  if (outstanding_.empty() && !held_.empty()) {
    const held h = held_.front();
    held_.pop_front();
    write_held(h);
  }
}

inline void client::on_line(std::string_view line, std::uint64_t at) {
  if (reading_ == reading::lines) {
    if (line == ".") return end_multiline(at);
    if (!line.empty() && line[0] == '.') line.remove_prefix(1);  // dot-stuffed
    return on_listing_line(line, at);
  }
  // A status line (or an AUTH challenge).
  // Nothing awaited, or a response to a command not yet written in full
  // (see detail::awaited_replies): injected or unsolicited.
  const pending* const awaited = outstanding_.answered(out_);
  if (awaited == nullptr) return fatal(errc::unexpected_reply, at);
  const pending p = *awaited;
  if (p.what == step::auth && (line == "+" || line.substr(0, 2) == "+ ")) {
    outstanding_.pop();
    return auth_challenge(line.size() > 2 ? line.substr(2) : std::string_view{});
  }
  const std::optional<status_line> s = parse_status_line(line);
  if (!s) return fatal(errc::malformed_reply, at);
  outstanding_.pop();
  on_status(p, *s, at);
}

inline void client::on_status(const pending& p, const status_line& s, std::uint64_t at) {
  if (s.ok && p.multiline) {
    current_ = p;
    current_status_ = s;
    current_text_ = std::string(s.text);
    current_code_text_ = std::string(s.code_text);
    current_status_.text = {};
    current_status_.code_text = {};
    reading_ = p.command == verb::retr || p.command == verb::top ? reading::message : reading::lines;
    if (p.command == verb::capa) caps_ = capabilities{};
    return;
  }
  switch (p.what) {
    case step::greeting:
      if (!s.ok) return login_failed(errc::unexpected_reply, &s, at);
      timestamp_ = std::string(pop3::apop_timestamp(s.text));
      send(step::capa, verb::capa);
      return;
    case step::capa:  // -ERR: no capabilities (an RFC 1939 server)
      caps_known_ = false;
      return next_setup_step();
    case step::stls:
      if (s.ok) {
        // RFC 2595 4: TLS starts right after the CRLF. A byte already
        // here was sent before the handshake: an injection.
        if (!in_.empty()) return fatal(errc::data_after_starttls, in_.offset());
        state_ = state::tls_switch;
        return push(event(client_event_type::starttls));
      }
      if (tls_policy_ == tls_policy::required) return login_failed(errc::tls_unavailable, &s, at);
      return next_setup_step();
    case step::utf8:
      utf8_done_ = true;
      return next_setup_step();
    case step::lang:
      lang_done_ = true;
      return next_setup_step();
    case step::user:
      if (!s.ok) return login_failed(errc::sasl_auth_failed, &s, at);
      if (send(step::pass, verb::pass, auth_->password) != errc::ok) {
        login_failed(errc::invalid_argument, nullptr, at);
      }
      return;
    case step::pass:
    case step::apop:
      if (!s.ok) return login_failed(errc::sasl_auth_failed, &s, at);
      return logged_in();
    case step::auth: {
      auth_state& a = *auth_;
      if (s.ok && a.error == errc::ok) {
        const sasl::client_step st = a.engine->success();
        if (st.state == sasl::client_step::status::done) return logged_in();
        a.error = st.error;  // the server did not prove itself
      }
      return login_failed(a.error != errc::ok ? a.error : errc::sasl_auth_failed, &s, at);
    }
    case step::command: {
      client_event e = event(client_event_type::reply);
      e.command = p.command;
      e.message = p.message;
      e.ok = s.ok;
      e.code = s.code;
      e.code_text = s.code_text;
      e.text = s.text;
      e.offset = at;
      if (s.ok && p.command == verb::stat) {
        const auto d = parse_drop_listing(s.text);
        if (!d) return fatal(errc::malformed_reply, at);
        e.count = d->message;
        e.size = d->size;
      } else if (s.ok && (p.command == verb::list || p.command == verb::uidl)) {
        const auto l = p.command == verb::list ? parse_scan_listing(s.text) : parse_unique_id_listing(s.text);
        if (!l || l->message != p.message) return fatal(errc::malformed_reply, at);
        e.size = l->size;
        e.unique_id = l->unique_id;
      }
      push(e);
      if (p.command == verb::quit) {
        push(event(client_event_type::closed));
        state_ = state::closed;
        return;
      }
      return release_held();
    }
  }
}

inline void client::on_listing_line(std::string_view line, std::uint64_t at) {
  if (current_.command == verb::capa) {
    caps_.add_line(line);
    return;
  }
  const auto l = current_.command == verb::list ? parse_scan_listing(line) : parse_unique_id_listing(line);
  client_event e = event(l ? client_event_type::listing : client_event_type::error);
  e.command = current_.command;
  e.offset = at;
  if (!l) {
    e.error = errc::malformed_reply;  // this line is skipped; the listing goes on
  } else {
    e.message = l->message;
    e.size = l->size;
    e.unique_id = l->unique_id;
  }
  push(e);
}

inline void client::end_multiline(std::uint64_t at) {
  reading_ = reading::status;
  if (current_.what == step::capa) {
    caps_known_ = true;
    return next_setup_step();
  }
  client_event e = event(client_event_type::reply);
  e.command = current_.command;
  e.message = current_.message;
  e.ok = true;
  e.code = current_status_.code;
  e.code_text = current_code_text_;
  e.text = current_text_;
  e.offset = at;
  push(e);
  release_held();
}

inline void client::on_message(const dot_event& d) {
  if (d.type == dot_event_type::chunk) {
    client_event e = event(client_event_type::chunk);
    e.command = current_.command;
    e.message = current_.message;
    e.bytes = d.bytes;
    e.size = d.size;
    return push(e);
  }
  reading_ = reading::status;
  client_event e = event(client_event_type::reply);
  e.command = current_.command;
  e.message = current_.message;
  e.ok = true;
  e.code = current_status_.code;
  e.code_text = current_code_text_;
  e.text = current_text_;
  e.size = d.size;
  e.error = d.error;
  e.offset = d.error_offset;
  push(e);
  release_held();
}

// The setup after each step: STLS, UTF8, login, CAPA after login, LANG,
// then ready.
inline void client::next_setup_step() {
  if (quit_requested_) return quit_now();
  if (!tls_ && !tls_tried_ && tls_policy_ != tls_policy::none && tls_policy_ != tls_policy::implicit) {
    // STLS when CAPA lists it (RFC 2595 4); required and CAPA unanswered
    // (an RFC 1939 server without CAPA may still have it): tried, and
    // -ERR ends the session.
    if (caps_.stls || (tls_policy_ == tls_policy::required && !caps_known_)) {
      tls_tried_ = true;
      send(step::stls, verb::stls);
      return;
    }
  }
  if (!tls_ && tls_policy_ == tls_policy::required) {
    return login_failed(errc::tls_unavailable, nullptr, in_.offset());
  }
  if (!logged_in_) {
    if (utf8_wanted_ && !utf8_done_ && caps_.utf8) {
      send(step::utf8, verb::utf8);
      return;
    }
    return start_login();
  }
  if (!capa_after_login_) {
    capa_after_login_ = true;
    send(step::capa, verb::capa);
    return;
  }
  if (!language_.empty() && !lang_done_ && caps_.lang) {
    if (send(step::lang, verb::lang, language_) == errc::ok) return;
    lang_done_ = true;  // a tag that cannot be sent: not set
  }
  state_ = state::ready;
  pipelining_ = use_pipelining_ && caps_.pipelining;
  push(event(client_event_type::ready));
}

// The login did not happen: an error event (with the server's response
// when there is one), then QUIT.
inline void client::login_failed(errc e, const status_line* s, std::uint64_t at) {
  client_event ev = event(client_event_type::error);
  ev.error = e;
  ev.offset = at;
  if (s != nullptr) {
    ev.code = s->code;
    ev.code_text = s->code_text;
    ev.text = s->text;
  }
  push(ev);
  auth_.reset();
  quit_now();
}

inline void client::start_login() {
  auth_state& a = *auth_;
  if (a.username.empty()) return login_failed(errc::invalid_argument, nullptr, in_.offset());
  const bool clear_ok = tls_ || a.policy.allow_cleartext_password;
  login m = a.method;
  if (m == login::automatic) {
    // APOP last: it needs the server to keep the password in clear and
    // rests on MD5, and some servers (qmail-popup) show a timestamp that
    // their password checker cannot use. It is the one way in without
    // TLS that does not show the password.
    if (a.named || a.choice(caps_.sasl, tls_)) {
      m = login::sasl;
    } else if (clear_ok || timestamp_.empty() || a.password.empty()) {
      m = login::user_pass;
    } else {
      m = login::apop;
    }
  }
  switch (m) {
    case login::sasl: return start_sasl();
    case login::apop:
      if (timestamp_.empty()) return login_failed(errc::extension_missing, nullptr, in_.offset());
      if (send(step::apop, verb::apop, a.username, apop_digest(timestamp_, a.password)) != errc::ok) {
        return login_failed(errc::invalid_argument, nullptr, in_.offset());
      }
      return;
    case login::user_pass:
    case login::automatic:
      if (!clear_ok) return login_failed(errc::sasl_insecure, nullptr, in_.offset());
      if (caps_known_ && !caps_.user && a.method == login::automatic) {
        return login_failed(errc::sasl_unknown_mechanism, nullptr, in_.offset());
      }
      // PASS is checked before USER goes: a password that cannot be sent
      // must not leave the server waiting for it.
      if (a.password.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos ||
          send(step::user, verb::user, a.username) != errc::ok) {
        return login_failed(errc::invalid_argument, nullptr, in_.offset());
      }
      return;
  }
}

inline void client::start_sasl() {
  auth_state& a = *auth_;
  // Without CAPA (an RFC 1939 server) a named mechanism is tried as is; it
  // still obeys the policy.
  sasl::mechanism_set offered = caps_.sasl;
  if (!caps_known_ && a.named) offered.insert(*a.named);
  if (const errc e = a.start(offered, tls_); e != errc::ok) return login_failed(e, nullptr, in_.offset());
  const sasl::mechanism m = a.engine->mech();
  used_mechanism_ = m;
  const sasl::client_step s = a.engine->start(true);
  if (s.state == sasl::client_step::status::failed) return login_failed(s.error, nullptr, in_.offset());
  std::string ir;
  if (s.state == sasl::client_step::status::respond) ir = s.response.empty() ? "=" : base64::encode(s.response);
  // RFC 5034 4: a command with its initial response stays within 255
  // octets; a longer one goes in answer to the first, empty, challenge.
  const std::size_t line = 4 + 1 + sasl::to_string(m).size() + (ir.empty() ? 0 : 1 + ir.size()) + 2;
  if (line > limits::pop3_command_line - 2) {
    a.initial = std::string(s.response);
    a.initial_pending = true;
    ir.clear();
  }
  if (send(step::auth, verb::auth, sasl::to_string(m), ir) != errc::ok) {
    login_failed(errc::invalid_argument, nullptr, in_.offset());
  }
}

inline void client::auth_challenge(std::string_view text) {
  auth_state& a = *auth_;
  pending p;
  p.what = step::auth;
  p.command = verb::auth;
  if (a.initial_pending && text.empty()) {
    a.initial_pending = false;
    sasl::write_response(out_, a.initial);
    a.initial.clear();
  } else {
    std::string challenge;
    sasl::client_step s;
    if (!sasl::read_challenge(text, challenge)) {
      s.state = sasl::client_step::status::failed;
      s.error = errc::sasl_malformed;
    } else {
      s = a.engine->challenge(challenge);
    }
    if (s.state == sasl::client_step::status::failed) {
      sasl::write_cancel(out_);  // RFC 5034 4; the server answers -ERR
      a.error = s.error;
    } else {
      sasl::write_response(out_, s.response);
    }
  }
  outstanding_.expect(p, out_);
}

inline void client::logged_in() {
  logged_in_ = true;
  auth_.reset();  // the credentials are not kept past their use
  next_setup_step();
}

inline void client::quit_now() {
  if (quit_sent_) return;
  quit_sent_ = true;
  held_ = {};
  if (send(step::command, verb::quit) != errc::ok) fatal(errc::invalid_argument, 0);
}

}  // namespace pop3
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_POP3_CLIENT_HPP
