// pop3::server against transcript vectors (tests/vectors/pop3/server*.md),
// whole, at every split and byte by byte. `C:` lines are fed to the
// server; `S:` lines are what it must write. The adapter below is the
// "application", driven by the case's options:
//
// server_options: greeting=TEXT; apop=<timestamp>; tls_active; stls
//   (offer_stls); no_user_pass; sasl=NAMES (auth_mechanisms); plaintext
//   (allow_plaintext_auth); require_tls; no_top; no_uidl; no_pipelining;
//   utf8; utf8_user; languages=tag text|tag text; implementation=TEXT;
//   login_delay=N; expire=TEXT; max_errors=N; max_auth_failures=N;
//   max_line=N (max_command_line); max_auth_line=N; max_buffered=N;
//   max_pending_output=N.
// the application: users=name:secret,... (default alice:secret): login
//   and auth_check for a password accept the right one, else
//   reject([AUTH]); apop and CRAM-MD5 get the user's secret (a decoy for
//   an unknown user); SCRAM gets keys made from it with salt "salt" and
//   4096 iterations. nonce=TEXT for auth_begin (default SERVERNONCE).
//   maildrop=SIZE:ID,... is what open_maildrop() lists; lock=in_use|
//   login_delay|sys_temp refuses the maildrop instead. msgN=escaped text
//   is message N, given in pieces of piece=N bytes (default whole) while
//   wants_message(); refuse_retrieve=N answers retrieve of N with
//   -ERR [SYS/PERM]. reject_update answers update with -ERR [SYS/TEMP].
// the loop: log_unconsumed (after starttls nothing goes back to the
//   server: take_unconsumed() and every later byte are "TLS bytes",
//   logged at the end); finish (finish() after the last byte); stall (the
//   client never reads: nothing is written until the end, where the
//   largest pending output seen is logged, then everything is written
//   and the rest of the input served).
//
// Event log, one line per event: the type and its fields (see record()).
#include <mailwire/pop3/server.hpp>
#include <mailwire/sasl/scram.hpp>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "catch.hpp"
#include "grind.hpp"
#include "machine_harness.hpp"
#include "transcript.hpp"

namespace pop3 = mailwire::pop3;
namespace sasl = mailwire::sasl;
using mailwire::errc;
using mailwire_test::chunks;
using mailwire_test::quote;
using mailwire_test::split;
using mailwire_test::text_of;
using kind = pop3::server_event_type;

namespace {

// "a,b,c" -> {"a","b","c"} (split on `sep`).
pop3::server_options options_of(const mailwire_test::transcript_case& c) {
  pop3::server_options o;
  if (c.has("greeting")) o.greeting = c.options.at("greeting");
  o.apop_timestamp = text_of(c, "apop");
  o.tls_active = c.has("tls_active");
  o.offer_stls = c.has("stls");
  o.allow_user_pass = !c.has("no_user_pass");
  o.auth_mechanisms = sasl::mechanism_set::parse(text_of(c, "sasl"));
  o.allow_plaintext_auth = c.has("plaintext");
  o.require_tls = c.has("require_tls");
  o.top = !c.has("no_top");
  o.uidl = !c.has("no_uidl");
  o.pipelining = !c.has("no_pipelining");
  o.utf8 = c.has("utf8");
  o.utf8_user = c.has("utf8_user");
  for (const std::string& l : split(text_of(c, "languages"), "|")) {
    const std::size_t sp = l.find(' ');
    o.languages.push_back({l.substr(0, sp), sp == std::string::npos ? std::string() : l.substr(sp + 1)});
  }
  o.implementation = text_of(c, "implementation");
  if (c.has("login_delay")) o.login_delay = c.number("login_delay", 0);
  o.expire = text_of(c, "expire");
  o.max_errors = c.number("max_errors", o.max_errors);
  o.max_auth_failures = c.number("max_auth_failures", o.max_auth_failures);
  o.max_command_line = c.number("max_line", o.max_command_line);
  o.max_auth_line = c.number("max_auth_line", o.max_auth_line);
  o.max_buffered = c.number("max_buffered", o.max_buffered);
  o.max_pending_output = c.number("max_pending_output", o.max_pending_output);
  return o;
}

const char* name_of(pop3::login_method m) {
  switch (m) {
    case pop3::login_method::user_pass: return "user_pass";
    case pop3::login_method::apop: return "apop";
    case pop3::login_method::sasl: return "sasl";
  }
  return "?";
}

// The application and the loop, for one chunking of the client's bytes.
class session : public mailwire_test::server_harness<session, pop3::server> {
 public:
  explicit session(const mailwire_test::transcript_case& c) : server_harness(c, options_of(c)) {
    for (const std::string& m : split(text_of(c, "maildrop"), ",")) {
      const std::size_t colon = m.find(':');
      maildrop_.push_back({std::stoull(m.substr(0, colon)), m.substr(colon + 1)});
    }
  }

