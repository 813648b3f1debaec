// mailwire: IMAP sequence sets (RFC 3501 9, RFC 9051 9; "$" of RFC 5182).
//
//   sequence-set     = (seq-number / seq-range) ["," sequence-set]
//   sequence-set     =/ seq-last-command          ; "$", alone (RFC 5182)
//   seq-range        = seq-number ":" seq-number  ; either order
//   seq-number       = nz-number / "*"
//   nz-number        = digit-nz *DIGIT            ; 1 to 4294967295
//
// A set is kept as its ranges, as written: never expanded, so
// "1:4294967295" costs one range and a set costs memory proportional to
// its text, whatever numbers it names. The same type serves message
// sequence numbers and UIDs (uid-set of RFC 9051 is a sequence-set without
// "$"); "*" stands for the largest number in use (the number of messages,
// or the largest UID), which the caller supplies when asking.
#ifndef MAILWIRE_IMAP_SEQUENCE_SET_HPP
#define MAILWIRE_IMAP_SEQUENCE_SET_HPP

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mailwire/core/ascii.hpp"
#include "mailwire/core/number.hpp"
#include "mailwire/error.hpp"

namespace mailwire {
inline namespace v0 {
namespace imap {

/// One seq-number or seq-range as written: `first` and `last` are 1 to
/// 4294967295, or 0 for "*" (the largest number in use). A single number
/// has first == last; "5:2" is kept as {5, 2} and means 2 to 5.
struct seq_range {
  /// The first number as written (0 stands for "*", the largest in use).
  std::uint32_t first = 0;
  /// The last number as written (may be below `first`; 0 stands for "*").
  std::uint32_t last = 0;

  friend constexpr bool operator==(const seq_range& a, const seq_range& b) noexcept {
    return a.first == b.first && a.last == b.last;
  }
  friend constexpr bool operator!=(const seq_range& a, const seq_range& b) noexcept { return !(a == b); }
};

/// The value of "*" in a seq_range.
inline constexpr std::uint32_t seq_star = 0;

/// A sequence set: a list of ranges, or the SEARCHRES marker "$" (RFC 5182:
/// the result of the last SEARCH ... SAVE, which only the session knows).
/// Default-constructed, it is empty, which is not a valid sequence-set:
/// give it a number, a range or add() ranges before writing it.
/// Owns its ranges (a std::vector); holds no view.
class sequence_set {
 public:
  sequence_set() = default;
  /// The set of one number (or "*" with n == 0).
  explicit sequence_set(std::uint32_t n) : ranges_{seq_range{n, n}} {}
  /// The set of one range.
  explicit sequence_set(seq_range r) : ranges_{r} {}

  /// The set "$" (RFC 5182), which stands for the saved search result.
  static sequence_set saved_result() {
    sequence_set s;
    s.saved_ = true;
    return s;
  }

  /// True for "$"; ranges() is then empty and contains() false: the caller
  /// substitutes the saved result it keeps.
  bool is_saved_result() const noexcept { return saved_; }
  /// True when the set has no range and is not "$".
  bool empty() const noexcept { return !saved_ && ranges_.empty(); }
  /// The ranges in the order written (duplicates and overlaps kept).
  const std::vector<seq_range>& ranges() const noexcept { return ranges_; }

  /// Empties the set (no range, not "$"), keeping the capacity of its
  /// ranges, so a set parsed into again and again (a response object a
  /// client reuses) stops allocating once it has grown.
  void clear() noexcept {
    ranges_.clear();
    saved_ = false;
  }

  /// Appends a range. errc::invalid_state, changing nothing, on "$" ("$"
  /// cannot be combined with numbers, RFC 5182).
  errc add(seq_range r) {
    if (saved_) return errc::invalid_state;
    ranges_.push_back(r);
    return errc::ok;
  }

  /// True when message number (or UID) `n` is in the set, with "*" taken
  /// as `largest`: the number of messages, or for UIDs the largest UID
  /// (the mailbox's UIDNEXT when it is empty; RFC 9051 9, seq-number).
  /// A range is inclusive in either order, so "559:*" with largest 500
  /// covers 500 to 559 (RFC 9051 6.4.9: "*" is always included). False
  /// for n == 0 and for "$". Linear in the number of ranges.
  bool contains(std::uint32_t n, std::uint32_t largest) const noexcept {
    if (n == 0) return false;
    for (const seq_range& r : ranges_) {
      const std::uint32_t a = r.first == seq_star ? largest : r.first;
      const std::uint32_t b = r.last == seq_star ? largest : r.last;
      if ((a <= n && n <= b) || (b <= n && n <= a)) return true;
    }
    return false;
  }

  friend bool operator==(const sequence_set& a, const sequence_set& b) noexcept {
    return a.saved_ == b.saved_ && a.ranges_ == b.ranges_;
  }
  friend bool operator!=(const sequence_set& a, const sequence_set& b) noexcept { return !(a == b); }

 private:
  std::vector<seq_range> ranges_;
  bool saved_ = false;
};

namespace detail {
// seq-number at the front of `s`: nz-number or "*". Advances `s`.
inline bool read_seq_number(std::string_view& s, std::uint32_t& out) noexcept {
  if (!s.empty() && s.front() == '*') {
    out = seq_star;
    s.remove_prefix(1);
    return true;
  }
  std::size_t n = 0;
  while (n < s.size() && ascii::is_digit(s[n])) ++n;
  std::uint64_t v = 0;
  // nz-number = digit-nz *DIGIT: no leading zero; at most 10 digits.
  if (n == 0 || s.front() == '0' || !parse_number(s.substr(0, n), 10, v) || v > 0xFFFFFFFFu) return false;
  out = static_cast<std::uint32_t>(v);
  s.remove_prefix(n);
  return true;
}
}  // namespace detail

namespace detail {
// Reads the ranges of `token` (not "$"), appending them to `out` when it
// is not null: called once to check the whole token, then to fill.
inline bool scan_sequence_set(std::string_view token, sequence_set* out) {
  std::string_view rest = token;
  for (;;) {
    seq_range r;
    if (!read_seq_number(rest, r.first)) return false;
    r.last = r.first;
    if (!rest.empty() && rest.front() == ':') {
      rest.remove_prefix(1);
      if (!read_seq_number(rest, r.last)) return false;
    }
    if (out != nullptr) out->add(r);
    if (rest.empty()) return true;
    if (rest.front() != ',') return false;
    rest.remove_prefix(1);
  }
}
}  // namespace detail

/// Parses `token` (the whole sequence-set, nothing around it) into `out`,
/// replacing what `out` held. errc::syntax_error, with `out` unchanged,
/// for an empty token, 0, a leading zero ("01"), a number above
/// 4294967295, an empty element (",1", "1,,2", "1,"), a range end missing
/// ("1:", ":2") or chained ("1:2:3"), any other byte, or "$" with anything
/// else ("$,1"). "*:*" and "5:2" are accepted.
///
/// Ranges are parsed into `out` in place: the capacity it already has is
/// kept (parsing "$" gives it up), so reusing one set allocates only when
/// a token has more ranges than any before. Time is linear in
/// token.size(); out holds at most (token.size() + 1) / 2 ranges, so the
/// caller's line limit (limits::imap_line) bounds its memory.
inline errc parse_sequence_set(std::string_view token, sequence_set& out) {
  if (token == "$") {
    out = sequence_set::saved_result();
    return errc::ok;
  }
  // Checked whole first, so that a bad token leaves `out` as it was.
  if (!detail::scan_sequence_set(token, nullptr)) return errc::syntax_error;
  out.clear();
  detail::scan_sequence_set(token, &out);
  return errc::ok;
}

namespace detail {
inline void write_seq_number(std::string& out, std::uint32_t n) {
  if (n == seq_star) {
    out.push_back('*');
    return;
  }
  char buf[10];
  std::size_t len = 0;
  for (; n != 0; n /= 10) buf[len++] = static_cast<char>('0' + n % 10);
  while (len != 0) out.push_back(buf[--len]);
}
}  // namespace detail

/// Appends `s` as a sequence-set: "$", or the ranges in order, joined by
/// ",", a range with first == last written as one number ("5:5" is
/// written "5"), other ranges in their own order ("5:2"). An empty set
/// (not a valid sequence-set) appends nothing; check empty() first.
inline void write(std::string& out, const sequence_set& s) {
  if (s.is_saved_result()) {
    out.push_back('$');
    return;
  }
  bool first = true;
  for (const seq_range& r : s.ranges()) {
    if (!first) out.push_back(',');
    first = false;
    detail::write_seq_number(out, r.first);
    if (r.last != r.first) {
      out.push_back(':');
      detail::write_seq_number(out, r.last);
    }
  }
}

}  // namespace imap
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_IMAP_SEQUENCE_SET_HPP
