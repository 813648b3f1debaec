// The IMAP benchmark's input: response streams as a client receives them,
// generated in memory from a fixed seed (the same bytes on every machine,
// no clock, no files in the repository).
//
// imap_fetch_writer: the answer to
//   A1 UID FETCH 1:* (UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE)
// for a mailbox of N messages, written the way Dovecot writes it (facts from
// its lib-imap/imap-envelope.c, imap-bodystructure.c, imap-quote.c and the
// transcripts in shared/peers/transcripts/imap-dovecot-*.txt):
//   * n FETCH (UID u FLAGS (\Seen $Label1) INTERNALDATE "17-Jul-2025 02:44:25 -0700"
//     RFC822.SIZE s ENVELOPE (...) BODYSTRUCTURE (...))\r\n
// items in the order asked, each part in parentheses with no space between
// siblings, BODYSTRUCTURE with its extension data (md5, disposition,
// language, location), message/rfc822 parts with their envelope, body and
// line count, a text part's default ("charset" "us-ascii") added.
// Strings are quoted or literals as Dovecot chooses (without UTF8=ACCEPT):
//  - subjects and display names (imap_append_string_for_humans): quoted as
//    they are when clean, else a literal with whitespace runs collapsed and
//    trimmed, so any `"`, `\`, 8-bit byte, tab or double space (an
//    Outlook-folded long subject) makes a literal;
//  - other strings (date, message ids, parameters, descriptions,
//    locations; imap_append_nstring): quoted with \" and \\ escapes up to
//    four of them, a literal past four, or for 8-bit bytes or CR/LF.
//    Dovecot never picks a literal for length alone.
// The mix, by number of messages: 30% a single text part (plain or HTML),
// 30% multipart/alternative, 20% multipart/mixed with 1-3 attachments (a
// signed message one time in eight), 10% HTML newsletters
// (multipart/related with inline images and a location), 10% forwards
// (multipart/mixed holding a message/rfc822, itself a forward one time in
// four). Subjects: plain ASCII, RFC 2047 encoded-words (UTF-8 B and Q,
// ISO-8859-1 Q; quoted, as Dovecot sends them undecoded), raw UTF-8
// (literal), with quotes or backslashes (literal), long ones folded with a
// space (quoted) or a tab (literal), empty and absent (NIL). Address fields
// hold 1-5 addresses (groups sometimes), Cc and Bcc often NIL.
// The stream ends with the tagged "A1 OK UID FETCH completed\r\n".
//
// imap_literal_stream: "* 1 FETCH (BODY[] {N}\r\n" + N bytes of mail (a
// header, then prose lines) + ")\r\nA1 OK FETCH completed\r\n".
#ifndef MAILWIRE_BENCHMARKS_IMAP_STREAM_HPP
#define MAILWIRE_BENCHMARKS_IMAP_STREAM_HPP

#include "bench_util.hpp"    // bench::prose
#include "mime_corpus.hpp"  // bench::prng

#include <mailwire/core/base64.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace bench {

// What was generated, for the benchmark's title line.
struct imap_stream_stats {
  std::size_t messages = 0;
  std::size_t kinds[5] = {};  // single text, alternative, mixed, related, forward
  std::size_t literals = 0;   // strings sent as literals
  std::size_t escaped = 0;    // quoted strings holding \" or \\ escapes
  std::size_t encoded_subjects = 0;
  std::size_t addresses = 0;
  std::size_t parts = 0;  // bodystructure parts, multiparts included
};

// The tagged completion ending imap_fetch_writer's stream.
inline constexpr std::string_view imap_fetch_done = "A1 OK UID FETCH completed\r\n";

class imap_fetch_writer {
 public:
  explicit imap_fetch_writer(std::uint64_t seed) : r_(seed) {}

