#include <mailwire/sasl/saslprep.hpp>

#include <cstddef>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "catch.hpp"

using mailwire::errc;
using mailwire::sasl::saslprep;
using mailwire::sasl::saslprep_mode;
using mailwire::sasl::saslprep_result;

namespace {

std::string utf8(char32_t c) {
  std::string s;
  if (c < 0x80) {
    s += static_cast<char>(c);
  } else if (c < 0x800) {
    s += static_cast<char>(0xC0 | (c >> 6));
    s += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    s += static_cast<char>(0xE0 | (c >> 12));
    s += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    s += static_cast<char>(0xF0 | (c >> 18));
    s += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    s += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (c & 0x3F));
  }
  return s;
}

// The output, or "!<error name>@<offset>".
std::string prep(std::string_view in, saslprep_mode mode = saslprep_mode::query) {
  std::string out = "garbage";  // replaced, never appended to
  const saslprep_result r = saslprep(in, out, mode);
  if (r) return out;
  CHECK(out.empty());
  return "!" + std::string(mailwire::to_name(r.error)) + "@" + std::to_string(r.offset);
}

std::string prep_cp(char32_t c) {
  const std::string query = prep(utf8(c), saslprep_mode::query);
  CHECK(prep(utf8(c), saslprep_mode::stored) == query);  // the mode changes nothing
  return query;
}

const std::string prohibited = "!saslprep_prohibited@0";
const std::string unsupported = "!saslprep_unsupported@0";
const std::string invalid = "!invalid_utf8@0";

struct cp_case {
  char32_t cp;
  std::string want;
};

void check_cases(const std::vector<cp_case>& cases) {
  for (const cp_case& c : cases) {
    INFO("U+" << std::hex << static_cast<unsigned long>(c.cp));
    CHECK(prep_cp(c.cp) == c.want);
  }
}

std::string hex_decode(std::string_view hex) {
  std::string s;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    s += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  }
  return s;
}

std::string hex_encode(std::string_view s) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string h;
  for (char ch : s) {
    const auto b = static_cast<unsigned char>(ch);
    h += digits[b >> 4];
    h += digits[b & 15];
  }
  return h;
}

}  // namespace

TEST_CASE("saslprep: RFC 4013 section 3 examples") {
  CHECK(prep("I\xC2\xAD" "X") == "IX");            // SOFT HYPHEN mapped to nothing
  CHECK(prep("user") == "user");                  // no transformation
  CHECK(prep("USER") == "USER");                  // case preserved, will not match #2
  CHECK(prep("\xC2\xAA") == "a");                 // output is NFKC, input in ISO 8859-1
  CHECK(prep("\xE2\x85\xA8") == "IX");            // output is NFKC, will match #1
  CHECK(prep("\x07") == "!saslprep_prohibited@0");  // error: prohibited character
  // Error: bidi check. RFC 4013 fails it because the string starts with a
  // RandALCat character (U+0627 ARABIC LETTER ALEF) and ends with a
  // non-RandALCat one; mailwire refuses Arabic before it gets there, since
  // no RandALCat character is in its repertoire.
  CHECK(prep("\xD8\xA7" "1") == "!saslprep_unsupported@0");
}

TEST_CASE("saslprep: ASCII, the empty string, and the output is replaced") {
  CHECK(prep("") == "");
  CHECK(prep(" !\"#$%&'()*+,-./0123456789:;<=>?@") == " !\"#$%&'()*+,-./0123456789:;<=>?@");
  CHECK(prep("ABCXYZ[\\]^_`abcxyz{|}~") == "ABCXYZ[\\]^_`abcxyz{|}~");
  CHECK(prep("pencil") == "pencil");
  CHECK(prep("a\tb") == "!saslprep_prohibited@1");
  CHECK(prep("a\r\nb") == "!saslprep_prohibited@1");
  CHECK(prep(std::string_view("ab\0c", 4)) == "!saslprep_prohibited@2");
  CHECK(prep("abc\x7F") == "!saslprep_prohibited@3");
  std::string out = "previous";
  CHECK(saslprep("new", out));
  CHECK(out == "new");
  CHECK(saslprep("", out));
  CHECK(out.empty());
  out = "\xE2\x85\xA8 \xC2\xAA";  // the input may be the output itself
  CHECK(saslprep(out, out));
  CHECK(out == "IX a");
}

