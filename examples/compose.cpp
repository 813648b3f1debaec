// mailwire-compose: writes a MIME message to stdout with mime::builder.
//
//   mailwire-compose --from ADDR --to ADDR [--to ADDR]... [--cc ADDR]...
//       --subject TEXT [--text FILE] [--html FILE] [--attach FILE[:TYPE]]...
//       [--inline FILE:CID[:TYPE]]... [--date RFC5322-DATE] [--message-id ID]
//       [--7bit] [--flowed]
//
// The structure follows what is given: a text alone is text/plain, text and
// HTML are multipart/alternative, inline images make a multipart/related
// around the HTML, and attachments a multipart/mixed around all of that.
// An attachment of type message/rfc822 (.eml) is attached as a message.
//
// Everything is checked before the first byte is written: addresses with
// the library's address parser (exactly one mailbox each), the date with
// its date parser, every header field and part header by running the whole
// composition once on a builder whose output is thrown away (attachments
// are not read then, except attached messages, whose content must fit the
// transport as it is). A usage error exits 2 with nothing on stdout.
//
// Sans-I/O is the library's part: the date, the Message-ID and the
// boundaries' entropy come from here (the clock, the local zone, and
// getrandom()). Attachments are streamed in 64 KiB pieces, each written to
// stdout before the next is read, so memory does not grow with their size.
// `mailwire-compose ... | mailwire-smtp-send ... -` sends the message.
#include <mailwire/mime/address.hpp>
#include <mailwire/mime/builder.hpp>
#include <mailwire/mime/date.hpp>

#include "support/cli.hpp"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

namespace mime = mailwire::mime;
using mailwire::errc;

constexpr std::size_t piece_size = 64 * 1024;

// An attachment or inline part: an open file and the header it gets.
struct file_part {
  std::string path;
  int fd = -1;
  mime::part_header header;
  bool message = false;  // attached as a message: its content as it is
};

struct settings {
  mime::mailbox from;
  std::vector<mime::mailbox> to, cc;
  std::string subject;
  std::optional<std::string> text, html;
  std::vector<file_part> inlines, attachments;
  std::optional<mime::timestamp> date;  // set before composing: the same in both runs
  std::string message_id;  // empty: made from getrandom() and the From domain
  bool seven_bit = false;
  bool flowed = false;
};

// The caller's entropy: the library takes it, the program draws it.
struct entropy {
  std::string message_id, mixed, alternative, related;
};

std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  std::size_t got = 0;
  while (got < n) {
    const ssize_t r = getrandom(&out[got], n - got, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      std::fprintf(stderr, "mailwire-compose: getrandom: %s\n", std::strerror(errno));
      std::exit(1);
    }
    got += static_cast<std::size_t>(r);
  }
  return out;
}