  // The whole answer for a mailbox of `messages` messages.
  std::string generate(std::size_t messages) {
    out_.clear();
    out_.reserve(messages * 1600);
    std::uint32_t uid = 1;
    std::int64_t when = 1717200000;  // June 2024, seconds since 1970; arrival times grow
    for (std::size_t n = 1; n <= messages; ++n) {
      uid += static_cast<std::uint32_t>(r_.chance(80) ? 1 : r_.between(2, 40));  // expunged gaps
      when += static_cast<std::int64_t>(r_.between(30, 7200));
      fetch(n, uid, when);
    }
    stats.messages = messages;
    out_ += imap_fetch_done;
    return std::move(out_);
  }

  imap_stream_stats stats;

 private:
  // -- strings, the way Dovecot's imap-quote.c writes them ------------------

  static bool eight_bit(char c) { return static_cast<unsigned char>(c) >= 0x80; }

  void literal(std::string_view s) {
    ++stats.literals;
    out_ += '{';
    out_ += std::to_string(s.size());
    out_ += "}\r\n";
    out_ += s;
  }

  // imap_append_nstring: up to four quoted-specials escaped, a literal past
  // that or for CR, LF or an 8-bit byte.
  void nstring(std::string_view s) {
    int specials = 0;
    for (const char c : s) {
      if (c == '"' || c == '\\') ++specials;
      if (specials > 4 || c == '\r' || c == '\n' || eight_bit(c)) return literal(s);
    }
    if (specials > 0) ++stats.escaped;
    out_ += '"';
    for (const char c : s) {
      if (c == '"' || c == '\\') out_ += '\\';
      out_ += c;
    }
    out_ += '"';
  }

  void nstring_or_nil(std::string_view s) {
    if (s.data() == nullptr) {
      out_ += "NIL";
    } else {
      nstring(s);
    }
  }

  // imap_append_string_for_humans: as it is when nothing needs changing,
  // else a literal with whitespace runs made one space and the ends trimmed.
  void human(std::string_view s) {
    bool clean = s.empty() || (s.front() != ' ' && s.back() != ' ');
    for (std::size_t i = 0; clean && i < s.size(); ++i) {
      const char c = s[i];
      clean = c != '"' && c != '\\' && c != '\t' && c != '\r' && c != '\n' && !eight_bit(c) &&
              !(c == ' ' && i + 1 < s.size() && s[i + 1] == ' ');
    }
    if (clean) {
      out_ += '"';
      out_ += s;
      out_ += '"';
      return;
    }
    std::string collapsed;
    for (const char c : s) {
      const bool space = c == ' ' || c == '\t' || c == '\r' || c == '\n';
      if (!space) {
        collapsed += c;
      } else if (!collapsed.empty() && collapsed.back() != ' ') {
        collapsed += ' ';
      }
    }
    if (!collapsed.empty() && collapsed.back() == ' ') collapsed.pop_back();
    if (collapsed.empty()) {
      out_ += "\"\"";
    } else {
      literal(collapsed);
    }
  }

  // -- names, addresses, subjects -------------------------------------------

  std::string encoded_word(std::string_view utf8_text) {
    std::string w = "=?UTF-8?B?";
    w += mailwire::base64::encode(utf8_text);
    w += "?=";
    return w;
  }