 private:
  friend server_harness;

  void drain() {
    for (;;) {
      const pop3::server_event e = server_.next();
      switch (e.type) {
        case kind::need_more: return;
        case kind::write_output:
          if (!write_pending()) return;
          continue;
        case kind::paused:
          if (!sending_) {
            FAIL(c_.where() << ": paused without a pending answer");
            return;
          }
          stream();
          continue;
        default: break;
      }
      record(e);
      answer(e);
      if (e.type == kind::closed || tls_sink_) return;
    }
  }

  void record(const pop3::server_event& e) {
    std::string line;
    switch (e.type) {
      case kind::login: line = "login " + std::string(e.user) + " " + quote(e.password); break;
      case kind::apop: line = "apop " + std::string(e.user) + " " + std::string(e.digest); break;
      case kind::auth_start: line = "auth_start " + std::string(sasl::to_string(e.mechanism)); break;
      case kind::auth_check:
        line = "auth_check " + std::string(sasl::to_string(e.mechanism)) + " " + std::string(e.auth->username);
        break;
      case kind::open_maildrop:
        line = "open_maildrop " + std::string(e.user) + " " + name_of(e.method);
        if (e.method == pop3::login_method::sasl) line += " " + std::string(sasl::to_string(e.mechanism));
        break;
      case kind::retrieve:
        line = "retrieve " + std::to_string(e.message) + (e.top ? " top " + std::to_string(e.lines) : std::string()) +
               " size=" + std::to_string(e.size);
        break;
      case kind::update: {
        line = "update deleted=";
        const std::vector<std::uint32_t> d = server_.deleted();
        for (std::size_t i = 0; i < d.size(); ++i) line += (i ? "," : "") + std::to_string(d[i]);
        break;
      }
      case kind::starttls: line = "starttls"; break;
      case kind::error:
        // Offsets in the client's stream as sent: the bytes handed back
        // by take_unconsumed() and fed again are counted once.
        line = "error " + std::string(mailwire::to_name(e.error)) + " @" + std::to_string(e.offset - refed_);
        break;
      case kind::closed: line = "closed"; break;
      default: line = "?"; break;
    }
    log_.events.push_back(line);
  }

