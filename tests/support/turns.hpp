// turns_of(): where a recorded server waits for the client.
//
// A server answers only what it has received. In a client transcript the
// server's bytes of one turn (its S: lines up to the next C: line) may
// reach the client only after the client has written the C: lines listed
// before them; a client harness cuts the server's bytes at each turn and
// checks there that the client has written exactly those lines.
#ifndef MAILWIRE_TESTS_SUPPORT_TURNS_HPP
#define MAILWIRE_TESTS_SUPPORT_TURNS_HPP

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "grind.hpp"
#include "quote.hpp"
#include "transcript.hpp"

namespace mailwire_test {

/// After `at` bytes of its own, the server waits until the client has
/// written `written` bytes.
struct turn {
  std::size_t at = 0;
  std::size_t written = 0;
};

inline std::vector<turn> turns_of(const transcript_case& c) {
  std::vector<turn> turns;
  std::size_t s = 0;
  std::size_t w = 0;
  bool client_spoke = false;
  for (const auto& st : c.steps) {
    if (st.from == 'C') {
      w += st.bytes.size();
      client_spoke = true;
      continue;
    }
    if (client_spoke) turns.push_back({s, w});
    client_spoke = false;
    s += st.bytes.size();
  }
  return turns;
}

/// Hands the server's bytes, chunked as `ch`, to `deliver(bytes)`, cut at
/// each turn (none with `one_packet`). At each turn the bytes the client
/// has written (`written`, which deliver() updates) must be the C: lines
/// before it; a line saying otherwise is added to `events`.
template <class Deliver>
void deliver_in_turns(const transcript_case& c, const chunks& ch, bool one_packet, const std::string& written,
                      std::vector<std::string>& events, Deliver&& deliver) {
  const std::vector<turn> turns = one_packet ? std::vector<turn>{} : turns_of(c);
  const std::string wanted = c.sent_by('C');
  std::size_t pos = 0;
  std::size_t next_turn = 0;
  auto check_turns = [&] {
    for (; next_turn < turns.size() && turns[next_turn].at == pos; ++next_turn) {
      const std::string_view expected = std::string_view(wanted).substr(0, turns[next_turn].written);
      if (written != expected) {
        events.push_back("at server byte " + std::to_string(pos) + " the client has written " + quote(written) +
                         ", the transcript " + quote(expected));
      }
    }
  };
  check_turns();
  for (std::string_view piece : ch) {
    do {
      std::size_t take = piece.size();
      if (next_turn < turns.size()) take = (std::min)(take, turns[next_turn].at - pos);
      deliver(piece.substr(0, take));
      piece.remove_prefix(take);
      pos += take;
      check_turns();
    } while (!piece.empty());
  }
}

}  // namespace mailwire_test

#endif  // MAILWIRE_TESTS_SUPPORT_TURNS_HPP
