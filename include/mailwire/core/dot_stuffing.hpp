// mailwire: dot-stuffed data, both directions: SMTP DATA (RFC 5321 4.1.1.4,
// 4.5.2) and POP3 multi-line responses (RFC 1939 3: RETR, TOP, LIST, UIDL,
// CAPA), which end and stuff lines the same way.
//
// dot_reader (the receiving side) takes the bytes after the line that
// starts the data (SMTP's DATA once 354 is sent, POP3's "+OK" line) and
// yields the data, dot-unstuffed, as zero-copy chunks, then an end event.
// It is the part of a mail server that SMTP smuggling attacks, so it is
// strict:
//
//  - The data ends only on CRLF "." CRLF, where the "." line starts the data
//    or follows a real CRLF. "\n.\n", "\n.\r\n", "\r\n.\n", "\r.\r\n" and
//    "\r\n.\r" never end it.
//  - Bare LF or bare CR refuses the message by default (errc::bare_lf,
//    errc::bare_cr with the offset of the first one): the rest of the data
//    is still read to its real end, without further chunks, and the session
//    goes on. line_end_policy::normalize turns each into CRLF instead; a "."
//    after a normalised line end is message content, never an end.
//  - NUL refuses the message (errc::nul_byte) unless allowed.
//  - Past options.max_size bytes the message is refused
//    (errc::message_too_big) and the rest drained.
// A refused message still ends with an end event carrying the error; the
// server answers 550/552/554 and carries on.
//
// line_rules_checker applies the same line rules (bare CR, bare LF, NUL,
// with the same leniency flags) to data that is not dot-stuffed, such as
// SMTP BDAT chunks (RFC 3030); dot_reader checks its own data with it.
//
// dot_writer (the sending side) does the reverse: it dot-stuffs every line
// that starts with ".", turns bare CR and bare LF into CRLF (or refuses
// them), and finish() ends the data with CRLF "." CRLF. Where the CPU has
// AVX2 or AVX-512 (core/cpu.hpp), it copies whole blocks of ordinary text
// with a vector kernel and leaves only the bytes it changes to its scalar
// step, so its output is the scalar writer's.
//
// Memory: the reader holds back at most 2 bytes (a possible ".\r") and
// never copies. Time is linear in the input: each byte is searched a
// bounded number of times (memchr), including when the reader stops at
// every byte of a run of bare CRs to repair it. Views in events are valid
// until the next non-const call on the buffer.
#ifndef MAILWIRE_CORE_DOT_STUFFING_HPP
#define MAILWIRE_CORE_DOT_STUFFING_HPP

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "mailwire/core/cpu.hpp"
#include "mailwire/core/output_queue.hpp"
#include "mailwire/core/recv_buffer.hpp"
#include "mailwire/core/scan.hpp"
#include "mailwire/error.hpp"

