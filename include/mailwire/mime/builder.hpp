// mailwire: writing a message, as a stream (RFC 5322, RFC 2045-2049,
// RFC 2047, RFC 2183, RFC 2231, RFC 3676, RFC 6532).
//
// mime::builder writes a message in document order: the top-level header
// fields, then the body — one part, or a multipart whose parts may be
// multiparts or attached messages in turn. Output is pulled like a
// protocol machine's (pending_output()/consume_output()), so it can go
// straight into smtp::client::write_body(); a part's content may be given
// whole (part(): the transfer encoding is chosen from the content) or in
// pieces (begin_part(), write(), end()), so a 1 GB attachment is written in
// memory bounded by what the caller leaves unconsumed plus one encoded
// piece.
//
//     mime::builder b(opts);                 // opts.transport: 7bit, 8BITMIME, BINARYMIME, SMTPUTF8
//     b.address_field("From", {{"Zoë", "zoe@example.org"}});
//     b.field("Subject", "Grüße");           // RFC 2047 where needed, folded at 78
//     b.date_field(now, +60);                // the caller's clock
//     b.message_id_field(random16, "example.org");
//     b.begin_multipart("mixed", random16);
//     b.part(text_plain, "Hello\n");         // 7bit, 8bit or quoted-printable, as fits
//     b.begin_part(pdf);                     // base64 (binary under BINARYMIME)
//     while (read(chunk)) { b.write(chunk); drain(b.pending_output()); }
//     b.end();                               // the pdf
//     b.end();                               // the multipart: the message is complete
//
// Sans-I/O: the date, the Message-ID's entropy and the boundaries' entropy
// come from the caller. What is written is checked as it is written: header
// fields go through one validating path (no CR, LF or NUL in a value,
// field names of printable ASCII but ':'), lines are folded at 78 where a
// space allows and never pass 998, encoded-words are at most 75
// characters and cut at UTF-8 character boundaries, 8-bit bytes appear
// only where the transport allows them, text is CRLF throughout, and a
// boundary never appears at a line start of the content it wraps (made of
// "=_" and the caller's entropy, which quoted-printable and base64 can
// never produce, and checked against content written as it is).
//
// Errors: an action that cannot be done returns an errc and writes
// nothing (invalid_argument for a bad value, invalid_state out of order,
// mime_boundary_collision when content written as it is holds a line that
// starts with an enclosing boundary: the part must then be abandoned, as
// bytes before it were written; extension_missing when the content needs
// what the transport lacks, e.g. 8-bit bytes in a message/rfc822 part
// without 8BITMIME). Nothing throws but std::bad_alloc.
#ifndef MAILWIRE_MIME_BUILDER_HPP
#define MAILWIRE_MIME_BUILDER_HPP

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mailwire/core/ascii.hpp"
#include "mailwire/core/base64.hpp"
#include "mailwire/core/output_queue.hpp"
#include "mailwire/core/utf8.hpp"
#include "mailwire/error.hpp"
#include "mailwire/limits.hpp"
#include "mailwire/mime/address.hpp"
#include "mailwire/mime/boundary.hpp"
#include "mailwire/mime/date.hpp"
#include "mailwire/mime/encoded_word.hpp"
#include "mailwire/mime/quoted_printable.hpp"
#include "mailwire/mime/transfer_encoding.hpp"

