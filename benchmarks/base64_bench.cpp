// base64 throughput: mailwire's streaming encoder and decoder against
// memcpy (the ceiling) and, when built with them, GMime and GLib — all in
// the same run, on the same buffers. MB/s are of the encoded (base64) side
// for decoding and of the raw side for encoding, so the columns compare.
// Each mailwire row is measured with the vector kernel the CPU has (its
// name printed), with AVX2 on an AVX-512 CPU, and forced scalar.
//
//   mailwire-bench-base64 [--size MiB] [--smoke]
#include <mailwire/core/base64.hpp>
#include <mailwire/core/cpu.hpp>

#include "bench_util.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#if MAILWIRE_BENCH_GMIME
#include "competitors/competitors.hpp"
#endif

namespace {

namespace base64 = mailwire::base64;

std::size_t mailwire_decode(std::string_view in, char* out, base64::mode m) {
  base64::decoder d(m);
  const base64::decode_result r = d.update(in, out);
  const base64::decode_result f = d.finish(out + r.written);
  if (!r || !f) std::abort();
  return r.written + f.written;
}

// The same measurement with the best kernels, with AVX2 when AVX-512 is
// the best (what a CPU without AVX-512 gets), then forced scalar.
template <class Run>
void both_paths(std::vector<bench::result>& rows, const std::string& name, std::size_t bytes, int reps, Run run) {
  namespace cpu = mailwire::cpu;
  rows.push_back({name + " [" + cpu::best_name() + "]", bench::measure(bytes, reps, run)});
  if (cpu::has(cpu::avx512)) {
    cpu::disable(cpu::avx512);
    rows.push_back({name + " [" + cpu::best_name() + "]", bench::measure(bytes, reps, run)});
    cpu::disable(0);
  }
  cpu::force_scalar(true);
  rows.push_back({name + " [scalar]", bench::measure(bytes, reps, run)});
  cpu::force_scalar(false);
}

}  // namespace

int main(int argc, char** argv) {
  const auto [mib, reps] = bench::size_and_reps(argc, argv, 16, 15);

  const std::string raw = bench::random_bytes(mib << 20);
  const std::string wrapped = base64::encode(raw, 76);  // a MIME body
  const std::string flat = base64::encode(raw);         // SASL-style, one line
  std::string out(raw.size() + 16, '\0');
  std::string enc(wrapped.size() + 16, '\0');

  std::string check;
  if (!base64::decode(wrapped, check, base64::mode::mime) || check != raw) {
    fmt::print(stderr, "self-check failed\n");
    return 1;
  }

  fmt::print("base64, {} MiB of random bytes; {} bytes of 76-column CRLF-wrapped base64; best of {}; kernels: {}\n",
             mib, wrapped.size(), reps, mailwire::cpu::best_name());

  std::vector<bench::result> dec;
  dec.push_back(bench::memcpy_row(wrapped, enc, reps));
  both_paths(dec, "mailwire decoder, mime mode", wrapped.size(), reps,
             [&] { return mailwire_decode(wrapped, &out[0], base64::mode::mime); });
#if MAILWIRE_BENCH_GMIME
  dec.push_back({"GMime g_mime_encoding_base64_decode_step", bench::measure(wrapped.size(), reps, [&] {
                   return peers::gmime_base64_decode(wrapped.data(), wrapped.size(),
                                                     reinterpret_cast<unsigned char*>(&out[0]));
                 })});
  dec.push_back({"GLib g_base64_decode_step", bench::measure(wrapped.size(), reps, [&] {
                   return peers::glib_base64_decode(wrapped.data(), wrapped.size(),
                                                    reinterpret_cast<unsigned char*>(&out[0]));
                 })});
#endif
  bench::table("decode, 76-column CRLF-wrapped (MIME body)", dec, 52);

  std::vector<bench::result> flat_dec;
  flat_dec.push_back(bench::memcpy_row(flat, enc, reps));
  both_paths(flat_dec, "mailwire decoder, strict mode", flat.size(), reps,
             [&] { return mailwire_decode(flat, &out[0], base64::mode::strict); });
#if MAILWIRE_BENCH_GMIME
  flat_dec.push_back({"GMime g_mime_encoding_base64_decode_step", bench::measure(flat.size(), reps, [&] {
                        return peers::gmime_base64_decode(flat.data(), flat.size(),
                                                          reinterpret_cast<unsigned char*>(&out[0]));
                      })});
#endif
  bench::table("decode, unwrapped (SASL, IMAP literal)", flat_dec, 52);

  std::vector<bench::result> encs;
  encs.push_back(bench::memcpy_row(raw, out, reps));
  for (const std::size_t line : {76u, 0u}) {
    both_paths(encs, line == 0 ? "mailwire encoder, no line breaks" : "mailwire encoder, 76 columns", raw.size(),
               reps, [&] {
                 base64::encoder e(line);
                 const std::size_t n = e.update(raw, &enc[0]);
                 return n + e.finish(&enc[n]);
               });
  }
#if MAILWIRE_BENCH_GMIME
  encs.push_back({"GMime g_mime_encoding_base64_encode_close", bench::measure(raw.size(), reps, [&] {
                    return peers::gmime_base64_encode(reinterpret_cast<const unsigned char*>(raw.data()),
                                                      raw.size(), &enc[0]);
                  })});
  encs.push_back({"GLib g_base64_encode_step (breaks lines)", bench::measure(raw.size(), reps, [&] {
                    return peers::glib_base64_encode(reinterpret_cast<const unsigned char*>(raw.data()),
                                                     raw.size(), &enc[0]);
                  })});
#endif
  bench::table("encode, raw bytes in", encs, 52);
  return 0;
}
