// mailwire: POP3 (RFC 1939, with RFC 2449 CAPA and response codes, RFC 2595
// STLS, RFC 3206 codes, RFC 5034 AUTH, RFC 6856 UTF8 and LANG). Includes
// every pop3/ header.
//
// Syntax tier (stateless parse and serialise functions, value types):
//   pop3/response.hpp  status lines, response codes, CAPA capabilities,
//                      LIST/UIDL/STAT lines, the APOP timestamp and digest
//   pop3/command.hpp   commands (server parses, client writes), +OK/-ERR lines
// Message data: core/dot_stuffing.hpp (shared with SMTP DATA).
// The session machines:
//   pop3/server.hpp    the POP3 server session machine
//   pop3/client.hpp    the POP3 client session machine
#ifndef MAILWIRE_POP3_HPP
#define MAILWIRE_POP3_HPP

#include "mailwire/pop3/response.hpp"
#include "mailwire/pop3/command.hpp"
#include "mailwire/core/dot_stuffing.hpp"
#include "mailwire/pop3/server.hpp"
#include "mailwire/pop3/client.hpp"

#endif  // MAILWIRE_POP3_HPP
