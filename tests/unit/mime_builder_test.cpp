// mime::builder: what it writes reads back through the parser as it was
// built (headers, texts, file names, attachment bytes), at every chunking of
// streamed content, and every line obeys RFC 5322/2045/2047: no line over
// 998 (78 in headers where a space allows), no bare CR or LF, no 8-bit byte
// the transport does not allow, encoded-words of at most 75 characters, no
// boundary inside the content it wraps.
#include <mailwire/mime/builder.hpp>
#include <mailwire/mime/tree.hpp>

#include <random>
#include <string>
#include <vector>

#include "catch.hpp"

namespace mime = mailwire::mime;
using mailwire::errc;

namespace {

const std::string entropy1 = "0123456789abcdef";
const std::string entropy2 = "fedcba9876543210";
const std::string entropy3 = "ABCDEFGHIJKLMNOP";

std::string drain(mime::builder& b) {
  std::string s(b.pending_output());
  b.consume_output(s.size());
  return s;
}

// The invariants every message the builder writes must hold.
void check_lines(const std::string& m, bool eight_bit_allowed) {
  std::size_t start = 0;
  bool in_header = true;
  while (start < m.size()) {
    const std::size_t lf = m.find('\n', start);
    REQUIRE(lf != std::string::npos);  // the message ends with a line break
    REQUIRE(lf > start);
    REQUIRE(m[lf - 1] == '\r');
    const std::string_view line(m.data() + start, lf - 1 - start);
    CHECK(line.find('\r') == std::string_view::npos);
    CHECK(line.size() <= 998);
    if (!eight_bit_allowed) CHECK_FALSE(mailwire::ascii::has_8bit(line));
    if (in_header && line.empty()) in_header = false;
    if (in_header) {
      // Encoded-words at most 75 characters.
      for (std::size_t q = line.find("=?"); q != std::string_view::npos; q = line.find("=?", q + 2)) {
        const std::size_t end = line.find("?=", q + 2);
        if (end == std::string_view::npos) break;
        const std::size_t third = line.find('?', line.find('?', q + 2) + 1);
        if (third == std::string_view::npos || third > end) continue;
        const std::size_t close = line.find("?=", third + 1);
        CHECK(close + 2 - q <= 75);
        q = close;
      }
    }
    start = lf + 1;
  }
}

std::string random_text(std::mt19937& rng, std::size_t words) {
  static const char* const pieces[] = {
      "hello", "Grüße", "日本語", "שלום", "مرحبا", "e\xCC\x81", "😀", "𝄞", "naïve", "=?", "?=", "a_b", "x=y",
      "(paren)", "\"quote\"", "tab\there", "München", "Ελληνικά", "Кириллица", "\xE2\x80\xAE", "ok", "long" };
  std::string s;
  for (std::size_t i = 0; i < words; ++i) {
    if (i != 0) s += ' ';
    s += pieces[rng() % (sizeof pieces / sizeof pieces[0])];
  }
  return s;
}

}  // namespace

