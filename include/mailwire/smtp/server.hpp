// mailwire: the SMTP and LMTP server session machine (RFC 5321, RFC 2033).
//
// Sans-I/O: the caller feeds what the client sent, pulls events, answers
// the ones that need a decision with actions, and writes pending_output().
//
//     smtp::server s(opts);                       // queues the 220 greeting
//     for (;;) {
//       const smtp::server_event e = s.next();
//       switch (e.type) {
//         case write_output: write(s.pending_output()); s.consume_output(n); break;
//         case need_more:    n = read(); n ? s.feed(bytes) : s.finish(); break;
//         case mail:       s.accept(); break;            // or s.reject(550, ...)
//         case rcpt:       s.accept(); break;
//         case data_chunk: store(e.bytes); break;
//         case message:    if (e.error == errc::ok) s.accept(); break;
//         case auth_start: s.auth_begin(nonce); break;
//         case auth_check: /* answer e.auth->type */ break;
//         case starttls:   s.take_unconsumed(rest); tls.put_ciphertext(rest); ...
//                          s.tls_established(); break;
//         case error:      log(e.error, e.offset); break;  // answered already
//         case closed:     write(s.pending_output()); close(); return;
//         ...
//       }
//     }
//
// (docs/drive-loop.md has the whole loop, feed() taking fewer bytes than
// given included.) Failed AUTH counts against max_auth_failures, then 421.
//
// The machine enforces the sequence (503), the limits (500 on an over-long
// line, 452 past max_recipients, 552 past the size limit with the rest
// drained, 421 and close after max_errors errors), PIPELINING (commands in
// a batch are processed in order and replied to in order; a command needing
// a decision pauses the rest until the caller answers), DATA with
// dot-unstuffing and the smuggling rules of core/dot_stuffing.hpp, BDAT chunks consumed
// exactly even when refused, STARTTLS (bytes after the command are never
// parsed: take_unconsumed() hands them to the TLS engine, and everything
// learnt before TLS is forgotten), AUTH through the SASL engine, and LMTP's
// reply per recipient after the data.
//
// Events needing a decision: mail, rcpt, message (when its error is ok),
// auth_start, auth_check. Until answered, next() returns paused. Views and
// pointers in events are valid until the next non-const call. Nothing
// throws; calling an action in the wrong state returns errc::invalid_state
// and queues nothing.
#ifndef MAILWIRE_SMTP_SERVER_HPP
#define MAILWIRE_SMTP_SERVER_HPP

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "mailwire/core/dot_stuffing.hpp"
#include "mailwire/core/line_reader.hpp"
#include "mailwire/core/output_queue.hpp"
#include "mailwire/core/recv_buffer.hpp"
#include "mailwire/core/session.hpp"
#include "mailwire/error.hpp"
#include "mailwire/limits.hpp"
#include "mailwire/sasl/exchange.hpp"
#include "mailwire/sasl/framing.hpp"
#include "mailwire/sasl/server.hpp"
#include "mailwire/smtp/capabilities.hpp"
#include "mailwire/smtp/command.hpp"
#include "mailwire/smtp/reply.hpp"
#include "mailwire/smtp/writer.hpp"