// An empty `why`: --help, on stdout, exit 0. Otherwise a usage error: exit 2.
[[noreturn]] void usage(const std::string& why) {
  if (!why.empty()) std::fprintf(stderr, "mailwire-compose: %s\n", why.c_str());
  std::FILE* to = why.empty() ? stdout : stderr;
  std::fputs(
      "usage: mailwire-compose --from ADDR --to ADDR [--to ADDR]... [--cc ADDR]... --subject TEXT\n"
      "       [--text FILE] [--html FILE] [--attach FILE[:TYPE]]... [--inline FILE:CID[:TYPE]]...\n"
      "       [--date RFC5322-DATE] [--message-id ID] [--7bit] [--flowed]\n"
      "       mailwire-compose --help | --version\n",
      to);
  if (!why.empty()) std::exit(2);
  std::fputs(
      "\n"
      "Writes a MIME message (RFC 5322, CRLF line ends) to stdout, e.g. for\n"
      "  mailwire-compose ... | mailwire-smtp-send --server HOST:PORT ... -\n"
      "\n"
      "  --from ADDR          the author (required): one mailbox, a@example.org or\n"
      "                       'Name <a@example.org>'; a non-ASCII name is RFC 2047-encoded.\n"
      "                       Its domain also ends the default Message-ID (localhost\n"
      "                       for a domain literal)\n"
      "  --to ADDR            a recipient (required; repeatable), one mailbox each\n"
      "  --cc ADDR            a copy recipient (repeatable; default none)\n"
      "  --subject TEXT       the subject (required; UTF-8, no control characters but tab)\n"
      "  --text FILE          the text/plain body (UTF-8; - reads stdin). Default: none\n"
      "  --html FILE          the text/html body (UTF-8; - reads stdin); with --text the two\n"
      "                       make a multipart/alternative. Default: none. Without --text\n"
      "                       and --html the message has an empty text/plain body, or only\n"
      "                       its attachments\n"
      "  --attach FILE[:TYPE] an attachment (repeatable; default none), streamed from FILE;\n"
      "                       its name is FILE's last path component (UTF-8; RFC 2231).\n"
      "                       TYPE defaults to a guess from the extension: pdf, png, jpg,\n"
      "                       jpeg, gif, txt, html, htm, csv, zip, json, ics, eml\n"
      "                       (message/rfc822), anything else application/octet-stream.\n"
      "                       The text after FILE's last ':' is the TYPE only when it is\n"
      "                       type/subtype. message/rfc822 attaches the file as a message:\n"
      "                       it must then fit the transport as it is (no NUL, lines of at\n"
      "                       most 998 bytes, 8-bit bytes not with --7bit); text/* files\n"
      "                       are sent with CRLF line ends (RFC 2046's canonical form)\n"
      "                       and labelled charset=utf-8, or unknown-8bit when not UTF-8\n"
      "  --inline FILE:CID[:TYPE]\n"
      "                       an inline part for the HTML (repeatable; needs --html;\n"
      "                       default none), referred to there as cid:CID (CID:\n"
      "                       local@domain, ASCII); the HTML and these parts make a\n"
      "                       multipart/related. TYPE as for --attach\n"
      "  --date RFC5322-DATE  the Date field, e.g. 'Mon, 2 Jan 2006 15:04:05 -0700' (written\n"
      "                       back in canonical form). Default: the current time and the\n"
      "                       local zone's offset\n"
      "  --message-id ID      the Message-ID, local@domain with or without <>. Default:\n"
      "                       16 bytes from getrandom() in hex, @ the From domain\n"
      "  --7bit               7-bit output only, for servers without 8BITMIME: 8-bit text\n"
      "                       is quoted-printable or base64. Default: 8-bit text bodies\n"
      "                       are written as 8bit where their lines allow (at most 998\n"
      "                       bytes; mailwire-smtp-send then asks for BODY=8BITMIME)\n"
      "  --flowed             write the text body as format=flowed (RFC 3676; needs --text).\n"
      "                       Default: off\n"
      "\n"
      "Attachments and inline parts are base64 (text/* ones quoted-printable), attached\n"
      "messages as they are; file names, sizes and modification dates go into\n"
      "Content-Disposition. Header fields are folded at 78 columns; boundaries are made\n"
      "from getrandom(). Addresses must be ASCII (no SMTPUTF8 output).\n"
      "\n"
      "Everything is checked before anything is written. Exit status: 0 when the\n"
      "message was written; 1 on a failure while writing it (a read or write error:\n"
      "the output is then incomplete); 2 for a usage error (nothing written).\n",
      stdout);
  std::exit(0);
}

// One mailbox, parsed with the library's address parser: exactly one
// address, nothing the parser had to repair.
mime::mailbox parse_mailbox(const char* option, const std::string& text) {
  mime::diagnostics diags;
  std::vector<mime::mailbox> list = mime::parse_address_list(text, &diags);
  if (list.size() != 1 || list[0].address.empty() || !list[0].group.empty()) {
    usage(std::string(option) + " wants exactly one mailbox (a@example.org or 'Name <a@example.org>'): '" + text +
          "'");
  }
  if (!diags.empty()) {
    usage(std::string(option) + " '" + text + "': " + std::string(mailwire::to_string(diags.front().code)));
  }
  if (mailwire::ascii::has_8bit(list[0].address)) {
    usage(std::string(option) + " '" + text + "': a non-ASCII address needs SMTPUTF8 (RFC 6532), which " +
          "mailwire-compose does not write");
  }
  return std::move(list[0]);
}

