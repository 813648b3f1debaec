// GMime 3's quoted-printable decoder, for the MIME codecs benchmark. Kept in
// its own TU so GMime's headers stay here.
#include <gmime/gmime.h>

#include <cstddef>

namespace peers {

std::size_t gmime_qp_decode(const char* in, std::size_t n, unsigned char* out) {
  int state = 0;
  guint32 save = 0;
  return g_mime_encoding_quoted_decode_step(reinterpret_cast<const unsigned char*>(in), n, out, &state, &save);
}

}  // namespace peers