namespace mailwire {
inline namespace v0 {
namespace smtp {

/// What an SMTP/LMTP server machine offers and enforces; every field has its
/// default from limits.hpp (name only what you change).
struct server_options {
  /// The server's name in the greeting and EHLO reply.
  std::string hostname = "localhost";
  /// LMTP (RFC 2033): LHLO instead of HELO/EHLO, a reply per recipient
  /// after the data.
  bool lmtp = false;
  /// The transport is TLS already (implicit TLS, port 465).
  bool tls_active = false;
  /// The caller can do TLS: offer STARTTLS while not in TLS.
  bool offer_starttls = false;
  /// SASL mechanisms to offer (empty: no AUTH).
  sasl::mechanism_set auth_mechanisms;
  /// Lenient: offer AUTH before TLS. PLAIN and LOGIN then expose passwords
  /// to anyone on the path.
  bool allow_auth_without_tls = false;
  /// MAIL is refused (530) until the client has authenticated.
  bool require_auth = false;
  /// Largest message in bytes (advertised as SIZE); 0: no limit.
  std::uint64_t max_message_size = 0;
  /// Recipients accepted per transaction; more get 452 (RFC 5321 4.5.3.1.8
  /// says at least 100).
  std::size_t max_recipients = limits::smtp_recipients;
  /// Errors (5xx replies to bad commands) before 421 and close; the last
  /// one comes with an error event errc::too_many_errors.
  std::size_t max_errors = limits::max_errors;
  /// Failed AUTH exchanges (535, or the application's reject() of an
  /// auth_check) before 421 and close, with an error event
  /// errc::too_many_auth_failures. auth_failures() gives the count so far.
  std::size_t max_auth_failures = limits::max_auth_failures;
  /// Bytes buffered from the client before parsing.
  std::size_t max_buffered = limits::max_buffered;
  /// Replies waiting to be written past which the machine takes no more
  /// input (a client that pipelines and never reads): next() then says
  /// write_output.
  std::size_t max_pending_output = limits::max_pending_output;
  /// Command line length, CRLF included (RFC 5321 4.5.3.1.4).
  std::size_t max_command_line = limits::smtp_command_line;
  /// AUTH response line length (RFC 4954 4: at least 12288).
  std::size_t max_auth_line = limits::smtp_auth_line;
  /// Bare CR/LF and NUL in DATA (see core/dot_stuffing.hpp); max_size is ignored here
  /// (max_message_size applies).
  dot_options data;
  /// Lenient command syntax (see command_options).
  bool allow_space_after_colon = false;
  /// Lenient: a valueless MAIL parameter (SMTPUTF8, REQUIRETLS) may be
  /// repeated, as Python's smtplib does (see command_options).
  bool allow_repeated_flag_parameters = false;
  /// Lenient: STARTTLS before EHLO, or after HELO. RFC 3207 makes it an
  /// EHLO extension; a client that never saw it offered may be talking
  /// through something that strips it, and the reply tells it TLS exists.
  bool allow_starttls_without_ehlo = false;
  /// Lenient: BDAT after HELO (RFC 3030 makes CHUNKING an EHLO
  /// extension). The chunk is consumed exactly either way.
  bool allow_bdat_without_ehlo = false;
  /// Extensions to offer.
  bool pipelining = true;
  /// 8BITMIME (RFC 6152): BODY=8BITMIME accepted.
  bool eightbitmime = true;
  /// SMTPUTF8 (RFC 6531): UTF-8 addresses in transactions that ask for it.
  bool smtputf8 = true;
  /// CHUNKING (RFC 3030): BDAT, and BINARYMIME with it.
  bool chunking = true;
  /// ENHANCEDSTATUSCODES (RFC 2034): "2.1.0" and such in replies.
  bool enhancedstatuscodes = true;
};

enum class server_event_type : std::uint8_t {
  need_more,     ///< read more from the client and feed() it (nothing is pending to write)
  write_output,  ///< write pending_output() first: nothing more happens until it shrinks
  paused,        ///< answer the last event first
  hello,         ///< HELO/EHLO/LHLO, answered already; `cmd` has the domain
  mail,          ///< MAIL FROM: accept() or reject(); `cmd` has path and parameters
  rcpt,          ///< RCPT TO: accept() or reject()
  data_chunk,    ///< `bytes` of the message (unstuffed); `size` so far
  message,       ///< the data ended: if `error` is ok, accept()/reject() (LMTP: reply_recipient() per recipient)
  auth_start,    ///< AUTH `mechanism`: auth_begin(nonce) or reject()
  auth_check,    ///< the SASL engine needs `auth` answered (accept, reject, auth_provide_*)
  authenticated, ///< AUTH succeeded for `auth_user` (answered already)
  starttls,      ///< 220 queued: flush it, hand take_unconsumed() to TLS, then tls_established()
  error,         ///< a bad command or line, answered already; `error`, `offset`
                 ///< (also errc::truncated when the input ended mid-command or mid-message)
  closed,        ///< after QUIT's 221, a 421, or finish(): write the output and close
};

/// One event from server::next(); views and pointers in it are valid until
/// the next non-const call on the server.
struct server_event {
  /// What happened (see server_event_type).
  server_event_type type = server_event_type::need_more;
  /// hello, mail, rcpt: the command as parsed (path, parameters).
  const command* cmd = nullptr;
  /// data_chunk: the next bytes of the message, unstuffed.
  std::string_view bytes;
  /// data_chunk, message: bytes of the message so far.
  std::uint64_t size = 0;
  /// error: what went wrong; message: why it was refused (ok: awaiting
  /// accept() or reject()).
  errc error = errc::ok;
  /// Stream offset of the client's bytes the event is about.
  std::uint64_t offset = 0;
  /// message: accepted recipients (LMTP: replies the caller must give).
  std::size_t recipients = 0;
  /// auth_start: the mechanism the client asked for.
  sasl::mechanism mechanism = sasl::mechanism::plain;
  /// auth_check: what the SASL exchange needs decided (user, password...).
  const sasl::server_request* auth = nullptr;
  /// authenticated: the authentication identity.
  std::string_view auth_user;
};

/// The SMTP/LMTP server session machine: one per connection (see the file
/// comment and docs/server.md).
class server {
 public:
  /// A session that has queued its 220 greeting already.
  explicit server(server_options o = {});

  // -- input and output ---------------------------------------------------

  /// Takes bytes the client sent; returns how many fit under max_buffered
  /// (call next() until need_more, then feed the rest). Takes nothing while
  /// waiting for TLS, after finish(), or after close.
  std::size_t feed(std::string_view bytes);
  /// The client closed its side. What was fed is still processed; then a
  /// command line, DATA or BDAT chunk or AUTH exchange left unfinished
  /// gives an error event (errc::truncated, at the end of the input: the
  /// partial message must be discarded), and the session is closed.
  void finish() noexcept { input_.finish(); }
  /// Bytes to write to the client, oldest first; valid until the next
  /// non-const call.
  std::string_view pending_output() const noexcept { return out_.pending(); }
  /// The caller wrote the first `n` bytes of pending_output().
  void consume_output(std::size_t n) noexcept { out_.consume(n); }
  /// True once the session is over (after QUIT, a 421, or finish() and the
  /// last event): write what is pending, then close the connection.
  bool closed() const noexcept { return state_ == state::closed; }

  // -- events ---------------------------------------------------------------

  /// The next event. need_more and write_output are the two ways of saying
  /// "nothing more until the caller does I/O": need_more only when no
  /// output is pending, write_output when output is pending (and, past
  /// max_pending_output, before any more input is parsed).
  server_event next();

  // -- actions ------------------------------------------------------------

  /// Yes to mail, rcpt, message (SMTP), or an auth_check for a password,
  /// token, EXTERNAL or ANONYMOUS.
  errc accept();

  /// No, with the reply to send (code 4xx or 5xx; `text` one line of
  /// printable text). For auth_start and auth_check the reply ends the AUTH
  /// exchange, and refusing an auth_check counts as a failed
  /// authentication (see max_auth_failures). A reply that cannot be sent
  /// (CR, LF or another control character in `text`, a bad code) is
  /// errc::invalid_argument and changes nothing: the event still awaits
  /// its answer.
  errc reject(std::uint16_t code, std::optional<enhanced_status> st, std::string_view text);

  /// LMTP: the reply for the next accepted recipient, in RCPT order. After
  /// the last one the session goes on.
  errc reply_recipient(std::uint16_t code, std::optional<enhanced_status> st, std::string_view text);

  /// Answers auth_start: start the exchange with `nonce` (fresh random
  /// printable ASCII without ',', for SCRAM and CRAM-MD5; may be empty for
  /// the others) and, for SCRAM-*-PLUS, this connection's channel binding.
  ///
  /// A nonce or binding the mechanism needs and did not get is the
  /// application's mistake, not the client's: errc::sasl_missing_nonce (or
  /// sasl_invalid_field, sasl_channel_binding_mismatch), and nothing
  /// changes (the auth_start still awaits its answer).
  errc auth_begin(std::string_view nonce, sasl::channel_binding binding = {});

  /// Answers auth_check for CRAM-MD5 (the user's shared secret) or SCRAM
  /// (the user's stored keys; for an unknown user give decoy keys).
  errc auth_provide_secret(std::string_view secret);
  /// For SCRAM: the user's stored keys (decoy keys for an unknown user).
  errc auth_provide_scram(const sasl::scram_keys& keys);
  /// Answers auth_check for a bearer token with its JSON error (RFC 7628
  /// 3.2.2): sent as a challenge, then the exchange fails.
  errc auth_reject_token(std::string_view error_json);

  /// After the starttls event (and until tls_established()): sets `out` to
  /// the bytes that arrived after the STARTTLS command (the start of the
  /// client's TLS handshake, or an injection attempt), never parsed, and
  /// removes them: give them to the TLS engine. `out` is valid until the
  /// next non-const call. In any other state it is errc::invalid_state and
  /// takes nothing (pipelined commands are never lost).
  errc take_unconsumed(std::string_view& out) noexcept;

  /// The TLS handshake finished: the session starts over (RFC 3207 4.2:
  /// the client must EHLO again; nothing learnt before TLS is kept).
  errc tls_established();

  /// The authenticated user (empty when not authenticated).
  std::string_view auth_user() const noexcept { return auth_user_; }
  /// Failed authentications in this session so far (see
  /// max_auth_failures): for delays or bans across sessions.
  std::size_t auth_failures() const noexcept { return auth_failures_.count(); }
  /// Errors (bad commands, malformed lines) so far (see max_errors).
  std::size_t errors() const noexcept { return errors_.count(); }
  /// True once the connection is in TLS (tls_active, or after tls_established()).
  bool tls() const noexcept { return tls_; }

 private:
  enum class state : std::uint8_t { command, data, bdat, auth, tls_switch, closed };
  enum class awaiting : std::uint8_t { nothing, mail, rcpt, message, auth_start, auth_check };

  static dot_options data_for(const server_options& o);
  static std::optional<enhanced_status> status(std::uint8_t c, std::uint16_t s, std::uint16_t d);
  server_event event(server_event_type k) const;
  errc reply(std::uint16_t code, std::optional<enhanced_status> st, std::string_view text);

  server_event starved();
  server_event take_queued();

  void close_with(errc why, std::uint64_t at, std::string_view text);
  void count_error(std::uint64_t at);
  void count_auth_failure();
  void end_auth();
  server_event protocol_error(errc e, std::uint64_t at, std::uint16_t code, enhanced_status st,
                              std::string_view text);

  server_event chunk(std::string_view bytes, std::uint64_t size);
  server_event message_end(std::uint64_t size, errc error, std::uint64_t at);
  void refuse_data(errc error);
  std::string_view check_bdat_lines(std::string_view piece, std::uint64_t at);
  void end_transaction();

  sasl::mechanism_set offered_mechanisms() const;
  void write_ehlo();

  // -- commands -----------------------------------------------------------
  std::optional<server_event> dispatch(std::string_view line);
  server_event sequence_error(std::string_view text);
  std::optional<server_event> bdat_chunk_done();

  std::optional<server_event> auth_command();
  errc sasl_step(const sasl::exchange_step& st);
  void auth_succeeded();

  // Only from AUTH to its end: an idle session carries none of it.
  struct auth_session {
    auth_session(line_options o, sasl::mechanism m, std::optional<std::string_view> initial)
        : lines(o), exchange(m, initial) {}
    line_reader lines;               // AUTH response lines (max_auth_line)
    sasl::server_exchange exchange;  // the exchange's framing and engine
  };

  server_options options_;
  recv_buffer in_;
  output_queue out_;
  line_reader lines_;
  dot_reader data_;
  command cmd_;
  std::string auth_user_;
  std::unique_ptr<auth_session> auth_;
  std::uint64_t line_offset_ = 0;
  std::uint64_t size_ = 0;
  std::uint64_t bdat_left_ = 0;
  std::uint64_t bdat_error_offset_ = 0;  // stream offset of a BDAT offence
  std::uint64_t bdat_piece_end_ = 0;     // stream offset after the last BDAT piece
  std::uint64_t bdat_seen_ = 0;          // message bytes the line rules have seen
  line_rules_checker bdat_rules_;
  std::size_t recipients_ = 0;
  std::size_t lmtp_left_ = 0;
  strike_counter errors_;
  strike_counter auth_failures_;
  mailwire::detail::event_slot<server_event> queued_;  // an action's event, first out of next()
  // The small ones together, so they share words.
  errc bdat_refused_ = errc::ok;
  state state_ = state::command;
  awaiting awaiting_ = awaiting::nothing;
  sasl::mechanism auth_mechanism_ = sasl::mechanism::plain;
  bool tls_ = false;
  bool hello_ = false;
  bool hello_extended_ = false;
  bool authenticated_ = false;
  bool in_transaction_ = false;
  bool smtputf8_ = false;
  bool bdat_last_ = false;
  bool bdat_started_ = false;
  bool binarymime_ = false;
  bool bdat_cr_held_ = false;  // a BDAT piece's final CR, not delivered yet
  mailwire::detail::input_end input_;
};

// -- server: definitions, in the order declared ------------------------------

inline server::server(server_options o)
    : options_(std::move(o)),
      in_(options_.max_buffered),
      lines_(line_options::with_max_length(options_.max_command_line)),
      data_(data_for(options_)),
      bdat_rules_(options_.data),
      errors_(options_.max_errors),
      auth_failures_(options_.max_auth_failures) {
  tls_ = options_.tls_active;
  reply(220, std::nullopt, options_.hostname + (options_.lmtp ? " LMTP" : " ESMTP") + " ready");
}

inline std::size_t server::feed(std::string_view bytes) {
  if (state_ == state::tls_switch || state_ == state::closed || input_.ended()) return 0;
  return in_.feed(bytes);
}

inline server_event server::next() {
  for (;;) {
    // An event an action produced (an AUTH step that needs the
    // application, its success, a closing error) comes first.
    if (!queued_.empty()) return take_queued();
    if (awaiting_ != awaiting::nothing) return event(server_event_type::paused);
    if (state_ != state::closed && out_.size() >= options_.max_pending_output) {
      return event(server_event_type::write_output);
    }
    switch (state_) {
      case state::closed: return event(server_event_type::closed);
      case state::tls_switch: return starved();
      case state::data: {
        const dot_event d = data_.next(in_);
        if (d.type == dot_event_type::need_more) return starved();
        if (d.type == dot_event_type::chunk) return chunk(d.bytes, d.size);
        return message_end(d.size, d.error, d.error_offset);
      }
      case state::bdat: {
        if (bdat_left_ == 0) {
          if (const auto e = bdat_chunk_done()) return *e;
          continue;
        }
        if (in_.empty()) return starved();
        if (bdat_cr_held_) {
          // The CR that ended the last piece, held back: delivered once
          // the next byte shows it is half of a CRLF, so that what is
          // delivered does not depend on how the input was split. (A bare
          // one is refused by the checker with the next piece.)
          bdat_cr_held_ = false;
          if (in_.data()[0] == '\n' && bdat_refused_ == errc::ok) {
            if (options_.max_message_size != 0 && size_ == options_.max_message_size) {
              bdat_refused_ = errc::message_too_big;
            } else {
              ++size_;
              return chunk("\r", size_);
            }
          }
        }
        const std::uint64_t at = in_.offset();
        std::string_view piece = in_.take(bdat_left_ < in_.size() ? static_cast<std::size_t>(bdat_left_) : in_.size());
        bdat_left_ -= piece.size();
        if (bdat_refused_ != errc::ok) continue;  // consumed exactly, not delivered
        if (!binarymime_) piece = check_bdat_lines(piece, at);
        if (bdat_refused_ != errc::ok && piece.empty()) continue;
        if (!binarymime_ && bdat_refused_ == errc::ok && options_.data.bare_line_ends == line_end_policy::reject &&
            piece.back() == '\r') {
          piece.remove_suffix(1);
          bdat_cr_held_ = true;
          if (piece.empty()) continue;
        }
        if (options_.max_message_size != 0 && options_.max_message_size - size_ < piece.size()) {
          // Exactly up to the limit, whatever the split; the rest is consumed.
          bdat_refused_ = errc::message_too_big;
          piece = piece.substr(0, static_cast<std::size_t>(options_.max_message_size - size_));
          if (piece.empty()) continue;
        }
        size_ += piece.size();
        return chunk(piece, size_);
      }
      case state::auth: {
        const line_result l = auth_->lines.next(in_);
        if (l.state == line_result::status::need_more) return starved();
        if (l.state == line_result::status::error) {
          // The rest of an over-long line is dropped as it arrives, never
          // read as commands.
          if (auth_->lines.discarding()) lines_.discard_line();
          end_auth();
          return protocol_error(l.error, l.offset, 500, {5, 5, 6}, "Authentication line too long or malformed");
        }
        sasl_step(auth_->exchange.line(l.text));
        continue;
      }
      case state::command: {
        const line_result l = lines_.next(in_);
        if (l.state == line_result::status::need_more) return starved();
        if (l.state == line_result::status::error) {
          if (l.error == errc::line_too_long) {
            return protocol_error(l.error, l.offset, 500, {5, 5, 6}, "Line too long");
          }
          return protocol_error(l.error, l.offset, 500, {5, 5, 2}, "Bare CR or LF in command");
        }
        line_offset_ = l.offset;
        if (const auto e = dispatch(l.text)) return *e;
        continue;
      }
    }
  }
}

inline errc server::accept() {
  // The replies here are fixed texts: they cannot fail, so the state
  // changes before them.
  switch (awaiting_) {
    case awaiting::mail:
      awaiting_ = awaiting::nothing;
      in_transaction_ = true;
      return reply(250, status(2, 1, 0), "Sender ok");
    case awaiting::rcpt:
      awaiting_ = awaiting::nothing;
      ++recipients_;
      return reply(250, status(2, 1, 5), "Recipient ok");
    case awaiting::message:
      if (options_.lmtp) return errc::invalid_state;  // reply_recipient() per recipient
      awaiting_ = awaiting::nothing;
      end_transaction();
      return reply(250, status(2, 0, 0), "Message accepted");
    case awaiting::auth_check: return sasl_step(auth_->exchange.accept());
    case awaiting::nothing:
    case awaiting::auth_start: break;
  }
  return errc::invalid_state;
}

inline errc server::reject(std::uint16_t code, std::optional<enhanced_status> st, std::string_view text) {
  if (code < 400 || code > 599) return errc::invalid_argument;
  if (awaiting_ == awaiting::nothing || (awaiting_ == awaiting::message && options_.lmtp)) {
    return errc::invalid_state;
  }
  if (const errc e = reply(code, st, text); e != errc::ok) return e;
  const awaiting was = awaiting_;
  awaiting_ = awaiting::nothing;
  switch (was) {
    case awaiting::message: end_transaction(); break;
    case awaiting::auth_check: end_auth(); count_auth_failure(); break;
    case awaiting::auth_start: end_auth(); break;
    case awaiting::mail:
    case awaiting::rcpt:
    case awaiting::nothing: break;
  }
  return errc::ok;
}

inline errc server::reply_recipient(std::uint16_t code, std::optional<enhanced_status> st, std::string_view text) {
  if (awaiting_ != awaiting::message || !options_.lmtp || lmtp_left_ == 0) return errc::invalid_state;
  if (code < 200 || code > 599) return errc::invalid_argument;
  const errc e = reply(code, st, text);
  if (e != errc::ok) return e;
  if (--lmtp_left_ == 0) {
    awaiting_ = awaiting::nothing;
    end_transaction();
  }
  return errc::ok;
}

inline errc server::auth_begin(std::string_view nonce, sasl::channel_binding binding) {
  if (awaiting_ != awaiting::auth_start) return errc::invalid_state;
  const errc e = auth_->exchange.begin(nonce, binding, options_.hostname, offered_mechanisms(), options_.max_auth_line);
  if (e != errc::ok) return e;
  awaiting_ = awaiting::nothing;
  state_ = state::auth;
  return sasl_step(auth_->exchange.start());
}

inline errc server::auth_provide_secret(std::string_view secret) {
  if (awaiting_ != awaiting::auth_check) return errc::invalid_state;
  return sasl_step(auth_->exchange.provide_secret(secret));
}

inline errc server::auth_provide_scram(const sasl::scram_keys& keys) {
  if (awaiting_ != awaiting::auth_check) return errc::invalid_state;
  return sasl_step(auth_->exchange.provide_scram(keys));
}

inline errc server::auth_reject_token(std::string_view error_json) {
  if (awaiting_ != awaiting::auth_check) return errc::invalid_state;
  return sasl_step(auth_->exchange.reject_token(error_json));
}

inline errc server::take_unconsumed(std::string_view& out) noexcept {
  return take_after_switch(in_, state_ == state::tls_switch, out);
}

inline errc server::tls_established() {
  if (state_ != state::tls_switch) return errc::invalid_state;
  tls_ = true;
  state_ = state::command;
  hello_ = false;
  hello_extended_ = false;
  authenticated_ = false;
  auth_user_.clear();
  end_transaction();
  return errc::ok;
}

inline dot_options server::data_for(const server_options& o) {
  dot_options d = o.data;
  d.max_size = o.max_message_size;
  return d;
}

inline std::optional<enhanced_status> server::status(std::uint8_t c, std::uint16_t s, std::uint16_t d) {
  return enhanced_status{c, s, d};
}

inline server_event server::event(server_event_type k) const {
  server_event e;
  e.type = k;
  return e;
}

inline errc server::reply(std::uint16_t code, std::optional<enhanced_status> st, std::string_view text) {
  if (!options_.enhancedstatuscodes || !hello_extended_) st.reset();
  return write_reply(out_, code, st, &text, 1);
}

// Nothing more without I/O: the two answers, or the end of the input
// (detail::input_end has the rule).
inline server_event server::starved() {
  if (!input_.ended()) return input_.wait<server_event>(out_);
  // finish() and every byte processed: close, saying whether the client
  // left something unfinished (a partial line, DATA, a BDAT chunk, AUTH).
  const bool unfinished = !in_.empty() || lines_.discarding() || state_ == state::data ||
                          state_ == state::bdat || state_ == state::auth;
  auth_.reset();
  state_ = state::closed;
  return input_.at_end<server_event>(in_, unfinished);
}

// The kept event, with what points into the session added.
inline server_event server::take_queued() {
  server_event e = queued_.take();
  switch (e.type) {
    case server_event_type::auth_check:
      e.auth = &auth_->exchange.request();
      e.mechanism = auth_mechanism_;
      break;
    case server_event_type::authenticated:
      e.auth_user = auth_user_;
      e.mechanism = auth_mechanism_;
      break;
    default: break;
  }
  return e;
}

// Says goodbye (421) and closes, with an error event saying why.
inline void server::close_with(errc why, std::uint64_t at, std::string_view text) {
  reply(421, status(4, 7, 0), options_.hostname + " " + std::string(text));
  state_ = state::closed;
  auth_.reset();
  queued_.put(server_event_type::error, why, at);
}

inline void server::count_error(std::uint64_t at) {
  if (errors_.add()) {
    close_with(errc::too_many_errors, at, "Too many errors, closing connection");
  }
}

inline void server::count_auth_failure() {
  if (auth_failures_.add()) {
    close_with(errc::too_many_auth_failures, in_.offset(), "Too many authentication failures, closing connection");
  }
}

inline void server::end_auth() {
  auth_.reset();
  state_ = state::command;
}

// A bad command or line: reply, count it, and close after too many.
inline server_event server::protocol_error(errc e, std::uint64_t at, std::uint16_t code, enhanced_status st,
                                           std::string_view text) {
  reply(code, st, text);
  server_event ev = event(server_event_type::error);
  ev.error = e;
  ev.offset = at;
  count_error(at);
  return ev;
}

inline server_event server::chunk(std::string_view bytes, std::uint64_t size) {
  server_event e = event(server_event_type::data_chunk);
  e.bytes = bytes;
  e.size = size;
  return e;
}

inline server_event server::message_end(std::uint64_t size, errc error, std::uint64_t at) {
  state_ = state::command;
  server_event e = event(server_event_type::message);
  e.size = size;
  e.error = error;
  e.offset = at;
  e.recipients = recipients_;
  if (error == errc::ok) {
    awaiting_ = awaiting::message;
    lmtp_left_ = recipients_;
    return e;
  }
  // Refused by the data rules: answered here (one reply for SMTP, one
  // per recipient for LMTP); the session goes on.
  const std::size_t n = options_.lmtp ? recipients_ : 1;
  for (std::size_t i = 0; i < n; ++i) refuse_data(error);
  end_transaction();
  return e;
}

// The reply to message data the rules refuse (DATA, or a BDAT chunk).
inline void server::refuse_data(errc error) {
  if (error == errc::message_too_big) {
    reply(552, status(5, 3, 4), "Message too big");
  } else {
    reply(550, status(5, 6, 0),
          error == errc::nul_byte ? "Message refused: NUL in data" : "Message refused: bare CR or LF in data");
  }
}

// BDAT without BODY=BINARYMIME carries text: the same line rules as DATA
// (RFC 3030 3, RFC 5321 2.3.8), with the same leniency flags, or BDAT
// would be the way around DATA's smuggling checks. Returns the bytes
// before the first offence (all of `piece` when clean); the offence
// refuses the message, whose chunks are still consumed exactly.
inline std::string_view server::check_bdat_lines(std::string_view piece, std::uint64_t at) {
  const std::uint64_t start = bdat_seen_;  // the piece's offset in the message
  const std::uint64_t prev_end = bdat_piece_end_;
  bdat_piece_end_ = at + piece.size();
  bdat_seen_ += piece.size();
  if (bdat_rules_.check(piece, start) == errc::ok) return piece;
  const std::uint64_t bad = bdat_rules_.error_offset();
  bdat_refused_ = bdat_rules_.error();
  // In the stream: inside this piece, or the CR that ended the last one.
  bdat_error_offset_ = bad >= start ? at + (bad - start) : prev_end - 1;
  return piece.substr(0, bad >= start ? static_cast<std::size_t>(bad - start) : 0);
}

inline void server::end_transaction() {
  in_transaction_ = false;
  recipients_ = 0;
  size_ = 0;
  smtputf8_ = false;
  binarymime_ = false;
  bdat_refused_ = errc::ok;
  bdat_rules_.reset();
  bdat_error_offset_ = 0;
  bdat_piece_end_ = 0;
  bdat_seen_ = 0;
  bdat_cr_held_ = false;
  bdat_started_ = false;
}

// AUTH only over TLS unless allowed; the -PLUS mechanisms only over TLS
// in any case (there is nothing to bind to without it).
inline sasl::mechanism_set server::offered_mechanisms() const {
  if (!tls_ && !options_.allow_auth_without_tls) return {};
  sasl::mechanism_set m = options_.auth_mechanisms;
  if (!tls_) {
    m.erase(sasl::mechanism::scram_sha_1_plus);
    m.erase(sasl::mechanism::scram_sha_256_plus);
  }
  return m;
}

inline void server::write_ehlo() {
  capabilities c;
  c.domain = options_.hostname;
  c.greeting = "Hello";
  c.pipelining = options_.pipelining;
  c.eightbitmime = options_.eightbitmime;
  c.smtputf8 = options_.smtputf8;
  c.chunking = options_.chunking;
  c.binarymime = options_.chunking;
  c.enhancedstatuscodes = options_.enhancedstatuscodes;
  c.starttls = options_.offer_starttls && !tls_;
  c.size = true;
  c.size_limit = options_.max_message_size;  // 0: no fixed maximum (RFC 1870 4)
  const sasl::mechanism_set m = offered_mechanisms();
  c.auth = !m.empty();
  c.auth_mechanisms = m;
  if (write_ehlo_reply(out_, c) != errc::ok) reply(250, std::nullopt, options_.hostname);
}

inline std::optional<server_event> server::dispatch(std::string_view line) {
  command_options co;
  co.smtputf8 = options_.smtputf8 && (smtputf8_ || !in_transaction_);
  co.allow_space_after_colon = options_.allow_space_after_colon;
  co.allow_repeated_flag_parameters = options_.allow_repeated_flag_parameters;
  const command_result r = parse_command(line, cmd_, co);
  if (r.error != errc::ok) {
    return protocol_error(r.error, line_offset_ + r.offset, r.reply_code, r.status,
                          r.error == errc::unknown_command ? "Command unrecognized" : "Syntax error");
  }
  switch (cmd_.kind) {
    case verb::helo:
    case verb::ehlo:
    case verb::lhlo: {
      if (options_.lmtp != (cmd_.kind == verb::lhlo)) {
        return protocol_error(errc::unknown_command, line_offset_, 500, {5, 5, 1},
                              options_.lmtp ? "LMTP: use LHLO" : "Command unrecognized");
      }
      end_transaction();
      hello_ = true;
      hello_extended_ = cmd_.kind != verb::helo;
      if (hello_extended_) {
        write_ehlo();
      } else {
        reply(250, std::nullopt, options_.hostname);
      }
      server_event e = event(server_event_type::hello);
      e.cmd = &cmd_;
      return e;
    }
    case verb::mail: {
      if (!hello_) return sequence_error("Send EHLO first");
      if (in_transaction_) return sequence_error("Nested MAIL command");
      if (options_.require_auth && !authenticated_) {
        reply(530, status(5, 7, 0), "Authentication required");
        return std::nullopt;
      }
      if (cmd_.mail.size && options_.max_message_size != 0 && *cmd_.mail.size > options_.max_message_size) {
        reply(552, status(5, 3, 4), "Message size exceeds fixed maximum message size");
        return std::nullopt;
      }
      if (cmd_.mail.smtputf8 && !options_.smtputf8) {
        return protocol_error(errc::smtp_bad_parameter, line_offset_, 555, {5, 5, 4}, "SMTPUTF8 not offered");
      }
      smtputf8_ = cmd_.mail.smtputf8;
      binarymime_ = cmd_.mail.body == body_type::binary_mime;
      awaiting_ = awaiting::mail;
      server_event e = event(server_event_type::mail);
      e.cmd = &cmd_;
      return e;
    }
    case verb::rcpt: {
      if (!in_transaction_) return sequence_error("Need MAIL before RCPT");
      if (recipients_ >= options_.max_recipients) {
        reply(452, status(4, 5, 3), "Too many recipients");
        return std::nullopt;
      }
      awaiting_ = awaiting::rcpt;
      server_event e = event(server_event_type::rcpt);
      e.cmd = &cmd_;
      return e;
    }
    case verb::data: {
      if (!in_transaction_) return sequence_error("Need MAIL command");
      if (recipients_ == 0) {
        reply(554, status(5, 5, 1), "No valid recipients");
        return std::nullopt;
      }
      if (bdat_started_) return sequence_error("DATA after BDAT");
      // RFC 3030 3: a BINARYMIME message can only go with BDAT.
      if (binarymime_) return sequence_error("BODY=BINARYMIME requires BDAT");
      reply(354, std::nullopt, "End data with <CR><LF>.<CR><LF>");
      state_ = state::data;
      return std::nullopt;
    }
    case verb::bdat: {
      // The chunk follows the command and is consumed exactly, whatever
      // becomes of it (RFC 3030 2).
      bdat_left_ = cmd_.chunk_size;
      bdat_last_ = cmd_.last;
      state_ = state::bdat;
      if (!options_.chunking) {
        bdat_refused_ = errc::unknown_command;
      } else if (!hello_extended_ && !options_.allow_bdat_without_ehlo) {
        bdat_refused_ = errc::extension_missing;  // RFC 3030: an EHLO extension
      } else if (!in_transaction_ || recipients_ == 0) {
        bdat_refused_ = errc::invalid_state;
      }
      bdat_started_ = true;
      return std::nullopt;
    }
    case verb::rset:
      end_transaction();
      reply(250, status(2, 0, 0), "Ok");
      return std::nullopt;
    case verb::noop: reply(250, status(2, 0, 0), "Ok"); return std::nullopt;
    case verb::help: reply(214, status(2, 0, 0), "See RFC 5321"); return std::nullopt;
    case verb::vrfy:
      reply(252, status(2, 5, 0), "Cannot VRFY user, but will accept message and attempt delivery");
      return std::nullopt;
    case verb::expn:
    case verb::etrn:
    case verb::burl: reply(502, status(5, 5, 1), "Command not implemented"); return std::nullopt;
    case verb::quit:
      reply(221, status(2, 0, 0), options_.hostname + " Bye");
      state_ = state::closed;
      return event(server_event_type::closed);
    case verb::starttls: {
      if (!options_.offer_starttls || tls_) {
        return protocol_error(errc::unknown_command, line_offset_, 502, {5, 5, 1}, "STARTTLS not available");
      }
      // RFC 3207 4: STARTTLS is an EHLO extension.
      if (!hello_extended_ && !options_.allow_starttls_without_ehlo) {
        return protocol_error(errc::extension_missing, line_offset_, 503, {5, 5, 1}, "Send EHLO first");
      }
      reply(220, status(2, 0, 0), "Ready to start TLS");
      state_ = state::tls_switch;  // from here on, nothing is parsed
      return event(server_event_type::starttls);
    }
    case verb::auth: return auth_command();
  }
  return std::nullopt;
}

inline server_event server::sequence_error(std::string_view text) {
  return protocol_error(errc::invalid_state, line_offset_, 503, {5, 5, 1}, text);
}

inline std::optional<server_event> server::bdat_chunk_done() {
  state_ = state::command;
  if (bdat_refused_ == errc::unknown_command) {
    end_transaction();
    return protocol_error(errc::unknown_command, line_offset_, 502, {5, 5, 1}, "CHUNKING not offered");
  }
  if (bdat_refused_ == errc::extension_missing) {
    end_transaction();
    return protocol_error(errc::extension_missing, line_offset_, 503, {5, 5, 1}, "Send EHLO first");
  }
  if (bdat_refused_ == errc::invalid_state) {
    end_transaction();
    return sequence_error("Need MAIL and RCPT before BDAT");
  }
  if (!bdat_last_) {
    if (bdat_refused_ == errc::ok) {
      reply(250, status(2, 0, 0), std::to_string(cmd_.chunk_size) + " octets received");
    } else {
      refuse_data(bdat_refused_);  // RFC 3030 2: the transaction has failed
    }
    return std::nullopt;
  }
  if (bdat_refused_ == errc::ok && !binarymime_ && bdat_rules_.finish() != errc::ok) {
    bdat_refused_ = bdat_rules_.error();  // a CR at the very end is bare
    bdat_error_offset_ = bdat_piece_end_ - 1;
  }
  return message_end(size_, bdat_refused_, bdat_error_offset_);
}

inline std::optional<server_event> server::auth_command() {
  if (!hello_ || !hello_extended_) return sequence_error("Send EHLO first");
  if (authenticated_) return sequence_error("Already authenticated");
  if (in_transaction_) return sequence_error("AUTH not allowed during a mail transaction");
  if (!cmd_.mechanism || !offered_mechanisms().contains(*cmd_.mechanism)) {
    return protocol_error(errc::sasl_unknown_mechanism, line_offset_, 504, {5, 5, 4},
                          "Unrecognized authentication type");
  }
  auth_mechanism_ = *cmd_.mechanism;
  auth_ = std::make_unique<auth_session>(line_options::with_max_length(options_.max_auth_line), auth_mechanism_,
                                         cmd_.initial_response);
  awaiting_ = awaiting::auth_start;
  server_event e = event(server_event_type::auth_start);
  e.mechanism = auth_mechanism_;
  return e;
}

// One step of the SASL exchange in SMTP's words (RFC 4954 4, 6).
inline errc server::sasl_step(const sasl::exchange_step& st) {
  using sasl_status = sasl::exchange_step::status;
  awaiting_ = awaiting::nothing;
  switch (st.state) {
    case sasl_status::challenge: state_ = state::auth; return sasl::write_challenge(out_, "334 ", st.data);
    case sasl_status::check:
      awaiting_ = awaiting::auth_check;
      queued_.put(server_event_type::auth_check);
      return errc::ok;
    case sasl_status::success: auth_succeeded(); return errc::ok;
    default: break;
  }
  end_auth();  // every other step ends the exchange
  switch (st.state) {
    case sasl_status::cancelled: return reply(501, status(5, 0, 0), "Authentication cancelled");
    case sasl_status::failed:
      reply(535, status(5, 7, 8), "Authentication credentials invalid");
      count_auth_failure();
      return errc::ok;
    case sasl_status::bad_initial:
    case sasl_status::bad_line:
      reply(501, status(5, 5, 2), "Invalid base64 in authentication data");
      count_error(in_.offset());
      return errc::ok;
    case sasl_status::unexpected: return reply(501, status(5, 5, 2), "Unexpected authentication data");
    default: return reply(501, status(5, 5, 2), "Malformed authentication data");
  }
}

inline void server::auth_succeeded() {
  authenticated_ = true;
  auth_user_ = std::string(auth_->exchange.username());
  auth_.reset();
  state_ = state::command;
  reply(235, status(2, 7, 0), "Authentication successful");
  queued_.put(server_event_type::authenticated);
}

}  // namespace smtp
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_SMTP_SERVER_HPP