  // A display name: plain, "Last, First", raw UTF-8 (a literal), an
  // encoded-word, with quotes or a backslash (literals), or none.
  std::string display_name(std::string_view first, std::string_view last) {
    static const char* const raw8[] = {"Jürgen Weiß",   "José Álvarez", "François Lefèvre", "Zoë Brontë",
                                       "Łukasz Wójcik", "Søren Hald",   "山田 太郎",        "Иван Петров"};
    static const char* const encoded[] = {"=?UTF-8?Q?Bj=C3=B6rn_M=C3=BCller?=", "=?ISO-8859-1?Q?Fran=E7ois_Lef=E8vre?=",
                                          "=?utf-8?q?Ren=C3=A9e_Dubois?=", "=?iso-8859-1?Q?J=F6rg_Sch=E4fer?="};
    static const char* const odd[] = {"Pat \"the cat\" O'Neil", "CORP\\jsmith", "\"Support\" Team",
                                      "Dana  Whitfield"};
    const std::size_t roll = r_.below(100);
    std::string n;
    if (roll < 52) {
      n = std::string(first) + " " + std::string(last);
    } else if (roll < 62) {
      n = std::string(last) + ", " + std::string(first);
    } else if (roll < 70) {
      n = r_.pick(raw8);
    } else if (roll < 76) {
      n = r_.pick(encoded);
    } else if (roll < 80) {
      n = encoded_word(r_.pick(raw8));
    } else if (roll < 84) {
      n = r_.pick(odd);
    } else {
      return {};  // a bare address
    }
    return n;
  }

  void address() {
    static const char* const first[] = {"Alice", "Bob",   "Carol",  "David", "Erin",  "Frank", "Grace",
                                        "Heidi", "Ivan",  "Judy",   "Mike",  "Niaj",  "Olivia", "Peggy",
                                        "Rupert", "Sybil", "Trent", "Victor", "Walter", "Yasmin"};
    static const char* const last[] = {"Smith",    "Johnson", "Nguyen", "Garcia", "Brown",
                                       "Kowalski", "Tanaka",  "Okafor", "Larsen", "Dubois"};
    static const char* const domains[] = {"example.com",     "example.org",        "mail.example.net",
                                          "lists.example.io", "corp.example.co.uk", "example.de"};
    static const char* const services[] = {"noreply", "notifications", "billing+invoices", "support", "info",
                                           "dev-list"};
    ++stats.addresses;
    const std::string f = r_.pick(first);
    const std::string l = r_.pick(last);
    const std::string name = display_name(f, l);
    std::string mailbox;
    const std::size_t form = r_.below(10);
    if (form < 5) {
      mailbox = f + "." + l;
    } else if (form < 7) {
      mailbox = f.substr(0, 1) + l;
    } else {
      mailbox = r_.pick(services);
    }
    for (char& c : mailbox) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    out_ += '(';
    if (name.empty()) {
      out_ += "NIL";
    } else {
      human(name);
    }
    out_ += " NIL ";
    nstring(mailbox);
    out_ += ' ';
    nstring(r_.pick(domains));
    out_ += ')';
  }

  // An address list of `n` addresses; a group ("undisclosed-recipients:;"
  // or a named one) `group_percent` of the time.
  void address_list(std::size_t n, unsigned group_percent = 0) {
    out_ += '(';
    if (group_percent != 0 && r_.chance(group_percent)) {
      const bool undisclosed = r_.chance(70);
      out_ += undisclosed ? "(NIL NIL \"undisclosed-recipients\" NIL)" : "(NIL NIL \"project-team\" NIL)";
      if (!undisclosed) {
        for (std::size_t i = 0; i < n; ++i) address();
      }
      out_ += "(NIL NIL NIL NIL)";
    } else {
      for (std::size_t i = 0; i < n; ++i) address();
    }
    out_ += ')';
  }

  // 1-5 addresses, most often one or two.
  std::size_t how_many() {
    const std::size_t roll = r_.below(100);
    return roll < 55 ? 1 : roll < 75 ? 2 : roll < 87 ? 3 : roll < 95 ? 4 : 5;
  }