namespace mailwire {
inline namespace v0 {
namespace mime {

/// What the transport carrying the message allows (for SMTP: what the
/// server's EHLO offered and the client uses).
struct transport {
  bool eight_bit = false;     ///< 8BITMIME: 8-bit bytes in bodies (lines still at most 998)
  bool binary = false;        ///< BINARYMIME: any bytes, any line length, in bodies
  /// SMTPUTF8 (RFC 6531, RFC 6532): UTF-8 in header fields. Implies
  /// eight_bit (RFC 6531 3.1: SMTPUTF8 needs 8BITMIME).
  bool utf8_headers = false;
};

/// A point in time as the caller's clock gives it.
struct timestamp {
  /// Seconds since 1970-01-01T00:00:00Z.
  std::int64_t unix_seconds = 0;
  int offset_minutes = 0;  ///< the zone: local time minus UTC
};

/// How a part is to be shown (RFC 2183).
enum class disposition : std::uint8_t { none, inline_, attachment };

/// The header of one part: its type and everything about its content.
struct part_header {
  /// "type/subtype", e.g. "text/plain", "image/png", "message/rfc822".
  std::string type = "text/plain";
  /// text/*: the charset parameter (default "utf-8"; the content is not
  /// converted, only labelled).
  std::string charset;
  /// More Content-Type parameters (name, value): values that are not
  /// tokens are quoted, non-ASCII or long ones written in RFC 2231 form.
  std::vector<std::pair<std::string, std::string>> parameters;
  /// inline or attachment (none: no Content-Disposition, unless `filename`).
  disposition how = disposition::none;
  /// The file name, UTF-8: Content-Disposition filename (RFC 2231 when not
  /// plain ASCII or long), and Content-Type name (see
  /// builder_options::rfc2047_names). Setting it without `how` makes the
  /// part an attachment.
  std::string filename;
  /// Content-Disposition parameters (RFC 2183 2.4-2.7).
  std::optional<std::uint64_t> size;
  /// creation-date (RFC 2183 2.4).
  std::optional<timestamp> created;
  /// modification-date (RFC 2183 2.5).
  std::optional<timestamp> modified;
  /// Content-ID without angle brackets ("part1@example.org"), for
  /// multipart/related.
  std::string content_id;
  /// Content-Description: UTF-8 text, RFC 2047-encoded where needed.
  std::string description;
  /// The transfer encoding; nullopt chooses it (see builder::part() and
  /// builder::begin_part()). uuencode and unknown cannot be written.
  std::optional<transfer_encoding> encoding;
  /// text/plain: format=flowed (RFC 3676), with DelSp=yes when `delsp`.
  /// Only for content given whole (part()).
  bool flowed = false;
  /// With `flowed`: DelSp=yes (spaces added at soft breaks are removed on reading).
  bool delsp = false;
  /// More header fields (name, unstructured UTF-8 value).
  std::vector<std::pair<std::string, std::string>> fields;
};

/// How a builder writes: what the transport carries, folding, depth.
struct builder_options {
  /// What the transport carries (the server's 8BITMIME, BINARYMIME, SMTPUTF8):
  /// the encodings are chosen to fit it.
  mime::transport transport;
  /// Also write the file name as an RFC 2047 encoded-word in Content-Type's
  /// name parameter (what Outlook and older readers show; RFC 2231 does not
  /// allow it, but those readers need it).
  bool rfc2047_names = false;
  /// Header lines are folded at spaces to stay within this many
  /// characters (RFC 5322 2.1.1: 78).
  std::size_t fold_at = 78;
  /// Deepest multipart or attached message (the top entity is at depth 0;
  /// each multipart and attached message adds one): the depth at which a
  /// reader's default stops reading structure (parser_options::max_depth),
  /// so whatever is built reads back as built.
  std::size_t max_depth = limits::mime_depth;
};

/// Writes a MIME message as a stream, into its own output queue (take it with
/// pending_output() and consume_output()); see the file comment and
/// docs/sending-mail.md. Every call validates first and writes nothing when it
/// refuses.
class builder {
 public:
  /// A builder at the start of the message's header.
  explicit builder(builder_options o = {});

  // -- output -------------------------------------------------------------------

  /// Bytes written so far and not consumed; valid until the next non-const
  /// call.
  std::string_view pending_output() const noexcept { return out_.pending(); }
  /// The caller took the first `n` bytes of pending_output().
  void consume_output(std::size_t n) noexcept { out_.consume(n); }
  /// True once the last end() completed the message.
  bool done() const noexcept { return done_; }

  // -- header fields (of the message, or of an attached message) -------------------

  /// An unstructured field ("Subject", "Comments", "X-Mailer"): UTF-8 text,
  /// words that need it RFC 2047-encoded (written as they are with
  /// transport::utf8_headers), folded at spaces. No CR, LF, other control
  /// characters but HTAB, or NUL.
  errc field(std::string_view name, std::string_view text);
  /// A field whose value is already formatted (structured fields the
  /// builder has no writer for): written as it is, checked (CRLF only
  /// before SP or HTAB, i.e. as folding; no NUL; 8-bit only with
  /// utf8_headers; lines at most 998).
  errc raw_field(std::string_view name, std::string_view value);
  /// From, To, Cc, Bcc, Reply-To, Sender...: display names as atoms, quoted
  /// strings or encoded-words (UTF-8 as it is with utf8_headers), addresses
  /// checked (`local@domain`; a non-ASCII one needs utf8_headers).
  errc address_field(std::string_view name, const std::vector<mailbox>& list);
  /// Date (RFC 5322 3.3) from the caller's clock.
  errc date_field(timestamp when);
  /// Message-ID "<hex(entropy)@domain>" (at least 12 bytes of entropy from
  /// the caller's random source); `id` receives it without brackets.
  errc message_id_field(std::string_view entropy, std::string_view domain, std::string* id = nullptr);
  /// In-Reply-To, References: message ids, without angle brackets.
  errc id_list_field(std::string_view name, const std::vector<std::string>& ids);

  // -- the body -----------------------------------------------------------------------

  /// A multipart ("mixed", "alternative", "related"...) with a boundary
  /// made from `entropy` (at least 12 bytes from the caller's random
  /// source). Its parts follow; end() closes it. At the top level it ends
  /// the message's header (MIME-Version is written).
  errc begin_multipart(std::string_view subtype, std::string_view entropy, const part_header& h = {});
  /// A part whose content is given whole: the transfer encoding is chosen
  /// from it (unless h.encoding says): text/* as 7bit when it is ASCII with
  /// lines of at most 998 and no line starting with an enclosing boundary,
  /// 8bit the same with 8-bit bytes under 8BITMIME (binary under
  /// BINARYMIME for long lines), else quoted-printable or base64, whichever
  /// is shorter; other types base64 (binary under
  /// BINARYMIME); message/rfc822 as it is (7bit, 8bit or binary as the
  /// content needs and the transport allows). Text line ends become CRLF.
  errc part(const part_header& h, std::string_view content);
  /// A part whose content follows with write() and ends with end(). The
  /// encoding cannot be chosen from content not yet seen: without
  /// h.encoding, text/* is quoted-printable, message/* as it is, other
  /// types base64 (binary under BINARYMIME).
  errc begin_part(const part_header& h);
  /// An attached message (message/rfc822): its header fields follow with
  /// the field functions, then its body (a part or multipart); end()
  /// closes it. Past builder_options::max_depth (with begin_multipart()):
  /// errc::mime_depth_exceeded.
  errc begin_message(const part_header& h = {});
  /// A piece of the content begun with begin_part().
  errc write(std::string_view chunk);
  /// Ends the innermost open part, multipart or attached message
  /// (invalid_state for a multipart without parts or a message without a
  /// body: RFC 2046 wants one at least).
  errc end();

 private:
  enum class frame_kind : std::uint8_t { multipart, message };
  struct frame {
    frame_kind kind = frame_kind::multipart;
    std::string boundary;
    bool has_body = false;   // message: its body has begun (no more fields)
    bool body_done = false;  // message: its body is complete
    std::size_t parts = 0;   // multipart: parts begun
  };
  // The content being written with write().
  struct content_state {
    transfer_encoding encoding = transfer_encoding::seven_bit;
    bool text = false;     // line ends made CRLF
    bool cr = false;       // text: a CR held to see whether LF follows
    char last = '\n';      // as it is: the last byte (a line start at first)
    std::size_t line = 0;  // as it is: bytes on the current line
    std::string head;      // as it is: the current line's first bytes, for boundary checks
  };

  bool in_header() const noexcept;
  errc put_field(std::string_view name, std::string_view value, bool breaks_anywhere);
  void start_entity(const part_header& h, std::string_view type, std::string_view extra_params,
                    std::optional<transfer_encoding> cte);
  errc check_header(const part_header& h) const;
  std::string content_type_value(const part_header& h, std::string_view type, std::string_view extra) const;
  std::string disposition_value(const part_header& h) const;
  bool may_begin_entity() const noexcept;
  void begin_entity() noexcept;
  void entity_done() noexcept;
  std::string unstructured(std::string_view text) const;
  static bool is_text(std::string_view type) noexcept;
  static bool is_message(std::string_view type) noexcept;
  static std::string canonical_line_ends(content_state& s, std::string_view chunk);
  errc as_is(content_state& s, std::string_view chunk, std::string& out) const;
  void open_content(const part_header& h, std::string_view extra, transfer_encoding cte);
  transfer_encoding as_is_best() const noexcept;
  errc write_content(std::string_view chunk);
  void encode(std::string_view bytes);
  errc end_content();
  void append(std::string_view bytes);

  builder_options options_;
  output_queue out_;
  std::vector<frame> stack_;
  std::optional<content_state> content_;
  base64::encoder b64_{76};
  qp_encoder qp_;
  char last_ = '\n';       // the last byte written
  bool top_body_ = false;  // the top-level body has begun
  bool done_ = false;
};

// -- helpers -------------------------------------------------------------------------

namespace detail {

// RFC 5322 3.6.8: ftext is printable ASCII but ':'.
inline bool is_field_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > 76) return false;
  for (const char c : name) {
    if (!ascii::is_vchar(c) || c == ':') return false;
  }
  return true;
}

inline bool is_dot_atom(std::string_view s, bool utf8) noexcept {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  char last = 0;
  for (const char c : s) {
    if (c == '.' && last == '.') return false;
    if (c != '.' && !ascii::is(c, ascii::atext) && !(utf8 && ascii::is_8bit(c))) return false;
    last = c;
  }
  return true;
}

// A token of RFC 2045 5.1: printable ASCII but tspecials.
inline bool is_token(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (const char c : s) {
    if (!ascii::is_vchar(c) || std::string_view("()<>@,;:\\\"/[]?=").find(c) != std::string_view::npos) {
      return false;
    }
  }
  return true;
}

inline void append_quoted(std::string& out, std::string_view s) {
  out.push_back('"');
  for (const char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
}

// A quoted-string as a whole: quotes around qtext and quoted-pairs.
inline bool is_quoted_string(std::string_view s) noexcept {
  if (s.size() < 2 || s.front() != '"' || s.back() != '"') return false;
  for (std::size_t i = 1; i + 1 < s.size(); ++i) {
    if (s[i] == '\\') {
      if (++i + 1 >= s.size()) return false;  // the closing quote escaped
    } else if (s[i] == '"') {
      return false;
    }
  }
  return true;
}

// The addr-spec, local part quoted when it is neither a dot-atom nor
// quoted already (as parse_address_list() gives it); empty when it cannot
// be written.
inline std::string addr_spec(std::string_view address, bool utf8) {
  const std::size_t at = address.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == address.size()) return {};
  const std::string_view local = address.substr(0, at);
  const std::string_view domain = address.substr(at + 1);
  const bool literal = domain.front() == '[' && domain.back() == ']';
  if (!literal && !is_dot_atom(domain, utf8)) return {};
  for (const char c : address) {
    if (ascii::is_ctl(c) || (ascii::is_8bit(c) && !utf8)) return {};
  }
  if (utf8 && !utf8::valid(address)) return {};
  std::string out;
  if (is_dot_atom(local, utf8) || is_quoted_string(local)) {
    out.append(local);
  } else {
    append_quoted(out, local);
  }
  out.push_back('@');
  out.append(domain);
  return out;
}

// A parameter, name=value: a token as it is, printable ASCII quoted, the
// rest (or anything long) in RFC 2231 form, split into sections of at most
// `section` characters. Each piece starts with "; " so the folder can
// break before it.
inline void append_parameter(std::string& out, std::string_view name, std::string_view value) {
  constexpr std::size_t section = 60;
  bool printable = true;
  for (const char c : value) printable = printable && (ascii::is_vchar(c) || c == ' ');
  if (printable && value.size() <= section) {
    out.append("; ");
    out.append(name);
    out.push_back('=');
    // A token with '*' is quoted too: Python's email package cuts an
    // unquoted value at the '*' (RFC 2231 marks sections in the name).
    if (is_token(value) && value.find('*') == std::string_view::npos) {
      out.append(value);
    } else {
      append_quoted(out, value);
    }
    return;
  }
  // RFC 2231 3 and 4: name*0*=utf-8''%E2%82%AC...; name*1*=...
  std::vector<std::string> pieces;
  std::string cur = "utf-8''";
  for (std::size_t i = 0; i < value.size();) {
    const std::size_t length = utf8::decode(value, i).length;
    const std::size_t n = length == 0 ? 1 : length;
    std::string enc;
    for (std::size_t k = i; k < i + n && k < value.size(); ++k) {
      const char c = value[k];
      if (ascii::is_alpha(c) || ascii::is_digit(c) || std::string_view("!#$&+-.^_`|~").find(c) != std::string_view::npos) {
        enc.push_back(c);
      } else {
        ascii::append_hex_escape(enc, '%', static_cast<unsigned char>(c));
      }
    }
    // A character's escapes stay in one section (readers decode each
    // section's %XX on its own, and some join sections per character).
    if (cur.size() + enc.size() > section && !cur.empty() && cur != "utf-8''") {
      pieces.push_back(std::move(cur));
      cur.clear();
    }
    cur += enc;
    i += n;
  }
  pieces.push_back(std::move(cur));
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    out.append("; ");
    out.append(name);
    if (pieces.size() > 1) {
      out.push_back('*');
      out.append(std::to_string(i));
    }
    out.append("*=");
    out.append(pieces[i]);
  }
}

// RFC 3676 4.2, for text in canonical form: lines over 78 characters are
// wrapped after a space (a line ending in a space is a soft break);
// lines that start with a space, ">" or "From " are space-stuffed;
// trailing spaces of hard lines are removed so they do not read as soft
// breaks, except on the signature separator "-- " (4.3). With DelSp=yes
// a word longer than a line is cut at a UTF-8 character boundary and a
// space added, which readers delete.
inline std::string flow_text(std::string_view text, bool delsp) {
  constexpr std::size_t width = 76;  // content before the soft break's space
  std::string out;
  out.reserve(text.size() + text.size() / 16);
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find("\r\n", start);
    const bool ended = end != std::string_view::npos;
    if (!ended) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (line != "-- ") {
      while (!line.empty() && line.back() == ' ') line.remove_suffix(1);
    }
    do {
      std::size_t take = line.size();
      if (line.size() > width + 1 && line != "-- ") {
        const std::size_t sp = line.rfind(' ', width);
        if (sp != std::string_view::npos && sp > 0) {
          take = sp + 1;  // the space stays at the end: the soft break
        } else if (delsp) {
          take = 0;
          while (take < line.size()) {
            const std::size_t n = utf8::decode(line, take).length;
            const std::size_t k = n == 0 ? 1 : n;
            if (take + k > width) break;
            take += k;
          }
          if (take == 0) take = 1;
        } else {
          const std::size_t next = line.find(' ', width);
          take = next == std::string_view::npos ? line.size() : next + 1;
        }
      }
      const std::string_view piece = line.substr(0, take);
      if (!piece.empty() && (piece[0] == ' ' || piece[0] == '>' || piece.substr(0, 5) == "From ")) {
        out.push_back(' ');
      }
      out.append(piece);
      line.remove_prefix(take);
      if (!line.empty()) {
        // The soft break's space: with DelSp=yes readers delete it, so one
        // is always added (a break after a real space keeps that one).
        if (delsp || piece.back() != ' ') out.push_back(' ');
        out.append("\r\n");
      }
    } while (!line.empty());
    if (ended) out.append("\r\n");
    start = end + 2;
  }
  return out;
}

