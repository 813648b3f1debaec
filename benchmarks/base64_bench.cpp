// base64 throughput: mailwire's streaming encoder and decoder against
// memcpy (the ceiling) and, when built with them, GMime and GLib — all in
// the same run, on the same buffers. MB/s are of the encoded (base64) side
// for decoding and of the raw side for encoding, so the columns compare.
//
//   mailwire-bench-base64 [--size MiB] [--smoke]
#include <mailwire/core/base64.hpp>

#include "bench_util.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#if MAILWIRE_BENCH_GMIME
#include "competitors/competitors.hpp"
#endif

namespace {

namespace base64 = mailwire::base64;

struct result {
  std::string name;
  double mb_per_s;
};

// MB/s of the best of `reps` runs of `fn` over `bytes` bytes.
template <class F>
double measure(std::size_t bytes, int reps, F&& fn) {
  return static_cast<double>(bytes) / bench::best_seconds(reps, fn) / 1e6;
}

std::size_t mailwire_decode(std::string_view in, char* out, base64::mode m) {
  base64::decoder d(m);
  const base64::decode_result r = d.update(in, out);
  const base64::decode_result f = d.finish(out + r.written);
  if (!r || !f) std::abort();
  return r.written + f.written;
}

void table(const std::string& title, const std::vector<result>& rows) {
  const double ref = rows.front().mb_per_s;
  fmt::print("\n{}\n", title);
  fmt::print("  {:<40} {:>10} {:>12}\n", "implementation", "MB/s", "vs memcpy");
  for (const result& r : rows) {
    fmt::print("  {:<40} {:>10.0f} {:>11.3f}x\n", r.name, r.mb_per_s, r.mb_per_s / ref);
  }
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

  fmt::print("base64, {} MiB of random bytes; {} bytes of 76-column CRLF-wrapped base64; best of {}\n",
             mib, wrapped.size(), reps);

  std::vector<result> dec;
  dec.push_back({"memcpy (same bytes)", measure(wrapped.size(), reps, [&] {
                   std::memcpy(&enc[0], wrapped.data(), wrapped.size());
                   return enc.size();
                 })});
  dec.push_back({"mailwire decoder, mime mode", measure(wrapped.size(), reps, [&] {
                   return mailwire_decode(wrapped, &out[0], base64::mode::mime);
                 })});
#if MAILWIRE_BENCH_GMIME
  dec.push_back({"GMime g_mime_encoding_base64_decode_step", measure(wrapped.size(), reps, [&] {
                   return peers::gmime_base64_decode(wrapped.data(), wrapped.size(),
                                                     reinterpret_cast<unsigned char*>(&out[0]));
                 })});
  dec.push_back({"GLib g_base64_decode_step", measure(wrapped.size(), reps, [&] {
                   return peers::glib_base64_decode(wrapped.data(), wrapped.size(),
                                                    reinterpret_cast<unsigned char*>(&out[0]));
                 })});
#endif
  table("decode, 76-column CRLF-wrapped (MIME body)", dec);

  std::vector<result> flat_dec;
  flat_dec.push_back({"memcpy (same bytes)", measure(flat.size(), reps, [&] {
                        std::memcpy(&enc[0], flat.data(), flat.size());
                        return enc.size();
                      })});
  flat_dec.push_back({"mailwire decoder, strict mode", measure(flat.size(), reps, [&] {
                        return mailwire_decode(flat, &out[0], base64::mode::strict);
                      })});
#if MAILWIRE_BENCH_GMIME
  flat_dec.push_back({"GMime g_mime_encoding_base64_decode_step", measure(flat.size(), reps, [&] {
                        return peers::gmime_base64_decode(flat.data(), flat.size(),
                                                          reinterpret_cast<unsigned char*>(&out[0]));
                      })});
#endif
  table("decode, unwrapped (SASL, IMAP literal)", flat_dec);

  std::vector<result> encs;
  encs.push_back({"memcpy (same bytes)", measure(raw.size(), reps, [&] {
                    std::memcpy(&out[0], raw.data(), raw.size());
                    return out.size();
                  })});
  encs.push_back({"mailwire encoder, 76 columns", measure(raw.size(), reps, [&] {
                    base64::encoder e(76);
                    const std::size_t n = e.update(raw, &enc[0]);
                    return n + e.finish(&enc[n]);
                  })});
#if MAILWIRE_BENCH_GMIME
  encs.push_back({"GMime g_mime_encoding_base64_encode_close", measure(raw.size(), reps, [&] {
                    return peers::gmime_base64_encode(reinterpret_cast<const unsigned char*>(raw.data()),
                                                      raw.size(), &enc[0]);
                  })});
  encs.push_back({"GLib g_base64_encode_step (breaks lines)", measure(raw.size(), reps, [&] {
                    return peers::glib_base64_encode(reinterpret_cast<const unsigned char*>(raw.data()),
                                                     raw.size(), &enc[0]);
                  })});
#endif
  table("encode, raw bytes in", encs);
  return 0;
}
