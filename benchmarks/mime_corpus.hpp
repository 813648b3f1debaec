// A corpus of realistic messages for the MIME benchmark, generated in
// memory from a fixed seed (the same bytes on every machine, no files in
// the repository).
//
// The mix, by number of messages (each message draws its kind):
//   25%  text/plain: UTF-8 quoted-printable, UTF-8 8bit, ISO-8859-1 QP or
//        US-ASCII 7bit; 1-30 KB of prose
//   30%  multipart/alternative: the prose as text/plain and as HTML (with
//        inline styles and links, so many "=3D" escapes), both QP
//   25%  multipart/mixed: a text or alternative body and 1-3 base64
//        attachments (PDF, JPEG, PNG, ZIP, DOCX of random bytes) from 3 KB
//        to the largest attachment (6 MB; less for a small corpus), most
//        small (median ~20 KB, one in eight over 1 MB), 76-column
//        CRLF-wrapped; file names plain, as encoded-words or RFC 2231
//   10%  forwards: multipart/mixed with a note and a message/rfc822 part
//        holding a whole message of one of the kinds above (attachments up
//        to 1 MB), itself forwarded again one time in four
//   10%  newsletters: multipart/related holding a multipart/alternative and
//        2-5 inline base64 images (2-60 KB) with Content-IDs
// Every message has 20-45 header fields: a Received chain of 3-9 hops,
// Authentication-Results, a folded DKIM-Signature (and an ARC set on 40%),
// a References field of up to 40 ids on replies, List-* and X-* fields.
// Subjects are plain (30%) or encoded-words: UTF-8 B, UTF-8 Q, ISO-8859-1 Q
// (several words, folded); From display names are plain, quoted, UTF-8 B or
// ISO-8859-1 Q. Line breaks are CRLF throughout. Attachments carry most of
// the bytes, as in real mailboxes.
#ifndef MAILWIRE_BENCHMARKS_MIME_CORPUS_HPP
#define MAILWIRE_BENCHMARKS_MIME_CORPUS_HPP

#include <mailwire/core/base64.hpp>
#include <mailwire/mime/quoted_printable.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace bench {

// splitmix64: a fixed, portable sequence (the standard distributions are
// not the same on every library). The writer below draws at most once per
// full-expression: the order in which operands are evaluated differs
// between compilers, and so would the corpus.
class prng {
 public:
  explicit prng(std::uint64_t seed) : s_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
  std::size_t between(std::size_t lo, std::size_t hi) { return lo + below(hi - lo + 1); }
  bool chance(unsigned percent) { return below(100) < percent; }
  // In [lo, hi], log-uniform (skew 1: as many 3-30 KB files as 300 KB-3
  // MB ones) or skewed towards `lo` (skew 2: the median of 3 KB-6 MB is
  // about 20 KB, one in eight is over 1 MB).
  std::size_t log_uniform(std::size_t lo, std::size_t hi, int skew = 1) {
    double u = static_cast<double>(next() >> 11) * 0x1p-53;
    if (skew == 2) u *= u;
    return static_cast<std::size_t>(static_cast<double>(lo) *
                                    std::pow(static_cast<double>(hi) / static_cast<double>(lo), u));
  }
  template <class T, std::size_t N>
  const T& pick(const T (&a)[N]) {
    return a[below(N)];
  }
  std::string bytes(std::size_t n) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; i += 8) {
      const std::uint64_t v = next();
      std::memcpy(&s[i], &v, n - i < 8 ? n - i : 8);
    }
    return s;
  }

 private:
  std::uint64_t s_;
};

// What was generated, for the benchmark's title line.
struct corpus_stats {
  std::size_t kinds[5] = {};  // plain, alternative, mixed, forward, related
  std::size_t attachments = 0;
  std::size_t largest_message = 0;
  std::uint64_t bytes = 0;
};

class corpus_writer {
 public:
  corpus_writer(std::uint64_t seed, std::size_t max_attachment) : r_(seed), max_attachment_(max_attachment) {}

  // Messages until their total reaches `bytes` (at least one).
  std::vector<std::string> generate(std::size_t bytes) {
    std::vector<std::string> out;
    while (stats.bytes < bytes || out.empty()) {
      const std::size_t roll = r_.below(100);
      add(out, roll < 25 ? 0 : roll < 55 ? 1 : roll < 80 ? 2 : roll < 90 ? 3 : 4);
    }
    return out;
  }

