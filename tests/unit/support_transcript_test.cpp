// The transcript parser itself: what a vector file means.
#include <string>

#include "catch.hpp"
#include "transcript.hpp"

TEST_CASE("transcript files parse into cases with exact bytes") {
  const auto cases = mailwire_test::parse_transcripts(
      "# title\n\nprose\n\n## first\n\n```options\nmax_length=12\nallow_bare_lf\n```\n\n"
      "```transcript\nC: EHLO x\\r\\n\nS: 250 ok\\r\\n\nC: a\\tb\\\\c\\x00\\xFF\\n\n```\n\n"
      "```events\nline off=0 \"EHLO x\"\n```\n\n## second\n\n```transcript\nC: QUIT\n```\n",
      "inline.md");
  REQUIRE(cases.size() == 2);
  const auto& c = cases[0];
  CHECK(c.name == "first");
  CHECK(c.line == 5);
  CHECK(c.number("max_length", 0) == 12);
  CHECK(c.number("absent", 7) == 7);
  CHECK(c.has("allow_bare_lf"));
  CHECK_FALSE(c.has("no_split"));
  REQUIRE(c.steps.size() == 3);
  CHECK(c.sent_by('C') == std::string("EHLO x\r\na\tb\\c\0\xFF\n", 16));
  CHECK(c.sent_by('S') == "250 ok\r\n");
  CHECK(c.events == std::vector<std::string>{"line off=0 \"EHLO x\""});
  CHECK(cases[1].sent_by('C') == "QUIT");  // nothing implied: no line end
}

TEST_CASE("quote() shows every byte unambiguously") {
  CHECK(mailwire_test::quote(std::string("a\r\n\t\\\"\0\x7F\xC3", 9)) == "\"a\\r\\n\\t\\\\\\\"\\x00\\x7F\\xC3\"");
}

TEST_CASE("chunkings cover whole, every split, bytes and three pieces") {
  const auto all = mailwire_test::chunkings("abcd");
  // 1 whole + 5 two-way + 1 byte-wise + 3 three-way (i<j inside the input)
  CHECK(all.size() == 1 + 5 + 1 + 3);
  for (const auto& ch : all) {
    std::string joined;
    for (auto c : ch) joined += c;
    CHECK(joined == "abcd");
  }
  CHECK(mailwire_test::describe(all[3]) == "split at [2]");
}