TEST_CASE("saslprep: B.1, mapped to nothing, inside and around each range") {
  check_cases({
      {0x00AC, "\xC2\xAC"}, {0x00AD, ""}, {0x00AE, "\xC2\xAE"},
      {0x034E, unsupported}, {0x034F, ""}, {0x0350, unsupported},
      {0x1805, unsupported}, {0x1806, ""}, {0x1807, unsupported},
      {0x180A, unsupported}, {0x180B, ""}, {0x180C, ""}, {0x180D, ""}, {0x180E, prohibited},
      {0x200A, " "}, {0x200C, ""}, {0x200D, ""}, {0x200E, prohibited},
      {0x205F, " "}, {0x2060, ""}, {0x2061, prohibited},
      {0xFDFF, unsupported}, {0xFE00, ""}, {0xFE0F, ""}, {0xFE10, unsupported},
      {0xFEFE, unsupported}, {0xFEFF, ""}, {0xFF00, unsupported},
  });
  CHECK(prep("\xC2\xAD") == "");  // only mapped-to-nothing: empty, and no error here
  CHECK(prep("\xEF\xBB\xBFuser\xEF\xBB\xBF") == "user");
  CHECK(prep("pass\xE2\x81\xA0word") == "password");
}

TEST_CASE("saslprep: C.1.2, non-ASCII spaces become SPACE, U+200B too (C.1.2 first)") {
  check_cases({
      {0x009F, prohibited}, {0x00A0, " "}, {0x00A1, "\xC2\xA1"},
      {0x167F, unsupported}, {0x1680, " "}, {0x1681, unsupported},
      {0x1FFF, unsupported}, {0x2000, " "}, {0x2005, " "}, {0x200A, " "},
      {0x200B, " "},  // in C.1.2 and B.1: RFC 4013 2.1 lists the C.1.2 mapping first
      {0x202E, prohibited}, {0x202F, " "}, {0x2030, unsupported},
      {0x205E, unsupported}, {0x205F, " "}, {0x2060, ""},
      {0x2FFF, unsupported}, {0x3000, " "}, {0x3001, unsupported},
  });
  CHECK(prep("pass\xE2\x80\x8Bword") == "pass word");
  CHECK(prep("x\xC2\xA0y\xE3\x80\x80z") == "x y z");
}

TEST_CASE("saslprep: C.2.1 and C.2.2, control characters") {
  check_cases({
      {0x0000, prohibited}, {0x0001, prohibited}, {0x001F, prohibited}, {0x0020, " "},
      {0x007E, "~"}, {0x007F, prohibited}, {0x0080, prohibited}, {0x0085, prohibited},
      {0x009F, prohibited}, {0x00A0, " "},
      {0x06DC, unsupported}, {0x06DD, prohibited}, {0x06DE, unsupported},
      {0x070E, unsupported}, {0x070F, prohibited}, {0x0710, unsupported},
      {0x180D, ""}, {0x180E, prohibited}, {0x180F, unsupported},
      {0x200B, " "}, {0x200C, ""}, {0x200D, ""},  // also in B.1: mapped first
      {0x2027, unsupported}, {0x2028, prohibited}, {0x2029, prohibited},
      {0x2060, ""}, {0x2061, prohibited}, {0x2063, prohibited}, {0x2064, unsupported},
      {0x2069, unsupported}, {0x206A, prohibited}, {0x206F, prohibited}, {0x2070, unsupported},
      {0xFEFF, ""},
      {0xFFF8, unsupported}, {0xFFF9, prohibited}, {0xFFFC, prohibited},
      {0x1D172, unsupported}, {0x1D173, prohibited}, {0x1D17A, prohibited}, {0x1D17B, unsupported},
  });
}

