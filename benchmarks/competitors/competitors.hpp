// Peer implementations the benchmarks compare against, each in its own TU.
#ifndef MAILWIRE_BENCHMARKS_COMPETITORS_HPP
#define MAILWIRE_BENCHMARKS_COMPETITORS_HPP

#include <cstddef>

namespace peers {
// Whole-buffer calls of the peers' streaming step functions; each returns
// the bytes written to `out`.
std::size_t gmime_base64_decode(const char* in, std::size_t n, unsigned char* out);
std::size_t glib_base64_decode(const char* in, std::size_t n, unsigned char* out);
std::size_t gmime_base64_encode(const unsigned char* in, std::size_t n, char* out);
std::size_t glib_base64_encode(const unsigned char* in, std::size_t n, char* out);
}  // namespace peers

#endif  // MAILWIRE_BENCHMARKS_COMPETITORS_HPP