// Formats "name: value" CRLF into `out`, folded before a space where the
// line would pass `fold` (anywhere for unstructured text; in structured
// values at any space outside a quoted string), never past 998. A field name that is not printable ASCII without ':', or a
// word that cannot fit in 998, is invalid_argument.
inline errc format_field(std::string_view name, std::string_view value, bool breaks_anywhere, std::size_t fold,
                         std::string& out) {
  if (!is_field_name(name)) return errc::invalid_argument;
  // Structured values: a space outside quoted strings is folding white
  // space (between a phrase's words, before an angle-addr, after ',' or
  // ';'); inside one it is content, and stays on its line.
  std::vector<bool> quoted;
  if (!breaks_anywhere) {
    quoted.resize(value.size());
    bool in = false;
    for (std::size_t k = 0; k < value.size(); ++k) {
      if (in && value[k] == '\\' && k + 1 < value.size()) {
        quoted[k] = quoted[k + 1] = true;
        ++k;
        continue;
      }
      if (value[k] == '"') in = !in;
      quoted[k] = in || value[k] == '"';
    }
  }
  const auto break_before = [&](std::size_t k) { return breaks_anywhere || !quoted[k]; };
  std::string line(name);
  line.push_back(':');
  std::size_t column = line.size();
  if (!value.empty()) {
    line.push_back(' ');
    ++column;
  }
  for (std::size_t i = 0; i < value.size();) {
    // The next word: its leading spaces, then up to the next run of spaces
    // before which a fold may go (a fold goes before a whole run, so no
    // line ends in white space).
    std::size_t j = i;
    for (;;) {
      while (j < value.size() && value[j] == ' ') ++j;
      const std::size_t sp = value.find(' ', j);
      if (sp == std::string_view::npos) {
        j = value.size();
        break;
      }
      j = sp;
      if (break_before(sp)) break;
    }
    const std::string_view word = value.substr(i, j - i);
    if (column + word.size() > fold && i > 0 && word.find_first_not_of(' ') != std::string_view::npos &&
        word[0] == ' ') {
      line.append("\r\n");
      column = 0;
    }
    if (column + word.size() > limits::header_line - 2) return errc::invalid_argument;
    line.append(word);
    column += word.size();
    i = j;
  }
  line.append("\r\n");
  out.append(line);
  return errc::ok;
}

