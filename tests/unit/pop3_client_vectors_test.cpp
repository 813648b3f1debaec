// pop3::client against transcript vectors (tests/vectors/pop3/client*.md),
// whole, at every split and byte by byte. `S:` lines are what a server
// sends: they are fed to the client. `C:` lines are what the client must
// write, in order. As in smtp_client_test.cpp, the server's bytes of one
// turn reach the client only after it has written the C: lines listed
// before them, and at each such point the client must have written
// exactly those (turns.hpp); `one_packet` drops that and feeds every S:
// byte at once without writing anything in between (the injection tests).
//
// Options, for client_options:
//   tls=none|opportunistic|required|implicit (default: the client's);
//   user= (default alice) password= (default secret) authzid= token=
//   nonce=; method=automatic|user_pass|apop|sasl; mechanism=NAME;
//   cleartext (auth_policy.allow_cleartext_password); no_pipelining;
//   utf8; language=TAG; max_response_line=N; max_pending_output=N;
//   strict_message (RETR/TOP content read with strict line rules).
// for the application:
//   commands=CMD;CMD;... issued all at once on `ready` (STAT, LIST [n],
//   UIDL [n], RETR n, TOP n k, DELE n, NOOP, RSET, QUIT); without it,
//   QUIT alone. quit_early: quit() right after the client is made.
// for the loop: one_packet (needs no_split); finish: finish() after the
//   last byte; write_limit=N: write at most N bytes at a time.
//
// Event log, one line per event: the type and its fields (see record());
// a RETR or TOP reply carries the content its chunk events delivered. An
// action that fails logs "action <name>: <error>".
#include <mailwire/pop3/client.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "catch.hpp"
#include "grind.hpp"
#include "machine_harness.hpp"
#include "transcript.hpp"
#include "turns.hpp"

namespace pop3 = mailwire::pop3;
namespace sasl = mailwire::sasl;
using mailwire::errc;
using mailwire_test::chunks;
using mailwire_test::quote;
using mailwire_test::text_of;
using kind = pop3::client_event_type;

namespace {

pop3::client_options options_of(const mailwire_test::transcript_case& c) {
  pop3::client_options o;
  if (c.has("tls")) {
    const std::string& t = c.options.at("tls");
    INFO(c.where());
    REQUIRE((t == "none" || t == "required" || t == "implicit" || t == "opportunistic"));
    o.tls = t == "none"       ? mailwire::tls_policy::none
            : t == "required" ? mailwire::tls_policy::required
            : t == "implicit" ? mailwire::tls_policy::implicit
                              : mailwire::tls_policy::opportunistic;
  }
  o.username = text_of(c, "user", "alice");
  o.password = text_of(c, "password", "secret");
  o.authzid = text_of(c, "authzid");
  o.token = text_of(c, "token");
  o.nonce = text_of(c, "nonce");
  if (c.has("method")) {
    const std::string& m = c.options.at("method");
    o.method = m == "user_pass" ? pop3::login::user_pass
               : m == "apop"    ? pop3::login::apop
               : m == "sasl"    ? pop3::login::sasl
                                : pop3::login::automatic;
  }
  if (c.has("mechanism")) {
    o.mechanism = sasl::parse_mechanism(c.options.at("mechanism"));
    REQUIRE(o.mechanism);
  }
  o.auth_policy.allow_cleartext_password = c.has("cleartext");
  o.use_pipelining = !c.has("no_pipelining");
  o.utf8 = c.has("utf8");
  o.language = text_of(c, "language");
  o.max_response_line = c.number("max_response_line", o.max_response_line);
  o.max_pending_output = c.number("max_pending_output", o.max_pending_output);
  if (c.has("strict_message")) o.message = mailwire::dot_options{};
  return o;
}

std::string code_of(pop3::response_code code, std::string_view code_text) {
  if (code == pop3::response_code::none) return {};
  return " [" + std::string(code_text.empty() ? pop3::to_string(code) : code_text) + "]";
}

class session : public mailwire_test::client_harness<session, pop3::client> {
 public:
  explicit session(const mailwire_test::transcript_case& c) : client_harness(c, options_of(c)) {
    if (c.has("quit_early")) act("quit", client_.quit());
  }

 private:
  friend client_harness;

  void drain() {
    while (!closed_) {
      const pop3::client_event e = client_.next();
      switch (e.type) {
        case kind::need_more: return;
        case kind::write_output: write(false); continue;
        case kind::chunk:
          content_.append(e.bytes.data(), e.bytes.size());
          CHECK(e.size == content_.size());
          continue;
        default: break;
      }
      record(e);
      switch (e.type) {
        case kind::starttls: {
          std::string_view rest;
          act("take_unconsumed", client_.take_unconsumed(rest));
          if (!rest.empty()) log_.events.push_back("unconsumed " + quote(rest));
          act("tls_established", client_.tls_established());
          break;
        }
        case kind::ready: issue_commands(); break;
        case kind::closed: closed_ = true; break;
        default: break;
      }
    }
  }

