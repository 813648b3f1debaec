// mailwire: dates (Date, Resent-Date, the end of Received: RFC 5322 3.3 and
// the obsolete forms of RFC 5322 4.3).
//
// Accepted, besides RFC 5322 date-time: comments and folds anywhere;
// missing weekday or seconds; two-digit years (< 50 is 20xx, else 19xx)
// and three-digit years (+1900); alphabetic zones (UT, GMT, Z, the US
// zones; military letters and unknown names are +0000, as RFC 5322 4.3
// says for military zones, with errc::mime_date_zone); a missing zone
// (+0000, errc::mime_date_zone); month names in any case, or a month
// number; ctime form ("Tue Aug 29 09:20:10 2023"); ISO 8601
// ("2023-08-29T09:20:10Z", "2023-08-29 09:20:10+02:00"); text after the
// zone; a Received value (the date is what follows the last ';').
// Ranges are checked: month, day of that month, hour <= 23, minute <= 59,
// second <= 60 (a leap second), zone hours <= 99 and minutes <= 59.
// A weekday that does not match is reported (errc::mime_date_weekday) but
// the date stays valid.
#ifndef MAILWIRE_MIME_DATE_HPP
#define MAILWIRE_MIME_DATE_HPP

#include <cstdint>
#include <string>
#include <string_view>

#include "mailwire/core/ascii.hpp"
#include "mailwire/core/calendar.hpp"
#include "mailwire/mime/diagnostic.hpp"
#include "mailwire/mime/header_lexer.hpp"

