// mailwire: the SMTP and LMTP client session machine (RFC 5321, RFC 2033).
//
// Sans-I/O, like the server: feed() what the server sent, pull events with
// next(), call actions, write pending_output() when next() says
// write_output, read when it says need_more, finish() at end of input (the
// loop in full: docs/drive-loop.md). The session is set up by the
// machine itself: greeting, EHLO (HELO when EHLO is refused), STARTTLS by
// policy (the starttls event: do the handshake, then tls_established()),
// EHLO again, AUTH through the SASL engine when credentials are given, then
// the ready event. Then any number of transactions:
//
//     c.mail(from);  c.rcpt(to1);  c.rcpt(to2);  c.data();
//     // events: mail, rcpt (one per RCPT, in order), then body:
//     c.write_body(chunk) ... c.end_body();
//     // event: message (LMTP: one per accepted recipient)
//     c.quit();  // event: closed
//
// With PIPELINING offered, MAIL, RCPT and DATA (or BDAT) go out in one
// batch (RFC 2920) and replies are matched to commands in order; without
// it, each command waits for the previous reply. With CHUNKING offered the
// body goes as BDAT chunks, counted exactly; otherwise DATA, dot-stuffed,
// bare CR and LF repaired (or refused, by option), ended by CRLF.CRLF.
//
// Safety: any byte after the server's 220 to STARTTLS and before TLS is an
// injection (errc::data_after_starttls) and ends the session; a reply
// with no command outstanding is errc::unexpected_reply; every command
// goes through the writer's single emit point (no CR, LF or NUL in fields).
// The caller owns TLS and timers (RFC 5321 4.5.3.2 lists the timeouts).
// Events' views are valid until the next non-const call. Nothing throws;
// actions in the wrong state return errc::invalid_state and queue nothing.
#ifndef MAILWIRE_SMTP_CLIENT_HPP
#define MAILWIRE_SMTP_CLIENT_HPP

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "mailwire/core/ascii.hpp"
#include "mailwire/core/base64.hpp"
#include "mailwire/core/dot_stuffing.hpp"
#include "mailwire/core/fifo.hpp"
#include "mailwire/core/line_reader.hpp"
#include "mailwire/core/output_queue.hpp"
#include "mailwire/core/recv_buffer.hpp"
#include "mailwire/core/session.hpp"
#include "mailwire/error.hpp"
#include "mailwire/limits.hpp"
#include "mailwire/sasl/client.hpp"
#include "mailwire/sasl/framing.hpp"
#include "mailwire/sasl/login.hpp"
#include "mailwire/smtp/capabilities.hpp"
#include "mailwire/smtp/command.hpp"
#include "mailwire/smtp/reply.hpp"
#include "mailwire/smtp/writer.hpp"

