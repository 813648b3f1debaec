// MIME body decoding throughput: mime::body_decoder (the MIME parser's
// per-part path) on quoted-printable text and on 76-column base64, against
// memcpy (the ceiling) and, when built with it, GMime's step decoders, all
// in the same run on the same buffers. MB/s are of the encoded input.
//
//   mailwire-bench-mime-codecs [--size MiB] [--smoke]
#include <mailwire/core/base64.hpp>
#include <mailwire/mime/transfer_encoding.hpp>

#include "bench_util.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#if MAILWIRE_BENCH_GMIME
#include "competitors/competitors.hpp"
namespace peers {
std::size_t gmime_qp_decode(const char* in, std::size_t n, unsigned char* out);
}
#endif

namespace {

namespace mime = mailwire::mime;

struct result {
  std::string name;
  double mb_per_s;
};

template <class F>
double measure(std::size_t bytes, int reps, F&& fn) {
  return static_cast<double>(bytes) / bench::best_seconds(reps, fn) / 1e6;
}

void table(const std::string& title, const std::vector<result>& rows) {
  const double ref = rows.front().mb_per_s;
  fmt::print("\n{}\n", title);
  fmt::print("  {:<44} {:>10} {:>12}\n", "implementation", "MB/s", "vs memcpy");
  for (const result& r : rows) {
    fmt::print("  {:<44} {:>10.0f} {:>11.3f}x\n", r.name, r.mb_per_s, r.mb_per_s / ref);
  }
}

// Prose with paragraph breaks and one word in `accented_every` non-ASCII
// (UTF-8): English with names and typography at 20, French-like at 4.
std::string prose(std::size_t n, unsigned accented_every) {
  static const char* const ascii[] = {"the", "message", "was", "sent", "to", "all",  "of",  "us", "and",
                                      "we",  "read",    "it",  "together", "with", "a", "long", "morning"};
  static const char* const accented[] = {"café", "déjà", "über", "naïve", "coût", "€", "Grüße", "Zürich", "—"};
  std::mt19937 rng(2045);
  std::string s;
  while (s.size() < n) {
    s += rng() % accented_every == 0 ? accented[rng() % (sizeof accented / sizeof *accented)]
                                     : ascii[rng() % (sizeof ascii / sizeof *ascii)];
    s += rng() % 40 == 0 ? ".\r\n\r\n" : " ";  // paragraphs: hard line breaks
  }
  return s;
}

// memcpy of the same bytes: the ceiling every table is measured against.
result memcpy_row(const std::string& src, std::string& dst, int reps) {
  return {"memcpy (same bytes)", measure(src.size(), reps, [&] {
            std::memcpy(&dst[0], src.data(), src.size());
            return dst.size();
          })};
}

std::size_t decode_body(mime::transfer_encoding e, std::string_view in, std::string& out) {
  mime::body_decoder d(e);
  out.clear();
  d.decode(in, out, nullptr);
  d.finish(out, nullptr);
  return out.size();
}

// As the MIME parser drives it: 64 KiB of input at a time (a receive
// buffer), each chunk's output handed on and the string reused, so the
// output stays in cache however large the body.
std::size_t decode_body_chunked(mime::transfer_encoding e, std::string_view in, std::string& out) {
  constexpr std::size_t chunk = 64 * 1024;
  mime::body_decoder d(e);
  std::size_t total = 0;
  for (std::size_t at = 0; at < in.size(); at += chunk) {
    out.clear();
    d.decode(in.substr(at, chunk), out, nullptr);
    total += out.size();
  }
  out.clear();
  d.finish(out, nullptr);
  return total + out.size();
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t mib = 16;
  int reps = 15;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--smoke") {
      mib = 1;
      reps = 1;
    } else if (a == "--size" && i + 1 < argc) {
      mib = static_cast<std::size_t>(std::strtoul(argv[++i], nullptr, 10));
    } else {
      fmt::print(stderr, "usage: {} [--size MiB] [--smoke]\n", argv[0]);
      return 2;
    }
  }

  // Quoted-printable: prose encoded with 76-column soft breaks.
  std::string out;
  std::string raw_out;
  for (const unsigned accented_every : {20u, 4u}) {
    const std::string text = prose(mib << 20, accented_every);
    std::string qp;
    mime::qp_encoder e;
    e.encode(text, qp);
    e.finish(qp);
    out.clear();
    out.reserve(text.size() + 4096);
    raw_out.assign(qp.size() + 4096, '\0');
    mime::diagnostics diags;
    mime::body_decoder d(mime::transfer_encoding::quoted_printable);
    d.decode(qp, out, &diags);
    d.finish(out, &diags);
    if (out != text || !diags.empty()) {
      fmt::print(stderr, "self-check failed (quoted-printable)\n");
      return 1;
    }
    std::size_t eqs = 0;
    for (const char c : qp) eqs += c == '=';
    fmt::print("\nquoted-printable: {} bytes of 76-column text, one word in {} non-ASCII; {:.1f}% of the bytes "
               "start an escape or a soft break; best of {}\n",
               qp.size(), accented_every, 100.0 * static_cast<double>(eqs) / static_cast<double>(qp.size()), reps);

    std::vector<result> q{memcpy_row(qp, raw_out, reps)};
    q.push_back({"mailwire body_decoder (std::string out)", measure(qp.size(), reps, [&] {
                   return decode_body(mime::transfer_encoding::quoted_printable, qp, out);
                 })});
    q.push_back({"mailwire body_decoder, 64 KiB chunks", measure(qp.size(), reps, [&] {
                   return decode_body_chunked(mime::transfer_encoding::quoted_printable, qp, out);
                 })});
    q.push_back({"mailwire qp_decoder (char* out)", measure(qp.size(), reps, [&] {
                   mime::qp_decoder dec;
                   const std::size_t n = dec.decode(qp, &raw_out[0], nullptr);
                   return n + dec.finish(&raw_out[n], nullptr);
                 })});
#if MAILWIRE_BENCH_GMIME
    q.push_back({"GMime g_mime_encoding_quoted_decode_step", measure(qp.size(), reps, [&] {
                   return peers::gmime_qp_decode(qp.data(), qp.size(), reinterpret_cast<unsigned char*>(&raw_out[0]));
                 })});
#endif
    table("quoted-printable decode", q);
  }

  // base64: random bytes, 76-column CRLF-wrapped.
  const std::string bin = bench::random_bytes(mib << 20);
  const std::string b64 = mailwire::base64::encode(bin, 76);
  raw_out.assign(b64.size() + 4096, '\0');
  out.reserve(bin.size() + 4096);
  if (decode_body(mime::transfer_encoding::base64, b64, out) != bin.size() || out != bin) {
    fmt::print(stderr, "self-check failed (base64)\n");
    return 1;
  }
  fmt::print("\nbase64: {} bytes, 76-column CRLF-wrapped; best of {}\n", b64.size(), reps);
  std::vector<result> b{memcpy_row(b64, raw_out, reps)};
  b.push_back({"mailwire body_decoder (std::string out)", measure(b64.size(), reps, [&] {
                 return decode_body(mime::transfer_encoding::base64, b64, out);
               })});
  b.push_back({"mailwire body_decoder, 64 KiB chunks", measure(b64.size(), reps, [&] {
                 return decode_body_chunked(mime::transfer_encoding::base64, b64, out);
               })});
#if MAILWIRE_BENCH_GMIME
  b.push_back({"GMime g_mime_encoding_base64_decode_step", measure(b64.size(), reps, [&] {
                 return peers::gmime_base64_decode(b64.data(), b64.size(), reinterpret_cast<unsigned char*>(&raw_out[0]));
               })});
#endif
  table("base64 decode", b);
  return 0;
}
