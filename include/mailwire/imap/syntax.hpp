// mailwire: the IMAP token layer, read and written (RFC 3501 9, RFC 9051 9).
//
// Every IMAP parser in mailwire (commands, responses, FETCH data, SEARCH
// keys) reads through detail::scanner, and every serialiser writes through
// imap::wire_writer. Those two know the string forms of IMAP: atoms, quoted
// strings, literals ({n}, {n+}, ~{n}) and NIL, the character classes, the
// numbers, and the nesting of parenthesised lists.
//
// Reading: the scanner works on one whole message (a command or a response,
// without its final CRLF) as imap::frame_reader delivers it: literals read
// into memory are in the text as on the wire ("{5}\r\nhello"); literals
// whose bodies were streamed have their announcement and CRLF in the text
// and no body, and the frame reader lists where they are. Parsed strings are
// views: into the message text, or, for quoted strings with backslash
// escapes, into a scratch buffer the caller owns. Neither may change or die
// while the views are used.
//
// Writing: wire_writer appends a command or a response to a `wire`, and
// picks for each string the form its content and the receiving peer allow.
// CR, LF and NUL can only ever be written inside a literal (NUL only inside
// a literal8, when the peer supports BINARY). Where the sender must stop (a
// synchronising literal: wait for the "+" continuation; a body the caller
// streams) the wire records a break.
#ifndef MAILWIRE_IMAP_SYNTAX_HPP
#define MAILWIRE_IMAP_SYNTAX_HPP

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailwire/core/ascii.hpp"
#include "mailwire/core/number.hpp"
#include "mailwire/core/utf8.hpp"
#include "mailwire/error.hpp"
#include "mailwire/limits.hpp"

