// mailwire: pieces of session policy every protocol machine shares.
//
// SMTP, POP3 and IMAP machines (client and server) all
//  - close a session after too many bad commands or failed authentications
//    (strike_counter: the count, its limit, "this one reached it");
//  - stop parsing at a TLS switch point and hand the bytes that arrived
//    after it to the caller, and only there (take_after_switch);
//  - end next() the same way when nothing more can happen without I/O,
//    finish() included (detail::input_end);
//  - return first an event that an action produced (detail::event_slot,
//    the servers);
//  - match replies to the commands sent, in order, refusing a reply to a
//    command not yet written in full (detail::awaited_replies, the
//    clients).
// Each machine keeps its own states; these keep the rules identical.
#ifndef MAILWIRE_CORE_SESSION_HPP
#define MAILWIRE_CORE_SESSION_HPP

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mailwire/core/fifo.hpp"
#include "mailwire/core/output_queue.hpp"
#include "mailwire/core/recv_buffer.hpp"
#include "mailwire/error.hpp"

namespace mailwire {
inline namespace v0 {

/// How a client uses TLS: the same choices in SMTP (STARTTLS, port 465),
/// POP3 (STLS, port 995) and IMAP (STARTTLS, port 993).
enum class tls_policy : std::uint8_t {
  none,           ///< never upgrade (plain text throughout)
  opportunistic,  ///< upgrade when offered, plain text otherwise
  required,       ///< upgrade or fail (errc::tls_unavailable), before any credential is sent
  implicit,       ///< the transport is TLS from the first byte
};

/// Counts strikes against a limit: bad commands (options::max_errors) or
/// failed authentications (options::max_auth_failures). A limit of 0 is
/// read as 1 (the first strike closes).
class strike_counter {
 public:
  /// A counter that closes at `max` strikes (0 is read as 1).
  explicit strike_counter(std::size_t max) noexcept : max_(max == 0 ? 1 : max) {}
  /// Counts one; true when this one reaches the limit (only once: later
  /// strikes return false, the session being closed already).
  bool add() noexcept { return ++count_ == max_; }
  /// Strikes so far.
  std::size_t count() const noexcept { return count_; }
  /// Starts the count again (for limits on consecutive strikes).
  void reset() noexcept { count_ = 0; }
  /// The limit.
  std::size_t max() const noexcept { return max_; }

 private:
  std::size_t max_;
  std::size_t count_ = 0;
};

/// The take_unconsumed() rule: at a TLS switch point (`at_switch`), sets
/// `out` to every byte left in `in` (received after the command or reply
/// that switches) and consumes them; `out` is valid until the next
/// non-const call on `in`. Anywhere else: errc::invalid_state, `out` empty,
/// nothing taken (pipelined commands are never lost).
inline errc take_after_switch(recv_buffer& in, bool at_switch, std::string_view& out) noexcept {
  out = {};
  if (!at_switch) return errc::invalid_state;
  out = in.take(in.size());
  return errc::ok;
}

namespace detail {

/// The end of every machine's next(): what it says when nothing more can
/// happen without I/O (the input is used up, or the machine waits for TLS).
///
///  - Before finish(): need_more when no output is pending, else
///    write_output (design change (e)): wait().
///  - After finish() (the peer closed; every byte fed has been processed by
///    the time next() is starved): if the peer left something unfinished (a
///    partial line, an awaited reply, DATA, AUTH: the machine says what
///    counts), an error event errc::truncated at the end of the input, then
///    closed; else closed alone: at_end(). The machine enters its closed
///    state before returning that event, so the next next() says closed.
///
/// Event is the machine's event struct (fields `type`, `error`, `offset`);
/// its type enum names need_more, write_output, error and closed.
class input_end {
 public:
  /// The peer closed its side (the machine's finish()).
  void finish() noexcept { ended_ = true; }
  /// True after finish(): feed() takes nothing more.
  bool ended() const noexcept { return ended_; }

  /// Before finish(): need_more, or write_output while `out` holds bytes.
  template <class Event>
  static Event wait(const output_queue& out) noexcept {
    Event e;
    e.type = out.empty() ? decltype(e.type)::need_more : decltype(e.type)::write_output;
    return e;
  }

  /// After finish(): closed, or, when `unfinished`, errc::truncated at the
  /// offset just past the last byte received (closed follows it).
  template <class Event>
  static Event at_end(const recv_buffer& in, bool unfinished) noexcept {
    Event e;
    if (!unfinished) {
      e.type = decltype(e.type)::closed;
      return e;
    }
    e.type = decltype(e.type)::error;
    e.error = errc::truncated;
    e.offset = in.offset() + in.size();
    return e;
  }

 private:
  bool ended_ = false;
};

/// One event kept for next() to return before it reads any more input: an
/// action's result that the application must see (a server's auth_check,
/// authenticated, open_maildrop) or the error that closed the session. One
/// slot, not a queue: a machine produces at most one such event between
/// two next() calls, and a later put() replaces an event not yet taken.
/// It keeps the type, error and offset; the machine adds the fields that
/// point into its state when it takes the event.
template <class Event>
class event_slot {
 public:
  using type_t = decltype(Event::type);

  bool empty() const noexcept { return !full_; }
  void put(type_t t, errc e = errc::ok, std::uint64_t at = 0) noexcept {
    type_ = t;
    error_ = e;
    offset_ = at;
    full_ = true;
  }
  /// The event with type, error and offset set; empties the slot.
  /// Precondition: !empty().
  Event take() noexcept {
    Event e;
    e.type = type_;
    e.error = error_;
    e.offset = offset_;
    full_ = false;
    return e;
  }

 private:
  std::uint64_t offset_ = 0;
  errc error_ = errc::ok;
  type_t type_{};
  bool full_ = false;
};

/// The commands a client has sent and awaits replies to, oldest first
/// (SMTP and POP3 replies come in the order of the commands). Each records
/// how much output must have been written before its reply can come: a
/// reply that arrives earlier answers a command the server has not
/// received, so it was injected or is unsolicited, and taking it would
/// shift every later reply onto the wrong command (design change (k)).
/// Command is the machine's record of what a reply answers.
template <class Command>
class awaited_replies {
 public:
  bool empty() const noexcept { return commands_.empty(); }
  /// `c` was just put in `out`: its reply counts once all of `out` is
  /// written.
  void expect(const Command& c, const output_queue& out) { commands_.push_back({c, out.written() + out.size()}); }
  /// A reply awaited with nothing to write first (the greeting; LMTP's
  /// replies after the first one to the data).
  void expect_now(const Command& c) { commands_.push_back({c, 0}); }
  /// What a reply read now answers: the oldest command, if written in
  /// full; nullptr when none is awaited or it is not written in full yet
  /// (errc::unexpected_reply either way). Valid until the next call.
  const Command* answered(const output_queue& out) noexcept {
    if (commands_.empty() || out.written() < commands_.front().written_at) return nullptr;
    return &commands_.front().command;
  }
  /// The oldest command is answered. Precondition: !empty().
  void pop() noexcept { commands_.pop_front(); }

 private:
  struct entry {
    Command command;
    std::uint64_t written_at;  // out.written() once the command is written in full
  };
  fifo<entry> commands_;
};

}  // namespace detail

}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_CORE_SESSION_HPP
