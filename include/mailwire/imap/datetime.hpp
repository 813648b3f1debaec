// mailwire: IMAP dates and date-times (RFC 3501 9, RFC 9051 9).
//
//   date           = date-text / DQUOTE date-text DQUOTE
//   date-text      = date-day "-" date-month "-" date-year
//   date-day       = 1*2DIGIT                 ; "1" or "01"
//   date-month     = "Jan" / "Feb" / ... / "Dec"   ; case-insensitive
//   date-year      = 4DIGIT
//   date-time      = DQUOTE date-day-fixed "-" date-month "-" date-year
//                    SP time SP zone DQUOTE
//   date-day-fixed = (SP DIGIT) / 2DIGIT      ; " 7" or "07"
//   time           = 2DIGIT ":" 2DIGIT ":" 2DIGIT
//   zone           = ("+" / "-") 4DIGIT       ; hhmm east of Greenwich
//
// `date` is what SEARCH BEFORE/ON/SINCE take; `date-time` is INTERNALDATE
// and APPEND's date. Parsing is strict to the grammar, plus range checks:
// the day must exist in that month (leap years included), hour 0-23,
// minute 0-59, second 0-60 (60 for a leap second, as RFC 5322 3.3 allows
// for the Date field these dates come from), zone minutes 0-59. Values own
// no text (plain integers). The calendar arithmetic is core/calendar.hpp's.
#ifndef MAILWIRE_IMAP_DATETIME_HPP
#define MAILWIRE_IMAP_DATETIME_HPP

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "mailwire/core/ascii.hpp"
#include "mailwire/core/calendar.hpp"
#include "mailwire/error.hpp"

