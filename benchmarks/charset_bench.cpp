// Charset decoding throughput: mailwire's charset_decoder (fed in 64 KiB
// chunks, as a MIME body arrives) against memcpy (the ceiling) and glibc's
// iconv (libc, so always there) in the same run, on the same buffers. MB/s
// are of the input side. A second table times UTF-8 validation
// (utf8::invalid_at, which the decoder and the header paths call) with the
// vector kernels, forced scalar and memcpy, on ASCII, Latin, CJK and emoji
// text.
//
//   mailwire-bench-charset [--size MiB] [--smoke]
#include <mailwire/core/cpu.hpp>
#include <mailwire/core/utf8.hpp>
#include <mailwire/mime/charset.hpp>

#include <iconv.h>

#include "bench_util.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace mime = mailwire::mime;

constexpr std::size_t chunk_size = 64 * 1024;

// Text of at least `n` bytes built from `words` (already in the target encoding),
// separated by spaces and a CRLF every ~70 bytes, in a fixed pseudo-random
// order.
std::string text_of(const std::vector<std::string>& words, std::size_t n) {
  std::string s;
  std::uint64_t x = 88172645463325252ull;
  std::size_t line = 0;
  while (s.size() < n) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    const std::string& w = words[x % words.size()];
    s += w;
    line += w.size() + 1;
    if (line > 70) {
      s += "\r\n";
      line = 0;
    } else {
      s += ' ';
    }
  }
  return s;  // whole words, so never a split character
}

std::size_t mailwire_decode(mime::charset c, std::string_view in, std::string& out) {
  out.clear();
  mime::charset_decoder d(c);
  for (std::size_t i = 0; i < in.size(); i += chunk_size) d.decode(in.substr(i, chunk_size), out);
  d.finish(out);
  return out.size();
}

std::size_t iconv_decode(const char* from, std::string_view in, std::string& out) {
  iconv_t cd = iconv_open("UTF-8", from);
  if (cd == reinterpret_cast<iconv_t>(-1)) std::abort();
  out.resize(in.size() * 3 + 16);
  char* src = const_cast<char*>(in.data());
  std::size_t left = in.size();
  char* dst = &out[0];
  std::size_t room = out.size();
  if (iconv(cd, &src, &left, &dst, &room) == static_cast<std::size_t>(-1)) std::abort();
  iconv_close(cd);
  out.resize(out.size() - room);
  return out.size();
}

