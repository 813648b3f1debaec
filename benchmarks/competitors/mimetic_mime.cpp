// mimetic as a MIME parser: MimeEntity::load over the message's bytes (it
// parses message/rfc822 parts as children), every leaf's body decoded with
// mimetic's base64 or QP decoder into a counting iterator. mimetic does not
// decode RFC 2047 words: Subject and From labels are counted as they are.
#include <mimetic/mimetic.h>

#include <cstdint>
#include <iterator>
#include <string>
#include <vector>

#include "mime_peers.hpp"

namespace peers {
namespace {

// An output iterator that counts what is written to it.
struct counting_iterator {
  using iterator_category = std::output_iterator_tag;
  using value_type = void;
  using difference_type = std::ptrdiff_t;
  using pointer = void;
  using reference = void;
  std::uint64_t* n;
  counting_iterator& operator*() { return *this; }
  counting_iterator& operator=(char) {
    ++*n;
    return *this;
  }
  counting_iterator& operator++() { return *this; }
  counting_iterator operator++(int) { return *this; }
};

void walk(const mimetic::MimeEntity& e, mime_work& w) {
  const mimetic::Header& h = e.header();
  if (h.hasField("Subject")) w.header_text += h.subject().size();
  if (h.hasField("From")) {
    for (const mimetic::Mailbox& m : h.from()) w.header_text += m.label().size();
  }
  const mimetic::MimeEntityList& parts = e.body().parts();
  if (!parts.empty()) {
    for (const mimetic::MimeEntity* p : parts) walk(*p, w);
    return;
  }
  if (h.contentType().isMultipart()) return;
  ++w.leaves;
  const std::string& body = e.body();
  const mimetic::istring& cte = h.contentTransferEncoding().mechanism();
  counting_iterator out{&w.decoded};
  if (cte == "base64") {
    mimetic::Base64::Decoder d;
    mimetic::decode(body.begin(), body.end(), d, out);
  } else if (cte == "quoted-printable") {
    mimetic::QP::Decoder d;
    mimetic::decode(body.begin(), body.end(), d, out);
  } else {
    w.decoded += body.size();
  }
}

}  // namespace

mime_peer mimetic_mime(const std::vector<std::string>& corpus) {
  return {"mimetic 0.9.8 (MimeEntity + decode)", [&corpus] {
            mime_work w;
            for (const std::string& m : corpus) {
              mimetic::MimeEntity e;
              e.load(m.begin(), m.end());
              walk(e, w);
            }
            return w;
          }};
}

}  // namespace peers
