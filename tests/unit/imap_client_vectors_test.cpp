// imap::client against transcript vectors (tests/vectors/imap/client*.md),
// whole, at every split and byte by byte. `S:` lines are what a server
// sends: they are fed to the client. `C:` lines are what the client must
// write, in order. As in the POP3 and SMTP client tests, the server's bytes
// of one turn reach the client only after it has written the C: lines
// listed before them, and at each such point the client must have written
// exactly those (turns.hpp); `one_packet` drops that and feeds every S:
// byte at once without writing anything in between (the injection tests).
//
// Options, for client_options:
//   tls=none|opportunistic|required|implicit; user= (default alice)
//   password= (default secret) authzid= token= nonce=;
//   method=automatic|login|sasl; mechanism=NAME; cleartext
//   (allow_cleartext_login); enable=NAME,NAME (IMAP4rev2, CONDSTORE,
//   QRESYNC, UTF8=ACCEPT); no_pipelining; inline_body_max=N;
//   max_pending_output=N; max_line=N; max_inline_literal=N; tag_prefix=X.
// for the application:
//   commands=CMD;CMD;... submitted all at once on `ready`, each an IMAP
//   command without its tag (read with parse_command; \r \n \xHH escapes
//   allowed). An APPEND whose last literal has no body ("APPEND INBOX
//   {11}") streams it: the body is body= (escaped), sent in pieces of
//   body_chunk=N bytes on body_wanted. IDLE, COMPRESS and LOGOUT call
//   idle(), compress() and logout(); DONE calls idle_done() there and then
//   (before the "+" has come). Without commands=, LOGOUT alone.
//   show_mailbox: the `mailbox` line after every completed command.
//   done_on_idle: idle_done() on idle_started; done_after=N: idle_done()
//   after the Nth untagged response during IDLE. answer=TEXT: the line for
//   continue_command() on a continuation.
// for the loop: one_packet (needs no_split); finish: finish() after the
//   last byte; write_limit=N: write at most N bytes at a time.
//
// Event log, one line per event (record()): untagged and completed
// responses are written back through imap::write (so the log shows what
// was read, in mailwire's canonical form); a streamed FETCH body is one
// `body` line with what its fetch_chunk events delivered. A completed
// SELECT, EXAMINE, CLOSE or UNSELECT adds a `mailbox` line with the client's mailbox state.
// An action that fails logs "action <name>: <error>".
#include <mailwire/imap/client.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "catch.hpp"
#include "grind.hpp"
#include "machine_harness.hpp"
#include "transcript.hpp"
#include "turns.hpp"

namespace imap = mailwire::imap;
namespace sasl = mailwire::sasl;
using mailwire::errc;
using mailwire_test::chunks;
using mailwire_test::quote;
using mailwire_test::text_of;
using kind = imap::client_event_type;

namespace {

std::string unescaped(const mailwire_test::transcript_case& c, const std::string& s) {
  std::string out;
  INFO(c.where() << ": bad escape in " << s);
  REQUIRE(mailwire_test::detail::unescape(s, out));
  return out;
}

imap::client_options options_of(const mailwire_test::transcript_case& c) {
  imap::client_options o;
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
    o.method = m == "login" ? imap::login_choice::login
               : m == "sasl" ? imap::login_choice::sasl
                             : imap::login_choice::automatic;
  }
  if (c.has("mechanism")) {
    o.mechanism = sasl::parse_mechanism(c.options.at("mechanism"));
    REQUIRE(o.mechanism);
  }
  o.allow_cleartext_login = c.has("cleartext");
  const std::string enable = text_of(c, "enable");
  o.enable_imap4rev2 = enable.find("IMAP4rev2") != std::string::npos;
  o.enable_condstore = enable.find("CONDSTORE") != std::string::npos;
  o.enable_qresync = enable.find("QRESYNC") != std::string::npos;
  o.enable_utf8_accept = enable.find("UTF8=ACCEPT") != std::string::npos;
  o.pipelining = !c.has("no_pipelining");
  o.inline_body_max = c.number("inline_body_max", 0);
  o.max_pending_output = c.number("max_pending_output", o.max_pending_output);
  o.frame.max_line = c.number("max_line", o.frame.max_line);
  o.frame.max_inline_literal = c.number("max_inline_literal", o.frame.max_inline_literal);
  if (c.has("tag_prefix")) o.tag_prefix = c.options.at("tag_prefix");
  return o;
}