// Checks a field value given already formatted: CRLF only as folding
// (before SP or HTAB), no NUL, 8-bit bytes only as UTF-8 and only when
// `utf8` (RFC 6532), no line past 998 with the name.
inline errc check_raw_field(std::string_view name, std::string_view value, bool utf8) {
  if (!is_field_name(name)) return errc::invalid_argument;
  std::size_t line = name.size() + 2;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (c == '\r') {
      if (i + 2 >= value.size() || value[i + 1] != '\n' || (value[i + 2] != ' ' && value[i + 2] != '\t')) {
        return errc::invalid_argument;
      }
      ++i;
      line = 0;
      continue;
    }
    if (c == '\n' || c == '\0' || (ascii::is_8bit(c) && !utf8)) return errc::invalid_argument;
    if (++line > limits::header_line - 2) return errc::invalid_argument;
  }
  if (utf8 && !utf8::valid(value)) return errc::invalid_argument;
  return errc::ok;
}

// Hex of the caller's entropy.
inline std::string hex(std::string_view bytes) {
  std::string out;
  for (const char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back("0123456789abcdef"[u >> 4]);
    out.push_back("0123456789abcdef"[u & 15]);
  }
  return out;
}

}  // namespace detail

// -- builder: definitions, in the order declared -------------------------------------

inline builder::builder(builder_options o) : options_(o) {
  if (options_.transport.utf8_headers) options_.transport.eight_bit = true;
  if (options_.fold_at < 20) options_.fold_at = 20;
  if (options_.fold_at > limits::header_line - 2) options_.fold_at = limits::header_line - 2;
}

