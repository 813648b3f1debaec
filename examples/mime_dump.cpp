// mailwire-mime-dump FILE|-
//
// Reads one message and prints its structure as JSON: the decoded Subject,
// From/To/Cc, Date (ISO 8601, UTC), Message-ID, the entity tree (type,
// charset, disposition, file name as written and made safe to save under,
// Content-ID, transfer encoding, and the size and SHA-256 of each leaf's
// transfer-decoded body) and the diagnostics. It reads in 64 KiB chunks
// and streams its output, so a 1 GB message takes no more memory than a
// small one, and its output is bounded by the same caps whatever the input:
// per message object, each address list (from, to, cc) keeps its first
// max_addresses addresses within max_address_json bytes of JSON, and the
// first max_diagnostics diagnostics; what is left out is counted.
//
// Shape: {"subject", "from", "to", "cc", "date", "message_id", "root",
// "diagnostics"}, plus "from_truncated" / "to_truncated" / "cc_truncated"
// (addresses left out) and "diagnostics_dropped" when a cap was reached;
// "diagnostics" are the parser's, and mime_unsafe_filename where
// parse_tree() reports it. A part is {"content_type", "charset",
// "disposition", "filename", "safe_filename", "content_id",
// "transfer_encoding", "size", "sha256", "parts", "message"} with null where
// a field does not apply; "message" (for message/rfc822 and message/global)
// has the top-level shape.
//
// Every string is UTF-8: text the header functions decode is UTF-8 already,
// and bytes copied as written (a Content-ID, an 8-bit file name) are read
// the way those functions read undeclared 8-bit header bytes: well-formed
// UTF-8 kept, any other byte taken as windows-1252. "filename" is the name
// as the sender wrote it (never a path to write to); "safe_filename" is
// mime::safe_filename() of it.
//
// Charsets: besides those mailwire builds in, the East-Asian ones
// (ISO-2022-JP, Shift_JIS, EUC-JP, GB2312/GBK/GB18030, Big5, EUC-KR...) are
// read through glibc's iconv (mailwire/mime/iconv_charset.hpp) when the
// program is built against glibc. A header line without a colon that
// fields follow is skipped (parser_options::allow_header_without_colon), as
// mail clients and GMime read it; the diagnostic stays.
#include <mailwire/core/hash.hpp>
#include <mailwire/mime/address.hpp>
#include <mailwire/mime/date.hpp>
#include <mailwire/mime/encoded_word.hpp>
#include <mailwire/mime/filename.hpp>
#include <mailwire/mime/header_lexer.hpp>
#include <mailwire/mime/message_id.hpp>
#include <mailwire/mime/parser.hpp>
#if defined(__GLIBC__)
#include <mailwire/mime/iconv_charset.hpp>
#endif

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "support/cli.hpp"

