// mailwire: pieces of session policy every protocol machine shares.
//
// SMTP, POP3 and IMAP machines (client and server) all
//  - close a session after too many bad commands or failed authentications
//    (strike_counter: the count, its limit, "this one reached it");
//  - stop parsing at a TLS switch point and hand the bytes that arrived
//    after it to the caller, and only there (take_after_switch).
// Each machine keeps its own states; these keep the rules identical.
#ifndef MAILWIRE_CORE_SESSION_HPP
#define MAILWIRE_CORE_SESSION_HPP

#include <cstddef>
#include <cstdint>
#include <string_view>

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
  explicit strike_counter(std::size_t max) noexcept : max_(max == 0 ? 1 : max) {}
  /// Counts one; true when this one reaches the limit (only once: later
  /// strikes return false, the session being closed already).
  bool add() noexcept { return ++count_ == max_; }
  std::size_t count() const noexcept { return count_; }
  /// Starts the count again (for limits on consecutive strikes).
  void reset() noexcept { count_ = 0; }
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

}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_CORE_SESSION_HPP