  // `count` messages, `mixed_percent` of them multipart/mixed with base64
  // attachments and the rest plain or alternative: a mailbox whose bytes
  // are mostly attachments (issue 15's realistic corpus).
  std::vector<std::string> generate_messages(std::size_t count, unsigned mixed_percent) {
    std::vector<std::string> out;
    while (out.size() < count) add(out, r_.chance(mixed_percent) ? 2 : static_cast<int>(r_.below(2)));
    return out;
  }

  corpus_stats stats;

 private:
  // -- words ---------------------------------------------------------------

  std::string word(unsigned accented_percent, bool latin1) {
    static const char* const ascii[] = {"the",   "message", "was",  "sent",   "to",      "all",    "of",
                                        "us",    "and",     "we",   "read",   "it",      "report", "meeting",
                                        "with",  "a",       "long", "budget", "project", "review", "please",
                                        "draft", "Monday",  "team", "next",   "update",  "attached"};
    static const char* const utf8[] = {"café", "déjà", "über", "naïve", "coût", "€", "Grüße", "Zürich", "—",
                                       "Привет", "日本語", "résumé", "señor", "ÅÄÖ", "façade"};
    static const char* const lat1[] = {"caf\xE9", "d\xE9j\xE0", "\xFC" "ber", "na\xEFve", "co\xFBt",
                                       "Gr\xFC\xDF" "e", "Z\xFCrich", "r\xE9sum\xE9", "se\xF1or", "fa\xE7" "ade"};
    if (!r_.chance(accented_percent)) return r_.pick(ascii);
    return latin1 ? r_.pick(lat1) : r_.pick(utf8);
  }

  // Prose of about `n` bytes: lines of up to 72 columns, paragraphs.
  std::string prose(std::size_t n, unsigned accented_percent, bool latin1) {
    std::string s;
    std::size_t col = 0;
    while (s.size() < n) {
      const std::string w = word(accented_percent, latin1);
      if (col + w.size() > 72) {
        s += r_.chance(15) ? ".\r\n\r\n" : "\r\n";
        col = 0;
      } else if (col > 0) {
        s += ' ';
        ++col;
      }
      s += w;
      col += w.size();
    }
    return s + "\r\n";
  }

  // HTML of about `n` bytes: long lines, styled paragraphs, links.
  std::string html(std::size_t n) {
    std::string s =
        "<!DOCTYPE html><html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">"
        "<style type=\"text/css\">body{font-family:Arial,sans-serif;font-size:14px;color:#222}</style></head>"
        "<body><table width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\"><tr><td align=\"center\">";
    while (s.size() < n) {
      s += "<p style=\"margin:0 0 12px 0;line-height:20px\">";
      for (std::size_t i = r_.between(20, 60); i > 0; --i) {
        if (r_.chance(3)) {
          const std::string user = std::to_string(r_.next() % 1000000);
          const std::string id = std::to_string(r_.next() % 100000);
          s += "<a href=\"https://click.example.com/t?u=" + user + "&amp;id=" + id + "\" style=\"color:#1a73e8\">";
          s += word(10, false);
          s += "</a> ";
        } else {
          s += word(10, false);
          s += ' ';
        }
      }
      s += "</p>";
      if (r_.chance(30)) s += "\r\n";
    }
    return s + "</td></tr></table></body></html>\r\n";
  }

  // -- header pieces -------------------------------------------------------