// A response written back, without its final CRLF.
std::string shown(const imap::response& r) {
  imap::wire w;
  imap::peer_support p;
  p.to_server = false;
  p.utf8 = true;
  p.binary = true;
  if (imap::write(w, r, p) != errc::ok) return "<unwritable>";
  if (w.bytes.size() >= 2) w.bytes.resize(w.bytes.size() - 2);
  return quote(w.bytes);
}

std::string item_name(const imap::fetch_item& it) {
  imap::wire w;
  imap::peer_support p;
  imap::wire_writer ww(w, p);
  switch (it.kind) {
    case imap::fetch_item_kind::body_section:
      ww.raw("BODY");
      imap::detail::write_section(ww, it.sect);
      break;
    case imap::fetch_item_kind::binary:
      ww.raw("BINARY");
      imap::detail::write_section(ww, it.sect);
      break;
    case imap::fetch_item_kind::rfc822: ww.raw("RFC822"); break;
    case imap::fetch_item_kind::rfc822_header: ww.raw("RFC822.HEADER"); break;
    case imap::fetch_item_kind::rfc822_text: ww.raw("RFC822.TEXT"); break;
    default: ww.raw("?"); break;
  }
  if (it.origin) w.bytes += "<" + std::to_string(*it.origin) + ">";
  return w.bytes;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const std::string& x : v) s += (s.empty() ? "" : " ") + x;
  return s;
}

class session : public mailwire_test::client_harness<session, imap::client> {
 public:
  explicit session(const mailwire_test::transcript_case& c) : client_harness(c, options_of(c)) {
    body_ = unescaped(c, text_of(c, "body"));
    body_chunk_ = c.number("body_chunk", 0);
  }

 private:
  friend client_harness;

  void drain() {
    while (!closed_) {
      const imap::client_event e = client_.next();
      switch (e.type) {
        case kind::need_more: return;
        case kind::write_output: write(false); continue;
        case kind::fetch_chunk:
          content_.append(e.bytes.data(), e.bytes.size());
          CHECK(content_.size() <= e.size);
          continue;
        default: break;
      }
      record(e);
      switch (e.type) {
        case kind::starttls:
        case kind::compress: {
          std::string_view rest;
          act("take_unconsumed", client_.take_unconsumed(rest));
          if (!rest.empty()) log_.events.push_back("unconsumed " + quote(rest));
          if (e.type == kind::starttls) {
            act("tls_established", client_.tls_established());
          } else {
            act("compress_established", client_.compress_established());
            if (!rest.empty()) deliver(rest);  // the test's "deflate" is the identity
          }
          break;
        }
        case kind::ready: issue_commands(); break;
        case kind::body_wanted: send_body(e.size); break;
        case kind::idle_started:
          idle_untagged_ = 0;
          if (c_.has("done_on_idle")) act("idle_done", client_.idle_done());
          break;
        case kind::untagged:
          // done_after=N: DONE once N untagged responses came during IDLE.
          if (client_.idling() && c_.has("done_after") && ++idle_untagged_ == c_.number("done_after", 0)) {
            act("idle_done", client_.idle_done());
          }
          break;
        case kind::continuation: act("continue_command", client_.continue_command(text_of(c_, "answer"))); break;
        case kind::closed: closed_ = true; break;
        default: break;
      }
    }
  }

  void send_body(std::uint64_t size) {
    std::string_view b(body_);
    if (b.size() != size) log_.events.push_back("body= has " + std::to_string(b.size()) + " bytes");
    b = b.substr(0, static_cast<std::size_t>(size));
    while (!b.empty()) {
      const std::size_t n = body_chunk_ == 0 ? b.size() : std::min(b.size(), body_chunk_);
      act("send_body", client_.send_body(b.substr(0, n)));
      b.remove_prefix(n);
      write(false);
    }
    act("end_body", client_.end_body());
  }

