// The harness of the README's fragments (`<!-- fragment: readme -->`, see
// docs/code_blocks.cmake): the packet, chunk, clock, randomness and I/O
// they use. Declarations only: the fragments are compiled, never linked.
#ifndef MAILWIRE_DOCS_HARNESS_README_HPP
#define MAILWIRE_DOCS_HARNESS_README_HPP

#include <cstdint>
#include <cstdio>
#include <string_view>

#include <mailwire/mailwire.hpp>

extern std::string_view packet;  // what the transport delivered
extern std::string_view chunk;   // a piece of a message
extern std::int64_t now_unix;    // the caller's clock
extern int utc_offset_minutes;
extern std::string_view random16;  // 16 bytes from the caller's random source
extern std::FILE* file;
void handle(std::string_view line);
void refuse(mailwire::errc e, std::uint64_t offset);
bool read(std::FILE* f, std::string_view& piece);  // the next piece of a file; false at its end
std::size_t send(std::string_view bytes);          // bytes written

#endif  // MAILWIRE_DOCS_HARNESS_README_HPP
