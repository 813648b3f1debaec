// core/session.hpp's plumbing every machine shares: how next() ends when
// nothing more can happen without I/O (input_end), the one event an action
// keeps for next() (event_slot), and replies matched to commands written in
// full (awaited_replies). The machines' transcript and pair tests run them
// too; these pin each rule on its own.
#include <mailwire/core/session.hpp>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <utility>
#include <string_view>

#include "catch.hpp"

using mailwire::errc;
using mailwire::output_queue;
using mailwire::recv_buffer;
using mailwire::detail::awaited_replies;
using mailwire::detail::event_slot;
using mailwire::detail::input_end;

namespace {

enum class test_event_type : std::uint8_t { need_more, write_output, paused, check, error, closed };

struct test_event {  // the shape every machine's event has
  test_event_type type = test_event_type::need_more;
  errc error = errc::ok;
  std::uint64_t offset = 0;
};

struct sent {
  int what = 0;
};

// Takes the slot's event: it must be this one, and the slot empty after.
void check_take(event_slot<test_event>& slot, test_event_type type, errc error, std::uint64_t offset) {
  REQUIRE_FALSE(slot.empty());
  const test_event e = slot.take();
  CHECK(e.type == type);
  CHECK(e.error == error);
  CHECK(e.offset == offset);
  CHECK(slot.empty());
}

}  // namespace

TEST_CASE("input_end: need_more only with nothing to write, write_output while output waits") {
  output_queue out;
  input_end end;
  CHECK_FALSE(end.ended());
  CHECK(input_end::wait<test_event>(out).type == test_event_type::need_more);
  out.append("x");
  CHECK(input_end::wait<test_event>(out).type == test_event_type::write_output);
  out.consume(1);
  CHECK(input_end::wait<test_event>(out).type == test_event_type::need_more);
  end.finish();
  CHECK(end.ended());
}

TEST_CASE("input_end: the peer's close is closed, or truncated just past the last byte received") {
  recv_buffer in(64);
  REQUIRE(in.feed("QUIT\r\nMAIL") == 10);
  (void)in.take(6);  // "QUIT\r\n" processed; "MAIL" is a partial line

  const test_event done = input_end::at_end<test_event>(in, false);
  CHECK(done.type == test_event_type::closed);
  CHECK(done.error == errc::ok);

  const test_event cut = input_end::at_end<test_event>(in, true);
  CHECK(cut.type == test_event_type::error);
  CHECK(cut.error == errc::truncated);
  CHECK(cut.offset == 10);  // the end of the input, not where the partial line starts

  (void)in.take(4);
  CHECK(input_end::at_end<test_event>(in, true).offset == 10);  // consumed bytes still count
}

TEST_CASE("event_slot: empty, then one event with its error and offset, then empty again") {
  event_slot<test_event> slot;
  CHECK(slot.empty());
  slot.put(test_event_type::error, errc::too_many_errors, 42);
  check_take(slot, test_event_type::error, errc::too_many_errors, 42);

  // An event without error or offset carries none from an earlier one.
  slot.put(test_event_type::check);
  check_take(slot, test_event_type::check, errc::ok, 0);
}

TEST_CASE("event_slot: need_more may be kept like any type, and a later put replaces an untaken event") {
  event_slot<test_event> slot;
  slot.put(test_event_type::need_more);  // the slot's emptiness is its own, not a sentinel type
  check_take(slot, test_event_type::need_more, errc::ok, 0);

  slot.put(test_event_type::check);
  slot.put(test_event_type::error, errc::too_many_auth_failures, 7);
  check_take(slot, test_event_type::error, errc::too_many_auth_failures, 7);
}

TEST_CASE("awaited_replies: a reply answers the oldest command only once it is written in full") {
  output_queue out;
  awaited_replies<sent> awaited;
  CHECK(awaited.empty());
  CHECK(awaited.answered(out) == nullptr);  // nothing awaited: unsolicited

  awaited.expect_now({1});  // the greeting: answerable before anything is written
  out.append("EHLO x\r\n");
  awaited.expect({2}, out);
  out.append("MAIL FROM:<>\r\n");
  awaited.expect({3}, out);

  REQUIRE(awaited.answered(out) != nullptr);
  CHECK(awaited.answered(out)->what == 1);
  awaited.pop();

  // EHLO (8 bytes), then MAIL (14 bytes, not just EHLO's 8): one byte
  // short of its command written in full, a reply would be injected.
  for (const auto& [length, what] : {std::pair<std::size_t, int>{8, 2}, {14, 3}}) {
    out.consume(length - 1);
    CHECK(awaited.answered(out) == nullptr);
    out.consume(1);
    REQUIRE(awaited.answered(out) != nullptr);
    CHECK(awaited.answered(out)->what == what);
    awaited.pop();
  }
  CHECK(awaited.empty());
  CHECK(awaited.answered(out) == nullptr);
}