  void record(const pop3::client_event& e) {
    const std::string verb(pop3::to_string(e.command));
    std::string line;
    switch (e.type) {
      case kind::starttls: line = "starttls"; break;
      case kind::ready: line = "ready"; break;
      case kind::listing:
        line = "listing " + verb + " " + std::to_string(e.message) +
               (e.command == pop3::verb::list ? " size=" + std::to_string(e.size) : " id=" + std::string(e.unique_id));
        break;
      case kind::reply:
        line = "reply " + verb + (e.message != 0 ? " " + std::to_string(e.message) : std::string()) +
               (e.ok ? " +OK" : " -ERR") + code_of(e.code, e.code_text);
        if (e.ok && e.command == pop3::verb::stat) {
          line += " count=" + std::to_string(e.count) + " size=" + std::to_string(e.size);
        } else if (e.ok && e.command == pop3::verb::list && e.message != 0) {
          line += " size=" + std::to_string(e.size);
        } else if (e.ok && e.command == pop3::verb::uidl && e.message != 0) {
          line += " id=" + std::string(e.unique_id);
        } else if (e.command == pop3::verb::retr || e.command == pop3::verb::top) {
          if (e.ok) line += " size=" + std::to_string(e.size) + " " + quote(content_);
          content_.clear();
        }
        if (e.error != mailwire::errc::ok) line += " error=" + std::string(mailwire::to_name(e.error));
        line += " " + quote(e.text);
        break;
      case kind::error:
        line = "error " + std::string(mailwire::to_name(e.error)) + code_of(e.code, e.code_text) +
               (e.text.empty() ? std::string() : " " + quote(e.text)) + " @" + std::to_string(e.offset);
        break;
      case kind::closed: line = "closed"; break;
      default: line = "?"; break;
    }
    log_.events.push_back(line);
  }

  void issue_commands() {
    std::string list = text_of(c_, "commands", "QUIT");
    std::size_t from = 0;
    while (from <= list.size()) {
      const std::size_t semi = std::min(list.find(';', from), list.size());
      const std::string cmd = list.substr(from, semi - from);
      from = semi + 1;
      const std::size_t sp = cmd.find(' ');
      const std::string verb = cmd.substr(0, sp);
      const std::string args = sp == std::string::npos ? std::string() : cmd.substr(sp + 1);
      const auto number = [&](std::size_t i) {
        std::size_t at = 0;
        for (std::size_t k = 0; k < i; ++k) at = args.find(' ', at) + 1;
        return std::stoull(args.substr(at, args.find(' ', at) - at));
      };
      const auto n32 = [&](std::size_t i) { return static_cast<std::uint32_t>(number(i)); };
      errc e = errc::ok;
      if (verb == "STAT") e = client_.stat();
      else if (verb == "LIST") e = args.empty() ? client_.list() : client_.list(n32(0));
      else if (verb == "UIDL") e = args.empty() ? client_.uidl() : client_.uidl(n32(0));
      else if (verb == "RETR") e = client_.retr(n32(0));
      else if (verb == "TOP") e = client_.top(n32(0), number(1));
      else if (verb == "DELE") e = client_.dele(n32(0));
      else if (verb == "NOOP") e = client_.noop();
      else if (verb == "RSET") e = client_.rset();
      else if (verb == "QUIT") e = client_.quit();
      else FAIL(c_.where() << ": unknown command in options: " << cmd);
      act(cmd, e);
    }
  }

  std::string content_;  // RETR/TOP content so far
};

mailwire_test::session_log run_client(const mailwire_test::transcript_case& c, const chunks& ch) {
  session s(c);
  return s.run(ch);
}

}  // namespace

TEST_CASE("POP3 client transcript vectors", "[pop3][client][vectors]") {
  for (const char* file : {"/pop3/client.md", "/pop3/client_auth.md"}) {
    for (const auto& c : mailwire_test::load_transcripts(std::string(MAILWIRE_VECTORS_DIR) + file)) {
      // clang-format off
      c.require_known({"tls", "user", "password", "authzid", "token", "nonce", "method", "mechanism", "cleartext",
                       "no_pipelining", "utf8", "language", "max_response_line", "max_pending_output",
                       "strict_message", "commands", "quit_early", "one_packet", "finish", "write_limit"});
      // clang-format on
      DYNAMIC_SECTION(std::string(file + 1) + ":" + std::to_string(c.line) + " " + c.name) {
        if (c.has("one_packet")) {
          INFO(c.where() << ": one_packet needs no_split");
          REQUIRE(c.has("no_split"));
        }
        mailwire_test::run_transcript(c, 'S', run_client);
      }
    }
  }
}
