// mailwire: SCRAM (RFC 5802, RFC 7677) pieces shared by the client and the
// server: the key derivation, the stored keys a server keeps instead of a
// password, and the message syntax (attributes, saslname escaping, the GS2
// header, channel binding). Also the CRAM-MD5 digest, the other hash both
// sides compute.
#ifndef MAILWIRE_SASL_SCRAM_HPP
#define MAILWIRE_SASL_SCRAM_HPP

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "mailwire/core/base64.hpp"
#include "mailwire/core/hash.hpp"
#include "mailwire/core/hmac.hpp"
#include "mailwire/error.hpp"
#include "mailwire/sasl/mechanism.hpp"
#include "mailwire/sasl/saslprep.hpp"

namespace mailwire {
inline namespace v0 {
namespace sasl {

/// Channel-binding data from the caller's TLS stack (RFC 5056, RFC 5929,
/// RFC 9266). mailwire does no TLS: the caller extracts the bytes (OpenSSL:
/// SSL_export_keying_material with label "EXPORTER-Channel-Binding" and
/// no context, 32 bytes, for tls-exporter; the hash of the server
/// certificate for tls-server-end-point).
struct channel_binding {
  /// The channel binding types of RFC 5929 and RFC 9266 (tls-exporter for TLS 1.3).
  enum class type : std::uint8_t { none, tls_exporter, tls_server_end_point, tls_unique };
  /// Which binding `data` is; none: no channel binding.
  type kind = type::none;
  /// The binding data the TLS library gives for this connection.
  std::string_view data;
};

/// The cb-name of a binding type ("tls-exporter"), empty for none.
constexpr std::string_view to_string(channel_binding::type t) noexcept {
  switch (t) {
    case channel_binding::type::tls_exporter: return "tls-exporter";
    case channel_binding::type::tls_server_end_point: return "tls-server-end-point";
    case channel_binding::type::tls_unique: return "tls-unique";
    case channel_binding::type::none: break;
  }
  return {};
}

/// What a SCRAM server keeps for a user instead of the password (RFC 5802
/// 3): all raw bytes. Knowing these does not let anyone log in elsewhere
/// with the same password, though it does let them impersonate this server.
struct scram_keys {
  /// The salt (raw bytes), random per user.
  std::string salt;
  /// The PBKDF2 iteration count (RFC 7677: at least 4096).
  std::uint32_t iterations = 0;
  std::string stored_key;  ///< H(ClientKey)
  std::string server_key;  ///< HMAC(SaltedPassword, "Server Key")
};

namespace detail {

// The hash-dependent operations of one SCRAM variant, as plain functions so
// the client and server pick them at run time from the mechanism.
struct scram_algorithm {
  std::size_t digest_size;
  std::string (*hash)(std::string_view);
  std::string (*hmac)(std::string_view key, std::string_view message);
  std::string (*hi)(std::string_view password, std::string_view salt, std::uint32_t iterations);
};

template <class Hash>
struct scram_functions {
  static std::string str(const typename Hash::digest& d) {
    return std::string(reinterpret_cast<const char*>(d.data()), d.size());
  }
  static std::string hash(std::string_view m) { return str(Hash::hash(m)); }
  static std::string hmac(std::string_view k, std::string_view m) {
    return str(mailwire::detail::hmac<Hash>::mac(k, m));
  }
  static std::string hi(std::string_view p, std::string_view s, std::uint32_t i) {
    return str(mailwire::detail::pbkdf2_hmac<Hash>(p, s, i));
  }
  static constexpr scram_algorithm algorithm{Hash::digest_size, &hash, &hmac, &hi};
};

constexpr const scram_algorithm& scram_algorithm_for(mechanism m) noexcept {
  return (m == mechanism::scram_sha_1 || m == mechanism::scram_sha_1_plus)
             ? scram_functions<mailwire::detail::sha1>::algorithm
             : scram_functions<mailwire::detail::sha256>::algorithm;
}

// CRAM-MD5's digest: HMAC-MD5(secret, challenge) in lowercase hex (RFC 2195
// 2), cram_md5_digest_length characters. Here rather than in client and
// server so both compute it one way.
inline constexpr std::size_t cram_md5_digest_length = 2 * mailwire::detail::md5::digest_size;
inline std::string cram_md5_digest(std::string_view secret, std::string_view challenge) {
  namespace d = mailwire::detail;
  return d::to_hex(d::hmac<d::md5>::mac(secret, challenge));
}

inline std::string xor_bytes(std::string_view a, std::string_view b) {
  std::string out(a);
  for (std::size_t i = 0; i < out.size() && i < b.size(); ++i) {
    out[i] = static_cast<char>(static_cast<unsigned char>(out[i]) ^ static_cast<unsigned char>(b[i]));
  }
  return out;
}

// NUL, CR or LF: bytes no credential field may hold where it is sent (NUL
// ends PLAIN's fields and is outside SCRAM's grammar; CR and LF, because no
// protocol's framing should ever carry them).
constexpr bool has_forbidden(std::string_view s) noexcept {
  return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

// saslname (RFC 5802 7): ',' and '=' written as "=2C" and "=3D"; NUL,
// CR and LF refused.
inline errc escape_saslname(std::string_view in, std::string& out) {
  if (has_forbidden(in)) return errc::sasl_invalid_field;
  for (char c : in) {
    if (c == ',') {
      out += "=2C";
    } else if (c == '=') {
      out += "=3D";
    } else {
      out += c;
    }
  }
  return errc::ok;
}

inline errc unescape_saslname(std::string_view in, std::string& out) {
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '\0' || c == '\r' || c == '\n') return errc::sasl_invalid_field;
    if (c != '=') {
      out += c;
    } else if (in.substr(i + 1, 2) == "2C") {
      out += ',';
      i += 2;
    } else if (in.substr(i + 1, 2) == "3D") {
      out += '=';
      i += 2;
    } else {
      return errc::sasl_malformed;
    }
  }
  return errc::ok;
}

// printable = %x21-2B / %x2D-7E: the nonce alphabet (no ',').
constexpr bool is_nonce(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < 0x21 || c > 0x7E || c == ',') return false;
  }
  return true;
}

// What the caller must supply before a SCRAM exchange (or a CRAM-MD5
// server's) starts: a nonce (mailwire has no random source), and for -PLUS
// this connection's channel binding.
constexpr errc check_nonce_and_binding(mechanism m, std::string_view nonce, channel_binding::type kind,
                                       std::string_view binding_data) noexcept {
  if (nonce.empty()) return errc::sasl_missing_nonce;
  if (!is_nonce(nonce)) return errc::sasl_invalid_field;
  if (uses_channel_binding(m) && (kind == channel_binding::type::none || binding_data.empty())) {
    return errc::sasl_channel_binding_mismatch;
  }
  return errc::ok;
}

// Reads attributes "a=value" separated by ',' in a fixed order.
class scram_reader {
 public:
  explicit scram_reader(std::string_view msg) noexcept : rest_(msg) {}

