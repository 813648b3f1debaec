// mailwire: SASL, one authentication engine for SMTP, POP3 and IMAP.
// Mechanisms and choosing one (sasl/mechanism.hpp), the client and server
// sides (sasl/client.hpp, sasl/server.hpp), SCRAM keys (sasl/scram.hpp) and
// SASLprep (sasl/saslprep.hpp).
#ifndef MAILWIRE_SASL_HPP
#define MAILWIRE_SASL_HPP

#include "mailwire/sasl/client.hpp"
#include "mailwire/sasl/login.hpp"
#include "mailwire/sasl/mechanism.hpp"
#include "mailwire/sasl/saslprep.hpp"
#include "mailwire/sasl/scram.hpp"
#include "mailwire/sasl/server.hpp"

#endif  // MAILWIRE_SASL_HPP
