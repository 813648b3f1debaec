// imap/datetime.hpp: date (SEARCH SINCE) and date-time (INTERNALDATE,
// APPEND) of RFC 3501/9051, range checks, writing, Unix seconds.
#include <mailwire/imap/datetime.hpp>

#include <cstdint>
#include <random>
#include <string>

#include "catch.hpp"

using mailwire::errc;
using mailwire::imap::date;
using mailwire::imap::date_time;
using mailwire::imap::from_unix_seconds;
using mailwire::imap::is_valid;
using mailwire::imap::parse_date;
using mailwire::imap::parse_date_time;
using mailwire::imap::to_unix_seconds;

namespace {

template <class T>
std::string written(const T& v) {
  std::string out;
  CHECK(write(out, v) == errc::ok);
  return out;
}

date_time dt(int y, int mo, int d, int h, int mi, int s, int off) { return date_time{y, mo, d, h, mi, s, off}; }

}  // namespace

TEST_CASE("imap date: the grammar's forms", "[imap][datetime]") {
  date d;
  REQUIRE(parse_date("1-Feb-1994", d) == errc::ok);  // RFC 9051 6.4.4's example
  CHECK(d == date{1994, 2, 1});
  REQUIRE(parse_date("01-Feb-1994", d) == errc::ok);
  CHECK(d == date{1994, 2, 1});
  REQUIRE(parse_date("\"1-Feb-1994\"", d) == errc::ok);  // date = DQUOTE date-text DQUOTE
  CHECK(d == date{1994, 2, 1});
  REQUIRE(parse_date("31-dEC-2023", d) == errc::ok);  // month names are case-insensitive
  CHECK(d == date{2023, 12, 31});
  REQUIRE(parse_date("29-Feb-1996", d) == errc::ok);
  REQUIRE(parse_date("29-Feb-2000", d) == errc::ok);
  REQUIRE(parse_date("1-Jan-0000", d) == errc::ok);
  CHECK(d == date{0, 1, 1});
  REQUIRE(parse_date("31-Dec-9999", d) == errc::ok);
}

TEST_CASE("imap date: malformed or out of range", "[imap][datetime]") {
  for (const char* bad : {"", "1", "1-Feb", "1-Feb-", "1-Feb-94", "1-Feb-01994", "001-Feb-1994", "1-Febr-1994",
                          "1-Fe-1994", "1-Foo-1994", "1 Feb 1994", "1/Feb/1994", " 1-Feb-1994", "1-Feb-1994 ",
                          "\"1-Feb-1994", "1-Feb-1994\"", "\"\"", "0-Feb-1994", "00-Feb-1994", "32-Jan-2020",
                          "30-Feb-1996", "29-Feb-1993", "29-Feb-1900", "31-Apr-2020", "31-Jun-2020", "31-Sep-2020",
                          "31-Nov-2020", "a-Feb-1994", "1-Feb-199a", "+1-Feb-1994", "1-Feb-+994", "1-2-1994"}) {
    INFO(bad);
    date d{7, 7, 7};
    CHECK(parse_date(bad, d) == errc::syntax_error);
    CHECK(d == date{7, 7, 7});  // unchanged
  }
}

TEST_CASE("imap date-time: the grammar's forms", "[imap][datetime]") {
  date_time t;
  REQUIRE(parse_date_time("17-Jul-1996 02:44:25 -0700", t) == errc::ok);  // RFC 9051's example
  CHECK(t == dt(1996, 7, 17, 2, 44, 25, -420));
  REQUIRE(parse_date_time("\"17-Jul-1996 02:44:25 -0700\"", t) == errc::ok);
  CHECK(t == dt(1996, 7, 17, 2, 44, 25, -420));
  REQUIRE(parse_date_time(" 7-Jul-1996 02:44:25 +0530", t) == errc::ok);  // date-day-fixed: SP DIGIT
  CHECK(t == dt(1996, 7, 7, 2, 44, 25, 330));
  REQUIRE(parse_date_time("\"07-jul-1996 23:59:60 +0000\"", t) == errc::ok);  // 2DIGIT; a leap second
  CHECK(t == dt(1996, 7, 7, 23, 59, 60, 0));
  REQUIRE(parse_date_time("01-Jan-2000 00:00:00 -0000", t) == errc::ok);
  CHECK(t.offset_minutes == 0);
  REQUIRE(parse_date_time("01-Jan-2000 00:00:00 +9959", t) == errc::ok);
  CHECK(t.offset_minutes == 5999);
  REQUIRE(parse_date_time("01-Jan-2000 00:00:00 -9959", t) == errc::ok);
  CHECK(t.offset_minutes == -5999);
}