namespace mailwire {
inline namespace v0 {
namespace mime {

/// A date and time as written, with its zone offset.
struct date_time {
  /// The year, in full (two- and three-digit years read as the file comment says).
  int year = 0;
  int month = 0;   ///< 1-12
  int day = 0;     ///< 1-31
  int hour = 0;    ///< 0-23
  int minute = 0;  ///< 0-59
  int second = 0;  ///< 0-60
  int offset_minutes = 0;  ///< zone: local time minus UTC, in minutes
  bool valid = false;      ///< false: unreadable or out of range; the rest is meaningless

  /// Seconds since 1970-01-01T00:00:00Z (a leap second counts as the next
  /// second). Meaningful only when `valid`.
  std::int64_t to_unix_seconds() const noexcept;
};

namespace detail {
// The calendar arithmetic and names are core's (the protocols share them).
using mailwire::detail::day_names;
using mailwire::detail::days_from_civil;
using mailwire::detail::days_in_month;
using mailwire::detail::month_names;
using mailwire::detail::put_digits;

// Index (0-based) of `w` in the 12 (or 7) three-letter names, by its first
// three letters, case-insensitive; -1 if none.
inline int name_index(std::string_view w, std::string_view names) noexcept {
  if (w.size() < 3) return -1;
  for (std::size_t i = 0; i + 3 <= names.size(); i += 3) {
    if (ascii::iequals(w.substr(0, 3), names.substr(i, 3))) return static_cast<int>(i / 3);
  }
  return -1;
}

// A cursor over the date text with comments and folds already blanked.
class date_reader {
 public:
  explicit date_reader(std::string_view s) noexcept : s_(s) {}

  void skip_space() noexcept {
    while (p_ < s_.size() && (s_[p_] == ' ' || s_[p_] == ',')) ++p_;
  }
  bool at_end() noexcept {
    skip_space();
    return p_ == s_.size();
  }
  bool peek_digit() noexcept { return !at_end() && ascii::is_digit(s_[p_]); }
  bool peek_alpha() noexcept { return !at_end() && ascii::is_alpha(s_[p_]); }
  bool peek(char c) noexcept { return !at_end() && s_[p_] == c; }
  bool eat(char c) noexcept {
    if (!peek(c)) return false;
    ++p_;
    return true;
  }
  // Digits directly at the cursor (no space skipped): value and count.
  int digits(int& count, int max_count = 9) noexcept {
    int v = 0;
    count = 0;
    while (p_ < s_.size() && ascii::is_digit(s_[p_]) && count < max_count) {
      v = v * 10 + (s_[p_++] - '0');
      ++count;
    }
    return v;
  }
  std::string_view word() noexcept {
    skip_space();
    const std::size_t b = p_;
    while (p_ < s_.size() && ascii::is_alpha(s_[p_])) ++p_;
    return s_.substr(b, p_ - b);
  }
  std::size_t position() const noexcept { return p_; }
  char current() const noexcept { return p_ < s_.size() ? s_[p_] : '\0'; }
  void advance() noexcept { ++p_; }

 private:
  std::string_view s_;
  std::size_t p_ = 0;
};

// time = hour ":" minute [ ":" second ] (RFC 5322 3.3).
inline bool read_time(date_reader& r, date_time& t) {
  int n = 0;
  if (!r.peek_digit()) return false;
  t.hour = r.digits(n, 2);
  if (!r.eat(':') || !r.peek_digit()) return false;
  t.minute = r.digits(n, 2);
  if (n != 2) return false;
  if (r.eat(':')) {
    if (!r.peek_digit()) return false;
    t.second = r.digits(n, 2);
  }
  return true;
}

// zone = ("+" / "-") 4DIGIT / obs-zone (RFC 5322 3.3, 4.3), ISO "Z" and
// "+hh:mm". Returns false when no zone could be read; `bad` is set for a
// numeric zone out of range.
inline bool read_zone(date_reader& r, date_time& t, bool& known, bool& bad) {
  known = true;
  if (r.peek('+') || r.peek('-')) {
    const int sign = r.current() == '-' ? -1 : 1;
    r.advance();
    int n = 0;
    int v = r.digits(n, 4);
    if (n == 2 && r.current() == ':') {
      r.advance();
      int m = 0;
      v = v * 100 + r.digits(m, 2);
      n += m;
    }
    if (n != 4 || v % 100 > 59) {
      bad = true;
      return false;
    }
    t.offset_minutes = sign * (v / 100 * 60 + v % 100);
    return true;
  }
  if (!r.peek_alpha()) return false;
  const std::string_view w = r.word();
  struct zone {
    std::string_view name;
    int hours;
  };
  static constexpr zone zones[] = {{"UT", 0},   {"UTC", 0},  {"GMT", 0},  {"Z", 0},   {"EST", -5}, {"EDT", -4},
                                   {"CST", -6}, {"CDT", -5}, {"MST", -7}, {"MDT", -6}, {"PST", -8}, {"PDT", -7}};
  for (const zone& z : zones) {
    if (ascii::iequals(w, z.name) || (w.size() > 3 && ascii::iequals(w.substr(0, 3), z.name))) {
      t.offset_minutes = z.hours * 60;
      return true;
    }
  }
  known = false;  // military letters (RFC 5322 4.3: treat as -0000) and unknown names
  t.offset_minutes = 0;
  return true;
}

inline int full_year(int y, int digits) noexcept {
  if (digits == 2) return y < 50 ? 2000 + y : 1900 + y;
  if (digits == 3) return 1900 + y;
  return y;
}

// The value with comments and line breaks turned into spaces.
inline std::string date_text(std::string_view value, diagnostics* d) {
  std::string s;
  header_lexer lx(value, lex_mode::rfc5322, d);
  for (token t = lx.next(); t.kind != token_kind::end; t = lx.next()) {
    if (t.space_before || t.kind == token_kind::comment) s.push_back(' ');
    if (t.kind != token_kind::comment) s.append(t.raw);
  }
  const std::size_t semi = s.rfind(';');
  if (semi != std::string::npos) s.erase(0, semi + 1);
  return s;
}

inline bool read_date(date_reader& r, date_time& t, bool& zone_known, bool& bad_zone, int& weekday) {
  int n = 0;
  weekday = -1;
  if (r.peek_digit()) {
    // ISO 8601: yyyy-mm-dd[T ]hh:mm[:ss][zone]
    const int y = r.digits(n);
    if (n == 4 && r.current() == '-') {
      r.advance();
      t.year = y;
      t.month = r.digits(n, 2);
      if (n == 0 || r.current() != '-') return false;
      r.advance();
      t.day = r.digits(n, 2);
      if (n == 0) return false;
      if (r.current() == 'T' || r.current() == 't') r.advance();
      if (!read_time(r, t)) return false;
      if (!read_zone(r, t, zone_known, bad_zone)) zone_known = false;
      return true;
    }
    t.day = y;
    if (n > 2) return false;
  } else {
    const std::string_view w = r.word();
    weekday = name_index(w, day_names);
    if (weekday < 0) {
      t.month = name_index(w, month_names) + 1;
      if (t.month == 0) return false;
    }
    if (t.month == 0 && r.peek_alpha()) {
      // ctime: weekday month day time year
      t.month = name_index(r.word(), month_names) + 1;
      if (t.month == 0) return false;
    }
    if (t.month != 0) {
      if (!r.peek_digit()) return false;
      t.day = r.digits(n, 2);
      if (!read_time(r, t) || !r.peek_digit()) return false;
      const int y = r.digits(n, 4);
      t.year = full_year(y, n);
      if (!read_zone(r, t, zone_known, bad_zone)) zone_known = false;
      return true;
    }
    if (!r.peek_digit()) return false;
    t.day = r.digits(n, 2);
  }
  // day month year time zone
  if (r.peek_alpha()) {
    t.month = name_index(r.word(), month_names) + 1;
  } else if (r.peek_digit()) {
    t.month = r.digits(n, 2);
  }
  if (t.month == 0 || !r.peek_digit()) return false;
  const int y = r.digits(n, 4);
  if (n < 2) return false;
  t.year = full_year(y, n);
  if (!read_time(r, t)) return false;
  if (!read_zone(r, t, zone_known, bad_zone)) zone_known = false;
  return true;
}
}  // namespace detail

inline std::int64_t date_time::to_unix_seconds() const noexcept {
  const std::int64_t days = detail::days_from_civil(year, month, day);
  return days * 86400 + hour * 3600 + minute * 60 + second - static_cast<std::int64_t>(offset_minutes) * 60;
}

/// Parses a date (see the top of this file for what is accepted); never
/// fails: `valid` is false (errc::mime_bad_date at offset 0) when no date
/// can be read. Diagnostics go to `d`.
inline date_time parse_date(std::string_view value, diagnostics* d = nullptr) {
  detail::check_8bit(value, d);
  const std::string text = detail::date_text(value, d);
  detail::date_reader r(text);
  date_time t;
  bool zone_known = true;
  int weekday = -1;
  bool bad_zone = false;
  const bool read = detail::read_date(r, t, zone_known, bad_zone, weekday);
  if (!read || bad_zone || t.month < 1 || t.month > 12 || t.day < 1 || t.day > detail::days_in_month(t.year, t.month) ||
      t.hour > 23 || t.minute > 59 || t.second > 60 || t.year < 1 || t.year > 9999) {
    detail::report(d, errc::mime_bad_date, 0);
    return date_time{};
  }
  if (!zone_known) detail::report(d, errc::mime_date_zone, 0);
  // 1970-01-01 was a Thursday (index 3 from Monday).
  const std::int64_t days = detail::days_from_civil(t.year, t.month, t.day);
  if (weekday >= 0 && ((days % 7 + 7 + 3) % 7) != weekday) detail::report(d, errc::mime_date_weekday, 0);
  t.valid = true;
  return t;
}

namespace detail {
// The UTC (offset 0) calendar fields of `seconds` since the epoch, any
// year; `valid` is left false.
inline date_time civil_from_seconds(std::int64_t seconds) noexcept {
  const mailwire::detail::civil_time c = mailwire::detail::civil_from_seconds(seconds);
  date_time t;
  t.year = c.year;
  t.month = c.month;
  t.day = c.day;
  t.hour = c.hour;
  t.minute = c.minute;
  t.second = c.second;
  return t;
}

// "hh:mm:ss", as both formats write the time of day.
inline void put_clock(std::string& out, const date_time& t) {
  mailwire::detail::put_clock(out, t.hour, t.minute, t.second);
}
}  // namespace detail

/// The date and time `unix_seconds` after 1970-01-01T00:00:00Z, as seen in
/// the zone `offset_minutes` east of UTC (local time minus UTC), for
/// format_date(). `valid` is false when the offset is beyond +-99:59 (RFC
/// 5322 3.3's four digits) or the local year falls outside 1 to 9999.
inline date_time from_unix_seconds(std::int64_t unix_seconds, int offset_minutes) noexcept {
  constexpr std::int64_t first = -62135596800;  // 0001-01-01T00:00:00Z
  constexpr std::int64_t last = 253402300799;   // 9999-12-31T23:59:59Z
  if (offset_minutes < -5999 || offset_minutes > 5999) return {};
  const std::int64_t local_seconds = unix_seconds < first - 360000 || unix_seconds > last + 360000
                                         ? first - 1
                                         : unix_seconds + std::int64_t{offset_minutes} * 60;
  if (local_seconds < first || local_seconds > last) return {};
  date_time t = detail::civil_from_seconds(local_seconds);
  t.offset_minutes = offset_minutes;
  t.valid = true;
  return t;
}

/// `t` in UTC as ISO 8601, "1997-11-24T22:22:01Z"; empty when !t.valid.
inline std::string to_iso8601_utc(const date_time& t) {
  if (!t.valid) return std::string();
  const date_time u = detail::civil_from_seconds(t.to_unix_seconds());
  std::string out;
  if (u.year > 9999) {
    out.append(std::to_string(u.year));
  } else {
    detail::put_digits(out, u.year, 4);
  }
  out.push_back('-');
  detail::put_digits(out, u.month, 2);
  out.push_back('-');
  detail::put_digits(out, u.day, 2);
  out.push_back('T');
  detail::put_clock(out, u);
  out.push_back('Z');
  return out;
}

/// `t` as an RFC 5322 3.3 date-time, "Fri, 21 Nov 1997 09:55:06 -0600"
/// (day of week from the date, two-digit day, four-digit year); empty when
/// !t.valid.
inline std::string format_date(const date_time& t) {
  std::string out;
  if (!t.valid) return out;
  const std::int64_t days = detail::days_from_civil(t.year, t.month, t.day);
  const auto weekday = static_cast<std::size_t>(((days % 7) + 7 + 3) % 7);  // 1970-01-01 was a Thursday
  out.append(detail::day_names.substr(weekday * 3, 3));
  out.append(", ");
  detail::put_digits(out, t.day, 2);
  out.push_back(' ');
  out.append(mailwire::detail::month_name(t.month));
  out.push_back(' ');
  detail::put_digits(out, t.year, 4);
  out.push_back(' ');
  detail::put_clock(out, t);
  out.push_back(' ');
  mailwire::detail::put_zone(out, t.offset_minutes);
  return out;
}

}  // namespace mime
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_MIME_DATE_HPP
