// Charset decoding throughput: mailwire's charset_decoder (fed in 64 KiB
// chunks, as a MIME body arrives) against memcpy (the ceiling) and glibc's
// iconv (libc, so always there) in the same run, on the same buffers. MB/s
// are of the input side.
//
//   mailwire-bench-charset [--size MiB] [--smoke]
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
  return 0;
}