  void subject() {
    static const char* const topics[] = {"Meeting notes for Thursday",  "Quarterly budget review",
                                         "Your order has shipped",      "Invoice 2025-0613 attached",
                                         "Lunch on Friday?",            "Build failed on main",
                                         "Updated project timeline",    "Welcome to the team",
                                         "Security alert for your account", "Draft of the proposal",
                                         "Holiday schedule",            "Weekly digest"};
    static const char* const prefixes[] = {"", "", "", "Re: ", "RE: ", "Fwd: ", "AW: ", "[dev-list] "};
    static const char* const raw8[] = {"Grüße aus Zürich",    "Résumé — version finale", "Réunion de lundi",
                                       "Счёт за июнь",        "会議の議事録",            "Änderungen am Vertrag",
                                       "¡Feliz cumpleaños!", "Café à 10h?"};
    static const char* const odd[] = {"Re: \"Project Atlas\" kickoff",      "Files on \\\\fileserver\\share\\q3",
                                      "The \"final\" \"final\" version",    "Quote: \"less is more\"",
                                      "path C:\\Users\\report.xlsx"};
    const std::size_t roll = r_.below(100);
    if (roll < 2) {
      out_ += "NIL";
      return;
    }
    if (roll < 4) {
      out_ += "\"\"";
      return;
    }
    std::string s = r_.pick(prefixes);
    if (roll < 45) {
      s += r_.pick(topics);
    } else if (roll < 65) {
      ++stats.encoded_subjects;
      const std::size_t form = r_.below(3);
      if (form == 0) {
        s += encoded_word(r_.pick(raw8));
      } else if (form == 1) {
        s += "=?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_Z=C3=BCrich?=";
      } else {
        s += "=?ISO-8859-1?Q?R=E9union_de_lundi?= =?ISO-8859-1?Q?_=E0_10h?=";
      }
    } else if (roll < 73) {
      s += r_.pick(raw8);
    } else if (roll < 79) {
      s += r_.pick(odd);
    } else if (roll < 89) {
      // A long subject unfolded: a space fold keeps one space (quoted), a tab
      // fold (Outlook) leaves a tab (a literal).
      const char* fold = r_.chance(50) ? " " : "\t";
      s += r_.pick(topics);
      s += " and the follow-up items from last week's planning session,";
      s += fold;
      s += "including the open questions about hosting, staffing and the release date";
    } else {
      ++stats.encoded_subjects;
      s += encoded_word(r_.pick(raw8));
      s += ' ';
      s += encoded_word(" - please read before the meeting on Monday morning");
    }
    human(s);
  }

  std::string message_id(std::string_view domain) {
    std::string id = "<";
    const std::uint64_t v = r_.next();
    static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    for (int i = 0; i < 20; ++i) id += digits[(v >> (i * 3)) % 62];
    id += '@';
    id += domain;
    id += '>';
    return id;
  }

  static std::string two(int v) { return std::string(1, static_cast<char>('0' + v / 10)) + static_cast<char>('0' + v % 10); }

  // A civil date from seconds since 1970 (Howard Hinnant's days-to-civil).
  struct civil {
    int year, month, day, hour, minute, second, weekday;
  };
  static civil to_civil(std::int64_t t) {
    const std::int64_t days = t / 86400;
    const std::int64_t secs = t % 86400;
    const std::int64_t z = days + 719468;
    const std::int64_t era = z / 146097;
    const std::int64_t doe = z - era * 146097;
    const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const std::int64_t mp = (5 * doy + 2) / 153;
    const std::int64_t d = doy - (153 * mp + 2) / 5 + 1;
    const std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
    return {static_cast<int>(yoe + era * 400 + (m <= 2 ? 1 : 0)), static_cast<int>(m), static_cast<int>(d),
            static_cast<int>(secs / 3600), static_cast<int>(secs / 60 % 60), static_cast<int>(secs % 60),
            static_cast<int>((days + 4) % 7)};
  }
  static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

  // "17-Jul-2025 02:44:25 -0700" (Dovecot writes the day with two digits).
  static std::string internaldate(std::int64_t t, const char* zone) {
    const civil c = to_civil(t);
    return two(c.day) + "-" + months[c.month - 1] + "-" + std::to_string(c.year) + " " + two(c.hour) + ":" +
           two(c.minute) + ":" + two(c.second) + " " + zone;
  }

