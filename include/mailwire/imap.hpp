// mailwire: IMAP (RFC 3501 IMAP4rev1, RFC 9051 IMAP4rev2, and the
// extensions listed in imap/command.hpp and imap/response.hpp). Includes
// every imap/ header except imap/from_mime.hpp, which needs the MIME
// headers.
//
// Framing (before any grammar):
//   imap/framing.hpp       frame_reader: lines and literals, announcements as questions
// Syntax tier (stateless parse and serialise functions, value types):
//   imap/syntax.hpp        the token layer: scanner (reading), wire_writer (writing)
//   imap/values.hpp        flags, sequence sets, dates, object ids at the token layer
//   imap/mailbox.hpp       mailbox names: modified UTF-7, UTF-8, INBOX
//   imap/sequence_set.hpp  sequence and UID sets as ranges
//   imap/datetime.hpp      date and date-time
//   imap/flag.hpp          flags, keywords, mailbox attributes
//   imap/section.hpp       section specs and partials
//   imap/search.hpp        SEARCH keys as a tree
//   imap/command.hpp       commands (server parses, client writes)
//   imap/envelope.hpp      ENVELOPE
//   imap/bodystructure.hpp BODY and BODYSTRUCTURE
//   imap/fetch.hpp         FETCH attributes (requests) and data (responses)
//   imap/response.hpp      responses (client parses, server writes)
// From the MIME layer (include it yourself):
//   imap/from_mime.hpp     ENVELOPE and BODYSTRUCTURE built from mime::tree
#ifndef MAILWIRE_IMAP_HPP
#define MAILWIRE_IMAP_HPP

#include "mailwire/imap/framing.hpp"
#include "mailwire/imap/syntax.hpp"
#include "mailwire/imap/values.hpp"
#include "mailwire/imap/mailbox.hpp"
#include "mailwire/imap/sequence_set.hpp"
#include "mailwire/imap/datetime.hpp"
#include "mailwire/imap/flag.hpp"
#include "mailwire/imap/section.hpp"
#include "mailwire/imap/search.hpp"
#include "mailwire/imap/command.hpp"
#include "mailwire/imap/envelope.hpp"
#include "mailwire/imap/bodystructure.hpp"
#include "mailwire/imap/fetch.hpp"
#include "mailwire/imap/response.hpp"
#include "mailwire/imap/client.hpp"
#include "mailwire/imap/server.hpp"

#endif  // MAILWIRE_IMAP_HPP
