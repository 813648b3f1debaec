// IMAP FETCH: sections and partials (RFC 9051 6.4.5), request attributes,
// every response item (RFC 3501 7.4.2, RFC 9051 7.5.2, RFC 3516, RFC 7162,
// RFC 8474, RFC 8970, RFC 8514), ENVELOPE and BODYSTRUCTURE with the
// nesting limit, the named leniencies on and off, and parse(write(x)) == x
// over generated values.
#include <mailwire/imap/fetch.hpp>

#include <cstdint>
#include <deque>
#include <random>
#include <string>
#include <vector>

#include "catch.hpp"

namespace imap = mailwire::imap;
using mailwire::errc;

namespace {

// A parsed FETCH data list with the text and scratch its views point into.
struct parsed {
  std::string text;
  std::string scratch;
  imap::fetch_data data;
  errc error = errc::ok;
};

parsed parse(std::string text, const imap::parse_options& o = {}, const std::vector<std::size_t>* streamed = nullptr) {
  parsed p;
  p.text = std::move(text);
  p.error = imap::parse_fetch_items(p.text, p.data, p.scratch, o, streamed);
  return p;
}

imap::peer_support server_peer() {
  imap::peer_support p;
  p.to_server = false;
  p.binary = true;
  return p;
}

std::string written(const imap::fetch_data& d, const imap::peer_support& p = server_peer()) {
  imap::wire w;
  const errc e = imap::write_fetch_items(w, d, p);
  REQUIRE(e == errc::ok);
  return w.bytes;
}

// Parses, writes back and checks the bytes are the same (for text in the
// form the writer chooses) and that they parse to the same value.
void same_after_write(const std::string& text) {
  INFO(text);
  parsed a = parse(text);
  REQUIRE(a.error == errc::ok);
  const std::string out = written(a.data);
  CHECK(out == text);
  parsed b = parse(out);
  REQUIRE(b.error == errc::ok);
  CHECK(b.data.items == a.data.items);
}

errc error_of(const std::string& text, const imap::parse_options& o = {}) { return parse(text, o).error; }

// Sections and attributes are parsed from a scanner over the given text.
struct scan {
  std::string text;
  std::string scratch;
  imap::detail::scanner s;
  explicit scan(std::string t) : text(std::move(t)), s(text, scratch) {}
};

std::string write_section(const imap::section& sec) {
  imap::wire w;
  const imap::peer_support p = server_peer();
  imap::wire_writer ww(w, p);
  imap::detail::write_section(ww, sec);
  return ww.ok() ? w.bytes : std::string("error");
}

std::string write_attributes(const std::vector<imap::fetch_attribute>& a) {
  imap::wire w;
  imap::peer_support p;
  imap::wire_writer ww(w, p);
  imap::detail::write_fetch_attributes(ww, a);
  return ww.ok() ? w.bytes : std::string("error");
}

}  // namespace

TEST_CASE("imap sections: every section-spec form, written back the same", "[imap][fetch][section]") {
  for (const char* t : {"[]", "[1]", "[1.2.3]", "[HEADER]", "[TEXT]", "[1.2.HEADER]", "[4.2.TEXT]", "[3.MIME]",
                        "[HEADER.FIELDS (DATE FROM)]", "[HEADER.FIELDS.NOT (Subject)]",
                        "[1.HEADER.FIELDS (\"X Y\" Received)]"}) {
    INFO(t);
    scan sc(t);
    imap::section sec;
    REQUIRE(imap::detail::parse_section(sc.s, sec));
    CHECK(sc.s.at_end());
    CHECK(write_section(sec) == t);
  }
  scan sc("[1.2.header.fields.not (a {3}\r\nb c)]");
  imap::section sec;
  REQUIRE(imap::detail::parse_section(sc.s, sec));
  CHECK(sec.part == std::vector<std::uint32_t>{1, 2});
  CHECK(sec.text == imap::section_text::header_fields_not);
  CHECK(sec.fields == std::vector<std::string_view>{"a", "b c"});
  CHECK(write_section(sec) == "[1.2.HEADER.FIELDS.NOT (a \"b c\")]");
}

TEST_CASE("imap sections: malformed ones are refused", "[imap][fetch][section]") {
  for (const char* t : {"[0]", "[1.0]", "[MIME]", "[1.]", "[.1]", "[1..2]", "[HEADER.FIELDS ()]", "[HEADER.FIELDS]",
                        "[HEADER.FIELDS(A)]", "[HEADER.FIELDSX (A)]", "[HEADER.FOO]", "[TEXTX]", "[1.TEXT.MIME]",
                        "[1 ]", "[4294967296]", "[1", "1]", "[HEADER.FIELDS (A B]"}) {
    INFO(t);
    scan sc(t);
    imap::section sec;
    const bool ok = imap::detail::parse_section(sc.s, sec) && sc.s.at_end();
    CHECK_FALSE(ok);
  }
  // Just under and over the 32-bit part number.
  scan under("[4294967295]");
  imap::section sec;
  CHECK(imap::detail::parse_section(under.s, sec));
  // Values a writer refuses.
  imap::section bad;
  bad.text = imap::section_text::mime;
  CHECK(write_section(bad) == "error");
  bad = {};
  bad.part = {1, 0};
  CHECK(write_section(bad) == "error");
  bad = {};
  bad.text = imap::section_text::header_fields;
  CHECK(write_section(bad) == "error");
  bad = {};
  bad.fields = {"A"};
  CHECK(write_section(bad) == "error");
}

TEST_CASE("imap partial ranges", "[imap][fetch][section]") {
  scan ok("<0.2048>");
  imap::partial_range p;
  REQUIRE(imap::detail::parse_partial(ok.s, p));
  CHECK(p.origin == 0);
  CHECK(p.count == 2048);
  scan big("<9223372036854775807.9223372036854775807>");
  CHECK(imap::detail::parse_partial(big.s, p));
  for (const char* t : {"<5.0>", "<5>", "<9223372036854775808.1>", "<1.2", "<a.2>"}) {
    INFO(t);
    scan sc(t);
    CHECK_FALSE(imap::detail::parse_partial(sc.s, p));
  }
}

