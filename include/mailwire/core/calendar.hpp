// mailwire: proleptic Gregorian calendar arithmetic, shared by the dates of
// MIME headers (mime/date.hpp) and of IMAP (imap/datetime.hpp).
//
// The protocols do not depend on the MIME layer, so the one copy of this
// arithmetic lives here, in mailwire::detail (internal, unstable). Days are
// counted from 1970-01-01; seconds are Unix seconds (no leap seconds).
// Nothing here reads a clock or a time zone database.
#ifndef MAILWIRE_CORE_CALENDAR_HPP
#define MAILWIRE_CORE_CALENDAR_HPP

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mailwire {
inline namespace v0 {
namespace detail {

// Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
// (H. Hinnant's days_from_civil algorithm). m is 1-12; d is not checked.
constexpr std::int64_t days_from_civil(std::int64_t y, int m, int d) noexcept {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

// Number of days of month m (1-12) in year y.
constexpr int days_in_month(int y, int m) noexcept {
  constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : days[m - 1];
}

// The English three-letter month and weekday names, as RFC 5322 3.3 and
// RFC 9051 9 spell them, three bytes each (January first; Monday first).
inline constexpr std::string_view month_names = "JanFebMarAprMayJunJulAugSepOctNovDec";
inline constexpr std::string_view day_names = "MonTueWedThuFriSatSun";

// Calendar fields of a moment, without a zone.
struct civil_time {
  int year = 0;
  int month = 0;   // 1-12
  int day = 0;     // 1-31
  int hour = 0;    // 0-23
  int minute = 0;  // 0-59
  int second = 0;  // 0-59
};

// The calendar fields of `seconds` since 1970-01-01T00:00:00, any year
// (civil_from_days, H. Hinnant).
constexpr civil_time civil_from_seconds(std::int64_t seconds) noexcept {
  std::int64_t days = seconds / 86400;
  std::int64_t rem = seconds % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  const std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  civil_time t;
  t.year = static_cast<int>(yoe + era * 400 + (mp >= 10 ? 1 : 0));
  t.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  t.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  t.hour = static_cast<int>(rem / 3600);
  t.minute = static_cast<int>(rem / 60 % 60);
  t.second = static_cast<int>(rem % 60);
  return t;
}

// Appends the `width` (at most 8) low decimal digits of v >= 0, with
// leading zeros: the fixed-width fields both date formats write.
inline void put_digits(std::string& out, std::int64_t v, int width) {
  char buf[8];
  for (int i = width - 1; i >= 0; --i) {
    buf[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  out.append(buf, static_cast<std::size_t>(width));
}

// The three-letter name of month m (1-12), "Jan".
constexpr std::string_view month_name(int m) noexcept {
  return month_names.substr(static_cast<std::size_t>(m - 1) * 3, 3);
}

// "hh:mm:ss", as both formats write the time of day.
inline void put_clock(std::string& out, int hour, int minute, int second) {
  put_digits(out, hour, 2);
  out.push_back(':');
  put_digits(out, minute, 2);
  out.push_back(':');
  put_digits(out, second, 2);
}

// A zone "+hhmm" / "-hhmm" (RFC 5322 3.3, RFC 9051 9) from minutes east of
// UTC, |offset_minutes| <= 5999; 0 is "+0000".
inline void put_zone(std::string& out, int offset_minutes) {
  out.push_back(offset_minutes < 0 ? '-' : '+');
  const int off = offset_minutes < 0 ? -offset_minutes : offset_minutes;
  put_digits(out, off / 60 * 100 + off % 60, 4);
}

}  // namespace detail
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_CORE_CALENDAR_HPP