namespace mailwire {
inline namespace v0 {

/// What to do with a CR or LF that is not part of a CRLF.
enum class line_end_policy : std::uint8_t {
  reject,     ///< refuse the message (reader) or the chunk (writer)
  normalize,  ///< turn it into CRLF
};

/// How a dot_reader (and a line_rules_checker) reads. Strict by default.
struct dot_options {
  /// Largest message accepted, in bytes after unstuffing; 0: no limit.
  /// (dot_reader only: a line_rules_checker ignores it.)
  std::uint64_t max_size = 0;
  /// Bare CR and bare LF: refused by default. normalize is safe for a
  /// server that stores or relays, since the sending side stuffs again.
  line_end_policy bare_line_ends = line_end_policy::reject;
  /// Lenient: accept NUL bytes in the data.
  bool allow_nul = false;
};

/// What dot_reader::next() found.
enum class dot_event_type : std::uint8_t {
  need_more,  ///< feed more bytes
  chunk,      ///< `bytes`: the next part of the message
  end,        ///< the data ended; `error` says whether the message is refused
};

/// One event from dot_reader::next().
struct dot_event {
  dot_event_type type = dot_event_type::need_more;  ///< what happened
  /// At chunk: a view into the buffer given to next(), valid until its
  /// next non-const call.
  std::string_view bytes;
  /// Message bytes delivered so far (with this chunk); at end, the total.
  std::uint64_t size = 0;
  /// At end: errc::ok, or why the message must be refused.
  errc error = errc::ok;
  /// At end with an error: stream offset of the first offending byte.
  std::uint64_t error_offset = 0;
};

namespace detail {

inline constexpr std::size_t no_break = static_cast<std::size_t>(-1);

/// Where CRLF pairing first breaks in `s`: the index of the first byte that
/// is an LF with no CR before it (a bare LF, at that index), or that
/// follows a CR and is not an LF (a bare CR, at the index before, which is
/// the byte before `s` when the index is 0). `cr_before`: the byte before
/// `s` was a CR. A CR that ends `s` is not judged (the next byte will be).
/// Returns no_break when nothing breaks.
///
/// Lines are searched with memchr, LF first then CR up to that LF, in
/// windows that start at 256 bytes and double: a caller that stops at every
/// break (a reader repairing a run of bare CRs) pays for the distance to
/// the break plus at most one window, never for the rest of a long line.
inline std::size_t find_unpaired_scalar(std::string_view s, bool cr_before) noexcept {
  const char* const p = s.data();
  const std::size_t n = s.size();
  std::size_t i = 0;
  if (cr_before) {
    if (n == 0) return no_break;
    if (p[0] != '\n') return 0;
    i = 1;
  }
  std::size_t window = 256;
  while (i < n) {
    // The byte before i is never an undecided CR here.
    const std::size_t stop = n - i > window ? i + window : n;
    const void* lf_hit = std::memchr(p + i, '\n', stop - i);
    const std::size_t lf = lf_hit != nullptr ? static_cast<std::size_t>(static_cast<const char*>(lf_hit) - p) : stop;
    const void* cr_hit = std::memchr(p + i, '\r', lf - i);
    if (cr_hit != nullptr) {
      const auto cr = static_cast<std::size_t>(static_cast<const char*>(cr_hit) - p);
      if (cr + 1 == n) return no_break;       // decided by the byte after s
      if (p[cr + 1] != '\n') return cr + 1;  // a bare CR
      i = cr + 2;                            // CRLF (its LF is lf, or just past the window)
    } else if (lf_hit != nullptr) {
      return lf;  // an LF with no CR before it
    } else {
      i = stop;
      window *= 2;
    }
  }
  return no_break;
}

#if defined(MAILWIRE_SIMD_X86)
// find_unpaired's kernels. A byte breaks the pairing exactly when "it is an
// LF" differs from "the byte before it is a CR" (an LF after anything but
// a CR; anything but an LF after a CR), so per vector the first break is
// the lowest bit of lf ^ (cr << 1 | carry): one compare pair and no branch
// per line. A CR in the last lane of the input is left undecided, as the
// scalar search leaves it.
MAILWIRE_TARGET_AVX512 inline std::size_t find_unpaired_avx512(const char* p, std::size_t n, bool cr_before) noexcept {
  std::uint64_t cr_in = cr_before ? 1u : 0u;
  for (std::size_t i = 0; i < n; i += 64) {
    const std::size_t left = n - i;
    const std::uint64_t k = left >= 64 ? ~std::uint64_t{0} : _bzhi_u64(~std::uint64_t{0}, static_cast<unsigned>(left));
    const __m512i x = _mm512_maskz_loadu_epi8(k, p + i);
    const auto cr = static_cast<std::uint64_t>(_mm512_mask_cmpeq_epi8_mask(k, x, _mm512_set1_epi8('\r')));
    const auto lf = static_cast<std::uint64_t>(_mm512_mask_cmpeq_epi8_mask(k, x, _mm512_set1_epi8('\n')));
    const std::uint64_t breaks = (lf ^ ((cr << 1) | cr_in)) & k;
    if (breaks != 0) return i + static_cast<std::size_t>(__builtin_ctzll(breaks));
    cr_in = cr >> 63;
  }
  return no_break;
}

// Whole 32-byte vectors, then the scalar search for the tail, told whether
// the last vector ended with a CR.
MAILWIRE_TARGET_AVX2 inline std::size_t find_unpaired_avx2(std::string_view s, bool cr_before) noexcept {
  const char* const p = s.data();
  std::uint32_t cr_in = cr_before ? 1u : 0u;
  std::size_t i = 0;
  for (; s.size() - i >= 32; i += 32) {
    const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i));
    const auto cr = static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(x, _mm256_set1_epi8('\r'))));
    const auto lf = static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(x, _mm256_set1_epi8('\n'))));
    const std::uint32_t breaks = lf ^ ((cr << 1) | cr_in);
    if (breaks != 0) return i + static_cast<std::size_t>(__builtin_ctz(breaks));
    cr_in = cr >> 31;
  }
  const std::size_t rest = find_unpaired_scalar(s.substr(i), cr_in != 0);
  return rest == no_break ? no_break : i + rest;
}
#endif