std::string lower(std::string s) {
  for (char& c : s) c = mailwire::ascii::to_lower(c);
  return s;
}

// type/subtype, each an RFC 2045 token.
bool is_media_type(std::string_view s) {
  const std::size_t slash = s.find('/');
  return slash != std::string_view::npos && mime::detail::is_token(s.substr(0, slash)) &&
         mime::detail::is_token(s.substr(slash + 1));
}

std::string guess_type(const std::string& name) {
  static const std::pair<const char*, const char*> table[] = {
      {"pdf", "application/pdf"}, {"png", "image/png"},       {"jpg", "image/jpeg"},
      {"jpeg", "image/jpeg"},     {"gif", "image/gif"},       {"txt", "text/plain"},
      {"html", "text/html"},      {"htm", "text/html"},       {"csv", "text/csv"},
      {"zip", "application/zip"}, {"json", "application/json"}, {"ics", "text/calendar"},
      {"eml", "message/rfc822"}};
  const std::size_t dot = name.rfind('.');
  if (dot != std::string::npos) {
    const std::string ext = lower(name.substr(dot + 1));
    for (const auto& t : table) {
      if (ext == t.first) return t.second;
    }
  }
  return "application/octet-stream";
}

// Splits "FILE:TYPE" at the last ':' when what follows is type/subtype.
std::pair<std::string, std::string> split_type(const std::string& v) {
  const std::size_t colon = v.rfind(':');
  if (colon != std::string::npos && is_media_type(std::string_view(v).substr(colon + 1))) {
    return {v.substr(0, colon), lower(v.substr(colon + 1))};
  }
  return {v, {}};
}

// Whole-file reads (--text, --html): the encoding is chosen from all of it.
std::string read_all(const std::string& name, bool& stdin_used) {
  int fd = 0;
  if (name == "-") {
    if (std::exchange(stdin_used, true)) usage("- (stdin) can be read once");
  } else {
    fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) usage(name + ": " + std::strerror(errno));
  }
  std::string out;
  char buf[piece_size];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) usage(name + ": cannot read: " + std::strerror(errno));
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  if (fd != 0) ::close(fd);
  if (!mailwire::utf8::valid(out)) usage(name + ": not UTF-8 (convert it first, e.g. with iconv)");
  return out;
}

// UTF-8 validity and 8-bit bytes of a file, read in pieces (a character
// cut by a piece's end is carried to the next one).
struct scan_result {
  bool utf8 = true;
  bool eight_bit = false;
};

scan_result scan(const file_part& f) {
  scan_result r;
  std::string data;
  char buf[piece_size];
  for (;;) {
    const ssize_t n = ::read(f.fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) usage(f.path + ": cannot read: " + std::strerror(errno));
    if (n == 0) break;
    data.append(buf, static_cast<std::size_t>(n));
    r.eight_bit = r.eight_bit || mailwire::ascii::has_8bit(data);
    // The last character may continue in the next piece.
    std::size_t keep = data.size();
    for (std::size_t back = 1; back <= 3 && back <= data.size(); ++back) {
      const auto c = static_cast<unsigned char>(data[data.size() - back]);
      if (c >= 0xC0) {
        const std::size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        if (need > back) keep = data.size() - back;
        break;
      }
      if (c < 0x80) break;
    }
    r.utf8 = r.utf8 && mailwire::utf8::valid(std::string_view(data).substr(0, keep));
    data.erase(0, keep);
  }
  r.utf8 = r.utf8 && data.empty();
  if (::lseek(f.fd, 0, SEEK_SET) != 0) usage(f.path + ": cannot rewind: " + std::strerror(errno));
  return r;
}