  // The next attribute must be `name`: its value, or an error in `e`.
  std::string_view expect(char name, errc& e) noexcept {
    if (e != errc::ok) return {};
    if (rest_.empty() && !started_) {
      e = errc::sasl_missing_attribute;
      return {};
    }
    if (done_) {
      e = errc::sasl_missing_attribute;
      return {};
    }
    const std::size_t comma = rest_.find(',');
    const std::string_view attr = rest_.substr(0, comma);
    started_ = true;
    if (comma == std::string_view::npos) {
      done_ = true;
      rest_ = {};
    } else {
      rest_.remove_prefix(comma + 1);
    }
    if (attr.size() < 2 || attr[1] != '=' || !ascii::is_alpha(attr[0])) {
      e = errc::sasl_malformed;
      return {};
    }
    if (attr[0] == 'm' && name != 'm') {  // a mandatory extension we do not know (RFC 5802 5.1)
      e = errc::sasl_malformed;
      return {};
    }
    if (attr[0] != name) {
      e = defined(attr[0]) ? errc::sasl_duplicate_attribute : errc::sasl_missing_attribute;
      return {};
    }
    return attr.substr(2);
  }

  // Optional extensions at the end: well-formed and none repeating a
  // defined attribute.
  errc finish() const noexcept {
    if (done_) return errc::ok;
    std::string_view rest = rest_;
    for (;;) {
      const std::size_t comma = rest.find(',');
      const std::string_view attr = rest.substr(0, comma);
      if (attr.size() < 2 || attr[1] != '=' || !ascii::is_alpha(attr[0])) return errc::sasl_malformed;
      if (defined(attr[0])) return errc::sasl_duplicate_attribute;
      if (attr[0] == 'm') return errc::sasl_malformed;
      if (comma == std::string_view::npos) return errc::ok;
      rest.remove_prefix(comma + 1);
    }
  }

 private:
  // Attributes SCRAM defines have fixed places; one found elsewhere is a
  // repeat or out of order. Extensions are any other letter.
  static bool defined(char c) noexcept { return std::string_view("anrcsipve").find(c) != std::string_view::npos; }
  std::string_view rest_;
  bool started_ = false;
  bool done_ = false;
};

}  // namespace detail

/// Derives what a server stores for `password` (run SASLprep first, or use
/// make_scram_keys). Costs `iterations` HMACs. `m` picks SHA-1 or SHA-256.
inline scram_keys derive_scram_keys(mechanism m, std::string_view prepared_password, std::string_view salt,
                                    std::uint32_t iterations) {
  const detail::scram_algorithm& a = detail::scram_algorithm_for(m);
  const std::string salted = a.hi(prepared_password, salt, iterations);
  scram_keys k;
  k.salt = std::string(salt);
  k.iterations = iterations;
  k.stored_key = a.hash(a.hmac(salted, "Client Key"));
  k.server_key = a.hmac(salted, "Server Key");
  return k;
}

/// SASLprep's the password (stored-string rules), then derives the keys.
/// For provisioning: the salt should be 16+ random bytes from the caller,
/// iterations at least 4096 (RFC 7677 4).
inline errc make_scram_keys(mechanism m, std::string_view password, std::string_view salt, std::uint32_t iterations,
                            scram_keys& out) {
  std::string prepared;
  const saslprep_result r = saslprep(password, prepared, saslprep_mode::stored);
  if (!r) return r.error;
  if (iterations == 0) return errc::sasl_bad_iteration_count;
  out = derive_scram_keys(m, prepared, salt, iterations);
  return errc::ok;
}

}  // namespace sasl
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_SASL_SCRAM_HPP
