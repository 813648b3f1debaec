// Quoted-printable decoding with the vector scan (dispatched) against the
// same decoder forced onto the scalar path (cpu::force_scalar): the same
// bytes and the same diagnostics (codes and offsets), on the codec vectors,
// the differential cases, random QP-like text and text with an error at
// every position, whole, at every split point and byte by byte.
#include <mailwire/core/cpu.hpp>
#include <mailwire/mime/quoted_printable.hpp>

#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "catch.hpp"
#include "files.hpp"
#include "scalar_scope.hpp"
#include "quote.hpp"

namespace cpu = mailwire::cpu;
namespace mime = mailwire::mime;

using mailwire_test::scalar_scope;

namespace {

// Output and diagnostics of decoding `in` cut at `cuts` (increasing), into a
// buffer guarded past decoded_size_max so an overrun shows.
std::string decode(std::string_view in, const std::vector<std::size_t>& cuts, bool scalar) {
  const scalar_scope s(scalar);
  mime::qp_decoder dec(7);
  mime::diagnostics d;
  std::string out;
  std::size_t at = 0;
  for (std::size_t i = 0; i <= cuts.size(); ++i) {
    const std::size_t to = i < cuts.size() ? cuts[i] : in.size();
    const std::string_view piece = in.substr(at, to - at);
    std::string buf(mime::qp_decoder::decoded_size_max(piece.size()) + 64, '#');
    const std::size_t n = dec.decode(piece, &buf[0], &d);
    REQUIRE(buf.substr(buf.size() - 64) == std::string(64, '#'));
    out.append(buf, 0, n);
    at = to;
  }
  dec.finish(out, &d);
  std::string log = mailwire_test::quote(out);
  for (const mime::diagnostic& x : d) log += " " + std::string(mailwire::to_name(x.code)) + "@" + std::to_string(x.offset);
  return log;
}

// Dispatched and scalar agree whole, at every split point (every `step`-th
// for long inputs) and byte by byte (short inputs).
void check_same(std::string_view in, std::size_t step = 1) {
  const std::string want = decode(in, {}, true);
  REQUIRE(decode(in, {}, false) == want);
  for (std::size_t i = 0; i <= in.size(); i += step) {
    REQUIRE(decode(in, {i}, false) == want);
    REQUIRE(decode(in, {i}, true) == want);
  }
  if (in.size() <= 300) {
    std::vector<std::size_t> bytes;
    for (std::size_t i = 1; i < in.size(); ++i) bytes.push_back(i);
    REQUIRE(decode(in, bytes, false) == want);
  }
}

std::string slurp(const std::string& path) {
  REQUIRE(std::ifstream(path, std::ios::binary));
  return mailwire_test::read_file(path);
}

std::string unhex(std::string_view h) {
  std::string r;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2) {
    r.push_back(static_cast<char>(mailwire::ascii::hex_value(h[i]) * 16 + mailwire::ascii::hex_value(h[i + 1])));
  }
  return r;
}

// QP-like text: literal runs, escapes (some broken), soft and hard breaks,
// trailing whitespace, bare CRs.
std::string random_qp(std::mt19937& rng, std::size_t n) {
  static const char* const pieces[] = {"abcdefghijklmnopqrstuvwxyz", "=C3=A9", "=\r\n", "=\n", "\r\n", "\n", " ",
                                       "\t",  "  \r\n", "=4", "=G1", "= \r\n", "\r", "=", "=3D", "==41", "x",
                                       "\xC3\xA9"};
  std::string s;
  while (s.size() < n) {
    const char* p = pieces[rng() % (sizeof pieces / sizeof *pieces)];
    s += p[0] == 'a' ? std::string(p, rng() % 27) : std::string(p);
  }
  return s;
}

}  // namespace

TEST_CASE("qp simd: the codec vectors decode the same dispatched and scalar", "[qp][simd]") {
  const std::string dir = MAILWIRE_VECTORS_DIR "/mime/codecs/";
  check_same(slurp(dir + "wikipedia.qp"));
  check_same(slurp(dir + "wikipedia.txt"));
  // Every qp case of the differential file.
  std::istringstream lines(slurp(dir + "differential.txt"));
  std::string line;
  int cases = 0;
  while (std::getline(lines, line)) {
    if (line.rfind("qp", 0) != 0) continue;
    const std::size_t a = line.find(' ');
    const std::size_t b = line.find(' ', a + 1);
    check_same(unhex(std::string_view(line).substr(a + 1, b - a - 1)), 7);
    ++cases;
  }
  CHECK(cases > 100);
}

