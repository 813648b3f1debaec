// Hash throughput: mailwire's MD5, SHA-1 and SHA-256 against memcpy (the
// ceiling) and, when built with it, OpenSSL's EVP digests, all in the same
// run on the same buffer; then PBKDF2-HMAC (SCRAM's Hi) in iterations per
// second against OpenSSL's PKCS5_PBKDF2_HMAC. SHA-1 and SHA-256 are
// measured twice: dispatched (SHA-NI where the CPU has it, as OpenSSL does)
// and with the scalar path forced (cpu::force_scalar). Every mailwire
// result is checked against OpenSSL's before it is timed.
//
//   mailwire-bench-hash [--size MiB] [--smoke]
#include <mailwire/core/cpu.hpp>
#include <mailwire/core/hash.hpp>
#include <mailwire/core/hmac.hpp>

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

#ifndef MAILWIRE_BENCH_OPENSSL
#define MAILWIRE_BENCH_OPENSSL 0
#endif
#if MAILWIRE_BENCH_OPENSSL
#include <openssl/evp.h>
#endif

namespace {

// The hashes are mailwire's internal building blocks (for SASL), measured
// here all the same.
namespace hash = mailwire::detail;

struct result {
  std::string name;
  double value;        // MB/s or iterations/s
  double openssl = 0;  // the matching OpenSSL row's value, 0 when none
};

void table(const std::string& title, const char* unit, const char* ref_name, const std::vector<result>& rows) {
  const double ref = rows.front().value;
  fmt::print("\n{}\n", title);
  fmt::print("  {:<36} {:>12} {:>11} {:>11}\n", "implementation", unit, ref_name, "vs OpenSSL");
  for (const result& r : rows) {
    const std::string vs_openssl = r.openssl > 0 ? fmt::format("{:.3f}x", r.value / r.openssl) : "";
    fmt::print("  {:<36} {:>12.0f} {:>10.3f}x {:>11}\n", r.name, r.value, r.value / ref, vs_openssl);
  }
}

using bench_fn = std::function<std::size_t()>;

#if MAILWIRE_BENCH_OPENSSL
std::vector<std::uint8_t> openssl_digest(const EVP_MD* md, std::string_view data) {
  std::vector<std::uint8_t> out(static_cast<std::size_t>(EVP_MAX_MD_SIZE));
  unsigned int n = 0;
  if (md == nullptr || EVP_Digest(data.data(), data.size(), out.data(), &n, md, nullptr) != 1) std::abort();
  out.resize(n);
  return out;
}

std::vector<std::uint8_t> openssl_pbkdf2(const EVP_MD* md, std::string_view password, std::string_view salt,
                                         std::uint32_t iterations, std::size_t length) {
  std::vector<std::uint8_t> out(length);
  if (md == nullptr ||
      PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()), static_cast<int>(salt.size()),
                        static_cast<int>(iterations), md, static_cast<int>(length), out.data()) != 1) {
    std::abort();
  }
  return out;
}
#endif

// The OpenSSL digest `name` ("SHA256") of `data`, as a benchmark body; an
// empty function when built without OpenSSL. `ours` is checked against it.
template <class Hash>
bench_fn openssl_digest_fn(const char* name, const std::string& data, const typename Hash::digest& ours) {
#if MAILWIRE_BENCH_OPENSSL
  const EVP_MD* md = EVP_get_digestbyname(name);
  const std::vector<std::uint8_t> theirs = openssl_digest(md, data);
  if (!std::equal(ours.begin(), ours.end(), theirs.begin(), theirs.end())) {
    fmt::print(stderr, "{} differs from OpenSSL's\n", name);
    std::exit(1);
  }
  return [md, &data] { return std::size_t{openssl_digest(md, data)[0]}; };
#else
  (void)name, (void)data, (void)ours;
  return {};
#endif
}

// The same for PBKDF2-HMAC-`name` with a digest-sized key.
template <class Hash>
bench_fn openssl_pbkdf2_fn(const char* name, const std::string& password, const std::string& salt,
                           std::uint32_t iterations, const typename Hash::digest& ours) {
#if MAILWIRE_BENCH_OPENSSL
  const EVP_MD* md = EVP_get_digestbyname(name);
  const std::vector<std::uint8_t> theirs = openssl_pbkdf2(md, password, salt, iterations, Hash::digest_size);
  if (!std::equal(ours.begin(), ours.end(), theirs.begin(), theirs.end())) {
    fmt::print(stderr, "PBKDF2-HMAC-{} differs from OpenSSL's\n", name);
    std::exit(1);
  }
  return [md, &password, &salt, iterations] {
    return std::size_t{openssl_pbkdf2(md, password, salt, iterations, Hash::digest_size)[0]};
  };
#else
  (void)name, (void)password, (void)salt, (void)iterations, (void)ours;
  return {};
#endif
}

}  // namespace