TEST_CASE("mime builder: a full message reads back as built", "[mime][builder]") {
  for (const bool eight_bit : {false, true}) {
    mime::builder_options o;
    o.transport.eight_bit = eight_bit;
    mime::builder b(o);
    const std::string subject =
        "Grüße aus München — a subject long enough to fold more than once, with 日本語 and emoji 😀 at the end";
    REQUIRE(b.address_field("From", {{"Zoë Ünïcödé", "zoe@example.org"}}) == errc::ok);
    REQUIRE(b.address_field("To", {{"", "a@example.org"}, {"Bob, \"the\" Builder", "bob@example.org"},
                                   {"Ærlig Ålesund", "c@example.org"}}) == errc::ok);
    REQUIRE(b.field("Subject", subject) == errc::ok);
    REQUIRE(b.date_field({880127706, -360}) == errc::ok);
    std::string id;
    REQUIRE(b.message_id_field(entropy1, "example.org", &id) == errc::ok);
    REQUIRE(b.id_list_field("References", {"a.b@example.org", "c@[127.0.0.1]"}) == errc::ok);
    REQUIRE(b.begin_multipart("mixed", entropy1) == errc::ok);
    REQUIRE(b.begin_multipart("alternative", entropy2) == errc::ok);
    mime::part_header text;
    REQUIRE(b.part(text, "Hello Zoë,\n.leading dot\n--" + std::string(80, 'x') + "\nbye\n") == errc::ok);
    mime::part_header html;
    html.type = "text/html";
    REQUIRE(b.part(html, "<p>Hello</p>\r\n") == errc::ok);
    REQUIRE(b.end() == errc::ok);
    mime::part_header pdf;
    pdf.type = "application/pdf";
    pdf.filename = "Rapport financier — été 2026 (version définitive, très longue pour RFC 2231).pdf";
    pdf.size = 300;
    pdf.modified = mime::timestamp{1700000000, 60};
    std::string bytes;
    for (int i = 0; i < 300; ++i) bytes.push_back(static_cast<char>(i * 7));
    REQUIRE(b.part(pdf, bytes) == errc::ok);
    REQUIRE(b.begin_message() == errc::ok);
    REQUIRE(b.address_field("From", {{"", "inner@example.org"}}) == errc::ok);
    REQUIRE(b.field("Subject", "inner") == errc::ok);
    REQUIRE(b.part(text, "inner body\n") == errc::ok);
    REQUIRE(b.end() == errc::ok);
    REQUIRE_FALSE(b.done());
    REQUIRE(b.end() == errc::ok);
    REQUIRE(b.done());
    const std::string m = drain(b);
    check_lines(m, eight_bit);
    INFO(m);

    const mime::tree t = mime::parse_tree(m);
    CHECK(t.diags.empty());
    const mime::node& root = t.root();
    CHECK(mime::decode_unstructured(root.find("Subject")->value) == subject);
    const auto from = mime::parse_address_list(root.find("From")->value);
    REQUIRE(from.size() == 1);
    CHECK(from[0].name == "Zoë Ünïcödé");
    CHECK(from[0].address == "zoe@example.org");
    const auto to = mime::parse_address_list(root.find("To")->value);
    REQUIRE(to.size() == 3);
    CHECK(to[1].name == "Bob, \"the\" Builder");
    CHECK(to[2].name == "Ærlig Ålesund");
    CHECK(mime::to_iso8601_utc(mime::parse_date(root.find("Date")->value)) == "1997-11-21T15:55:06Z");
    CHECK(std::string(root.find("Date")->value) == " Fri, 21 Nov 1997 09:55:06 -0600");
    CHECK(std::string(root.find("Message-ID")->value) == " <" + id + ">");
    REQUIRE(t.text_body() != nullptr);
    CHECK(t.text(*t.text_body()) == "Hello Zoë,\r\n.leading dot\r\n--" + std::string(80, 'x') + "\r\nbye\r\n");
    REQUIRE(t.html_body() != nullptr);
    CHECK(t.text(*t.html_body()) == "<p>Hello</p>\r\n");
    const auto files = t.attachments();
    REQUIRE(files.size() == 2);
    CHECK(files[0]->filename() == pdf.filename);
    CHECK(t.decoded_body(*files[0]) == bytes);
    CHECK(files[0]->info.disposition.find("size") != nullptr);
    CHECK(files[1]->content_type() == "message/rfc822");
  }
}

