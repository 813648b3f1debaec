// mailwire: the one emit point every serialiser goes through.
//
// Whatever a protocol writes to its peer (an SMTP command or reply, a POP3
// command or response, an IMAP command or response), it writes through
// detail::emit(): a producer is run once to check and measure and once to
// write, so a line is formatted once, straight into the output_queue, or
// not at all. A producer writes fields with wire_sink::put() (no CR, LF or
// NUL), free text with put_text() (no control character but HTAB), numbers
// with number(), and line ends only with end_line(): a field can never
// carry a line end, which is what command and header injection need. A
// producer that finds a field it cannot write (bad syntax, out of range)
// calls fail(); then nothing is queued and emit() returns
// errc::invalid_argument. Payloads that are not lines (DATA, literals) do
// not come here: they have their own writers (core/dot_stuffing.hpp).
#ifndef MAILWIRE_CORE_EMIT_HPP
#define MAILWIRE_CORE_EMIT_HPP

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "mailwire/core/ascii.hpp"
#include "mailwire/core/output_queue.hpp"
#include "mailwire/error.hpp"

namespace mailwire {
inline namespace v0 {
namespace detail {

/// What a producer writes to. In the measuring pass (no buffer) it checks
/// every field and counts; in the writing pass it copies.
/// Line ends come only from end_line(): a field can never carry one.
class wire_sink {
 public:
  wire_sink() noexcept = default;
  explicit wire_sink(char* p) noexcept : p_(p) {}

  /// A field (or a piece of one): any bytes but CR, LF and NUL.
  void put(std::string_view s) noexcept {
    if (p_ == nullptr) {
      // Branch-free over the field (find_first_of would search the set
      // once per byte; one flag per byte value keeps the loop vectorisable):
      // fields are short and almost always clean.
      unsigned char cr = 0;
      unsigned char lf = 0;
      unsigned char nul = 0;
      for (const char c : s) {
        cr |= static_cast<unsigned char>(c == '\r');
        lf |= static_cast<unsigned char>(c == '\n');
        nul |= static_cast<unsigned char>(c == '\0');
      }
      if ((cr | lf | nul) != 0) failed_ = true;
    } else if (!s.empty()) {
      std::memcpy(p_ + n_, s.data(), s.size());
    }
    n_ += s.size();
  }
  void put(char c) noexcept {
    if (p_ == nullptr) {
      failed_ |= c == '\r' || c == '\n' || c == '\0';
    } else {
      p_[n_] = c;
    }
    ++n_;
  }
  /// A decimal number, from an integer (digits only: nothing to check).
  void number(std::uint64_t v) noexcept {
    char buf[20];
    std::size_t k = sizeof buf;
    do {
      buf[--k] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    if (p_ != nullptr) std::memcpy(p_ + n_, buf + k, sizeof buf - k);
    n_ += sizeof buf - k;
  }
  /// Free text (a reply's or response's text): what ascii::is_text()
  /// accepts, so any control character but HTAB fails, which covers put()'s
  /// CR, LF and NUL; 8-bit bytes pass.
  void put_text(std::string_view s) noexcept {
    if (p_ == nullptr) {
      if (!ascii::is_text(s)) failed_ = true;
    } else if (!s.empty()) {
      std::memcpy(p_ + n_, s.data(), s.size());
    }
    n_ += s.size();
  }
  /// CRLF.
  void end_line() noexcept {
    if (p_ != nullptr) std::memcpy(p_ + n_, "\r\n", 2);
    n_ += 2;
  }
  /// A producer found a field it cannot write.
  void fail() noexcept { failed_ = true; }

  bool failed() const noexcept { return failed_; }
  /// Bytes put so far (both passes count the same).
  std::size_t size() const noexcept { return n_; }

 private:
  char* p_ = nullptr;
  std::size_t n_ = 0;
  bool failed_ = false;
};

/// The one emit point: runs `produce(wire_sink&)` to check and measure,
/// then, if nothing failed, again to write into `out`. The producer must
/// write the same bytes both times (it depends only on its inputs).
/// Returns errc::ok (also when the producer wrote nothing) or
/// errc::invalid_argument with nothing queued.
template <class Produce>
errc emit(output_queue& out, Produce&& produce) {
  wire_sink measure;
  produce(measure);
  if (measure.failed()) return errc::invalid_argument;
  if (measure.size() == 0) return errc::ok;
  wire_sink write(out.prepare(measure.size()));
  produce(write);
  out.commit(measure.size());
  return errc::ok;
}

}  // namespace detail
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_CORE_EMIT_HPP