TEST_CASE("imap date-time: malformed or out of range", "[imap][datetime]") {
  for (const char* bad : {
           "",
           "17-Jul-1996",
           "7-Jul-1996 02:44:25 -0700",     // one digit without its SP
           "007-Jul-1996 02:44:25 -0700",   //
           "  7-Jul-1996 02:44:25 -0700",   //
           " 7-Jul-1996 02:44:25 -0700 ",   // trailing space
           "17-Jul-1996  02:44:25 -0700",   // two spaces
           "17-Jul-1996 02:44:25  -0700",   //
           "17-Jul-1996T02:44:25 -0700",    //
           "17-Jul-1996 2:44:25 -0700",     //
           "17-Jul-1996 02:44 -0700",       // seconds are required
           "17-Jul-1996 02:44:25",          // so is the zone
           "17-Jul-1996 02:44:25 0700",     //
           "17-Jul-1996 02:44:25 -700",     //
           "17-Jul-1996 02:44:25 -07:00",   //
           "17-Jul-1996 02:44:25 PDT",      //
           "17-Jul-1996 02:44:25 -07000",   //
           "17-Jul-96 02:44:25 -0700",      //
           "17-July-1996 02:44:25 -0700",   //
           "\"17-Jul-1996 02:44:25 -0700",  // one quote
           "17-Jul-1996 24:00:00 +0000",    // hour 0-23
           "17-Jul-1996 23:60:00 +0000",    // minute 0-59
           "17-Jul-1996 23:59:61 +0000",    // second 0-60
           "17-Jul-1996 02:44:25 +0060",    // zone minutes 0-59
           "30-Feb-2000 02:44:25 +0000",    //
           "00-Feb-2000 02:44:25 +0000",    //
           " 0-Feb-2000 02:44:25 +0000",    //
           "17-Jul-1996 02:44:25 +00a0",    //
           "17-Jul-1996 0x:44:25 +0000",    //
       }) {
    INFO(bad);
    date_time t = dt(1, 1, 1, 1, 1, 1, 1);
    CHECK(parse_date_time(bad, t) == errc::syntax_error);
    CHECK(t == dt(1, 1, 1, 1, 1, 1, 1));
  }
}

TEST_CASE("imap date and date-time: writing", "[imap][datetime]") {
  CHECK(written(date{1994, 2, 1}) == "1-Feb-1994");
  CHECK(written(date{1994, 2, 11}) == "11-Feb-1994");
  CHECK(written(date{5, 12, 31}) == "31-Dec-0005");
  CHECK(written(dt(1996, 7, 17, 2, 44, 25, -420)) == "\"17-Jul-1996 02:44:25 -0700\"");
  CHECK(written(dt(1996, 7, 7, 2, 4, 5, 0)) == "\"07-Jul-1996 02:04:05 +0000\"");  // as Dovecot's imap-date.c
  CHECK(written(dt(2024, 1, 1, 0, 0, 0, 330)) == "\"01-Jan-2024 00:00:00 +0530\"");
  CHECK(written(dt(2024, 1, 1, 0, 0, 0, -5999)) == "\"01-Jan-2024 00:00:00 -9959\"");
  for (const date& bad : {date{}, date{2023, 2, 29}, date{2023, 13, 1}, date{10000, 1, 1}, date{-1, 1, 1}}) {
    std::string out = "kept";
    CHECK(write(out, bad) == errc::invalid_argument);
    CHECK(out == "kept");
  }
  for (const date_time& bad : {date_time{}, dt(2023, 1, 1, 24, 0, 0, 0), dt(2023, 1, 1, 0, 60, 0, 0),
                               dt(2023, 1, 1, 0, 0, 61, 0), dt(2023, 1, 1, 0, 0, 0, 6000),
                               dt(2023, 1, 1, 0, 0, 0, -6000), dt(2023, 1, 1, -1, 0, 0, 0)}) {
    std::string out = "kept";
    CHECK(write(out, bad) == errc::invalid_argument);
    CHECK(out == "kept");
  }
}