inline errc builder::field(std::string_view name, std::string_view text) {
  if (!in_header()) return errc::invalid_state;
  for (const char c : text) {
    if (ascii::is_ctl(c) && c != '\t') return errc::invalid_argument;
  }
  if (!utf8::valid(text)) return errc::invalid_argument;
  std::string value;
  if (options_.transport.utf8_headers) {
    // RFC 6532: UTF-8 as it is; only what would read as an encoded-word
    // is encoded.
    value = text.find("=?") == std::string_view::npos ? std::string(text) : encode_unstructured(text);
  } else {
    value = encode_unstructured(text);
  }
  return put_field(name, value, true);
}

inline errc builder::raw_field(std::string_view name, std::string_view value) {
  if (!in_header()) return errc::invalid_state;
  if (const errc e = detail::check_raw_field(name, value, options_.transport.utf8_headers); e != errc::ok) return e;
  append(name);
  append(": ");
  append(value);
  append("\r\n");
  return errc::ok;
}

inline errc builder::address_field(std::string_view name, const std::vector<mailbox>& list) {
  if (!in_header()) return errc::invalid_state;
  if (list.empty()) return errc::invalid_argument;
  const bool utf8 = options_.transport.utf8_headers;
  std::string value;
  for (const mailbox& m : list) {
    const std::string spec = detail::addr_spec(m.address, utf8);
    if (spec.empty()) return errc::invalid_argument;
    for (const char c : m.name) {
      if (ascii::is_ctl(c) && c != '\t') return errc::invalid_argument;
    }
    if (!utf8::valid(m.name)) return errc::invalid_argument;
    if (!value.empty()) value.append(", ");
    if (m.name.empty()) {
      value.append(spec);
      continue;
    }
    if (utf8 && ascii::has_8bit(m.name)) {
      detail::append_quoted(value, m.name);
    } else {
      value.append(encode_phrase(m.name));
    }
    value.append(" <");
    value.append(spec);
    value.push_back('>');
  }
  return put_field(name, value, false);
}

inline errc builder::date_field(timestamp when) {
  const date_time t = from_unix_seconds(when.unix_seconds, when.offset_minutes);
  if (!t.valid) return errc::invalid_argument;
  if (!in_header()) return errc::invalid_state;
  return put_field("Date", format_date(t), true);
}

inline errc builder::message_id_field(std::string_view entropy, std::string_view domain, std::string* id) {
  if (!in_header()) return errc::invalid_state;
  if (entropy.size() < 12 || !detail::is_dot_atom(domain, false)) return errc::invalid_argument;
  std::string value = detail::hex(entropy.substr(0, 32));
  value.push_back('@');
  value.append(domain);
  if (id != nullptr) *id = value;
  return put_field("Message-ID", "<" + value + ">", false);
}

inline errc builder::id_list_field(std::string_view name, const std::vector<std::string>& ids) {
  if (!in_header()) return errc::invalid_state;
  if (ids.empty()) return errc::invalid_argument;
  std::string value;
  for (const std::string& i : ids) {
    // id-left "@" id-right, each a dot-atom (or, on the right, a literal).
    const std::size_t at = i.rfind('@');
    if (at == std::string::npos || !detail::is_dot_atom(std::string_view(i).substr(0, at), false)) {
      return errc::invalid_argument;
    }
    const std::string_view right = std::string_view(i).substr(at + 1);
    const bool literal = !right.empty() && right.front() == '[' && right.back() == ']' &&
                         right.find_first_of("[]\\ \t", 1) == right.size() - 1;
    if (!literal && !detail::is_dot_atom(right, false)) return errc::invalid_argument;
    if (!value.empty()) value.push_back(' ');
    value.push_back('<');
    value.append(i);
    value.push_back('>');
  }
  return put_field(name, value, true);
}

inline errc builder::begin_multipart(std::string_view subtype, std::string_view entropy, const part_header& h) {
  if (entropy.size() < 12 || !detail::is_token(subtype)) return errc::invalid_argument;
  if (stack_.size() >= options_.max_depth) return errc::mime_depth_exceeded;
  if (const errc e = check_header(h); e != errc::ok) return e;
  // "=_" cannot appear in quoted-printable or base64 output: no encoded
  // content can hold this boundary, whatever the entropy.
  std::string boundary = "=_" + detail::hex(entropy.substr(0, 30));
  for (const frame& f : stack_) {
    if (f.kind == frame_kind::multipart &&
        (boundary.compare(0, f.boundary.size(), f.boundary) == 0 ||
         f.boundary.compare(0, boundary.size(), boundary) == 0)) {
      return errc::invalid_argument;  // the same entropy twice
    }
  }
  if (content_ || !may_begin_entity()) return errc::invalid_state;
  begin_entity();
  start_entity(h, "multipart/" + std::string(subtype), "; boundary=\"" + boundary + "\"", std::nullopt);
  frame f;
  f.kind = frame_kind::multipart;
  f.boundary = std::move(boundary);
  stack_.push_back(std::move(f));
  return errc::ok;
}

