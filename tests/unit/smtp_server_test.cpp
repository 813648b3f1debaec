// smtp::server against transcript vectors (tests/vectors/smtp/server*.md),
// at every split. The adapter below is the "application": a fixed policy
// that answers every event, and logs each one.
#include <mailwire/smtp/server.hpp>

#include <string>

#include "catch.hpp"
#include "grind.hpp"
#include "transcript.hpp"

namespace smtp = mailwire::smtp;
namespace sasl = mailwire::sasl;
using mailwire::errc;
using mailwire_test::chunks;
using kind = smtp::server_event_type;

namespace {

smtp::server_options options_of(const mailwire_test::transcript_case& c) {
  smtp::server_options o;
  o.hostname = "mx.example.org";
  o.lmtp = c.has("lmtp");
  o.tls_active = c.has("tls_active");
  o.offer_starttls = c.has("starttls");
  if (c.has("auth")) {
    o.auth_mechanisms = sasl::mechanism_set::parse("PLAIN LOGIN CRAM-MD5 SCRAM-SHA-256 XOAUTH2");
  }
  o.allow_auth_without_tls = c.has("auth_without_tls");
  o.require_auth = c.has("require_auth");
  o.max_message_size = c.number("max_size", 0);
  o.max_recipients = c.number("max_recipients", 100);
  o.max_errors = c.number("max_errors", 10);
  o.max_command_line = c.number("max_line", 512);
  if (c.has("normalize")) o.data.bare_line_ends = mailwire::line_end_policy::normalize;
  o.chunking = !c.has("no_chunking");
  o.pipelining = !c.has("no_pipelining");
  o.allow_repeated_flag_parameters = c.has("allow_repeated_flag_parameters");
  o.allow_starttls_without_ehlo = c.has("allow_starttls_without_ehlo");
  o.allow_bdat_without_ehlo = c.has("allow_bdat_without_ehlo");
  o.max_auth_failures = c.number("max_auth_failures", mailwire::limits::max_auth_failures);
  return o;
}

std::string addr(const smtp::path& p) {
  if (p.kind == smtp::path_kind::null) return "<>";
  if (p.kind == smtp::path_kind::postmaster) return "<postmaster>";
  return "<" + std::string(p.local_part) + "@" + std::string(p.domain) + ">";
}

mailwire_test::session_log run_server(const mailwire_test::transcript_case& c, const chunks& ch) {
  smtp::server s(options_of(c));
  mailwire_test::session_log log;
  std::string content;
  // Bytes not yet taken by the machine. After STARTTLS the "TLS layer"
  // gives the unconsumed bytes back as plaintext: they go back in front.
  std::string queue;
  bool inject_check = c.has("log_unconsumed");
  auto drain = [&] {
    for (;;) {
      const smtp::server_event e = s.next();
      switch (e.type) {
        case kind::need_more:
        case kind::write_output: return;
        case kind::paused: FAIL("paused without a pending answer"); return;
        case kind::hello:
          log.events.push_back("hello " + std::string(smtp::to_string(e.cmd->kind)) + " " + std::string(e.cmd->argument));
          break;
        case kind::mail:
          log.events.push_back("mail " + addr(e.cmd->address));
          if (e.cmd->address.local_part == "blocked") {
            REQUIRE(s.reject(550, smtp::enhanced_status{5, 7, 1}, "Sender blocked") == errc::ok);
          } else {
            REQUIRE(s.accept() == errc::ok);
          }
          break;
        case kind::rcpt:
          log.events.push_back("rcpt " + addr(e.cmd->address));
          if (e.cmd->address.local_part.substr(0, 7) == "unknown") {
            REQUIRE(s.reject(550, smtp::enhanced_status{5, 1, 1}, "No such user") == errc::ok);
          } else {
            REQUIRE(s.accept() == errc::ok);
          }
          break;
        case kind::data_chunk:
          REQUIRE(!e.bytes.empty());
          content.append(e.bytes.data(), e.bytes.size());
          REQUIRE(e.size == content.size());
          break;
        case kind::message:
          if (e.error != errc::ok) {
            // What was delivered before the refusal: the same however the
            // input was split.
            log.events.push_back("message refused " + std::string(mailwire::to_name(e.error)) + " " +
                                 mailwire_test::quote(content));
          } else {
            log.events.push_back("message " + std::to_string(e.size) + " " + mailwire_test::quote(content));
            if (c.has("lmtp")) {
              for (std::size_t i = 0; i < e.recipients; ++i) {
                REQUIRE(s.reply_recipient(250, smtp::enhanced_status{2, 1, 5}, "Delivered") == errc::ok);
              }
            } else if (content.find("spam") != std::string::npos) {
              REQUIRE(s.reject(554, smtp::enhanced_status{5, 7, 1}, "Looks like spam") == errc::ok);
            } else {
              REQUIRE(s.accept() == errc::ok);
            }
          }
          content.clear();
          break;
        case kind::auth_start:
          log.events.push_back("auth_start " + std::string(sasl::to_string(e.mechanism)));
          REQUIRE(s.auth_begin("SERVERNONCE") == errc::ok);
          break;
        case kind::auth_check: {
          using k = sasl::request_type;
          const sasl::server_request& rq = *e.auth;
          log.events.push_back("auth_check " + std::string(rq.username));
          if (rq.type == k::password) {
            REQUIRE((rq.username == "alice" && rq.password == "secret" ? s.accept()
                                                                       : s.reject(535, smtp::enhanced_status{5, 7, 8}, "Bad credentials")) == errc::ok);
          } else if (rq.type == k::secret) {
            REQUIRE(s.auth_provide_secret("secret") == errc::ok);
          } else if (rq.type == k::scram_keys) {
            sasl::scram_keys keys;
            REQUIRE(sasl::make_scram_keys(sasl::mechanism::scram_sha_256, "secret", "salt", 4096, keys) == errc::ok);
            REQUIRE(s.auth_provide_scram(keys) == errc::ok);
          } else if (rq.type == k::bearer_token) {
            REQUIRE((rq.token == "good" ? s.accept() : s.auth_reject_token(R"({"status":"401"})")) == errc::ok);
          } else {
            REQUIRE(s.accept() == errc::ok);
          }
          break;
        }
        case kind::authenticated: log.events.push_back("authenticated " + std::string(e.auth_user)); break;
        case kind::starttls: {
          log.events.push_back("starttls");
          std::string_view taken;
          REQUIRE(s.take_unconsumed(taken) == errc::ok);
          const std::string rest(taken);
          if (inject_check) {
            // A real TLS engine would fail on these bytes; they must not
            // have been parsed as commands.
            log.events.push_back("unconsumed " + mailwire_test::quote(rest));
            return;
          }
          REQUIRE(s.tls_established() == errc::ok);
          queue.insert(0, rest);
          break;
        }
        case kind::error: log.events.push_back("error " + std::string(mailwire::to_name(e.error))); break;
        case kind::closed: log.events.push_back("closed"); return;
      }
    }
  };
  auto pump = [&](std::string_view piece) {
    queue.append(piece.data(), piece.size());
    while (!queue.empty() && !s.closed()) {
      const std::size_t n = s.feed(queue);
      queue.erase(0, n);
      const std::size_t before = queue.size();
      drain();
      if (n == 0 && queue.size() == before) {
        if (!inject_check) FAIL("the server took nothing and made no progress");
        return;
      }
    }
  };
  drain();
  for (std::string_view piece : ch) pump(piece);
  if (c.has("finish")) {
    // The client closed its side after the last byte.
    s.finish();
    drain();
    CHECK(s.closed());
  }
  log.output = std::string(s.pending_output());
  return log;
}

}  // namespace

TEST_CASE("SMTP server transcript vectors") {
  for (const char* file : {"/smtp/server.md", "/smtp/server_auth.md"}) {
    for (const auto& c : mailwire_test::load_transcripts(std::string(MAILWIRE_VECTORS_DIR) + file)) {
      c.require_known({"lmtp", "tls_active", "starttls", "auth", "auth_without_tls", "require_auth", "max_size",
                       "max_recipients", "max_errors", "max_line", "normalize", "no_chunking", "no_pipelining",
                       "log_unconsumed", "allow_repeated_flag_parameters", "allow_starttls_without_ehlo",
                       "allow_bdat_without_ehlo", "max_auth_failures", "finish"});
      mailwire_test::run_transcript(c, 'C', run_server);
    }
  }
}
