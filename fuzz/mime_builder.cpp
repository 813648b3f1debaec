// MIME builder: random build instructions (fields, multiparts, parts given
// whole or streamed in random pieces, attached messages, any content) on a
// random transport; whatever the builder accepts must read back through the
// parser as built — the same leaves in the same order, each with its type,
// file name and decoded content — and every line must obey the invariants
// (CRLF only, at most 998 octets unless BINARYMIME, no 8-bit byte the
// transport does not allow). What the builder refuses must have written
// nothing.
#include <mailwire/mime/builder.hpp>
#include <mailwire/mime/tree.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "fuzz_check.hpp"

namespace {
namespace mime = mailwire::mime;
using mailwire::errc;

struct leaf {
  std::string type;
  std::string filename;
  std::string content;  // as it must decode (text: canonical CRLF)
  bool top = false;     // the message's only entity: may gain a final CRLF
};

// Pieces of the input: a length byte, then that many bytes (what is left
// when the input is short).
std::string_view take(std::string_view& in, std::size_t most) {
  const std::size_t n = mailwire_fuzz::take_byte(in) % (most + 1);
  const std::string_view s = in.substr(0, n);
  in.remove_prefix(s.size());
  return s;
}

std::string canonical(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r') {
      out += "\r\n";
      if (i + 1 < s.size() && s[i + 1] == '\n') ++i;
    } else if (s[i] == '\n') {
      out += "\r\n";
    } else {
      out += s[i];
    }
  }
  return out;
}

void check_lines(std::string_view m, const mime::transport& t) {
  if (t.binary) return;  // binary bodies may hold anything
  std::size_t line = 0;
  for (std::size_t i = 0; i < m.size(); ++i) {
    const char c = m[i];
    if (c == '\r') {
      MAILWIRE_FUZZ_CHECK(i + 1 < m.size() && m[i + 1] == '\n');
      ++i;
      line = 0;
      continue;
    }
    MAILWIRE_FUZZ_CHECK(c != '\n' && c != '\0');
    MAILWIRE_FUZZ_CHECK(++line <= 998);
    if (!t.eight_bit && !t.utf8_headers) MAILWIRE_FUZZ_CHECK(!mailwire::ascii::is_8bit(c));
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (mailwire_fuzz::over_cap(size)) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::uint8_t flags = mailwire_fuzz::take_byte(in);
  mime::builder_options o;
  o.transport.eight_bit = (flags & 1) != 0;
  o.transport.binary = (flags & 2) != 0;
  o.transport.utf8_headers = (flags & 4) != 0;
  mime::builder b(o);
  std::string out;
  std::vector<leaf> leaves;
  std::vector<bool> frames;  // open containers: true for a multipart
  std::string subject;
  bool subject_set = false;
  bool top_leaf_pending = true;  // nothing of the body yet
  // (message/rfc822 content given as bytes is read back as a message, with
  // its own parts: attached messages come from begin_message() instead.)
  static const char* const types[] = {"text/plain", "text/html", "application/octet-stream", "image/png"};
  static const char* const entropies[] = {"0123456789abcdef", "fedcba9876543210", "0123456789ABCDEF",
                                          "0123456789abcdeg"};
  std::size_t multiparts = 0;
  const auto drain = [&] {
    out += b.pending_output();
    b.consume_output(b.pending_output().size());
  };
  // Refused calls write nothing.
  const auto call = [&](errc e) {
    MAILWIRE_FUZZ_CHECK(b.pending_output().empty() || e == errc::ok);
    return e;
  };
  for (int steps = 0; steps < 64 && !in.empty() && !b.done(); ++steps) {
    drain();
    const std::uint8_t op = mailwire_fuzz::take_byte(in);
    switch (op % 6) {
      case 0: {  // a field
        const std::string text(take(in, 120));
        if (call(b.field("Subject", text)) == errc::ok && !subject_set && frames.empty() && top_leaf_pending) {
          subject = text;
          subject_set = true;
        }
        break;
      }
      case 1: {  // a multipart
        const std::string sub = (op & 8) != 0 ? "alternative" : "mixed";
        if (call(b.begin_multipart(sub, entropies[multiparts % 4])) == errc::ok) {
          frames.push_back(true);
          top_leaf_pending = false;
          ++multiparts;
        }
        break;
      }
      case 2:
      case 3: {  // a part, whole (2) or streamed (3)
        mime::part_header h;
        h.type = types[(op >> 3) % 4];
        if ((op & 0x40) != 0) h.filename = std::string(take(in, 40));
        const std::string content(take(in, 255));
        const bool top = frames.empty();
        const bool text = h.type.compare(0, 5, "text/") == 0;
        errc e = errc::ok;
        if (op % 6 == 2) {
          e = call(b.part(h, content));
        } else if ((e = call(b.begin_part(h))) == errc::ok) {
          std::string_view rest = content;
          const std::size_t piece = 1 + (op >> 5);
          while (!rest.empty() && e == errc::ok) {
            e = b.write(rest.substr(0, piece));
            rest.remove_prefix(std::min(piece, rest.size()));
          }
          if (e != errc::ok) return 0;  // refused content mid-part: the message is abandoned
          e = b.end();
          if (e != errc::ok) return 0;
        }
        if (e == errc::ok) {
          leaves.push_back({h.type, h.filename, text ? canonical(content) : content, top});
          top_leaf_pending = false;
        }
        break;
      }
      case 4:  // an attached message, with a field
        if (call(b.begin_message()) == errc::ok) {
          frames.push_back(false);
          top_leaf_pending = false;
          b.field("Subject", "inner");
        }
        break;
      case 5:  // close the innermost container
        if (!frames.empty() && call(b.end()) == errc::ok) frames.pop_back();
        break;
    }
  }
  // Close what is open; an empty container cannot be closed: abandon.
  while (!frames.empty()) {
    if (b.end() != errc::ok) return 0;
    frames.pop_back();
  }
  if (!b.done()) return 0;
  drain();
  check_lines(out, o.transport);

  // MAILWIRE_FUZZ_DUMP=1 shows the message a failing check was about.
  const auto check = [&out](bool ok) {
    if (!ok && std::getenv("MAILWIRE_FUZZ_DUMP") != nullptr) std::fwrite(out.data(), 1, out.size(), stderr);
    return ok;
  };
  const mime::tree t = mime::parse_tree(out);
  std::vector<const mime::node*> got;
  for (const mime::node& n : t.nodes) {
    if (n.info.kind == mime::part_kind::leaf) got.push_back(&n);
  }
  MAILWIRE_FUZZ_CHECK(check(got.size() == leaves.size()));
  for (std::size_t i = 0; i < got.size(); ++i) {
    const leaf& want = leaves[i];
    const mime::node& n = *got[i];
    MAILWIRE_FUZZ_CHECK(check(n.content_type() == want.type));
    MAILWIRE_FUZZ_CHECK(check(std::string(n.filename()) == want.filename));
    const std::string body = t.decoded_body(n);
    MAILWIRE_FUZZ_CHECK(check(body == want.content || (want.top && body == want.content + "\r\n")));
  }
  // decode_unstructured gives the text back when it has no white space at
  // its ends and no control characters (encoded_word.hpp).
  bool plain = !subject.empty() && subject.front() != ' ' && subject.back() != ' ' &&
               subject.front() != '\t' && subject.back() != '\t';
  for (const char c : subject) plain = plain && !mailwire::ascii::is_ctl(c);
  if (subject_set && plain) MAILWIRE_FUZZ_CHECK(check(t.root().subject() == subject));
  return 0;
}