/// find_unpaired_scalar's answer, through a vector kernel when the CPU has
/// one and `s` is at least a vector long (decided once per call).
inline std::size_t find_unpaired(std::string_view s, bool cr_before) noexcept {
#if defined(MAILWIRE_SIMD_X86)
  if (s.size() >= 64) {
    if (cpu::has(cpu::avx512)) return find_unpaired_avx512(s.data(), s.size(), cr_before);
    if (cpu::has(cpu::avx2)) return find_unpaired_avx2(s, cr_before);
  }
#endif
  return find_unpaired_scalar(s, cr_before);
}

#if defined(MAILWIRE_SIMD_X86)
// dot_writer's vector loop. The bytes the writer passes on unchanged are
// every byte but a bare LF, a CR that is not followed by an LF, and (when
// stuffing) a "." that starts a line. The kernels copy [p, p + n) to `o`
// a vector at a time and return how many bytes at the front are of that
// kind, judged from masks of CR, LF and "." with one lane of carry between
// vectors, so a block of CRLF text costs three compares and one store
// whatever its line length. They stop before anything else (the scalar
// step then treats it exactly as it always has): a CR whose next byte is
// not in [p, p + n) counts as not followed by an LF, and the byte before p
// is never a CR (the writer handles a pending CR before calling). What
// they copy never ends with a CR.
// `bol`: p starts a line (a "." at p is stuffed when `dots`).

// The CR, LF and "." lanes of one vector (bit i: byte i).
template <typename Mask>
struct lane_masks {
  Mask cr;
  Mask lf;
  Mask dot;
};

// What one vector's lane masks say, with what the vectors before left: the
// lanes that stop the copy, and the carry of the last lane's CR and LF into
// the next vector.
template <typename Mask>
class plain_lanes {
 public:
  static constexpr unsigned top = sizeof(Mask) * 8 - 1;

  plain_lanes(bool bol, bool dots) noexcept
      : dot_on_(dots ? static_cast<Mask>(~Mask{0}) : Mask{0}), lf_in_(bol ? Mask{1} : Mask{0}) {}

  // `lf_next`: the byte after the vector is an LF (a CR in the top lane is
  // then half of a CRLF).
  Mask stops(const lane_masks<Mask>& m, bool lf_next) const noexcept {
    const Mask after_cr = static_cast<Mask>(static_cast<Mask>(m.cr << 1) | cr_in_);
    const Mask before_lf = static_cast<Mask>(static_cast<Mask>(m.lf >> 1) | (lf_next ? Mask{1} << top : Mask{0}));
    const Mask after_lf = static_cast<Mask>(static_cast<Mask>(m.lf << 1) | lf_in_);
    return static_cast<Mask>((m.lf & static_cast<Mask>(~after_cr)) | (m.cr & static_cast<Mask>(~before_lf)) |
                             (m.dot & dot_on_ & after_lf));
  }