  void answer(const pop3::server_event& e) {
    switch (e.type) {
      case kind::login:
        act("login", right(e.user, e.password)
                         ? server_.accept()
                         : server_.reject(pop3::response_code::auth, "Invalid credentials"));
        break;
      case kind::apop: act("apop", server_.auth_provide_secret(secret_of(e.user))); break;
      case kind::auth_start: act("auth_begin", server_.auth_begin(text_of(c_, "nonce", "SERVERNONCE"))); break;
      case kind::auth_check: {
        const sasl::server_request& r = *e.auth;
        const std::string secret = secret_of(r.username);
        switch (r.type) {
          case sasl::request_type::password:
            act("auth_check", right(r.username, r.password)
                                  ? server_.accept()
                                  : server_.reject(pop3::response_code::auth, "Invalid credentials"));
            break;
          case sasl::request_type::secret: act("auth_check", server_.auth_provide_secret(secret)); break;
          case sasl::request_type::scram_keys: {
            sasl::scram_keys keys;
            REQUIRE(sasl::make_scram_keys(e.mechanism, secret, "salt", 4096, keys) == errc::ok);
            act("auth_check", server_.auth_provide_scram(keys));
            break;
          }
          default: act("auth_check", server_.reject(pop3::response_code::auth, "Not allowed")); break;
        }
        break;
      }
      case kind::open_maildrop: {
        const std::string lock = text_of(c_, "lock");
        if (lock == "in_use") {
          act("reject", server_.reject(pop3::response_code::in_use, "Maildrop locked by another session"));
        } else if (lock == "login_delay") {
          act("reject", server_.reject(pop3::response_code::login_delay, "Wait 300 seconds between logins"));
        } else if (lock == "sys_temp") {
          act("reject", server_.reject(pop3::response_code::sys_temp, "Maildrop unavailable, try later"));
        } else {
          act("open_maildrop", server_.open_maildrop(maildrop_));
        }
        break;
      }
      case kind::retrieve:
        if (c_.number("refuse_retrieve", 0) == e.message) {
          act("reject", server_.reject(pop3::response_code::sys_perm, "Message unreadable"));
          break;
        }
        {
          const std::string key = "msg" + std::to_string(e.message);
          INFO(c_.where() << ": no " << key << " option");
          REQUIRE(c_.has(key));
          content_.clear();
          REQUIRE(mailwire_test::detail::unescape(c_.options.at(key), content_));
        }
        sending_ = true;
        sent_ = 0;
        break;
      case kind::update:
        act("update", c_.has("reject_update") ? server_.reject(pop3::response_code::sys_temp, "Some deletions failed")
                                              : server_.accept());
        break;
      case kind::starttls: switch_to_tls(); break;
      default: break;
    }
  }

  // The next piece of the message being retrieved, or its end.
  void stream() {
    if (sent_ < content_.size() && server_.wants_message()) {
      const std::size_t n = piece_ == 0 ? content_.size() - sent_ : std::min(piece_, content_.size() - sent_);
      act("send_message", server_.send_message(std::string_view(content_).substr(sent_, n)));
      sent_ += n;
      return;
    }
    act("end_message", server_.end_message());
    sending_ = false;
  }

  std::vector<pop3::message_info> maildrop_;
  std::string content_;
  std::size_t sent_ = 0;
  bool sending_ = false;
};

mailwire_test::session_log run_server(const mailwire_test::transcript_case& c, const chunks& ch) {
  session s(c);
  return s.run(ch);
}

}  // namespace

TEST_CASE("POP3 server transcript vectors", "[pop3][server][vectors]") {
  for (const char* file : {"/pop3/server.md", "/pop3/server_auth.md"}) {
    for (const auto& c : mailwire_test::load_transcripts(std::string(MAILWIRE_VECTORS_DIR) + file)) {
      // clang-format off
      c.require_known({"greeting", "apop", "tls_active", "stls", "no_user_pass", "sasl", "plaintext", "require_tls",
                       "no_top", "no_uidl", "no_pipelining", "utf8", "utf8_user", "languages", "implementation",
                       "login_delay", "expire", "max_errors", "max_auth_failures", "max_line", "max_auth_line",
                       "max_buffered", "max_pending_output", "users", "nonce", "maildrop", "lock", "msg1", "msg2",
                       "msg3", "msg4", "piece", "refuse_retrieve", "reject_update", "log_unconsumed", "finish",
                       "stall"});
      // clang-format on
      DYNAMIC_SECTION(std::string(file + 1) + ":" + std::to_string(c.line) + " " + c.name) {
        mailwire_test::run_transcript(c, 'C', run_server);
      }
    }
  }
}
