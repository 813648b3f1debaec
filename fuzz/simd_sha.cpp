// SHA-1 and SHA-256 dispatched (SHA-NI where the CPU has it) against the
// scalar reference (cpu::force_scalar): the same digest for any input fed in
// any chunking, and the same PBKDF2 (whose loop drives the compression
// function directly) for a few iterations with the input as password and
// salt.
#include <mailwire/core/cpu.hpp>
#include <mailwire/core/hash.hpp>
#include <mailwire/core/hmac.hpp>

#include <string_view>

#include "fuzz_check.hpp"

namespace {
namespace hash = mailwire::detail;

// The digest of `in` fed in pieces whose lengths cycle through `sizes`
// (each 1..256).
template <class Hash>
typename Hash::digest chunked(std::string_view in, std::string_view sizes) {
  Hash h;
  std::size_t k = 0;
  while (!in.empty()) {
    const std::size_t n = sizes.empty() ? in.size() : 1u + static_cast<unsigned char>(sizes[k++ % sizes.size()]);
    const std::string_view piece = in.substr(0, n);
    h.update(piece);
    in.remove_prefix(piece.size());
  }
  return h.finish();
}

template <class Hash>
void compare(std::string_view in, std::string_view sizes, std::uint32_t iterations) {
  mailwire::cpu::force_scalar(true);
  const typename Hash::digest want = Hash::hash(in);
  const typename Hash::digest want_kdf = hash::pbkdf2_hmac<Hash>(in.substr(0, in.size() / 2),
                                                                 in.substr(in.size() / 2), iterations);
  mailwire::cpu::force_scalar(false);
  MAILWIRE_FUZZ_CHECK(Hash::hash(in) == want);
  MAILWIRE_FUZZ_CHECK(chunked<Hash>(in, sizes) == want);
  MAILWIRE_FUZZ_CHECK(hash::pbkdf2_hmac<Hash>(in.substr(0, in.size() / 2), in.substr(in.size() / 2), iterations) ==
                      want_kdf);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (mailwire_fuzz::over_cap(size)) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::uint32_t iterations = 1u + mailwire_fuzz::take_byte(in) % 8u;
  const std::string_view sizes = mailwire_fuzz::take_bytes(in, mailwire_fuzz::take_byte(in) % 8u);
  compare<hash::sha1>(in, sizes, iterations);
  compare<hash::sha256>(in, sizes, iterations);
  return 0;
}
