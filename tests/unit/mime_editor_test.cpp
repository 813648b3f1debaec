// mime::editor: an unedited message is written back byte for byte (every
// message of the test corpora); an edit changes only its own bytes; edits
// that would break the structure or overlap are refused. And the tree's
// decoded accessors (subject, addresses, date, ids).
#include <mailwire/mime/builder.hpp>
#include <mailwire/mime/editor.hpp>
#include <mailwire/mime/tree.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "catch.hpp"

namespace mime = mailwire::mime;
using mailwire::errc;

namespace {

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

const std::string sample =
    "From: =?UTF-8?Q?Zo=C3=AB?= <zoe@example.org>\r\n"
    "To: a@example.org, \"B, b\" <b@example.org>\r\n"
    "Cc: c@example.org\r\n"
    "To: d@example.org\r\n"
    "Subject: =?UTF-8?B?R3LDvMOfZQ==?= again\r\n"
    "Date: Fri, 21 Nov 1997 09:55:06 -0600\r\n"
    "Message-ID: <1234@local.machine.example>\r\n"
    "In-Reply-To: <a@b> <c@d>\r\n"
    "References: <x@y>\r\n"
    "X-Spam-Score: 9\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
    "\r\n"
    "preamble\r\n"
    "--b1\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "Hello\r\n"
    "--b1\r\n"
    "Content-Type: application/octet-stream\r\n"
    "Content-Disposition: attachment; filename=a.bin\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "AAEC\r\n"
    "--b1--\r\n"
    "epilogue\r\n";

}  // namespace

TEST_CASE("mime tree: decoded header accessors", "[mime][editor]") {
  const mime::tree t = mime::parse_tree(sample);
  const mime::node& m = t.root();
  CHECK(m.subject() == "Grüße again");
  REQUIRE(m.from().size() == 1);
  CHECK(m.from()[0].name == "Zoë");
  CHECK(m.from()[0].address == "zoe@example.org");
  REQUIRE(m.to().size() == 3);  // both To fields
  CHECK(m.to()[1].name == "B, b");
  CHECK(m.to()[2].address == "d@example.org");
  CHECK(m.cc().size() == 1);
  CHECK(m.bcc().empty());
  CHECK(m.date().valid);
  CHECK(m.date().offset_minutes == -360);
  CHECK(m.date().to_unix_seconds() == 880127706);
  CHECK(m.message_id() == "1234@local.machine.example");
  CHECK(m.in_reply_to() == std::vector<std::string>{"a@b", "c@d"});
  CHECK(m.references() == std::vector<std::string>{"x@y"});
  CHECK(m.text_field("X-Spam-Score") == "9");
  CHECK(t.nodes[1].subject().empty());
}

TEST_CASE("mime editor: unedited messages come back byte for byte", "[mime][editor]") {
  const auto root = std::filesystem::path(MAILWIRE_VECTORS_DIR) / "mime";
  std::size_t files = 0;
  for (const auto& f : std::filesystem::recursive_directory_iterator(root)) {
    if (!f.is_regular_file()) continue;
    const std::string ext = f.path().extension().string();
    if (ext != ".eml" && ext != ".msg" && ext != ".txt" && ext != ".mbox") continue;
    const std::string raw = read(f.path());
    const mime::tree t = mime::parse_tree(raw);
    const mime::editor ed(t);
    CHECK(ed.to_string() == raw);
    ++files;
  }
  CHECK(files > 100);
}

