#include <mailwire/core/cpu.hpp>
#include <mailwire/core/hash.hpp>
#include <mailwire/core/hmac.hpp>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "catch.hpp"
#include "grind.hpp"

// The hashes are internal building blocks (mailwire::detail), tested here
// as the SASL mechanisms rely on them.
using mailwire::detail::as_view;
using mailwire::detail::hmac;
using mailwire::detail::md5;
using mailwire::detail::pbkdf2_hmac;
using mailwire::detail::sha1;
using mailwire::detail::sha256;
using mailwire::detail::to_hex;

// They are no longer public names (issue 9). Each alias below would clash
// with a class, class template or function of the same name in mailwire's
// own namespace, so this file compiles only while mailwire declares none of
// them outside detail.
namespace mailwire {
inline namespace v0 {
using md5 = void;
using sha1 = void;
using sha256 = void;
using hmac = void;
using pbkdf2_hmac = void;
using to_hex = void;
using as_view = void;
}  // namespace v0
}  // namespace mailwire

namespace {

// The generated vectors below were computed with Python's hashlib and hmac
// (CPython 3.11 over OpenSSL 3) on these two deterministic byte patterns.
// Their period, 251 and 253, is prime to the block size, so no two blocks of
// an input are alike.
std::string message_pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 31 + 7) % 251);
  return s;
}
std::string key_pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 17 + 3) % 253);
  return s;
}

std::string repeat(char c, std::size_t n) { return std::string(n, c); }

template <class Hash>
std::string streamed_hex(const mailwire_test::chunks& pieces) {
  Hash h;
  for (std::string_view p : pieces) h.update(p);
  return to_hex(h.finish());
}

std::string hash_hex(std::string_view alg, std::string_view m) {
  if (alg == "md5") return to_hex(md5::hash(m));
  if (alg == "sha1") return to_hex(sha1::hash(m));
  return to_hex(sha256::hash(m));
}

std::string hmac_hex(std::string_view alg, std::string_view key, std::string_view m) {
  if (alg == "md5") return to_hex(hmac<md5>::mac(key, m));
  if (alg == "sha1") return to_hex(hmac<sha1>::mac(key, m));
  return to_hex(hmac<sha256>::mac(key, m));
}

template <class Hash>
std::string pbkdf2_hex(std::string_view password, std::string_view salt, std::uint32_t iterations,
                       std::size_t dk_len) {
  std::vector<std::uint8_t> dk(dk_len + 1, 0xEE);  // one canary byte past the end
  pbkdf2_hmac<Hash>(password, salt, iterations, dk.data(), dk_len);
  REQUIRE(dk.back() == 0xEE);
  std::string s;
  static constexpr char digits[] = "0123456789abcdef";
  for (std::size_t i = 0; i < dk_len; ++i) {
    s += digits[dk[i] >> 4];
    s += digits[dk[i] & 15];
  }
  return s;
}

const std::string m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
const std::string m896 =
    "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";

}  // namespace

static_assert(md5::digest_size == 16 && sha1::digest_size == 20 && sha256::digest_size == 32);
static_assert(md5::block_size == 64 && sha1::block_size == 64 && sha256::block_size == 64);
static_assert(std::is_same_v<sha256::digest, std::array<std::uint8_t, 32>>);
static_assert(std::is_same_v<hmac<sha1>::digest, sha1::digest>);
static_assert(noexcept(sha256::hash("")) && noexcept(std::declval<sha1&>().update("")) &&
              noexcept(std::declval<md5&>().finish()));
static_assert(noexcept(hmac<sha256>::mac("", "")) && noexcept(pbkdf2_hmac<sha256>("", "", 1)) &&
              noexcept(mailwire::constant_time_equal("", "")));
static_assert(std::is_nothrow_copy_constructible_v<hmac<sha256>>);