inline errc builder::part(const part_header& h, std::string_view content) {
  if (const errc e = check_header(h); e != errc::ok) return e;
  if (content_ || !may_begin_entity()) return errc::invalid_state;
  const bool text = is_text(h.type);
  const bool message = is_message(h.type);
  // Text in canonical form (RFC 2049 4: CRLF line ends), flowed here
  // where the whole text is known.
  std::string canonical;
  std::string_view body = content;
  if (text || message) {
    content_state s;
    canonical = canonical_line_ends(s, content);
    if (s.cr) canonical.append("\r\n");
    const bool flowed = h.flowed && ascii::iequals(h.type, "text/plain");
    if (flowed) canonical = detail::flow_text(canonical, h.delsp);
    body = canonical;
  }
  // What the content holds: 8-bit bytes, NUL or bare CR/LF, its longest
  // line, a line starting with an enclosing boundary, and how much of it
  // quoted-printable would escape.
  bool eight = false;
  bool controls = false;
  std::size_t longest = 0;
  std::size_t escapes = 0;
  std::size_t line = 0;
  for (std::size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (c == '\r' && i + 1 < body.size() && body[i + 1] == '\n') {
      line = 0;
      ++i;
      continue;
    }
    longest = ++line > longest ? line : longest;
    eight = eight || ascii::is_8bit(c);
    controls = controls || c == '\0' || c == '\r' || c == '\n';
    if (ascii::is_8bit(c) || c == '=' || (ascii::is_ctl(c) && c != '\t')) ++escapes;
  }
  bool collides = false;
  for (const frame& f : stack_) {
    collides = collides || (f.kind == frame_kind::multipart && find_dash_boundary(body, f.boundary) != std::string_view::npos);
  }
  const transport& t = options_.transport;
  const bool fits_lines = !controls && longest <= 998;
  transfer_encoding cte = transfer_encoding::base64;
  if (h.encoding) {
    cte = *h.encoding;
  } else if (message) {
    // RFC 2046 5.2.1: a message is never encoded; it must fit as it is.
    cte = fits_lines && !eight  ? transfer_encoding::seven_bit
          : t.binary            ? transfer_encoding::binary
          : fits_lines && t.eight_bit ? transfer_encoding::eight_bit
                                      : transfer_encoding::unknown;
    if (cte == transfer_encoding::unknown) return errc::extension_missing;
  } else if (text) {
    if (!collides && fits_lines && (!eight || t.eight_bit || t.binary)) {
      cte = eight ? transfer_encoding::eight_bit : transfer_encoding::seven_bit;
    } else if (!collides && t.binary) {
      cte = transfer_encoding::binary;
    } else {
      // Whichever is shorter: quoted-printable grows by two bytes per
      // escape, base64 by a third.
      cte = escapes * 6 > body.size() ? transfer_encoding::base64 : transfer_encoding::quoted_printable;
    }
  } else if (!collides && t.binary) {
    cte = transfer_encoding::binary;
  }
  // Content written as it is is checked whole before anything is written.
  content_state s;
  s.encoding = cte;
  s.text = false;  // already canonical
  std::string as_written;
  const bool as_it_is = cte == transfer_encoding::seven_bit || cte == transfer_encoding::eight_bit ||
                        cte == transfer_encoding::binary;
  if (as_it_is) {
    if (const errc e = as_is(s, body, as_written); e != errc::ok) return e;
    if (cte != transfer_encoding::binary && s.last == '\r') return errc::bare_cr;
  }
  part_header hh = h;
  hh.encoding = cte;
  std::string extra;
  if (h.flowed && ascii::iequals(h.type, "text/plain")) extra = h.delsp ? "; format=flowed; delsp=yes" : "; format=flowed";
  open_content(hh, extra, cte);
  if (as_it_is) {
    append(as_written);
  } else {
    content_->text = false;  // canonical already
    write_content(body);
  }
  return end_content();
}

inline errc builder::begin_part(const part_header& h) {
  if (const errc e = check_header(h); e != errc::ok) return e;
  if (content_ || !may_begin_entity()) return errc::invalid_state;
  const bool text = is_text(h.type);
  const bool message = is_message(h.type);
  const transport& t = options_.transport;
  const transfer_encoding cte = h.encoding ? *h.encoding
                                : message  ? as_is_best()
                                : text     ? transfer_encoding::quoted_printable
                                : t.binary ? transfer_encoding::binary
                                           : transfer_encoding::base64;
  if (message && (cte == transfer_encoding::quoted_printable || cte == transfer_encoding::base64)) {
    return errc::invalid_argument;  // RFC 2046 5.2.1
  }
  open_content(h, {}, cte);
  return errc::ok;
}

// Writes the part's header and makes its content the one write() takes.
inline void builder::open_content(const part_header& h, std::string_view extra, transfer_encoding cte) {
  begin_entity();
  start_entity(h, h.type, extra, cte);
  content_state s;
  s.encoding = cte;
  s.text = is_text(h.type) || is_message(h.type);
  content_ = s;
  if (cte == transfer_encoding::quoted_printable) {
    qp_encode_options qo;
    qo.binary = !is_text(h.type);
    qp_ = qp_encoder(qo);
  }
}

// The most a part written as it is may use on this transport.
inline transfer_encoding builder::as_is_best() const noexcept {
  const transport& t = options_.transport;
  return t.binary ? transfer_encoding::binary : t.eight_bit ? transfer_encoding::eight_bit : transfer_encoding::seven_bit;
}

inline errc builder::begin_message(const part_header& h) {
  part_header hh = h;
  hh.type = "message/rfc822";
  hh.encoding.reset();
  if (const errc e = check_header(hh); e != errc::ok) return e;
  if (stack_.size() >= options_.max_depth) return errc::mime_depth_exceeded;
  if (content_ || !may_begin_entity()) return errc::invalid_state;
  // What the attached message's own parts may use, declared up front.
  const transfer_encoding cte = as_is_best();
  begin_entity();
  start_entity(hh, hh.type, {}, cte);
  frame f;
  f.kind = frame_kind::message;
  stack_.push_back(std::move(f));
  return errc::ok;
}

inline errc builder::write(std::string_view chunk) {
  if (!content_) return errc::invalid_state;
  return write_content(chunk);
}

inline errc builder::end() {
  if (content_) return end_content();
  if (stack_.empty()) return errc::invalid_state;
  frame& f = stack_.back();
  if (f.kind == frame_kind::message) {
    // An attached message needs a body, and it must be complete.
    if (!f.has_body || !f.body_done) return errc::invalid_state;
  } else if (f.parts == 0) {
    return errc::invalid_state;  // RFC 2046 5.1.1: one body part at least
  } else {
    append("\r\n--");
    append(f.boundary);
    append("--\r\n");
  }
  stack_.pop_back();
  entity_done();
  return errc::ok;
}

// The field functions write where a header is open: the top level before
// its body, or an attached message before its body.
inline bool builder::in_header() const noexcept {
  if (content_ || done_) return false;
  if (stack_.empty()) return !top_body_;
  return stack_.back().kind == frame_kind::message && !stack_.back().has_body;
}