  // The Date field as a sender wrote it: "Tue, 03 Jun 2025 11:30:00 +0200",
  // a day without its zero, a zone comment.
  std::string date_field(std::int64_t t, const char* zone) {
    static const char* const weekdays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    const civil c = to_civil(t);
    const std::size_t form = r_.below(10);
    std::string d = std::string(weekdays[c.weekday]) + ", " + (form < 3 ? std::to_string(c.day) : two(c.day)) + " " +
                    months[c.month - 1] + " " + std::to_string(c.year) + " " + two(c.hour) + ":" + two(c.minute) +
                    ":" + two(c.second) + " " + zone;
    if (form == 9) d += " (UTC)";
    return d;
  }

  void envelope(std::int64_t when) {
    static const char* const zones[] = {"+0000", "+0200", "-0700", "+0100", "-0400", "+0900", "+0530"};
    static const char* const id_domains[] = {"mail.gmail.com", "example.com", "EUR01.prod.outlook.com",
                                             "mx.example.org"};
    const char* zone = r_.pick(zones);
    out_ += '(';
    if (r_.chance(1)) {
      out_ += "NIL";
    } else {
      nstring(date_field(when - static_cast<std::int64_t>(r_.between(2, 600)), zone));
    }
    out_ += ' ';
    subject();
    out_ += ' ';
    // From, then Sender and Reply-To (Dovecot repeats From when absent).
    const std::size_t start_from = out_.size();
    address_list(r_.chance(97) ? 1 : 2);
    const std::string from = out_.substr(start_from);
    out_ += ' ';
    out_ += from;
    out_ += ' ';
    if (r_.chance(85)) {
      out_ += from;
    } else {
      address_list(1);
    }
    out_ += ' ';
    address_list(how_many(), 3);
    out_ += ' ';
    if (r_.chance(60)) {
      out_ += "NIL";
    } else {
      address_list(how_many());
    }
    out_ += ' ';
    if (r_.chance(92)) {
      out_ += "NIL";
    } else {
      address_list(how_many());
    }
    out_ += ' ';
    const char* id_domain = r_.pick(id_domains);
    if (r_.chance(35)) {
      nstring(message_id(id_domain));
    } else {
      out_ += "NIL";
    }
    out_ += ' ';
    if (r_.chance(1)) {
      out_ += "NIL";
    } else {
      nstring(message_id(id_domain));
    }
    out_ += ')';
  }

  // -- bodystructure ---------------------------------------------------------

  // body-ext-1part after the md5: disposition, language, location.
  void disposition(const char* kind, const char* key = nullptr, std::string_view filename = {}) {
    if (kind == nullptr) {
      out_ += "NIL";
      return;
    }
    out_ += '(';
    nstring(kind);
    out_ += ' ';
    if (key == nullptr) {
      out_ += "NIL";
    } else {
      out_ += '(';
      nstring(key);
      out_ += ' ';
      nstring(filename);
      if (r_.chance(25)) {  // Outlook's size and dates
        out_ += " \"size\" \"";
        out_ += std::to_string(r_.between(2000, 900000));
        out_ += "\" \"creation-date\" \"Tue, 03 Jun 2025 09:12:44 GMT\" \"modification-date\" "
                "\"Tue, 03 Jun 2025 09:12:44 GMT\"";
      }
      out_ += ')';
    }
    out_ += ')';
  }

  void language_and_location(unsigned language_percent, const char* location = nullptr) {
    out_ += ' ';
    if (r_.chance(language_percent)) {
      out_ += r_.chance(80) ? "(\"en-US\")" : "(\"en\" \"de\")";
    } else {
      out_ += "NIL";
    }
    out_ += ' ';
    if (location == nullptr) {
      out_ += "NIL";
    } else {
      nstring(location);
    }
  }

