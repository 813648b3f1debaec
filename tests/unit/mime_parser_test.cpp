// The MIME push parser: mime4j's and MIME-tools' test messages (structure
// and decoded bodies), every message at every split point, RFC 2046
// boundary rules, each diagnostic, and each limit just under and just over.
#include <mailwire/core/hash.hpp>
#include <mailwire/mime/parser.hpp>
#include <mailwire/mime/tree.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "catch.hpp"
#include "grind.hpp"
#include "mime_events.hpp"

namespace {

namespace mime = mailwire::mime;
using mailwire::errc;
using mailwire_test::mime_log;
using namespace std::string_literals;

std::string slurp(const std::filesystem::path& f) {
  std::ifstream in(f, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// -- mime4j's XML rendering ---------------------------------------------------

// Renders events the way mime4j's tests print a message (tags end in CRLF,
// content is raw, < > & escaped; the line break before a boundary belongs
// to the boundary). With `decoded`, leaf bodies are not printed but
// collected, as mime4j's *_decoded.xml names them in files.
class xml_renderer {
 public:
  explicit xml_renderer(bool decoded) : decoded_(decoded) {}

  void on(const mime::event& e) {
    using T = mime::event_type;
    const int kind = e.type == T::body ? 1 : e.type == T::preamble ? 2 : e.type == T::epilogue ? 3 : 0;
    if (e.type == T::diagnostic) return;
    if (kind != text_kind_) flush();
    switch (e.type) {
      case T::header:
        open_entity(*e.entity);
        out_ += "<field>\r\n";
        escape(e.field.raw);
        out_ += "</field>\r\n";
        break;
      case T::part_begin:
        open_entity(*e.entity);
        out_ += "</header>\r\n";
        header_open_ = false;
        kinds_.push_back(e.entity->kind);
        if (e.entity->kind == mime::part_kind::multipart) out_ += "<multipart>\r\n";
        if (e.entity->kind == mime::part_kind::leaf) {
          text_kind_ = 1;  // an empty body is printed too
          bodies_.emplace_back();
        }
        break;
      case T::part_end:
        kinds_.pop_back();
        if (e.entity->kind == mime::part_kind::multipart) out_ += "</multipart>\r\n";
        out_ += is_message(*e.entity) ? "</message>\r\n" : "</body-part>\r\n";
        break;
      default:
        text_kind_ = kind;
        text_.append(e.data);
        if (kind == 1) bodies_.back().append(e.data);
        break;
    }
  }

  std::string xml() {
    flush();
    return out_;
  }
  /// Leaf bodies in order (decoded or raw, as the parser gave them).
  const std::vector<std::string>& bodies() const { return bodies_; }

 private:
  bool is_message(const mime::part& p) const {
    return p.depth == 0 || (!kinds_.empty() && kinds_.back() == mime::part_kind::message);
  }
  void open_entity(const mime::part& p) {
    if (header_open_) return;
    out_ += is_message(p) ? "<message>\r\n<header>\r\n" : "<body-part>\r\n<header>\r\n";
    header_open_ = true;
  }
  void escape(std::string_view s) {
    for (char c : s) {
      if (c == '<') {
        out_ += "&lt;";
      } else if (c == '>') {
        out_ += "&gt;";
      } else if (c == '&') {
        out_ += "&amp;";
      } else {
        out_ += c;
      }
    }
  }
  void flush() {
    if (text_kind_ == 0) return;
    static const char* const tags[] = {"", "body", "preamble", "epilogue"};
    const std::string tag = tags[text_kind_];
    if (text_kind_ == 1 && decoded_) {
      out_ += "<body/>\r\n";
    } else {
      out_ += "<" + tag + ">\r\n";
      escape(text_);
      out_ += "</" + tag + ">\r\n";
    }
    text_.clear();
    text_kind_ = 0;
  }

  bool decoded_;
  std::string out_;
  std::string text_;
  int text_kind_ = 0;
  bool header_open_ = false;
  std::vector<mime::part_kind> kinds_;
  std::vector<std::string> bodies_;
};

struct rendered {
  std::string xml;
  std::vector<std::string> bodies;
};

rendered render(std::string_view message, bool decode) {
  mime::parser_options o;
  o.decode = decode;
  mime::parser p(o);
  xml_renderer r(decode);
  const std::vector<std::string_view> whole{message};
  mailwire_test::drive_parser(p, whole, [&](const mime::event& e) { r.on(e); });
  return {r.xml(), r.bodies()};
}

const std::filesystem::path corpus = std::filesystem::path(MAILWIRE_VECTORS_DIR) / "mime" / "mime4j";

std::vector<std::filesystem::path> corpus_messages() {
  std::vector<std::filesystem::path> all;
  for (const char* dir : {"testmsgs", "mimetools-testmsgs"}) {
    for (const auto& f : std::filesystem::directory_iterator(corpus / dir)) {
      if (f.path().extension() == ".msg") all.push_back(f.path());
    }
  }
  std::sort(all.begin(), all.end());
  return all;
}

// Messages where our reading differs from mime4j's on purpose; the test
// holds our rendering (mime4j/ours/, written by the hidden test case
// "[.generate]" below and reviewed), and mime4j/ours/README.md says why.
const char* const deviations[] = {
    // mime4j drops header lines that are not fields and goes on with the
    // header; we end the header block there (RFC 5322 2.2, Python, GMime),
    // so nothing is lost and the line is flagged.
    "testmsgs/basic-plain-with-bad-header-separator",
    "testmsgs/malformedHeader-nocrlfcrlf",
    "testmsgs/malformedHeader-noheader",
    "testmsgs/obsolete",
    "mimetools-testmsgs/hdr-fakeout",
    // mime4j's "header line starts the body" mode loses the line after it.
    "testmsgs/malformedHeaderStartsBody-nocrlfcrlf",
    "testmsgs/malformedHeaderStartsBody-noheader",
    // message/rfc822 with a base64 Content-Transfer-Encoding (RFC 2045 6.4
    // forbids it): mime4j decodes and parses it; we deliver it decoded as a
    // leaf, flagged (the caller may parse the decoded bytes).
    "testmsgs/bad-newlines-multiple-parts-base64",
    "testmsgs/base64encoded-rfc822message",
    "testmsgs/base64encoded-rfc822message-nested",
    "mimetools-testmsgs/multi-2gifs-base64",
    // "--boundary text": mime4j takes it for a boundary; RFC 2046 5.1.1,
    // Python and GMime allow only white space after the boundary.
    "testmsgs/ending-boundaries",
};

bool is_deviation(const std::filesystem::path& msg) {
  const std::string name = msg.parent_path().filename().string() + "/" + msg.stem().string();
  return std::find(std::begin(deviations), std::end(deviations), name) != std::end(deviations);
}

std::filesystem::path ours_xml(const std::filesystem::path& msg) {
  return corpus / "ours" / (msg.parent_path().filename().string() + "-" + msg.stem().string() + ".xml");
}

std::string expected_xml(const std::filesystem::path& msg) {
  if (is_deviation(msg)) return slurp(ours_xml(msg));
  std::filesystem::path xml = msg;
  return slurp(xml.replace_extension(".xml"));
}

// mime4j's files end with or without the CRLF after </message>. In LF-only
// messages mime4j keeps the LF that ends a close boundary line as an
// epilogue (but not a CRLF); the line break is part of the boundary line.
bool same_xml(std::string got, std::string want, bool lf_only) {
  if (!want.empty() && want.back() != '\n' && got.size() >= 2) got.resize(got.size() - 2);
  if (got == want) return true;
  const std::string lf_epilogue = "<epilogue>\r\n\n</epilogue>\r\n";
  std::size_t at = 0;
  while (lf_only && (at = want.find(lf_epilogue, at)) != std::string::npos) want.erase(at, lf_epilogue.size());
  return got == want;
}

TEST_CASE("write our XML for the listed deviations", "[.generate]") {
  std::filesystem::create_directories(corpus / "ours");
  for (const auto& msg : corpus_messages()) {
    if (!is_deviation(msg)) continue;
    std::ofstream(ours_xml(msg), std::ios::binary) << render(slurp(msg), false).xml;
  }
}

TEST_CASE("mime4j and MIME-tools messages: structure", "[mime][parser][corpus]") {
  const auto messages = corpus_messages();
  REQUIRE(messages.size() == 80);
  for (const auto& msg : messages) {
    INFO(msg.string());
    const std::string in = slurp(msg);
    const rendered r = render(in, false);
    const std::string want = expected_xml(msg);
    REQUIRE(!want.empty());
    CHECK(same_xml(r.xml, want, in.find('\r') == std::string::npos));
  }
}

// The names of the files mime4j wrote the decoded leaf bodies to, in order.
std::vector<std::string> decoded_body_files(const std::string& decoded_xml) {
  std::vector<std::string> names;
  std::size_t at = 0;
  while ((at = decoded_xml.find("-body name=\"", at)) != std::string::npos) {
    at += 12;
    names.push_back(decoded_xml.substr(at, decoded_xml.find('"', at) - at));
  }
  return names;
}

TEST_CASE("mime4j and MIME-tools messages: decoded bodies", "[mime][parser][corpus]") {
  std::size_t compared = 0;
  for (const auto& msg : corpus_messages()) {
    INFO(msg.string());
    std::filesystem::path decoded_xml = msg;
    decoded_xml.replace_filename(msg.stem().string() + "_decoded.xml");
    if (is_deviation(msg)) continue;  // the structure differs on purpose
    const auto files = decoded_body_files(slurp(decoded_xml));
    const std::string in = slurp(msg);
    const rendered r = render(in, true);
    REQUIRE(files.size() == r.bodies.size());
    for (std::size_t i = 0; i < files.size(); ++i) {
      INFO(files[i]);
      std::string want = slurp(msg.parent_path() / files[i]);
      if (files[i] == "frag_decoded_1_2_1_2_1_2_1_2.bin" || files[i] == "multi-frag_decoded_1_3_2.bin") {
        // The message is cut inside a base64 quantum: we keep the whole
        // bytes of the last partial quantum (and flag base64_truncated).
        CHECK(r.bodies[i].substr(0, want.size()) == want);
        CHECK(r.bodies[i].size() > want.size());
        CHECK(r.bodies[i].size() <= want.size() + 2);
        continue;
      }
      if (r.bodies[i] != want && in.find('\r') == std::string::npos) {
        // mime4j writes QP hard line breaks as CRLF (the canonical form of
        // RFC 2045 6.7 rule 4); we keep the line break the message has.
        std::size_t at = 0;
        while ((at = want.find("\r\n", at)) != std::string::npos) want.erase(at, 1);
      }
      CHECK(r.bodies[i] == want);
      ++compared;
    }
  }
  CHECK(compared > 100);
}

// Splits for long messages: everywhere in the first and last 300 bytes,
// every 211th byte between, byte by byte, and a few odd chunk sizes.
std::vector<mailwire_test::chunks> long_chunkings(std::string_view in) {
  std::vector<mailwire_test::chunks> all;
  all.push_back({in});
  for (std::size_t i = 0; i <= in.size(); ++i) {
    if (i < 300 || in.size() - i < 300 || i % 211 == 0) all.push_back({in.substr(0, i), in.substr(i)});
  }
  for (std::size_t step : {1u, 2u, 3u, 7u, 64u, 4093u}) {
    mailwire_test::chunks c;
    for (std::size_t i = 0; i < in.size(); i += step) c.push_back(in.substr(i, step));
    all.push_back(c);
  }
  return all;
}

TEST_CASE("mime4j, MIME-tools and mail-parser messages: same events at every split",
          "[mime][parser][corpus][grind]") {
  auto messages = corpus_messages();
  for (const char* dir : {"rfc", "thirdparty", "malformed"}) {
    for (const auto& f : std::filesystem::directory_iterator(corpus.parent_path() / "mail-parser" / dir)) {
      if (f.path().extension() == ".eml") messages.push_back(f.path());
    }
  }
  REQUIRE(messages.size() == 80 + 53);
  for (const auto& msg : messages) {
    INFO(msg.string());
    const std::string in = slurp(msg);
    for (bool decode : {true, false}) {
      mime::parser_options o;
      o.decode = decode;
      const auto run = [&](const mailwire_test::chunks& c) { return mime_log(c, o); };
      if (in.size() <= 1500) {
        mailwire_test::grind(in, run, 0);
        continue;
      }
      const auto all = long_chunkings(in);
      const std::string whole = run(all.front());
      for (std::size_t i = 1; i < all.size(); ++i) {
        const std::string log = run(all[i]);
        if (log != whole) {
          INFO(mailwire_test::describe(all[i]));
          REQUIRE(log == whole);
        }
      }
    }
  }
}

// -- hand-written messages ------------------------------------------------

// The log of `in`, after checking that every split gives the same one.
std::string log_of(std::string_view in, const mime::parser_options& o = {}) {
  return mailwire_test::grind(in, [&](const mailwire_test::chunks& c) { return mime_log(c, o); }, 40);
}

bool has(const std::string& log, std::string_view what) { return log.find(what) != std::string::npos; }

TEST_CASE("a single-part message: headers, part_begin, body, part_end", "[mime][parser]") {
  const std::string log = log_of("Subject: hi\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello\r\n");
  CHECK(log ==
        "H 0 \"Subject: hi\" @0-13\n"
        "H 0 \"Content-Type: text/plain; charset=utf-8\" @13-54\n"
        "B 0 parent=4294967295 depth=0 text/plain kind=0 enc=0 @0 body@56\n"
        "D 0 \"Hello\\r\\n\"\n"
        "/ 0 end=63 size=7\n");
}

TEST_CASE("LF-only input is read like CRLF input", "[mime][parser]") {
  const std::string log = log_of(
      "Content-Type: multipart/mixed; boundary=b\n\npre\n--b\n\none\n--b\nContent-Type: text/html\n\n<p>\n--b--\npost\n");
  CHECK(log ==
        "H 0 \"Content-Type: multipart/mixed; boundary=b\" @0-42\n"
        "B 0 parent=4294967295 depth=0 multipart/mixed kind=1 enc=0 @0 body@43\n"
        "P 0 @43 \"pre\"\n"
        "B 1 parent=0 depth=1 text/plain kind=0 enc=0 @51 body@52\n"
        "D 1 \"one\"\n"
        "/ 1 end=55 size=3\n"
        "H 2 \"Content-Type: text/html\" @60-84\n"
        "B 2 parent=0 depth=1 text/html kind=0 enc=0 @60 body@85\n"
        "D 2 \"<p>\"\n"
        "/ 2 end=88 size=3\n"
        "E 0 @95 \"post\\n\"\n"
        "/ 0 end=100 size=0 closed\n");
}

TEST_CASE("boundary lines: padding allowed, anything else is body", "[mime][parser]") {
  const std::string head = "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n";
  // RFC 2046 5.1.1: spaces and tabs may follow the boundary (and the "--").
  std::string log = log_of(head + "--b \t\r\n\r\nx\r\n--b-- \r\n");
  CHECK(has(log, "D 1 \"x\"\n"));
  CHECK(has(log, "closed"));
  // Lines that only start with the boundary are body text.
  log = log_of(head + "--b\r\n\r\n--bx\r\n--b-x\r\n--b garbage\r\n-- b\r\n--b--\r\n");
  CHECK(has(log, "D 1 \"--bx\\r\\n--b-x\\r\\n--b garbage\\r\\n-- b\"\n"));
  // The line break before a boundary belongs to it: an empty line before
  // the boundary leaves one line break in the body.
  log = log_of(head + "--b\r\n\r\nx\r\n\r\n--b--\r\n");
  CHECK(has(log, "D 1 \"x\\r\\n\"\n"));
  // The close boundary at the very end, without a line break.
  log = log_of(head + "--b\r\n\r\nx\r\n--b--");
  CHECK(has(log, "/ 0 end=62 size=0 closed\n"));
}

TEST_CASE("an outer boundary ends the inner multipart", "[mime][parser]") {
  const std::string log = log_of(
      "Content-Type: multipart/mixed; boundary=outer\r\n\r\n"
      "--outer\r\nContent-Type: multipart/alternative; boundary=inner\r\n\r\n"
      "--inner\r\n\r\ntext\r\n"
      "--outer\r\n\r\nsecond\r\n--outer--\r\n");
  CHECK(has(log, "D 2 "));
  CHECK(has(log, "! mime_missing_close_boundary @"));
  CHECK(has(log, "D 3 "));
  CHECK(has(log, "\"second\""));
}

TEST_CASE("message/rfc822 parts are parsed, digests default to them", "[mime][parser]") {
  std::string log = log_of(
      "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
      "--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\nbody\r\n--b--\r\n");
  CHECK(has(log, "B 1 parent=0 depth=1 message/rfc822 kind=2"));
  CHECK(has(log, "H 2 \"Subject: inner\""));
  CHECK(has(log, "B 2 parent=1 depth=2 text/plain kind=0"));
  CHECK(has(log, "D 2 "));
  log = log_of("Content-Type: multipart/digest; boundary=b\r\n\r\n--b\r\n\r\nSubject: x\r\n\r\ny\r\n--b--\r\n");
  CHECK(has(log, "B 1 parent=0 depth=1 message/rfc822 kind=2"));
  CHECK(has(log, "H 2 \"Subject: x\""));
}

TEST_CASE("bodies are transfer-decoded unless raw is asked for", "[mime][parser]") {
  const std::string msg =
      "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
      "--b\r\nContent-Transfer-Encoding: base64\r\n\r\naGVs\r\nbG8=\r\n"
      "--b\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\na=3Db=\r\nc\r\n--b--\r\n";
  std::string log = log_of(msg);
  CHECK(has(log, "\"hello\""));
  CHECK(has(log, "\"a=bc\""));
  mime::parser_options raw;
  raw.decode = false;
  log = log_of(msg, raw);
  CHECK(has(log, "\"aGVs\\r\\nbG8=\""));
  CHECK(has(log, "\"a=3Db=\\r\\nc\""));
}

TEST_CASE("diagnostics: header syntax", "[mime][parser]") {
  // A line without a colon ends the header block and starts the body.
  std::string log = log_of("Subject: a\r\nnot a field\r\nX: y\r\n\r\nbody\r\n");
  CHECK(has(log, "! mime_header_without_colon @12\n"));
  CHECK(has(log, "D 0 \"not a field\\r\\nX: y\\r\\n\\r\\nbody\\r\\n\""));
  // Obsolete white space before the colon is a field.
  log = log_of("Subject : a\r\n\r\n");
  CHECK(has(log, "H 0 \"Subject : a\""));
  // A folded line before any field.
  log = log_of(" folded\r\nSubject: a\r\n\r\n");
  CHECK(has(log, "! mime_continuation_without_field @0\n"));
  CHECK(has(log, "H 0 \"Subject: a\" @9-21\n"));
  // NUL, bare CR, 8-bit bytes that are not UTF-8; UTF-8 is fine (RFC 6532).
  log = log_of("A: x\0y\r\nB: a\rb\r\nC: \xE9t\xE9\r\nD: \xC3\xA9t\xC3\xA9\r\n\r\n"s);
  CHECK(has(log, "! nul_byte @4\n"));
  CHECK(has(log, "! bare_cr @12\n"));
  CHECK(has(log, "! mime_8bit_header @19\n"));
  CHECK(!has(log, "@28\n"));
  // An mbox "From " line at the start is skipped.
  log = log_of("From someone Sat Jan  1 00:00:00 2000\r\nSubject: a\r\n\r\nx");
  CHECK(has(log, "! mime_mbox_from_line @0\n"));
  CHECK(has(log, "H 0 \"Subject: a\" @39-51\n"));
  // The first Content-Type wins.
  log = log_of("Content-Type: text/html\r\nContent-Type: text/plain\r\n\r\n");
  CHECK(has(log, "! mime_duplicate_field @25\n"));
  CHECK(has(log, " text/html kind=0"));
}

TEST_CASE("issue 17: a byte order mark before the header is skipped", "[mime][parser]") {
  // Before: the whole message was a header-less text/plain body.
  std::string log = log_of("\xEF\xBB\xBF" "From: a@b\r\nSubject: s\r\n\r\nbody\r\n");
  CHECK(has(log, "! mime_bom_skipped @0\n"));
  CHECK(has(log, "H 0 \"From: a@b\" @3-14\n"));
  CHECK(has(log, "H 0 \"Subject: s\" @14-26\n"));
  CHECK(has(log, "D 0 \"body\\r\\n\"\n"));
  // A BOM and then an mbox separator; a message that is only part of a BOM.
  log = log_of("\xEF\xBB\xBF" "From x Sat Jan  1 00:00:00 2000\r\nSubject: s\r\n\r\n");
  CHECK(has(log, "! mime_bom_skipped @0\n"));
  CHECK(has(log, "! mime_mbox_from_line @3\n"));
  CHECK(has(log, "H 0 \"Subject: s\" @36-48\n"));
  log = log_of("\xEF\xBB");
  CHECK(!has(log, "mime_bom_skipped"));
  CHECK(has(log, "D 0 \"\\xEF\\xBB\"\n"));
  // Only at the very start: not inside a part, not after a field.
  log = log_of("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\xEF\xBB\xBFX: y\r\n\r\nz\r\n--b--\r\n");
  CHECK(!has(log, "mime_bom_skipped"));
  CHECK(has(log, "! mime_header_without_colon @"));
}

TEST_CASE("issue 17: an attached message's >From line is an mbox artefact", "[mime][parser]") {
  const std::string head = "Content-Type: message/rfc822\r\n\r\n";
  // Before: the line ended the inner header, Subject and From were body.
  std::string log = log_of(head + ">From bob@x Sat Jan  1 00:00:00 2000\r\nSubject: inner\r\nFrom: bob@x\r\n\r\nhi\r\n");
  CHECK(has(log, "! mime_mbox_from_line @32\n"));
  CHECK(has(log, "H 1 \"Subject: inner\""));
  CHECK(has(log, "H 1 \"From: bob@x\""));
  log = log_of(head + "From bob@x Sat Jan  1 00:00:00 2000\r\nSubject: inner\r\n\r\nhi\r\n");
  CHECK(has(log, "H 1 \"Subject: inner\""));
  // Only on the first line of the attached message; and at the top level
  // only "From " is a separator.
  log = log_of(head + "Subject: inner\r\n>From x\r\n\r\nhi\r\n");
  CHECK(has(log, "! mime_header_without_colon @"));
  log = log_of(">From x\r\nSubject: a\r\n\r\n");
  CHECK(has(log, "! mime_header_without_colon @0\n"));
  CHECK(!has(log, "H 0"));
}

TEST_CASE("issue 17: allow_header_without_colon reads on when a field follows", "[mime][parser]") {
  const std::string msg =
      "Subject: a\r\nThread-Topic continued\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n"
      "--b\r\nContent-Type: text/plain\r\n\r\nplain\r\n--b--\r\n";
  // Strict by default: the line ends the header, the message is one text leaf.
  std::string log = log_of(msg);
  CHECK(has(log, "! mime_header_without_colon @12\n"));
  CHECK(has(log, "B 0 parent=4294967295 depth=0 text/plain kind=0"));
  mime::parser_options lenient;
  lenient.allow_header_without_colon = true;
  log = log_of(msg, lenient);
  CHECK(has(log, "! mime_header_without_colon @12\n"));
  CHECK(has(log, "B 0 parent=4294967295 depth=0 multipart/alternative kind=1"));
  CHECK(has(log, "D 1 \"plain\"\n"));
  // Not when the next line is no field (a blank line, a fold, the end, body
  // text), nor before the first field: then the strict reading holds.
  for (const char* rest : {"\r\n\r\nbody", "\r\n folded: x\r\n\r\n", "", "\r\nmore text\r\n"}) {
    INFO(rest);
    log = log_of(std::string("Subject: a\r\nno colon") + rest, lenient);
    CHECK(has(log, "! mime_header_without_colon @12\n"));
    CHECK(has(log, "D 0 \"no colon"));
  }
  log = log_of("no colon\r\nSubject: a\r\n\r\n", lenient);
  CHECK(has(log, "D 0 \"no colon\\r\\nSubject: a"));
  // A line that may be a boundary is never skipped (mail-parser's
  // malformed/007: the inner multipart's first boundary).
  log = log_of("Content-Type: multipart/mixed; boundary=b\r\n--b\r\nX: y\r\n\r\nz\r\n--b--\r\n", lenient);
  CHECK(has(log, "B 1 parent=0 depth=1 text/plain"));
  // Inside a part too.
  log = log_of("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nX: 1\r\njunk\r\nContent-Type: text/html\r\n\r\n<p>\r\n--b--\r\n",
               lenient);
  CHECK(has(log, "B 1 parent=0 depth=1 text/html"));
}

TEST_CASE("diagnostics: multipart structure", "[mime][parser]") {
  std::string log = log_of("Content-Type: multipart/mixed\r\n\r\n--b\r\n");
  CHECK(has(log, "! mime_missing_boundary @0\n"));
  CHECK(has(log, "multipart/mixed kind=0"));
  log = log_of("Content-Type: multipart/mixed; boundary=b\r\n\r\nno parts at all\r\n");
  CHECK(has(log, "P 0 @45 \"no parts at all\\r\\n\"\n! mime_boundary_not_found @62\n"));
  log = log_of("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nunfinished\r\n");
  CHECK(has(log, "! mime_missing_close_boundary @"));
  log = log_of("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n--b--\r\n");
  CHECK(has(log, "! mime_truncated @"));
  log = log_of("Content-Type: multipart/mixed; boundary=b\r\nContent-Transfer-Encoding: base64\r\n\r\n--b--\r\n");
  CHECK(has(log, "! mime_encoded_multipart @0\n"));
  log = log_of("Content-Transfer-Encoding: x-rot13\r\n\r\nabc");
  CHECK(has(log, "! unknown_transfer_encoding @"));
  CHECK(has(log, "\"abc\""));
}

TEST_CASE("diagnostics: every NUL and bare CR of a long field, past the vector widths", "[mime][parser][simd]") {
  // The check scans for NUL and CR with the shared scan (core/scan.hpp):
  // each one is still reported, where it is, in kernels and tails alike.
  std::string field = "X-Long: " + std::string(140, 'v');
  for (const std::size_t at : {15u, 16u, 31u, 63u, 64u, 100u, 146u}) field[at] = '\0';
  for (const std::size_t at : {20u, 70u, 129u}) field[at] = '\r';
  field[130] = '\n';  // a CR before LF is no bare CR: the fold's, but only with white space next
  field[131] = ' ';
  std::string log = log_of(field + "\r\n\r\n");
  for (const char* want : {"! nul_byte @15\n", "! nul_byte @16\n", "! nul_byte @31\n", "! nul_byte @63\n",
                           "! nul_byte @64\n", "! nul_byte @100\n", "! nul_byte @146\n", "! bare_cr @20\n",
                           "! bare_cr @70\n"}) {
    CHECK(has(log, want));
  }
  CHECK(!has(log, "bare_cr @129"));
  CHECK(!has(log, "bare_cr @148"));
}

TEST_CASE("diagnostics: NUL and bare CR in a body, once per part, not in binary", "[mime][parser]") {
  std::string log = log_of("\r\na\0b\0c\rd\re\r\n"s);
  CHECK(has(log, "! nul_byte @3\n"));
  CHECK(has(log, "! bare_cr @7\n"));
  CHECK(!has(log, "@5\n"));
  log = log_of("Content-Transfer-Encoding: binary\r\n\r\na\0b\rc"s);
  CHECK(!has(log, "! "));
}

// -- limits, just under and just over ------------------------------------

TEST_CASE("limit: max_field", "[mime][parser][limits]") {
  mime::parser_options o;
  o.max_field = 40;
  const std::string just = "Subject: " + std::string(29, 'x') + "\r\n";  // 40 bytes
  REQUIRE(just.size() == 40);
  std::string log = log_of(just + "\r\nbody", o);
  CHECK(!has(log, "mime_header_too_long"));
  log = log_of("Subject: " + std::string(30, 'x') + "\r\n folded\r\nX: y\r\n\r\nbody", o);
  CHECK(has(log, "! mime_header_too_long @0\n"));
  CHECK(has(log, "H 0 \"Subject: " + std::string(30, 'x') + "\\r\" @0-40\n"));
  CHECK(has(log, "H 0 \"X: y\""));  // the rest of the field was skipped
  CHECK(has(log, "\"body\""));
  // A folded field over the limit is cut at its limit too.
  log = log_of("Subject: a\r\n " + std::string(40, 'y') + "\r\n\r\n", o);
  CHECK(has(log, "! mime_header_too_long @0\n"));
}

TEST_CASE("limit: max_fields", "[mime][parser][limits]") {
  mime::parser_options o;
  o.max_fields = 3;
  std::string log = log_of("A: 1\r\nB: 2\r\nContent-Type: text/html\r\n\r\n", o);
  CHECK(!has(log, "mime_too_many_fields"));
  CHECK(has(log, "text/html"));
  log = log_of("A: 1\r\nB: 2\r\nC: 3\r\nContent-Type: text/html\r\nE: 5\r\n\r\n", o);
  CHECK(has(log, "! mime_too_many_fields @18\n"));
  CHECK(!has(log, "H 0 \"E: 5\""));
  CHECK(has(log, "text/html"));  // fields past the limit are still read
}

std::string nested(std::size_t levels) {
  std::string m;
  for (std::size_t i = 0; i < levels; ++i) {
    m += "Content-Type: multipart/mixed; boundary=b" + std::to_string(i) + "\r\n\r\n--b" + std::to_string(i) + "\r\n";
  }
  return m + "\r\nleaf\r\n";
}

TEST_CASE("limit: max_depth", "[mime][parser][limits]") {
  mime::parser_options o;
  o.max_depth = 3;
  std::string log = log_of(nested(3), o);  // depths 0..2 are multiparts
  CHECK(!has(log, "mime_depth_exceeded"));
  CHECK(has(log, "B 3 parent=2 depth=3 text/plain kind=0"));
  log = log_of(nested(4), o);
  CHECK(has(log, "! mime_depth_exceeded @"));
  CHECK(has(log, "B 3 parent=2 depth=3 multipart/mixed kind=0"));  // read as a leaf
}

TEST_CASE("limit: max_parts", "[mime][parser][limits]") {
  mime::parser_options o;
  o.max_parts = 3;
  const std::string head = "Content-Type: multipart/mixed; boundary=b\r\n\r\n";
  std::string log = log_of(head + "--b\r\n\r\n1\r\n--b\r\n\r\n2\r\n--b--\r\nepi", o);
  CHECK(!has(log, "mime_too_many_parts"));
  log = log_of(head + "--b\r\n\r\n1\r\n--b\r\n\r\n2\r\n--b\r\n\r\n3\r\n--b\r\n\r\n4\r\n--b--\r\nepi", o);
  CHECK(has(log, "! mime_too_many_parts @"));
  CHECK(!has(log, "\"3\""));
  CHECK(!has(log, "\"4\""));
  CHECK(has(log, "E 0 @"));  // the epilogue after the skipped parts
}

TEST_CASE("limit: max_boundary", "[mime][parser][limits]") {
  mime::parser_options o;
  o.max_boundary = 80;
  const auto msg = [](std::size_t n) {
    const std::string b(n, 'q');
    return "Content-Type: multipart/mixed; boundary=" + b + "\r\n\r\n--" + b + "\r\n\r\nx\r\n--" + b + "--\r\n";
  };
  std::string log = log_of(msg(70), o);
  CHECK(!has(log, "mime_boundary_too_long"));
  log = log_of(msg(71), o);  // over RFC 2046's 70: used, and flagged
  CHECK(has(log, "! mime_boundary_too_long @0\n"));
  CHECK(has(log, "kind=1"));
  log = log_of(msg(80), o);
  CHECK(has(log, "kind=1"));
  log = log_of(msg(81), o);  // over max_boundary: a leaf
  CHECK(!has(log, "kind=1"));
}

TEST_CASE("a 3 MB body line without a break streams through whole", "[mime][parser][limits]") {
  // A 3 MB body line with no line break, fed in 4 KiB pieces: the parser
  // takes everything and delivers it.
  mime::parser p;
  std::string chunk(4096, 'z');
  std::uint64_t delivered = 0;
  REQUIRE(p.feed("Subject: x\r\n\r\n") == 14);
  for (int i = 0; i < 768; ++i) {
    std::string_view c = chunk;
    while (!c.empty()) {
      const std::size_t n = p.feed(c);
      c.remove_prefix(n);
      for (auto e = p.next(); e.type != mime::event_type::need_more; e = p.next()) {
        if (e.type == mime::event_type::body) delivered += e.data.size();
      }
      REQUIRE((n > 0 || !c.empty()));
    }
  }
  p.finish();
  for (auto e = p.next(); e.type != mime::event_type::end; e = p.next()) {
    if (e.type == mime::event_type::body) delivered += e.data.size();
  }
  CHECK(delivered == 768u * 4096u);
}

}  // namespace

// -- uuencoded files inside text parts (tree.hpp) ------------------------------

namespace {

std::string sha256_hex(std::string_view data) { return mailwire::detail::to_hex(mailwire::detail::sha256::hash(data)); }

TEST_CASE("uuencoded files inside a text part", "[mime][tree]") {
  // MIME-tools' uu-zeegee: two GIFs uuencoded in a plain text body. The
  // digests are those of Python's binascii.a2b_uu over the same lines.
  const std::string m = slurp(corpus / "mimetools-testmsgs" / "uu-zeegee.msg");
  const mime::tree t = mime::parse_tree(m);
  mime::diagnostics d;
  const auto files = t.uuencoded(t.root(), &d);
  REQUIRE(files.size() == 2);
  CHECK(d.empty());
  CHECK(files[0].name == "up.gif");
  CHECK(files[0].mode == 0644);
  CHECK(files[0].data.size() == 110);
  CHECK(sha256_hex(files[0].data) == "3714b7bf6df15c3f650e224c76228db1ea642944af4301b78ff82d32b09749d1");
  CHECK(files[1].name == "zeegee.gif");
  CHECK(sha256_hex(files[1].data) == "2ecf8cdc2d1a976d54a58ff697465db8296a36ec430e68db8513445a3704f844");
  CHECK(m.compare(files[0].offset, 18, "begin 644 up.gif\r\n") == 0);
  // Not in a non-text part, and nothing in text without a begin line.
  const mime::tree plain = mime::parse_tree("Subject: x\r\n\r\nbegin here\r\nend\r\n");
  CHECK(plain.uuencoded(plain.root()).empty());
}

}  // namespace
