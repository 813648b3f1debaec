// A downstream program: uses mailwire only through <mailwire/mailwire.hpp>
// and checks what it gets, so a broken package fails at build or run time.
#include <mailwire/mailwire.hpp>

#include <cstdio>
#include <string>
#include <string_view>
#include <system_error>

// The -fno-exceptions build must really be one, or it proves nothing.
#if defined(CONSUMER_NO_EXCEPTIONS) && \
    (defined(__cpp_exceptions) || defined(__EXCEPTIONS) || defined(_CPPUNWIND))
#error "consumer_noexcept is built with exceptions enabled"
#endif

namespace {

int failures = 0;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "FAILED: %s\n", what);
    ++failures;
  }
}

}  // namespace

int main() {
  // RFC 4648 section 10 test vector, and back.
  const std::string encoded = mailwire::base64::encode("fooba");
  check(encoded == "Zm9vYmE=", "base64::encode(\"fooba\") == \"Zm9vYmE=\"");
  std::string decoded;
  const mailwire::base64::decode_result ok = mailwire::base64::decode(encoded, decoded);
  check(ok && decoded == "fooba", "base64::decode round trip");
  const mailwire::base64::decode_result bad = mailwire::base64::decode("Zm9v!A==", decoded);
  check(bad.error == mailwire::errc::base64_invalid_char, "base64::decode rejects '!'");

  // errc is a std::error_code enum with its own category.
  const std::error_code ec = mailwire::errc::bare_lf;
  check(ec == mailwire::errc::bare_lf && ec.category() == mailwire::error_category(),
        "std::error_code from errc::bare_lf");
  check(std::string_view(ec.category().name()) == "mailwire" &&
            ec.message() == mailwire::to_string(mailwire::errc::bare_lf),
        "error_code name and message");

  // The headers are the ones this package was made from.
  const mailwire::version_info& v = mailwire::version;
  check(std::string_view(v.string) == CONSUMER_EXPECTED_VERSION, "mailwire::version.string");
  check(std::to_string(v.major) + "." + std::to_string(v.minor) + "." + std::to_string(v.patch) ==
            CONSUMER_EXPECTED_VERSION,
        "mailwire::version.major/minor/patch");

  std::printf("mailwire %s: %s\n", v.string, failures == 0 ? "ok" : "FAILED");
  return failures == 0 ? 0 : 1;
}
