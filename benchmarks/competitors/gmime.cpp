// Adapters for GMime 3 and GLib's base64 decoders, the scalar decoders most
// C mail software uses. Kept in their own TU so their headers stay here.
#include <gmime/gmime.h>

#include <cstddef>

#include "competitors.hpp"

namespace peers {

std::size_t gmime_base64_decode(const char* in, std::size_t n, unsigned char* out) {
  int state = 0;
  guint32 save = 0;
  return g_mime_encoding_base64_decode_step(reinterpret_cast<const unsigned char*>(in), n, out, &state, &save);
}

std::size_t glib_base64_decode(const char* in, std::size_t n, unsigned char* out) {
  gint state = 0;
  guint save = 0;
  return g_base64_decode_step(in, n, out, &state, &save);
}

std::size_t gmime_base64_encode(const unsigned char* in, std::size_t n, char* out) {
  int state = 0;
  guint32 save = 0;
  return g_mime_encoding_base64_encode_close(in, n, reinterpret_cast<unsigned char*>(out), &state, &save);
}

std::size_t glib_base64_encode(const unsigned char* in, std::size_t n, char* out) {
  gint state = 0;
  gint save = 0;
  std::size_t w = g_base64_encode_step(in, n, TRUE, out, &state, &save);
  return w + g_base64_encode_close(TRUE, out + w, &state, &save);
}

}  // namespace peers
