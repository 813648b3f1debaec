// The reader of the recorded IMAP transcripts (tests/support/imap_transcript.hpp)
// and the recorded files themselves: every Dovecot transcript and every
// BODYSTRUCTURE vector under tests/vectors/imap loads and has the shape the
// grammar tests will rely on.
#include "imap_transcript.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "catch.hpp"

namespace {

using mailwire_test::imap_chunk;
using mailwire_test::parse_imap_transcript;

const std::string imap_vectors = MAILWIRE_VECTORS_DIR "/imap";

bool parses(std::string_view text, std::vector<imap_chunk>& out, std::string& error) {
  return parse_imap_transcript(text, out, &error);
}

}  // namespace

TEST_CASE("imap transcript: chunks are taken by length, whatever bytes they hold", "[imap][transcript]") {
  // The second chunk holds an LF, a line that looks like a header, a '#', NUL
  // and 8-bit bytes: only the length decides where it ends.
  const std::string body = std::string("x\nS 3\n# no comment\r\n") + std::string("\0\xff", 2);
  const std::string text = "# a comment\n\nS 5\n* OK\n\nC " + std::to_string(body.size()) + "\n" + body +
                           "\n#\nC 0\n\n";
  std::vector<imap_chunk> chunks;
  std::string error;
  REQUIRE(parses(text, chunks, error));
  REQUIRE(chunks.size() == 3);
  CHECK_FALSE(chunks[0].from_client);
  CHECK(chunks[0].bytes == "* OK\n");
  CHECK(chunks[1].from_client);
  CHECK(chunks[1].bytes == body);
  CHECK(chunks[2].from_client);
  CHECK(chunks[2].bytes.empty());
  CHECK(mailwire_test::imap_stream(chunks, true) == body);
  CHECK(mailwire_test::imap_stream(chunks, false) == "* OK\n");
  std::vector<imap_chunk> none;
  CHECK(parses("", none, error));
  CHECK(none.empty());
}

TEST_CASE("imap transcript: malformed files are refused with the offset", "[imap][transcript]") {
  std::vector<imap_chunk> chunks;
  std::string error;
  // exactly long enough, then one byte short / one over
  CHECK(parses("S 2\nab\n", chunks, error));
  CHECK_FALSE(parses("S 3\nab\n", chunks, error));
  CHECK(error.find("not followed by LF") != std::string::npos);
  CHECK_FALSE(parses("S 1\nab\n", chunks, error));
  CHECK_FALSE(parses("S 9\nab\n", chunks, error));
  CHECK(error.find("past the end") != std::string::npos);
  CHECK_FALSE(parses("S 99999999999999999999999999\nab\n", chunks, error));
  CHECK(error.find("past the end") != std::string::npos);
  CHECK_FALSE(parses("S 2\nab", chunks, error));  // no LF after the bytes
  CHECK_FALSE(parses("X 2\nab\n", chunks, error));
  CHECK(error == "expected \"C <len>\" or \"S <len>\" at byte 0");
  CHECK_FALSE(parses("S \nab\n", chunks, error));
  CHECK_FALSE(parses("S -2\nab\n", chunks, error));
  CHECK(error == "length is not a decimal number at byte 2");
  CHECK_FALSE(parses("S 2x\nab\n", chunks, error));
  CHECK_FALSE(parses("C 1\na\nS 2", chunks, error));
  CHECK(error.find("without its LF") != std::string::npos);
  CHECK(chunks.size() == 1);  // what was read before the error stays
  CHECK_FALSE(mailwire_test::load_imap_transcript(imap_vectors + "/no-such-file.txt", chunks, &error));
  CHECK(error.find("cannot open") == 0);
}

TEST_CASE("imap transcript: every recorded Dovecot session loads", "[imap][transcript]") {
  std::size_t files = 0;
  std::error_code ec;  // the overload that does not throw: a missing folder fails the count below
  for (const auto& entry : std::filesystem::directory_iterator(imap_vectors + "/dovecot", ec)) {
    if (entry.path().extension() != ".txt") continue;
    ++files;
    INFO(entry.path().string());
    std::vector<imap_chunk> chunks;
    std::string error;
    REQUIRE(mailwire_test::load_imap_transcript(entry.path().string(), chunks, &error));
    INFO(error);
    REQUIRE(chunks.size() >= 3);
    // the greeting comes first, every server chunk is whole responses
    CHECK_FALSE(chunks.front().from_client);
    CHECK(chunks.front().bytes.rfind("* OK ", 0) == 0);
    for (const imap_chunk& c : chunks) {
      REQUIRE(c.bytes.size() >= 2);
      CHECK(c.bytes.compare(c.bytes.size() - 2, 2, "\r\n") == 0);
    }
    const std::string server = mailwire_test::imap_stream(chunks, false);
    CHECK(server.find("* BYE ") != std::string::npos);
  }
  CHECK(files >= 12);
}

TEST_CASE("imap transcript: every BODYSTRUCTURE vector in the index is one untagged FETCH", "[imap][transcript]") {
  const std::string dir = imap_vectors + "/bodystructure/";
  std::ifstream index(dir + "index.tsv", std::ios::binary);
  REQUIRE(index);
  std::string line;
  std::size_t vectors = 0;
  while (std::getline(index, line)) {
    if (line.empty() || line[0] == '#') continue;
    INFO(line);
    const std::size_t tab1 = line.find('\t');
    REQUIRE(tab1 != std::string::npos);
    const std::size_t tab2 = line.find('\t', tab1 + 1);
    REQUIRE(tab2 != std::string::npos);
    const std::string vector = line.substr(tab1 + 1, tab2 - tab1 - 1);
    if (vector == "REFUSED") continue;
    std::ifstream in(dir + vector, std::ios::binary);
    REQUIRE(in);
    std::stringstream s;
    s << in.rdbuf();
    const std::string bytes = s.str();
    CHECK(bytes.rfind("* ", 0) == 0);
    CHECK(bytes.find(" FETCH (UID ") != std::string::npos);
    CHECK(bytes.find(" BODYSTRUCTURE (") != std::string::npos);
    REQUIRE(bytes.size() >= 3);
    CHECK(bytes.compare(bytes.size() - 3, 3, ")\r\n") == 0);
    ++vectors;
  }
  CHECK(vectors >= 100);
}
