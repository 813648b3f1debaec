// Safe file names (mime/filename.hpp): hostile names from mail and what is
// left of them, the 255-byte limit just under and just over, cuts at UTF-8
// character boundaries that keep the extension, Windows device names, the
// fallback; and the tree's safe_filename() and mime_unsafe_filename.
#include <mailwire/core/utf8.hpp>
#include <mailwire/mime/filename.hpp>
#include <mailwire/mime/tree.hpp>

#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>

#include "catch.hpp"

namespace {

namespace mime = mailwire::mime;
using mailwire::errc;
using namespace std::string_literals;

// What every result must be, whatever the input.
void check_safe(const std::string& name) {
  INFO(name);
  CHECK(!name.empty());
  CHECK(name.size() <= mime::max_filename);
  CHECK(mailwire::utf8::valid(name));
  CHECK(name.find_first_of("/\\<>:\"|?*"s + '\0') == std::string::npos);
  for (const char c : name) CHECK((static_cast<unsigned char>(c) >= 0x20 && c != 0x7F));
  CHECK(name.front() != '.');
  CHECK(name.front() != ' ');
  CHECK(name.back() != '.');
  CHECK(name.back() != ' ');
  CHECK(mime::safe_filename(name) == name);  // safe names are kept as they are
}

struct name_case {
  std::string raw;
  std::string safe;
};

TEST_CASE("safe_filename: hostile names", "[mime][filename]") {
  const name_case cases[] = {
      // already safe: unchanged
      {"report.pdf", "report.pdf"},
      {"r\xC3\xA9sum\xC3\xA9 final (2).pdf", "r\xC3\xA9sum\xC3\xA9 final (2).pdf"},
      {"\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E.txt", "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E.txt"},
      {"a.tar.gz", "a.tar.gz"},
      {"$HOME'~!#%&+,;=@[]^`{}.txt", "$HOME'~!#%&+,;=@[]^`{}.txt"},
      // paths: the last component only, either separator
      {"../../evil/x.sh", "x.sh"},
      {"/etc/passwd", "passwd"},
      {"..\\..\\Windows\\System32\\evil.dll", "evil.dll"},
      {"C:\\boot.ini", "boot.ini"},
      {"a/b\\c/d.txt", "d.txt"},
      {"\\\\server\\share\\x.exe", "x.exe"},
      {"C:evil.exe", "Cevil.exe"},  // a drive-relative path; ':' is dropped
      {"x.txt:hidden.exe", "x.txthidden.exe"},  // an NTFS stream
      // NUL and other controls are dropped, not cut at
      {"a\0b/c\0d"s, "cd"},
      {"invoice.pdf\0.exe"s, "invoice.pdf.exe"},
      {"line\r\nbreak\t.txt", "linebreak.txt"},
      {"del\x7F.txt", "del.txt"},
      {"c1\xC2\x85\xC2\x9B.txt", "c1.txt"},  // NEL, CSI
      {"\x1B[31mred.txt", "[31mred.txt"},
      // Windows-reserved characters
      {"a<b>c:d\"e|f?g*h.txt", "abcdefgh.txt"},
      // invalid UTF-8 bytes are dropped, valid characters kept
      {"\xFF" "bad\xC3.txt", "bad.txt"},
      {"caf\xE9.txt", "caf.txt"},
      {"\xC0\xAF\xC0\xAE\xC0\xAE.txt", "txt"},  // overlong '/' and '.': no separator, no dots
      {"\xED\xA0\x80x.txt", "x.txt"},           // a surrogate
      // dots and spaces at the ends; "." and ".."
      {".bashrc", "bashrc"},
      {"...hidden...", "hidden"},
      {"  spaced out  ", "spaced out"},
      {"name. . ", "name"},
      {"x/..", "attachment"},
      {".", "attachment"},
      {"..", "attachment"},
      {"...", "attachment"},
      {" . . ", "attachment"},
      {"/", "attachment"},
      {"dir\\", "attachment"},
      {"", "attachment"},
      {"\0\0"s, "attachment"},
      {"\xFF\xFE", "attachment"},
      {".\x01.", "attachment"},  // dots again once the control is gone
      // bidirectional overrides: "evil<RLO>fdp.exe" displays as "evilexe.pdf"
      {"evil\xE2\x80\xAE" "fdp.exe", "evilfdp.exe"},
      {"\xE2\x80\x8Ftxt.exe", "txt.exe"},
      {"a\xE2\x81\xA6" "b\xE2\x81\xA9.txt", "ab.txt"},
      {"a\xD8\x9C" "b", "ab"},
      // fullwidth forms Windows' best-fit conversion turns into ASCII
      {"..\xEF\xBC\x8F..\xEF\xBC\x8Fx.txt", "x.txt"},
      {"\xEF\xBC\x8E\xEF\xBC\x8E", "attachment"},
      {"a\xEF\xBC\xBC" "b\xEF\xBC\x9A" "c\xEF\xBC\x8A.txt", "abc.txt"},
      // Windows device names, alone or with an extension, any case
      {"CON", "_CON"},
      {"con.txt", "_con.txt"},
      {"Nul.tar.gz", "_Nul.tar.gz"},
      {"PRN", "_PRN"},
      {"aux.h", "_aux.h"},
      {"COM1", "_COM1"},
      {"com9.log", "_com9.log"},
      {"COM0", "_COM0"},
      {"LPT1.doc", "_LPT1.doc"},
      {"lpt9", "_lpt9"},
      {"COM\xC2\xB9.txt", "_COM\xC2\xB9.txt"},
      {"LPT\xC2\xB3", "_LPT\xC2\xB3"},
      {"CONIN$", "_CONIN$"},
      {"conout$.txt", "_conout$.txt"},
      {"CON .txt", "_CON .txt"},
      {"AUX.", "_AUX"},
      {"../NUL", "_NUL"},
      {":CON", "_CON"},
      {"C\0ON"s, "_CON"},
      // ... and names that only look like them
      {"CONSOLE.txt", "CONSOLE.txt"},
      {"COM10", "COM10"},
      {"LPT", "LPT"},
      {"COMx.txt", "COMx.txt"},
      {"xCON", "xCON"},
      {"con_.txt", "con_.txt"},
      {"COM\xC2\xB4", "COM\xC2\xB4"},
  };
  for (const name_case& c : cases) {
    INFO("raw: " << c.raw);
    const std::string safe = mime::safe_filename(c.raw);
    CHECK(safe == c.safe);
    check_safe(safe);
  }
}

TEST_CASE("safe_filename: the fallback", "[mime][filename]") {
  CHECK(mime::safe_filename("", "message.bin") == "message.bin");
  CHECK(mime::safe_filename("..", "part-3.eml") == "part-3.eml");
  CHECK(mime::safe_filename("ok.txt", "unused") == "ok.txt");
  // The fallback is made safe too, and "attachment" stands in for it.
  CHECK(mime::safe_filename("", "../x") == "x");
  CHECK(mime::safe_filename("", "CON") == "_CON");
  CHECK(mime::safe_filename("", "") == "attachment");
  CHECK(mime::safe_filename("/", "..") == "attachment");
}

TEST_CASE("safe_filename: max_filename bytes, just under and just over", "[mime][filename]") {
  const std::size_t max = mime::max_filename;
  REQUIRE(max == 255);
  // At the limit: unchanged.
  const std::string at = std::string(max - 4, 'a') + ".pdf";
  CHECK(mime::safe_filename(at) == at);
  CHECK(mime::safe_filename(std::string(max, 'a')) == std::string(max, 'a'));
  // One over: the name is cut, the extension kept.
  CHECK(mime::safe_filename(std::string(max - 3, 'a') + ".pdf") == std::string(max - 4, 'a') + ".pdf");
  CHECK(mime::safe_filename(std::string(max + 1, 'a')) == std::string(max, 'a'));
  CHECK(mime::safe_filename(std::string(5000, 'a') + ".tar.gz") == std::string(max - 3, 'a') + ".gz");
  // The longest extension kept is 32 bytes with its dot.
  const std::string ext32 = "." + std::string(31, 'e');
  CHECK(mime::safe_filename(std::string(300, 'a') + ext32) == std::string(max - 32, 'a') + ext32);
  CHECK(mime::safe_filename(std::string(300, 'a') + ext32 + "e") == std::string(max, 'a'));
  // A "name" that is all extension is cut like any other.
  CHECK(mime::safe_filename("x." + std::string(300, 'b')) == "x." + std::string(max - 2, 'b'));
  // Dots and spaces the cut leaves at the end go too.
  CHECK(mime::safe_filename(std::string(max - 2, 'a') + "  " + std::string(10, 'b')) == std::string(max - 2, 'a'));
  CHECK(mime::safe_filename(std::string(max - 2, 'a') + " ." + std::string(40, 'b')) == std::string(max - 2, 'a'));
  // Dropped characters do not count.
  CHECK(mime::safe_filename(std::string(max, 'a') + "\r\n\x01") == std::string(max, 'a'));
  for (const std::string& s : {at, std::string(5000, 'a') + ".tar.gz", "x." + std::string(300, 'b')}) {
    check_safe(mime::safe_filename(s));
  }
}

TEST_CASE("safe_filename: long names are cut between UTF-8 characters", "[mime][filename]") {
  const std::string e = "\xC3\xA9";            // 2 bytes
  const std::string cjk = "\xE6\x97\xA5";      // 3 bytes
  const std::string smile = "\xF0\x9F\x98\x80";  // 4 bytes
  const auto times = [](const std::string& s, std::size_t n) {
    std::string r;
    for (std::size_t i = 0; i < n; ++i) r += s;
    return r;
  };
  // 127 and 128 two-byte characters: 254 bytes fit, 256 are cut to 254.
  CHECK(mime::safe_filename(times(e, 127)) == times(e, 127));
  CHECK(mime::safe_filename(times(e, 128)) == times(e, 127));
  // 85 three-byte characters are 255 bytes; 86 are cut to 85.
  CHECK(mime::safe_filename(times(cjk, 85)) == times(cjk, 85));
  CHECK(mime::safe_filename(times(cjk, 86)) == times(cjk, 85));
  // 64 four-byte characters (256 bytes) become 63 (252 bytes).
  CHECK(mime::safe_filename(times(smile, 64)) == times(smile, 63));
  // With an extension: 251 bytes of room, 125 two-byte characters.
  CHECK(mime::safe_filename(times(e, 200) + ".pdf") == times(e, 125) + ".pdf");
  CHECK(mime::safe_filename(times(smile, 100) + ".txt") == times(smile, 62) + ".txt");
  for (const std::string& s : {times(e, 128), times(cjk, 86), times(smile, 64), times(e, 200) + ".pdf"}) {
    check_safe(mime::safe_filename(s));
  }
}

TEST_CASE("safe_filename: a device name that is also too long", "[mime][filename]") {
  // The cut leaves "CON" and spaces, which go: then it is a device name.
  CHECK(mime::safe_filename("CON" + std::string(300, ' ') + "x") == "_CON");
  // The '_' makes it one byte too long: cut again.
  const std::string safe = mime::safe_filename("CON." + std::string(300, 'x'));
  CHECK(safe == "_CON." + std::string(mime::max_filename - 5, 'x'));
  check_safe(safe);
}

TEST_CASE("safe_filename: random hostile bytes", "[mime][filename]") {
  // Pieces hostile names are made of, joined at random (a fixed seed):
  // every result must pass check_safe, which also checks it is kept as it is.
  const std::string pieces[] = {"/",        "\\",           ".",           "..",           " ",        "CON",
                                "lpt1",     "\xC2\xB9",       "\xE2\x80\xAE", "\xEF\xBC\x8F", "\xFF",     "\xC3",
                                "\xA9",     "\xF0\x9F\x98\x80", "\x7F",        "\x01",         "a",        "report",
                                ":",        "*",            "\r\n",        std::string(1, '\0'), ".pdf", std::string(200, 'x')};
  std::uint32_t seed = 12345;
  const auto next = [&] { return seed = seed * 1103515245u + 12345u, (seed >> 16) & 0x7FFF; };
  for (int i = 0; i < 3000; ++i) {
    std::string raw;
    for (std::uint32_t n = next() % 12; n > 0; --n) raw += pieces[next() % std::size(pieces)];
    check_safe(mime::safe_filename(raw));
  }
}

// -- the tree ----------------------------------------------------------------------

TEST_CASE("node::safe_filename and mime_unsafe_filename", "[mime][filename][tree]") {
  const std::string in =
      "Content-Type: multipart/mixed; boundary=m\n\n"
      "--m\nContent-Type: text/plain\n\nhello\n"
      "--m\nContent-Type: application/x-sh\nContent-Disposition: attachment; filename=\"../../evil/x.sh\"\n\n#!\n"
      "--m\nContent-Type: application/pdf; name=report.pdf\n\n%PDF\n"
      "--m\nContent-Type: application/octet-stream\n"
      "Content-Disposition: attachment; filename*=utf-8''a%00b%2F..%2Fcon.txt\n\nx\n"
      "--m\nContent-Type: image/png\n\nPNG\n"
      "--m--\n";
  const mime::tree t = mime::parse_tree(in);
  REQUIRE(t.nodes.size() == 6);
  // The raw name stays available; the safe one is what to create.
  CHECK(t.nodes[2].filename() == "../../evil/x.sh");
  CHECK(t.nodes[2].safe_filename() == "x.sh");
  CHECK(t.nodes[3].filename() == "report.pdf");
  CHECK(t.nodes[3].safe_filename() == "report.pdf");
  CHECK(t.nodes[4].filename() == "a\0b/../con.txt"s);
  CHECK(t.nodes[4].safe_filename() == "_con.txt");
  CHECK(t.nodes[5].filename().empty());
  CHECK(t.nodes[5].safe_filename() == "attachment");
  CHECK(t.nodes[5].safe_filename("part-5.png") == "part-5.png");
  // Reported once per part whose name changes, at the part's offset, in
  // document order with the parser's own diagnostics (none here).
  CHECK(t.diags == mime::diagnostics{{errc::mime_unsafe_filename, t.nodes[2].info.offset},
                                     {errc::mime_unsafe_filename, t.nodes[4].info.offset}});
  // A message that is itself the file.
  const mime::tree lone = mime::parse_tree("Content-Type: application/pdf; name=\"..\\\\x.pdf\"\n\n%PDF\n");
  CHECK(lone.root().safe_filename() == "x.pdf");
  CHECK(lone.diags == mime::diagnostics{{errc::mime_unsafe_filename, 0}});
  // Safe names, or none: nothing reported.
  CHECK(mime::parse_tree("Content-Type: application/pdf; name=a.pdf\n\n%PDF\n").diags.empty());
  CHECK(mime::parse_tree("Subject: x\n\nhello\n").diags.empty());
}

}  // namespace