namespace {
namespace mime = mailwire::mime;

// The charsets every header function below converts with.
mime::charset_options charsets() {
  mime::charset_options cs;
#if defined(__GLIBC__)
  cs.hook = &mime::iconv_hook;
#endif
  return cs;
}
const mime::charset_options header_charsets = charsets();

// A JSON string. Bytes that are not UTF-8 are read as the header functions
// read them (header_lexer.hpp: windows-1252), so the output is always
// UTF-8; quotes, backslashes and control characters are escaped.
std::string json(std::string_view raw) {
  std::string s;
  mime::detail::append_text(s, raw);
  std::string out = "\"";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string json_or_null(std::string_view s) { return s.empty() ? "null" : json(s); }

// Addresses kept per list (from, to, cc) of one message object, and the
// bytes of JSON one list may take (one address may be up to a header field
// long: parser_options::max_field). The rest are counted, not kept.
constexpr std::size_t max_addresses = 1000;
constexpr std::size_t max_address_json = 256 * 1024;

// One list, rendered as its fields arrive: only the kept addresses stay.
struct address_list {
  std::string items;  // the JSON objects, comma-separated
  std::size_t kept = 0;
  std::uint64_t left_out = 0;

  void add(std::string_view value) {
    for (const mime::mailbox& m : mime::parse_address_list(value, nullptr, header_charsets)) {
      if (m.address.empty() && m.name.empty()) continue;  // an empty group
      if (kept == max_addresses) {
        ++left_out;
        continue;
      }
      const std::string item = "{\"name\":" + json_or_null(m.name) + ",\"address\":" + json_or_null(m.address) + "}";
      if (items.size() + item.size() + 1 > max_address_json) {
        ++left_out;
        continue;
      }
      if (kept != 0) items += ",";
      items += item;
      ++kept;
    }
  }
  // `"name":[...]` and `"name_truncated":N` when addresses were left out;
  // the items are handed over, not kept.
  std::string take(const char* name) {
    std::string out = "\"" + std::string(name) + "\":[" + items + "]";
    if (left_out != 0) out += ",\"" + std::string(name) + "_truncated\":" + std::to_string(left_out);
    std::string().swap(items);
    return out;
  }
};

// Diagnostics kept per message object; a flood is cut, not held.
constexpr std::size_t max_diagnostics = 1000;

// The header fields a message object shows, gathered until part_begin.
struct message_fields {
  std::string subject, date, message_id;
  address_list from, to, cc;
  bool has_subject = false;
  std::vector<mime::diagnostic> diags;
  std::uint64_t dropped = 0;

  void add(const mime::diagnostic& d) {
    if (diags.size() < max_diagnostics) {
      diags.push_back(d);
    } else {
      ++dropped;
    }
  }

  void take(const mime::header_field& f) {
    const std::string_view value = f.value;
    if (mailwire::ascii::iequals(f.name, "subject") && !has_subject) {
      subject = mime::decode_unstructured(value, nullptr, header_charsets);
      has_subject = true;
    } else if (mailwire::ascii::iequals(f.name, "from")) {
      from.add(value);
    } else if (mailwire::ascii::iequals(f.name, "to")) {
      to.add(value);
    } else if (mailwire::ascii::iequals(f.name, "cc")) {
      cc.add(value);
    } else if (mailwire::ascii::iequals(f.name, "date") && date.empty()) {
      date = mime::to_iso8601_utc(mime::parse_date(value));
    } else if (mailwire::ascii::iequals(f.name, "message-id") && message_id.empty()) {
      const auto ids = mime::parse_message_ids(value);
      if (!ids.empty()) message_id = ids.front();
    }
  }
  // Everything but "root" and "diagnostics"; the address lists are handed
  // over (the object is kept open for its diagnostics only).
  std::string head() {
    return "{\"subject\":" + (has_subject ? json(subject) : std::string("null")) + "," + from.take("from") + "," +
           to.take("to") + "," + cc.take("cc") + ",\"date\":" + json_or_null(date) +
           ",\"message_id\":" + json_or_null(message_id) + ",\"root\":";
  }
  std::string tail() const {
    std::string out = ",\"diagnostics\":[";
    for (std::size_t i = 0; i < diags.size(); ++i) {
      if (i != 0) out += ",";
      out += "{\"code\":" + json(mailwire::to_name(diags[i].code)) + ",\"offset\":" + std::to_string(diags[i].offset) +
             "}";
    }
    out += "]";
    if (dropped != 0) out += ",\"diagnostics_dropped\":" + std::to_string(dropped);
    return out + "}";
  }
};

class dumper {
 public:
  void on(const mime::event& e) {
    switch (e.type) {
      case mime::event_type::header:
        if (starts_message(*e.entity)) pending_.take(e.field);
        break;
      case mime::event_type::part_begin:
        begin(*e.entity);
        break;
      case mime::event_type::body:
        hash_.update(e.data);
        break;
      case mime::event_type::part_end:
        end(*e.entity);
        break;
      case mime::event_type::diagnostic:
        for (message_fields& m : messages_) m.add(e.diag);
        if (messages_.empty()) pending_.add(e.diag);
        break;
      default:
        break;
    }
  }

 private:
  // The message itself, and the entity inside a message/rfc822 part, are
  // message objects. (kinds_ has one byte per entity: parser_options
  // bounds their number.)
  bool starts_message(const mime::part& p) const {
    return p.parent == mime::part::none || kinds_[p.parent] == mime::part_kind::message;
  }

  void begin(const mime::part& p) {
    if (kinds_.size() <= p.index) kinds_.resize(p.index + 1);
    kinds_[p.index] = p.kind;
    if (starts_message(p)) {
      out(pending_.head());
      messages_.push_back(std::move(pending_));
      pending_ = {};
    } else if (!first_child_.empty() && !first_child_.back()) {
      out(",");
    }
    if (!first_child_.empty()) first_child_.back() = false;
    const std::string* filename = p.disposition.find("filename");
    if (filename == nullptr) filename = p.type.find("name");
    // As parse_tree() does: a name that is not safe as it is, is reported.
    const std::string safe_name = filename != nullptr ? mime::safe_filename(*filename) : std::string();
    if (filename != nullptr && safe_name != *filename) {
      for (message_fields& m : messages_) m.add({mailwire::errc::mime_unsafe_filename, p.offset});
    }
    out("{\"content_type\":" + json(p.type.type + "/" + p.type.subtype) + ",\"charset\":" + json_or_null(p.charset()) +
        ",\"disposition\":" + json_or_null(p.disposition.type) +
        ",\"filename\":" + (filename != nullptr ? json(*filename) : std::string("null")) +
        ",\"safe_filename\":" + (filename != nullptr ? json(safe_name) : std::string("null")) +
        ",\"content_id\":" + json_or_null(p.content_id) + ",\"transfer_encoding\":" + json(to_string(p.encoding)));
    if (p.kind == mime::part_kind::multipart) {
      out(",\"size\":null,\"sha256\":null,\"message\":null,\"parts\":[");
      first_child_.push_back(true);
    } else if (p.kind == mime::part_kind::message) {
      out(",\"size\":null,\"sha256\":null,\"parts\":null,\"message\":");
    }
    hash_ = {};
  }

  void end(const mime::part& p) {
    if (p.kind == mime::part_kind::multipart) {
      first_child_.pop_back();
      out("]}");
    } else if (p.kind == mime::part_kind::message) {
      out("}");
    } else {
      out(",\"size\":" + std::to_string(p.size) + ",\"sha256\":" + json(mailwire::detail::to_hex(hash_.finish())) +
          ",\"parts\":null,\"message\":null}");
    }
    if (starts_message(p)) {
      out(messages_.back().tail());
      messages_.pop_back();
    }
  }

  static void out(const std::string& s) { std::fwrite(s.data(), 1, s.size(), stdout); }

  message_fields pending_;                 // the next message object's fields
  std::vector<message_fields> messages_;   // open message objects
  std::vector<bool> first_child_;          // per open multipart
  std::vector<mime::part_kind> kinds_;     // per entity index
  mailwire::detail::sha256 hash_;  // an internal building block: no stability promise
};

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2) mailwire_example::version_option(argv[1], argv[0]);
  const bool help = argc == 2 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0);
  // One FILE or "-": anything else, an unknown option included, is a usage error.
  if (help || argc != 2 || (argv[1][0] == '-' && argv[1][1] != '\0')) {
    std::FILE* to = help ? stdout : stderr;
    std::fputs("usage: mailwire-mime-dump FILE|-\n"
               "       mailwire-mime-dump --help | --version\n",
               to);
    if (!help) return 2;
    std::printf("\n"
                "Prints the MIME structure of the message in FILE (- reads stdin) as JSON, one\n"
                "line of UTF-8. Per message object, each of from/to/cc keeps its first %zu\n"
                "addresses and at most %zu KiB of JSON (\"to_truncated\": N counts the rest), and\n"
                "the first %zu diagnostics (\"diagnostics_dropped\": N); header fields are cut at\n"
                "64 KiB, 1000 per entity.\n"
                "\n"
                "Exit status: 0 when the message was read (malformed mail is reported in the\n"
                "JSON, not refused); 1 when FILE cannot be opened or read; 2 for a usage error.\n",
                max_addresses, max_address_json / 1024, max_diagnostics);
    return 0;
  }
  std::FILE* in = std::strcmp(argv[1], "-") == 0 ? stdin : std::fopen(argv[1], "rb");
  if (in == nullptr) {
    std::fprintf(stderr, "mailwire-mime-dump: cannot open %s: %s\n", argv[1], std::strerror(errno));
    return 1;
  }
  mime::parser_options options;
  options.charsets = header_charsets;
  // Shows what a mail client shows: a stray header line without a colon
  // (real Exchange mail) does not end the header block when fields follow.
  options.allow_header_without_colon = true;
  mime::parser parser(options);
  dumper dump;
  const auto on = [&](const mime::event& e) { dump.on(e); };
  std::vector<char> buf(64 * 1024);
  for (;;) {
    const std::size_t n = std::fread(buf.data(), 1, buf.size(), in);
    std::string_view chunk(buf.data(), n);
    while (!chunk.empty()) {
      chunk.remove_prefix(parser.feed(chunk));
      for (mime::event e = parser.next(); e.type != mime::event_type::need_more; e = parser.next()) on(e);
    }
    if (n < buf.size()) break;
  }
  const bool failed = std::ferror(in) != 0;
  if (in != stdin) std::fclose(in);
  parser.finish();
  for (mime::event e = parser.next(); e.type != mime::event_type::end; e = parser.next()) on(e);
  std::fputc('\n', stdout);
  if (failed) {
    std::fprintf(stderr, "mailwire-mime-dump: read error\n");
    return 1;
  }
  return 0;
}
