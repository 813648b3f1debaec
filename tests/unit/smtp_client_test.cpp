// smtp::client against transcript vectors (tests/vectors/smtp/client*.md),
// at every split. `S:` lines are what a server sends: they are fed to the
// client. `C:` lines are what the client must write, in order.
//
// The loop below is a real client loop run against a recording: feed a
// piece, pull events until need_more (writing pending_output() whenever
// the client says write_output), act on each event as the case's scripted
// "application" does, and go on. A server answers only what it has
// received, so the server's bytes of one turn (the S: lines up to the next
// C: line) are never delivered before the client has written the C: lines
// listed before them: a piece that spans a turn is cut there, and at each
// cut the bytes written so far must be exactly the C: lines above it. That
// is what makes "MAIL, RCPT and DATA in one write" (PIPELINING) differ from
// one command per reply in a vector. The `one_packet` option drops the
// cuts and feeds every S: byte at once without writing anything in
// between: the response-injection rule's test.
//
// Options (``` options block), for client_options:
//   lmtp; tls=none|opportunistic|required|implicit; hostname=NAME;
//   user= password= authzid= token= nonce=; mechanism=NAME (forced);
//   cleartext (auth_policy.allow_cleartext_password); no_pipelining;
//   no_chunking; bare_line_ends=reject|normalize; max_pending_output=N;
//   max_reply_lines=N; max_reply_line=N
// for the application:
//   from=<path> [MAIL parameters], to=<path> [<path>...], body=escaped
//   text: the first message; from2=, to2=, body2= the second, and so on.
//   On `ready` it sends them in turn (MAIL, every RCPT, DATA at once; with
//   `stepwise`, RCPT only after MAIL's 2xx, DATA only after the RCPT
//   replies and only if one was accepted, RSET otherwise), writes the body
//   on `body` (in pieces of piece=N bytes; only the end, a lone ".", when
//   every RCPT was refused: RFC 2920 3.1), then QUIT (`pipeline_quit`:
//   right behind the end of the last message's data, as in RFC 2920's
//   examples). `idle`: nothing on ready, not even QUIT.
// for the loop:
//   one_packet (implies feeding whole); finish: finish() after the last
//   byte; write_limit=N: write at most N bytes at a time; offsets: log
//   the offset of every event that carries a reply or an error.
//
// Event log, one line per event: the type, "#index" for rcpt (and for
// message in LMTP), the reply code when there is one, the error name when
// there is one, "@offset" (with `offsets`). An action the application calls
// that fails logs "action <name>: <error>".
#include <mailwire/smtp/client.hpp>

#include <algorithm>
#include <deque>
#include <string>
#include <vector>

#include "catch.hpp"
#include "grind.hpp"
#include "transcript.hpp"
#include "turns.hpp"

namespace smtp = mailwire::smtp;
namespace sasl = mailwire::sasl;
using mailwire::errc;
using mailwire_test::chunks;
using kind = smtp::client_event_type;