TEST_CASE("MD5: the RFC 1321 A.5 test suite") {
  CHECK(to_hex(md5::hash("")) == "d41d8cd98f00b204e9800998ecf8427e");
  CHECK(to_hex(md5::hash("a")) == "0cc175b9c0f1b6a831c399e269772661");
  CHECK(to_hex(md5::hash("abc")) == "900150983cd24fb0d6963f7d28e17f72");
  CHECK(to_hex(md5::hash("message digest")) == "f96b697d7cb7938d525a2f31aaf161d0");
  CHECK(to_hex(md5::hash("abcdefghijklmnopqrstuvwxyz")) == "c3fcd3d76192e4007dfb496cca67e13b");
  CHECK(to_hex(md5::hash("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")) ==
        "d174ab98d277d9f5a5611c2c9f419d9f");
  CHECK(to_hex(md5::hash("12345678901234567890123456789012345678901234567890123456789012345678901234567890")) ==
        "57edf4a22be3c955ac49da2e2107b67a");
}

TEST_CASE("SHA-1: the FIPS 180-4 examples (NIST CSRC), the empty message and one million 'a'") {
  REQUIRE(m448.size() * 8 == 448);
  REQUIRE(m896.size() * 8 == 896);
  CHECK(to_hex(sha1::hash("")) == "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  CHECK(to_hex(sha1::hash("abc")) == "a9993e364706816aba3e25717850c26c9cd0d89d");
  CHECK(to_hex(sha1::hash(m448)) == "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  CHECK(to_hex(sha1::hash(m896)) == "a49b2446a02c645bf419f995b67091253a04a259");
  CHECK(to_hex(sha1::hash(repeat('a', 1000000))) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

TEST_CASE("SHA-256: the FIPS 180-4 examples (NIST CSRC), the empty message and one million 'a'") {
  CHECK(to_hex(sha256::hash("")) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(to_hex(sha256::hash("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(to_hex(sha256::hash(m448)) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(to_hex(sha256::hash(m896)) == "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
  CHECK(to_hex(sha256::hash(repeat('a', 1000000))) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("one million 'a' fed in uneven pieces, as a stream would deliver it") {
  const std::string a = repeat('a', 1000000);
  md5 h5;
  sha1 h1;
  sha256 h256;
  std::size_t at = 0;
  for (std::size_t step = 1; at < a.size(); step = step * 7 % 1009 + 1) {
    const std::string_view piece = std::string_view(a).substr(at, step);
    h5.update(piece);
    h1.update(piece);
    h256.update(piece);
    at += piece.size();
  }
  CHECK(to_hex(h5.finish()) == "7707d6ae4e027c70eea2a935c2296f21");
  CHECK(to_hex(h1.finish()) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
  CHECK(to_hex(h256.finish()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("digests around block boundaries match Python's hashlib") {
  struct vector {
    const char* alg;
    std::size_t length;
    const char* hex;
  };
  // 55 bytes: padding fits the block; 56: it needs a second one; 64/65: a
  // whole block, then one byte over.
  const vector vectors[] = {
      {"md5", 55, "d39f7454bbe034082797e66c125a31ad"},
      {"md5", 56, "8e9dbcce67719f0304ad52c59ff3d743"},
      {"md5", 64, "8d9cfa334d4e690843fa68e59c798b84"},
      {"md5", 65, "72d8b171f7f46898ee558ad1a86fb907"},
      {"md5", 120, "b4a4ce125f8932c19665e554892473c4"},
      {"md5", 1000, "e722bbb0c3185d08f1a31567e66a825b"},
      {"sha1", 55, "c202e9e11f5bda66687974ab362835d5d87c9d62"},
      {"sha1", 56, "383f141cb0aacb1103b2f3f8bbddea6f2adfe9ef"},
      {"sha1", 64, "3667bcd4b1c361807c4e19aeb17dcaf39637dd07"},
      {"sha1", 65, "153a75a42e6d24d7a2fc3652e961591cb18d88e9"},
      {"sha1", 120, "14d1d42d8e99cb283a9b157246eae6ca135319d2"},
      {"sha1", 1000, "5ed35694ea7f5e781d0896a9d0c18f4ed1dcd537"},
      {"sha256", 55, "e40272620990d5f772101e014a0fe168d9ab13215739a04bdcb4b9cadc303c75"},
      {"sha256", 56, "5b3154594d65c2a11e797576e2b4ece47f48373d8acfc0ae2cc3b87ca7adaedc"},
      {"sha256", 64, "3483dc12a3fea6618642162f88124ea56e797597a97483d5ba597a42d98aaf6b"},
      {"sha256", 65, "3a513663aae909c328f43e2d74265dc5ec35495c99dfde7b8f9dd37f297dfa40"},
      {"sha256", 120, "f425d2567f5c636c99335e5e8bb04669475b3b8b6f7523bbabbd11115cef8550"},
      {"sha256", 1000, "008549d94fa71e7a0a483d84380d05a923a4b18e79ba1f8a8ddac923956d32ef"},
  };
  for (const vector& v : vectors) {
    INFO(v.alg << " length " << v.length);
    CHECK(hash_hex(v.alg, message_pattern(v.length)) == v.hex);
  }
}

TEST_CASE("every length from 0 to 300 matches Python's hashlib") {
  // SHA-256 of the concatenated digests of message_pattern(0..300): one
  // literal per algorithm covers 301 lengths, every padding case included.
  const std::pair<const char*, const char*> expected[] = {
      {"md5", "f6aaefe761f056ef99b57d18f1fe4e00b7c2c1900baa2f7d16cf67166e7a99a1"},
      {"sha1", "7bc8b8e8de54bdc864b7fc3379cc8f6c348019cf2872dd7f42fed2bd8c2a64a6"},
      {"sha256", "3a9fcbf6bfd4421754cdc62d7b0a1a846bcd8fcaae5e64d29ca4bb3a3861610d"},
  };
  for (const auto& e : expected) {
    INFO(e.first);
    sha256 all;
    for (std::size_t n = 0; n <= 300; ++n) {
      const std::string m = message_pattern(n);
      if (std::string_view(e.first) == "md5") all.update(as_view(md5::hash(m)));
      if (std::string_view(e.first) == "sha1") all.update(as_view(sha1::hash(m)));
      if (std::string_view(e.first) == "sha256") all.update(as_view(sha256::hash(m)));
    }
    CHECK(to_hex(all.finish()) == e.second);
  }
}

TEST_CASE("any split of the input gives the one-shot digest, lengths 0 to 300") {
  for (std::size_t n = 0; n <= 300; ++n) {
    const std::string m = message_pattern(n);
    const std::string want5 = to_hex(md5::hash(m));
    const std::string want1 = to_hex(sha1::hash(m));
    const std::string want256 = to_hex(sha256::hash(m));
    // Three-way splits up to 72 bytes: every way of reaching, filling and
    // crossing the first block boundary in pieces.
    for (const mailwire_test::chunks& c : mailwire_test::chunkings(m, 72)) {
      if (streamed_hex<md5>(c) != want5 || streamed_hex<sha1>(c) != want1 || streamed_hex<sha256>(c) != want256) {
        INFO("length " << n << " " << mailwire_test::describe(c));
        CHECK(streamed_hex<md5>(c) == want5);
        CHECK(streamed_hex<sha1>(c) == want1);
        CHECK(streamed_hex<sha256>(c) == want256);
      }
    }
  }
}

TEST_CASE("finish() resets the hasher, and copies hash independently") {
  sha256 h;
  h.update("ab");
  sha256 copy = h;
  h.update("c");
  CHECK(to_hex(h.finish()) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(to_hex(h.finish()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  h.update("abc");
  CHECK(to_hex(h.finish()) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  copy.update("c");
  CHECK(to_hex(copy.finish()) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

  md5 m;
  m.update(message_pattern(100));
  (void)m.finish();
  m.update("abc");
  CHECK(to_hex(m.finish()) == "900150983cd24fb0d6963f7d28e17f72");
  sha1 s;
  s.update(std::string_view());  // empty, null data: no effect
  s.update("abc");
  CHECK(to_hex(s.finish()) == "a9993e364706816aba3e25717850c26c9cd0d89d");
}

TEST_CASE("to_hex and as_view") {
  const std::array<std::uint8_t, 4> bytes = {0x00, 0x0F, 0xA0, 0xFF};
  CHECK(to_hex(bytes) == "000fa0ff");
  CHECK(as_view(bytes) == std::string_view("\x00\x0F\xA0\xFF", 4));
  const sha1::digest d = sha1::hash("abc");
  CHECK(as_view(d).size() == 20);
  CHECK(static_cast<unsigned char>(as_view(d)[0]) == 0xa9);
}

TEST_CASE("HMAC-MD5: the RFC 2202 test cases") {
  const std::string key4 = "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19";
  REQUIRE(key4.size() == 25);
  CHECK(hmac_hex("md5", repeat('\x0b', 16), "Hi There") == "9294727a3638bb1c13f48ef8158bfc9d");
  CHECK(hmac_hex("md5", "Jefe", "what do ya want for nothing?") == "750c783e6ab0b503eaa86e310a5db738");
  CHECK(hmac_hex("md5", repeat('\xaa', 16), repeat('\xdd', 50)) == "56be34521d144c88dbb8c733f0e8b3f6");
  CHECK(hmac_hex("md5", key4, repeat('\xcd', 50)) == "697eaf0aca3a3aea3a75164746ffaa79");
  CHECK(hmac_hex("md5", repeat('\x0c', 16), "Test With Truncation") == "56461ef2342edc00f9bab995690efd4c");
  CHECK(hmac_hex("md5", repeat('\xaa', 80), "Test Using Larger Than Block-Size Key - Hash Key First") ==
        "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd");
  CHECK(hmac_hex("md5", repeat('\xaa', 80),
                 "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data") ==
        "6f630fad67cda0ee1fb1f562db3aa53e");
}

TEST_CASE("HMAC-SHA1: the RFC 2202 test cases") {
  const std::string key4 = "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19";
  CHECK(hmac_hex("sha1", repeat('\x0b', 20), "Hi There") == "b617318655057264e28bc0b6fb378c8ef146be00");
  CHECK(hmac_hex("sha1", "Jefe", "what do ya want for nothing?") == "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
  CHECK(hmac_hex("sha1", repeat('\xaa', 20), repeat('\xdd', 50)) == "125d7342b9ac11cd91a39af48aa17b4f63f175d3");
  CHECK(hmac_hex("sha1", key4, repeat('\xcd', 50)) == "4c9007f4026250c6bc8414f9bf50c86c2d7235da");
  CHECK(hmac_hex("sha1", repeat('\x0c', 20), "Test With Truncation") == "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04");
  CHECK(hmac_hex("sha1", repeat('\xaa', 80), "Test Using Larger Than Block-Size Key - Hash Key First") ==
        "aa4ae5e15272d00e95705637ce8a3b55ed402112");
  CHECK(hmac_hex("sha1", repeat('\xaa', 80),
                 "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data") ==
        "e8e99d0f45237d786d6bbaa7965c7808bbff1a91");
}

TEST_CASE("HMAC-SHA256: the RFC 4231 test cases 1 to 7") {
  const std::string key4 = "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19";
  CHECK(hmac_hex("sha256", repeat('\x0b', 20), "Hi There") ==
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  CHECK(hmac_hex("sha256", "Jefe", "what do ya want for nothing?") ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  CHECK(hmac_hex("sha256", repeat('\xaa', 20), repeat('\xdd', 50)) ==
        "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
  CHECK(hmac_hex("sha256", key4, repeat('\xcd', 50)) ==
        "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
  // Test case 5 gives only the first 128 bits.
  CHECK(hmac_hex("sha256", repeat('\x0c', 20), "Test With Truncation").substr(0, 32) ==
        "a3b6167473100ee06e0c796c2955552b");
  CHECK(hmac_hex("sha256", repeat('\xaa', 131), "Test Using Larger Than Block-Size Key - Hash Key First") ==
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  CHECK(hmac_hex("sha256", repeat('\xaa', 131),
                 "This is a test using a larger than block-size key and a larger than block-size data. The key "
                 "needs to be hashed before being used by the HMAC algorithm.") ==
        "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

TEST_CASE("HMAC around block-size keys matches Python's hmac") {
  struct vector {
    const char* alg;
    std::size_t key_length;
    std::size_t message_length;
    const char* hex;
  };
  // Keys of 0, 63, 64 (used as is) and 65, 200 bytes (hashed first).
  const vector vectors[] = {
      {"md5", 0, 0, "74e6f7298a9c2d168935f58c001bad88"},
      {"md5", 63, 55, "07fe02ab3787193b601238111db55720"},
      {"md5", 64, 64, "209403224d597694ffee76e289980ea1"},
      {"md5", 65, 120, "59191e66c805c6fbfd4464c31dcd4d29"},
      {"md5", 200, 1000, "17b0b751d47c70f57fa70f136e54432e"},
      {"sha1", 0, 0, "fbdb1d1b18aa6c08324b7d64b71fb76370690e1d"},
      {"sha1", 63, 55, "7b54afc51df42b0ded80ce694697b4ac669f7444"},
      {"sha1", 64, 64, "c40cd2c49abc996ff560339ae306dc6df35264e8"},
      {"sha1", 65, 120, "b14005feeaba2170b71c586209019a8ed573f6c0"},
      {"sha1", 200, 1000, "1327e4c929039555d7efdc5b5a09e59ea5151c17"},
      {"sha256", 0, 0, "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad"},
      {"sha256", 63, 55, "0f85c795101be2c5ed5089594bd58c5d6360af534f55bf965bb8a855944544ac"},
      {"sha256", 64, 64, "1c78eff1bc0eb446120df4ae526160a3b1ae7c321ccdf33b6b0cfabb29d6d5d8"},
      {"sha256", 65, 120, "2ebb7cfa1c711f604bdf8c12c9b2233863a132815b4accf7c299b8c6e53d07f2"},
      {"sha256", 200, 1000, "ce6515f3a82c280365b31b84217e011da4b87bd96896da91b726268fc9aa1fa6"},
  };
  for (const vector& v : vectors) {
    INFO(v.alg << " key " << v.key_length << " message " << v.message_length);
    CHECK(hmac_hex(v.alg, key_pattern(v.key_length), message_pattern(v.message_length)) == v.hex);
  }
}

TEST_CASE("HMAC streams, and a keyed object or its copy is reusable") {
  const std::string key = key_pattern(65);
  const std::string m = message_pattern(130);
  const std::string want = to_hex(hmac<sha256>::mac(key, m));
  REQUIRE(want == "fde32b108ff52e0c94159d76c13320a64edf23039cc7ae51423b8483367fffb3");  // Python hmac
  const hmac<sha256> keyed(key);
  for (const mailwire_test::chunks& c : mailwire_test::chunkings(m, 0)) {
    hmac<sha256> h = keyed;
    for (std::string_view p : c) h.update(p);
    const std::string got = to_hex(h.finish());
    if (got != want) {
      INFO(mailwire_test::describe(c));
      CHECK(got == want);
    }
  }
  hmac<sha256> h(key);
  h.update(m);
  CHECK(to_hex(h.finish()) == want);
  h.update(m);  // finish() re-armed it with the same key
  CHECK(to_hex(h.finish()) == want);
  CHECK(to_hex(h.finish()) == "cd06357eb29cd143330fd2dd40674208a1217aa80292295a5ef4e5a22bbae4d8");  // empty message
}

TEST_CASE("PBKDF2-HMAC-SHA1: the RFC 6070 test vectors, but for c = 16777216") {
  CHECK(pbkdf2_hex<sha1>("password", "salt", 1, 20) == "0c60c80f961f0e71f3a9b524af6012062fe037a6");
  CHECK(pbkdf2_hex<sha1>("password", "salt", 2, 20) == "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957");
  CHECK(pbkdf2_hex<sha1>("password", "salt", 4096, 20) == "4b007901b765489abead49d926f721d065a429c1");
  CHECK(pbkdf2_hex<sha1>("passwordPASSWORDpassword", "saltSALTsaltSALTsaltSALTsaltSALTsalt", 4096, 25) ==
        "3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038");
  CHECK(pbkdf2_hex<sha1>(std::string_view("pass\0word", 9), std::string_view("sa\0lt", 5), 4096, 16) ==
        "56fa6aa75548099dcc37d7f03425e0c3");
  // The single-block form, as SCRAM-SHA-1's Hi() uses it.
  CHECK(to_hex(pbkdf2_hmac<sha1>("password", "salt", 4096)) == "4b007901b765489abead49d926f721d065a429c1");
}

// Hidden (about a minute in a debug build): run with mailwire_tests "[slow]".
TEST_CASE("PBKDF2-HMAC-SHA1: the RFC 6070 vector with c = 16777216", "[.][slow]") {
  CHECK(pbkdf2_hex<sha1>("password", "salt", 16777216, 20) == "eefe3d61cd4da4e4e9945b3d6ba2158c2634e984");
}

TEST_CASE("PBKDF2-HMAC-SHA256 (SCRAM-SHA-256's Hi), cross-checked with OpenSSL and hashlib") {
  CHECK(to_hex(pbkdf2_hmac<sha256>("password", "salt", 1)) ==
        "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b");
  CHECK(to_hex(pbkdf2_hmac<sha256>("password", "salt", 2)) ==
        "ae4d0c95af6b46d32d0adff928f06dd02a303f8ef3c251dfd6e2d85a95474c43");
  CHECK(to_hex(pbkdf2_hmac<sha256>("password", "salt", 4096)) ==
        "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a");
}

TEST_CASE("PBKDF2 over several blocks, with a partial last one, matches Python's hashlib") {
  CHECK(pbkdf2_hex<sha256>("password", "salt", 4096, 40) ==
        "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134af7ad98c1b458ce3f");
  CHECK(pbkdf2_hex<sha1>("password", "salt", 2, 45) ==
        "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957cae93136266537a8d7bf4b76c51094cc1ae010b19923ddc439");
  CHECK(pbkdf2_hex<md5>(key_pattern(70), message_pattern(30), 1000, 16) == "84ff40ad85415f6542c58b77c0a8a05a");
  CHECK(pbkdf2_hex<sha256>(key_pattern(100), message_pattern(100), 10, 100) ==
        "d560c2b237e52c1c725871b85a1f64e7de2e3561844f5e2fe70d0835c0dd2fd89cb7f7e3f1aa4e24b5278ec9657e8464e777a9"
        "7f30ec850e69a8338d610788e09ac0c45b42965e75848aa4946b418e12944dcf951fe8872ea62c7e1ce06d816ff965d101");
}

TEST_CASE("PBKDF2 edge cases: zero iterations gives zeros, zero length writes nothing") {
  CHECK(to_hex(pbkdf2_hmac<sha256>("password", "salt", 0)) == std::string(64, '0'));
  CHECK(pbkdf2_hex<sha1>("password", "salt", 0, 25) == std::string(50, '0'));
  CHECK(pbkdf2_hex<sha1>("password", "salt", 1, 0).empty());  // the canary checks nothing was written
  pbkdf2_hmac<sha1>("password", "salt", 1, nullptr, 0);
  CHECK(to_hex(pbkdf2_hmac<sha1>("", "", 1)) == "1e437a1c79d75be61e91141dae20affc4892cc99");  // hashlib
}

TEST_CASE("constant_time_equal") {
  using mailwire::constant_time_equal;
  const sha256::digest d = sha256::hash("abc");
  sha256::digest first = d;
  first[0] ^= 1;
  sha256::digest last = d;
  last[31] ^= 0x80;
  CHECK(constant_time_equal(as_view(d), as_view(sha256::hash("abc"))));
  CHECK_FALSE(constant_time_equal(as_view(d), as_view(first)));
  CHECK_FALSE(constant_time_equal(as_view(d), as_view(last)));
  CHECK_FALSE(constant_time_equal(as_view(d), as_view(d).substr(0, 31)));
  CHECK_FALSE(constant_time_equal("abc", "abcd"));
  CHECK(constant_time_equal("", ""));
  CHECK(constant_time_equal(std::string_view(), ""));
  CHECK(constant_time_equal(std::string_view("a\0b", 3), std::string_view("a\0b", 3)));
  CHECK_FALSE(constant_time_equal(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));
}

// ------------------------------------------------------------ SHA-NI (issue 15)
namespace {

// Forces the scalar path for its lifetime, then restores what was there.
class scalar_forced {
 public:
  scalar_forced() noexcept : before_(mailwire::cpu::scalar_forced()) { mailwire::cpu::force_scalar(true); }
  ~scalar_forced() { mailwire::cpu::force_scalar(before_); }
  scalar_forced(const scalar_forced&) = delete;
  scalar_forced& operator=(const scalar_forced&) = delete;

 private:
  bool before_;
};

std::string random_string(std::mt19937& rng, std::size_t n) {
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng() & 0xFFu);
  return s;
}

// The digest of `m` fed in pieces of the lengths `rng` draws (1..max).
template <class Hash>
typename Hash::digest digest_in_pieces(std::string_view m, std::mt19937& rng, std::size_t max) {
  Hash h;
  while (!m.empty()) {
    const std::size_t n = 1 + rng() % max;
    h.update(m.substr(0, n));
    m.remove_prefix(m.size() < n ? m.size() : n);
  }
  return h.finish();
}

// PBKDF2 straight from RFC 8018 5.2 over hmac::mac, to check the fast loop.
template <class Hash>
typename Hash::digest pbkdf2_by_the_book(std::string_view password, std::string_view salt, std::uint32_t c) {
  std::string s1(salt);
  s1 += std::string("\0\0\0\1", 4);
  typename Hash::digest u = hmac<Hash>::mac(password, s1);
  typename Hash::digest t = u;
  for (std::uint32_t j = 1; j < c; ++j) {
    u = hmac<Hash>::mac(password, as_view(u));
    for (std::size_t k = 0; k < t.size(); ++k) t[k] = static_cast<std::uint8_t>(t[k] ^ u[k]);
  }
  return t;
}

template <class Hash>
void check_dispatch_matches_scalar(const char* name) {
  INFO(name << ", dispatched path: " << (mailwire::cpu::has(mailwire::cpu::sha) ? "SHA-NI" : "scalar"));
  std::mt19937 rng(20261207);
  for (std::size_t n = 0; n <= 300; ++n) {
    const std::string m = random_string(rng, n);
    typename Hash::digest scalar;
    {
      scalar_forced guard;
      scalar = Hash::hash(m);
    }
    const typename Hash::digest dispatched = Hash::hash(m);
    const std::size_t piece_max = 1 + n % 70;
    const typename Hash::digest pieces = digest_in_pieces<Hash>(m, rng, piece_max);
    if (dispatched != scalar || pieces != scalar) {
      INFO("length " << n << ", pieces up to " << piece_max);
      CHECK(to_hex(dispatched) == to_hex(scalar));
      CHECK(to_hex(pieces) == to_hex(scalar));
    }
  }
  for (int i = 0; i < 40; ++i) {
    const std::string m = random_string(rng, rng() % 20000);
    typename Hash::digest scalar;
    {
      scalar_forced guard;
      scalar = Hash::hash(m);
    }
    INFO("random message of " << m.size() << " bytes");
    CHECK(to_hex(Hash::hash(m)) == to_hex(scalar));
    CHECK(to_hex(digest_in_pieces<Hash>(m, rng, 300)) == to_hex(scalar));
  }
}

}  // namespace

TEST_CASE("SHA-1 and SHA-256: dispatched digests equal the scalar ones, any length, any split", "[simd]") {
  check_dispatch_matches_scalar<sha1>("sha1");
  check_dispatch_matches_scalar<sha256>("sha256");
}

TEST_CASE("forcing the scalar path keeps the FIPS 180-4 digests", "[simd]") {
  scalar_forced guard;
  CHECK(!mailwire::cpu::has(mailwire::cpu::sha));
  CHECK(to_hex(sha1::hash(m896)) == "a49b2446a02c645bf419f995b67091253a04a259");
  CHECK(to_hex(sha256::hash(m896)) == "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

#if defined(MAILWIRE_SIMD_X86)
// The kernels themselves against the scalar compression functions, on the
// same chaining states and blocks: 1 to 9 blocks from random states.
TEST_CASE("the SHA-NI compression kernels equal the scalar ones block for block", "[simd]") {
  if (!mailwire::cpu::has(mailwire::cpu::sha)) {
    WARN("this CPU has no SHA-NI (or the scalar path is forced): kernels not run");
    return;
  }
  std::mt19937 rng(15);
  for (std::size_t blocks = 1; blocks <= 9; ++blocks) {
    for (int round = 0; round < 50; ++round) {
      const std::string data = random_string(rng, 64 * blocks);
      const auto* p = reinterpret_cast<const unsigned char*>(data.data());
      std::array<std::uint32_t, 5> s1{};
      for (auto& w : s1) w = static_cast<std::uint32_t>(rng());
      std::array<std::uint32_t, 5> k1 = s1;
      mailwire::detail::sha1_traits::compress_scalar(s1.data(), p, blocks);
      mailwire::detail::sha1_compress_shani(k1.data(), p, blocks);
      CHECK(k1 == s1);
      std::array<std::uint32_t, 8> s2{};
      for (auto& w : s2) w = static_cast<std::uint32_t>(rng());
      std::array<std::uint32_t, 8> k2 = s2;
      mailwire::detail::sha256_traits::compress_scalar(s2.data(), p, blocks);
      mailwire::detail::sha256_compress_shani(k2.data(), p, blocks);
      CHECK(k2 == s2);
    }
  }
}
#endif

TEST_CASE("PBKDF2's one-block loop equals PBKDF2 by the book over HMAC", "[simd]") {
  std::mt19937 rng(5802);
  for (std::uint32_t c = 1; c <= 12; ++c) {
    for (const std::size_t key_len : {std::size_t{0}, std::size_t{6}, std::size_t{64}, std::size_t{65}}) {
      const std::string password = random_string(rng, key_len);
      const std::string salt = random_string(rng, rng() % 80);
      INFO("c = " << c << ", key " << key_len << " bytes, salt " << salt.size());
      CHECK(pbkdf2_hmac<md5>(password, salt, c) == pbkdf2_by_the_book<md5>(password, salt, c));
      CHECK(pbkdf2_hmac<sha1>(password, salt, c) == pbkdf2_by_the_book<sha1>(password, salt, c));
      CHECK(pbkdf2_hmac<sha256>(password, salt, c) == pbkdf2_by_the_book<sha256>(password, salt, c));
      scalar_forced guard;
      CHECK(pbkdf2_hmac<sha256>(password, salt, c) == pbkdf2_by_the_book<sha256>(password, salt, c));
    }
  }
}