mime::timestamp local_time(std::time_t t) {
  std::tm tm{};
  localtime_r(&t, &tm);
  return {static_cast<std::int64_t>(t), static_cast<int>(tm.tm_gmtoff / 60)};
}

// Opens FILE for --attach or --inline and fills in its header: name,
// type, size and modification date.
file_part open_part(const char* option, const std::string& path, std::string type) {
  file_part f;
  f.path = path;
  f.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (f.fd < 0) usage(std::string(option) + " " + path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(f.fd, &st) != 0 || !S_ISREG(st.st_mode)) usage(std::string(option) + " " + path + ": not a regular file");
  const std::size_t slash = path.rfind('/');
  const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  if (name.empty()) usage(std::string(option) + " " + path + ": no file name");
  if (!mailwire::utf8::valid(name)) usage(std::string(option) + " " + path + ": the file name is not UTF-8");
  if (type.empty()) type = guess_type(name);
  if (type.compare(0, 10, "multipart/") == 0) usage(std::string(option) + " " + path + ": TYPE cannot be multipart/*");
  mime::part_header& h = f.header;
  h.type = type;
  h.filename = name;
  h.size = static_cast<std::uint64_t>(st.st_size);
  h.modified = local_time(st.st_mtime);
  f.message = type == "message/rfc822" || type == "message/global";
  if (type.compare(0, 5, "text/") == 0) {
    h.charset = scan(f).utf8 ? "utf-8" : "unknown-8bit";
  } else if (f.message) {
    // A message is written as it is: 7bit when it is, else what the
    // transport allows (checked in the dry run).
    if (!scan(f).eight_bit) h.encoding = mime::transfer_encoding::seven_bit;
  }
  return f;
}

// The builder's output goes to stdout (or nowhere, in the dry run).
class composer {
 public:
  composer(const settings& s, const entropy& e, bool dry) : s_(s), e_(e), dry_(dry), b_(options(s)) {}

  // The message, start to end; false (and why_) on the first refusal.
  bool run() {
    if (!step(b_.date_field(*s_.date), "--date")) return false;
    if (!step(b_.address_field("From", {s_.from}), "--from")) return false;
    if (!step(b_.address_field("To", s_.to), "--to")) return false;
    if (!s_.cc.empty() && !step(b_.address_field("Cc", s_.cc), "--cc")) return false;
    if (!step(b_.field("Subject", s_.subject), "--subject")) return false;
    if (!s_.message_id.empty()) {
      if (!step(b_.id_list_field("Message-ID", {s_.message_id}), "--message-id")) return false;
    } else {
      const std::string domain = s_.from.address.substr(s_.from.address.rfind('@') + 1);
      const bool usable = mime::detail::is_dot_atom(domain, false);
      if (!step(b_.message_id_field(e_.message_id, usable ? domain : "localhost"), "the Message-ID")) return false;
    }
    const bool mixed = !s_.attachments.empty();
    if (mixed && !step(b_.begin_multipart("mixed", e_.mixed), "multipart/mixed")) return false;
    if (!body()) return false;
    for (const file_part& f : s_.attachments) {
      if (!stream(f, "--attach")) return false;
    }
    if (mixed && !step(b_.end(), "multipart/mixed")) return false;
    return drain();
  }

  const std::string& why() const { return why_; }

 private:
  static mime::builder_options options(const settings& s) {
    mime::builder_options o;
    o.transport.eight_bit = !s.seven_bit;  // 8BITMIME unless --7bit; never SMTPUTF8
    return o;
  }

  bool step(errc e, const std::string& what) {
    if (e == errc::ok) return drain();
    why_ = what + ": " + std::string(mailwire::to_string(e));
    return false;
  }