  void carry(const lane_masks<Mask>& m) noexcept {
    cr_in_ = static_cast<Mask>(m.cr >> top);
    lf_in_ = static_cast<Mask>(m.lf >> top);
  }

 private:
  Mask dot_on_;
  Mask cr_in_ = 0;
  Mask lf_in_;
};

// 64 bytes a vector; the tail through a masked load and store, so nothing
// past p + n is read and nothing past o + (returned count) is written.
MAILWIRE_TARGET_AVX512 inline lane_masks<std::uint64_t> lanes_avx512(__m512i x, std::uint64_t k) noexcept {
  return {static_cast<std::uint64_t>(_mm512_mask_cmpeq_epi8_mask(k, x, _mm512_set1_epi8('\r'))),
          static_cast<std::uint64_t>(_mm512_mask_cmpeq_epi8_mask(k, x, _mm512_set1_epi8('\n'))),
          static_cast<std::uint64_t>(_mm512_mask_cmpeq_epi8_mask(k, x, _mm512_set1_epi8('.')))};
}

MAILWIRE_TARGET_AVX512 inline std::size_t plain_prefix_avx512(const char* p, std::size_t n, char* o, bool bol,
                                                              bool dots) noexcept {
  plain_lanes<std::uint64_t> lanes(bol, dots);
  for (std::size_t i = 0; i < n; i += 64) {
    const std::size_t left = n - i;
    const std::uint64_t k = left >= 64 ? ~std::uint64_t{0} : _bzhi_u64(~std::uint64_t{0}, static_cast<unsigned>(left));
    const __m512i x = _mm512_maskz_loadu_epi8(k, p + i);
    const lane_masks<std::uint64_t> m = lanes_avx512(x, k);
    const std::uint64_t stop = lanes.stops(m, left > 64 && p[i + 64] == '\n');
    if (stop != 0) {
      const auto at = static_cast<unsigned>(__builtin_ctzll(stop));
      _mm512_mask_storeu_epi8(o + i, _bzhi_u64(~std::uint64_t{0}, at), x);
      return i + at;
    }
    _mm512_mask_storeu_epi8(o + i, k, x);
    lanes.carry(m);
  }
  return n;
}

// 32 bytes a vector while whole vectors fit; the rest is left to the
// scalar step. Each vector is stored before it is judged: up to 32 bytes
// past o + (returned count) may be written, never past o + n.
MAILWIRE_TARGET_AVX2 inline std::uint32_t lane_avx2(__m256i x, char c) noexcept {
  return static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(x, _mm256_set1_epi8(c))));
}

MAILWIRE_TARGET_AVX2 inline std::size_t plain_prefix_avx2(const char* p, std::size_t n, char* o, bool bol,
                                                          bool dots) noexcept {
  plain_lanes<std::uint32_t> lanes(bol, dots);
  std::size_t i = 0;
  for (; n - i >= 32; i += 32) {
    const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(o + i), x);
    const lane_masks<std::uint32_t> m{lane_avx2(x, '\r'), lane_avx2(x, '\n'), lane_avx2(x, '.')};
    const std::uint32_t stop = lanes.stops(m, n - i > 32 && p[i + 32] == '\n');
    if (stop != 0) return i + static_cast<std::size_t>(__builtin_ctz(stop));
    lanes.carry(m);
  }
  // Never end on the CR of a CRLF: the scalar step would take its LF for
  // a bare one.
  return i != 0 && p[i - 1] == '\r' ? i - 1 : i;
}
#endif

/// dot_writer's bulk copy (see the kernels above): how many bytes at the
/// front of [p, p + n) pass unchanged, copied to `o` (which has room for
/// n bytes). Returns 0 at scan_level::scalar and sse42: the writer's
/// scalar step is the reference.
inline std::size_t plain_prefix(scan_level level, const char* p, std::size_t n, char* o, bool bol,
                                bool dots) noexcept {
#if defined(MAILWIRE_SIMD_X86)
  if (level == scan_level::avx512) return plain_prefix_avx512(p, n, o, bol, dots);
  if (level == scan_level::avx2) return plain_prefix_avx2(p, n, o, bol, dots);
#else
  (void)p;
  (void)n;
  (void)o;
  (void)bol;
  (void)dots;
#endif
  (void)level;
  return 0;
}

}  // namespace detail