TEST_CASE("qp simd: random QP-like text decodes the same dispatched and scalar", "[qp][simd]") {
  std::mt19937 rng(2045);
  for (int round = 0; round < 300; ++round) check_same(random_qp(rng, rng() % 400), 3);
}

TEST_CASE("qp simd: a stray byte at every position of encoded prose", "[qp][simd]") {
  // 76-column lines with soft breaks, escapes, a hard break; long enough
  // for several vectors per line. Each position gets each troublesome byte.
  std::string text;
  for (int i = 0; i < 3; ++i) {
    text += "Le caf=C3=A9 de la gare est ferm=C3=A9 le dimanche, d=C3=A9j=C3=A0 depuis longt=\r\n";
    text += "emps; on y servait un th=C3=A9 tr=C3=A8s na=C3=AFf, et l=E2=80=99hiver =C3=A9tait\r\n";
    text += std::string(70, 'x') + "\n";
  }
  check_same(text);
  for (std::size_t i = 0; i < text.size(); ++i) {
    for (const char c : {' ', '\t', '=', '\r', '\n', 'G', '\0'}) {
      std::string t = text;
      t[i] = c;
      check_same(t, 17);
    }
  }
}

TEST_CASE("qp simd: long whitespace runs and lines at the length limit", "[qp][simd]") {
  for (std::size_t n : {60u, 127u, 128u, 129u, 200u, 300u}) {
    check_same(std::string(n, ' ') + "\r\nx");
    check_same("a" + std::string(n, '\t') + "b\r\n");
    check_same("=" + std::string(n, ' ') + "\r\nx");
    check_same(std::string(n, ' '));
  }
  for (std::size_t n = 70; n < 82; ++n) {
    check_same(std::string(n, 'y') + "\r\n" + std::string(n, 'z') + "=\r\n" + std::string(n, 'w') + "=\n");
  }
}

// The block decoder (AVX-512 VBMI2: 64 bytes a step, with the two bytes
// after each block): it takes a block only when everything in it is usual,
// and hands the others to the line decoder at the block's start. These
// inputs put each kind of token and irregularity on every lane of a block
// (every alignment), across block ends and chunk ends.

namespace {

// Encoded prose: 76-column soft breaks, hard breaks, one word in
// `accented_every` non-ASCII (escapes in runs).
std::string encoded_prose(std::size_t n, unsigned accented_every, bool lower_hex = false) {
  static const char* const words[] = {"the", "caf\xC3\xA9", "quick", "na\xC3\xAFve", "brown", "d\xC3\xA9j\xC3\xA0",
                                      "fox", "jumps", "\xE2\x80\x99tis", "over", "lazy", "dog"};
  std::string text;
  unsigned k = 0;
  while (text.size() < n) {
    const char* w = words[(k * 7) % 12];
    if (k % accented_every == 0) w = words[1 + 2 * ((k / accented_every) % 4)];
    text += w;
    text += ++k % 23 == 0 ? ".\r\n" : " ";
  }
  mime::qp_encoder e;
  std::string qp;
  e.encode(text, qp);
  e.finish(qp);
  if (lower_hex) {
    for (std::size_t i = 0; i + 2 < qp.size(); ++i) {
      if (qp[i] != '=') continue;
      for (std::size_t j = i + 1; j <= i + 2; ++j) {
        if (qp[j] >= 'A' && qp[j] <= 'F') qp[j] = static_cast<char>(qp[j] - 'A' + 'a');
      }
    }
  }
  return qp;
}

}  // namespace

TEST_CASE("qp blocks: encoded prose, ordinary and escape-heavy, at every split", "[qp][simd]") {
  for (const unsigned every : {20u, 4u, 1u}) {
    const std::string qp = encoded_prose(1500, every);
    REQUIRE(qp.find('=') != std::string::npos);
    check_same(qp);
    check_same(encoded_prose(700, every, true));
    // The decoding itself, not only the agreement: the encoder's input back.
    std::string text;
    const char* const expect = every == 1 ? "caf\xC3\xA9" : "quick";
    const scalar_scope s(false);
    mime::qp_decoder dec;
    mime::diagnostics d;
    dec.decode(qp, text, &d);
    dec.finish(text, &d);
    CHECK(d.empty());
    CHECK(text.find(expect) != std::string::npos);
    CHECK(text.find('=') == std::string::npos);
  }
}