  // Text, HTML and inline parts: alternative(text, related(html, inline...)).
  bool body() {
    mime::part_header text;
    text.flowed = s_.flowed;
    mime::part_header html;
    html.type = "text/html";
    if (!s_.inlines.empty()) {
      if (s_.text && !step(b_.begin_multipart("alternative", e_.alternative), "multipart/alternative")) return false;
      if (s_.text && !step(b_.part(text, *s_.text), "--text")) return false;
      mime::part_header related;
      related.parameters.emplace_back("type", "text/html");  // RFC 2387 3.1: the root's type
      if (!step(b_.begin_multipart("related", e_.related, related), "multipart/related")) return false;
      if (!step(b_.part(html, *s_.html), "--html")) return false;
      for (const file_part& f : s_.inlines) {
        if (!stream(f, "--inline")) return false;
      }
      if (!step(b_.end(), "multipart/related")) return false;
      return !s_.text || step(b_.end(), "multipart/alternative");
    }
    if (s_.text && s_.html) {
      return step(b_.begin_multipart("alternative", e_.alternative), "multipart/alternative") &&
             step(b_.part(text, *s_.text), "--text") && step(b_.part(html, *s_.html), "--html") &&
             step(b_.end(), "multipart/alternative");
    }
    if (s_.text) return step(b_.part(text, *s_.text), "--text");
    if (s_.html) return step(b_.part(html, *s_.html), "--html");
    if (!s_.attachments.empty()) return true;
    return step(b_.part(text, ""), "the empty body");
  }