TEST_CASE("saslprep: C.3 private use, C.4 non-characters, C.6, C.7") {
  check_cases({
      {0xE000, prohibited}, {0xF8FF, prohibited}, {0xF900, unsupported},  // C.3
      {0xEFFFD, unsupported}, {0xF0000, prohibited}, {0xFFFFD, prohibited},
      {0x100000, prohibited}, {0x10FFFD, prohibited},
      {0xFDCF, unsupported}, {0xFDD0, prohibited}, {0xFDEF, prohibited}, {0xFDF0, unsupported},  // C.4
      {0xFFFE, prohibited}, {0xFFFF, prohibited}, {0x10000, unsupported},
      {0x1FFFD, unsupported}, {0x1FFFE, prohibited}, {0x1FFFF, prohibited}, {0x20000, unsupported},
      {0xEFFFE, prohibited}, {0xEFFFF, prohibited}, {0xFFFFE, prohibited}, {0xFFFFF, prohibited},
      {0x10FFFE, prohibited}, {0x10FFFF, prohibited},
      {0xFFF8, unsupported}, {0xFFF9, prohibited}, {0xFFFD, prohibited},  // C.6
      {0x2FEF, unsupported}, {0x2FF0, prohibited}, {0x2FFB, prohibited}, {0x2FFC, unsupported},  // C.7
  });
}

TEST_CASE("saslprep: C.8 and C.9, U+0340 and U+0341 changed by NFKC before the check") {
  check_cases({
      {0x033F, unsupported},
      {0x0340, unsupported},  // NFKC: U+0300, a combining mark (so not prohibited)
      {0x0341, unsupported},  // NFKC: U+0301
      {0x0342, unsupported},
      {0x200D, ""}, {0x200E, prohibited}, {0x200F, prohibited}, {0x2010, unsupported},
      {0x2029, prohibited}, {0x202A, prohibited}, {0x202E, prohibited}, {0x202F, " "},
      {0x2069, unsupported}, {0x206A, prohibited}, {0x206F, prohibited}, {0x2070, unsupported},
      {0xE0000, unsupported}, {0xE0001, prohibited}, {0xE0002, unsupported},  // C.9
      {0xE001F, unsupported}, {0xE0020, prohibited}, {0xE007F, prohibited}, {0xE0080, unsupported},
  });
}

TEST_CASE("saslprep: the repertoire's edges") {
  check_cases({
      {0x00FF, "\xC3\xBF"}, {0x0100, "\xC4\x80"}, {0x017E, "\xC5\xBE"}, {0x0180, unsupported},
      {0x0385, unsupported}, {0x0386, "\xCE\x86"}, {0x0387, unsupported}, {0x0388, "\xCE\x88"},
      {0x038A, "\xCE\x8A"}, {0x038B, unsupported}, {0x038C, "\xCE\x8C"}, {0x038D, unsupported},
      {0x038E, "\xCE\x8E"}, {0x0390, "\xCE\x90"}, {0x03A1, "\xCE\xA1"}, {0x03A2, unsupported},
      {0x03A3, "\xCE\xA3"}, {0x03B0, "\xCE\xB0"}, {0x03CE, "\xCF\x8E"}, {0x03CF, unsupported},
      {0x03FF, unsupported}, {0x0400, "\xD0\x80"}, {0x045F, "\xD1\x9F"}, {0x0460, unsupported},
      {0x215F, unsupported}, {0x2180, unsupported},
      {0x3040, unsupported}, {0x3041, "\xE3\x81\x81"}, {0x3096, "\xE3\x82\x96"}, {0x3097, unsupported},
      {0x3099, unsupported}, {0x309A, unsupported}, {0x309B, unsupported}, {0x309C, unsupported},
      {0x30A0, unsupported}, {0x30A1, "\xE3\x82\xA1"}, {0x30FA, "\xE3\x83\xBA"}, {0x30FB, unsupported},
      {0x4DFF, unsupported}, {0x4E00, "\xE4\xB8\x80"}, {0x9FA5, "\xE9\xBE\xA5"}, {0x9FA6, unsupported},
      {0xABFF, unsupported}, {0xAC00, "\xEA\xB0\x80"}, {0xD7A3, "\xED\x9E\xA3"}, {0xD7A4, unsupported},
      {0xFF00, unsupported}, {0xFF01, "!"}, {0xFF21, "A"}, {0xFF5E, "~"}, {0xFF5F, unsupported},
      // Outside: combining marks and jamo would compose with the character before.
      {0x0300, unsupported}, {0x0308, unsupported}, {0x1100, unsupported}, {0x1161, unsupported},
      {0x11A8, unsupported},
      // Outside: RandALCat (RFC 3454 D.1).
      {0x05BE, unsupported}, {0x05D0, unsupported}, {0x0627, unsupported}, {0xFB1D, unsupported},
  });
}

