// Transcripts: protocol test vectors as readable Markdown, and their runner.
//
// A vector file (tests/vectors/**/*.md) holds cases. Each case is a "## "
// heading followed by fenced blocks:
//
//     ## pipelined commands with a bare LF in the middle
//
//     ```options
//     max_length=512
//     allow_bare_lf
//     ```
//
//     ```transcript
//     C: HELO x\r\n
//     S: 250 ok\r\n
//     ```
//
//     ```events
//     line off=0 "HELO x"
//     ```
//
//  - options: one `key=value` or bare `flag` per line; `no_split` makes the
//    runner feed the input whole only (say why in the case's prose).
//  - transcript: `C: ` lines are what the client sends, `S: ` lines what the
//    server sends, in order. Nothing is implied: a line end is written as
//    \r\n (or \n, for a bare LF); escapes are \r \n \t \0 \\ and \xHH.
//  - events: the expected event log, one event per line, in the text form
//    the suite's adapter for that machine prints.
//
// Everything else (prose, other headings) is commentary. run_transcript()
// feeds one side's bytes to the machine under test at every split (grind),
// and checks the events and the bytes the machine wrote back.
#ifndef MAILWIRE_TESTS_SUPPORT_TRANSCRIPT_HPP
#define MAILWIRE_TESTS_SUPPORT_TRANSCRIPT_HPP

#include <cstddef>
#include <cstdlib>
#include <fstream>
#include <initializer_list>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "catch.hpp"
#include "grind.hpp"

namespace mailwire_test {

struct transcript_case {
  struct step {
    char from;  ///< 'C' or 'S'
    std::string bytes;
  };

  std::string file;
  std::size_t line = 0;  ///< line of the heading, for failure messages
  std::string name;
  std::map<std::string, std::string> options;
  std::vector<step> steps;
  std::vector<std::string> events;

  /// Everything one side sent, concatenated.
  std::string sent_by(char from) const {
    std::string s;
    for (const step& st : steps) {
      if (st.from == from) s += st.bytes;
    }
    return s;
  }
  bool has(const std::string& key) const { return options.count(key) != 0; }
  std::size_t number(const std::string& key, std::size_t fallback) const {
    auto it = options.find(key);
    return it == options.end() ? fallback : static_cast<std::size_t>(std::stoull(it->second));
  }
  /// Fails the test when an option is not in `known` (catches typos).
  void require_known(std::initializer_list<const char*> known) const {
    for (const auto& kv : options) {
      bool ok = kv.first == "no_split";
      for (const char* k : known) ok = ok || kv.first == k;
      INFO(where() << ": unknown option '" << kv.first << "'");
      REQUIRE(ok);
    }
  }
  std::string where() const { return file + ":" + std::to_string(line) + " (" + name + ")"; }
};

namespace detail {
inline bool unescape(std::string_view in, std::string& out) {
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '\\') {
      out += in[i];
      continue;
    }
    if (++i == in.size()) return false;
    switch (in[i]) {
      case 'r': out += '\r'; break;
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case '0': out += '\0'; break;
      case '\\': out += '\\'; break;
      case 'x': {
        if (in.size() - i < 3) return false;
        const std::string hex(in.substr(i + 1, 2));
        if (hex.size() != 2 || hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) return false;
        out += static_cast<char>(std::stoi(hex, nullptr, 16));
        i += 2;
        break;
      }
      default: return false;
    }
  }
  return true;
}
}  // namespace detail

/// Parses the cases of one vector file. Malformed files fail the test.
inline std::vector<transcript_case> parse_transcripts(std::string_view text, const std::string& file) {
  std::vector<transcript_case> cases;
  std::istringstream is{std::string(text)};
  std::string line;
  std::string block;  // the fence we are inside, or empty
  std::size_t n = 0;
  while (std::getline(is, line)) {
    ++n;
    INFO(file << ":" << n);
    if (block.empty()) {
      if (line.rfind("## ", 0) == 0) {
        cases.emplace_back();
        cases.back().file = file;
        cases.back().line = n;
        cases.back().name = line.substr(3);
      } else if (line.rfind("```", 0) == 0 && line.size() > 3) {
        block = line.substr(3);
        REQUIRE(!cases.empty());
        REQUIRE((block == "options" || block == "transcript" || block == "events"));
      }
      continue;
    }
    if (line == "```") {
      block.clear();
      continue;
    }
    transcript_case& c = cases.back();
    if (block == "options") {
      const auto eq = line.find('=');
      if (eq == std::string::npos) {
        c.options[line] = "";
      } else {
        c.options[line.substr(0, eq)] = line.substr(eq + 1);
      }
    } else if (block == "events") {
      c.events.push_back(line);
    } else {
      REQUIRE(line.size() >= 3);
      REQUIRE((line.compare(0, 3, "C: ") == 0 || line.compare(0, 3, "S: ") == 0));
      transcript_case::step st{line[0], {}};
      REQUIRE(detail::unescape(std::string_view(line).substr(3), st.bytes));
      c.steps.push_back(std::move(st));
    }
  }
  REQUIRE(block.empty());
  return cases;
}

inline std::vector<transcript_case> load_transcripts(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  INFO("reading " << path);
  REQUIRE(f.good());
  std::ostringstream ss;
  ss << f.rdbuf();
  return parse_transcripts(ss.str(), path);
}

/// What a machine did with one chunking of its input.
struct session_log {
  std::vector<std::string> events;
  std::string output;  ///< bytes the machine wrote to the peer
};

/// Feeds `c.sent_by(input_from)` to a fresh machine through
/// `run(const transcript_case&, const chunks&) -> session_log` at every
/// split (unless no_split), requires all runs to agree, then compares the
/// events with the case's and the output with the other side's bytes.
template <class Run>
void run_transcript(const transcript_case& c, char input_from, Run&& run) {
  INFO(c.where());
  const std::string input = c.sent_by(input_from);
  auto flat = [&](const chunks& ch) {
    session_log log = run(c, ch);
    std::string s;
    for (const std::string& e : log.events) s += e + "\n";
    return s + "output " + quote(log.output) + "\n";
  };
  const std::string got = c.has("no_split") ? flat({input}) : grind(input, flat);
  std::string want;
  for (const std::string& e : c.events) want += e + "\n";
  want += "output " + quote(c.sent_by(input_from == 'C' ? 'S' : 'C')) + "\n";
  if (got != want && std::getenv("MAILWIRE_TRANSCRIPT_DUMP") != nullptr) {
    std::ofstream(std::string(std::getenv("MAILWIRE_TRANSCRIPT_DUMP")) + "/" + std::to_string(c.line) + ".got") << got;
    std::ofstream(std::string(std::getenv("MAILWIRE_TRANSCRIPT_DUMP")) + "/" + std::to_string(c.line) + ".want") << want;
  }
  CHECK(got == want);
}

}  // namespace mailwire_test

#endif  // MAILWIRE_TESTS_SUPPORT_TRANSCRIPT_HPP