TEST_CASE("mime editor: an edit changes only its own bytes", "[mime][editor]") {
  const mime::tree t = mime::parse_tree(sample);
  const mime::node& m = t.root();
  mime::editor ed(t);
  REQUIRE(ed.set_text_field(m, "Subject", "[External] " + m.subject()) == errc::ok);
  REQUIRE(ed.remove_field(m, "X-Spam-Score") == errc::ok);
  REQUIRE(ed.set_field(m, "X-Checked", "yes") == errc::ok);  // absent: added after the last field
  const std::string out = ed.to_string();
  const std::string want =
      std::string(sample).replace(sample.find("Subject:"), sample.find("Date:") - sample.find("Subject:"),
                                  "Subject: [External] =?UTF-8?B?R3LDvMOfZQ==?= again\r\n");
  std::string w = want;
  w.erase(w.find("X-Spam-Score: 9\r\n"), 17);
  w.insert(w.find("\r\n\r\npreamble") + 2, "X-Checked: yes\r\n");
  CHECK(out == w);
  const mime::tree t2 = mime::parse_tree(out);
  CHECK(t2.root().subject() == "[External] Grüße again");
  CHECK(t2.root().find("X-Spam-Score") == nullptr);
  CHECK(t2.root().text_field("X-Checked") == "yes");
  // Setting the same field again keeps the last value.
  REQUIRE(ed.set_text_field(m, "Subject", "second") == errc::ok);
  REQUIRE(ed.set_field(m, "X-Checked", "twice") == errc::ok);
  REQUIRE(ed.set_field(m, "X-Other", "also") == errc::ok);
  const std::string out3 = ed.to_string();  // a tree views its message: keep it alive
  const mime::tree t3 = mime::parse_tree(out3);
  CHECK(t3.root().subject() == "second");
  CHECK(t3.root().text_field("X-Checked") == "twice");
  CHECK(t3.root().text_field("X-Other") == "also");
}

TEST_CASE("mime editor: a part replaced with one the builder wrote", "[mime][editor]") {
  const mime::tree t = mime::parse_tree(sample);
  const auto files = t.attachments();
  REQUIRE(files.size() == 1);
  mime::builder b;
  mime::part_header h;
  h.type = "application/pdf";
  h.filename = "report.pdf";
  REQUIRE(b.part(h, "%PDF-1.4 new content") == errc::ok);
  std::string part(b.pending_output());
  part.resize(part.size() - 2);  // the line break before the next boundary belongs to it
  mime::editor ed(t);
  REQUIRE(ed.replace_entity(*files[0], part) == errc::ok);
  const std::string out = ed.to_string();
  // Everything before the part and after it is the original.
  CHECK(out.substr(0, files[0]->info.offset) == sample.substr(0, files[0]->info.offset));
  CHECK(out.substr(out.size() - (sample.size() - files[0]->info.end)) == sample.substr(files[0]->info.end));
  const mime::tree t2 = mime::parse_tree(out);
  const auto files2 = t2.attachments();
  REQUIRE(files2.size() == 1);
  CHECK(files2[0]->filename() == "report.pdf");
  CHECK(t2.decoded_body(*files2[0]) == "%PDF-1.4 new content");
  CHECK(t2.text(*t2.text_body()) == "Hello");

  // The body alone.
  mime::editor ed2(t);
  REQUIRE(ed2.replace_body(*t.text_body(), "Bye") == errc::ok);
  const std::string out2 = ed2.to_string();
  const mime::tree t4 = mime::parse_tree(out2);
  CHECK(t4.text(*t4.text_body()) == "Bye");
}

TEST_CASE("mime editor: refusals", "[mime][editor]") {
  const mime::tree t = mime::parse_tree(sample);
  mime::editor ed(t);
  CHECK(ed.set_field(t.root(), "Subject", "a\r\nBcc: x@y") == errc::invalid_argument);
  CHECK(ed.set_field(t.root(), "Bad Name", "x") == errc::invalid_argument);
  CHECK(ed.set_text_field(t.root(), "Subject", "bad\nline") == errc::invalid_argument);
  CHECK(ed.replace_body(*t.text_body(), "text\r\n--b1--\r\nmore") == errc::mime_boundary_collision);
  CHECK(ed.empty());
  // A field inside a part that is replaced: overlapping bytes.
  REQUIRE(ed.replace_entity(*t.text_body(), "Content-Type: text/plain\r\n\r\nnew") == errc::ok);
  CHECK(ed.set_field(*t.text_body(), "Content-Type", "text/html") == errc::invalid_state);
  CHECK(ed.replace_body(*t.text_body(), "x") == errc::invalid_state);
  CHECK(ed.replace_entity(t.root(), "whole") == errc::invalid_state);
  const std::string out = ed.to_string();
  const mime::tree t2 = mime::parse_tree(out);
  CHECK(t2.text(*t2.text_body()) == "new");
}