TEST_CASE("saslprep: every compatibility mapping of the repertoire") {
  check_cases({
      {0x00A8, " \xCC\x88"}, {0x00AA, "a"}, {0x00AF, " \xCC\x84"}, {0x00B2, "2"}, {0x00B3, "3"},
      {0x00B4, " \xCC\x81"}, {0x00B5, "\xCE\xBC"}, {0x00B8, " \xCC\xA7"}, {0x00B9, "1"}, {0x00BA, "o"},
      {0x00BC, "1\xE2\x81\x84" "4"}, {0x00BD, "1\xE2\x81\x84" "2"}, {0x00BE, "3\xE2\x81\x84" "4"},
      {0x0132, "IJ"}, {0x0133, "ij"}, {0x013F, "L\xC2\xB7"}, {0x0140, "l\xC2\xB7"},
      {0x0149, "\xCA\xBC" "n"}, {0x017F, "s"},
      {0x2160, "I"}, {0x2161, "II"}, {0x2162, "III"}, {0x2163, "IV"}, {0x2164, "V"}, {0x2165, "VI"},
      {0x2166, "VII"}, {0x2167, "VIII"}, {0x2168, "IX"}, {0x2169, "X"}, {0x216A, "XI"}, {0x216B, "XII"},
      {0x216C, "L"}, {0x216D, "C"}, {0x216E, "D"}, {0x216F, "M"},
      {0x2170, "i"}, {0x2171, "ii"}, {0x2172, "iii"}, {0x2173, "iv"}, {0x2174, "v"}, {0x2175, "vi"},
      {0x2176, "vii"}, {0x2177, "viii"}, {0x2178, "ix"}, {0x2179, "x"}, {0x217A, "xi"}, {0x217B, "xii"},
      {0x217C, "l"}, {0x217D, "c"}, {0x217E, "d"}, {0x217F, "m"},
      // Unchanged, though they have decompositions: precomposed letters are NFC.
      {0x00C4, "\xC3\x84"}, {0x00DF, "\xC3\x9F"}, {0x0130, "\xC4\xB0"}, {0x30AC, "\xE3\x82\xAC"},
  });
}

TEST_CASE("saslprep: strict UTF-8, errors at the first byte of the bad character") {
  // Stray continuation bytes, C0/C1 and F5-FF lead bytes.
  CHECK(prep("\x80") == invalid);
  CHECK(prep("a\xBF") == "!invalid_utf8@1");
  CHECK(prep("ab\xC0\x80") == "!invalid_utf8@2");
  CHECK(prep("\xC1\xBF") == invalid);
  CHECK(prep("\xF5\x80\x80\x80") == invalid);
  CHECK(prep("\xFE") == invalid);
  CHECK(prep("\xFF") == invalid);
  // Overlong forms.
  CHECK(prep("\xE0\x80\xAF") == invalid);
  CHECK(prep("\xE0\x9F\xBF") == invalid);  // U+07FF in three bytes
  CHECK(prep("\xF0\x80\x80\x80") == invalid);
  CHECK(prep("\xF0\x8F\xBF\xBF") == invalid);  // U+FFFF in four bytes
  // Surrogates (C.5 cannot be reached), and above U+10FFFF.
  CHECK(prep("\xED\xA0\x80") == invalid);
  CHECK(prep("x\xED\xBF\xBF") == "!invalid_utf8@1");
  CHECK(prep("\xF4\x90\x80\x80") == invalid);
  // Truncated sequences and bad continuation bytes.
  CHECK(prep("x\xC3") == "!invalid_utf8@1");
  CHECK(prep("x\xE2\x82") == "!invalid_utf8@1");
  CHECK(prep("\xF0\x9F\x98") == invalid);
  CHECK(prep("\xC3\x28") == invalid);
  CHECK(prep("\xE2\x28\xA1") == invalid);
  CHECK(prep("\xE2\x82\x28") == invalid);
  CHECK(prep("\xF0\x9F\x28\x80") == invalid);
  // The edges of what is well-formed.
  CHECK(prep("\xC2\x80") == prohibited);        // U+0080
  CHECK(prep("\xDF\xBF") == unsupported);       // U+07FF
  CHECK(prep("\xE0\xA0\x80") == unsupported);   // U+0800
  CHECK(prep("\xED\x9F\xBF") == unsupported);   // U+D7FF
  CHECK(prep("\xEE\x80\x80") == prohibited);    // U+E000
  CHECK(prep("\xF0\x90\x80\x80") == unsupported);  // U+10000
  CHECK(prep("\xF4\x8F\xBF\xBF") == prohibited);   // U+10FFFF
}

