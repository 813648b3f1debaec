// East-Asian charsets through mailwire/mime/iconv_charset.hpp (glibc only):
// the names the hook takes, ISO-2022-JP read at every split point, each
// family on a minimal encoded-word, and real Japanese, Chinese and Korean
// messages from other projects' test suites (tests/vectors/mime/cjk/README.md
// has their sources and licences) read as Python's email reads them.
#include <mailwire/mime/tree.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "catch.hpp"
#include "grind.hpp"

#if defined(__GLIBC__)
#include <mailwire/mime/iconv_charset.hpp>

namespace {

namespace mime = mailwire::mime;
using mailwire::errc;

std::string slurp(const std::filesystem::path& f) {
  std::ifstream in(f, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

const std::filesystem::path cjk = std::filesystem::path(MAILWIRE_VECTORS_DIR) / "mime" / "cjk";

mime::charset_options with_iconv() {
  mime::charset_options cs;
  cs.hook = &mime::iconv_hook;
  return cs;
}

// `in` in `charset` through the hook, fed in the given chunks: the UTF-8
// and the malformed count.
std::string decode(std::string_view charset, const mailwire_test::chunks& ch) {
  mime::charset_decoder d;
  if (!d.open(charset, with_iconv())) return "(not opened)";
  std::string out;
  for (std::string_view c : ch) d.decode(c, out);
  d.finish(out);
  return out + " " + std::to_string(d.malformed());
}

}  // namespace

TEST_CASE("iconv hook: the names it takes, and only those", "[mime][charset][cjk]") {
  const mime::charset_options cs = with_iconv();
  for (const char* name : {"ISO-2022-JP", "iso-2022-jp-1", "ISO-2022-JP-2", "iso-2022-jp-2004", "csISO2022JP",
                           "Shift_JIS", "x-sjis", "windows-31j", "CP932", "MS_Kanji", "EUC-JP", "x-euc-jp",
                           "GB2312", "gbk", "CP936", "GB18030", "x-gbk", "Big5", "x-x-big5", "big5-hkscs", "cp950",
                           "EUC-KR", "ks_c_5601-1987", "KS_C_5601-1989", "cp949", "ISO-2022-KR", "johab"}) {
    INFO(name);
    mime::charset_decoder d;
    CHECK(d.open(name, cs));
    CHECK_FALSE(d.id());  // a converter, not a built-in charset
  }
  // Names outside the families never reach iconv_open.
  for (const char* name : {"ISO-2022-CN-EXT", "UTF-8//TRANSLIT", "../../etc/passwd", "EBCDIC-US", "x-unknown", ""}) {
    INFO(name);
    mime::charset_decoder d;
    CHECK_FALSE(d.open(name, cs));
  }
}

TEST_CASE("iconv hook: ISO-2022-JP at every split point", "[mime][charset][cjk]") {
  // 日本語, an unknown escape (ESC ( Z: not text), JIS X 0201 katakana
  // (ESC ( I: ｱ), NEC row 13 (①, CP50221), JIS X 0212 (丂), SO/SI
  // katakana, and a half character cut by the end of the line.
  const std::string in =
      "\x1B$BF|K\\8l\x1B(B \x1B(Zx \x1B(I1\x1B(B \x1B$B-!\x1B(B \x1B$(D0!\x1B(B \x0E" "1\x0F" "a\x1B$BF\r\n";
  const std::string want =
      "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E \xEF\xBF\xBDx \xEF\xBD\xB1 \xE2\x91\xA0 \xE4\xB8\x82 \xEF\xBD\xB1" "a"
      "\xEF\xBF\xBD\r\n 2";
  CHECK(mailwire_test::grind(in, [](const mailwire_test::chunks& ch) { return decode("ISO-2022-JP", ch); }) == want);
  // A stream that ends inside an escape sequence or a character.
  CHECK(decode("iso-2022-jp", {"a\x1B$"}) == "a\xEF\xBF\xBD 1");
  CHECK(decode("iso-2022-jp", {"\x1B$BF|K"}) == "\xE6\x97\xA5\xEF\xBF\xBD 1");
  // iconv's own ISO-2022-JP-2 passes an unknown escape through: scrubbed.
  CHECK(decode("ISO-2022-JP-2", {"\x1B(Zab"}) == "\xEF\xBF\xBD(Zab 1");
}

TEST_CASE("iconv hook: each family on a minimal encoded-word", "[mime][charset][cjk]") {
  const mime::charset_options cs = with_iconv();
  const std::pair<const char*, const char*> cases[] = {
      {"=?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?=", "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E"},  // issue 17's example
      {"=?shift_jis?B?k/qWe4zq?=", "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E"},
      {"=?euc-jp?B?xvzL3Ljs?=", "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E"},
      {"=?gb2312?B?1tDOxA==?=", "\xE4\xB8\xAD\xE6\x96\x87"},
      {"=?GBK?Q?=81=40?=", "\xE4\xB8\x82"},                   // GBK beyond GB2312
      {"=?gb18030?Q?=81=30=81=30?=", "\xC2\x80"},             // a four-byte sequence
      {"=?big5?B?pKSk5Q==?=", "\xE4\xB8\xAD\xE6\x96\x87"},
      {"=?euc-kr?B?x9Gx2w==?=", "\xED\x95\x9C\xEA\xB8\x80"},
      {"=?ks_c_5601-1987?B?jGO55rCix88=?=", "\xEB\x98\xA0\xEB\xB0\xA9\xEA\xB0\x81\xED\x95\x98"},  // UHC
      {"=?ISO-2022-KR?B?GyQpQw5HUTFbDw==?=", "\xED\x95\x9C\xEA\xB8\x80"},
  };
  for (const auto& c : cases) {
    INFO(c.first);
    mime::diagnostics d;
    CHECK(mime::decode_unstructured(c.first, &d, cs) == c.second);
    CHECK(d.empty());
  }
  // Shift_JIS 0x5C is '\' (Python, browsers), not iconv SHIFT_JIS's yen.
  CHECK(mime::decode_unstructured("=?Shift_JIS?Q?C:=5Cx?=", nullptr, cs) == "C:\\x");
  // Without the hook nothing changes: the word stays as it was.
  mime::diagnostics d;
  CHECK(mime::decode_unstructured("=?gb2312?B?1tDOxA==?=", &d) == "=?gb2312?B?1tDOxA==?=");
  CHECK(d == mime::diagnostics{{errc::charset_unknown, 0}});
}

TEST_CASE("iconv hook: real Japanese, Chinese and Korean messages", "[mime][charset][cjk]") {
  const mime::charset_options cs = with_iconv();
  mime::parser_options po;
  po.charsets = cs;
  struct message {
    const char* file;
    const char* subject;
    const char* from_name;
    bool body;  // a text body to compare with <file>.text.txt (Python's reading)
  };
  const message messages[] = {
      {"mimekit-japanese.eml", "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\xE3\x83\xA1\xE3\x83\xBC\xE3\x83\xAB\xE3\x83\x86"
                               "\xE3\x82\xB9\xE3\x83\x88 (testing Japanese emails)",
       "Atsushi Eno", true},
      {"mail-japanese_iso_2022.eml", "\xE3\x81\xBE\xE3\x81\xBF\xE3\x82\x80\xE3\x82\x81\xE3\x82\x82", "Mikel Lindsaar",
       true},
      {"mail-japanese_shift_jis.eml", "test", "", true},
      {"mail-ks_c_5601-1987.eml", "test", "", true},
      {"php-imap-ks_c_5601-1987_headers.eml",
       "RE: \xED\x9A\x8C\xEC\x9B\x90\xEB\x8B\x98\xEA\xBB\x98 Ersi\xEB\x8B\x98\xEC\x9D\xB4 \xEB\xA9\x94\xEC\x8B\x9C"
       "\xEC\xA7\x80\xEB\xA5\xBC \xEB\xB3\xB4\xEB\x83\x88\xEC\x8A\xB5\xEB\x8B\x88\xEB\x8B\xA4.",
       "\xEA\xB9\x80 \xED\x98\x84\xEC\xA7\x84", false},
  };
  for (const message& m : messages) {
    INFO(m.file);
    const std::string raw = slurp(cjk / m.file);
    REQUIRE(!raw.empty());
    const mime::tree t = mime::parse_tree(raw, po);
    mime::diagnostics d;
    CHECK(t.root().subject(&d, cs) == m.subject);
    const std::vector<mime::mailbox> from = t.root().from(&d, cs);
    REQUIRE(from.size() == 1);
    CHECK(from[0].name == m.from_name);
    if (m.body) {
      const mime::node* text = t.text_body();
      REQUIRE(text != nullptr);
      std::string want = slurp(cjk / (std::string(m.file, std::string(m.file).size() - 4) + ".text.txt"));
      CHECK(t.text(*text, &d, cs) == want);
    }
    CHECK(d.empty());
  }
  // A file name and a subject in ISO-2022-JP (B words, a name the parser
  // decodes with parser_options::charsets).
  const std::string issue410 = slurp(cjk / "php-imap-issue-410.eml");  // the trees view it
  const mime::tree t = mime::parse_tree(issue410, po);
  const std::string subject =
      "\xE2\x98\x86\xE7\xAC\xAC" "132\xE5\x8F\xB7\xE3\x80\x80\xE3\x80\x8C\xE3\x82\xAC\xE3\x83\xBC\xE3\x83\x87\xE3\x83"
      "\xB3&\xE3\x82\xA8\xE3\x82\xAF\xE3\x82\xB9\xE3\x83\x86\xE3\x83\xAA\xE3\x82\xA2\xE3\x80\x8D\xE5\xB0\x82\xE9\x96"
      "\x80\xE5\xBA\x97\xE3\x81\xAE\xE3\x81\x9F\xE3\x82\x81\xE3\x81\xAE\xEF\xBC\xB1&\xEF\xBC\xA1\xE3\x82\xB5\xE3\x83"
      "\xAD\xE3\x83\xB3\xE3\x80\x80\xE3\x80\x90\xE6\x9C\x88\xE5\x88\x8A\xE3\x82\xA8\xE3\x82\xAF\xE3\x82\xB9\xE3\x83"
      "\x86\xE3\x83\xAA\xE3\x82\xA2\xE3\x83\xBB\xE3\x83\xAF\xE3\x83\xBC\xE3\x82\xAF\xE3\x80\x91";
  CHECK(t.root().subject(nullptr, cs) == subject);
  REQUIRE(t.nodes.size() == 2);
  CHECK(t.nodes[1].filename() == subject);
  // Without the hook, the name keeps its encoded-word rather than escapes.
  const mime::tree plain = mime::parse_tree(issue410);
  CHECK(plain.nodes[1].filename().substr(0, 16) == "=?ISO-2022-JP?B?");
  // A real Big5 text (labelled us-ascii by its sender: read as Big5 here).
  const std::string big5_raw = slurp(cjk / "enmime-big5.raw");
  const mime::tree big5 = mime::parse_tree(big5_raw);
  std::string text;
  std::uint64_t bad = 0;
  CHECK(mime::to_utf8("big5", big5.decoded_body(big5.root()), text, cs, &bad));
  CHECK(text == slurp(cjk / "enmime-big5.text.txt"));
  CHECK(bad == 0);
}

#endif  // defined(__GLIBC__)
