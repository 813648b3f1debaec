#include <mailwire/error.hpp>

#include <set>
#include <string>
#include <system_error>

#include "catch.hpp"

using mailwire::errc;

namespace {
// Every value, so a new errc without a description or name fails here.
constexpr errc all[] = {errc::ok, errc::line_too_long, errc::bare_lf, errc::bare_cr,
                        errc::buffer_full, errc::base64_invalid_char, errc::base64_bad_padding,
                        errc::base64_truncated, errc::base64_noncanonical, errc::output_too_small,
                        errc::invalid_state, errc::invalid_argument, errc::invalid_utf8,
                        errc::sasl_unknown_mechanism, errc::sasl_malformed, errc::sasl_invalid_field,
                        errc::sasl_too_long, errc::sasl_missing_attribute, errc::sasl_duplicate_attribute,
                        errc::sasl_bad_nonce, errc::sasl_bad_iteration_count, errc::sasl_bad_server_signature,
                        errc::sasl_channel_binding_mismatch, errc::sasl_unexpected_message,
                        errc::sasl_auth_failed, errc::sasl_cancelled, errc::sasl_server_error,
                        errc::sasl_insecure, errc::saslprep_prohibited, errc::saslprep_unsupported,
                        errc::smtp_malformed_reply, errc::smtp_inconsistent_reply, errc::smtp_reply_too_long,
                        errc::smtp_unknown_command, errc::smtp_syntax_error, errc::smtp_bad_path,
                        errc::smtp_bad_parameter, errc::smtp_utf8_not_allowed, errc::smtp_bad_xtext,
                        errc::smtp_data_truncated, errc::smtp_message_too_big, errc::smtp_nul_in_data,
                        errc::smtp_unexpected_reply, errc::smtp_tls_unavailable, errc::smtp_extension_missing,
                        errc::smtp_data_after_starttls};
}  // namespace

TEST_CASE("every errc has its own description and name") {
  std::set<std::string> descriptions;
  std::set<std::string> names;
  for (errc e : all) {
    INFO(static_cast<int>(e));
    CHECK(mailwire::to_string(e) != "unknown mailwire error");
    CHECK(mailwire::to_name(e) != "unknown");
    descriptions.insert(std::string(mailwire::to_string(e)));
    names.insert(std::string(mailwire::to_name(e)));
  }
  CHECK(std::size(mailwire::detail::errc_texts) == std::size(all));
  CHECK(descriptions.size() == std::size(all));
  CHECK(names.size() == std::size(all));
  CHECK(mailwire::to_name(errc::bare_lf) == "bare_lf");
  CHECK(mailwire::to_string(static_cast<errc>(250)) == "unknown mailwire error");
}

TEST_CASE("errc converts to std::error_code in the mailwire category") {
  const std::error_code ec = errc::line_too_long;
  CHECK(ec.value() == static_cast<int>(errc::line_too_long));
  CHECK(std::string(ec.category().name()) == "mailwire");
  CHECK(ec.message() == "line too long");
  CHECK(ec == errc::line_too_long);
  CHECK(ec != errc::bare_lf);
  CHECK(static_cast<bool>(ec));
  // errc::ok is the "no error" value std::error_code expects.
  const std::error_code none = errc::ok;
  CHECK_FALSE(static_cast<bool>(none));
  // A std::errc with the same number is a different error.
  CHECK(ec != std::make_error_code(static_cast<std::errc>(ec.value())));
}