// UTF-8 validation (issue 15): dispatched (the widest kernel the CPU has)
// and forced scalar against memcpy of the same bytes, in the same run.
void validation_table(std::size_t n, int reps, const std::vector<std::string>& latin) {
  const std::vector<std::string> cjk = {"\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E",  // 日本語
                                        "\xE5\x8F\xB0\xE5\x8C\x97", "\xE9\x9B\xBB\xE5\xAD\x90",
                                        "\xE3\x83\xA1\xE3\x83\xBC\xE3\x83\xAB",  // メール
                                        "\xE4\xBD\xA0\xE5\xA5\xBD\xE4\xB8\x96\xE7\x95\x8C"};
  const std::vector<std::string> emoji = {"thanks", "\xF0\x9F\x98\x80", "see", "you", "\xF0\x9F\x8E\x89",
                                          "caf\xC3\xA9", "\xE2\x82\xAC" "5", "at", "noon", "\xF0\x9F\x91\x8D",
                                          "ok", "\xE2\x9C\x93"};
  struct row {
    const char* title;
    std::string data;
  };
  const std::vector<row> rows = {{"pure ASCII", text_of({"plain", "ascii", "text", "mail"}, n)},
                                 {"Latin (UTF-8 prose)", bench::prose(n, 4, 12, "\r\n")},
                                 {"French words (UTF-8)", text_of(latin, n)},
                                 {"CJK (3-byte)", text_of(cjk, n)},
                                 {"emoji mix (1-4 bytes)", text_of(emoji, n)}};
  fmt::print("\nUTF-8 validation (utf8::invalid_at), {} MiB inputs; best of {}; kernel {}\n", n >> 20, reps,
             mailwire::cpu::best_name());
  fmt::print("  {:<24} {:>9} {:>10} {:>10} {:>10} {:>10} {:>12}\n", "input", "non-ASCII", "memcpy", "dispatched",
             "AVX2", "scalar", "vs memcpy");
  std::string out;
  for (const row& r : rows) {
    std::size_t high = 0;
    for (const char c : r.data) high += static_cast<unsigned char>(c) >= 0x80 ? 1 : 0;
    if (mailwire::utf8::invalid_at(r.data) != r.data.size()) {
      fmt::print(stderr, "self-check failed: {} is not UTF-8\n", r.title);
      std::exit(1);
    }
    const std::size_t bytes = r.data.size();
    out.reserve(bytes);
    const double copy = bench::measure(bytes, reps, [&] {
      out.resize(bytes);
      std::memcpy(&out[0], r.data.data(), bytes);
      return out.size();
    });
    const double fast = bench::measure(bytes, reps, [&] { return mailwire::utf8::invalid_at(r.data); });
    mailwire::cpu::disable(mailwire::cpu::avx512);  // the AVX2 kernel, where there is one
    const double avx2 = bench::measure(bytes, reps, [&] { return mailwire::utf8::invalid_at(r.data); });
    mailwire::cpu::disable(0);
    mailwire::cpu::force_scalar(true);
    const double slow = bench::measure(bytes, reps, [&] { return mailwire::utf8::invalid_at(r.data); });
    mailwire::cpu::force_scalar(false);
    fmt::print("  {:<24} {:>8.0f}% {:>10.0f} {:>10.0f} {:>10.0f} {:>10.0f} {:>11.2f}x\n", r.title,
               100.0 * static_cast<double>(high) / static_cast<double>(bytes), copy, fast, avx2, slow, fast / copy);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const auto [mib, reps] = bench::size_and_reps(argc, argv, 16, 15);
  const std::size_t n = mib << 20;

  struct input {
    const char* title;
    mime::charset cs;
    const char* iconv_name;
    std::string data;
  };
  const std::vector<std::string> french = {"le", "caf\xE9", "\xE9t\xE9", "tr\xE8s", "bient\xF4t", "na\xEFve",
                                           "message", "courrier", "\xE0", "o\xF9", "gar\xE7on", "fen\xEAtre"};
  std::vector<std::string> french_utf8;
  for (const std::string& w : french) {
    std::string u;
    mime::to_utf8("iso-8859-1", w, u);
    french_utf8.push_back(u);
  }
  const std::vector<std::string> russian = {"\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82",
                                            "\xD0\xBC\xD0\xB8\xD1\x80", "\xD0\xBF\xD0\xB8\xD1\x81\xD1\x8C\xD0\xBC\xD0\xBE",
                                            "\xD0\xB8", "\xD0\xB4\xD0\xB0"};
  std::vector<input> inputs = {
      {"ISO-8859-1, French prose", mime::charset::iso_8859_1, "ISO-8859-1", text_of(french, n)},
      {"UTF-8, the same prose", mime::charset::utf_8, "UTF-8", text_of(french_utf8, n)},
      {"UTF-8, Russian prose", mime::charset::utf_8, "UTF-8", text_of(russian, n)},
      {"US-ASCII", mime::charset::us_ascii, "US-ASCII", text_of({"plain", "ascii", "text", "mail"}, n)},
  };

  fmt::print("charset to UTF-8, {} MiB inputs, decoder fed {} KiB at a time; best of {}\n", mib, chunk_size / 1024,
             reps);
  fmt::print("  {:<28} {:>10} {:>10} {:>10} {:>10}\n", "input", "memcpy", "mailwire", "iconv", "vs iconv");
  std::string out;
  std::string check;
  for (input& in : inputs) {
    mailwire_decode(in.cs, in.data, out);
    iconv_decode(in.iconv_name, in.data, check);
    if (out != check) {
      fmt::print(stderr, "self-check failed: {}\n", in.title);
      return 1;
    }
    out.reserve(in.data.size() * 3);
    const std::size_t bytes = in.data.size();
    const double copy = bench::measure(bytes, reps, [&] {
      out.resize(in.data.size());
      std::memcpy(&out[0], in.data.data(), in.data.size());
      return out.size();
    });
    const double ours = bench::measure(bytes, reps, [&] { return mailwire_decode(in.cs, in.data, out); });
    const double theirs = bench::measure(bytes, reps, [&] { return iconv_decode(in.iconv_name, in.data, out); });
    fmt::print("  {:<28} {:>10.0f} {:>10.0f} {:>10.0f} {:>9.2f}x\n", in.title, copy, ours, theirs, ours / theirs);
  }
  validation_table(n, reps, french_utf8);
  return 0;
}
