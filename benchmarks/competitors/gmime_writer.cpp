// GMime 3's message writer, for the MIME builder benchmark: the same
// message (a text part and one attachment) built with GMime's objects and
// written with g_mime_object_write_to_stream. Kept in its own TU so GMime's
// headers stay here.
#include <gmime/gmime.h>

#include <cstddef>
#include <string>

namespace peers {

namespace {
GMimePart* leaf(const char* type, const char* subtype, const std::string& content, GMimeContentEncoding encoding,
                const char* filename) {
  GMimePart* part = g_mime_part_new_with_type(type, subtype);
  GMimeStream* mem = g_mime_stream_mem_new_with_buffer(content.data(), content.size());
  GMimeDataWrapper* wrapper = g_mime_data_wrapper_new_with_stream(mem, GMIME_CONTENT_ENCODING_DEFAULT);
  g_mime_part_set_content(part, wrapper);
  g_mime_part_set_content_encoding(part, encoding);
  if (filename != nullptr) g_mime_part_set_filename(part, filename);
  g_object_unref(wrapper);
  g_object_unref(mem);
  return part;
}
}  // namespace

std::size_t gmime_write_message(const std::string& text, const std::string& attachment, bool text_attachment) {
  static const bool ready = [] {
    g_mime_init();
    return true;
  }();
  (void)ready;
  GMimeMessage* message = g_mime_message_new(TRUE);
  g_mime_message_add_mailbox(message, GMIME_ADDRESS_TYPE_FROM, "Zoe", "zoe@example.org");
  g_mime_message_add_mailbox(message, GMIME_ADDRESS_TYPE_TO, "", "bob@example.org");
  g_mime_message_set_subject(message, "Quarterly report", "utf-8");
  GMimeMultipart* mixed = g_mime_multipart_new_with_subtype("mixed");
  GMimePart* body = leaf("text", "plain", text, GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE, nullptr);
  GMimePart* file = text_attachment
                        ? leaf("text", "plain", attachment, GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE, "notes.txt")
                        : leaf("application", "pdf", attachment, GMIME_CONTENT_ENCODING_BASE64, "report.pdf");
  g_mime_multipart_add(mixed, GMIME_OBJECT(body));
  g_mime_multipart_add(mixed, GMIME_OBJECT(file));
  g_mime_message_set_mime_part(message, GMIME_OBJECT(mixed));
  GMimeStream* sink = g_mime_stream_null_new();
  const ssize_t written = g_mime_object_write_to_stream(GMIME_OBJECT(message), nullptr, sink);
  g_object_unref(sink);
  g_object_unref(file);
  g_object_unref(body);
  g_object_unref(mixed);
  g_object_unref(message);
  return written < 0 ? 0 : static_cast<std::size_t>(written);
}

std::size_t gmime_qp_encode(const unsigned char* in, std::size_t n, char* out) {
  int state = 0;
  guint32 save = 0;
  std::size_t k = g_mime_encoding_quoted_encode_step(in, n, reinterpret_cast<unsigned char*>(out), &state, &save);
  k += g_mime_encoding_quoted_encode_close(in + n, 0, reinterpret_cast<unsigned char*>(out) + k, &state, &save);
  return k;
}

}  // namespace peers