TEST_CASE("imap fetch attributes: macros, lists, every attribute", "[imap][fetch][attributes]") {
  using k = imap::fetch_attribute_kind;
  struct row {
    const char* text;
    const char* written;
    std::size_t count;
  };
  for (const row& r : std::initializer_list<row>{
           {"ALL", "ALL", 1},
           {"fast", "FAST", 1},
           {"FULL", "FULL", 1},
           // RFC 3501 6.4.5 / RFC 9051 6.4.5 example
           {"(FLAGS BODY[HEADER.FIELDS (DATE FROM)])", "(FLAGS BODY[HEADER.FIELDS (DATE FROM)])", 2},
           {"BODYSTRUCTURE", "BODYSTRUCTURE", 1},
           {"(UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To Cc Bcc Subject Date Message-ID Priority "
            "X-Priority References Newsgroups In-Reply-To Content-Type Reply-To)])",
            "(UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To Cc Bcc Subject Date Message-ID Priority "
            "X-Priority References Newsgroups In-Reply-To Content-Type Reply-To)])",
            4},
           {"(BODY BODY[] BODY.PEEK[1.2]<0.2048> BINARY[1] BINARY.PEEK[1.2]<10.5> BINARY.SIZE[3] BINARY.SIZE[])",
            "(BODY BODY[] BODY.PEEK[1.2]<0.2048> BINARY[1] BINARY.PEEK[1.2]<10.5> BINARY.SIZE[3] BINARY.SIZE[])", 7},
           {"(ENVELOPE INTERNALDATE RFC822 RFC822.HEADER RFC822.TEXT MODSEQ EMAILID THREADID SAVEDATE)",
            "(ENVELOPE INTERNALDATE RFC822 RFC822.HEADER RFC822.TEXT MODSEQ EMAILID THREADID SAVEDATE)", 9},
           {"(UID PREVIEW (LAZY) X-GM-LABELS)", "(UID PREVIEW (LAZY) X-GM-LABELS)", 3},
           {"(PREVIEW)", "PREVIEW", 1},
       }) {
    INFO(r.text);
    scan sc(r.text);
    std::vector<imap::fetch_attribute> a;
    REQUIRE(imap::detail::parse_fetch_attributes(sc.s, a));
    CHECK(sc.s.at_end());
    CHECK(a.size() == r.count);
    CHECK(write_attributes(a) == r.written);
  }
  scan sc("(BODY.PEEK[1.2]<0.2048> BINARY.SIZE[3] PREVIEW (LAZY))");
  std::vector<imap::fetch_attribute> a;
  REQUIRE(imap::detail::parse_fetch_attributes(sc.s, a));
  CHECK(a[0].kind == k::body_section);
  CHECK(a[0].peek);
  CHECK(a[0].sect.part == std::vector<std::uint32_t>{1, 2});
  REQUIRE(a[0].partial);
  CHECK(a[0].partial->count == 2048);
  CHECK(a[1].kind == k::binary_size);
  CHECK(a[2].kind == k::preview);
  CHECK(a[2].lazy);
}

TEST_CASE("imap fetch attributes: malformed lists are refused", "[imap][fetch][attributes]") {
  for (const char* t : {"(ALL)", "(UID ALL)", "()", "(UID  FLAGS)", "(UID", "BODY.PEEK", "BINARY[1.TEXT]",
                        "BINARY.SIZE[1]<0.1>", "BODY[]<0.0>", "PREVIEW (FUZZY)", "(PREVIEW ())", "BODYX[]",
                        "BODY.PEEK[MIME]"}) {
    INFO(t);
    scan sc(t);
    std::vector<imap::fetch_attribute> a;
    const bool ok = imap::detail::parse_fetch_attributes(sc.s, a) && sc.s.at_end();
    CHECK_FALSE(ok);
  }
  imap::fetch_attribute all;
  all.kind = imap::fetch_attribute_kind::all;
  imap::fetch_attribute uid;
  CHECK(write_attributes({all, uid}) == "error");
  CHECK(write_attributes({}) == "error");
  imap::fetch_attribute other;
  other.kind = imap::fetch_attribute_kind::other;
  other.name = "BODYSTRUCTURE";  // would be read back as the known attribute
  CHECK(write_attributes({other}) == "error");
  other.name = "X GM";
  CHECK(write_attributes({other}) == "error");
}