int main(int argc, char** argv) {
  bench::command_line cl{16, 10};
  bench::parse_command_line(cl, argc, argv, "[--size MiB] [--smoke]");
  const std::size_t mib = cl.size;
  const int reps = cl.reps;
  const int pbkdf2_reps = cl.smoke ? 1 : 30;

  const std::string data = bench::random_bytes(mib << 20);
  std::string copy(data.size(), '\0');
  constexpr std::uint32_t iterations = 4096;
  const std::string password = "pencil";  // RFC 5802 / RFC 7677's example
  const std::string salt = "W22ZaJ0SNY7soEsUEjb6gQ==";

  if (hash::to_hex(hash::pbkdf2_hmac<hash::sha256>("password", "salt", 4096)) !=
      "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a") {
    fmt::print(stderr, "self-check failed\n");
    return 1;
  }

  fmt::print("hashes, {} MiB of random bytes, best of {}{}; dispatch: {}, SHA-NI {}\n", mib, reps,
             MAILWIRE_BENCH_OPENSSL ? "" : " (built without OpenSSL)", mailwire::cpu::best_name(),
             mailwire::cpu::has(mailwire::cpu::sha) ? "used" : "absent");
  // `fn` with the scalar path forced, for the "(scalar)" rows.
  const auto scalar = [](bench_fn fn) -> bench_fn {
    return [fn] {
      mailwire::cpu::force_scalar(true);
      const std::size_t r = fn();
      mailwire::cpu::force_scalar(false);
      return r;
    };
  };
  const auto mb_per_s = [&](const bench_fn& fn) {
    return static_cast<double>(data.size()) / bench::best_seconds(reps, fn) / 1e6;
  };
  std::vector<result> rows;
  rows.push_back({"memcpy (same bytes)", mb_per_s([&] {
                    std::memcpy(&copy[0], data.data(), data.size());
                    return copy.size();
                  })});
  // One of ours, then OpenSSL's when there, which checks our digest too.
  const auto add_digest = [&](const char* name, const bench_fn& ours, const bench_fn& theirs) {
    result r{fmt::format("mailwire {}", name), mb_per_s(ours)};
    if (!theirs) {
      rows.push_back(r);
      return;
    }
    r.openssl = mb_per_s(theirs);
    rows.push_back(r);
    rows.push_back({fmt::format("OpenSSL EVP_Digest {}", name), r.openssl});
  };
  // Ours with the scalar path forced, next to the OpenSSL row it compares to.
  const auto add_scalar_digest = [&](const char* name, const bench_fn& ours) {
    result r{fmt::format("mailwire {} (scalar)", name), mb_per_s(scalar(ours))};
    if (MAILWIRE_BENCH_OPENSSL) r.openssl = rows.back().value;
    rows.push_back(r);
  };
  add_digest("md5", [&] { return std::size_t{hash::md5::hash(data)[0]}; },
             openssl_digest_fn<hash::md5>("MD5", data, hash::md5::hash(data)));
  const bench_fn sha1_fn = [&] { return std::size_t{hash::sha1::hash(data)[0]}; };
  add_digest("sha1", sha1_fn, openssl_digest_fn<hash::sha1>("SHA1", data, hash::sha1::hash(data)));
  add_scalar_digest("sha1", sha1_fn);
  const bench_fn sha256_fn = [&] { return std::size_t{hash::sha256::hash(data)[0]}; };
  add_digest("sha256", sha256_fn, openssl_digest_fn<hash::sha256>("SHA256", data, hash::sha256::hash(data)));
  add_scalar_digest("sha256", sha256_fn);
  table("digest, one call over the whole buffer", "MB/s", "vs memcpy", rows);

  const auto iterations_per_s = [&](const bench_fn& fn) {
    return static_cast<double>(iterations) / bench::best_seconds(pbkdf2_reps, fn);
  };
  std::vector<result> kdf;
  const auto add_kdf = [&](const char* name, const bench_fn& ours, const bench_fn& theirs) {
    result r{fmt::format("mailwire pbkdf2_hmac<{}>", name), iterations_per_s(ours)};
    result sr{fmt::format("mailwire pbkdf2_hmac<{}> (scalar)", name), iterations_per_s(scalar(ours))};
    if (theirs) sr.openssl = r.openssl = iterations_per_s(theirs);
    kdf.push_back(r);
    if (theirs) kdf.push_back({fmt::format("OpenSSL PKCS5_PBKDF2_HMAC {}", name), r.openssl});
    kdf.push_back(sr);
  };
  using hash::pbkdf2_hmac;
  add_kdf("sha256", [&] { return std::size_t{pbkdf2_hmac<hash::sha256>(password, salt, iterations)[0]}; },
          openssl_pbkdf2_fn<hash::sha256>("SHA256", password, salt, iterations,
                                          pbkdf2_hmac<hash::sha256>(password, salt, iterations)));
  add_kdf("sha1", [&] { return std::size_t{pbkdf2_hmac<hash::sha1>(password, salt, iterations)[0]}; },
          openssl_pbkdf2_fn<hash::sha1>("SHA1", password, salt, iterations,
                                        pbkdf2_hmac<hash::sha1>(password, salt, iterations)));
  table(fmt::format("PBKDF2-HMAC (SCRAM Hi), {} iterations, digest-sized key, best of {}", iterations, pbkdf2_reps),
        "iter/s", "vs first", kdf);
  return 0;
}