  // A text part of about `size` bytes: its charset and encoding drawn.
  void text_part(const char* subtype, std::size_t size) {
    static const char* const params[] = {"(\"charset\" \"utf-8\")", "(\"charset\" \"UTF-8\")",
                                         "(\"charset\" \"us-ascii\")", "(\"charset\" \"iso-8859-1\")",
                                         "(\"charset\" \"windows-1252\")",
                                         "(\"charset\" \"utf-8\" \"format\" \"flowed\" \"delsp\" \"yes\")"};
    static const char* const encodings[] = {"\"7bit\"", "\"8bit\"", "\"quoted-printable\"", "\"quoted-printable\"",
                                            "\"base64\""};
    ++stats.parts;
    out_ += r_.chance(3) ? "\"TEXT\" \"" : "\"text\" \"";
    out_ += subtype;
    out_ += "\" ";
    out_ += r_.pick(params);
    out_ += ' ';
    out_ += r_.chance(5) ? "\"<part1.0A1B2C3D@example.com>\"" : "NIL";
    out_ += ' ';
    const std::size_t description = r_.below(40);
    if (description == 0) {
      nstring("Message \"body\" (plain)");
    } else {
      out_ += "NIL";
    }
    out_ += ' ';
    out_ += r_.pick(encodings);
    out_ += ' ';
    parts_bytes_ += size;
    out_ += std::to_string(size);
    out_ += ' ';
    out_ += std::to_string(size / 60 + 1);
    out_ += " NIL ";
    disposition(r_.chance(10) ? "inline" : nullptr);
    language_and_location(15);
  }

  // An attachment (or inline image) of a non-text type.
  void attachment(bool inline_image) {
    struct kind {
      const char* type;
      const char* subtype;
      const char* extension;
    };
    static const kind kinds[] = {{"application", "pdf", "pdf"},
                                 {"image", "jpeg", "jpg"},
                                 {"image", "png", "png"},
                                 {"application", "vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"},
                                 {"application", "zip", "zip"},
                                 {"application", "octet-stream", "bin"}};
    static const char* const stems[] = {"Invoice 2025-06", "report", "IMG_20250603_101112", "Contract v3",
                                        "scan0001", "Q3 figures"};
    ++stats.parts;
    const kind& k = kinds[inline_image ? 1 + r_.below(2) : r_.below(6)];
    std::string name;
    const char* key = "name";  // "name*" and "filename*" for RFC 2231 values
    const std::size_t form = r_.below(20);
    if (inline_image) {
      name = "image00" + std::to_string(r_.below(10)) + "." + k.extension;
    } else if (form < 13) {
      name = std::string(r_.pick(stems)) + "." + k.extension;
    } else if (form < 15) {
      name = std::string("Report \"final\".") + k.extension;  // quoted with escapes
    } else if (form < 16) {
      name = std::string("C:\\Scans\\2025\\scan.") + k.extension;  // an old client's full path
    } else if (form < 17) {
      name = std::string("utf-8''R%C3%A9sum%C3%A9.") + k.extension;
      key = "name*";
    } else if (form < 19) {
      name = encoded_word(std::string("Résumé.") + k.extension);
    } else {
      name = std::string("Übersicht.") + k.extension;  // raw 8-bit: a literal
    }
    out_ += '"';
    out_ += k.type;
    out_ += "\" \"";
    out_ += k.subtype;
    out_ += "\" (";
    nstring(key);
    out_ += ' ';
    nstring(name);
    out_ += ") ";
    if (inline_image) {
      nstring("<" + name + "@01DBD4A2.5F3E1C20>");
    } else {
      out_ += "NIL";
    }
    out_ += ' ';
    if (!inline_image && r_.chance(5)) {
      nstring("Signed copy of \"" + name + "\"");
    } else {
      out_ += "NIL";
    }
    out_ += " \"base64\" ";
    const std::size_t size = r_.log_uniform(3000, 6000000, 2) / 3 * 4;
    parts_bytes_ += size;
    out_ += std::to_string(size);
    out_ += ' ';
    out_ += r_.chance(3) ? "\"Q2hlY2sgSW50ZWdyaXR5IQ==\"" : "NIL";
    out_ += ' ';
    disposition(inline_image ? "inline" : "attachment", key[4] == '*' ? "filename*" : "filename", name);
    language_and_location(0);
  }