namespace mailwire {
inline namespace v0 {
namespace imap {

/// A calendar day, as in SEARCH SINCE 1-Feb-1994 (no time, no zone).
struct date {
  int year = 0;   ///< 0-9999 (four digits on the wire)
  int month = 0;  ///< 1-12
  int day = 0;    ///< 1 to the length of the month

  friend constexpr bool operator==(const date& a, const date& b) noexcept {
    return a.year == b.year && a.month == b.month && a.day == b.day;
  }
  friend constexpr bool operator!=(const date& a, const date& b) noexcept { return !(a == b); }
};

/// A moment with its zone, as in INTERNALDATE "17-Jul-1996 02:44:25 -0700".
struct date_time {
  int year = 0;    ///< 0-9999
  int month = 0;   ///< 1-12
  int day = 0;     ///< 1 to the length of the month
  int hour = 0;    ///< 0-23
  int minute = 0;  ///< 0-59
  int second = 0;  ///< 0-60 (60: a leap second)
  /// The zone: local time minus UTC in minutes, -5999 to 5999 ("-0700" is
  /// -420). "-0000" reads as 0 and is written "+0000".
  int offset_minutes = 0;

  friend constexpr bool operator==(const date_time& a, const date_time& b) noexcept {
    return a.year == b.year && a.month == b.month && a.day == b.day && a.hour == b.hour && a.minute == b.minute &&
           a.second == b.second && a.offset_minutes == b.offset_minutes;
  }
  friend constexpr bool operator!=(const date_time& a, const date_time& b) noexcept { return !(a == b); }
};

/// True when every field of `d` is in its range (see the fields).
constexpr bool is_valid(const date& d) noexcept {
  return d.year >= 0 && d.year <= 9999 && d.month >= 1 && d.month <= 12 && d.day >= 1 &&
         d.day <= mailwire::detail::days_in_month(d.year, d.month);
}

/// True when every field of `t` is in its range (see the fields).
constexpr bool is_valid(const date_time& t) noexcept {
  return is_valid(date{t.year, t.month, t.day}) && t.hour >= 0 && t.hour <= 23 && t.minute >= 0 &&
         t.minute <= 59 && t.second >= 0 && t.second <= 60 && t.offset_minutes >= -5999 &&
         t.offset_minutes <= 5999;
}

namespace detail {
// `count` digits at s[at..]: their value, or -1.
constexpr int date_digits(std::string_view s, std::size_t at, std::size_t count) noexcept {
  int v = 0;
  for (std::size_t i = at; i < at + count; ++i) {
    if (i >= s.size() || !ascii::is_digit(s[i])) return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

// "Jan" ... "Dec" in any case: 1-12, or 0.
constexpr int month_number(std::string_view name) noexcept {
  if (name.size() != 3) return 0;
  for (int m = 1; m <= 12; ++m) {
    if (ascii::iequals(name, mailwire::detail::month_name(m))) return m;
  }
  return 0;
}

// "-" date-month "-" date-year at s[at..], to the end of s: fills month
// and year of `d`.
constexpr bool read_month_year(std::string_view s, std::size_t at, date& d) noexcept {
  if (s.size() != at + 9 || s[at] != '-' || s[at + 4] != '-') return false;
  d.month = month_number(s.substr(at + 1, 3));
  d.year = date_digits(s, at + 5, 4);
  return d.month != 0 && d.year >= 0;
}

// The content of a quoted form, or the token itself.
constexpr std::string_view strip_date_quotes(std::string_view token) noexcept {
  if (token.size() >= 2 && token.front() == '"' && token.back() == '"') return token.substr(1, token.size() - 2);
  return token;
}
}  // namespace detail

/// Parses an IMAP `date` ("1-Feb-1994", "01-feb-1994", or either inside
/// DQUOTEs: the quoted form and the content a string token yields). The
/// whole token must be the date. errc::syntax_error, `out` unchanged, when
/// it is malformed or a field is out of range (day 0, 30-Feb, 29-Feb of a
/// common year).
constexpr errc parse_date(std::string_view token, date& out) noexcept {
  const std::string_view s = detail::strip_date_quotes(token);
  date d;
  const std::size_t day_len = s.size() > 1 && ascii::is_digit(s[1]) ? 2 : 1;
  d.day = detail::date_digits(s, 0, day_len);
  if (d.day < 0 || !detail::read_month_year(s, day_len, d) || !is_valid(d)) return errc::syntax_error;
  out = d;
  return errc::ok;
}

/// Parses an IMAP `date-time`: "17-Jul-1996 02:44:25 -0700" with or
/// without its DQUOTEs, the day either two digits or SP and one digit
/// (" 7-Jul-1996 ..."), exactly one SP between the parts. errc::syntax_error,
/// `out` unchanged, when it is malformed (including a one-digit day without
/// its SP, which the grammar does not allow) or a field is out of range.
constexpr errc parse_date_time(std::string_view token, date_time& out) noexcept {
  const std::string_view s = detail::strip_date_quotes(token);
  // "dd-Mon-yyyy hh:mm:ss +zzzz": every field at a fixed offset.
  if (s.size() != 26 || s[11] != ' ' || s[14] != ':' || s[17] != ':' || s[20] != ' ' ||
      (s[21] != '+' && s[21] != '-')) {
    return errc::syntax_error;
  }
  date d;
  d.day = s[0] == ' ' ? detail::date_digits(s, 1, 1) : detail::date_digits(s, 0, 2);
  if (d.day < 0 || !detail::read_month_year(s.substr(0, 11), 2, d)) return errc::syntax_error;
  date_time t;
  t.year = d.year;
  t.month = d.month;
  t.day = d.day;
  t.hour = detail::date_digits(s, 12, 2);
  t.minute = detail::date_digits(s, 15, 2);
  t.second = detail::date_digits(s, 18, 2);
  const int zone = detail::date_digits(s, 22, 4);
  if (t.hour < 0 || t.minute < 0 || t.second < 0 || zone < 0 || zone % 100 > 59) return errc::syntax_error;
  t.offset_minutes = (zone / 100 * 60 + zone % 100) * (s[21] == '-' ? -1 : 1);
  if (!is_valid(t)) return errc::syntax_error;
  out = t;
  return errc::ok;
}

/// Appends `d` as date-text, "1-Feb-1994" (the day without a leading zero,
/// as RFC 9051's examples write it; the month capitalised; four-digit
/// year). errc::invalid_argument, nothing appended, when !is_valid(d).
inline errc write(std::string& out, const date& d) {
  if (!is_valid(d)) return errc::invalid_argument;
  if (d.day >= 10) out.push_back(static_cast<char>('0' + d.day / 10));
  out.push_back(static_cast<char>('0' + d.day % 10));
  out.push_back('-');
  out.append(mailwire::detail::month_name(d.month));
  out.push_back('-');
  mailwire::detail::put_digits(out, d.year, 4);
  return errc::ok;
}

/// Appends `t` as a date-time with its DQUOTEs, "\"07-Jul-1996 02:44:25
/// -0700\"": the day as two digits with a leading zero (as Dovecot writes
/// INTERNALDATE, src/lib-imap/imap-date.c), the month capitalised, the zone
/// signed ("+0000" for offset 0). errc::invalid_argument, nothing appended,
/// when !is_valid(t).
inline errc write(std::string& out, const date_time& t) {
  if (!is_valid(t)) return errc::invalid_argument;
  namespace cal = mailwire::detail;
  out.push_back('"');
  cal::put_digits(out, t.day, 2);
  out.push_back('-');
  out.append(cal::month_name(t.month));
  out.push_back('-');
  cal::put_digits(out, t.year, 4);
  out.push_back(' ');
  cal::put_clock(out, t.hour, t.minute, t.second);
  out.push_back(' ');
  cal::put_zone(out, t.offset_minutes);
  out.push_back('"');
  return errc::ok;
}

/// Seconds since 1970-01-01T00:00:00Z of 00:00:00 UTC on `d` (SEARCH
/// compares dates "disregarding time and timezone", RFC 9051 6.4.4: the
/// caller shifts by its own zone if it wants local midnight). Meaningful
/// only when is_valid(d).
constexpr std::int64_t to_unix_seconds(const date& d) noexcept {
  return mailwire::detail::days_from_civil(d.year, d.month, d.day) * 86400;
}

/// Seconds since 1970-01-01T00:00:00Z of `t`, its zone applied (a leap
/// second counts as the next second's start). Meaningful only when
/// is_valid(t).
constexpr std::int64_t to_unix_seconds(const date_time& t) noexcept {
  return to_unix_seconds(date{t.year, t.month, t.day}) + t.hour * 3600 + t.minute * 60 + t.second -
         std::int64_t{t.offset_minutes} * 60;
}

/// The date-time `unix_seconds` after the epoch as seen in the zone
/// `offset_minutes` east of UTC, into `out`. errc::invalid_argument, `out`
/// unchanged, when the offset is outside -5999 to 5999 (four digits of
/// hhmm) or the local year outside 0 to 9999.
constexpr errc from_unix_seconds(std::int64_t unix_seconds, int offset_minutes, date_time& out) noexcept {
  constexpr std::int64_t first = -62167219200;  // 0000-01-01T00:00:00
  constexpr std::int64_t last = 253402300799;   // 9999-12-31T23:59:59
  if (offset_minutes < -5999 || offset_minutes > 5999) return errc::invalid_argument;
  if (unix_seconds < first - 360000 || unix_seconds > last + 360000) return errc::invalid_argument;
  const std::int64_t local = unix_seconds + std::int64_t{offset_minutes} * 60;
  if (local < first || local > last) return errc::invalid_argument;
  const mailwire::detail::civil_time c = mailwire::detail::civil_from_seconds(local);
  out = date_time{c.year, c.month, c.day, c.hour, c.minute, c.second, offset_minutes};
  return errc::ok;
}

/// The calendar day of `unix_seconds` in the zone `offset_minutes` east of
/// UTC, into `out` (for SEARCH SINCE/BEFORE/ON). Errors as the date-time
/// overload.
constexpr errc from_unix_seconds(std::int64_t unix_seconds, int offset_minutes, date& out) noexcept {
  date_time t;
  const errc e = from_unix_seconds(unix_seconds, offset_minutes, t);
  if (e == errc::ok) out = date{t.year, t.month, t.day};
  return e;
}

}  // namespace imap
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_IMAP_DATETIME_HPP
