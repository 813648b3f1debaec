// vmime as a MIME parser: vmime::message::parse over the message, every leaf
// part's contents extracted (decoded) into a counting stream, Subject and
// From names converted to UTF-8. vmime keeps a message/rfc822 part as a
// leaf: its contents are parsed again as a message, as a client would.
#include <vmime/platforms/posix/posixHandler.hpp>
#include <vmime/vmime.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "mime_peers.hpp"

namespace peers {
namespace {

class counting_stream : public vmime::utility::outputStream {
 public:
  std::uint64_t n = 0;
  void flush() override {}

 protected:
  void writeImpl(const vmime::byte_t* const, const size_t count) override { n += count; }
};

void walk(const vmime::shared_ptr<vmime::bodyPart>& part, mime_work& w) {
  const vmime::shared_ptr<vmime::header> h = part->getHeader();
  const vmime::charset utf8("utf-8");
  if (auto s = h->findFieldValue<vmime::text>(vmime::fields::SUBJECT)) {
    w.header_text += s->getConvertedText(utf8).size();
  }
  if (auto f = h->findFieldValue<vmime::mailbox>(vmime::fields::FROM)) {
    w.header_text += f->getName().getConvertedText(utf8).size();
  }
  const vmime::shared_ptr<vmime::body> b = part->getBody();
  if (b->getPartCount() > 0) {
    for (std::size_t i = 0; i < b->getPartCount(); ++i) walk(b->getPartAt(i), w);
    return;
  }
  const vmime::mediaType type = b->getContentType();
  if (type.getType() == vmime::mediaTypes::MULTIPART) return;
  if (type.getType() == vmime::mediaTypes::MESSAGE && type.getSubType() == vmime::mediaTypes::MESSAGE_RFC822) {
    std::string raw;
    vmime::utility::outputStreamStringAdapter os(raw);
    b->getContents()->extract(os);
    auto inner = vmime::make_shared<vmime::message>();
    inner->parse(raw);
    walk(inner, w);
    return;
  }
  ++w.leaves;
  counting_stream os;
  b->getContents()->extract(os);  // decodes the transfer encoding
  w.decoded += os.n;
}

}  // namespace

mime_peer vmime_mime(const std::vector<std::string>& corpus) {
  vmime::platform::setHandler<vmime::platforms::posix::posixHandler>();
  return {"vmime 0.9.2 (message::parse + extract)", [&corpus] {
            mime_work w;
            for (const std::string& m : corpus) {
              auto msg = vmime::make_shared<vmime::message>();
              msg->parse(m);
              walk(msg, w);
            }
            return w;
          }};
}

}  // namespace peers