TEST_CASE("imap date-time: Unix seconds both ways", "[imap][datetime]") {
  CHECK(to_unix_seconds(date{1970, 1, 1}) == 0);
  CHECK(to_unix_seconds(date{1994, 2, 1}) == 760060800);
  CHECK(to_unix_seconds(dt(1996, 7, 17, 2, 44, 25, -420)) == 837596665);
  CHECK(to_unix_seconds(dt(1970, 1, 1, 0, 0, 0, 60)) == -3600);
  CHECK(to_unix_seconds(dt(1970, 1, 1, 0, 0, 60, 0)) == 60);  // a leap second is the next second's start

  date_time t;
  REQUIRE(from_unix_seconds(837596665, -420, t) == errc::ok);
  CHECK(t == dt(1996, 7, 17, 2, 44, 25, -420));
  REQUIRE(from_unix_seconds(0, 0, t) == errc::ok);
  CHECK(t == dt(1970, 1, 1, 0, 0, 0, 0));
  REQUIRE(from_unix_seconds(-1, 0, t) == errc::ok);
  CHECK(t == dt(1969, 12, 31, 23, 59, 59, 0));
  date d;
  REQUIRE(from_unix_seconds(837596665, -600, d) == errc::ok);  // 23:44 the day before in -1000
  CHECK(d == date{1996, 7, 16});

  // The range: years 0000 to 9999 of local time, offsets of four digits.
  REQUIRE(from_unix_seconds(253402300799, 0, t) == errc::ok);
  CHECK(t == dt(9999, 12, 31, 23, 59, 59, 0));
  t = dt(1, 1, 1, 1, 1, 1, 1);
  CHECK(from_unix_seconds(253402300800, 0, t) == errc::invalid_argument);
  CHECK(from_unix_seconds(253402300799, 1, t) == errc::invalid_argument);
  CHECK(from_unix_seconds(253402300799 - 60, 1, t) == errc::ok);
  REQUIRE(from_unix_seconds(-62167219200, 0, t) == errc::ok);
  CHECK(t == dt(0, 1, 1, 0, 0, 0, 0));
  t = dt(1, 1, 1, 1, 1, 1, 1);
  CHECK(from_unix_seconds(-62167219201, 0, t) == errc::invalid_argument);
  CHECK(from_unix_seconds(0, 6000, t) == errc::invalid_argument);
  CHECK(from_unix_seconds(0, -6000, t) == errc::invalid_argument);
  CHECK(from_unix_seconds(INT64_MAX, 0, t) == errc::invalid_argument);
  CHECK(from_unix_seconds(INT64_MIN, 5999, t) == errc::invalid_argument);
  CHECK(t == dt(1, 1, 1, 1, 1, 1, 1));
  REQUIRE(from_unix_seconds(0, 5999, t) == errc::ok);
  CHECK(t == dt(1970, 1, 5, 3, 59, 0, 5999));
}

TEST_CASE("imap date-time: parse(write(x)) == x and Unix round trips (random)", "[imap][datetime]") {
  std::mt19937 rng(9051);
  const auto in = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  for (int n = 0; n < 20000; ++n) {
    date_time t;
    t.year = in(0, 9999);
    t.month = in(1, 12);
    t.day = in(1, mailwire::detail::days_in_month(t.year, t.month));
    t.hour = in(0, 23);
    t.minute = in(0, 59);
    t.second = in(0, 59);
    t.offset_minutes = in(-5999, 5999);
    REQUIRE(is_valid(t));
    const std::string w = written(t);
    INFO(w);
    REQUIRE(w.size() == 28);
    date_time back;
    REQUIRE(parse_date_time(w, back) == errc::ok);
    REQUIRE(back == t);
    // The same moment through Unix seconds, in its own zone.
    date_time again;
    if (from_unix_seconds(to_unix_seconds(t), t.offset_minutes, again) == errc::ok) REQUIRE(again == t);

    const date d{t.year, t.month, t.day};
    date dback;
    REQUIRE(parse_date(written(d), dback) == errc::ok);
    REQUIRE(dback == d);
    REQUIRE(from_unix_seconds(to_unix_seconds(d), 0, dback) == errc::ok);
    REQUIRE(dback == d);
  }
}