  // A file part in pieces. The dry run reads only attached messages (their
  // content is checked as it is written); other content cannot be refused.
  bool stream(const file_part& f, const char* option) {
    const std::string what = std::string(option) + " " + f.path;
    if (!step(b_.begin_part(f.header), what)) return false;
    if (!dry_ || f.message) {
      if (::lseek(f.fd, 0, SEEK_SET) != 0) return fail(what + ": cannot rewind: " + std::strerror(errno));
      char buf[piece_size];
      for (;;) {
        const ssize_t n = ::read(f.fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return fail(what + ": read error: " + std::strerror(errno));
        if (n == 0) break;
        const errc e = b_.write(std::string_view(buf, static_cast<std::size_t>(n)));
        if (e != errc::ok) return fail(what + ": " + explain(e, f));
        if (!drain()) return false;
      }
    }
    return step(b_.end(), what);
  }

  std::string explain(errc e, const file_part& f) const {
    const std::string as_bytes = " (attach it as " + f.path + ":application/octet-stream to send it as bytes)";
    switch (e) {
      case errc::extension_missing:
        return "an attached message with 8-bit bytes cannot be sent with --7bit" + as_bytes;
      case errc::line_too_long:
        return "an attached message with a line over 998 bytes cannot be sent as it is" + as_bytes;
      case errc::nul_byte:
        return "an attached message with a NUL byte cannot be sent as it is" + as_bytes;
      default:
        return std::string(mailwire::to_string(e));
    }
  }

  bool fail(std::string why) {
    why_ = std::move(why);
    return false;
  }

  // Everything the builder has written goes out now (the dry run drops it).
  bool drain() {
    std::string_view out = b_.pending_output();
    while (!dry_ && !out.empty()) {
      const ssize_t n = ::write(STDOUT_FILENO, out.data(), out.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return fail(std::string("cannot write the message: ") + std::strerror(errno));
      out.remove_prefix(static_cast<std::size_t>(n));
    }
    b_.consume_output(b_.pending_output().size());
    return true;
  }

  const settings& s_;
  const entropy& e_;
  const bool dry_;
  mime::builder b_;
  std::string why_;
};

settings parse_args(int argc, char** argv) {
  settings s;
  bool have_from = false, have_subject = false, stdin_used = false;
  std::vector<std::pair<std::string, std::string>> attach, inlines;  // (value, option)
  std::optional<std::string> text_file, html_file, date;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(a + " needs a value");
      return argv[++i];
    };
    auto once = [&](std::optional<std::string>& slot) {
      if (slot) usage(a + " can be given once");
      slot = value();
    };
    mailwire_example::version_option(argv[i], argv[0]);
    if (a == "--help" || a == "-h") {
      usage({});
    } else if (a == "--from") {
      if (std::exchange(have_from, true)) usage("--from can be given once");
      s.from = parse_mailbox("--from", value());
    } else if (a == "--to") {
      s.to.push_back(parse_mailbox("--to", value()));
    } else if (a == "--cc") {
      s.cc.push_back(parse_mailbox("--cc", value()));
    } else if (a == "--subject") {
      if (std::exchange(have_subject, true)) usage("--subject can be given once");
      s.subject = value();
    } else if (a == "--text") {
      once(text_file);
    } else if (a == "--html") {
      once(html_file);
    } else if (a == "--attach") {
      attach.emplace_back(value(), a);
    } else if (a == "--inline") {
      inlines.emplace_back(value(), a);
    } else if (a == "--date") {
      once(date);
    } else if (a == "--message-id") {
      if (!s.message_id.empty()) usage("--message-id can be given once");
      std::string id = value();
      if (id.size() >= 2 && id.front() == '<' && id.back() == '>') id = id.substr(1, id.size() - 2);
      if (id.empty()) usage("--message-id needs an id (local@domain)");
      s.message_id = id;
    } else if (a == "--7bit") {
      s.seven_bit = true;
    } else if (a == "--flowed") {
      s.flowed = true;
    } else {
      usage("unknown option " + a);
    }
  }
  if (!have_from) usage("--from is required");
  if (s.to.empty()) usage("--to is required");
  if (!have_subject) usage("--subject is required");
  if (s.flowed && !text_file) usage("--flowed needs --text");
  if (!inlines.empty() && !html_file) usage("--inline needs --html (the parts are referred to from it)");
  if (date) {
    mime::diagnostics diags;
    const mime::date_time t = mime::parse_date(*date, &diags);
    if (!t.valid || !diags.empty()) {
      usage("--date '" + *date + "' is not an RFC 5322 date" +
            (diags.empty() ? std::string() : ": " + std::string(mailwire::to_string(diags.front().code))));
    }
    s.date = mime::timestamp{t.to_unix_seconds(), t.offset_minutes};
  } else {
    s.date = local_time(std::time(nullptr));
  }
  if (text_file) s.text = read_all(*text_file, stdin_used);
  if (html_file) s.html = read_all(*html_file, stdin_used);
  for (const auto& v : attach) {
    auto [path, type] = split_type(v.first);
    s.attachments.push_back(open_part("--attach", path, type));
  }
  for (const auto& v : inlines) {
    auto [rest, type] = split_type(v.first);
    const std::size_t colon = rest.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == rest.size()) {
      usage("--inline wants FILE:CID[:TYPE]: '" + v.first + "'");
    }
    file_part f = open_part("--inline", rest.substr(0, colon), type);
    f.header.how = mime::disposition::inline_;
    f.header.content_id = rest.substr(colon + 1);
    if (mime::detail::addr_spec(f.header.content_id, false) != f.header.content_id) {
      usage("--inline " + v.first + ": CID must be local@domain (dot-atoms, ASCII)");
    }
    if (f.message) usage("--inline " + v.first + ": an inline part cannot be a message");
    s.inlines.push_back(std::move(f));
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  const settings s = parse_args(argc, argv);
  entropy e;
  e.message_id = random_bytes(16);
  e.mixed = random_bytes(16);
  e.alternative = random_bytes(16);
  e.related = random_bytes(16);
  // The whole message once on a builder whose output is dropped: every
  // refusal is found before anything is written.
  {
    composer dry(s, e, true);
    if (!dry.run()) usage(dry.why());
  }
  composer real(s, e, false);
  if (!real.run()) {
    std::fprintf(stderr, "mailwire-compose: %s (the message written is incomplete)\n", real.why().c_str());
    return 1;
  }
  return 0;
}