namespace {

const char* name_of(kind k) {
  switch (k) {
    case kind::need_more: return "need_more";
    case kind::write_output: return "write_output";
    case kind::starttls: return "starttls";
    case kind::authenticated: return "authenticated";
    case kind::ready: return "ready";
    case kind::mail: return "mail";
    case kind::rcpt: return "rcpt";
    case kind::body: return "body";
    case kind::message: return "message";
    case kind::reset: return "reset";
    case kind::closed: return "closed";
    case kind::error: return "error";
  }
  return "?";
}

struct message_spec {
  smtp::path from;
  smtp::mail_parameters params;
  std::vector<smtp::path> to;
  std::string body;
};

// Everything a run needs from the case's options. Paths and parameters are
// views: into the case's option strings, or into `keep`.
struct setup {
  smtp::client_options options;
  std::vector<message_spec> messages;
  std::deque<std::string> keep;
};

// Reads "<path> PARAM=... ..." with the library's command parser (UTF-8
// allowed: whether the server may see it is the client's business).
smtp::path read_path(const mailwire_test::transcript_case& c, std::string_view text, smtp::path_role role,
                     std::string_view& rest) {
  smtp::path p;
  const smtp::path_result r = smtp::parse_path(text, role, true, p);
  INFO(c.where() << ": bad path in options: " << text);
  REQUIRE(r.error == errc::ok);
  rest = text.substr(r.length);
  return p;
}

void read_messages(const mailwire_test::transcript_case& c, setup& s) {
  for (int i = 1;; ++i) {
    const std::string suffix = i == 1 ? "" : std::to_string(i);
    auto from = c.options.find("from" + suffix);
    if (from == c.options.end()) break;
    message_spec m;
    std::string_view rest;
    m.from = read_path(c, from->second, smtp::path_role::reverse, rest);
    if (!rest.empty()) {
      // The parameters, read by parsing a MAIL line built around them.
      s.keep.push_back("MAIL FROM:<x@example.com>" + std::string(rest));
      smtp::command cmd;
      smtp::command_options co;
      co.smtputf8 = true;
      const smtp::command_result r = smtp::parse_command(s.keep.back(), cmd, co);
      INFO(c.where() << ": bad MAIL parameters in options: " << rest);
      REQUIRE(r.error == errc::ok);
      REQUIRE(cmd.extra.empty());
      m.params = cmd.mail;
    }
    auto to = c.options.find("to" + suffix);
    INFO(c.where() << ": message " << i << " has no to" << suffix);
    REQUIRE(to != c.options.end());
    std::string_view list = to->second;
    while (!list.empty()) {
      m.to.push_back(read_path(c, list, smtp::path_role::forward, list));
      if (!list.empty() && list.front() == ' ') list.remove_prefix(1);
    }
    auto body = c.options.find("body" + suffix);
    if (body != c.options.end()) REQUIRE(mailwire_test::detail::unescape(body->second, m.body));
    s.messages.push_back(std::move(m));
  }
}

void read_setup(const mailwire_test::transcript_case& c, setup& s) {
  smtp::client_options& o = s.options;
  o.hostname = c.has("hostname") ? c.options.at("hostname") : "client.example";
  o.lmtp = c.has("lmtp");
  if (c.has("tls")) {
    const std::string& t = c.options.at("tls");
    o.tls = t == "none"       ? smtp::tls_policy::none
            : t == "required" ? smtp::tls_policy::required
            : t == "implicit" ? smtp::tls_policy::implicit
                              : smtp::tls_policy::opportunistic;
    INFO(c.where());
    REQUIRE((t == "none" || t == "required" || t == "implicit" || t == "opportunistic"));
  }
  auto text = [&](const char* key) { return c.has(key) ? c.options.at(key) : std::string(); };
  o.username = text("user");
  o.password = text("password");
  o.authzid = text("authzid");
  o.token = text("token");
  o.nonce = text("nonce");
  if (c.has("mechanism")) {
    o.mechanism = sasl::parse_mechanism(c.options.at("mechanism"));
    REQUIRE(o.mechanism);
  }
  o.auth_policy.allow_cleartext_password = c.has("cleartext");
  o.use_pipelining = !c.has("no_pipelining");
  o.use_chunking = !c.has("no_chunking");
  if (c.has("bare_line_ends")) {
    o.bare_line_ends =
        c.options.at("bare_line_ends") == "reject" ? mailwire::line_end_policy::reject : mailwire::line_end_policy::normalize;
  }
  o.max_pending_output = c.number("max_pending_output", o.max_pending_output);
  o.replies.max_lines = c.number("max_reply_lines", o.replies.max_lines);
  o.replies.max_line_length = c.number("max_reply_line", o.replies.max_line_length);
  read_messages(c, s);
}

// The application and the loop, for one chunking of the server's bytes.
class session {
 public:
  session(const mailwire_test::transcript_case& c, setup& s) : c_(c), messages_(s.messages), client_(s.options) {
    stepwise_ = c.has("stepwise");
    lmtp_ = c.has("lmtp");
    offsets_ = c.has("offsets");
    write_limit_ = c.number("write_limit", 0);
    piece_ = c.number("piece", 0);
  }

  mailwire_test::session_log run(const chunks& ch) {
    drain();
    mailwire_test::deliver_in_turns(c_, ch, c_.has("one_packet"), log_.output, log_.events,
                                    [&](std::string_view bytes) { deliver(bytes); });
    if (c_.has("finish")) {
      client_.finish();
      drain();
    }
    // What a closing loop does: write what is left.
    write(true);
    return log_;
  }

 private:
  void deliver(std::string_view bytes) {
    do {
      const std::size_t n = client_.feed(bytes);
      bytes.remove_prefix(n);
      drain();
      if (n == 0 && !bytes.empty()) {
        // Nothing taken: the session is over (the rest of the recording
        // goes nowhere), or the client is stuck, which is a failure.
        if (!closed_) log_.events.push_back("stuck: the client took nothing");
        return;
      }
    } while (!bytes.empty());
  }

  void write(bool all) {
    const std::string_view out = client_.pending_output();
    const std::size_t n = all || write_limit_ == 0 ? out.size() : std::min(out.size(), write_limit_);
    log_.output.append(out.data(), n);
    client_.consume_output(n);
  }

  void act(const char* name, errc e) {
    if (e != errc::ok) log_.events.push_back(std::string("action ") + name + ": " + std::string(mailwire::to_name(e)));
  }

  void record(const smtp::client_event& e) {
    std::string line = name_of(e.type);
    if (e.type == kind::rcpt || (e.type == kind::message && lmtp_)) line += " #" + std::to_string(e.index);
    if (e.code != 0) line += " " + std::to_string(e.code);
    if (e.error != errc::ok) line += " " + std::string(mailwire::to_name(e.error));
    if (offsets_ && (e.code != 0 || e.error != errc::ok)) line += " @" + std::to_string(e.offset);
    log_.events.push_back(line);
  }

