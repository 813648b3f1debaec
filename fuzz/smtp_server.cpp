// The SMTP server machine against any client bytes: byte 0 picks options
// (LMTP, TLS, AUTH, limits, normalize), byte 1 the chunk size. Fed whole
// and in chunks, the events and every byte written back must be the same;
// the receive buffer stays within its limit; nothing crashes.
#include <mailwire/smtp/server.hpp>

#include <string>

#include "fuzz_check.hpp"

namespace {
namespace smtp = mailwire::smtp;
namespace sasl = mailwire::sasl;
using kind = smtp::server_event_type;

std::string run(const smtp::server_options& o, std::string_view in, std::size_t chunk) {
  smtp::server s(o);
  std::string log;
  std::string queue;
  auto drain = [&] {
    for (;;) {
      const smtp::server_event e = s.next();
      // need_more and chunk boundaries depend on the split; nothing else may.
      if (e.type != kind::need_more && e.type != kind::write_output && e.type != kind::data_chunk) log += std::to_string(static_cast<int>(e.type)) + ",";
      switch (e.type) {
        case kind::need_more:
        case kind::write_output:
        case kind::closed: return;
        case kind::paused: MAILWIRE_FUZZ_CHECK(false); return;
        case kind::mail:
        case kind::rcpt:
          if (e.cmd->address.local_part.size() % 2 == 0) {
            MAILWIRE_FUZZ_CHECK(s.accept() == mailwire::errc::ok);
          } else {
            MAILWIRE_FUZZ_CHECK(s.reject(550, std::nullopt, "no") == mailwire::errc::ok);
          }
          break;
        case kind::data_chunk: log.append(e.bytes.data(), e.bytes.size()); break;
        case kind::message:
          if (e.error != mailwire::errc::ok) break;
          if (o.lmtp) {
            for (std::size_t i = 0; i < e.recipients; ++i) s.reply_recipient(250, std::nullopt, "ok");
          } else {
            s.accept();
          }
          break;
        case kind::auth_start: MAILWIRE_FUZZ_CHECK(s.auth_begin("NONCE") == mailwire::errc::ok); break;
        case kind::auth_check: {
          using k = sasl::request_type;
          if (e.auth->type == k::secret) {
            s.auth_provide_secret("secret");
          } else if (e.auth->type == k::scram_keys) {
            s.auth_provide_scram(sasl::derive_scram_keys(e.mechanism, "secret", "salt", 2));
          } else if (e.auth->password == "secret" || e.auth->type == k::bearer_token) {
            s.accept();
          } else {
            s.reject(535, std::nullopt, "no");
          }
          break;
        }
        case kind::starttls: {
          std::string_view taken;
          MAILWIRE_FUZZ_CHECK(s.take_unconsumed(taken) == mailwire::errc::ok);
          const std::string rest(taken);
          MAILWIRE_FUZZ_CHECK(s.tls_established() == mailwire::errc::ok);
          queue.insert(0, rest);  // a pass-through "TLS layer"
          break;
        }
        case kind::hello:
        case kind::authenticated:
        case kind::error: break;
      }
    }
  };
  drain();
  while (!in.empty() || !queue.empty()) {
    const std::string_view piece = in.substr(0, chunk);
    in.remove_prefix(piece.size());
    queue.append(piece.data(), piece.size());
    while (!queue.empty() && !s.closed()) {
      const std::size_t n = s.feed(queue);
      queue.erase(0, n);
      const std::size_t before = queue.size();
      drain();
      // The machine must always make progress: a full buffer that nothing
      // drains would wedge the session.
      MAILWIRE_FUZZ_CHECK(n != 0 || queue.size() != before || s.closed() || o.offer_starttls);
      if (n == 0 && queue.size() == before) break;
    }
    if (s.closed() || (in.empty() && !queue.empty())) break;
  }
  return log + "|" + std::string(s.pending_output());
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (mailwire_fuzz::over_cap(size)) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::uint8_t b0 = mailwire_fuzz::take_byte(in);
  const std::size_t chunk = 1 + mailwire_fuzz::take_byte(in) % 11;
  smtp::server_options o;
  o.lmtp = (b0 & 1) != 0;
  o.offer_starttls = (b0 & 2) != 0;
  o.auth_mechanisms = sasl::mechanism_set::parse("PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256 XOAUTH2 OAUTHBEARER");
  o.allow_auth_without_tls = (b0 & 4) != 0;
  o.max_message_size = (b0 & 8) != 0 ? 64 : 0;
  o.max_recipients = 1 + (b0 >> 6);
  o.max_buffered = 600;
  if ((b0 & 16) != 0) o.data.bare_line_ends = mailwire::line_end_policy::normalize;
  o.require_auth = (b0 & 32) != 0;
  MAILWIRE_FUZZ_CHECK(run(o, in, in.size() + 1) == run(o, in, chunk));
  return 0;
}
