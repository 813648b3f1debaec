// The SMTP client machine against any server bytes: byte 0 picks options
// (LMTP, TLS policy, AUTH, pipelining, chunking), byte 1 the chunk size.
// The client runs one transaction when ready and quits. Fed whole and in
// chunks, its events and output must be the same; nothing may crash.
// STARTTLS ends the comparison: whether bytes came in the same read as the
// 220 is what the injection rule judges, so there the split matters by
// design (the unit tests cover both outcomes).
#include <mailwire/smtp/client.hpp>

#include <string>

#include "fuzz_check.hpp"

namespace {
namespace smtp = mailwire::smtp;
using kind = smtp::client_event_type;

std::string run(const smtp::client_options& o, std::string_view in, std::size_t chunk) {
  smtp::client c(o);
  std::string log;
  bool tls_point = false;
  auto drain = [&] {
    for (auto e = c.next(); e.type != kind::need_more && e.type != kind::write_output; e = c.next()) {
      if (e.type == kind::starttls || e.error == mailwire::errc::data_after_starttls) {
        log += "TLS,";
        tls_point = true;
        return;
      }
      log += std::to_string(static_cast<int>(e.type)) + ":" + std::to_string(e.code) + ":" +
             std::to_string(static_cast<int>(e.error)) + ",";
      if (e.type == kind::ready) {
        c.mail(smtp::path::mailbox("a", "example.com"));
        c.rcpt(smtp::path::mailbox("b", "example.org"));
        c.data();
      } else if (e.type == kind::body) {
        MAILWIRE_FUZZ_CHECK(c.write_body("Subject: x\r\n\r\n.body\r\n") == mailwire::errc::ok);
        MAILWIRE_FUZZ_CHECK(c.end_body() == mailwire::errc::ok);
      } else if (e.type == kind::message) {
        c.quit();
      } else if (e.type == kind::closed) {
        return;
      }
    }
  };
  drain();
  // The server's bytes come in packets separated by "\xff\x00"; between
  // packets the client's output is written (consumed), as a server answers
  // only what it has received. Within a packet nothing is written, so
  // feeding it whole or in `chunk`-sized pieces must give the same events
  // (a reply in the same packet as the reply before its command is an
  // injection either way).
  std::string written;
  while (!c.closed() && !tls_point) {
    const std::size_t sep = in.find(std::string_view("\xff\x00", 2));
    std::string_view packet = in.substr(0, sep);
    in.remove_prefix(sep == std::string_view::npos ? in.size() : sep + 2);
    while (!packet.empty() && !c.closed() && !tls_point) {
      const std::size_t n = c.feed(packet.substr(0, chunk));
      packet.remove_prefix(n);
      drain();
      if (n == 0) break;
    }
    if (c.closed() || tls_point || in.empty()) break;
    written += c.pending_output();
    c.consume_output(c.pending_output().size());
    drain();
  }
  log += "|" + written;
  // At the TLS point the output is exactly what preceded STARTTLS's reply.
  return log + "|" + std::string(c.pending_output());
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (mailwire_fuzz::over_cap(size)) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::uint8_t b0 = mailwire_fuzz::take_byte(in);
  const std::size_t chunk = 1 + mailwire_fuzz::take_byte(in) % 13;
  smtp::client_options o;
  o.lmtp = (b0 & 1) != 0;
  o.tls = static_cast<smtp::tls_policy>((b0 >> 1) & 3);
  if ((b0 & 8) != 0) {
    o.username = "alice";
    o.password = "secret";
    o.nonce = "clientnonce";
    o.auth_policy.allow_cleartext_password = true;
    // SCRAM too, with the iteration count a hostile server may ask for
    // kept small (auth_limits): PBKDF2 at the default 65536 took 80% of
    // this target's time.
    o.auth_policy.have_nonce = true;
    o.auth_limits.max_iterations = 64;
  }
  o.use_pipelining = (b0 & 16) != 0;
  o.use_chunking = (b0 & 32) != 0;
  o.max_buffered = 1024;
  MAILWIRE_FUZZ_CHECK(run(o, in, in.size() + 1) == run(o, in, chunk));
  return 0;
}