TEST_CASE("mime builder: random subjects, names and file names round-trip", "[mime][builder]") {
  std::mt19937 rng(12345);
  for (int round = 0; round < 300; ++round) {
    const std::string subject = random_text(rng, 1 + rng() % 20);
    const std::string name = random_text(rng, 1 + rng() % 5);
    const std::string file = random_text(rng, 1 + rng() % 6) + ".bin";
    for (const bool utf8 : {false, true}) {
      mime::builder_options o;
      o.transport.utf8_headers = utf8;
      o.transport.eight_bit = utf8;
      mime::builder b(o);
      REQUIRE(b.field("Subject", subject) == errc::ok);
      REQUIRE(b.address_field("From", {{name, "x@example.org"}}) == errc::ok);
      mime::part_header h;
      h.type = "application/octet-stream";
      h.filename = file;
      REQUIRE(b.part(h, "data") == errc::ok);
      const std::string m = drain(b);
      check_lines(m, utf8);
      const mime::tree t = mime::parse_tree(m);
      INFO(m);
      // Unfolding removes only CRLF (RFC 5322 2.2.3); a tab inside a word
      // comes back as it went.
      CHECK(mime::decode_unstructured(t.root().find("Subject")->value) == subject);
      const auto from = mime::parse_address_list(t.root().find("From")->value);
      REQUIRE(from.size() == 1);
      CHECK(from[0].name == name);
      CHECK(t.root().filename() == file);
    }
  }
}