TEST_CASE("qp blocks: each token and irregularity on every lane", "[qp][simd]") {
  // A clean run of text, then the piece, then clean text to fill two more
  // blocks: the piece lands on each lane of the first block and across its
  // end; splits are tried at every point near it and across the whole.
  static const char* const pieces[] = {
      "=C3=A9",  "=c3=a9", "=\r\n",  "=\n",   "\r\n",     "\n",   "=3D=3d", "=G1",   "=4G",    "=4",
      "= \r\n",  "=\t\n",  "=\r",    "=\rx",  "\rx",      "\r",   " \r\n",  "\t\n",  " \t \n", "  x",
      "==41",    "=\x80\x41", "=A\x80", "\0\xFF", " =\r\n", "=0D=0A", "\r\r\n", "=\r\r\n", "x =",  "= ",
      "  "};
  const std::string tail = "abc=C3=A9def ghi\r\njkl=\r\nmno pq=E2=80=99rs\ntu vw xy z0 12 34 56 78 9a bc de fg";
  for (const char* piece : pieces) {
    const std::string pc = piece[0] == '\0' ? std::string("\0\xFF", 2) : std::string(piece);
    for (std::size_t lead = 0; lead < 72; ++lead) {
      const std::string in = std::string(lead, 'k') + pc + tail + tail;
      const std::string want = decode(in, {}, true);
      INFO("piece " << mailwire_test::quote(pc) << " after " << lead);
      REQUIRE(decode(in, {}, false) == want);
      for (std::size_t cut = lead > 4 ? lead - 4 : 0; cut <= lead + pc.size() + 4; ++cut) {
        REQUIRE(decode(in, {cut}, false) == want);
      }
      for (std::size_t cut = 0; cut <= in.size(); cut += 11) REQUIRE(decode(in, {cut}, false) == want);
      // The piece as the very end of the input, and of the first chunk.
      const std::string at_end = std::string(lead, 'k') + tail + pc;
      REQUIRE(decode(at_end, {}, false) == decode(at_end, {}, true));
      REQUIRE(decode(at_end, {at_end.size() - pc.size()}, false) == decode(at_end, {}, true));
    }
  }
}

TEST_CASE("qp blocks: lines of 75 to 78 characters, the break on every lane", "[qp][simd]") {
  for (std::size_t len = 75; len <= 78; ++len) {
    for (const char* brk : {"\r\n", "\n", "=\r\n", "=\n"}) {
      for (std::size_t lead = 0; lead < 66; ++lead) {
        // A first line that ends on lane `lead` of a later block, then lines of
        // `len` characters (the soft break's "=" counted) with escapes in them.
        std::string line = std::string(len - 6 - (brk[0] == '=' ? 1 : 0), 'q') + "=C3=A9" + brk;
        const std::string in = std::string(lead, 'p') + "\n" + line + line + line;
        const std::string want = decode(in, {}, true);
        INFO("len " << len << " brk " << mailwire_test::quote(brk) << " lead " << lead);
        REQUIRE(decode(in, {}, false) == want);
        REQUIRE((len > 76) == (want.find("qp_line_too_long") != std::string::npos));
        for (std::size_t cut = 0; cut <= in.size(); cut += 5) REQUIRE(decode(in, {cut}, false) == want);
      }
    }
  }
}

TEST_CASE("qp blocks: random QP-like text, long enough for blocks", "[qp][simd]") {
  std::mt19937 rng(76);
  for (int round = 0; round < 200; ++round) check_same(random_qp(rng, 200 + rng() % 800), 7);
}

TEST_CASE("qp blocks: the VBMI2 bit follows force_scalar and disable", "[qp][simd][cpu]") {
  const std::uint32_t was = cpu::disabled();
  const std::uint32_t blocks = cpu::avx512 | cpu::avx512vbmi2;
  // Found only with AVX-512 (F, BW, VL, VBMI).
  if ((cpu::detected() & cpu::avx512vbmi2) != 0) CHECK((cpu::detected() & cpu::avx512) != 0);
  {
    const scalar_scope s(true);
    CHECK_FALSE(cpu::has(blocks));
  }
  cpu::disable(cpu::avx512);
  CHECK_FALSE(cpu::has(blocks));
  cpu::disable(cpu::avx512vbmi2);
  CHECK_FALSE(cpu::has(blocks));
  CHECK(cpu::has(cpu::avx512) == ((cpu::detected() & cpu::avx512) != 0 && !cpu::scalar_forced()));
  cpu::disable(was);
  // The line decoder with the blocks off decodes as they do.
  const std::string qp = encoded_prose(900, 4);
  const std::string want = decode(qp, {}, false);
  cpu::disable(cpu::avx512vbmi2);
  CHECK(decode(qp, {}, false) == want);
  CHECK(decode(qp, {450}, false) == want);
  cpu::disable(was);
}