  std::string boundary() {
    static const char* const forms[] = {"----=_Part_", "000000000000", "_000_DB9PR01MB", "Apple-Mail=_"};
    std::string b = r_.pick(forms);
    b += std::to_string(r_.next() % 1000000000000ull);
    return b;
  }

  void multipart_tail(const char* subtype, const char* extra_params = nullptr) {
    ++stats.parts;
    out_ += " \"";
    out_ += subtype;
    out_ += "\" (\"boundary\" ";
    nstring(boundary());
    if (extra_params != nullptr) {
      out_ += ' ';
      out_ += extra_params;
    }
    out_ += ") NIL";
    language_and_location(5);
  }

  void alternative(std::size_t text_size) {
    out_ += '(';
    text_part("plain", text_size);
    out_ += ")(";
    text_part("html", text_size * 3);
    out_ += ')';
    multipart_tail("alternative");
  }

  void related() {
    out_ += "((";
    const std::size_t text_size = r_.between(800, 20000);
    text_part("plain", text_size);
    out_ += ")(";
    text_part("html", text_size * 4);
    out_ += ')';
    multipart_tail("alternative");
    out_ += ')';
    const std::size_t images = r_.between(2, 5);
    for (std::size_t i = 0; i < images; ++i) {
      out_ += '(';
      attachment(true);
      out_ += ')';
    }
    ++stats.parts;
    out_ += " \"related\" (\"boundary\" ";
    nstring(boundary());
    out_ += " \"type\" \"multipart/alternative\") NIL NIL ";
    nstring("https://news.example.com/issues/2025-06.html");
  }

  void mixed() {
    out_ += '(';
    const std::size_t text_size = r_.between(200, 8000);
    if (r_.chance(50)) {
      text_part("plain", text_size);
    } else {
      alternative(text_size);
    }
    out_ += ')';
    if (r_.chance(12)) {  // S/MIME: the body and its signature
      out_ += "(\"application\" \"pkcs7-signature\" (\"name\" \"smime.p7s\") NIL NIL \"base64\" 5130 NIL "
              "(\"attachment\" (\"filename\" \"smime.p7s\")) NIL NIL)";
      stats.parts += 1;
      multipart_tail("signed", "\"protocol\" \"application/pkcs7-signature\" \"micalg\" \"sha-256\"");
      return;
    }
    const std::size_t n = r_.between(1, 3);
    for (std::size_t i = 0; i < n; ++i) {
      out_ += '(';
      attachment(false);
      out_ += ')';
    }
    multipart_tail("mixed");
  }

  // A body of `kind` (0 single text, 1 alternative, 2 mixed, 3 related, 4
  // forward); a forward holds another message of a drawn kind, itself a
  // forward (up to `depth` 2) one time in four.
  void body(int kind, std::int64_t when, int depth) {
    switch (kind) {
      case 0: text_part(r_.chance(80) ? "plain" : "html", r_.log_uniform(200, 40000)); return;
      case 1: alternative(r_.between(300, 15000)); return;
      case 2: mixed(); return;
      case 3: related(); return;
      default: break;
    }
    out_ += '(';
    text_part("plain", r_.between(100, 2000));
    out_ += ")(";
    ++stats.parts;
    out_ += "\"message\" \"rfc822\" NIL NIL NIL \"7bit\" ";
    out_ += std::to_string(r_.between(3000, 400000));
    out_ += ' ';
    envelope(when - static_cast<std::int64_t>(r_.between(3600, 864000)));
    out_ += " (";
    const bool again = depth < 2 && r_.chance(25);
    body(again ? 4 : static_cast<int>(r_.below(4)), when - 864000, depth + 1);
    out_ += ") ";
    out_ += std::to_string(r_.between(40, 6000));
    out_ += " NIL ";
    const std::size_t disposition_form = r_.below(3);
    if (disposition_form == 0) {
      out_ += "(\"attachment\" (\"filename\" \"Original message.eml\"))";
    } else if (disposition_form == 1) {
      out_ += "(\"inline\" NIL)";
    } else {
      out_ += "NIL";
    }
    out_ += " NIL NIL)";
    multipart_tail("mixed");
  }

