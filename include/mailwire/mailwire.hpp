// mailwire: the umbrella header. Includes every public header except
// <mailwire/fmt.hpp>, which needs the fmt library and is opt-in.
#ifndef MAILWIRE_MAILWIRE_HPP
#define MAILWIRE_MAILWIRE_HPP

#include "mailwire/version.hpp"
#include "mailwire/error.hpp"
#include "mailwire/limits.hpp"
#include "mailwire/core/ascii.hpp"
#include "mailwire/core/number.hpp"
#include "mailwire/core/byte_buffer.hpp"
#include "mailwire/core/recv_buffer.hpp"
#include "mailwire/core/output_queue.hpp"
#include "mailwire/core/emit.hpp"
#include "mailwire/core/fifo.hpp"
#include "mailwire/core/line_reader.hpp"
#include "mailwire/core/dot_stuffing.hpp"
#include "mailwire/core/base64.hpp"
#include "mailwire/core/utf8.hpp"
#include "mailwire/core/hash.hpp"
#include "mailwire/core/hmac.hpp"
#include "mailwire/sasl.hpp"
#include "mailwire/smtp.hpp"
#include "mailwire/pop3.hpp"
#include "mailwire/imap.hpp"
#include "mailwire/mime.hpp"

#endif  // MAILWIRE_MAILWIRE_HPP
