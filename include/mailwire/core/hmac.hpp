// mailwire: HMAC (RFC 2104), PBKDF2 (RFC 8018 5.2) and a constant-time
// comparison, over the hashes of core/hash.hpp, for CRAM-MD5 and SCRAM.
//
// detail::hmac and detail::pbkdf2_hmac are internal building blocks, not
// part of mailwire's API: like the hashes they may change or go away in any
// release, with no stability promise. constant_time_equal() is public: an
// application answering a SASL server's password or token check should
// compare secrets with it (or its crypto library's equivalent).
//
// hmac<Hash> keys itself once: the constructor hashes the ipad and opad
// blocks and keeps both states, so each MAC afterwards costs only the
// message and two finishes, and a copy of a keyed object is a ready MAC
// with the same key. PBKDF2 runs thousands of MACs under one key and relies
// on this. Like the hashes, nothing here allocates, throws or does I/O, and
// key-derived state is not wiped when an object dies.
#ifndef MAILWIRE_CORE_HMAC_HPP
#define MAILWIRE_CORE_HMAC_HPP

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "mailwire/core/hash.hpp"

namespace mailwire {
inline namespace v0 {
namespace detail {

/// HMAC (RFC 2104) with `Hash` (md5, sha1, sha256, or any class with their
/// interface): streaming, reusable, copyable.
template <class Hash>
class hmac {
 public:
  /// The MAC type: a digest of Hash.
  using digest = typename Hash::digest;
  /// Bytes in a MAC.
  static constexpr std::size_t digest_size = Hash::digest_size;

  /// Keys the MAC with `key`, of any length (RFC 2104 2: a key longer than
  /// Hash's block is hashed first; a shorter one is padded with zeros).
  explicit hmac(std::string_view key) noexcept {
    unsigned char k[Hash::block_size] = {};
    if (key.size() > Hash::block_size) {
      const digest kd = Hash::hash(key);
      std::memcpy(k, kd.data(), kd.size());
    } else if (!key.empty()) {
      std::memcpy(k, key.data(), key.size());
    }
    unsigned char pad[Hash::block_size];
    for (std::size_t i = 0; i < Hash::block_size; ++i) pad[i] = static_cast<unsigned char>(k[i] ^ 0x36u);
    inner_.update(std::string_view(reinterpret_cast<const char*>(pad), sizeof pad));
    for (std::size_t i = 0; i < Hash::block_size; ++i) pad[i] = static_cast<unsigned char>(k[i] ^ 0x5cu);
    outer_.update(std::string_view(reinterpret_cast<const char*>(pad), sizeof pad));
    message_ = inner_;
  }

  /// Adds `bytes` to the message; any number of calls, any split.
  void update(std::string_view bytes) noexcept { message_.update(bytes); }

  /// The MAC of everything given to update() since construction or the last
  /// finish(); the object is then ready for a new message with the same key.
  digest finish() noexcept {
    const digest inner_digest = message_.finish();
    message_ = inner_;
    Hash outer = outer_;
    outer.update(as_view(inner_digest));
    return outer.finish();
  }

  /// The hash state after the key block xor ipad (inner) and xor opad
  /// (outer): where every MAC under this key starts.
  const Hash& inner() const noexcept { return inner_; }
  const Hash& outer() const noexcept { return outer_; }

  /// The MAC of `message` under `key`, in one call.
  static digest mac(std::string_view key, std::string_view message) noexcept {
    hmac h(key);
    h.update(message);
    return h.finish();
  }

 private:
  Hash inner_;    // H state after (K xor ipad): the start of every MAC
  Hash outer_;    // H state after (K xor opad)
  Hash message_;  // inner_ plus the message so far
};

/// A 32-bit word to or from bytes in `Traits`' byte order.
template <class Traits>
inline std::uint32_t load_word(const unsigned char* p) noexcept {
  return Traits::order == byte_order::big ? load_be32(p) : load_le32(p);
}
template <class Traits>
inline void store_word(unsigned char* p, std::uint32_t w) noexcept {
  for (unsigned i = 0; i < 4; ++i) {
    const unsigned shift = Traits::order == byte_order::big ? 24 - 8 * i : 8 * i;
    p[i] = static_cast<unsigned char>(w >> shift);
  }
}

// U_2 .. U_c of one PBKDF2 block from U_1, xored together with U_1 (RFC 8018
// 5.2 step 3). Every U_j after the first is the MAC of a digest-sized
// message, so each of its two hashes is exactly one block after the keyed
// midstate, always padded the same way: the loop keeps that one padded block
// and calls the compression function on it twice per iteration, from copies
// of the two midstates, rather than going through update() and finish(),
// which copy, buffer and pad afresh every time.
template <class Hash>
typename Hash::digest pbkdf2_rest(const hmac<Hash>& prf, const typename Hash::digest& u1,
                                  std::uint32_t iterations) noexcept {
  using traits = typename Hash::traits_type;
  constexpr std::size_t h_len = Hash::digest_size;
  constexpr std::size_t words = h_len / 4;
  static_assert(h_len % 4 == 0 && h_len + 9 <= Hash::block_size, "a digest and its padding fit one block");
  // The block: U (or the inner digest), 0x80, zeros, the bit length of key
  // block plus digest.
  unsigned char block[Hash::block_size] = {};
  std::memcpy(block, u1.data(), h_len);
  block[h_len] = 0x80;
  const std::uint64_t bits = (Hash::block_size + h_len) * 8;
  for (unsigned i = 0; i < 8; ++i) {
    const unsigned shift = traits::order == byte_order::big ? 56 - 8 * i : 8 * i;
    block[Hash::block_size - 8 + i] = static_cast<unsigned char>(bits >> shift);
  }
  const typename Hash::chaining_state inner = prf.inner().state();
  const typename Hash::chaining_state outer = prf.outer().state();
  std::uint32_t t[words];
  for (std::size_t k = 0; k < words; ++k) t[k] = load_word<traits>(u1.data() + 4 * k);
  for (std::uint32_t j = 1; j < iterations; ++j) {
    typename Hash::chaining_state s = inner;
    traits::compress(s.data(), block, 1);
    for (std::size_t k = 0; k < words; ++k) store_word<traits>(block + 4 * k, s[k]);
    s = outer;
    traits::compress(s.data(), block, 1);
    for (std::size_t k = 0; k < words; ++k) {
      store_word<traits>(block + 4 * k, s[k]);
      t[k] ^= s[k];
    }
  }
  typename Hash::digest out{};
  for (std::size_t k = 0; k < words; ++k) store_word<traits>(out.data() + 4 * k, t[k]);
  return out;
}

/// PBKDF2 (RFC 8018 5.2) with HMAC-Hash as the PRF: fills out[0, out_len)
/// with the key derived from `password` and `salt` in `iterations` rounds.
/// Two cases are defined rather than trusted to callers, and fill `out`
/// with zeros: iterations == 0 (RFC 8018 requires c >= 1; callers such as
/// the SCRAM engine reject 0 before calling), and out_len above
/// (2^32 - 1) * digest_size, which RFC 8018 calls "derived key too long".
template <class Hash>
void pbkdf2_hmac(std::string_view password, std::string_view salt, std::uint32_t iterations,
                 std::uint8_t* out, std::size_t out_len) noexcept {
  constexpr std::size_t h_len = Hash::digest_size;
  if (iterations == 0 || static_cast<std::uint64_t>(out_len) > std::uint64_t{0xFFFFFFFFu} * h_len) {
    if (out_len != 0) std::memset(out, 0, out_len);
    return;
  }
  hmac<Hash> prf(password);  // keyed once; finish() re-arms it for the next U
  for (std::uint32_t block = 1; out_len != 0; ++block) {
    // T_i = U_1 xor ... xor U_c, U_1 = PRF(P, S || INT(i)), U_j = PRF(P, U_{j-1}).
    const unsigned char index[4] = {static_cast<unsigned char>(block >> 24), static_cast<unsigned char>(block >> 16),
                                    static_cast<unsigned char>(block >> 8), static_cast<unsigned char>(block)};
    prf.update(salt);
    prf.update(std::string_view(reinterpret_cast<const char*>(index), sizeof index));
    const typename Hash::digest u1 = prf.finish();
    const typename Hash::digest t = pbkdf2_rest(prf, u1, iterations);
    const std::size_t n = out_len < h_len ? out_len : h_len;
    std::memcpy(out, t.data(), n);
    out += n;
    out_len -= n;
  }
}

/// The first PBKDF2-HMAC-Hash block: a derived key of exactly
/// Hash::digest_size bytes. This is SCRAM's Hi(str, salt, i) (RFC 5802 2.2,
/// RFC 7677) with str = the normalized password. iterations == 0 gives an
/// all-zero digest (see above); SCRAM rejects 0 before calling.
template <class Hash>
typename Hash::digest pbkdf2_hmac(std::string_view password, std::string_view salt,
                                  std::uint32_t iterations) noexcept {
  typename Hash::digest d{};
  pbkdf2_hmac<Hash>(password, salt, iterations, d.data(), d.size());
  return d;
}

}  // namespace detail

/// Whether `a` and `b` hold the same bytes, in a time that depends on their
/// length but not on their content or on where they differ: for comparing
/// MACs, SCRAM proofs and signatures against received values. Unequal
/// lengths return false at once, so the length may leak; for digests it is
/// public anyway.
inline bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  // Volatile reads keep the compiler from turning the loop into an early
  // exit (or a memcmp) once it sees the accumulator can only grow.
  const auto* pa = reinterpret_cast<const volatile unsigned char*>(a.data());
  const auto* pb = reinterpret_cast<const volatile unsigned char*>(b.data());
  unsigned diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned>(pa[i] ^ pb[i]);
  return diff == 0;
}

}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_CORE_HMAC_HPP