inline errc builder::put_field(std::string_view name, std::string_view value, bool breaks_anywhere) {
  std::string out;
  if (const errc e = detail::format_field(name, value, breaks_anywhere, options_.fold_at, out); e != errc::ok) {
    return e;
  }
  append(out);
  return errc::ok;
}

// Writes a part's (or the top-level entity's) header fields. Everything
// that could be refused was checked by check_header(), so nothing here
// fails half-way: put_field() refuses only a word longer than a line,
// which check_header() rules out.
inline void builder::start_entity(const part_header& h, std::string_view type, std::string_view extra_params,
                                  std::optional<transfer_encoding> cte) {
  if (!stack_.empty() && stack_.back().kind == frame_kind::multipart) {
    append("\r\n--");
    append(stack_.back().boundary);
    append("\r\n");
  }
  if (stack_.empty() || stack_.back().kind == frame_kind::message) put_field("MIME-Version", "1.0", false);
  put_field("Content-Type", content_type_value(h, type, extra_params), false);
  if (cte && *cte != transfer_encoding::seven_bit) put_field("Content-Transfer-Encoding", to_string(*cte), false);
  const std::string disposition = disposition_value(h);
  if (!disposition.empty()) put_field("Content-Disposition", disposition, false);
  if (!h.content_id.empty()) put_field("Content-ID", "<" + h.content_id + ">", false);
  if (!h.description.empty()) put_field("Content-Description", unstructured(h.description), true);
  for (const auto& f : h.fields) put_field(f.first, unstructured(f.second), true);
  append("\r\n");
}

// Everything start_entity() could refuse, checked before it writes.
inline errc builder::check_header(const part_header& h) const {
  const std::size_t slash = h.type.find('/');
  if (slash == std::string::npos || !detail::is_token(std::string_view(h.type).substr(0, slash)) ||
      !detail::is_token(std::string_view(h.type).substr(slash + 1))) {
    return errc::invalid_argument;
  }
  if (!h.charset.empty() && !detail::is_token(h.charset)) return errc::invalid_argument;
  // Nothing that put_field() would have to refuse half-way through an
  // entity: every unbreakable piece well under a line.
  constexpr std::size_t longest = 200;
  if (h.type.size() > longest || h.charset.size() > longest || h.content_id.size() > longest) {
    return errc::invalid_argument;
  }
  for (const auto& p : h.parameters) {
    if (!detail::is_token(p.first) || p.first.size() > longest || !utf8::valid(p.second)) {
      return errc::invalid_argument;
    }
    for (const char c : p.second) {
      if (ascii::is_ctl(c)) return errc::invalid_argument;
    }
  }
  for (const char c : h.filename + h.description) {
    if (ascii::is_ctl(c) && c != '\t') return errc::invalid_argument;
  }
  if (!utf8::valid(h.filename) || !utf8::valid(h.description)) return errc::invalid_argument;
  if (!h.content_id.empty() && detail::addr_spec(h.content_id, false) != h.content_id) {
    return errc::invalid_argument;
  }
  if (h.encoding && (*h.encoding == transfer_encoding::uuencode || *h.encoding == transfer_encoding::unknown)) {
    return errc::invalid_argument;
  }
  if (h.encoding && *h.encoding == transfer_encoding::eight_bit && !options_.transport.eight_bit &&
      !options_.transport.binary) {
    return errc::extension_missing;
  }
  if (h.encoding && *h.encoding == transfer_encoding::binary && !options_.transport.binary) {
    return errc::extension_missing;
  }
  if ((h.created && !from_unix_seconds(h.created->unix_seconds, h.created->offset_minutes).valid) ||
      (h.modified && !from_unix_seconds(h.modified->unix_seconds, h.modified->offset_minutes).valid)) {
    return errc::invalid_argument;
  }
  for (const auto& f : h.fields) {
    if (!detail::is_field_name(f.first) || !utf8::valid(f.second)) return errc::invalid_argument;
    for (const char c : f.second) {
      if (ascii::is_ctl(c) && c != '\t') return errc::invalid_argument;
    }
  }
  return errc::ok;
}

inline std::string builder::content_type_value(const part_header& h, std::string_view type,
                                               std::string_view extra) const {
  std::string v;
  for (const char c : type) v.push_back(ascii::to_lower(c));
  if (ascii::iequals(type.substr(0, 5), "text/")) {
    v.append("; charset=");
    v.append(h.charset.empty() ? std::string_view("utf-8") : std::string_view(h.charset));
  }
  v.append(extra);
  for (const auto& p : h.parameters) detail::append_parameter(v, p.first, p.second);
  if (!h.filename.empty()) {
    if (options_.rfc2047_names && !ascii::is_text(h.filename)) {
      v.append("; name=\"");
      v.append(encode_unstructured(h.filename));
      v.push_back('"');
    } else {
      detail::append_parameter(v, "name", h.filename);
    }
  }
  return v;
}

inline std::string builder::disposition_value(const part_header& h) const {
  disposition how = h.how;
  if (how == disposition::none && !h.filename.empty()) how = disposition::attachment;
  if (how == disposition::none) return {};
  std::string v = how == disposition::inline_ ? "inline" : "attachment";
  if (!h.filename.empty()) detail::append_parameter(v, "filename", h.filename);
  if (h.size) v += "; size=" + std::to_string(*h.size);
  const auto date = [&](std::string_view name, const timestamp& t) {
    v.append("; ");
    v.append(name);
    v.append("=\"");
    v.append(format_date(from_unix_seconds(t.unix_seconds, t.offset_minutes)));
    v.push_back('"');
  };
  if (h.created) date("creation-date", *h.created);
  if (h.modified) date("modification-date", *h.modified);
  return v;
}

// An entity may begin: at the top level once, in a multipart any number
// of times, in an attached message once its fields are written.
inline bool builder::may_begin_entity() const noexcept {
  if (done_) return false;
  if (stack_.empty()) return !top_body_;
  return stack_.back().kind == frame_kind::multipart || !stack_.back().has_body;
}