  void drain() {
    while (!closed_) {
      const smtp::client_event e = client_.next();
      switch (e.type) {
        case kind::need_more: return;
        case kind::write_output: write(false); continue;
        default: break;
      }
      record(e);
      switch (e.type) {
        case kind::starttls: {
          std::string_view rest;
          act("take_unconsumed", client_.take_unconsumed(rest));
          if (!rest.empty()) log_.events.push_back("unconsumed " + mailwire_test::quote(rest));
          act("tls_established", client_.tls_established());
          break;
        }
        case kind::ready:
          if (!c_.has("idle")) start_next();
          break;
        case kind::mail:
          if (!stepwise_) break;
          if (e.ok()) {
            send_recipients();
          } else {
            act("rset", client_.rset());
          }
          break;
        case kind::rcpt:
          ++rcpt_replies_;
          if (e.ok()) ++accepted_;
          if (stepwise_ && rcpt_replies_ == messages_[next_].to.size()) {
            if (accepted_ > 0) {
              act("data", client_.data());
            } else {
              act("rset", client_.rset());
            }
          }
          break;
        case kind::body: write_body(); break;
        case kind::message:
          // The transaction is over after its reply; in LMTP, after one
          // reply per accepted recipient once the data went out.
          if (lmtp_ && body_seen_ && ++message_replies_ < accepted_) break;
          transaction_over();
          break;
        case kind::reset: transaction_over(); break;
        case kind::closed: closed_ = true; break;
        default: break;
      }
    }
  }

  void start_next() {
    while (next_ < messages_.size()) {
      const message_spec& m = messages_[next_];
      const errc e = client_.mail(m.from, m.params);
      if (e == errc::ok) {
        if (!stepwise_) {
          send_recipients();
          act("data", client_.data());
        }
        return;
      }
      act("mail", e);
      ++next_;
    }
    if (!quit_sent_) act("quit", client_.quit());
    quit_sent_ = true;
  }

  void send_recipients() {
    for (const smtp::path& to : messages_[next_].to) act("rcpt", client_.rcpt(to));
  }

  void write_body() {
    body_seen_ = true;
    const message_spec& m = messages_[next_];
    if (rcpt_replies_ == m.to.size() && accepted_ == 0) {
      // RFC 2920 3.1: DATA was pipelined and accepted though no
      // recipient was: send just the end of the data.
      end_body();
      return;
    }
    std::string_view rest = m.body;
    while (!rest.empty()) {
      const std::size_t n = piece_ == 0 ? rest.size() : std::min(piece_, rest.size());
      const errc e = client_.write_body(rest.substr(0, n));
      if (e != errc::ok) {
        // The message cannot be sent as it is; a real program would drop
        // the connection here. The recording ends.
        act("write_body", e);
        return;
      }
      rest.remove_prefix(n);
    }
    end_body();
  }

  void end_body() {
    act("end_body", client_.end_body());
    // RFC 2920's examples pipeline QUIT behind the end of the last message.
    if (c_.has("pipeline_quit") && next_ + 1 == messages_.size()) {
      act("quit", client_.quit());
      quit_sent_ = true;
    }
  }

  void transaction_over() {
    ++next_;
    rcpt_replies_ = accepted_ = message_replies_ = 0;
    body_seen_ = false;
    start_next();
  }

  const mailwire_test::transcript_case& c_;
  const std::vector<message_spec>& messages_;
  smtp::client client_;
  mailwire_test::session_log log_;
  std::size_t next_ = 0;
  std::size_t rcpt_replies_ = 0;
  std::size_t accepted_ = 0;
  std::size_t message_replies_ = 0;
  std::size_t write_limit_ = 0;
  std::size_t piece_ = 0;
  bool body_seen_ = false;
  bool quit_sent_ = false;
  bool closed_ = false;
  bool stepwise_ = false;
  bool lmtp_ = false;
  bool offsets_ = false;
};

mailwire_test::session_log run_client(const mailwire_test::transcript_case& c, const chunks& ch) {
  setup s;
  read_setup(c, s);
  session run(c, s);
  return run.run(ch);
}

}  // namespace

TEST_CASE("SMTP client transcript vectors") {
  for (const char* file : {"/smtp/client.md", "/smtp/client_auth.md"}) {
    for (const auto& c : mailwire_test::load_transcripts(std::string(MAILWIRE_VECTORS_DIR) + file)) {
      // clang-format off
      c.require_known({"lmtp", "tls", "hostname", "user", "password", "authzid", "token", "nonce", "mechanism",
                       "cleartext", "no_pipelining", "no_chunking", "bare_line_ends", "max_pending_output",
                       "max_reply_lines", "max_reply_line", "from", "to", "body", "from2", "to2", "body2",
                       "from3", "to3", "body3", "stepwise", "idle", "piece", "one_packet", "finish",
                       "write_limit", "offsets", "pipeline_quit"});
      // clang-format on
      // A section per case: a failing case (grind REQUIREs) does not hide
      // the ones after it.
      // (Named without the directory: Catch2 v2 cannot wrap a long word.)
      DYNAMIC_SECTION(std::string(file + 1) + ":" + std::to_string(c.line) + " " + c.name) {
        if (c.has("one_packet")) {
          // One packet only: the chunkings of grind would let the loop
          // write between them.
          INFO(c.where() << ": one_packet needs no_split");
          REQUIRE(c.has("no_split"));
        }
        mailwire_test::run_transcript(c, 'S', run_client);
      }
    }
  }
}
