// The harness of the guides' fragments marked `<!-- fragment: connection -->`
// (see docs/code_blocks.cmake): what a fragment may use besides mailwire.
// These are declarations only: the fragments are compiled, never linked
// or run. A real program has them from its transport (examples/support).
#ifndef MAILWIRE_DOCS_HARNESS_CONNECTION_HPP
#define MAILWIRE_DOCS_HARNESS_CONNECTION_HPP

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <system_error>

#include <mailwire/mailwire.hpp>

namespace smtp = mailwire::smtp;
namespace mime = mailwire::mime;
namespace sasl = mailwire::sasl;

// A connection to the peer, blocking.
std::size_t write_some(std::string_view bytes);  // bytes written (at least 1)
std::string_view read_some();                    // the next bytes received; empty at EOF
void close_connection();
// TLS over the same connection: `unconsumed` (bytes that came after the
// switch point) goes to the TLS engine first; true once the handshake is done.
bool start_tls(std::string_view unconsumed);

// What the application brings: randomness and a clock (mailwire has neither).
std::string random_bytes(std::size_t n);
std::string random_nonce();  // printable ASCII without ',' (SCRAM, CRAM-MD5)
std::int64_t unix_now();

// The application's own decisions.
bool known_user(std::string_view local_part, std::string_view domain);
bool password_ok(std::string_view user, std::string_view password);
void store(std::string_view bytes);  // one more piece of the message being received
void deliver();                      // the message is complete: keep it
void discard();                      // the message was refused or cut: drop its pieces
void log(const char* what, mailwire::errc e, std::uint64_t offset);

#endif  // MAILWIRE_DOCS_HARNESS_CONNECTION_HPP