  static std::string b_word(std::string_view charset, std::string_view bytes) {
    return "=?" + std::string(charset) + "?B?" + mailwire::base64::encode(bytes) + "?=";
  }
  // `c` as `escape` and two hex digits (=E9 in Q, %E9 in RFC 2231).
  static void hex_escape(std::string& s, char escape, char ch) {
    static const char hex[] = "0123456789ABCDEF";
    const auto c = static_cast<unsigned char>(ch);
    s += escape;
    s += hex[c >> 4];
    s += hex[c & 15];
  }
  static std::string q_word(std::string_view charset, std::string_view bytes) {
    std::string s = "=?" + std::string(charset) + "?Q?";
    for (const char c : bytes) {
      if (c == ' ') {
        s += '_';
      } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
        s += c;
      } else {
        hex_escape(s, '=', c);
      }
    }
    return s + "?=";
  }
  // Text as encoded-words of at most ~30 source bytes each, folded.
  std::string encoded_text(std::string_view text, std::string_view charset, bool b) {
    std::string s;
    for (std::size_t at = 0; at < text.size(); at += 30) {
      if (!s.empty()) s += "\r\n ";
      s += b ? b_word(charset, text.substr(at, 30)) : q_word(charset, text.substr(at, 30));
    }
    return s;
  }

  std::string sentence(std::size_t words, unsigned accented_percent, bool latin1) {
    std::string s;
    for (std::size_t i = 0; i < words; ++i) {
      if (i > 0) s += ' ';
      s += word(accented_percent, latin1);
    }
    return s;
  }

  std::string subject() {
    const std::string prefix = r_.chance(30) ? (r_.chance(70) ? "Re: " : "Fwd: ") : "";
    const std::size_t n = r_.between(3, 12);
    switch (r_.below(10)) {
      case 0:
      case 1:
      case 2: return prefix + sentence(n, 0, false);
      case 3:
      case 4:
      case 5: return prefix + encoded_text(sentence(n, 40, false), "UTF-8", true);
      case 6:
      case 7: return prefix + encoded_text(sentence(n, 40, false), "utf-8", false);
      default: return prefix + encoded_text(sentence(n, 40, true), "ISO-8859-1", false);
    }
  }

  std::string person(std::size_t i) {
    static const char* const first[] = {"Alice", "Bob", "Carol", "Dave", "Erin", "Frank", "Grace", "Heidi"};
    static const char* const last[] = {"Martin", "Schmidt", "Rossi", "Dubois", "Novak", "Tanaka", "Smith"};
    const std::string given = r_.pick(first);
    const std::string family = r_.pick(last);
    const std::string addr = "<user" + std::to_string(i) + "@mail" + std::to_string(i % 17) + ".example.com>";
    switch (r_.below(4)) {
      case 0: return given + " " + family + " " + addr;
      case 1: return "\"" + family + ", " + given + "\" " + addr;
      case 2: return b_word("UTF-8", sentence(2, 50, false)) + " " + addr;
      default: return q_word("ISO-8859-1", sentence(2, 50, true)) + " " + addr;
    }
  }

  std::string msg_id() {
    const std::string left = std::to_string(r_.next());
    return "<" + left + "." + std::to_string(r_.below(100000)) + "@mail.example.com>";
  }

  std::string date() {
    static const char* const days[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    static const char* const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::string d = r_.pick(days);
    d += ", " + std::to_string(r_.between(1, 28));
    d += " " + std::string(r_.pick(months)) + " 2023 ";
    d += std::to_string(r_.between(10, 23));
    d += ":" + std::to_string(r_.between(10, 59));
    d += ":" + std::to_string(r_.between(10, 59));
    return d + " +0100";
  }

  // A base64 value folded like a DKIM b= tag.
  std::string folded_base64(std::size_t raw) {
    const std::string b = mailwire::base64::encode(r_.bytes(raw));
    std::string s;
    for (std::size_t at = 0; at < b.size(); at += 70) s += "\r\n\t " + b.substr(at, 70);
    return s;
  }

  void trace_headers(std::string& m) {
    m += "Return-Path: <bounce-" + std::to_string(r_.below(99999)) + "@mail.example.com>\r\n";
    m += "Delivered-To: bob@example.org\r\n";
    for (std::size_t hop = r_.between(3, 9); hop > 0; --hop) {
      const std::string h = std::to_string(hop);
      m += "Received: from relay" + h + ".example.net (relay" + h + ".example.net [203.0.113." +
           std::to_string(r_.below(255)) + "])\r\n\tby mx" + h + ".example.org (Postfix) with ESMTPS id ";
      m += std::to_string(r_.next() % 100000000) + "\r\n\tfor <bob@example.org>; ";
      m += date() + "\r\n";
    }
    m += "Authentication-Results: mx.example.org;\r\n\tdkim=pass header.d=example.com header.s=s1 "
         "header.b=Ab12Cd34;\r\n\tspf=pass (mx.example.org: domain of bounce@mail.example.com designates "
         "203.0.113.5 as permitted sender) smtp.mailfrom=bounce@mail.example.com;\r\n\tdmarc=pass (p=REJECT "
         "sp=REJECT dis=NONE) header.from=example.com\r\n";
    if (r_.chance(40)) {
      m += "ARC-Seal: i=1; a=rsa-sha256; t=1678786013; cv=none; d=example.com; s=arc-20160816; b=" +
           folded_base64(256) + "\r\n";
      m += "ARC-Message-Signature: i=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=arc-20160816;\r\n"
           "\th=to:subject:message-id:date:from:mime-version:dkim-signature; bh=" +
           mailwire::base64::encode(r_.bytes(32));
      m += ";\r\n\tb=" + folded_base64(256) + "\r\n";
      m += "ARC-Authentication-Results: i=1; mx.example.com; dkim=pass header.i=@example.com; spf=pass\r\n";
    }
    m += "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=s1; t=1678786013;\r\n"
         "\th=from:to:subject:date:message-id:mime-version:content-type; bh=" +
         mailwire::base64::encode(r_.bytes(32));
    m += ";\r\n\tb=" + folded_base64(256) + "\r\n";
    m += "Received-SPF: pass (mx.example.org: domain of bounce@mail.example.com designates 203.0.113.5)\r\n";
  }

  void message_headers(std::string& m, int depth) {
    if (depth == 0) trace_headers(m);
    m += "From: " + person(r_.below(1000)) + "\r\n";
    m += "To: " + person(r_.below(1000));
    for (std::size_t i = r_.below(4); i > 0; --i) m += ",\r\n " + person(r_.below(1000));
    m += "\r\n";
    if (r_.chance(30)) {
      m += "Cc: " + person(r_.below(1000));
      m += ", " + person(r_.below(1000)) + "\r\n";
    }
    m += "Subject: " + subject() + "\r\n";
    m += "Date: " + date() + "\r\n";
    m += "Message-ID: " + msg_id() + "\r\n";
    if (r_.chance(50)) {
      const std::string parent = msg_id();
      m += "In-Reply-To: " + parent + "\r\nReferences:";
      for (std::size_t i = r_.between(1, 40); i > 0; --i) m += " " + msg_id() + "\r\n";
      m += " " + parent + "\r\n";
    }
    m += "MIME-Version: 1.0\r\n";
    if (depth == 0) {
      m += r_.chance(50) ? "X-Mailer: Microsoft Outlook 16.0\r\nThread-Topic: report\r\nThread-Index: " +
                               mailwire::base64::encode(r_.bytes(22)) + "\r\n"
                         : "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:102.0) Thunderbird/102.8.0\r\n";
      if (r_.chance(30)) {
        m += "List-Id: <announce.lists.example.com>\r\nList-Unsubscribe: "
             "<https://lists.example.com/unsubscribe?u=" +
             std::to_string(r_.next()) + ">,\r\n <mailto:unsubscribe@lists.example.com>\r\n"
             "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\nPrecedence: bulk\r\n";
      }
      m += "X-Spam-Status: No, score=-2.1 required=5.0 tests=BAYES_00,DKIM_SIGNED,DKIM_VALID,\r\n"
           "\tDKIM_VALID_AU,SPF_PASS autolearn=ham version=3.4.6\r\nX-Spam-Score: -2.1\r\n";
      m += "X-Originating-IP: [198.51.100." + std::to_string(r_.below(255)) + "]\r\n";
    }
  }

  std::string boundary() {
    switch (r_.below(3)) {
      case 0: {
        const std::string part = std::to_string(r_.below(99999));
        return "----=_Part_" + part + "_" + std::to_string(r_.next() % 1000000000);
      }
      case 1: return "000000000000" + mailwire::base64::encode(r_.bytes(9)).substr(0, 12) + "05f6e7";
      default: return "===============" + std::to_string(r_.next() % 10000000000ull) + "==";
    }
  }

  // -- entities: each appends its header fields (not the blank line's
  //    predecessor fields) and body ---------------------------------------

  void text_part(std::string& m, std::size_t size) {
    switch (r_.below(4)) {
      case 0:
      case 1: return qp_part(m, "text/plain; charset=\"UTF-8\"", prose(size, 8, false));
      case 2:
        if (r_.chance(50)) return qp_part(m, "text/plain; charset=ISO-8859-1", prose(size, 8, true));
        m += "Content-Type: text/plain; charset=utf-8; format=flowed\r\nContent-Transfer-Encoding: 8bit\r\n\r\n";
        m += prose(size, 8, false);
        return;
      default:
        m += "Content-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\n";
        m += prose(size, 0, false);
    }
  }

  static void qp_part(std::string& m, std::string_view type, std::string_view text) {
    m += "Content-Type: ";
    m += type;
    m += "\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n";
    mailwire::mime::qp_encoder e;
    e.encode(text, m);
    e.finish(m);
    if (m.back() != '\n') m += "\r\n";
  }

  void alternative(std::string& m, std::size_t size) {
    const std::string b = boundary();
    m += "Content-Type: multipart/alternative;\r\n\tboundary=\"" + b + "\"\r\n\r\n";
    m += "--" + b + "\r\n";
    text_part(m, size);
    m += "\r\n--" + b + "\r\n";
    qp_part(m, "text/html; charset=\"UTF-8\"", html(size * 2));
    m += "\r\n--" + b + "--\r\n";
  }

  void attachment(std::string& m, std::size_t size, bool inline_image) {
    static const char* const types[][2] = {{"application/pdf", "pdf"},
                                           {"image/jpeg", "jpg"},
                                           {"image/png", "png"},
                                           {"application/zip", "zip"},
                                           {"application/vnd.openxmlformats-officedocument."
                                            "wordprocessingml.document",
                                            "docx"}};
    const auto& t = types[inline_image ? 1 + r_.below(2) : r_.below(5)];
    const std::string stem = sentence(r_.between(1, 3), 30, false);
    std::string name;
    std::string disposition = inline_image ? "inline" : "attachment";
    switch (r_.below(3)) {
      case 0: name = "\"report_" + std::to_string(r_.below(1000)) + "." + t[1] + "\""; break;
      case 1: name = "\"" + b_word("UTF-8", stem + "." + t[1]) + "\""; break;
      default: break;
    }
    if (name.empty()) {
      std::string pct;
      for (const char c : stem + "." + t[1]) {
        if (static_cast<unsigned char>(c) < 128 && c != ' ' && c != '%') {
          pct += c;
        } else {
          hex_escape(pct, '%', c);
        }
      }
      m += "Content-Type: " + std::string(t[0]) + "\r\nContent-Disposition: " + disposition +
           ";\r\n filename*=UTF-8''" + pct + "\r\n";
    } else {
      m += "Content-Type: " + std::string(t[0]) + "; name=" + name + "\r\nContent-Disposition: " + disposition +
           "; filename=" + name + "\r\n";
    }
    if (inline_image) m += "Content-ID: <img" + std::to_string(r_.below(100000)) + "@example.com>\r\n";
    m += "Content-Transfer-Encoding: base64\r\n\r\n";
    m += mailwire::base64::encode(r_.bytes(size), 76);
    m += "\r\n";
    ++stats.attachments;
  }

  void add(std::vector<std::string>& out, int kind) {
    ++stats.kinds[kind];
    out.push_back(message(kind, max_attachment_, 0));
    stats.bytes += out.back().size();
    if (out.back().size() > stats.largest_message) stats.largest_message = out.back().size();
  }

  // A whole message of `kind` at `depth` (0: delivered, with trace fields).
  std::string message(int kind, std::size_t max_attachment, int depth) {
    std::string m;
    message_headers(m, depth);
    const std::size_t text = r_.log_uniform(1000, 30000);
    if (kind == 0) {
      text_part(m, text);
      return m;
    }
    if (kind == 1) {
      alternative(m, text / 2);
      return m;
    }
    const std::string b = boundary();
    const char* const type = kind == 4 ? "related;\r\n\ttype=\"multipart/alternative\"" : "mixed";
    m += "Content-Type: multipart/" + std::string(type) + ";\r\n\tboundary=\"" + b + "\"\r\n\r\n";
    m += "This is a multi-part message in MIME format.\r\n\r\n--" + b + "\r\n";
    if (kind == 4 || r_.chance(50)) {
      alternative(m, text / 2);
    } else {
      text_part(m, text);
    }
    if (kind == 2) {
      for (std::size_t i = r_.between(1, 3); i > 0; --i) {
        m += "\r\n--" + b + "\r\n";
        attachment(m, r_.log_uniform(3000, max_attachment, 2), false);
      }
    } else if (kind == 3) {
      m += "\r\n--" + b + "\r\nContent-Type: message/rfc822\r\nContent-Disposition: inline\r\n\r\n";
      const bool again = depth < 2 && r_.chance(25);
      m += message(again ? 3 : static_cast<int>(r_.below(3)), max_attachment < 1000000 ? max_attachment : 1000000,
                   depth + 1);
    } else {
      for (std::size_t i = r_.between(2, 5); i > 0; --i) {
        m += "\r\n--" + b + "\r\n";
        attachment(m, r_.log_uniform(2000, 60000), true);
      }
    }
    m += "\r\n--" + b + "--\r\n";
    return m;
  }

  prng r_;
  std::size_t max_attachment_;
};

}  // namespace bench

#endif  // MAILWIRE_BENCHMARKS_MIME_CORPUS_HPP