TEST_CASE("saslprep: mixed strings, the first offending character decides") {
  CHECK(prep("Stra\xC3\x9F" "e") == "Stra\xC3\x9F" "e");
  CHECK(prep("\xEF\xBC\xB0\xEF\xBD\x81\xEF\xBD\x93\xEF\xBD\x93") == "Pass");
  CHECK(prep("\xC2\xBD\xE2\x85\xA0 \xC4\xB3") == "1\xE2\x81\x84" "2I ij");
  CHECK(prep("\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E \xED\x95\x9C\xEA\xB5\xAD\xEC\x96\xB4") ==
        "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E \xED\x95\x9C\xEA\xB5\xAD\xEC\x96\xB4");
  CHECK(prep("\xCE\x91\xCE\xB8\xCE\xAE\xCE\xBD\xCE\xB1 \xD0\x9C\xD0\xBE\xD1\x81\xD0\xBA\xD0\xB2\xD0\xB0") ==
        "\xCE\x91\xCE\xB8\xCE\xAE\xCE\xBD\xCE\xB1 \xD0\x9C\xD0\xBE\xD1\x81\xD0\xBA\xD0\xB2\xD0\xB0");
  // NFKC would compose these with the letter before: refused, not passed on.
  CHECK(prep("cafe\xCC\x81") == "!saslprep_unsupported@4");       // e U+0301
  CHECK(prep("A\xC2\xAD\xCC\x88") == "!saslprep_unsupported@3");  // A, SOFT HYPHEN, U+0308
  CHECK(prep("\xE3\x82\xAB\xE3\x82\x99") == "!saslprep_unsupported@3");  // KA U+3099
  CHECK(prep("\xEA\xB0\x80\xE1\x86\xA8") == "!saslprep_unsupported@3");  // GA U+11A8
  CHECK(prep("a\xCD\x80") == "!saslprep_unsupported@1");  // a U+0340
  // Offsets count bytes, after characters that map to more or fewer bytes.
  CHECK(prep("user\xE2\x85\xA8\x07") == "!saslprep_prohibited@7");
  CHECK(prep("\xC2\xAD\xC2\xAD" "a\xEE\x80\x80") == "!saslprep_prohibited@5");
  CHECK(prep("\xD7\x90\x07") == "!saslprep_unsupported@0");  // the first one decides
  CHECK(prep("\x07\xD7\x90") == "!saslprep_prohibited@0");
  CHECK(prep("ok\xF0\x9F\x98\x80") == "!saslprep_unsupported@2");  // unassigned in Unicode 3.2
  CHECK(prep("ok\xF0\x9F\x98\x80", saslprep_mode::stored) == "!saslprep_unsupported@2");
  CHECK(prep("ok\xF0\x9F\x98") == "!invalid_utf8@2");
}