TEST_CASE("imap fetch: RFC 3501 and RFC 9051 FETCH responses verbatim", "[imap][fetch]") {
  // RFC 3501 6.4.6 (STORE) and 6.4.8 (UID), RFC 3501 / 9051 7.4.2 / 7.5.2.
  same_after_write("(FLAGS (\\Deleted \\Seen))");
  same_after_write("(FLAGS (\\Deleted \\Flagged \\Seen))");
  same_after_write("(FLAGS (\\Seen) UID 4827313)");
  same_after_write("(FLAGS (\\Seen) RFC822.SIZE 44827)");
  // RFC 3501 6.4.5: the answer to FETCH 12 FULL (one SP between the two Cc
  // addresses is the RFC's own; the writer writes none).
  const std::string full =
      "(FLAGS (\\Seen) INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" RFC822.SIZE 4286 ENVELOPE (\"Wed, 17 Jul 1996 "
      "02:23:25 -0700 (PDT)\" \"IMAP4rev1 WG mtg summary and minutes\" ((\"Terry Gray\" NIL \"gray\" "
      "\"cac.washington.edu\")) ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) ((\"Terry Gray\" NIL "
      "\"gray\" \"cac.washington.edu\")) ((NIL NIL \"imap\" \"cac.washington.edu\")) ((NIL NIL \"minutes\" "
      "\"CNRI.Reston.VA.US\") (\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) NIL NIL "
      "\"<B27397-0100000@cac.washington.edu>\") BODY (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" "
      "3028 92))";
  parsed p = parse(full);
  REQUIRE(p.error == errc::ok);
  const auto& items = p.data.items;
  REQUIRE(items.size() == 5);
  REQUIRE(items[0].flags.size() == 1);
  CHECK(items[0].flags[0].kind == imap::flag_kind::seen);
  REQUIRE(items[1].date);
  CHECK(*items[1].date == imap::date_time{1996, 7, 17, 2, 44, 25, -420});
  CHECK(items[2].number == 4286);
  const imap::envelope& e = items[3].env;
  CHECK(e.subject == std::string_view("IMAP4rev1 WG mtg summary and minutes"));
  REQUIRE(e.cc.size() == 2);
  CHECK(e.cc[1].name == std::string_view("John Klensin"));
  CHECK(e.cc[1].mailbox == std::string_view("KLENSIN"));
  CHECK(e.cc[1].host == std::string_view("MIT.EDU"));
  CHECK_FALSE(e.cc[0].name);
  CHECK(e.bcc.empty());
  CHECK(e.message_id == std::string_view("<B27397-0100000@cac.washington.edu>"));
  const imap::body_structure& b = items[4].body;
  CHECK(items[4].kind == imap::fetch_item_kind::body);
  CHECK(b.kind == imap::body_kind::text);
  CHECK(b.subtype == "PLAIN");
  REQUIRE(b.params.size() == 1);
  CHECK(b.params[0].value == "US-ASCII");
  CHECK(b.octets == 3028);
  CHECK(b.lines == 92);
  CHECK(b.extension_fields == 0);
  const std::string out = written(p.data);
  CHECK(parse(out).data.items == p.data.items);
  CHECK(out.find(")(\"John Klensin\"") != std::string::npos);
  // RFC 3501 6.4.5 / 7.4.2: BODY[HEADER] as a literal.
  const std::string header = "Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\nSubject: x\r\n\r\n";
  const std::string literal = "(BODY[HEADER] {" + std::to_string(header.size()) + "}\r\n" + header + ")";
  same_after_write(literal);
}

TEST_CASE("imap fetch: every item kind", "[imap][fetch]") {
  using k = imap::fetch_item_kind;
  static const char raw[] =
      "(UID 7 MODSEQ (12121231000) EMAILID (M6d99ac3275bb4e) THREADID (T64b478a75b7ea9) "
      "PREVIEW \"Hello, this is the preview\" SAVEDATE \"01-Jan-2020 10:00:00 +0000\" "
      "BINARY[1.2] ~{3}\r\na\0b BINARY.SIZE[1.2] 3 BODY[1]<0> \"abc\" BINARY[2]<4> NIL "
      "RFC822 NIL RFC822.HEADER \"x\" RFC822.TEXT {2}\r\nhi X-GM-LABELS (\"\\\\Inbox\" foo) X-GM-MSGID 1278455344230334865)";
  parsed p = parse(std::string(raw, sizeof raw - 1));
  REQUIRE(p.error == errc::ok);
  const auto& it = p.data.items;
  REQUIRE(it.size() == 15);
  CHECK(it[0].kind == k::uid);
  CHECK(it[1].kind == k::modseq);
  CHECK(it[1].number == 12121231000u);
  CHECK(it[2].text == std::string_view("M6d99ac3275bb4e"));
  CHECK(it[3].kind == k::threadid);
  CHECK(it[4].text == std::string_view("Hello, this is the preview"));
  CHECK(it[5].kind == k::savedate);
  CHECK(it[5].date == imap::date_time{2020, 1, 1, 10, 0, 0, 0});
  CHECK(it[6].kind == k::binary);
  REQUIRE(it[6].content);
  CHECK(it[6].content->binary);
  CHECK(it[6].content->data == std::string_view("a\0b", 3));
  CHECK(it[7].kind == k::binary_size);
  CHECK(it[7].number == 3);
  CHECK(it[8].origin == std::uint32_t{0});
  CHECK(it[8].content->data == "abc");
  CHECK(it[9].origin == std::uint32_t{4});
  CHECK_FALSE(it[9].content);
  CHECK(it[10].kind == k::rfc822);
  CHECK(it[11].kind == k::rfc822_header);
  CHECK(it[12].kind == k::rfc822_text);
  CHECK(it[12].content->data == "hi");
  CHECK(it[13].kind == k::other);
  CHECK(it[13].name == "X-GM-LABELS");
  CHECK(it[13].raw == "(\"\\\\Inbox\" foo)");
  CHECK(it[14].raw == "1278455344230334865");
  const std::string out = written(p.data);
  parsed q = parse(out);
  REQUIRE(q.error == errc::ok);
  CHECK(q.data.items == p.data.items);
  // Without BINARY on the peer, a literal8 cannot be written.
  imap::peer_support plain;
  plain.to_server = false;
  imap::wire w;
  w.bytes = "kept";
  CHECK(imap::write_fetch_items(w, p.data, plain) == errc::invalid_argument);
  CHECK(w.bytes == "kept");
  // THREADID NIL, SAVEDATE NIL (RFC 8474, RFC 8514).
  same_after_write("(THREADID NIL SAVEDATE NIL PREVIEW NIL)");
}

TEST_CASE("imap fetch: malformed items are refused", "[imap][fetch]") {
  for (const char* t : {"()", "(UID 0)", "(UID 4294967296)", "(UID  1)", "(UID 1 )", "(FLAGS (\\Seen )", "(FLAGS \\Seen)",
                        "(RFC822.SIZE -1)", "(MODSEQ 5)", "(EMAILID ())", "(EMAILID (a.b))", "(THREADID (x y))",
                        "(INTERNALDATE 17-Jul-1996)", "(BODY[] {3}\r\nab)", "(BODY[]<0.5> NIL)", "(BINARY.SIZE[1] NIL)",
                        "(BODY[] ~{1}\r\nx)", "(X-FOO)", "(X-FOO (a)", "(X-FOO \"a)", "(UID 1", "UID 1",
                        // flag-fetch is flag / "\Recent": no \*, no "]" or "\" inside an atom
                        "(FLAGS (\\*))", "(FLAGS (a]))", "(FLAGS (a\\b))", "(FLAGS (\\))",
                        // date-time is DQUOTE date-day-fixed "-" ... zone DQUOTE, a real day and time
                        "(INTERNALDATE NIL)", "(INTERNALDATE \"x\")", "(INTERNALDATE \"31-Feb-1996 02:44:25 -0700\")",
                        "(INTERNALDATE \"17-Jul-1996 24:00:00 -0700\")", "(INTERNALDATE {26}\r\n17-Jul-1996 02:44:25 -0700)",
                        "(SAVEDATE \"1-Feb-2021 00:00:00 +0100\")", "(SAVEDATE \"01-Feb-2021 00:00:00 +0160\")"}) {
    INFO(t);
    CHECK(error_of(t) != errc::ok);
  }
  CHECK(error_of(std::string("(BODY[] {1}\r\n\0)", 15)) == errc::nul_byte);
  CHECK(error_of("(BODY[] {9}\r\nab)") == errc::truncated);
  CHECK(error_of("(BODY[] {1x}\r\na)") == errc::imap_bad_literal);
}

TEST_CASE("imap fetch: FLAGS, INTERNALDATE and SAVEDATE are typed", "[imap][fetch]") {
  using fk = imap::flag_kind;
  parsed p = parse("(FLAGS (\\Seen \\answered \\Recent $Forwarded \\X-Custom) INTERNALDATE \" 7-Jul-1996 02:44:25 -0000\" "
                   "SAVEDATE \"29-Feb-2024 23:59:60 +1400\")");
  REQUIRE(p.error == errc::ok);
  const auto& it = p.data.items;
  REQUIRE(it.size() == 3);
  REQUIRE(it[0].flags.size() == 5);
  CHECK(it[0].flags[0].kind == fk::seen);
  CHECK(it[0].flags[1].kind == fk::answered);  // system flags in any case
  CHECK(it[0].flags[2].kind == fk::recent);    // flag-fetch includes \Recent (RFC 3501)
  CHECK(it[0].flags[3].kind == fk::keyword);
  CHECK(it[0].flags[3].name == "$Forwarded");
  CHECK(it[0].flags[4].kind == fk::extension);
  CHECK(it[0].flags[4].name == "\\X-Custom");
  // The SP form of a one-digit day; "-0000" is UTC.
  CHECK(it[1].date == imap::date_time{1996, 7, 7, 2, 44, 25, 0});
  CHECK(it[2].date == imap::date_time{2024, 2, 29, 23, 59, 60, 840});
  // Written canonically: system flags capitalised, the day with a zero.
  CHECK(written(p.data) ==
        "(FLAGS (\\Seen \\Answered \\Recent $Forwarded \\X-Custom) INTERNALDATE \"07-Jul-1996 02:44:25 +0000\" "
        "SAVEDATE \"29-Feb-2024 23:59:60 +1400\")");
  // Empty flags; a reused value keeps its flag vector.
  const void* flags = it[0].flags.data();
  REQUIRE(imap::parse_fetch_items(p.text, p.data, p.scratch) == errc::ok);
  CHECK(p.data.items[0].flags.data() == flags);
  same_after_write("(FLAGS ())");
}

TEST_CASE("imap fetch: values the grammar cannot carry are not written", "[imap][fetch]") {
  using k = imap::fetch_item_kind;
  const auto fails = [](const imap::fetch_item& it) {
    imap::fetch_data d;
    d.items.push_back(it);
    imap::wire w;
    w.bytes = "kept";
    CHECK(imap::write_fetch_items(w, d, server_peer()) == errc::invalid_argument);
    CHECK(w.bytes == "kept");
  };
  imap::fetch_item it;
  it.kind = k::flags;
  it.flags.push_back(imap::flag::system(imap::flag_kind::wildcard));  // \* is PERMANENTFLAGS only
  fails(it);
  it.flags = {imap::flag{imap::flag_kind::keyword, "a b"}};
  fails(it);
  it = imap::fetch_item{};
  it.kind = k::internaldate;  // INTERNALDATE has no NIL
  fails(it);
  it.date = imap::date_time{2021, 2, 29, 0, 0, 0, 0};  // not a day
  fails(it);
  it.kind = k::savedate;
  fails(it);
  it = imap::fetch_item{};
  it.kind = k::emailid;  // EMAILID has no NIL
  fails(it);
}

TEST_CASE("imap fetch: a streamed literal inside an unknown item is refused", "[imap][fetch]") {
  // Its bytes went to the application, so the raw value could not hold them.
  for (const char* t : {"(X-FOO {100000}\r\n)", "(X-FOO (a ~{100000}\r\n))"}) {
    INFO(t);
    const std::string text = t;
    const std::vector<std::size_t> streamed{text.find('{')};
    CHECK(parse(text, {}, &streamed).error == errc::imap_literal_too_big);
    CHECK(parse(text).error == errc::truncated);
  }
}

TEST_CASE("imap fetch: a streamed BODY[] literal keeps its size and is written as a break", "[imap][fetch]") {
  const std::string text = "(UID 9 BODY[] {100000}\r\n)";
  const std::vector<std::size_t> streamed{text.find('{')};
  parsed p = parse(text, {}, &streamed);
  REQUIRE(p.error == errc::ok);
  const imap::fetch_item* body = p.data.find(imap::fetch_item_kind::body_section);
  REQUIRE(body != nullptr);
  REQUIRE(body->content);
  CHECK(body->content->streamed);
  CHECK(body->content->size == 100000);
  imap::wire w;
  REQUIRE(imap::write_fetch_items(w, p.data, server_peer()) == errc::ok);
  CHECK(w.bytes == "(UID 9 BODY[] {100000}\r\n)");
  REQUIRE(w.breaks.size() == 1);
  CHECK(w.breaks[0].body);
  CHECK(w.breaks[0].body_size == 100000);
  CHECK(w.breaks[0].offset == w.bytes.size() - 1);
  // A streamed literal where a string must be in memory (an ENVELOPE field).
  const std::string env = "(ENVELOPE ({5}\r\n NIL NIL NIL NIL NIL NIL NIL NIL NIL))";
  const std::vector<std::size_t> at{env.find('{')};
  CHECK(parse(env, {}, &at).error == errc::imap_literal_too_big);
}

namespace {

std::string nested_body(std::size_t levels) {
  std::string t = "(BODYSTRUCTURE ";
  for (std::size_t i = 1; i < levels; ++i) t += '(';
  t += "(\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 1 1)";
  for (std::size_t i = 1; i < levels; ++i) t += " \"MIXED\")";
  return t + ")";
}

}  // namespace

TEST_CASE("imap bodystructure: nesting at and past max_depth", "[imap][fetch][limits]") {
  // The msg-att list is one level, each body one more.
  imap::parse_options o;
  o.max_depth = 10;
  CHECK(parse(nested_body(9), o).error == errc::ok);
  CHECK(parse(nested_body(10), o).error == errc::imap_too_deep);
  CHECK(parse(nested_body(mailwire::limits::imap_depth - 1)).error == errc::ok);
  CHECK(parse(nested_body(mailwire::limits::imap_depth)).error == errc::imap_too_deep);
  parsed p = parse(nested_body(9), o);
  const imap::body_structure* b = &p.data.items[0].body;
  std::size_t depth = 1;
  while (b->kind == imap::body_kind::multipart) {
    b = &b->children[0];
    ++depth;
  }
  CHECK(depth == 9);
  CHECK(parse(written(p.data), o).data.items == p.data.items);
  // Body extensions nest too.
  std::string ext = "(BODYSTRUCTURE (\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 1 1 NIL NIL NIL NIL ";
  for (int i = 0; i < 8; ++i) ext += '(';
  ext += "1";
  for (int i = 0; i < 8; ++i) ext += ')';
  ext += "))";
  CHECK(parse(ext, o).error == errc::ok);  // 1 + 1 + 8 = 10 levels
  ext.insert(ext.find("1))"), "(");
  ext.insert(ext.find("))"), ")");
  CHECK(parse(ext, o).error == errc::imap_too_deep);
}

TEST_CASE("imap bodystructure: 10^4 parts wide", "[imap][fetch][limits]") {
  std::string t = "(BODYSTRUCTURE (";
  for (int i = 0; i < 10000; ++i) t += "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 10 1 NIL NIL NIL NIL)";
  t += " \"MIXED\" (\"BOUNDARY\" \"b\") NIL NIL NIL))";
  parsed p = parse(t);
  REQUIRE(p.error == errc::ok);
  CHECK(p.data.items[0].body.children.size() == 10000);
  CHECK(written(p.data) == t);
  // Parsing the same text again into the same value reuses every vector.
  const void* children = p.data.items[0].body.children.data();
  const void* params = p.data.items[0].body.children[9999].params.data();
  REQUIRE(imap::parse_fetch_items(p.text, p.data, p.scratch) == errc::ok);
  CHECK(p.data.items[0].body.children.data() == children);
  CHECK(p.data.items[0].body.children[9999].params.data() == params);
}

TEST_CASE("imap bodystructure: extension data, message/rfc822, groups", "[imap][fetch]") {
  // Dovecot's answer for a multipart/mixed with a message/rfc822 part
  // (MailKit's TestParseExampleMultiLevelDovecotBodyStructure, spaces
  // between the parts removed: see the lenient test for the original).
  const std::string t =
      "(BODYSTRUCTURE (((\"text\" \"plain\" (\"charset\" \"iso-8859-2\") NIL NIL \"quoted-printable\" 28 2 NIL NIL "
      "NIL NIL)(\"text\" \"html\" (\"charset\" \"iso-8859-2\") NIL NIL \"quoted-printable\" 1707 65 NIL NIL NIL NIL) "
      "\"alternative\" (\"boundary\" \"----=_NextPart_001_0078_01CBB179.57530990\") NIL NIL NIL)(\"message\" "
      "\"rfc822\" NIL NIL NIL \"7bit\" 641 (\"Sat, 8 Jan 2011 14:16:36 +0100\" \"Subj 2\" ((\"Some Name, "
      "SOMECOMPANY\" NIL \"recipient\" \"example.com\")) ((\"Some Name, SOMECOMPANY\" NIL \"recipient\" "
      "\"example.com\")) ((\"Some Name, SOMECOMPANY\" NIL \"recipient\" \"example.com\")) ((\"Recipient\" NIL "
      "\"example\" \"gmail.com\")) NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\" \"iso-8859-2\") NIL NIL "
      "\"quoted-printable\" 185 18 NIL NIL (\"cs\") NIL) 31 NIL (\"attachment\" NIL) NIL NIL) \"mixed\" "
      "(\"boundary\" \"----=_NextPart_000_0077_01CBB179.57530990\") NIL (\"cs\") NIL))";
  parsed p = parse(t);
  REQUIRE(p.error == errc::ok);
  const imap::body_structure& root = p.data.items[0].body;
  CHECK(root.kind == imap::body_kind::multipart);
  CHECK(root.subtype == "mixed");
  CHECK(root.extension_fields == 4);
  CHECK(root.language_list);
  CHECK(root.language == std::vector<std::string_view>{"cs"});
  REQUIRE(root.children.size() == 2);
  const imap::body_structure& msg = root.children[1];
  CHECK(msg.kind == imap::body_kind::message);
  CHECK(msg.message_envelope.subject == std::string_view("Subj 2"));
  CHECK(msg.lines == 31);
  CHECK(msg.disposition == std::string_view("attachment"));
  REQUIRE(msg.children.size() == 1);
  CHECK(msg.children[0].kind == imap::body_kind::text);
  CHECK(written(p.data) == t);

  // RFC 3501 group syntax: host NIL opens (mailbox = name) and closes.
  same_after_write(
      "(ENVELOPE (NIL NIL NIL NIL NIL ((NIL NIL \"undisclosed-recipients\" NIL)(NIL NIL NIL NIL)) NIL NIL NIL NIL))");
  parsed g = parse(
      "(ENVELOPE (NIL NIL NIL NIL NIL ((NIL NIL \"team\" NIL)(\"A\" NIL \"a\" \"x.org\")(NIL NIL NIL NIL)) NIL NIL NIL "
      "NIL))");
  REQUIRE(g.error == errc::ok);
  const auto& to = g.data.items[0].env.to;
  REQUIRE(to.size() == 3);
  CHECK(to[0].is_group_start());
  CHECK_FALSE(to[1].is_group_start());
  CHECK(to[2].is_group_end());

  // A message/global without envelope stays a basic part; extension data
  // of every kind is kept (numbers, nested lists, strings, NIL).
  same_after_write(
      "(BODYSTRUCTURE (\"MESSAGE\" \"GLOBAL\" NIL NIL NIL \"8BIT\" 120 \"md5\" (\"inline\" (\"FILENAME\" \"a b\")) "
      "\"en\" \"http://x/\" 42 (\"x\" (1 NIL)) NIL))");
  parsed basic = parse("(BODY (\"MESSAGE\" \"GLOBAL\" NIL NIL NIL \"8BIT\" 120))");
  REQUIRE(basic.error == errc::ok);
  CHECK(basic.data.items[0].body.kind == imap::body_kind::basic);
}

TEST_CASE("imap bodystructure: values the writer refuses", "[imap][fetch]") {
  imap::fetch_data d;
  d.items.emplace_back();
  imap::fetch_item& it = d.items[0];
  it.kind = imap::fetch_item_kind::bodystructure;
  imap::wire w;
  it.body.kind = imap::body_kind::multipart;  // no children
  CHECK(imap::write_fetch_items(w, d, server_peer()) == errc::invalid_argument);
  it.body.kind = imap::body_kind::basic;
  it.body.type = "TEXT";  // would be read back as text
  CHECK(imap::write_fetch_items(w, d, server_peer()) == errc::invalid_argument);
  it.body.kind = imap::body_kind::text;
  it.body.extensions.emplace_back();  // extensions need all four fields
  CHECK(imap::write_fetch_items(w, d, server_peer()) == errc::invalid_argument);
  it.body.extension_fields = 4;
  CHECK(imap::write_fetch_items(w, d, server_peer()) == errc::ok);
  it.body.kind = imap::body_kind::message;  // type is not MESSAGE/RFC822
  CHECK(imap::write_fetch_items(w, d, server_peer()) == errc::invalid_argument);
  CHECK(imap::write_fetch_items(w, imap::fetch_data{}, server_peer()) == errc::invalid_argument);
}

// Each leniency: off, the recorded response is refused; on, it is read.
TEST_CASE("imap bodystructure leniencies", "[imap][fetch][lenient]") {
  struct row {
    const char* source;
    std::string text;
    bool imap::parse_options::*flag;
  };
  const std::vector<row> rows = {
      // Exchange 2016 (MailKit issue #919): "inline" without its list.
      {"MailKit #919 (Exchange)",
       "(BODYSTRUCTURE ((\"text\" \"plain\" (\"charset\" \"ISO-8859-1\") NIL NIL \"QUOTED-PRINTABLE\" 850 31 NIL "
       "\"inline\" NIL NIL)(\"text\" \"html\" (\"charset\" \"ISO-8859-1\") NIL NIL \"QUOTED-PRINTABLE\" 14692 502 NIL "
       "\"inline\" NIL NIL) \"alternative\" (\"boundary\" \"----=_Part_45280395_786508794.1562673197246\") NIL NIL))",
       &imap::parse_options::lenient_disposition_string},
      // Gmail (MailKit issue #205, go-imap issue #701): a multipart with no parts.
      {"MailKit #205 (Gmail)",
       "(BODYSTRUCTURE ((\"ALTERNATIVE\" (\"BOUNDARY\" \"==alternative_xad5934455aeex\") NIL NIL)(\"TEXT\" \"HTML\" "
       "(\"CHARSET\" \"iso-8859-1\" \"NAME\" \"seti_letter.html\") NIL NIL \"7BIT\" 6769 171 NIL NIL NIL) "
       "\"ALTERNATIVE\" (\"BOUNDARY\" \"==alternative_xad5934455aeex\") NIL NIL))",
       &imap::parse_options::lenient_empty_multipart},
      // Gmail (MailKit issue #1841): ("ALTERNATIVE") inside a message/rfc822 part.
      {"MailKit #1841 (Gmail)",
       "(BODY ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"windows-1252\") NIL NIL \"QUOTED-PRINTABLE\" 211 5)(\"MESSAGE\" "
       "\"DELIVERY-STATUS\" NIL NIL NIL \"7BIT\" 344)(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 2942 (\"Sat, 3 Jan "
       "2015 19:26:15 +0100\" \"Re: MPG\" ((\"c p\" NIL \"---.---87\" \"gmail.com\")) ((\"c p\" NIL \"---.---87\" "
       "\"gmail.com\")) ((\"c p\" NIL \"---.---87\" \"gmail.com\")) ((\"am sa[cft]\" NIL \"sm\" \"cft.ce.fr\")) NIL NIL "
       "\"<D3CAD328B4CFD24E83DD07E8923DFEE902FA8F1B@PRDGCE8P4523.sigce.ce.fr>\" "
       "\"<D4A-8A32-4DC3-AC6C-98429154@gmail.com>\") (\"ALTERNATIVE\") 51) \"REPORT\"))",
       &imap::parse_options::lenient_empty_multipart},
      // Gmail (MailKit issue #777): ("RELATED" NIL ("ATTACHMENT" NIL) NIL).
      {"MailKit #777 (Gmail)",
       "(BODYSTRUCTURE (((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"UTF-8\" \"DELSP\" \"yes\" \"FORMAT\" \"flowed\") NIL NIL "
       "\"BASE64\" 10418 133 NIL NIL NIL)(\"TEXT\" \"HTML\" (\"CHARSET\" \"UTF-8\") NIL NIL \"BASE64\" 34544 442 NIL "
       "NIL NIL) \"ALTERNATIVE\" (\"BOUNDARY\" \"94eb2c1cd0507723d5054c1ce6cb\") NIL NIL)(\"RELATED\" NIL "
       "(\"ATTACHMENT\" NIL) NIL)(\"RELATED\" NIL (\"ATTACHMENT\" NIL) NIL) \"MIXED\" (\"BOUNDARY\" "
       "\"94eb2c1cd0507723e6054c1ce6cd\") NIL NIL))",
       &imap::parse_options::lenient_empty_multipart},
      // MailKit issue #1393: NIL where the parts of multipart/alternative
      // belong (the envelope's addresses and the delivery-status part elided).
      {"MailKit #1393",
       "(BODYSTRUCTURE ((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 727 16 NIL NIL NIL NIL)"
       "(\"message\" \"rfc822\" (\"name\" \"Message headers\") NIL NIL \"7bit\" 903 (\"Mon, 17 Nov 2014 13:29:21 +0100\" "
       "\"Re: Adresy\" NIL NIL NIL NIL NIL NIL NIL \"<D6173425-9D71-4D78-8C3C-1CEB03BCB4D0@example.com>\") (NIL "
       "\"alternative\" (\"boundary\" \"Apple-Mail=_352FCEEC-EB15-428F-9D8B-D3B4259DD646\") NIL NIL NIL) 17 NIL NIL "
       "NIL NIL) \"report\" (\"report-type\" \"delivery-status\") NIL NIL NIL))",
       &imap::parse_options::lenient_empty_multipart},
      // MailKit's TestParseBadlyFormedBodyStructureWithMissingMediaSubtype{Text,Application}.
      {"MailKit missing subtype (text)",
       "(BODYSTRUCTURE ((\"TEXT\" (\"CHARSET\" \"windows-1251\") NIL NIL \"base64\" 356 5) \"MIXED\" (\"BOUNDARY\" "
       "\"--cd49a2f5ed4ed0cbb6f9f1c7f125541f\") NIL NIL))",
       &imap::parse_options::lenient_missing_subtype},
      {"MailKit missing subtype (application)",
       "(BODYSTRUCTURE ((\"APPLICATION\" NIL NIL NIL \"base64\" 356) \"MIXED\" (\"BOUNDARY\" "
       "\"--cd49a2f5ed4ed0cbb6f9f1c7f125541f\") NIL NIL))",
       &imap::parse_options::lenient_missing_subtype},
      // MailKit's TestParseBadlyFormedBodyStructureWithCompletelyNilBodyParts2: NIL type and subtype.
      {"MailKit NIL type",
       "(BODYSTRUCTURE ((NIL NIL NIL NIL NIL \"7BIT\" 563 NIL NIL NIL NIL)(\"message\" \"delivery-status\" NIL NIL NIL "
       "\"7BIT\" 658 NIL NIL NIL NIL) \"report\" (\"report-type\" \"delivery-status\") NIL NIL))",
       &imap::parse_options::lenient_missing_subtype},
      // mail.ru (modern-email/defects #53, imap-codec #700): NIL boundary.
      {"defects #53 (mail.ru)",
       "(BODYSTRUCTURE ((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 3 1 NIL NIL NIL NIL) \"mixed\" "
       "(\"boundary\" NIL) NIL NIL NIL))",
       &imap::parse_options::lenient_nil_param_value},
      // Stalwart/Exchange (imap-codec #697), maddy (defects #51), Dovecot as
      // MailKit recorded it: spaces between parts and after "(" (MailKit's
      // TestParseExampleMultiLevelDovecotBodyStructure, its two
      // message/rfc822 parts elided).
      {"MailKit Dovecot multi-level",
       "(BODYSTRUCTURE (((\"text\" \"plain\" (\"charset\" \"iso-8859-2\") NIL NIL \"quoted-printable\" 28 2 NIL NIL "
       "NIL NIL) (\"text\" \"html\" (\"charset\" \"iso-8859-2\") NIL NIL \"quoted-printable\" 1707 65 NIL NIL NIL NIL) "
       "\"alternative\" (\"boundary\" \"----=_NextPart_001_0078_01CBB179.57530990\") NIL NIL NIL) ( (\"text\" "
       "\"plain\" (\"charset\" \"iso-8859-2\") NIL NIL \"quoted-printable\" 4296 345 NIL NIL NIL NIL) (\"text\" "
       "\"html\" (\"charset\" \"iso-8859-2\") NIL NIL \"quoted-printable\" 45069 1295 NIL NIL NIL NIL) "
       "\"alternative\" (\"boundary\" \"----=_NextPart_000_0073_01CBB179.57530990\") NIL (\"cs\") NIL) \"mixed\" "
       "(\"boundary\" \"----=_NextPart_000_0077_01CBB179.57530990\") NIL (\"cs\") NIL))",
       &imap::parse_options::lenient_spaces},
      // ruby/net-imap #271: a doubled space; a trailing space before ")".
      {"net-imap #271",
       "(BODYSTRUCTURE ((\"text\" \"plain\"  (\"charset\" \"UTF-8\") NIL NIL \"7bit\" 3 1 NIL NIL NIL NIL ) \"mixed\" "
       "(\"boundary\" \"x\") NIL NIL NIL))",
       &imap::parse_options::lenient_spaces},
      // maddy (foxcpp/maddy #756), iCloud (djc/imap-proto #205), swift-nio-imap #684: NIL encoding.
      {"swift-nio-imap #684",
       "(UID 2114 MODSEQ (3143) RFC822.SIZE 11867 BODYSTRUCTURE (((\"text\" \"plain\" (\"CHARSET\" \"UTF-8\") NIL NIL "
       "NIL 1423 44 NIL NIL NIL NIL)(\"text\" \"html\" (\"CHARSET\" \"UTF-8\") NIL NIL \"quoted-printable\" 2524 34 "
       "NIL NIL NIL NIL) \"alternative\" (\"BOUNDARY\" \"000000000000ccac3a05a5ef76c3\") NIL NIL NIL)(\"text\" \"plain\" "
       "(\"CHARSET\" \"us-ascii\") NIL NIL \"7bit\" 151 4 NIL NIL NIL NIL) \"mixed\" (\"BOUNDARY\" "
       "\"===============5781602957316160403==\") NIL NIL NIL))",
       &imap::parse_options::lenient_nil_encoding},
  };
  for (const row& r : rows) {
    INFO(r.source);
    CHECK(error_of(r.text) == errc::syntax_error);
    imap::parse_options on;
    on.*(r.flag) = true;
    parsed p = parse(r.text, on);
    CHECK(p.error == errc::ok);
  }
  // What the readings give.
  imap::parse_options all;
  all.lenient_disposition_string = all.lenient_empty_multipart = all.lenient_missing_subtype = true;
  all.lenient_nil_param_value = all.lenient_spaces = all.lenient_nil_encoding = true;
  parsed ex = parse(rows[0].text, all);
  CHECK(ex.data.items[0].body.children[0].disposition == std::string_view("inline"));
  parsed gm = parse(rows[1].text, all);
  const imap::body_structure& empty = gm.data.items[0].body.children[0];
  CHECK(empty.kind == imap::body_kind::multipart);
  CHECK(empty.children.empty());
  CHECK(empty.subtype == "ALTERNATIVE");
  CHECK(empty.params[0].value == "==alternative_xad5934455aeex");
  parsed ns = parse(rows[5].text, all);
  CHECK(ns.data.items[0].body.children[0].kind == imap::body_kind::text);
  CHECK(ns.data.items[0].body.children[0].subtype.empty());
  CHECK(ns.data.items[0].body.children[0].lines == 5);
  parsed nb = parse(rows[8].text, all);
  CHECK(nb.data.items[0].body.params[0].value.empty());
  // A lenient reading written back is strict again (where the value can be
  // written: an empty multipart cannot).
  for (std::size_t i : {0u, 5u, 6u, 7u, 8u, 9u, 10u, 11u}) {
    parsed p = parse(rows[i].text, all);
    REQUIRE(p.error == errc::ok);
    parsed q = parse(written(p.data));
    CHECK(q.error == errc::ok);
    CHECK(q.data.items == p.data.items);
  }
  imap::wire w;
  CHECK(imap::write_fetch_items(w, gm.data, server_peer()) == errc::invalid_argument);
  // Leniency never reads past a list: missing closing parentheses stay errors.
  CHECK(error_of("(BODYSTRUCTURE (\"ALTERNATIVE\")", all) != errc::ok);
  CHECK(error_of("(BODYSTRUCTURE (\"text\" \"plain\" NIL NIL NIL NIL 1 1 ", all) != errc::ok);
}

// -- round trip over generated values ----------------------------------------

namespace {

class generator {
 public:
  explicit generator(std::uint32_t seed) : rng_(seed) {}

  std::size_t pick(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_); }
  bool coin() { return pick(2) == 0; }

  std::string_view str() {
    static const char* const samples[] = {"",      "TEXT",   "plain",         "a b",      "quote\"and\\slash",
                                          "line\r\nbreak", "NIL",    "ÄÖ utf-8",      "x",        "boundary=--=_42",
                                          "(paren)", "{5}",  "tab\there",     "]bracket", "%*"};
    std::string s = samples[pick(sizeof samples / sizeof samples[0])];
    if (pick(8) == 0) s.append(pick(2000), 'z');
    pool_.push_back(std::move(s));
    return pool_.back();
  }
  imap::nstring nstr() {
    if (pick(3) == 0) return std::nullopt;
    return str();
  }
  imap::flag fetch_flag() {
    static const char* const atoms[] = {"\\Seen", "\\Answered", "$Forwarded", "\\Recent", "Junk", "\\X-Custom",
                                        "\\Deleted", "\\Flagged", "\\Draft", "$MDNSent"};
    imap::flag f;
    CHECK(imap::parse_flag(atoms[pick(10)], f, false) == errc::ok);
    return f;
  }
  // Any valid date-time: any instant of years 0 to 9999 in any zone,
  // sometimes a leap second.
  imap::date_time date_time() {
    imap::date_time t;
    const std::int64_t span = 253402300799 + 62167219200 - 2 * 360000;
    const std::int64_t at = -62167219200 + 360000 + static_cast<std::int64_t>((std::uint64_t{rng_()} << 32 | rng_()) %
                                                                              static_cast<std::uint64_t>(span));
    const int offset = static_cast<int>(pick(11999)) - 5999;
    REQUIRE(imap::from_unix_seconds(at, offset, t) == errc::ok);
    if (pick(10) == 0) t.second = 60;
    return t;
  }

  void params(std::vector<imap::body_param>& out) {
    const std::size_t n = pick(4);
    for (std::size_t i = 0; i < n; ++i) out.push_back({str(), str()});
  }

  void addresses(std::vector<imap::address>& out) {
    const std::size_t n = pick(4);
    for (std::size_t i = 0; i < n; ++i) out.push_back({nstr(), nstr(), nstr(), nstr()});
  }
  void envelope(imap::envelope& e) {
    e.date = nstr();
    e.subject = nstr();
    for (auto* l : {&e.from, &e.sender, &e.reply_to, &e.to, &e.cc, &e.bcc}) addresses(*l);
    e.in_reply_to = nstr();
    e.message_id = nstr();
  }

  void extension(imap::body_extension& e, int depth) {
    const std::size_t k = depth > 3 ? pick(3) : pick(4);
    e.kind = static_cast<imap::body_extension::kind_type>(k);
    if (k == 1) e.string = str();
    if (k == 2) e.number = rng_() % 100000;
    if (k == 3) {
      e.list.resize(1 + pick(3));
      for (auto& x : e.list) extension(x, depth + 1);
    }
  }

  void body(imap::body_structure& b, int depth, bool extensible) {
    static const char* const types[] = {"IMAGE", "application", "AUDIO", "x-custom"};
    const std::size_t kind = depth > 4 ? pick(2) : pick(4);
    if (kind == 3) {
      b.kind = imap::body_kind::multipart;
      b.subtype = str();
      b.children.resize(1 + pick(4));
      for (auto& c : b.children) body(c, depth + 1, extensible);
    } else {
      b.kind = kind == 0 ? imap::body_kind::basic : kind == 1 ? imap::body_kind::text : imap::body_kind::message;
      b.type = kind == 0 ? std::string_view(types[pick(4)]) : kind == 1 ? std::string_view(coin() ? "TEXT" : "text")
                                                                          : std::string_view("MESSAGE");
      b.subtype = kind == 2 ? std::string_view(coin() ? "RFC822" : "global") : str();
      params(b.params);
      b.id = nstr();
      b.description = nstr();
      b.encoding = str();
      b.octets = static_cast<std::uint32_t>(rng_());
      if (kind != 0) b.lines = rng_() % 1000000;
      if (kind == 2) {
        envelope(b.message_envelope);
        b.children.resize(1);
        body(b.children[0], depth + 1, extensible);
      }
    }
    if (!extensible) return;
    b.extension_fields = static_cast<std::uint8_t>(pick(5));
    if (b.kind == imap::body_kind::multipart) {
      if (b.extension_fields >= 1) params(b.params);
    } else if (b.extension_fields >= 1) {
      b.md5 = nstr();
    }
    if (b.extension_fields >= 2) {
      b.disposition = nstr();
      if (b.disposition) params(b.disposition_params);
    }
    if (b.extension_fields >= 3) {
      b.language_list = coin();
      const std::size_t n = b.language_list ? 1 + pick(3) : pick(2);
      for (std::size_t i = 0; i < n; ++i) b.language.push_back(str());
    }
    if (b.extension_fields >= 4) {
      b.location = nstr();
      b.extensions.resize(pick(3));
      for (auto& e : b.extensions) extension(e, 0);
    }
  }

  std::optional<imap::literal_body> content(bool binary) {
    if (pick(4) == 0) return std::nullopt;
    imap::literal_body b;
    if (binary && coin()) {
      pool_.push_back(std::string("bin\0ary\r\n", 9));
      b.data = pool_.back();
      b.binary = true;
    } else {
      b.data = str();
    }
    b.size = b.data.size();
    return b;
  }

  void section(imap::section& s, bool binary) {
    const std::size_t parts = pick(4);
    for (std::size_t i = 0; i < parts; ++i) s.part.push_back(1 + static_cast<std::uint32_t>(pick(30)));
    if (binary) return;
    s.text = static_cast<imap::section_text>(pick(6));
    if (s.text == imap::section_text::mime && s.part.empty()) s.text = imap::section_text::text;
    if (s.text == imap::section_text::header_fields || s.text == imap::section_text::header_fields_not) {
      const std::size_t n = 1 + pick(3);
      for (std::size_t i = 0; i < n; ++i) s.fields.push_back(str());
    }
  }

  void item(imap::fetch_item& it) {
    using k = imap::fetch_item_kind;
    it.kind = static_cast<k>(pick(static_cast<std::size_t>(k::other) + 1));
    switch (it.kind) {
      case k::flags:
        for (std::size_t i = pick(4); i > 0; --i) it.flags.push_back(fetch_flag());
        break;
      case k::uid: it.number = 1 + rng_() % 0xFFFFFFFEu; break;
      case k::internaldate: it.date = date_time(); break;
      case k::savedate:
        if (coin()) it.date = date_time();
        break;
      case k::rfc822_size:
      case k::modseq: it.number = (std::uint64_t{rng_()} << 31) ^ rng_(); break;
      case k::envelope: envelope(it.env); break;
      case k::body: body(it.body, 0, false); break;
      case k::bodystructure: body(it.body, 0, true); break;
      case k::body_section:
      case k::binary:
        section(it.sect, it.kind == k::binary);
        if (coin()) it.origin = static_cast<std::uint32_t>(rng_());
        it.content = content(it.kind == k::binary);
        break;
      case k::binary_size:
        section(it.sect, true);
        it.number = rng_();
        break;
      case k::rfc822:
      case k::rfc822_header:
      case k::rfc822_text: it.content = content(false); break;
      case k::emailid: it.text = std::string_view("M6d99ac3275bb4e"); break;
      case k::threadid:
        if (coin()) it.text = std::string_view("T-_9");
        break;
      case k::preview: it.text = nstr(); break;
      case k::other:
        it.name = coin() ? std::string_view("X-GM-LABELS") : std::string_view("ANNOTATION");
        it.raw = coin() ? std::string_view("(\"\\\\Inbox\" (a b) {3}\r\nx y NIL 12)") : std::string_view("12345");
        break;
    }
  }

 private:
  std::mt19937 rng_;
  std::deque<std::string> pool_;
};

}  // namespace

TEST_CASE("imap fetch: parse(write(x)) == x over generated fetch data", "[imap][fetch][roundtrip]") {
  std::string scratch;
  imap::fetch_data back;  // reused across all iterations, as a client would
  std::size_t bytes = 0;
  for (std::uint32_t seed = 1; seed <= 1500; ++seed) {
    generator g(seed);
    imap::fetch_data d;
    d.items.resize(1 + g.pick(6));
    for (auto& it : d.items) g.item(it);
    imap::wire w;
    REQUIRE(imap::write_fetch_items(w, d, server_peer()) == errc::ok);
    INFO("seed " << seed << ": " << w.bytes);
    REQUIRE(w.breaks.empty());
    REQUIRE(imap::parse_fetch_items(w.bytes, back, scratch) == errc::ok);
    CHECK(back.items == d.items);
    bytes += w.bytes.size();
  }
  CHECK(bytes > 100000);
}