  void fetch(std::size_t n, std::uint32_t uid, std::int64_t when) {
    static const char* const flag_sets[] = {"\\Seen",
                                            "\\Seen",
                                            "\\Seen",
                                            "",
                                            "\\Seen \\Answered",
                                            "\\Seen $Label1",
                                            "\\Flagged \\Seen",
                                            "\\Seen $Forwarded $MDNSent",
                                            "$NotJunk \\Seen",
                                            "\\Seen \\Answered $Label1 $Label3",
                                            "$Junk",
                                            "\\Draft \\Seen",
                                            "\\Deleted \\Seen"};
    static const char* const server_zones[] = {"+0000", "+0200", "-0700"};
    const std::size_t roll = r_.below(100);
    const int kind = roll < 30 ? 0 : roll < 60 ? 1 : roll < 80 ? 2 : roll < 90 ? 3 : 4;
    ++stats.kinds[kind];
    out_ += "* ";
    out_ += std::to_string(n);
    out_ += " FETCH (UID ";
    out_ += std::to_string(uid);
    out_ += " FLAGS (";
    out_ += r_.pick(flag_sets);
    out_ += ") INTERNALDATE \"";
    out_ += internaldate(when, server_zones[n % 3]);
    out_ += "\" RFC822.SIZE ";
    const std::size_t size_at = out_.size();
    out_ += " ENVELOPE ";
    envelope(when);
    out_ += " BODYSTRUCTURE (";
    parts_bytes_ = 0;
    body(kind, when, 0);
    // The size: a header of 1.5-9 KB and the parts' encoded sizes.
    const std::size_t size = r_.between(1500, 9000) + parts_bytes_;
    out_.insert(size_at, std::to_string(size));
    out_ += "))\r\n";
  }

  prng r_;
  std::string out_;
  std::size_t parts_bytes_ = 0;  // the encoded sizes of the message's parts so far
};

// "* 1 FETCH (BODY[] {body_bytes}\r\n", `body_bytes` of a message (a
// header, then prose lines of up to ~70 columns, CRLF), ")\r\n" and the
// tagged completion: the answer to "A1 FETCH 1 (BODY[])" for one large
// message. A block of prose is repeated, so this is quick to build.
inline std::string imap_literal_stream(std::size_t body_bytes) {
  const std::string head = "* 1 FETCH (BODY[] {" + std::to_string(body_bytes) + "}\r\n";
  const std::string tail = ")\r\nA1 OK FETCH completed\r\n";
  std::string s;
  s.reserve(head.size() + body_bytes + tail.size());
  s += head;
  const std::string header =
      "Return-Path: <alice@example.com>\r\nFrom: Alice <alice@example.com>\r\nTo: Bob <bob@example.org>\r\n"
      "Subject: the full archive\r\nDate: Tue, 03 Jun 2025 11:30:00 +0200\r\n"
      "Message-ID: <archive-1@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
      "Content-Transfer-Encoding: 8bit\r\n\r\n";
  const std::string block = prose(1 << 20, 20, 12, "\r\n");
  s.append(header, 0, body_bytes < header.size() ? body_bytes : header.size());
  while (s.size() - head.size() < body_bytes) {
    const std::size_t left = body_bytes - (s.size() - head.size());
    s.append(block, 0, left < block.size() ? left : block.size());
  }
  s += tail;
  return s;
}

}  // namespace bench

#endif  // MAILWIRE_BENCHMARKS_IMAP_STREAM_HPP