/// Checks a byte stream against the line rules of message data: a bare CR
/// (not followed by LF) is errc::bare_cr and a bare LF (not preceded by CR)
/// errc::bare_lf under line_end_policy::reject (under normalize they are
/// not errors: whoever delivers the bytes repairs them); a NUL is
/// errc::nul_byte unless allow_nul. These are the rules dot_reader applies
/// to DATA (it checks its data with this class); SMTP applies them to BDAT
/// chunks (RFC 3030), which are not dot-stuffed, through it directly.
///
/// Feed the stream in order, in any chunks: a CR that ends a chunk is
/// judged by the next chunk's first byte, or by finish(). The first offence
/// is kept (sticky until reset()): its code and the stream offset of the
/// offending byte are the same however the stream is split, and later
/// chunks are not searched. No allocation, no copy.
class line_rules_checker {
 public:
  /// Takes bare_line_ends and allow_nul from `o` (max_size is not its
  /// concern).
  explicit line_rules_checker(const dot_options& o = {}) noexcept
      : bare_line_ends_(o.bare_line_ends), allow_nul_(o.allow_nul) {}

  /// Checks `chunk`, whose first byte is at stream offset `offset`.
  /// Chunks follow each other: each starts where the last ended, or
  /// earlier (bytes already checked are skipped, so a caller may check a
  /// window that overlaps the last one), or later when the bytes left out
  /// are none of CR, LF, NUL and do not follow a CR (dot_reader leaves out
  /// stuffing dots). Returns errc::ok or the first offence of the stream
  /// (then error() and error_offset()).
  errc check(std::string_view chunk, std::uint64_t offset) noexcept {
    if (error_ != errc::ok) return error_;
    if (offset < checked_) {
      const std::uint64_t seen = checked_ - offset;
      if (seen >= chunk.size()) return errc::ok;
      chunk.remove_prefix(static_cast<std::size_t>(seen));
      offset = checked_;
    }
    if (chunk.empty()) return errc::ok;
    errc e = errc::ok;
    std::uint64_t at = 0;
    std::size_t clean = chunk.size();  // bytes before the first line-end offence
    if (bare_line_ends_ == line_end_policy::reject) {
      // RFC 5321 2.3.8: CR and LF only together, as CRLF
      const std::size_t w = detail::find_unpaired(chunk, cr_pending_);
      if (w != detail::no_break && chunk[w] == '\n') {
        e = errc::bare_lf;
        at = offset + w;
        clean = w;
      } else if (w != detail::no_break) {
        // the CR before the witness: in this chunk, or the one that ended
        // the last
        e = errc::bare_cr;
        at = w == 0 ? checked_ - 1 : offset + w - 1;
        clean = w == 0 ? 0 : w - 1;
      }
    }
    if (!allow_nul_ && clean != 0) {
      // A NUL before the line-end offence comes first.
      if (const void* z = std::memchr(chunk.data(), '\0', clean)) {
        e = errc::nul_byte;
        at = offset + static_cast<std::size_t>(static_cast<const char*>(z) - chunk.data());
      }
    }
    if (e != errc::ok) {
      error_ = e;
      error_offset_ = at;
    }
    cr_pending_ = chunk.back() == '\r';
    checked_ = offset + chunk.size();
    return error_;
  }

  /// The stream ended: a CR that ended the last chunk is bare (under
  /// reject). Returns the first offence of the stream, or errc::ok.
  errc finish() noexcept {
    if (error_ == errc::ok && cr_pending_ && bare_line_ends_ == line_end_policy::reject) {
      error_ = errc::bare_cr;
      error_offset_ = checked_ - 1;
    }
    cr_pending_ = false;
    return error_;
  }