namespace mailwire {
inline namespace v0 {
namespace smtp {

/// How the client uses TLS (core/session.hpp; the same for every protocol).
using mailwire::tls_policy;

/// How an SMTP/LMTP client session is set up: its name, TLS policy,
/// credentials and limits. Every field has a default.
struct client_options {
  /// Our name, sent in EHLO/LHLO (a domain or an address literal).
  std::string hostname = "localhost";
  /// LMTP (RFC 2033): LHLO, and one reply per recipient after the data.
  bool lmtp = false;
  /// STARTTLS when offered (opportunistic), always (required: no credential or
  /// message goes out in clear), never, or TLS from the first byte (implicit).
  tls_policy tls = tls_policy::opportunistic;
  /// AUTH: used when username (or token) is set. Copied; the nonce (for
  /// SCRAM) comes from the caller's random source.
  std::string username;
  /// The password, for the mechanisms that use one.
  std::string password;
  /// Act as this identity (SASL authzid); empty: as `username`.
  std::string authzid;
  /// An OAuth 2.0 bearer token (OAUTHBEARER, XOAUTH2) instead of a password.
  std::string token;
  /// Fresh random printable ASCII without ',' (SCRAM's client nonce): without
  /// it no SCRAM mechanism is chosen.
  std::string nonce;
  /// Which mechanisms may be used; `tls` is filled in by the machine. For
  /// SCRAM-*-PLUS give the binding with set_channel_binding() after TLS.
  sasl::client_policy auth_policy;
  /// The SASL engine's limits (SCRAM iterations a server may ask for,
  /// challenge size): a hostile server picks the iteration count.
  sasl::client_options auth_limits;
  /// Use this mechanism instead of choosing. It must be offered, and the
  /// policy still applies: PLAIN and LOGIN need TLS unless
  /// auth_policy.allow_cleartext_password (else errc::sasl_insecure).
  std::optional<sasl::mechanism> mechanism;
  /// Use PIPELINING and CHUNKING when the server offers them.
  bool use_pipelining = true;
  /// Use CHUNKING (BDAT) when the server offers it.
  bool use_chunking = true;
  /// Bare CR and LF in the body: repaired by default.
  line_end_policy bare_line_ends = line_end_policy::normalize;
  /// Limits on what the server sends.
  reply_options replies;
  /// Bytes buffered from the server before parsing.
  std::size_t max_buffered = limits::max_buffered;
  /// Output (commands, body) waiting to be written past which next() says
  /// write_output before reading further replies.
  std::size_t max_pending_output = limits::max_pending_output;
};

enum class client_event_type : std::uint8_t {
  need_more,      ///< read more from the server and feed() it (nothing is pending to write)
  write_output,   ///< write pending_output() first: nothing more happens until it is written
  starttls,       ///< the server said 220 to STARTTLS: handshake, then tls_established()
  authenticated,  ///< AUTH succeeded (the server proved itself where SCRAM allows)
  ready,          ///< the session is set up: capabilities() known, transactions may start
  mail,           ///< the reply to MAIL FROM
  rcpt,           ///< the reply to RCPT TO number `index`
  body,           ///< the server takes the message now: write_body(), then end_body()
  message,        ///< the reply to the message (LMTP: for accepted recipient `index`)
  reset,          ///< the reply to RSET
  closed,         ///< the session is over (after QUIT, a 421, finish(), or a fatal error)
  error,          ///< `error` says what went wrong (`offset`: where in the input); `closed` follows when fatal
};

/// One event from client::next().
struct client_event {
  /// What happened (see client_event_type).
  client_event_type type = client_event_type::need_more;
  std::uint16_t code = 0;  ///< the reply code, when the event is a reply
  /// The reply's enhanced status code (RFC 3463), when it has one.
  std::optional<enhanced_status> status;
  std::string_view text;  ///< the reply's first line of text
  /// rcpt: which RCPT (0 for the first); message under LMTP: which accepted
  /// recipient.
  std::size_t index = 0;
  /// error: what went wrong.
  errc error = errc::ok;
  /// Stream offset in the server's bytes of the reply or the offending byte.
  std::uint64_t offset = 0;
  /// True for a 2xx reply (or 354 for DATA).
  bool ok() const noexcept { return code >= 200 && code < 400; }
};

/// The SMTP/LMTP client session machine: one per connection (see the file
/// comment, docs/sending-mail.md and docs/drive-loop.md).
class client {
 public:
  /// A session waiting for the server's greeting (under tls_policy::implicit,
  /// received through the caller's TLS from the first byte).
  explicit client(client_options o = {});

  // -- input and output ---------------------------------------------------

  /// Takes bytes the server sent; returns how many fit under max_buffered
  /// (drain next(), then feed the rest). Takes nothing at the TLS switch,
  /// after finish(), or after close.
  std::size_t feed(std::string_view bytes);
  /// The server closed its side. What was fed is still processed; then, if
  /// a reply was awaited or a line was cut off, an error event
  /// (errc::truncated), and closed.
  void finish() noexcept { input_.finish(); }
  /// Bytes to write to the server, oldest first; valid until the next
  /// non-const call.
  std::string_view pending_output() const noexcept { return out_.pending(); }
  /// The caller wrote the first `n` bytes of pending_output(). Replies are
  /// accepted only for commands written in full: a reply that arrives
  /// before its command was written is an injection (unexpected_reply).
  void consume_output(std::size_t n) noexcept { out_.consume(n); }
  /// True once the session is over: write what is pending, then close.
  bool closed() const noexcept { return state_ == state::closed; }

  /// At the TLS switch (after the starttls event, before
  /// tls_established()): sets `out` to the bytes received after the
  /// server's 220. There are none: any such byte was an injection and
  /// ended the session (data_after_starttls). Elsewhere
  /// errc::invalid_state, taking nothing.
  errc take_unconsumed(std::string_view& out) noexcept;

  /// What the server offered in its last EHLO (empty after HELO).
  const capabilities& server_capabilities() const noexcept { return caps_; }
  /// True once the connection is in TLS.
  bool tls() const noexcept { return tls_; }
  /// The SASL mechanism used, once authenticated.
  std::optional<sasl::mechanism> auth_mechanism() const noexcept { return used_mechanism_; }

  // -- events ---------------------------------------------------------------

  /// The next event. need_more and write_output are the two ways of saying
  /// "nothing more until the caller does I/O": need_more only when no
  /// output is pending. A loop that waits for input while EHLO sits in the
  /// output gets write_output, never a silent deadlock.
  client_event next();

  // -- actions ------------------------------------------------------------

  /// The TLS handshake after the starttls event is done: EHLO again.
  errc tls_established();

  /// For SCRAM-*-PLUS: this connection's channel binding (after TLS).
  /// Ignored when no AUTH is configured or AUTH is over.
  void set_channel_binding(sasl::channel_binding::type t, std::string_view data);

  /// Starts a transaction. Parameters the message needs and the server
  /// lacks are refused (errc::extension_missing): SMTPUTF8 (set
  /// automatically when `from` holds UTF-8 and the server offers it),
  /// BODY=8BITMIME, BODY=BINARYMIME (needs CHUNKING too). A SIZE over the
  /// server's limit is errc::message_too_big. Nothing is sent then.
  errc mail(const path& from, mail_parameters params = {});

  /// Adds a recipient; its reply comes as a rcpt event with this index.
  errc rcpt(const path& to, rcpt_parameters params = {});

  /// Asks to send the message: DATA (a body event follows its 354), or with
  /// CHUNKING, BDAT (a body event follows at once).
  errc data();

  /// A piece of the message. DATA: stuffed and repaired into the output.
  /// BDAT: repaired and sent as one chunk of exactly its size.
  errc write_body(std::string_view chunk);

  /// The message is complete. DATA: CRLF.CRLF; BDAT: the last chunk.
  errc end_body();

  /// Ends the transaction early (RSET); a reset event follows.
  errc rset();

  /// Ends the session; closed follows the 221.
  errc quit();

 private:
  enum class state : std::uint8_t { setup, tls_switch, ready, closed };
  // What a reply answers.
  enum class step : std::uint8_t {
    greeting, ehlo, helo, starttls, auth, mail, rcpt, data, bdat, message, rset, quit,
  };
  struct pending {
    step what = step::greeting;
    std::size_t index = 0;
  };
  // A command held back until the replies it waits for; its bytes are the
  // next `length` bytes of held_.
  struct queued {
    step what = step::greeting;
    bool barrier = false;  // nothing may follow it before its reply
    std::size_t index = 0;
    std::size_t length = 0;
  };

  static client_event event(client_event_type k);
  void push(client_event e);
  static bool needs_utf8(const path& p) noexcept;

  errc queue(const command& c, step what, std::size_t index);
  errc queue_bdat(std::string_view payload, bool last);
  bool may_send() const noexcept;
  errc send_or_hold(const command& c, std::string_view payload, step what, std::size_t index, bool barrier);
  void flush_queue();
  void expect(step what, std::size_t index);

  void fatal(errc e, std::uint64_t at);
  void fatal_reply(const reply& r);
  client_event starved();
  void end_transaction();
  client_event reply_event(client_event_type k, const reply& r, std::size_t index = 0);

  void send_hello();
  void after_hello();
  void refuse_session(errc e);
  void start_auth();
  void auth_reply(const reply& r);
  void on_reply(const reply& r);

  // The credentials and the SASL engine: from construction (when AUTH is
  // configured) until AUTH is over, then dropped. An idle session carries
  // neither.

  // What the session keeps of client_options (the limits live in in_,
  // lines_ and replies_; the credentials in auth_).
  std::string hostname_;
  recv_buffer in_;
  output_queue out_;
  line_reader lines_;
  reply_assembler replies_;
  dot_writer writer_;
  capabilities caps_;
  mailwire::detail::awaited_replies<pending> outstanding_;
  mailwire::detail::fifo<queued> queued_;
  mailwire::detail::fifo<client_event> events_;
  output_queue held_;  // the bytes of queued_, in order
  std::unique_ptr<sasl::client_login> auth_;
  state state_ = state::setup;
  tls_policy tls_policy_ = tls_policy::opportunistic;
  line_end_policy bare_line_ends_ = line_end_policy::normalize;
  std::optional<sasl::mechanism> used_mechanism_;
  bool lmtp_ = false;
  bool use_pipelining_ = true;
  bool use_chunking_ = true;
  bool barrier_outstanding_ = true;  // the greeting
  bool tls_ = false;
  bool authenticated_ = false;
  bool in_transaction_ = false;
  bool body_started_ = false;
  bool body_open_ = false;
  bool chunking_ = false;
  bool smtputf8_ = false;
  bool binarymime_ = false;  // BODY=BINARYMIME: the body goes unchanged
  std::size_t rcpts_ = 0;
  std::size_t accepted_ = 0;
  std::size_t lmtp_index_ = 0;
  std::size_t max_pending_output_;
  std::uint64_t reply_offset_ = 0;  // of the first line of the reply being read
  mailwire::detail::input_end input_;
};

// -- client: definitions, in the order declared ------------------------------

inline client::client(client_options o)
    : hostname_(std::move(o.hostname)),
      in_(o.max_buffered),
      lines_(line_options::with_max_length(o.replies.max_line_length)),
      replies_(o.replies),
      writer_(o.bare_line_ends),
      max_pending_output_(o.max_pending_output) {
  tls_policy_ = o.tls;
  bare_line_ends_ = o.bare_line_ends;
  lmtp_ = o.lmtp;
  use_pipelining_ = o.use_pipelining;
  use_chunking_ = o.use_chunking;
  tls_ = o.tls == tls_policy::implicit;
  if (!o.username.empty() || !o.token.empty()) {
    auth_ = std::make_unique<sasl::client_login>();
    auth_->username = std::move(o.username);
    auth_->password = std::move(o.password);
    auth_->authzid = std::move(o.authzid);
    auth_->token = std::move(o.token);
    auth_->nonce = std::move(o.nonce);
    auth_->policy = o.auth_policy;
    auth_->limits = o.auth_limits;
    auth_->named = o.mechanism;
  }
  outstanding_.expect_now({step::greeting, 0});
}

inline std::size_t client::feed(std::string_view bytes) {
  if (state_ == state::closed || state_ == state::tls_switch || input_.ended()) return 0;
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
    const line_result l = lines_.next(in_);
    if (l.state == line_result::status::need_more) return starved();
    if (l.state == line_result::status::error) {
      fatal(l.error, l.offset);
      continue;
    }
    if (!replies_.in_reply()) reply_offset_ = l.offset;
    const reply_result r = replies_.feed_line(l.text);
    if (r.state == reply_result::status::need_more) continue;
    if (r.state == reply_result::status::error) {
      fatal(r.error, l.offset);
      continue;
    }
    on_reply(replies_.get());
  }
}

inline errc client::tls_established() {
  if (state_ != state::tls_switch) return errc::invalid_state;
  tls_ = true;
  state_ = state::setup;
  caps_ = capabilities{};
  send_hello();
  return errc::ok;
}

inline void client::set_channel_binding(sasl::channel_binding::type t, std::string_view data) {
  if (auth_) auth_->bind(t, data);
}

inline errc client::mail(const path& from, mail_parameters params) {
  if (state_ != state::ready || in_transaction_) return errc::invalid_state;
  if (needs_utf8(from)) params.smtputf8 = true;
  if (params.smtputf8 && !caps_.smtputf8) return errc::extension_missing;
  if (params.body == body_type::eight_bit_mime && !caps_.eightbitmime) return errc::extension_missing;
  if (params.body == body_type::binary_mime && !(caps_.binarymime && caps_.chunking && use_chunking_)) {
    return errc::extension_missing;
  }
  if (params.size && caps_.size_limit && *caps_.size_limit != 0 && *params.size > *caps_.size_limit) {
    return errc::message_too_big;
  }
  // SIZE is a hint for the server (RFC 1870 6): without the extension it
  // is left out, as Postfix and smtplib do, rather than refused.
  if (!caps_.size) params.size.reset();
  command c;
  c.kind = verb::mail;
  c.address = from;
  c.mail = params;
  const errc e = queue(c, step::mail, 0);
  if (e != errc::ok) return e;
  in_transaction_ = true;
  smtputf8_ = params.smtputf8;
  binarymime_ = params.body == body_type::binary_mime;
  rcpts_ = 0;
  accepted_ = 0;
  return errc::ok;
}

inline errc client::rcpt(const path& to, rcpt_parameters params) {
  if (state_ != state::ready || !in_transaction_ || body_started_) return errc::invalid_state;
  if (needs_utf8(to) && !smtputf8_) return errc::extension_missing;
  command c;
  c.kind = verb::rcpt;
  c.address = to;
  c.rcpt = params;
  const errc e = queue(c, step::rcpt, rcpts_);
  if (e == errc::ok) ++rcpts_;
  return e;
}

inline errc client::data() {
  if (state_ != state::ready || !in_transaction_ || body_started_ || rcpts_ == 0) return errc::invalid_state;
  body_started_ = true;
  chunking_ = caps_.chunking && use_chunking_;
  writer_ = dot_writer(bare_line_ends_, !chunking_);
  if (chunking_) {
    body_open_ = true;
    push(event(client_event_type::body));
    return errc::ok;
  }
  command c;
  c.kind = verb::data;
  return queue(c, step::data, 0);
}

inline errc client::write_body(std::string_view chunk) {
  if (!body_open_) return errc::invalid_state;
  if (!chunking_) return writer_.write(chunk, out_);
  // BINARYMIME: the bytes go exactly as written (RFC 3030 3).
  if (binarymime_) return chunk.empty() ? errc::ok : queue_bdat(chunk, false);
  output_queue piece;
  if (const errc e = writer_.write(chunk, piece); e != errc::ok) return e;
  if (piece.empty()) return errc::ok;
  return queue_bdat(piece.pending(), false);
}

inline errc client::end_body() {
  if (!body_open_) return errc::invalid_state;
  body_open_ = false;
  if (!chunking_) {
    writer_.finish(out_);
    expect(step::message, 0);
    return errc::ok;
  }
  if (binarymime_) return queue_bdat({}, true);  // BDAT 0 LAST: nothing to add
  output_queue piece;
  writer_.finish_unstuffed(piece);
  return queue_bdat(piece.pending(), true);
}

inline errc client::rset() {
  if (state_ != state::ready || body_open_) return errc::invalid_state;
  command c;
  c.kind = verb::rset;
  const errc e = queue(c, step::rset, 0);
  if (e == errc::ok) end_transaction();
  return e;
}

inline errc client::quit() {
  if (state_ == state::closed || body_open_) return errc::invalid_state;
  command c;
  c.kind = verb::quit;
  return queue(c, step::quit, 0);
}

inline client_event client::event(client_event_type k) {
  client_event e;
  e.type = k;
  return e;
}

inline void client::push(client_event e) {
  events_.push_back(e);
}

inline bool client::needs_utf8(const path& p) noexcept {
  return ascii::has_8bit(p.local_part) || ascii::has_8bit(p.domain);
}

// Serialises `c` and sends it now or after the replies it must wait for.
inline errc client::queue(const command& c, step what, std::size_t index) {
  const bool barrier = what == step::data || what == step::quit || what == step::ehlo ||
                       what == step::helo || what == step::starttls || what == step::auth;
  return send_or_hold(c, {}, what, index, barrier);
}

inline errc client::queue_bdat(std::string_view payload, bool last) {
  command c;
  c.kind = verb::bdat;
  c.chunk_size = payload.size();
  c.last = last;
  return send_or_hold(c, payload, last ? step::message : step::bdat, 0, false);
}

// RFC 2920: with PIPELINING, commands go out without waiting, except
// after a barrier (DATA, EHLO, STARTTLS, AUTH, QUIT); without it, one at
// a time.
inline bool client::may_send() const noexcept {
  return outstanding_.empty() || (caps_.pipelining && use_pipelining_ && !barrier_outstanding_);
}

// Writes the command (and a BDAT payload) straight into the output when
// nothing is held and it may go now; otherwise behind the held commands.
inline errc client::send_or_hold(const command& c, std::string_view payload, step what, std::size_t index,
                                 bool barrier) {
  flush_queue();
  const bool now = queued_.empty() && may_send();
  output_queue& to = now ? out_ : held_;
  const std::size_t before = to.size();
  if (const errc e = write_command(to, c); e != errc::ok) return e;
  to.append(payload);
  if (now) {
    expect(what, index);
    barrier_outstanding_ = barrier;
    return errc::ok;
  }
  queued q;
  q.what = what;
  q.barrier = barrier;
  q.index = index;
  q.length = to.size() - before;
  queued_.push_back(q);
  return errc::ok;
}

inline void client::flush_queue() {
  while (!queued_.empty() && may_send()) {
    const queued q = queued_.front();
    queued_.pop_front();
    out_.append(held_.pending().substr(0, q.length));
    held_.consume(q.length);
    expect(q.what, q.index);
    barrier_outstanding_ = q.barrier;
  }
}

// The reply to what was just written into out_ is awaited.
inline void client::expect(step what, std::size_t index) {
  outstanding_.expect({what, index}, out_);
}

inline void client::fatal(errc e, std::uint64_t at) {
  client_event ev = event(client_event_type::error);
  ev.error = e;
  ev.offset = at;
  push(ev);
  push(event(client_event_type::closed));
  state_ = state::closed;
}

// A reply that ends the session: an error event carrying it, then closed.
inline void client::fatal_reply(const reply& r) {
  push(reply_event(client_event_type::error, r));
  events_.back().error = errc::unexpected_reply;
  push(event(client_event_type::closed));
  state_ = state::closed;
}

// Nothing more without I/O: the two answers, or the end of the input
// (detail::input_end has the rule).
inline client_event client::starved() {
  if (!input_.ended()) return input_.wait<client_event>(out_);
  // The server closed. Harmless only when nothing was awaited and no
  // line was cut off (or after QUIT's reply, which closed already).
  const bool unfinished = !outstanding_.empty() || !in_.empty() || replies_.in_reply() || lines_.discarding();
  state_ = state::closed;
  return input_.at_end<client_event>(in_, unfinished);
}

inline void client::end_transaction() {
  in_transaction_ = false;
  body_started_ = false;
  body_open_ = false;
  binarymime_ = false;
  rcpts_ = 0;
  accepted_ = 0;
}

inline client_event client::reply_event(client_event_type k, const reply& r, std::size_t index) {
  client_event e = event(k);
  e.code = r.code();
  e.status = r.status();
  e.text = r.size() > 0 ? r.text(0) : std::string_view{};
  e.index = index;
  e.offset = reply_offset_;
  return e;
}

inline void client::send_hello() {
  command c;
  c.kind = lmtp_ ? verb::lhlo : verb::ehlo;
  c.argument = hostname_;
  if (queue(c, step::ehlo, 0) != errc::ok) fatal(errc::invalid_argument, 0);
}

// After EHLO (or HELO): STARTTLS, then AUTH, then ready.
inline void client::after_hello() {
  if (!tls_ && tls_policy_ != tls_policy::none) {
    if (caps_.starttls) {
      command c;
      c.kind = verb::starttls;
      if (queue(c, step::starttls, 0) != errc::ok) fatal(errc::invalid_argument, 0);
      return;
    }
    if (tls_policy_ == tls_policy::required) return refuse_session(errc::tls_unavailable);
  }
  if (auth_ && !authenticated_) return start_auth();
  state_ = state::ready;
  push(event(client_event_type::ready));
}

// Gives up politely: the error, then QUIT.
inline void client::refuse_session(errc e) {
  client_event ev = event(client_event_type::error);
  ev.error = e;
  push(ev);
  command c;
  c.kind = verb::quit;
  queue(c, step::quit, 0);
}

inline void client::start_auth() {
  sasl::client_login& a = *auth_;
  // A mechanism the caller names still obeys the policy: PLAIN or LOGIN
  // without TLS would hand the password to whoever stripped STARTTLS from
  // the EHLO reply.
  if (const errc e = a.start(caps_.auth_mechanisms, tls_); e != errc::ok) return refuse_session(e);
  const sasl::mechanism m = a.engine->mech();
  used_mechanism_ = m;
  const sasl::client_step s = a.engine->start(true);
  if (s.state == sasl::client_step::status::failed) return refuse_session(s.error);
  command c;
  c.kind = verb::auth;
  c.mechanism = m;
  std::string ir;
  if (s.state == sasl::client_step::status::respond) {
    ir = base64::encode(s.response);
    c.initial_response = std::string_view(ir);  // "" is written as "="
  }
  if (queue(c, step::auth, 0) != errc::ok) refuse_session(errc::invalid_argument);
}

inline void client::auth_reply(const reply& r) {
  sasl::client_login& a = *auth_;
  if (r.code() == 334) {
    std::string challenge;
    const std::string_view text = r.size() > 0 ? r.raw_text(0) : std::string_view{};
    sasl::client_step s;
    if (!sasl::read_challenge(text, challenge)) {
      s.state = sasl::client_step::status::failed;
      s.error = errc::sasl_malformed;
    } else {
      s = a.engine->challenge(challenge);
    }
    if (s.state == sasl::client_step::status::failed) {
      sasl::write_cancel(out_);  // RFC 4954 4; the server answers 501
      expect(step::auth, 0);
      a.error = s.error;
      return;
    }
    sasl::write_response(out_, s.response);
    expect(step::auth, 0);
    barrier_outstanding_ = true;
    return;
  }
  if (r.code() == 235 && a.error == errc::ok) {
    const sasl::client_step s = a.engine->success();
    if (s.state == sasl::client_step::status::done) {
      authenticated_ = true;
      auth_.reset();  // the credentials are not kept past their use
      push(reply_event(client_event_type::authenticated, r));
      after_hello();
      return;
    }
    a.error = s.error;  // the server did not prove itself
  }
  const errc e = a.error != errc::ok ? a.error : errc::sasl_auth_failed;
  auth_.reset();
  client_event ev = reply_event(client_event_type::error, r);
  ev.error = e;
  push(ev);
  command c;
  c.kind = verb::quit;
  queue(c, step::quit, 0);
}

inline void client::on_reply(const reply& r) {
  // Nothing awaited, or a reply to a command not yet written in full (see
  // detail::awaited_replies): injected or unsolicited.
  const pending* const awaited = outstanding_.answered(out_);
  if (awaited == nullptr) return fatal(errc::unexpected_reply, reply_offset_);
  const pending p = *awaited;
  outstanding_.pop();
  if (outstanding_.empty()) barrier_outstanding_ = false;
  const std::uint16_t code = r.code();
  // The server is closing the session (RFC 5321 3.8).
  if (code == 421 && p.what != step::quit) return fatal_reply(r);
  switch (p.what) {
    case step::greeting:
      if (code != 220) {
        push(reply_event(client_event_type::error, r));
        events_.back().error = errc::unexpected_reply;
        command c;
        c.kind = verb::quit;
        queue(c, step::quit, 0);
        break;
      }
      send_hello();
      break;
    case step::ehlo:
      if (code == 250) {
        capabilities caps;
        if (parse_ehlo_reply(r, caps) != errc::ok) return fatal(errc::malformed_reply, reply_offset_);
        caps_ = std::move(caps);
        after_hello();
      } else if (code >= 500 && !lmtp_) {
        command c;  // an old server: HELO, and no extensions
        c.kind = verb::helo;
        c.argument = hostname_;
        queue(c, step::helo, 0);
      } else {
        refuse_session(errc::unexpected_reply);
      }
      break;
    case step::helo:
      if (code != 250) return refuse_session(errc::unexpected_reply);
      caps_ = capabilities{};
      after_hello();
      break;
    case step::starttls:
      if (code == 220) {
        // Nothing may follow the 220 before TLS: bytes already here were
        // injected (or the server misbehaves). Never parse them.
        if (!in_.empty()) return fatal(errc::data_after_starttls, in_.offset());
        state_ = state::tls_switch;
        push(reply_event(client_event_type::starttls, r));
        break;
      }
      if (tls_policy_ == tls_policy::required) return refuse_session(errc::tls_unavailable);
      caps_.starttls = false;  // opportunistic: carry on in plain text
      after_hello();
      break;
    case step::auth: auth_reply(r); break;
    case step::mail:
      push(reply_event(client_event_type::mail, r));  // pipelined RCPT/DATA replies still follow
      break;
    case step::rcpt:
      if (code >= 200 && code < 300) ++accepted_;
      push(reply_event(client_event_type::rcpt, r, p.index));
      break;
    case step::data:
      if (code == 354) {
        body_open_ = true;
        push(reply_event(client_event_type::body, r));
      } else if (code < 400) {
        // A 2xx (or another 3xx) to DATA before any data was sent: not a
        // delivery, and every later reply would be matched wrongly.
        return fatal_reply(r);
      } else {
        push(reply_event(client_event_type::message, r));
        end_transaction();
      }
      break;
    case step::bdat: break;  // a refused chunk fails the message: its reply says so
    case step::message:
      if (lmtp_) {
        // One reply per accepted recipient (RFC 2033 4.2).
        push(reply_event(client_event_type::message, r, lmtp_index_));
        if (++lmtp_index_ < accepted_) {
          // The data is written already (it was answered): no wait.
          outstanding_.expect_now({step::message, lmtp_index_});
          return;
        }
      } else {
        push(reply_event(client_event_type::message, r));
      }
      lmtp_index_ = 0;
      end_transaction();
      break;
    case step::rset: push(reply_event(client_event_type::reset, r)); break;
    case step::quit:
      push(reply_event(client_event_type::closed, r));
      break;
  }
  flush_queue();
}

}  // namespace smtp
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_SMTP_CLIENT_HPP
