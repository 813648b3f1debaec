// MIME body decoding throughput: mime::body_decoder (the MIME parser's
// per-part path) on quoted-printable text and on 76-column base64, against
// memcpy (the ceiling) and, when built with it, GMime's step decoders, all
// in the same run on the same buffers. MB/s are of the encoded input.
//
//   mailwire-bench-mime-codecs [--size MiB] [--smoke]
#include <mailwire/core/base64.hpp>
#include <mailwire/core/cpu.hpp>
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

// Prose with paragraph breaks (hard line breaks).
std::string prose(std::size_t n, unsigned accented_every) { return bench::prose(n, accented_every, 40, ".\r\n\r\n"); }

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
  const auto [mib, reps] = bench::size_and_reps(argc, argv, 16, 15);

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

    std::vector<bench::result> q{bench::memcpy_row(qp, raw_out, reps)};
    q.push_back({"mailwire body_decoder (std::string out)", bench::measure(qp.size(), reps, [&] {
                   return decode_body(mime::transfer_encoding::quoted_printable, qp, out);
                 })});
    // The dispatched path: the block decoder where the CPU has VBMI2.
    const std::string qp_path = std::string(mailwire::cpu::best_name()) +
                                (mailwire::cpu::has(mailwire::cpu::avx512 | mailwire::cpu::avx512vbmi2) ? " vbmi2 blocks" : "");
    q.push_back({"mailwire body_decoder, 64 KiB chunks, " + qp_path, bench::measure(qp.size(), reps, [&] {
                   return decode_body_chunked(mime::transfer_encoding::quoted_printable, qp, out);
                 })});
    const auto qp_raw = [&] {
      mime::qp_decoder dec;
      const std::size_t n = dec.decode(qp, &raw_out[0], nullptr);
      return n + dec.finish(&raw_out[n], nullptr);
    };
    q.push_back({"mailwire qp_decoder (char* out), " + qp_path, bench::measure(qp.size(), reps, qp_raw)});
    // Without the block decoder: the line decoder with the vector scan (the
    // path before it).
    if (mailwire::cpu::has(mailwire::cpu::avx512vbmi2)) {
      mailwire::cpu::disable(mailwire::cpu::avx512vbmi2);
      q.push_back({std::string("mailwire body_decoder, 64 KiB chunks, ") + mailwire::cpu::best_name() + " lines",
                   bench::measure(qp.size(), reps, [&] {
                     return decode_body_chunked(mime::transfer_encoding::quoted_printable, qp, out);
                   })});
      mailwire::cpu::disable(0);
    }
    // The same decoder on the scalar path, in the same run.
    mailwire::cpu::force_scalar(true);
    q.push_back({"mailwire qp_decoder (char* out), scalar", bench::measure(qp.size(), reps, qp_raw)});
    q.push_back({"mailwire body_decoder, 64 KiB chunks, scalar", bench::measure(qp.size(), reps, [&] {
                   return decode_body_chunked(mime::transfer_encoding::quoted_printable, qp, out);
                 })});
    mailwire::cpu::force_scalar(false);
#if MAILWIRE_BENCH_GMIME
    q.push_back({"GMime g_mime_encoding_quoted_decode_step", bench::measure(qp.size(), reps, [&] {
                   return peers::gmime_qp_decode(qp.data(), qp.size(), reinterpret_cast<unsigned char*>(&raw_out[0]));
                 })});
#endif
    bench::table("quoted-printable decode", q, 56);
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
  std::vector<bench::result> b{bench::memcpy_row(b64, raw_out, reps)};
  // With the base64 kernel the CPU has, then forced scalar.
  for (const bool scalar : {false, true}) {
    mailwire::cpu::force_scalar(scalar);
    const std::string path = std::string(" [") + mailwire::cpu::best_name() + "]";
    b.push_back({"mailwire body_decoder (std::string out)" + path, bench::measure(b64.size(), reps, [&] {
                   return decode_body(mime::transfer_encoding::base64, b64, out);
                 })});
    b.push_back({"mailwire body_decoder, 64 KiB chunks" + path, bench::measure(b64.size(), reps, [&] {
                   return decode_body_chunked(mime::transfer_encoding::base64, b64, out);
                 })});
  }
  mailwire::cpu::force_scalar(false);
#if MAILWIRE_BENCH_GMIME
  b.push_back({"GMime g_mime_encoding_base64_decode_step", bench::measure(b64.size(), reps, [&] {
                 return peers::gmime_base64_decode(b64.data(), b64.size(), reinterpret_cast<unsigned char*>(&raw_out[0]));
               })});
#endif
  bench::table("base64 decode", b, 52);
  return 0;
}