  /// The first offence so far (errc::ok when none) and the stream offset
  /// of its offending byte.
  errc error() const noexcept { return error_; }
  /// The stream offset of the first offence's byte (0 when none).
  std::uint64_t error_offset() const noexcept { return error_offset_; }

  /// Forgets the stream (for the next message); keeps the options.
  void reset() noexcept {
    cr_pending_ = false;
    checked_ = 0;
    error_ = errc::ok;
    error_offset_ = 0;
  }

 private:
  line_end_policy bare_line_ends_;
  bool allow_nul_;
  bool cr_pending_ = false;     // the last byte checked was a CR
  std::uint64_t checked_ = 0;   // stream offset just past the last byte checked
  errc error_ = errc::ok;
  std::uint64_t error_offset_ = 0;
};

/// Reads dot-stuffed data (see the file comment) from a recv_buffer.
class dot_reader {
 public:
  /// A reader for one message at a time under `o` (its limits and line
  /// rules); reset() starts the next.
  explicit dot_reader(dot_options o = {}) noexcept : options_(o), rules_(o), line_ends_(line_ends_only()) {}

  /// The options it reads under.
  const dot_options& options() const noexcept { return options_; }

  /// Reads from `in` (positioned at the first byte of data: after SMTP's
  /// DATA line, POP3's "+OK" line). Every call for one message must pass
  /// the same buffer (the reader remembers stream offsets in it). After an
  /// end event the reader is ready for the next message, from any buffer.
  dot_event next(recv_buffer& in) noexcept {
    for (;;) {
      const std::string_view data = in.data();
      if (data.empty()) return {};
      if (bol_ && data[0] == '.') {
        // A line starting with "." is either the end (".\r\n") or stuffed.
        if (data.size() < 2 || (data[1] == '\r' && data.size() < 3)) return {};
        if (data[1] == '\r' && data[2] == '\n') {
          in.consume(3);
          return finish_message();
        }
        in.consume(1);  // the stuffing dot (RFC 5321 4.5.2)
        bol_ = false;
        continue;
      }
      const std::uint64_t at = in.offset();
      const std::size_t bare = next_bare(data, at);
      std::string_view out;
      std::size_t taken = 0;
      if (bare == 0) {
        // Repaired (line_end_policy::normalize): a "." after it is
        // content, never an end.
        out = "\r\n";
        taken = 1;
        bol_ = false;
        line_ends_.reset();
      } else {
        taken = frame(data, bare);
        if (taken == 0) return {};  // only a CR that may be half of a CRLF
        if (!refused()) check(data, taken, at);
        out = data.substr(0, taken);
      }
      in.consume(taken);  // the bytes stay readable until the next non-const call
      // Only bytes before the first offence are delivered; from there on
      // the message is drained to its real end.
      if (refused()) {
        if (error_offset_ <= at) continue;
        if (error_offset_ - at < out.size()) out = out.substr(0, static_cast<std::size_t>(error_offset_ - at));
      }
      if (options_.max_size != 0 && options_.max_size - size_ < out.size()) {
        // Deliver exactly up to the limit, then refuse the rest: the same
        // bytes come out however the input was split.
        const auto fits = static_cast<std::size_t>(options_.max_size - size_);
        refuse(errc::message_too_big, at + fits);
        if (fits == 0) continue;
        out = out.substr(0, fits);
      }
      size_ += out.size();
      return {dot_event_type::chunk, out, size_, errc::ok, 0};
    }
  }

  /// Bytes of the current message delivered so far.
  std::uint64_t size() const noexcept { return size_; }

 private:
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  // The normaliser's search: CR/LF pairing only.
  static dot_options line_ends_only() noexcept {
    dot_options o;
    o.bare_line_ends = line_end_policy::reject;
    o.allow_nul = true;
    return o;
  }

  bool refused() const noexcept { return error_ != errc::ok; }

  // Keeps the earliest offence: its offset does not depend on which check
  // found its offence first for this split of the input.
  void refuse(errc e, std::uint64_t at) noexcept {
    if (error_ == errc::ok || at < error_offset_) {
      error_ = e;
      error_offset_ = at;
    }
  }