TEST_CASE("mime builder: streamed attachments of every size and chunking", "[mime][builder]") {
  std::mt19937 rng(7);
  for (const std::size_t size : {0u, 1u, 2u, 3u, 56u, 57u, 58u, 75u, 76u, 77u, 4095u, 4096u, 4097u, 65537u}) {
    std::string bytes(size, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    for (const std::size_t piece : {1u, 3u, 57u, 1000u, 1u << 20}) {
      if (size > 5000 && piece < 57) continue;
      mime::builder b;
      REQUIRE(b.begin_multipart("mixed", entropy1) == errc::ok);
      mime::part_header h;
      h.type = "image/png";
      h.how = mime::disposition::inline_;
      h.content_id = "img1@example.org";
      REQUIRE(b.begin_part(h) == errc::ok);
      std::string out;
      for (std::size_t at = 0; at < bytes.size(); at += piece) {
        REQUIRE(b.write(std::string_view(bytes).substr(at, piece)) == errc::ok);
        out += drain(b);  // drained as it goes: memory stays one piece
      }
      REQUIRE(b.end() == errc::ok);
      REQUIRE(b.end() == errc::ok);
      out += drain(b);
      check_lines(out, false);
      const mime::tree t = mime::parse_tree(out);
      REQUIRE(t.nodes.size() == 2);
      CHECK(t.decoded_body(t.nodes[1]) == bytes);
      CHECK(t.nodes[1].info.content_id == "img1@example.org");
    }
  }
}

TEST_CASE("mime builder: transfer encodings chosen from content and transport", "[mime][builder]") {
  struct choice {
    std::string content;
    bool eight_bit;
    bool binary;
    mime::transfer_encoding expected;
  };
  const std::string long_line(1200, 'a');
  const std::string french = "Mostly English text, with one café and a naïve résumé in it, as mail often is.\n";
  const std::string accented = "Le cœur déçu mais l'âme plutôt naïve, Louÿs rêva de crapaüter en canoë au delà des îles\n";
  const std::vector<choice> choices = {
      {"plain ascii\n", false, false, mime::transfer_encoding::seven_bit},
      {french, false, false, mime::transfer_encoding::quoted_printable},
      {french, true, false, mime::transfer_encoding::eight_bit},
      {accented, false, false, mime::transfer_encoding::base64},  // shorter than QP here
      {"日本語のテキスト\n", false, false, mime::transfer_encoding::base64},  // mostly escapes
      {long_line + "\n", false, false, mime::transfer_encoding::quoted_printable},
      {long_line + "\n", true, true, mime::transfer_encoding::binary},
      {std::string("nul\0byte\n", 9), true, false, mime::transfer_encoding::quoted_printable},
      // A line that starts with the boundary cannot stay as it is.
      {"--=_30313233343536373839616263646566 looks like the boundary\n", true, false,
       mime::transfer_encoding::quoted_printable},
  };
  for (const choice& c : choices) {
    mime::builder_options o;
    o.transport.eight_bit = c.eight_bit;
    o.transport.binary = c.binary;
    mime::builder b(o);
    REQUIRE(b.begin_multipart("mixed", entropy1) == errc::ok);
    REQUIRE(b.part({}, c.content) == errc::ok);
    REQUIRE(b.end() == errc::ok);
    const std::string m = drain(b);
    if (!c.binary) check_lines(m, c.eight_bit);
    const mime::tree t = mime::parse_tree(m);
    REQUIRE(t.nodes.size() == 2);
    INFO(m);
    CHECK(t.nodes[1].info.encoding == c.expected);
    std::string canonical;
    for (const char ch : c.content) canonical += ch == '\n' ? std::string("\r\n") : std::string(1, ch);
    CHECK(t.decoded_body(t.nodes[1]) == canonical);
  }
}

TEST_CASE("mime builder: refusals change nothing", "[mime][builder]") {
  mime::builder b;
  CHECK(b.field("Subject", "a\r\nBcc: victim@example.org") == errc::invalid_argument);
  CHECK(b.field("Subject", std::string("nul\0", 4)) == errc::invalid_argument);
  CHECK(b.field("Bad Name", "x") == errc::invalid_argument);
  CHECK(b.field("Bad:Name", "x") == errc::invalid_argument);
  CHECK(b.field("Subject", "\xFF\xFE not utf-8") == errc::invalid_argument);
  CHECK(b.raw_field("X-Folded", "a\r\n b") == errc::ok);
  CHECK(b.raw_field("X-Bad", "a\nb") == errc::invalid_argument);
  CHECK(b.raw_field("X-Bad", "a\r\nb") == errc::invalid_argument);
  CHECK(b.raw_field("X-Long", std::string(997, 'x')) == errc::invalid_argument);  // "X-Long: " + 997 > 998
  CHECK(b.address_field("To", {{"", "no-at-sign"}}) == errc::invalid_argument);
  CHECK(b.address_field("To", {{"", "ünï@example.org"}}) == errc::invalid_argument);  // needs SMTPUTF8
  CHECK(b.address_field("To", {{"", "a@b\r\n.org"}}) == errc::invalid_argument);
  CHECK(b.address_field("To", {}) == errc::invalid_argument);
  CHECK(b.date_field({0, 6000}) == errc::invalid_argument);
  CHECK(b.message_id_field("short", "example.org") == errc::invalid_argument);
  CHECK(b.message_id_field(entropy1, "bad domain") == errc::invalid_argument);
  CHECK(b.begin_multipart("mixed", "short") == errc::invalid_argument);
  mime::part_header bad;
  bad.type = "text";
  CHECK(b.part(bad, "x") == errc::invalid_argument);
  bad.type = "text/plain";
  bad.filename = "a\nb";
  CHECK(b.part(bad, "x") == errc::invalid_argument);
  bad.filename.clear();
  bad.encoding = mime::transfer_encoding::eight_bit;
  CHECK(b.part(bad, "x") == errc::extension_missing);
  CHECK(b.write("x") == errc::invalid_state);
  CHECK(b.end() == errc::invalid_state);
  CHECK(drain(b) == "X-Folded: a\r\n b\r\n");

  // Content written as it is with a line that starts with the boundary.
  mime::builder c;
  REQUIRE(c.begin_multipart("mixed", entropy1) == errc::ok);
  mime::part_header as_is;
  as_is.encoding = mime::transfer_encoding::seven_bit;
  CHECK(c.part(as_is, "ok\n--=_30313233343536373839616263646566\n") == errc::mime_boundary_collision);
  const std::string before = std::string(c.pending_output());
  REQUIRE(c.begin_part(as_is) == errc::ok);
  REQUIRE(c.write("first line\r\n--=_3031323334") == errc::ok);
  CHECK(c.write("3536373839616263646566--\r\n") == errc::mime_boundary_collision);
  CHECK(c.write("8bit \xC3\xA9\r\n") == errc::extension_missing);
  REQUIRE(c.end() == errc::ok);
  mime::part_header octets;
  octets.type = "application/octet-stream";
  octets.encoding = mime::transfer_encoding::seven_bit;  // not text: line ends are not made CRLF
  REQUIRE(c.begin_part(octets) == errc::ok);
  CHECK(c.write("bare\nlf") == errc::bare_lf);
  CHECK(c.write(std::string("nul\0", 4)) == errc::nul_byte);
  CHECK(c.write(std::string(999, 'x')) == errc::line_too_long);
  CHECK(c.write(std::string(998, 'x') + "\r\n") == errc::ok);  // just under
  CHECK(c.write(std::string(997, 'x')) == errc::ok);
  CHECK(c.write("xx") == errc::line_too_long);  // 999 across two writes
}

TEST_CASE("mime builder: format=flowed", "[mime][builder]") {
  const std::string para =
      "This paragraph is long enough that it has to be wrapped over several lines by the flowed encoder, "
      "and it ends here.";
  const std::string text = para + "\n> quoted\n From here\n-- \nsig   \n" + std::string(100, 'z') + "\n";
  for (const bool delsp : {false, true}) {
    mime::builder b;
    mime::part_header h;
    h.flowed = true;
    h.delsp = delsp;
    REQUIRE(b.part(h, text) == errc::ok);
    const std::string m = drain(b);
    check_lines(m, false);
    const mime::tree t = mime::parse_tree(m);
    const std::string body = t.text(t.root());
    // Unflow (RFC 3676 4.1 to 4.5): unstuff, join soft breaks.
    std::string unflowed;
    std::size_t start = 0;
    while (start < body.size()) {
      const std::size_t end = body.find("\r\n", start);
      std::string line = body.substr(start, end - start);
      if (!line.empty() && line[0] == ' ') line.erase(0, 1);
      const bool soft = !line.empty() && line.back() == ' ' && line != "-- ";
      if (soft && delsp) line.pop_back();
      unflowed += line;
      if (!soft) unflowed += "\n";
      if (delsp || line.find(' ') != std::string::npos) CHECK(end - start <= 78);
      start = end + 2;
    }
    CHECK(unflowed == para + "\n> quoted\n From here\n-- \nsig\n" + std::string(100, 'z') + "\n");
    CHECK(t.root().info.type.find("format") != nullptr);
  }
}

TEST_CASE("mime builder: nesting stops where readers stop reading structure", "[mime][builder]") {
  for (const std::size_t depth : {mailwire::limits::mime_depth - 1, mailwire::limits::mime_depth}) {
    mime::builder b;
    std::size_t opened = 0;
    errc last = errc::ok;
    for (std::size_t i = 0; i <= depth; ++i) {
      last = i % 2 == 0 ? b.begin_message() : b.begin_multipart("mixed", std::to_string(i) + "-" + entropy1);
      if (last != errc::ok) break;
      ++opened;
      if (i % 2 == 0) REQUIRE(b.field("Subject", "level " + std::to_string(i)) == errc::ok);
    }
    // Containers at depths 0 to mime_depth - 1 only.
    CHECK(opened == std::min(depth + 1, mailwire::limits::mime_depth));
    if (opened < depth + 1) CHECK(last == errc::mime_depth_exceeded);
    REQUIRE(b.part({}, "deepest") == errc::ok);
    for (std::size_t i = 0; i < opened; ++i) REQUIRE(b.end() == errc::ok);
    REQUIRE(b.done());
    const mime::tree t = mime::parse_tree(b.pending_output());
    CHECK(t.diags.empty());
    REQUIRE(t.text_body() == nullptr);  // inside attached messages
    CHECK(t.text(t.nodes.back()) == "deepest");
  }
}
