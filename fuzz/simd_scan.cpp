// The shared byte scan (core/scan.hpp) and its users, vector kernels against
// the scalar reference: the scan at every level the CPU has (a set taken from
// the input) against a byte-by-byte reading; the DATA line rules, dot_reader
// and dot_writer (its AVX-512 and AVX2 kernels), and utf8::invalid_at
// dispatched against forced scalar; the MIME parser's boundary candidate
// scan (mime::detail::find_dash_line) at every level against a byte-by-byte
// reading.
#include <mailwire/core/cpu.hpp>
#include <mailwire/core/dot_stuffing.hpp>
#include <mailwire/core/scan.hpp>
#include <mailwire/core/utf8.hpp>
#include <mailwire/mime/boundary.hpp>

#include <string>
#include <vector>

#include "fuzz_check.hpp"

namespace {
namespace detail = mailwire::detail;

// The kernel levels this CPU has, the scalar one first.
std::vector<detail::scan_level> levels() {
  std::vector<detail::scan_level> all{detail::scan_level::scalar};
#if defined(MAILWIRE_SIMD_X86)
  const std::uint32_t have = mailwire::cpu::detected();
  if ((have & mailwire::cpu::sse42) != 0) all.push_back(detail::scan_level::sse42);
  if ((have & mailwire::cpu::avx2) != 0) all.push_back(detail::scan_level::avx2);
  if ((have & mailwire::cpu::avx512) != 0) all.push_back(detail::scan_level::avx512);
#endif
  return all;
}

void check_scan(std::string_view in, const detail::byte_set& set) {
  std::size_t want = 0;
  while (want < in.size() && !set.contains(static_cast<unsigned char>(in[want]))) ++want;
  for (const auto level : levels()) {
    const char* b = in.data();
    MAILWIRE_FUZZ_CHECK(detail::scan(level, b, b + in.size(), set) == b + want);
    std::string out(in.size(), '\0');
    char* o = &out[0];
    MAILWIRE_FUZZ_CHECK(detail::scan_copy(level, b, b + in.size(), set, o) == b + want);
    MAILWIRE_FUZZ_CHECK(o == out.data() + want && out.compare(0, want, in, 0, want) == 0);
  }
}

// Every '-' after a LF from `from` on, at every level, as byte by byte.
void check_dash_lines(std::string_view in, std::size_t from) {
  for (std::size_t at = from; at <= in.size(); ++at) {
    std::size_t want = at == 0 ? 1 : at;
    while (want < in.size() && !(in[want] == '-' && in[want - 1] == '\n')) ++want;
    if (want > in.size()) want = in.size();
    for (const auto level : levels()) {
      MAILWIRE_FUZZ_CHECK(mailwire::mime::detail::find_dash_line(in, at, level) == want);
    }
    at = want;  // the walk the parser makes: on from each answer
  }
}

// What the DATA paths and UTF-8 say about `in` split at `cut`, forced
// scalar or with the `off` kernels disabled (dot_writer's AVX2 kernel when
// AVX-512 is off).
std::string data_paths(std::string_view in, std::size_t cut, const mailwire::dot_options& o, bool scalar,
                       std::uint32_t off = 0) {
  mailwire::cpu::force_scalar(scalar);
  mailwire::cpu::disable(off);
  const std::string_view parts[] = {in.substr(0, cut), in.substr(cut)};
  std::string log;
  mailwire::line_rules_checker c(o);
  (void)c.check(parts[0], 0);
  (void)c.check(parts[1], parts[0].size());
  log += std::to_string(static_cast<int>(c.finish())) + "@" + std::to_string(c.error_offset()) + ";";
  mailwire::recv_buffer rb;
  mailwire::dot_reader r(o);
  for (const std::string_view piece : parts) {
    MAILWIRE_FUZZ_CHECK(rb.feed(piece) == piece.size());
    for (mailwire::dot_event e = r.next(rb); e.type != mailwire::dot_event_type::need_more; e = r.next(rb)) {
      log += e.type == mailwire::dot_event_type::chunk ? "[" + std::string(e.bytes) + "]"
                                                       : "end " + std::to_string(static_cast<int>(e.error)) + "@" +
                                                             std::to_string(e.error_offset) + ";";
    }
  }
  mailwire::output_queue out;
  mailwire::dot_writer w(o.bare_line_ends);
  for (const std::string_view piece : parts) log += std::to_string(static_cast<int>(w.write(piece, out)));
  w.finish(out);
  log += std::string(out.pending()) + ";" + std::to_string(mailwire::utf8::invalid_at(in));
  mailwire::cpu::disable(0);
  mailwire::cpu::force_scalar(false);
  return log;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (mailwire_fuzz::over_cap(size)) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::uint8_t opts = mailwire_fuzz::take_byte(in);
  const std::string_view set_bytes = mailwire_fuzz::take_bytes(in, 1 + opts % 4);
  check_scan(in, detail::make_byte_set(set_bytes, (opts & 4) != 0));

  check_dash_lines(in, in.empty() ? 0 : opts % in.size());

  mailwire::dot_options o;
  o.allow_nul = (opts & 8) != 0;
  o.bare_line_ends = (opts & 16) != 0 ? mailwire::line_end_policy::normalize : mailwire::line_end_policy::reject;
  const std::size_t cut = in.empty() ? 0 : (opts >> 5) * in.size() / 7 % (in.size() + 1);
  const std::string scalar = data_paths(in, cut, o, true);
  MAILWIRE_FUZZ_CHECK(data_paths(in, cut, o, false) == scalar);
  MAILWIRE_FUZZ_CHECK(data_paths(in, cut, o, false, mailwire::cpu::avx512) == scalar);
  return 0;
}