  dot_event finish_message() noexcept {
    const dot_event e{dot_event_type::end, {}, size_, error_, error_offset_};
    *this = dot_reader(options_);
    return e;
  }

  // With line_end_policy::normalize, where the next bare CR or LF is in
  // `data` (npos: none known yet). line_ends_ remembers what it searched
  // and what it found, so the bytes up to a bare CR or LF are searched
  // once however many runs they are delivered in.
  //
  // The search goes only as far as the next line that starts with "."
  // (where the run ends anyway): a buffer holding many pipelined messages
  // (POP3 RETRs) is not searched to its end for each of them.
  std::size_t next_bare(std::string_view data, std::uint64_t at) noexcept {
    if (options_.bare_line_ends != line_end_policy::normalize) return npos;
    if (line_ends_.check(data.substr(0, dot_line(data)), at) == errc::ok) return npos;
    return static_cast<std::size_t>(line_ends_.error_offset() - at);
  }

  // Where the first "." that follows a CRLF in `data` is (from index 2, as
  // frame() looks), or the size of `data`.
  static std::size_t dot_line(std::string_view data) noexcept {
    for (std::size_t i = 2; i < data.size();) {
      const void* dot = std::memchr(data.data() + i, '.', data.size() - i);
      if (dot == nullptr) break;
      const auto d = static_cast<std::size_t>(static_cast<const char*>(dot) - data.data());
      if (data[d - 2] == '\r' && data[d - 1] == '\n') return d;
      i = d + 1;
    }
    return data.size();
  }

  // How many bytes at the front are content to pass on as they are: up to
  // the first "." that follows a CRLF (next() decides end or stuffing), or
  // up to `limit` (a bare CR or LF to repair first) or the end of the
  // input, keeping back a final CR (which may be half of a CRLF). Sets
  // bol_ when the run ends at the start of a line. Only "."s are searched
  // for: the line ends that matter are the ones right before a ".".
  std::size_t frame(std::string_view data, std::size_t limit) noexcept {
    const char* const p = data.data();
    std::size_t end = p[data.size() - 1] == '\r' ? data.size() - 1 : data.size();
    if (limit < end) end = limit;
    // A "." at index 0 or 1 does not follow a CRLF within the run: either
    // bol_ was decided before (index 0), or the byte before it follows a
    // byte already consumed, which is never the CR of a CRLF.
    for (std::size_t i = 2; i < end;) {
      const void* dot = std::memchr(p + i, '.', end - i);
      if (dot == nullptr) break;
      const auto d = static_cast<std::size_t>(static_cast<const char*>(dot) - p);
      if (p[d - 2] == '\r' && p[d - 1] == '\n') {
        bol_ = true;
        return d;
      }
      i = d + 1;
    }
    // After a CRLF at the very end of the input, the next byte may be ".".
    bol_ = end == data.size() && end >= 2 && p[end - 2] == '\r' && p[end - 1] == '\n';
    return end;
  }

  // Applies the line rules to the run [0, taken), and to a CR held back
  // right after it, which the byte after it decides: a bare CR that ends
  // the run ("\r\r" at the end of the input) is then refused before the run
  // is delivered, not after.
  void check(std::string_view data, std::size_t taken, std::uint64_t at) noexcept {
    const std::size_t upto = taken + 1 == data.size() && data[taken] == '\r' ? taken + 1 : taken;
    if (rules_.check(data.substr(0, upto), at) != errc::ok) refuse(rules_.error(), rules_.error_offset());
  }

  dot_options options_;
  line_rules_checker rules_;       // options_'s rules: what refuses the message
  line_rules_checker line_ends_;   // normalize only: where the next repair is
  bool bol_ = true;  // at the start of the data or just after a real CRLF
  std::uint64_t size_ = 0;
  errc error_ = errc::ok;
  std::uint64_t error_offset_ = 0;
};

