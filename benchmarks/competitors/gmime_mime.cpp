// GMime 3 as a MIME parser: the message built from a memory stream, every
// leaf part's content written through its decoder into a null stream.
#include <gmime/gmime.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "mime_peers.hpp"

namespace peers {
namespace {

struct walk_state {
  GMimeStream* sink;
  mime_work* work;
};

void walk(GMimeMessage* message, walk_state& s);

void on_part(GMimeObject*, GMimeObject* part, gpointer data) {
  walk_state& s = *static_cast<walk_state*>(data);
  if (GMIME_IS_MESSAGE_PART(part)) {
    GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(part));
    if (inner != nullptr) walk(inner, s);
  } else if (GMIME_IS_PART(part)) {
    GMimeDataWrapper* content = g_mime_part_get_content(GMIME_PART(part));
    if (content == nullptr) return;
    const std::size_t before = GMIME_STREAM_NULL(s.sink)->written;
    g_mime_data_wrapper_write_to_stream(content, s.sink);  // decodes
    ++s.work->leaves;
    s.work->decoded += GMIME_STREAM_NULL(s.sink)->written - before;
  }
}

void walk(GMimeMessage* message, walk_state& s) {
  if (const char* subject = g_mime_message_get_subject(message)) s.work->header_text += std::strlen(subject);
  if (InternetAddressList* from = g_mime_message_get_from(message)) {
    for (int i = 0; i < internet_address_list_length(from); ++i) {
      const char* name = internet_address_get_name(internet_address_list_get_address(from, i));
      if (name != nullptr) s.work->header_text += std::strlen(name);
    }
  }
  g_mime_message_foreach(message, on_part, &s);
}

// The messages in GMime's own arrays, made once; each run reads them in
// place.
struct arrays {
  std::vector<GByteArray*> v;
  ~arrays() {
    for (GByteArray* a : v) g_byte_array_free(a, TRUE);
  }
};

}  // namespace

mime_peer gmime_mime(const std::vector<std::string>& corpus) {
  g_mime_init();
  auto messages = std::make_shared<arrays>();
  for (const std::string& m : corpus) {
    GByteArray* a = g_byte_array_sized_new(static_cast<guint>(m.size()));
    g_byte_array_append(a, reinterpret_cast<const guint8*>(m.data()), static_cast<guint>(m.size()));
    messages->v.push_back(a);
  }
  return {std::string("GMime ") + std::to_string(gmime_major_version) + "." + std::to_string(gmime_minor_version) +
              "." + std::to_string(gmime_micro_version) + " (parser + decode)",
          [messages] {
            mime_work w;
            GMimeStream* sink = g_mime_stream_null_new();
            walk_state s{sink, &w};
            for (GByteArray* a : messages->v) {
              GMimeStream* in = g_mime_stream_mem_new_with_byte_array(a);
              g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(in), FALSE);
              GMimeParser* parser = g_mime_parser_new_with_stream(in);
              GMimeMessage* message = g_mime_parser_construct_message(parser, nullptr);
              if (message != nullptr) {
                walk(message, s);
                g_object_unref(message);
              }
              g_object_unref(parser);
              g_object_unref(in);
            }
            g_object_unref(sink);
            return w;
          }};
}

}  // namespace peers
