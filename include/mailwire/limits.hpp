// mailwire: limits, and the one pattern every component uses for them.
//
// The pattern: each component (a line reader, a base64 decoder, an SMTP
// server...) takes one `options` aggregate in its constructor, with a default
// member initializer for every field, so
//
//     mailwire::line_options o;            // RFC defaults
//     o.max_length = mailwire::limits::smtp_command_line;
//     mailwire::line_reader r{o};
//
// and, in C++20, `line_reader r{{.max_length = 512}}`. Options are per object
// (never global) and fixed once bytes flow. Each limit is a number of bytes
// (or lines, or levels) with its RFC default below; every limit has a test
// just under and just over it, and going over one is an `errc`, never a
// crash or an allocation sized by the peer. Lenient flags in options are off
// by default and each says which attack it reopens.
#ifndef MAILWIRE_LIMITS_HPP
#define MAILWIRE_LIMITS_HPP

#include <cstddef>
#include <cstdint>

namespace mailwire {
inline namespace v0 {
namespace limits {

/// SMTP command line, CRLF included (RFC 5321 4.5.3.1.4).
inline constexpr std::size_t smtp_command_line = 512;
/// SMTP reply line, CRLF included (RFC 5321 4.5.3.1.5).
inline constexpr std::size_t smtp_reply_line = 512;
/// SMTP text line in DATA, CRLF included (RFC 5321 4.5.3.1.6).
inline constexpr std::size_t smtp_text_line = 1000;
/// SMTP local part of a mailbox, in octets as on the wire (RFC 5321
/// 4.5.3.1.1).
inline constexpr std::size_t smtp_local_part = 64;
/// SMTP domain, in octets (RFC 5321 4.5.3.1.2).
inline constexpr std::size_t smtp_domain = 255;
/// SMTP reverse- or forward-path, "<" and ">" and any source route
/// included (RFC 5321 4.5.3.1.3).
inline constexpr std::size_t smtp_path = 256;
/// SMTP AUTH response line, CRLF included: RFC 4954 4 asks servers to
/// take at least 12288 octets (a SASL response in base64 can be long).
inline constexpr std::size_t smtp_auth_line = 12288;
/// Lines in one SMTP reply (mailwire's own bound: RFC 5321 sets none, and
/// real EHLO replies have about 10-30 lines).
inline constexpr std::size_t smtp_reply_lines = 128;
/// Recipients a server must accept in one transaction, at least (RFC 5321
/// 4.5.3.1.8).
inline constexpr std::size_t smtp_recipients = 100;
/// DSN ENVID= value, in octets of xtext (RFC 3461 4.4).
inline constexpr std::size_t smtp_envid = 100;
/// DSN ORCPT= value, addr-type ";" xtext, in octets (RFC 3461 4.2).
inline constexpr std::size_t smtp_orcpt = 500;
/// Label of a domain name, in octets (RFC 1035 2.3.4).
inline constexpr std::size_t domain_label = 63;
/// Message header line: 998 characters plus CRLF (RFC 5322 2.1.1).
inline constexpr std::size_t header_line = 998 + 2;
/// POP3 command line, CRLF included: RFC 2449 4 allows 255 octets with the
/// CRLF; two more for clients that count without it (GNU Mailutils).
inline constexpr std::size_t pop3_command_line = 255 + 2;
/// POP3 response line, CRLF included (RFC 2449 4).
inline constexpr std::size_t pop3_response_line = 512;
/// MIME boundary length (RFC 2046 5.1.1).
inline constexpr std::size_t mime_boundary = 70;
/// Default bound on bytes a session buffers from the peer before parsing.
inline constexpr std::size_t max_buffered = 64 * 1024;

// -- SASL (sasl/) -----------------------------------------------------------

/// One decoded SASL message, in either direction (sasl client_options::
/// max_challenge, server_options::max_response): room for OAuth tokens,
/// which run to a few kilobytes, and far above what the other mechanisms
/// send.
inline constexpr std::size_t max_sasl_message = 16 * 1024;
/// Highest SCRAM iteration count a client accepts from a server
/// (client_options::max_iterations): 16 times the 4096 RFC 7677 4 asks for
/// at least, and a bound on the HMACs a hostile server can make us compute.
inline constexpr std::uint32_t max_scram_iterations = 65536;
/// ANONYMOUS trace: 255 characters (RFC 4505 3) of UTF-8, up to 4 bytes each.
inline constexpr std::size_t max_anonymous_trace = 255 * 4;

// -- MIME parser (mime/parser.hpp, parser_options) ----------------------------

/// Nesting of multiparts and messages below the top entity.
inline constexpr std::size_t mime_depth = 32;
/// Bytes of one header field, folded lines and line breaks included: real
/// mail has 2,000-character lines and References fields of tens of KB.
inline constexpr std::size_t mime_field = 64 * 1024;
/// Header fields reported per entity.
inline constexpr std::size_t mime_fields = 1000;
/// Entities in one message.
inline constexpr std::size_t mime_parts = 10000;
/// Longest boundary parameter used (RFC 2046 allows 70; longer ones exist).
inline constexpr std::size_t mime_boundary_used = 8 * 1024;

// -- IMAP (imap/framing.hpp and the grammar) --------------------------------

/// One line of an IMAP command or response, CRLF included, literals not
/// counted. RFC 7162 3.2.9 asks for at least 8192 octets; real UID sets
/// and LIST-EXTENDED commands from clients such as Thunderbird exceed that,
/// and Dovecot accepts 64 KiB, as mailwire does.
inline constexpr std::size_t imap_line = 64 * 1024;
/// One whole command or response: its lines plus the literals read into
/// memory (the small ones: strings inside it). Literals streamed as chunks
/// (message bodies) do not count.
inline constexpr std::size_t imap_message = 1024 * 1024;
/// A literal read into memory as a string inside a command or response.
/// Longer ones must be streamed (FETCH bodies, APPEND messages) or are
/// refused.
inline constexpr std::size_t imap_inline_literal = 64 * 1024;
/// Literals in one command or response (a bomb of 10^5 "{0}" is refused
/// here, in linear time). MULTIAPPEND and CATENATE use one or two per
/// message; a FETCH response one per body section.
inline constexpr std::size_t imap_literals = 1000;
/// Largest non-synchronising literal under LITERAL- (RFC 7888 5).
inline constexpr std::size_t imap_literal_minus = 4096;
/// Nesting of parenthesised lists (BODYSTRUCTURE, extension data) and of
/// SEARCH keys (NOT, OR and parentheses).
inline constexpr std::size_t imap_depth = 64;
/// Commands an IMAP server has answered while the caller has not yet
/// written the answers (a client that pipelines and never reads): at this
/// many the server machine reads no more commands until some are written.
/// Output back-pressure (max_pending_output) counts bytes; this counts
/// commands, whose answers are often a few bytes each.
inline constexpr std::size_t imap_pipelined = 128;
/// Bytes of untagged updates (EXPUNGE, EXISTS, FETCH flags...) an IMAP
/// server session holds back while they may not be sent (RFC 9051 7.5.1:
/// no EXPUNGE while a FETCH, STORE or SEARCH by number is answered).
/// Consecutive EXISTS are coalesced into the newest, as Dovecot sends only
/// the mailbox's current view at the next point it may; past this bound
/// notify() refuses the update, so nothing is lost silently. 64 KiB holds
/// some 4,000 EXPUNGE lines (VANISHED ranges hold far more).
inline constexpr std::size_t imap_held_updates = 64 * 1024;
/// Commands an IMAP client machine holds submitted but not yet queued in
/// full for writing (waiting for the pipelining rules, a "+", or a body):
/// at this many submit() is refused until some are written.
inline constexpr std::size_t imap_queued_commands = 128;

// -- session policies every protocol machine shares -------------------------

/// Output a machine lets pile up before it stops taking input (a peer that
/// pipelines commands and never reads the replies): past it, next() says
/// write_output until the caller has written some.
inline constexpr std::size_t max_pending_output = 256 * 1024;
/// Bad commands in one session before the machine says goodbye and closes
/// (Postfix's smtpd_hard_error_limit is 20, its soft limit 10).
inline constexpr std::size_t max_errors = 10;
/// Failed authentications in one session before the machine closes it.
/// Three, like Dovecot's and most IMAP servers' practice; the count is
/// exposed so an application can add delays or bans across sessions.
inline constexpr std::size_t max_auth_failures = 3;

}  // namespace limits
}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_LIMITS_HPP
