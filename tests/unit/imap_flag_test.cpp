// imap/flag.hpp: flags, keywords and extensions (RFC 3501/9051 2.3.2, 9),
// \* of PERMANENTFLAGS, and LIST mailbox attributes (RFC 9051 7.3.1,
// RFC 5258, RFC 6154, RFC 8457).
#include <mailwire/imap/flag.hpp>

#include <random>
#include <string>
#include <string_view>

#include "catch.hpp"

using mailwire::errc;
using mailwire::imap::flag;
using mailwire::imap::flag_kind;
using mailwire::imap::mailbox_attribute;
using mailwire::imap::parse_flag;
using mailwire::imap::parse_mailbox_attribute;

namespace {

flag parsed(std::string_view token, bool allow_wildcard = false) {
  flag f;
  CHECK(parse_flag(token, f, allow_wildcard) == errc::ok);
  CHECK(f.name == token);  // a view of the token
  return f;
}

std::string written(const flag& f) {
  std::string out;
  CHECK(write(out, f) == errc::ok);
  return out;
}

}  // namespace

TEST_CASE("flags: system flags in any case, written canonically", "[imap][flag]") {
  const struct {
    const char* token;
    flag_kind kind;
    const char* canonical;
  } cases[] = {
      {"\\Answered", flag_kind::answered, "\\Answered"}, {"\\FLAGGED", flag_kind::flagged, "\\Flagged"},
      {"\\deleted", flag_kind::deleted, "\\Deleted"},    {"\\sEEN", flag_kind::seen, "\\Seen"},
      {"\\Draft", flag_kind::draft, "\\Draft"},          {"\\Recent", flag_kind::recent, "\\Recent"},
  };
  for (const auto& c : cases) {
    INFO(c.token);
    const flag f = parsed(c.token);
    CHECK(f.kind == c.kind);
    CHECK(written(f) == c.canonical);
    CHECK(f == flag::system(c.kind));
    CHECK(mailwire::imap::to_string(c.kind) == c.canonical);
  }
}

TEST_CASE("flags: keywords are atoms, extensions kept verbatim", "[imap][flag]") {
  for (const char* kw : {"$Forwarded", "$MDNSent", "$Junk", "$NotJunk", "$Phishing", "NonJunk", "Seen", "a",
                         "$label1", "x.y-z_!#&'+,./:;<=>?@[^`|}~"}) {
    INFO(kw);
    const flag f = parsed(kw);
    CHECK(f.kind == flag_kind::keyword);
    CHECK(written(f) == kw);
  }
  for (const char* ext : {"\\X-Custom", "\\Seen2", "\\Answere", "\\$", "\\Important"}) {
    INFO(ext);
    const flag f = parsed(ext);
    CHECK(f.kind == flag_kind::extension);
    CHECK(written(f) == ext);
  }
}

TEST_CASE("flags: \\* only where asked for", "[imap][flag]") {
  const flag f = parsed("\\*", true);
  CHECK(f.kind == flag_kind::wildcard);
  CHECK(written(f) == "\\*");
  flag g = flag::system(flag_kind::seen);
  CHECK(parse_flag("\\*", g, false) == errc::syntax_error);
  CHECK(g == flag::system(flag_kind::seen));
  CHECK(parse_flag("\\Seen", g, true) == errc::ok);  // the others still parse
}

TEST_CASE("flags: malformed tokens", "[imap][flag]") {
  for (const char* bad : {"",      "\\",     "\\\\",    "\\\\Seen", "\\Se\\en", "a\\b",  "a b",  " a",
                          "a ",    "a]",     "]",       "\\Se]en",  "a(b",      "a)b",   "a{b",  "a%b",
                          "a*b",   "*",      "\\**",    "\\*x",     "a\"b",     "\"a\"", "\x01", "a\x7F",
                          "a\tb",  "caf\xC3\xA9", "\\caf\xC3\xA9", "(\\Seen)", "\\Seen ", "\r\n"}) {
    INFO(bad);
    flag f = flag::system(flag_kind::draft);
    CHECK(parse_flag(bad, f, true) == errc::syntax_error);
    CHECK(f == flag::system(flag_kind::draft));
  }
  flag f;
  CHECK(parse_flag(std::string_view("a\0", 2), f, true) == errc::syntax_error);
}

TEST_CASE("flags: every byte as a one-byte keyword (ATOM-CHAR)", "[imap][flag]") {
  const std::string_view specials = "(){ %*\"\\]";
  for (int b = 0; b < 256; ++b) {
    const char c = static_cast<char>(b);
    const bool atom_char = b > 0x20 && b < 0x7F && specials.find(c) == std::string_view::npos;
    INFO(b);
    flag f;
    CHECK((parse_flag(std::string_view(&c, 1), f, false) == errc::ok) == atom_char);
    CHECK(mailwire::imap::is_keyword(std::string_view(&c, 1)) == atom_char);
  }
}