namespace mailwire {
inline namespace v0 {
namespace imap {

/// A string that may be NIL (nstring, RFC 9051 9): no value for NIL.
using nstring = std::optional<std::string_view>;

namespace detail {

// Character classes of the IMAP ABNF (RFC 9051 9). Bytes 0x80-0xFF are in
// none of them: 8-bit text is only allowed in quoted strings under UTF-8
// rules and in literals, and is checked there.
enum imap_class : std::uint8_t {
  atom_char = 1u << 0,     // ATOM-CHAR: CHAR except atom-specials
  astring_char = 1u << 1,  // ASTRING-CHAR: ATOM-CHAR / resp-specials ("]")
  tag_char = 1u << 2,      // tag: ASTRING-CHAR except "+"
  list_char = 1u << 3,     // list-char: ATOM-CHAR / list-wildcards / resp-specials
  quoted_char = 1u << 4,   // TEXT-CHAR except quoted-specials: written as is in quotes
  text_char = 1u << 5,     // TEXT-CHAR: CHAR except CR and LF (NUL is not a CHAR)
};

constexpr std::array<std::uint8_t, 256> make_imap_table() {
  std::array<std::uint8_t, 256> t{};
  for (int i = 1; i < 0x80; ++i) {
    const char c = static_cast<char>(i);
    std::uint8_t f = 0;
    const bool special = i < 0x20 || i == 0x7F || c == '(' || c == ')' || c == '{' || c == ' ' ||
                         c == '%' || c == '*' || c == '"' || c == '\\' || c == ']';
    if (!special) f |= atom_char | astring_char | tag_char | list_char;
    if (c == ']') f |= astring_char | tag_char | list_char;
    if (c == '%' || c == '*') f |= list_char;
    if (c == '+') f = static_cast<std::uint8_t>(f & ~tag_char);
    if (c != '\r' && c != '\n') f |= text_char;
    if ((f & text_char) != 0 && c != '"' && c != '\\') f |= quoted_char;
    t[static_cast<std::size_t>(i)] = f;
  }
  return t;
}
inline constexpr std::array<std::uint8_t, 256> imap_table = make_imap_table();

constexpr bool is(char c, std::uint8_t mask) noexcept {
  return (imap_table[static_cast<unsigned char>(c)] & mask) != 0;
}

/// Length of the run of `s` starting at `from` whose bytes are all in `mask`.
inline std::size_t span(std::string_view s, std::size_t from, std::uint8_t mask) noexcept {
  std::size_t i = from;
  while (i < s.size() && is(s[i], mask)) ++i;
  return i - from;
}

}  // namespace detail

/// True when `s` can be written as an atom: one or more ATOM-CHARs.
inline bool is_atom(std::string_view s) noexcept {
  return !s.empty() && detail::span(s, 0, detail::atom_char) == s.size();
}

/// True when `s` is a valid tag (RFC 9051 9: 1*<ASTRING-CHAR except "+">).
inline bool is_tag(std::string_view s) noexcept {
  return !s.empty() && detail::span(s, 0, detail::tag_char) == s.size();
}

// ---------------------------------------------------------------------------
// Reading

/// Options every IMAP parser takes.
struct parse_options {
  /// Deepest nesting of parenthesised lists and SEARCH keys. Past it the
  /// message is refused with errc::imap_too_deep (never a stack overflow).
  std::size_t max_depth = limits::imap_depth;
  /// Read 8-bit bytes in quoted strings even when they are not valid UTF-8
  /// (some servers send Latin-1 subjects in ENVELOPE). Reopens: text of
  /// unknown charset handed on as if it were UTF-8. Off: such a string is a
  /// syntax error.
  bool allow_8bit_quoted = false;

  // Named leniencies for FETCH data (imap/envelope.hpp,
  // imap/bodystructure.hpp): each reads one documented deviation of real
  // servers. None changes framing (they apply inside a message the frame
  // reader has already delimited); each makes the parser accept text that
  // a strict peer would refuse, so two parsers may disagree about it.

  /// Exchange: body-fld-dsp as a bare string ("inline") instead of
  /// ("inline" NIL); read as that disposition with no parameters.
  bool lenient_disposition_string = false;
  /// Gmail: a multipart with no child parts, sent as ("ALTERNATIVE"),
  /// ("ALTERNATIVE" ("BOUNDARY" "x") NIL NIL) or with NIL where the parts
  /// belong (NIL "alternative" ...); read as a multipart with no children.
  bool lenient_empty_multipart = false;
  /// A media type without its subtype, ("TEXT" ("CHARSET" "x") NIL ...),
  /// or NIL as type or subtype; read as an empty type or subtype.
  bool lenient_missing_subtype = false;
  /// mail.ru, Exchange 2010: NIL as a parameter value ("BOUNDARY" NIL);
  /// read as the empty string.
  bool lenient_nil_param_value = false;
  /// Stalwart, Exchange, maddy and others: extra spaces (between the parts
  /// of a multipart, after "(", before ")", doubled) and missing ones where
  /// the tokens stay apart (")(" or NIL"x") inside ENVELOPE and
  /// BODYSTRUCTURE lists.
  bool lenient_spaces = false;
  /// maddy, iCloud: NIL as body-fld-enc; read as the empty string.
  bool lenient_nil_encoding = false;

  /// Responses (imap/response.hpp): accept a status response, a response
  /// code or a continuation request that ends without the SP before its
  /// empty text: "* BYE" (iCloud), "[HIGHESTMODSEQ 5]" with nothing after
  /// it (Gmail), "+" alone (public-inbox-imapd; RFC 3501's own AUTHENTICATE
  /// example), "e OK [CONTACTADMIN]" (RFC 5530's example). RFC 9051
  /// allows the text to be empty but keeps the SP; erratum 7343 asks
  /// clients not to require it. Reopens nothing: the line is whole.
  bool allow_missing_text_space = false;
  /// Responses: accept one SP at the end of an untagged data response:
  /// "* CAPABILITY IMAP4rev1 " (imap.exmail.qq.com, iCloud), "* SEARCH "
  /// (smtp-n.global-mail.cn), "* STATUS INBOX (MESSAGES 0) " (Microsoft
  /// Exchange). Reopens nothing: the line is whole.
  bool allow_trailing_space = false;
};

/// A literal's body as a parser found it: in memory, or streamed by the
/// frame reader (then only its size is known here; the bytes went out as
/// chunks before the message was parsed).
struct literal_body {
  std::string_view data;    ///< the body, when read into memory
  std::uint64_t size = 0;   ///< announced size (== data.size() when in memory)
  bool streamed = false;    ///< the body was streamed; `data` is empty
  bool binary = false;      ///< written as literal8 ("~{n}", RFC 3516)
};

namespace detail {

/// The reader every IMAP parser shares: a cursor over one message, with the
/// first error kept (position and code). Every read either advances and
/// returns true, or leaves the position and returns false; fail() records
/// why. Strings come out as views (see the file comment for their life).
class scanner {
 public:
  /// `text`: one message without its final CRLF. `scratch`: where unescaped
  /// quoted strings go; it is cleared and reserved to text.size() so that it
  /// never reallocates while views into it are alive. `streamed`: offsets of
  /// literal announcements whose bodies are not in `text` (from
  /// frame_reader::streamed_literals()), or null.
  scanner(std::string_view text, std::string& scratch, const parse_options& o = {},
          const std::vector<std::size_t>* streamed = nullptr)
      : s_(text), scratch_(scratch), opt_(o), streamed_(streamed) {
    scratch_.clear();
    if (scratch_.capacity() < text.size()) scratch_.reserve(text.size());
  }

  // -- state ----------------------------------------------------------------
  /// True while no error was met.
  bool ok() const noexcept { return err_ == errc::ok; }
  /// The first error met (errc::ok when none).
  errc error() const noexcept { return err_; }
  std::size_t error_at() const noexcept { return err_at_; }
  std::size_t pos() const noexcept { return i_; }
  void seek(std::size_t p) noexcept { i_ = p; }
  bool at_end() const noexcept { return i_ >= s_.size(); }
  char peek() const noexcept { return i_ < s_.size() ? s_[i_] : '\0'; }
  char peek(std::size_t ahead) const noexcept { return i_ + ahead < s_.size() ? s_[i_ + ahead] : '\0'; }
  std::string_view text() const noexcept { return s_; }
  std::string_view rest() const noexcept { return s_.substr(std::min(i_, s_.size())); }
  const parse_options& options() const noexcept { return opt_; }

  /// Records the first error (later ones are consequences) and returns false.
  bool fail(errc e = errc::syntax_error) noexcept {
    if (err_ == errc::ok) {
      err_ = e;
      err_at_ = i_;
    }
    return false;
  }
  /// Clears a failure so an alternative reading can be tried from `p`.
  void backtrack(std::size_t p) noexcept {
    i_ = p;
    err_ = errc::ok;
    err_at_ = 0;
  }
  /// Where an alternative reading starts: the cursor and the list depth.
  struct mark {
    std::size_t pos = 0;
    std::size_t depth = 0;
  };
  mark save() const noexcept { return mark{i_, depth_}; }
  /// Back to `m` with any failure cleared; unlike backtrack() it also
  /// undoes the open() calls of a reading that failed inside a list, so
  /// failed attempts do not use up the depth limit.
  void restore(const mark& m) noexcept {
    i_ = m.pos;
    depth_ = m.depth;
    err_ = errc::ok;
    err_at_ = 0;
  }

  // -- punctuation ----------------------------------------------------------
  bool eat(char c) noexcept {
    if (peek() != c || at_end()) return false;
    ++i_;
    return true;
  }
  bool expect(char c) noexcept { return eat(c) || fail(); }
  bool sp() noexcept { return expect(' '); }
  /// The keyword `w` (case-insensitive), not followed by another atom char
  /// (so "BODY" does not match the start of "BODYSTRUCTURE"). '[', '.' and
  /// '<' end a keyword too, for FETCH attributes.
  bool keyword(std::string_view w) noexcept {
    if (s_.size() - std::min(i_, s_.size()) < w.size()) return false;
    if (!ascii::iequals(s_.substr(i_, w.size()), w)) return false;
    const std::size_t after = i_ + w.size();
    if (after < s_.size() && is(s_[after], atom_char) && s_[after] != '[' && s_[after] != '.' &&
        s_[after] != '<')
      return false;
    i_ = after;
    return true;
  }
  /// The exact text `w`, case-insensitive, with no boundary check.
  bool literal_text(std::string_view w) noexcept {
    if (s_.size() - std::min(i_, s_.size()) < w.size()) return false;
    if (!ascii::iequals(s_.substr(i_, w.size()), w)) return false;
    i_ += w.size();
    return true;
  }

  /// "(" with the nesting limit counted; close() must follow for each.
  bool open() noexcept {
    if (peek() != '(' || at_end()) return fail();
    if (depth_ >= opt_.max_depth) return fail(errc::imap_too_deep);
    ++depth_;
    ++i_;
    return true;
  }
  bool close() noexcept {
    if (!eat(')')) return fail();
    if (depth_ > 0) --depth_;
    return true;
  }
  /// For recursive grammars that nest without parentheses (SEARCH's NOT and
  /// OR): enter() counts a level against max_depth, leave() ends it.
  bool enter() noexcept {
    if (depth_ >= opt_.max_depth) return fail(errc::imap_too_deep);
    ++depth_;
    return true;
  }
  void leave() noexcept {
    if (depth_ > 0) --depth_;
  }

  // -- tokens ---------------------------------------------------------------
  /// A run of bytes in class `mask`, at least one.
  bool run(std::uint8_t mask, std::string_view& out) noexcept {
    const std::size_t n = at_end() ? 0 : span(s_, i_, mask);
    if (n == 0) return fail();
    out = s_.substr(i_, n);
    i_ += n;
    return true;
  }
  bool atom(std::string_view& out) noexcept { return run(atom_char, out); }
  bool tag(std::string_view& out) noexcept { return run(tag_char, out); }

  /// "NIL", case-insensitive, as a whole token.
  bool nil() noexcept { return keyword("NIL"); }

  /// number (RFC 9051: 1*DIGIT, 32-bit unsigned).
  bool number(std::uint32_t& out) noexcept {
    std::uint64_t v = 0;
    if (!number64(v)) return false;
    if (v > 0xFFFFFFFFu) return fail();
    out = static_cast<std::uint32_t>(v);
    return true;
  }
  /// nz-number: a number that is not zero, without a leading zero
  /// (digit-nz *DIGIT).
  bool nz_number(std::uint32_t& out) noexcept {
    const std::size_t at = i_;
    if (peek() == '0') return fail();
    if (!number(out)) return false;
    if (out == 0) {
      i_ = at;
      return fail();
    }
    return true;
  }
  /// number64 (RFC 9051: 63-bit, used by MODSEQ and sizes).
  bool number64(std::uint64_t& out) noexcept {
    const std::size_t n = at_end() ? 0 : digits_at(i_);
    std::uint64_t v = 0;
    if (n == 0 || !parse_number(s_.substr(i_, n), 20, v) || v > 0x7FFFFFFFFFFFFFFFull) return fail();
    out = v;
    i_ += n;
    return true;
  }

  /// quoted (RFC 9051 9), content unescaped: a view into the text when it
  /// has no backslash, into the scratch buffer otherwise.
  bool quoted(std::string_view& out) {
    if (peek() != '"' || at_end()) return fail();
    std::size_t j = i_ + 1;
    bool escaped = false;
    bool eight_bit = false;
    for (;;) {
      j += span(s_, j, quoted_char);
      if (j >= s_.size()) return fail();
      const char c = s_[j];
      if (c == '"') break;
      if (c == '\\') {
        if (j + 1 >= s_.size() || (s_[j + 1] != '"' && s_[j + 1] != '\\')) {
          i_ = j;
          return fail();
        }
        escaped = true;
        j += 2;
        continue;
      }
      if (ascii::is_8bit(c)) {
        eight_bit = true;
        ++j;
        continue;
      }
      i_ = j;  // CR, LF, NUL: never inside a quoted string
      return fail();
    }
    std::string_view raw = s_.substr(i_ + 1, j - i_ - 1);
    if (eight_bit && !opt_.allow_8bit_quoted && !utf8::valid(raw)) return fail();
    if (escaped) {
      const std::size_t start = scratch_.size();
      for (std::size_t k = 0; k < raw.size(); ++k) {
        if (raw[k] == '\\') ++k;
        scratch_.push_back(raw[k]);
      }
      raw = std::string_view(scratch_).substr(start);
    }
    out = raw;
    i_ = j + 1;
    return true;
  }

  /// literal or literal8 at the cursor. `allow_binary`: "~{n}" accepted.
  /// Literals in the text are either in memory ("{n}" CRLF and n bytes) or
  /// streamed (listed in `streamed`; no body in the text).
  bool literal(literal_body& out, bool allow_binary = false) noexcept {
    const std::size_t at = i_;
    bool binary = false;
    if (peek() == '~') {
      if (!allow_binary) return fail();
      binary = true;
      ++i_;
    }
    if (!eat('{')) {
      i_ = at;
      return fail();
    }
    const std::size_t n = digits_at(i_);
    std::uint64_t size = 0;
    if (n == 0 || !parse_number(s_.substr(i_, n), 20, size)) {
      i_ = at;
      return fail(errc::imap_bad_literal);
    }
    i_ += n;
    eat('+');  // the frame reader has already decided whether {n+} was allowed
    if (!eat('}') || !eat('\r') || !eat('\n')) {
      i_ = at;
      return fail(errc::imap_bad_literal);
    }
    out = literal_body{};
    out.size = size;
    out.binary = binary;
    if (is_streamed(at)) {
      out.streamed = true;
      return true;
    }
    if (s_.size() - i_ < size) {
      i_ = at;
      return fail(errc::truncated);
    }
    out.data = s_.substr(i_, static_cast<std::size_t>(size));
    i_ += static_cast<std::size_t>(size);
    return true;
  }

  /// string (quoted / literal) whose content must be in memory; NUL is
  /// refused (a literal is CHAR8, not NUL, RFC 9051 9).
  bool string(std::string_view& out) {
    if (peek() == '"') return quoted(out);
    if (peek() != '{') return fail();
    const std::size_t at = i_;
    literal_body b;
    if (!literal(b)) return false;
    if (b.streamed) {
      i_ = at;
      return fail(errc::imap_literal_too_big);
    }
    if (b.data.find('\0') != std::string_view::npos) {
      i_ = at;
      return fail(errc::nul_byte);
    }
    out = b.data;
    return true;
  }
  /// astring: 1*ASTRING-CHAR / string.
  bool astring(std::string_view& out) {
    const char c = peek();
    if (c == '"' || c == '{') return string(out);
    return run(astring_char, out);
  }
  /// nstring: string / NIL.
  bool nstring(imap::nstring& out) {
    if (nil()) {
      out.reset();
      return true;
    }
    std::string_view v;
    if (!string(v)) return false;
    out = v;
    return true;
  }
  /// One value of an extension the parser does not know (RFC 4466
  /// tagged-ext-val, and unknown FETCH, STATUS or LIST items): a string, a
  /// run of non-space, non-parenthesis bytes (atom, number, sequence set,
  /// "\" flag), or a parenthesised list of such values, nested within
  /// max_depth. `out` is the value's raw text, delimiters included. A
  /// literal the frame reader streamed is errc::imap_literal_too_big (its
  /// bytes are not in the text).
  bool raw_value(std::string_view& out) {
    const std::size_t at = i_;
    if (!skip_value()) return false;
    out = s_.substr(at, i_ - at);
    return true;
  }

  /// The rest of the message as text (resp-text after its code, a BAD's
  /// explanation): TEXT-CHARs, with 8-bit bytes accepted as in quoted.
  bool text_to_end(std::string_view& out) noexcept {
    out = rest();
    i_ = s_.size();
    return true;
  }

 private:
  bool skip_value() {
    const char c = peek();
    if (c == '"' || c == '{' || c == '~') {
      if (c == '"') {
        std::string_view ignored;
        return quoted(ignored);
      }
      const std::size_t at = i_;
      literal_body body;
      if (!literal(body, true)) return false;
      // A streamed body is not in the text, so the raw text would lack it.
      if (body.streamed) {
        i_ = at;
        return fail(errc::imap_literal_too_big);
      }
      return true;
    }
    if (c == '(') {
      if (!open()) return false;
      if (peek() != ')') {
        do {
          if (!skip_value()) return false;
        } while (eat(' '));
      }
      return close();
    }
    std::size_t j = i_;
    while (j < s_.size() && s_[j] != ' ' && s_[j] != '(' && s_[j] != ')' && s_[j] != '"' &&
           static_cast<unsigned char>(s_[j]) > 0x20 && s_[j] != 0x7F)
      ++j;
    if (j == i_) return fail();
    i_ = j;
    return true;
  }

  std::size_t digits_at(std::size_t p) const noexcept {
    std::size_t j = p;
    while (j < s_.size() && ascii::is_digit(s_[j])) ++j;
    return j - p;
  }
  bool is_streamed(std::size_t at) const noexcept {
    if (streamed_ == nullptr) return false;
    // The frame reader may record the offset of "~" or of "{".
    for (const std::size_t o : *streamed_) {
      if (o == at || o == at + 1) return true;
    }
    return false;
  }

  std::string_view s_;
  std::string& scratch_;
  // A copy: the constructor's default argument is a temporary that dies
  // with the full-expression constructing the scanner, so a reference
  // would dangle (ASan: stack-use-after-scope in open()).
  parse_options opt_;
  const std::vector<std::size_t>* streamed_;
  std::size_t i_ = 0;
  std::size_t depth_ = 0;
  errc err_ = errc::ok;
  std::size_t err_at_ = 0;
};

}  // namespace detail

// ---------------------------------------------------------------------------
// Writing

/// What the peer that will read the bytes supports; it decides the forms
/// strings are written in.
struct peer_support {
  /// The bytes go to a server (a client writing commands): literals are
  /// synchronising ("{n}", wait for "+") unless LITERAL+/LITERAL- allow
  /// "{n+}". False: a server writing responses, whose literals never wait.
  bool to_server = true;
  bool literal_plus = false;   ///< LITERAL+ (RFC 7888): "{n+}" of any size
  bool literal_minus = false;  ///< LITERAL- (RFC 7888): "{n+}" up to 4096 octets
  bool utf8 = false;           ///< UTF8=ACCEPT enabled (RFC 6855): UTF-8 in quoted strings
  bool binary = false;         ///< BINARY (RFC 3516): literal8 "~{n}" (NUL allowed)
  /// Strings longer than this are written as literals even when they could
  /// be quoted (long quoted strings are legal but hard on line limits).
  std::size_t max_quoted = 1024;
};

/// Where a sender must pause in a serialised command or response.
struct wire_break {
  std::size_t offset = 0;           ///< bytes of wire::bytes before the pause
  bool wait_continuation = false;   ///< a synchronising literal was announced: wait for "+"
  bool body = false;                ///< the caller sends a streamed literal body here
  std::uint64_t body_size = 0;      ///< its size, exactly as announced
};

/// A serialised command or response: bytes, and the pauses in them in
/// order. With no breaks, `bytes` goes out in one piece.
struct wire {
  std::string bytes;  ///< the serialised text, literals held in memory included
  std::vector<wire_break> breaks;  ///< where the sender must pause, in order
  /// Empties it, keeping capacity.
  void clear() noexcept {
    bytes.clear();
    breaks.clear();
  }
};

/// Appends IMAP tokens to a wire. Every method that writes peer-supplied
/// content checks it; the first error is kept (error()) and the caller
/// discards the wire when it is not errc::ok. Methods named raw write
/// trusted grammar text (keywords, parentheses) unchecked.
class wire_writer {
 public:
  /// A writer appending to `w` (which must outlive it) for a peer that supports `p`.
  wire_writer(wire& w, const peer_support& p) noexcept : w_(w), p_(p) {}

  /// The first error met (errc::ok when none).
  errc error() const noexcept { return err_; }
  /// True while no error was met.
  bool ok() const noexcept { return err_ == errc::ok; }
  /// What the peer supports.
  const peer_support& peer() const noexcept { return p_; }
  /// The bytes written so far.
  std::string& bytes() noexcept { return w_.bytes; }

  /// Trusted grammar text, unchecked.
  void raw(std::string_view s) { w_.bytes.append(s); }
  /// One trusted grammar character, unchecked.
  void raw(char c) { w_.bytes.push_back(c); }
  /// One SP.
  void sp() { w_.bytes.push_back(' '); }
  /// A number, in decimal.
  void number(std::uint64_t v) {
    char buf[20];
    std::size_t n = 0;
    do {
      buf[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    while (n > 0) w_.bytes.push_back(buf[--n]);
  }
  /// NIL.
  void nil() { raw("NIL"); }

  /// An atom; anything else is errc::invalid_argument.
  void atom(std::string_view s) {
    if (!is_atom(s)) return fail(errc::invalid_argument);
    raw(s);
  }
  /// A string as quoted when it can be, else as a literal.
  void string(std::string_view s) {
    if (quotable(s))
      quoted(s);
    else
      literal(s);
  }
  /// An astring: an atom when the content is one (and not "NIL", which a
  /// reader of an nstring would take for NIL), else string().
  void astring(std::string_view s) {
    if (!s.empty() && detail::span(s, 0, detail::astring_char) == s.size() && !ascii::iequals(s, "NIL"))
      raw(s);
    else
      string(s);
  }
  /// NIL for no value, else string().
  void nstring(const imap::nstring& s) {
    if (s)
      string(*s);
    else
      nil();
  }
  /// A quoted string; content that cannot be quoted is invalid_argument.
  void quoted(std::string_view s) {
    if (!quotable_content(s)) return fail(errc::invalid_argument);
    w_.bytes.push_back('"');
    for (const char c : s) {
      if (c == '"' || c == '\\') w_.bytes.push_back('\\');
      w_.bytes.push_back(c);
    }
    w_.bytes.push_back('"');
  }
  /// A literal holding `s`: literal8 when `s` has NUL (or `binary`), which
  /// needs BINARY, else invalid_argument.
  void literal(std::string_view s, bool binary = false) {
    binary = binary || s.find('\0') != std::string_view::npos;
    if (binary && !p_.binary) return fail(errc::invalid_argument);
    if (!header(s.size(), binary)) return;
    w_.bytes.append(s);
  }
  /// A literal whose body the caller streams: the header is written, and a
  /// break tells the sender to send exactly `size` bytes of body there.
  void streamed_literal(std::uint64_t size, bool binary = false) {
    if (binary && !p_.binary) return fail(errc::invalid_argument);
    if (!header(size, binary)) return;
    wire_break b;
    b.offset = w_.bytes.size();
    b.body = true;
    b.body_size = size;
    if (!w_.breaks.empty() && w_.breaks.back().offset == b.offset && !w_.breaks.back().body) {
      w_.breaks.back().body = true;
      w_.breaks.back().body_size = size;
    } else {
      w_.breaks.push_back(b);
    }
  }

  /// True when `s` may go in a quoted string for this peer (and is short
  /// enough to be worth it).
  bool quotable(std::string_view s) const noexcept {
    return s.size() <= p_.max_quoted && quotable_content(s);
  }
  /// True when every byte of `s` may go in a quoted string for this peer
  /// (whatever its length).
  bool quotable_content(std::string_view s) const noexcept {
    const std::size_t plain = detail::span(s, 0, detail::text_char);
    if (plain == s.size()) return true;
    // Past the 7-bit prefix: 8-bit only as valid UTF-8, for a peer that
    // takes it; CR, LF and NUL never.
    if (!p_.utf8) return false;
    for (std::size_t k = plain; k < s.size(); ++k) {
      const char c = s[k];
      if (c == '\r' || c == '\n' || c == '\0') return false;
    }
    return utf8::valid(s.substr(plain));
  }

  /// Records `e` as the error, unless one is recorded already.
  void fail(errc e) noexcept {
    if (err_ == errc::ok) err_ = e;
  }

 private:
  bool header(std::uint64_t size, bool binary) {
    if (binary) w_.bytes.push_back('~');
    w_.bytes.push_back('{');
    number(size);
    const bool wait = p_.to_server && !p_.literal_plus &&
                      !(p_.literal_minus && size <= limits::imap_literal_minus);
    if (p_.to_server && !wait) w_.bytes.push_back('+');
    w_.bytes.append("}\r\n");
    if (wait) {
      wire_break b;
      b.offset = w_.bytes.size();
      b.wait_continuation = true;
      w_.breaks.push_back(b);
    }
    return true;
  }

  wire& w_;
  const peer_support& p_;
  errc err_ = errc::ok;
};

}  // namespace imap
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_IMAP_SYNTAX_HPP
