// The harness of the guides' fragments marked `<!-- fragment: message -->`
// (see docs/code_blocks.cmake): a message to read, and where its pieces go.
// Declarations only: the fragments are compiled, never linked or run.
#ifndef MAILWIRE_DOCS_HARNESS_MESSAGE_HPP
#define MAILWIRE_DOCS_HARNESS_MESSAGE_HPP

#include <cstdint>
#include <string>
#include <string_view>

#include <mailwire/mime.hpp>

namespace mime = mailwire::mime;

extern std::string_view message;                  // a whole message in memory
std::string_view read_chunk();                    // the next piece of a stream; empty at its end
void save(const std::string& name, std::string_view bytes);  // writes a file in the download directory
void show(std::string_view utf8);                 // shows text to the user
void warn(mailwire::errc e, std::uint64_t offset);

#endif  // MAILWIRE_DOCS_HARNESS_MESSAGE_HPP