/// Writes message data: line-end repair and, for DATA (and POP3),
/// dot-stuffing (SMTP BDAT sends the bytes counted, unstuffed:
/// dot_stuffing false).
class dot_writer {
 public:
  /// A writer that treats bare CR and LF by `bare`, and stuffs leading dots
  /// unless `dot_stuffing` is false (BDAT).
  explicit dot_writer(line_end_policy bare = line_end_policy::normalize, bool dot_stuffing = true) noexcept
      : policy_(bare), stuffing_(dot_stuffing) {}

  /// Appends `chunk` of the message, stuffed, to `out`. With
  /// line_end_policy::reject, a bare CR or LF refuses the chunk
  /// (errc::bare_cr / errc::bare_lf) and nothing of it is written.
  errc write(std::string_view chunk, output_queue& out) {
    if (policy_ == line_end_policy::reject) {
      const std::size_t w = detail::find_unpaired(chunk, cr_pending_);
      if (w != detail::no_break) return chunk[w] == '\n' ? errc::bare_lf : errc::bare_cr;
    }
    // Worst case: every byte a bare LF (2 bytes) or a stuffed dot line.
    char* const begin = out.prepare(2 * chunk.size() + 2);
    char* o = begin;
    const char* p = chunk.data();
    const char* const end = p + chunk.size();
    // The kernel level, once per call; a chunk shorter than a vector goes
    // to the scalar steps only.
    const detail::scan_level level = chunk.size() >= 64 ? detail::scan_level_now() : detail::scan_level::scalar;
    while (p != end) {
      if (cr_pending_) {
        // The CR that ended the last piece: CRLF if this byte is LF.
        cr_pending_ = false;
        *o++ = '\r';
        *o++ = '\n';
        if (*p == '\n') ++p;
        bol_ = true;
        continue;
      }
      // Whole blocks of ordinary text at once, up to the next byte the
      // scalar step must treat (a stuffed ".", a bare CR or LF).
      const std::size_t plain =
          detail::plain_prefix(level, p, static_cast<std::size_t>(end - p), o, bol_, stuffing_);
      if (plain != 0) {
        p += plain;
        o += plain;
        bol_ = p[-1] == '\n';  // never a bare LF: the kernel stops before those
        if (p == end) break;
      }
      if (bol_ && stuffing_ && *p == '.') *o++ = '.';  // RFC 5321 4.5.2
      bol_ = false;
      // Copy up to the next CR or LF (memchr: the text between line ends
      // is copied in bulk).
      const void* lf = std::memchr(p, '\n', static_cast<std::size_t>(end - p));
      const char* line_end = lf != nullptr ? static_cast<const char*>(lf) : end;
      const void* cr = std::memchr(p, '\r', static_cast<std::size_t>(line_end - p));
      const char* stop = cr != nullptr ? static_cast<const char*>(cr) : line_end;
      std::memcpy(o, p, static_cast<std::size_t>(stop - p));
      o += stop - p;
      p = stop;
      if (p == end) break;
      if (*p == '\r') {
        cr_pending_ = true;  // decided by the next byte, maybe in the next chunk
        ++p;
      } else {  // bare LF
        *o++ = '\r';
        *o++ = '\n';
        ++p;
        bol_ = true;
      }
    }
    out.commit(static_cast<std::size_t>(o - begin));
    return errc::ok;
  }

  /// Ends the data: completes the last line and writes "." CRLF. The writer
  /// is then ready for the next message.
  void finish(output_queue& out) {
    if (cr_pending_ || !bol_) out.append("\r\n");
    out.append(".\r\n");
    cr_pending_ = false;
    bol_ = true;
  }

  /// Ends unstuffed (BDAT) data: completes the last line, as finish()
  /// does, so a message arrives the same by BDAT as by DATA. The writer is
  /// then ready again.
  void finish_unstuffed(output_queue& out) {
    if (cr_pending_ || !bol_) out.append("\r\n");
    cr_pending_ = false;
    bol_ = true;
  }

 private:
  line_end_policy policy_;
  bool stuffing_;
  bool bol_ = true;
  bool cr_pending_ = false;
};

}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_CORE_DOT_STUFFING_HPP