namespace {

// One reference result from the table: an output ("=" for the input itself,
// "-" for empty, else hex) or an error ("!prohibited", "!bidi", "!unassigned").
struct expectation {
  bool ok = false;
  std::string output;
};

expectation parse_expectation(const std::string& token, const std::string& input) {
  if (!token.empty() && token[0] == '!') return {false, token};
  if (token == "=") return {true, input};
  if (token == "-") return {true, ""};
  return {true, hex_decode(token)};
}

// Empty when mailwire's answer fits the reference, else what is wrong.
// mailwire may answer saslprep_unsupported at an offset `refusable` accepts,
// and must when `must_refuse`.
template <class Refusable>
std::string compare(const std::string& input, const expectation& want, saslprep_mode mode, bool must_refuse,
                    Refusable refusable) {
  std::string out;
  const saslprep_result r = saslprep(input, out, mode);
  if (r.error == errc::saslprep_unsupported && refusable(r.offset)) return {};
  if (must_refuse) return "not refused as unsupported at 0";
  if (want.ok) {
    if (!r) return "error " + std::string(mailwire::to_name(r.error)) + " for an accepted string";
    if (out != want.output) return "output " + hex_encode(out) + ", want " + hex_encode(want.output);
    return {};
  }
  if (r) return "accepted (" + hex_encode(out) + "), reference says " + want.output;
  // Only a prohibited character that NFKC keeps is prohibited for mailwire,
  // so the reference must say prohibited too.
  if (r.error == errc::saslprep_prohibited && want.output == "!prohibited") return {};
  return "error " + std::string(mailwire::to_name(r.error)) + ", reference says " + want.output;
}

}  // namespace

TEST_CASE("saslprep: differential test against Python's stringprep (tests/vectors/sasl)") {
  // Generated by tests/unit/saslprep_reference.py; see its header.
  std::ifstream f(MAILWIRE_VECTORS_DIR "/sasl/saslprep_repertoire.txt", std::ios::binary);
  REQUIRE(f.is_open());
  std::map<char32_t, bool> exact;  // code point -> flagged "exact"
  std::map<std::string, std::size_t> counts;
  std::vector<std::string> failures;
  std::string line;
  while (std::getline(f, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::vector<std::string> t;
    for (std::string tok; fields >> tok;) t.push_back(tok);
    const bool is_string = !t.empty() && t[0] == "str";
    if (is_string) t.erase(t.begin());
    REQUIRE(t.size() >= 3);
    REQUIRE(t.size() <= 4);
    REQUIRE((t[1] == "exact" || t[1] == "refuse"));
    const bool is_exact = t[1] == "exact";
    std::string input;
    if (is_string) {
      input = hex_decode(t[0]);
    } else {
      const auto cp = static_cast<char32_t>(std::stoul(t[0], nullptr, 16));
      exact[cp] = is_exact;
      input = utf8(cp);
    }
    // A "refuse" code point must be refused; in a "refuse" string, mailwire
    // may refuse a code point flagged "refuse".
    const auto refusable = [&](std::size_t offset) {
      if (is_exact) return false;
      if (!is_string) return offset == 0;
      const mailwire::utf8::decoded u = mailwire::utf8::decode(input, offset);
      const auto it = exact.find(u.cp);
      return u.length != 0 && it != exact.end() && !it->second;
    };
    const std::string& stored = t.size() == 4 ? t[3] : t[2];
    const std::pair<saslprep_mode, const std::string*> modes[] = {
        {saslprep_mode::query, &t[2]}, {saslprep_mode::stored, &stored}};
    for (const auto& m : modes) {
      const std::string problem = compare(input, parse_expectation(*m.second, input), m.first,
                                          !is_string && !is_exact, refusable);
      if (!problem.empty() && failures.size() < 30) {
        failures.push_back(line + (m.first == saslprep_mode::query ? " [query] " : " [stored] ") + problem);
      }
      if (!problem.empty()) ++counts["failed"];
    }
    ++counts[std::string(is_string ? "str " : "cp ") + t[1]];
  }
  std::string report;
  for (const std::string& fail : failures) report += fail + "\n";
  INFO(report);
  CHECK(counts["failed"] == 0);
  CHECK(counts["cp exact"] >= 33000);  // the whole repertoire and the RFC tables
  CHECK(counts["cp refuse"] >= 4000);
  CHECK(counts["str exact"] >= 400);
  CHECK(counts["str refuse"] >= 150);
}
