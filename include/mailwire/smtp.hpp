// mailwire: SMTP and LMTP (RFC 5321, RFC 2033). Includes every smtp/ header
// and core/dot_stuffing.hpp.
//
// Syntax tier (stateless parse and serialise functions, value types):
//   smtp/reply.hpp         reply lines, enhanced status codes, reply_assembler
//   smtp/path.hpp          paths, domains, address literals, xtext
//   smtp/command.hpp       commands (server parses)
//   smtp/parameters.hpp    MAIL/RCPT parameters, parsed and written
//   smtp/capabilities.hpp  the EHLO response as a typed capability set
//   smtp/writer.hpp        commands, replies and EHLO responses to the wire
// Message data, shared with POP3 and included here:
//   core/dot_stuffing.hpp  DATA reader and writer: dot-stuffing, the smuggling
//                          rules, and the same line rules for BDAT chunks
// The session machines:
//   smtp/server.hpp        the SMTP/LMTP server session machine
//   smtp/client.hpp        the SMTP/LMTP client session machine
#ifndef MAILWIRE_SMTP_HPP
#define MAILWIRE_SMTP_HPP

#include "mailwire/smtp/reply.hpp"
#include "mailwire/smtp/path.hpp"
#include "mailwire/smtp/parameters.hpp"
#include "mailwire/smtp/command.hpp"
#include "mailwire/smtp/capabilities.hpp"
#include "mailwire/smtp/writer.hpp"
#include "mailwire/core/dot_stuffing.hpp"
#include "mailwire/smtp/server.hpp"
#include "mailwire/smtp/client.hpp"

#endif  // MAILWIRE_SMTP_HPP
