// MIME header syntax: any bytes through every header parser and decoder
// must not crash, must give valid UTF-8 of bounded size with diagnostic
// offsets inside the value; valid UTF-8 text must survive the encoders
// (encode then decode gives it back, words at most 75 characters).
#include <mailwire/mime/address.hpp>
#include <mailwire/mime/content_type.hpp>
#include <mailwire/mime/date.hpp>
#include <mailwire/mime/encoded_word.hpp>
#include <mailwire/mime/message_id.hpp>

#include <string>

#include "fuzz_check.hpp"

namespace {
namespace mime = mailwire::mime;

std::size_t bound(std::string_view in) { return 4 * in.size() + 16; }

void check_text(const std::string& s, std::string_view in) {
  MAILWIRE_FUZZ_CHECK(mailwire::utf8::valid(s));
  MAILWIRE_FUZZ_CHECK(s.size() <= bound(in));
}

void check_diagnostics(const mime::diagnostics& d, std::string_view in) {
  for (const mime::diagnostic& x : d) {
    MAILWIRE_FUZZ_CHECK(x.offset <= in.size());
    MAILWIRE_FUZZ_CHECK(x.code != mailwire::errc::ok);
  }
  MAILWIRE_FUZZ_CHECK(d.size() <= 16 * in.size() + 32);  // seven parsers, a few each per byte
}

void parse_all(std::string_view in) {
  mime::diagnostics d;
  check_text(mime::decode_unstructured(in, &d), in);
  check_text(mime::decode_phrase(in, &d), in);
  const mime::content_type ct = mime::parse_content_type(in, &d);
  check_text(ct.type, in);
  check_text(ct.subtype, in);
  for (const mime::parameter& p : ct.parameters) check_text(p.name, in), check_text(p.value, in);
  if (!ct.valid) MAILWIRE_FUZZ_CHECK(ct.type == "text" && ct.subtype == "plain");
  const mime::content_disposition cd = mime::parse_content_disposition(in, &d);
  check_text(cd.type, in);
  for (const mime::parameter& p : cd.parameters) check_text(p.name, in), check_text(p.value, in);
  const std::vector<mime::mailbox> list = mime::parse_address_list(in, &d);
  MAILWIRE_FUZZ_CHECK(list.size() <= in.size() + 1);
  for (const mime::mailbox& m : list) check_text(m.name, in), check_text(m.address, in), check_text(m.group, in);
  for (const std::string& id : mime::parse_message_ids(in, &d)) check_text(id, in);
  const mime::date_time t = mime::parse_date(in, &d);
  if (t.valid) {
    MAILWIRE_FUZZ_CHECK(t.month >= 1 && t.month <= 12 && t.day >= 1 && t.day <= 31 && t.hour <= 23 && t.minute <= 59 &&
                        t.second <= 60 && t.offset_minutes > -6000 && t.offset_minutes < 6000);
    MAILWIRE_FUZZ_CHECK(mime::to_iso8601_utc(t).size() >= 20);
  }
  check_diagnostics(d, in);
}

void check_words(const std::string& enc) {
  std::size_t p = 0;
  while ((p = enc.find("=?UTF-8?", p)) != std::string::npos) {
    const std::size_t end = enc.find("?=", p + 10);
    MAILWIRE_FUZZ_CHECK(end != std::string::npos && end + 2 - p <= mime::max_encoded_word);
    p = end + 2;
  }
}

void round_trip(std::string_view in) {
  if (!mailwire::utf8::valid(in)) return;
  const std::string phrase = mime::encode_phrase(in);
  check_words(phrase);
  MAILWIRE_FUZZ_CHECK(mime::decode_phrase(phrase) == in);
  // decode_unstructured unfolds and trims, so only text without line
  // breaks and outer whitespace comes back unchanged.
  if (in.find_first_of("\r\n") != std::string_view::npos) return;
  if (!in.empty() && (in.front() == ' ' || in.front() == '\t' || in.back() == ' ' || in.back() == '\t')) return;
  const std::string text = mime::encode_unstructured(in);
  check_words(text);
  MAILWIRE_FUZZ_CHECK(mime::decode_unstructured(text) == in);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (mailwire_fuzz::over_cap(size)) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  parse_all(in);
  round_trip(in);
  return 0;
}