TEST_CASE("flags: equality", "[imap][flag]") {
  CHECK(parsed("$junk") == parsed("$Junk"));  // keywords without regard to case
  CHECK(parsed("\\x-a") == parsed("\\X-A"));
  CHECK(parsed("\\SEEN") == flag{flag_kind::seen, "whatever"});  // a system flag is its kind
  CHECK(parsed("Seen") != parsed("\\Seen"));  // a keyword is not the system flag
  CHECK(parsed("$Junk") != parsed("$NotJunk"));
  CHECK(parsed("\\Junk") != parsed("$Junk"));
  CHECK(flag::system(flag_kind::recent) != flag::system(flag_kind::seen));
}

TEST_CASE("flags: write refuses hand-built flags that are not atoms", "[imap][flag]") {
  for (const flag& bad : {flag{flag_kind::keyword, ""}, flag{flag_kind::keyword, "a b"},
                          flag{flag_kind::keyword, "\\Seen"}, flag{flag_kind::keyword, "a\r\nA1 LOGOUT"},
                          flag{flag_kind::extension, "X"}, flag{flag_kind::extension, "\\"},
                          flag{flag_kind::extension, "\\a]"}, flag{flag_kind::extension, ""}}) {
    INFO(bad.name);
    std::string out = "kept";
    CHECK(write(out, bad) == errc::invalid_argument);
    CHECK(out == "kept");
  }
  CHECK(written(flag::system(flag_kind::deleted)) == "\\Deleted");
  CHECK(written(flag{flag_kind::seen, {}}) == "\\Seen");
}

TEST_CASE("flags: parse(write(x)) == x (random keywords and extensions)", "[imap][flag]") {
  std::string atom_chars;
  for (int b = 0x21; b < 0x7F; ++b) {
    if (std::string_view("(){ %*\"\\]").find(static_cast<char>(b)) == std::string_view::npos) {
      atom_chars.push_back(static_cast<char>(b));
    }
  }
  std::mt19937 rng(3501);
  for (int n = 0; n < 5000; ++n) {
    std::string name = std::uniform_int_distribution<int>(0, 1)(rng) == 0 ? "" : "\\";
    const int len = std::uniform_int_distribution<int>(1, 12)(rng);
    for (int i = 0; i < len; ++i) {
      name.push_back(atom_chars[std::uniform_int_distribution<std::size_t>(0, atom_chars.size() - 1)(rng)]);
    }
    flag f;
    INFO(name);
    REQUIRE(parse_flag(name, f, false) == errc::ok);
    const std::string w = written(f);
    flag back;
    REQUIRE(parse_flag(w, back, false) == errc::ok);
    REQUIRE(back == f);
    if (f.kind == flag_kind::keyword || f.kind == flag_kind::extension) REQUIRE(w == name);
  }
}

TEST_CASE("mailbox attributes: known ones in any case, others unknown", "[imap][flag]") {
  const mailbox_attribute all[] = {
      mailbox_attribute::noinferiors, mailbox_attribute::noselect,     mailbox_attribute::marked,
      mailbox_attribute::unmarked,    mailbox_attribute::nonexistent,  mailbox_attribute::subscribed,
      mailbox_attribute::remote,      mailbox_attribute::haschildren,  mailbox_attribute::hasnochildren,
      mailbox_attribute::all,         mailbox_attribute::archive,      mailbox_attribute::drafts,
      mailbox_attribute::flagged,     mailbox_attribute::junk,         mailbox_attribute::sent,
      mailbox_attribute::trash,       mailbox_attribute::important,
  };
  for (const mailbox_attribute a : all) {
    const std::string_view name = mailwire::imap::to_string(a);
    INFO(name);
    REQUIRE(name.size() > 1);
    mailbox_attribute got = mailbox_attribute::unknown;
    CHECK(parse_mailbox_attribute(name, got) == errc::ok);
    CHECK(got == a);
    std::string upper(name);
    for (char& c : upper) c = mailwire::ascii::to_upper(c);
    got = mailbox_attribute::unknown;
    CHECK(parse_mailbox_attribute(upper, got) == errc::ok);
    CHECK(got == a);
  }
  CHECK(mailwire::imap::to_string(mailbox_attribute::hasnochildren) == "\\HasNoChildren");
  CHECK(mailwire::imap::to_string(mailbox_attribute::unknown).empty());
  mailbox_attribute got = mailbox_attribute::all;
  CHECK(parse_mailbox_attribute("\\X-Foo", got) == errc::ok);
  CHECK(got == mailbox_attribute::unknown);
  for (const char* bad : {"", "\\", "HasChildren", "\\Has Children", "\\Has]", "\\*", "\\\\Noselect"}) {
    INFO(bad);
    got = mailbox_attribute::all;
    CHECK(parse_mailbox_attribute(bad, got) == errc::syntax_error);
    CHECK(got == mailbox_attribute::all);
  }
}