  void record(const imap::client_event& e) {
    std::string line;
    switch (e.type) {
      case kind::starttls: line = "starttls"; break;
      case kind::compress: line = "compress " + std::string(e.tag); break;
      case kind::ready: {
        line = "ready";
        if (client_.tls()) line += " tls";
        if (const auto m = client_.auth_mechanism()) line += " mech=" + std::string(sasl::to_string(*m));
        if (!client_.enabled().names().empty()) line += " enabled=" + join(client_.enabled().names());
        break;
      }
      case kind::untagged: line = "untagged " + shown(*e.resp); break;
      case kind::fetch_chunk_end:
        line = "body " + std::to_string(e.message) + (e.uid != 0 ? " uid=" + std::to_string(e.uid) : "") + " " +
               item_name(*e.item) + " size=" + std::to_string(e.size) + " " + quote(content_);
        CHECK(content_.size() == e.size);
        content_.clear();
        break;
      case kind::completed:
        line = "completed " + (e.command == imap::command_type::other ? std::string("other")
                                                                      : std::string(imap::to_string(e.command))) +
               (e.uid_command ? " UID " : " ") + shown(*e.resp);
        if (e.command == imap::command_type::select || e.command == imap::command_type::examine ||
            e.command == imap::command_type::close || e.command == imap::command_type::unselect ||
            c_.has("show_mailbox")) {
          log_.events.push_back(line);
          line = mailbox_line();
        }
        break;
      case kind::continuation: line = "continuation " + std::string(e.tag) + " " + shown(*e.resp); break;
      case kind::body_wanted: line = "body_wanted " + std::string(e.tag) + " size=" + std::to_string(e.size); break;
      case kind::idle_started: line = "idle_started " + std::string(e.tag); break;
      case kind::error:
        line = "error " + std::string(mailwire::to_name(e.error)) + (e.resp ? " " + shown(*e.resp) : "") + " @" +
               std::to_string(e.offset);
        break;
      case kind::closed: line = "closed"; break;
      default: line = "?"; break;
    }
    log_.events.push_back(line);
  }

  std::string mailbox_line() const {
    const imap::selected_mailbox& m = client_.mailbox();
    if (!m.selected) return "mailbox none";
    std::string s = "mailbox " + quote(m.name) + (m.read_only ? " read-only" : " read-write") +
                    " exists=" + std::to_string(m.exists) + " recent=" + std::to_string(m.recent) +
                    " uidvalidity=" + std::to_string(m.uidvalidity) + " uidnext=" + std::to_string(m.uidnext);
    if (m.unseen != 0) s += " unseen=" + std::to_string(m.unseen);
    if (m.highest_modseq != 0) s += " highestmodseq=" + std::to_string(m.highest_modseq);
    if (m.nomodseq) s += " nomodseq";
    s += " flags=(" + join(m.flags) + ")";
    if (m.has_permanent_flags) s += " permanentflags=(" + join(m.permanent_flags) + ")";
    return s;
  }

  void issue_commands() {
    const std::string list = text_of(c_, "commands", "LOGOUT");
    std::size_t from = 0;
    while (from <= list.size()) {
      const std::size_t semi = std::min(list.find(';', from), list.size());
      const std::string cmd = unescaped(c_, list.substr(from, semi - from));
      from = semi + 1;
      if (cmd == "IDLE") {
        act(cmd, client_.idle());
      } else if (cmd == "DONE") {
        act(cmd, client_.idle_done());
      } else if (cmd == "COMPRESS") {
        act(cmd, client_.compress());
      } else if (cmd == "LOGOUT") {
        act(cmd, client_.logout());
      } else {
        submit(cmd);
      }
    }
  }

  void submit(const std::string& cmd) {
    std::string text = "t " + cmd;
    std::vector<std::size_t> streamed;
    // A final literal announcement without its body: the body is streamed.
    if (!text.empty() && text.back() == '}') {
      streamed.push_back(text.rfind('{'));
      text += "\r\n";
    }
    std::string scratch;
    imap::command c;
    const errc e = imap::parse_command(text, c, scratch, {}, &streamed);
    INFO(c_.where() << ": command " << cmd);
    REQUIRE(e == errc::ok);
    // The command is serialised by submit(): its views need not outlive it.
    // Refused while the output is at max_pending_output: write, as an
    // application does, and submit again.
    errc r = client_.submit(c);
    while (r == errc::message_too_big && !client_.pending_output().empty()) {
      write(false);
      r = client_.submit(c);
    }
    act(cmd, r);
  }

  std::string content_;  // a streamed body so far
  std::string body_;     // body= (APPEND)
  std::size_t body_chunk_ = 0;
  std::size_t idle_untagged_ = 0;
};

mailwire_test::session_log run_client(const mailwire_test::transcript_case& c, const chunks& ch) {
  session s(c);
  return s.run(ch);
}

}  // namespace

TEST_CASE("IMAP client transcript vectors", "[imap][client][vectors]") {
  for (const char* file : {"/imap/client.md"}) {
    for (const auto& c : mailwire_test::load_transcripts(std::string(MAILWIRE_VECTORS_DIR) + file)) {
      // clang-format off
      c.require_known({"tls", "user", "password", "authzid", "token", "nonce", "method", "mechanism", "cleartext",
                       "enable", "no_pipelining", "inline_body_max", "max_pending_output", "max_line",
                       "max_inline_literal", "tag_prefix", "commands", "body", "body_chunk", "done_on_idle",
                       "answer", "show_mailbox", "done_after", "one_packet", "finish", "write_limit"});
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
