// mailwire: MIME reading and writing (RFC 2045-2049, RFC 5322, RFC 2047,
// RFC 2231, RFC 3676, RFC 6532). Includes every mime/ header.
//
// Codecs (streaming):
//   mime/charset.hpp            charsets to UTF-8, with a hook for others
//   mime/quoted_printable.hpp   quoted-printable decoder and encoder
//   mime/uuencode.hpp           uuencoded blocks
//   mime/transfer_encoding.hpp  Content-Transfer-Encoding; one body_decoder
// Header syntax (pure functions of one field value):
//   mime/header_lexer.hpp       the RFC 5322 lexer the others share
//   mime/encoded_word.hpp       RFC 2047 encoded-words, decode and encode
//   mime/content_type.hpp       Content-Type, Content-Disposition, RFC 2231
//   mime/address.hpp            address lists
//   mime/date.hpp               dates
//   mime/message_id.hpp         Message-ID, In-Reply-To, References
// The message:
//   mime/diagnostic.hpp         what is malformed or ambiguous, and where
//   mime/event.hpp              what the parser reports: event, part, header_field
//   mime/boundary.hpp           multipart boundary lines, for reader and writer
//   mime/parser.hpp             the push parser: any chunking, bounded memory
//   mime/tree.hpp               the tree view of a message held in memory
//   mime/filename.hpp           attachment file names made safe to create
// Writing:
//   mime/builder.hpp            a message written as a stream, in bounded memory
//   mime/editor.hpp             a parsed message changed piece by piece, the rest copied
#ifndef MAILWIRE_MIME_HPP
#define MAILWIRE_MIME_HPP

#include "mailwire/mime/charset.hpp"
#include "mailwire/mime/quoted_printable.hpp"
#include "mailwire/mime/uuencode.hpp"
#include "mailwire/mime/transfer_encoding.hpp"
#include "mailwire/mime/header_lexer.hpp"
#include "mailwire/mime/encoded_word.hpp"
#include "mailwire/mime/content_type.hpp"
#include "mailwire/mime/address.hpp"
#include "mailwire/mime/date.hpp"
#include "mailwire/mime/message_id.hpp"
#include "mailwire/mime/diagnostic.hpp"
#include "mailwire/mime/event.hpp"
#include "mailwire/mime/boundary.hpp"
#include "mailwire/mime/parser.hpp"
#include "mailwire/mime/tree.hpp"
#include "mailwire/mime/filename.hpp"
#include "mailwire/mime/builder.hpp"
#include "mailwire/mime/editor.hpp"

#endif  // MAILWIRE_MIME_HPP