inline void builder::begin_entity() noexcept {
  if (stack_.empty()) {
    top_body_ = true;
  } else if (stack_.back().kind == frame_kind::message) {
    stack_.back().has_body = true;
  } else {
    ++stack_.back().parts;
  }
}

// An entity ended: the attached message holding it is complete, or the
// message is.
inline void builder::entity_done() noexcept {
  if (stack_.empty()) {
    done_ = true;
  } else if (stack_.back().kind == frame_kind::message) {
    stack_.back().body_done = true;
  }
}

// An unstructured value: RFC 2047 where a word needs it (with
// utf8_headers only what would read as an encoded-word).
inline std::string builder::unstructured(std::string_view text) const {
  if (options_.transport.utf8_headers && text.find("=?") == std::string_view::npos) return std::string(text);
  return encode_unstructured(text);
}

inline bool builder::is_text(std::string_view type) noexcept { return ascii::iequals(type.substr(0, 5), "text/"); }
inline bool builder::is_message(std::string_view type) noexcept {
  return ascii::iequals(type, "message/rfc822") || ascii::iequals(type, "message/global");
}

// Text line ends to CRLF (a CR alone, LF alone, or CRLF each make one),
// for text written as base64 (RFC 2049 4: the canonical form is encoded).
inline std::string builder::canonical_line_ends(content_state& s, std::string_view chunk) {
  std::string out;
  out.reserve(chunk.size() + chunk.size() / 32 + 2);
  for (const char c : chunk) {
    if (s.cr) {
      s.cr = false;
      out.append("\r\n");
      if (c == '\n') continue;
    }
    if (c == '\r') {
      s.cr = true;
    } else if (c == '\n') {
      out.append("\r\n");
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// Content written as it is (7bit, 8bit, binary), checked on a copy of the
// state so that a refused chunk changes nothing: lines at most 998 and no
// NUL or bare CR/LF (7bit, 8bit), no 8-bit byte (7bit), and no line that
// starts with "--" and an enclosing boundary (any). Text line ends are
// made CRLF first.
inline errc builder::as_is(content_state& s, std::string_view chunk, std::string& out) const {
  content_state p = s;
  const bool check = p.encoding != transfer_encoding::binary;
  const std::string normalised = p.text ? canonical_line_ends(p, chunk) : std::string();
  const std::string_view in = p.text ? std::string_view(normalised) : chunk;
  constexpr std::size_t head_max = 2 + 70;  // "--" and the longest boundary
  out.reserve(out.size() + in.size());
  for (const char c : in) {
    if (check) {
      if (p.last == '\r' && c != '\n') return errc::bare_cr;
      if (c == '\n' && p.last != '\r') return errc::bare_lf;
      if (c == '\0') return errc::nul_byte;
    }
    p.last = c;
    if (c == '\r' || c == '\n') {
      // A line starts after either (readers differ on a bare CR, and
      // binary content may hold one: boundaries are looked for after it).
      p.line = 0;
      p.head.clear();
      continue;
    }
    if (check && ascii::is_8bit(c) && p.encoding == transfer_encoding::seven_bit) return errc::extension_missing;
    if (check && ++p.line > 998) return errc::line_too_long;
    if (p.head.size() < head_max) {
      p.head.push_back(c);
      for (const frame& f : stack_) {
        if (f.kind == frame_kind::multipart && p.head.size() == 2 + f.boundary.size() &&
            p.head.compare(0, 2, "--") == 0 && p.head.compare(2, std::string::npos, f.boundary) == 0) {
          return errc::mime_boundary_collision;
        }
      }
    }
  }
  out.append(in);
  s = std::move(p);
  return errc::ok;
}

inline errc builder::write_content(std::string_view chunk) {
  content_state& s = *content_;
  if (s.encoding != transfer_encoding::base64 && s.encoding != transfer_encoding::quoted_printable) {
    std::string out;
    if (const errc e = as_is(s, chunk, out); e != errc::ok) return e;
    append(out);
    return errc::ok;
  }
  // Text is encoded in canonical form (RFC 2049 4: CRLF line ends), so a
  // bare CR or LF reads back as the line end it meant, whatever the
  // encoding and however the content was split.
  const std::string normalised = s.text ? canonical_line_ends(s, chunk) : std::string();
  encode(s.text ? std::string_view(normalised) : chunk);
  return errc::ok;
}

// Through the part's encoder (base64 or quoted-printable).
inline void builder::encode(std::string_view bytes) {
  if (content_->encoding == transfer_encoding::base64) {
    char* p = out_.prepare(b64_.update_size_max(bytes.size()));
    const std::size_t n = b64_.update(bytes, p);
    if (n != 0) last_ = p[n - 1];
    out_.commit(n);
  } else {
    std::string enc;
    qp_.encode(bytes, enc);
    append(enc);
  }
}

inline errc builder::end_content() {
  content_state& s = *content_;
  // A text's last CR, held to see whether LF followed: a line end.
  const bool held_cr = s.text && s.cr;
  switch (s.encoding) {
    case transfer_encoding::base64: {
      if (held_cr) encode("\r\n");
      char buf[base64::encoder::finish_size_max];
      const std::size_t n = b64_.finish(buf);
      if (n != 0) append(std::string_view(buf, n));
      break;
    }
    case transfer_encoding::quoted_printable: {
      if (held_cr) encode("\r\n");
      std::string enc;
      qp_.finish(enc);
      append(enc);
      break;
    }
    default:
      if (held_cr) append("\r\n");
      if (!s.text && s.last == '\r' && s.encoding != transfer_encoding::binary) return errc::bare_cr;
      break;
  }
  content_.reset();
  // The line break before the next boundary belongs to the boundary (RFC
  // 2046 5.1.1); a message that ends with its content ends with a line
  // break.
  if (stack_.empty() && last_ != '\n') append("\r\n");
  entity_done();
  return errc::ok;
}

inline void builder::append(std::string_view bytes) {
  if (bytes.empty()) return;
  out_.append(bytes);
  last_ = bytes.back();
}

}  // namespace mime
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_MIME_BUILDER_HPP
