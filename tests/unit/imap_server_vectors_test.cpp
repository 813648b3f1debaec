// imap::server against transcript vectors (tests/vectors/imap/server*.md),
// whole, at every split and byte by byte. `C:` lines are fed to the
// server; `S:` lines are what it must write. The adapter below is the
// "application", driven by the case's options:
//
// server_options: greeting=TEXT; preauth; tls_active; starttls
//   (offer_starttls); plaintext (allow_plaintext_auth); require_tls;
//   sasl=NAMES (auth_mechanisms); caps=a,b,... turns extensions on (idle,
//   enable, namespace, id, unselect, uidplus, move, children,
//   list_extended, list_status, special_use, binary, esearch, searchres,
//   sort, condstore, qresync, utf8_accept, quota, metadata, multiappend,
//   catenate, imap4rev2, thread=ALG, other=ATOM) or off (no_rev1,
//   no_literal_plus, literal_minus, no_sasl_ir); appendlimit=N;
//   noop_events (answer_noop off); max_line, max_message,
//   max_inline_literal, max_literals, max_buffered, max_depth, max_errors,
//   max_auth_failures, max_pending_output, max_pipelined.
// the application: users=name:secret,... (default alice:secret) for LOGIN
//   and SASL, as in the POP3 vectors; nonce=TEXT for auth_begin (default
//   SERVERNONCE). reply.NAME=RESPONSE | RESPONSE | ... answers the command
//   NAME ("SELECT", "UID_FETCH"; "UID " written "UID_"): each untagged
//   response is given to untagged(), the last item ("OK [code] text",
//   "NO ...", "BAD ...") to complete() with the command's tag; without a
//   rule: OK "NAME completed". push.NAME=... is given to notify() before
//   the answer (push.IDLE at the idle event). stream_bodies: FETCH body
//   contents are streamed (send_body() in pieces of piece=N bytes, default
//   whole). literal=refuse:TEXT refuses every APPEND literal with "NO
//   TEXT" (TEXT may start with a code); refuse_index=N only the Nth (from
//   0) of an APPEND. bye_on=NAME calls bye("Server shutting down") at that
//   command.
// the loop: log_unconsumed (after starttls nothing goes back to the
//   server: take_unconsumed() and every later byte are "TLS bytes",
//   logged at the end); finish (finish() after the last byte); stall (the
//   client never reads: nothing is written until the end, where the
//   largest pending output seen is logged, then everything is written
//   and the rest of the input served).
//
// Event log, one line per event: the type and its fields (see record()).
#include <mailwire/imap/server.hpp>
#include <mailwire/sasl/scram.hpp>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "catch.hpp"
#include "grind.hpp"
#include "machine_harness.hpp"
#include "transcript.hpp"

namespace imap = mailwire::imap;
namespace sasl = mailwire::sasl;
using mailwire::errc;
using mailwire_test::chunks;
using mailwire_test::quote;
using mailwire_test::split;
using mailwire_test::text_of;
using kind = imap::server_event_type;

namespace {

imap::server_options options_of(const mailwire_test::transcript_case& c) {
  imap::server_options o;
  if (c.has("greeting")) o.greeting = c.options.at("greeting");
  o.preauth = c.has("preauth");
  o.tls_active = c.has("tls_active");
  o.offer_starttls = c.has("starttls");
  o.allow_plaintext_auth = c.has("plaintext");
  o.require_tls = c.has("require_tls");
  o.auth_mechanisms = sasl::mechanism_set::parse(text_of(c, "sasl"));
  imap::server_extensions& x = o.extensions;
  for (const std::string& cap : split(text_of(c, "caps"), ",")) {
    if (cap == "idle") x.idle = true;
    else if (cap == "enable") x.enable = true;
    else if (cap == "namespace") x.namespace_ = true;
    else if (cap == "id") x.id = true;
    else if (cap == "unselect") x.unselect = true;
    else if (cap == "uidplus") x.uidplus = true;
    else if (cap == "move") x.move = true;
    else if (cap == "children") x.children = true;
    else if (cap == "list_extended") x.list_extended = true;
    else if (cap == "list_status") x.list_status = true;
    else if (cap == "special_use") x.special_use = true;
    else if (cap == "binary") x.binary = true;
    else if (cap == "esearch") x.esearch = true;
    else if (cap == "searchres") x.searchres = true;
    else if (cap == "sort") x.sort = true;
    else if (cap == "condstore") x.condstore = true;
    else if (cap == "qresync") x.qresync = true;
    else if (cap == "utf8_accept") x.utf8_accept = true;
    else if (cap == "quota") x.quota = true;
    else if (cap == "metadata") x.metadata = true;
    else if (cap == "multiappend") x.multiappend = true;
    else if (cap == "catenate") x.catenate = true;
    else if (cap == "imap4rev2") x.imap4rev2 = true;
    else if (cap == "no_rev1") x.imap4rev1 = false;
    else if (cap == "no_literal_plus") x.literal_plus = false;
    else if (cap == "literal_minus") x.literal_minus = true;
    else if (cap == "no_sasl_ir") x.sasl_ir = false;
    else if (cap.rfind("thread=", 0) == 0) x.thread.push_back(cap.substr(7));
    else if (cap.rfind("other=", 0) == 0) x.other.push_back(cap.substr(6));
    else FAIL(c.where() << ": unknown capability option " << cap);
  }
  if (c.has("appendlimit")) o.max_append_size = c.number("appendlimit", 0);
  o.answer_noop = !c.has("noop_events");
  o.frame.max_line = c.number("max_line", o.frame.max_line);
  o.frame.max_message = c.number("max_message", o.frame.max_message);
  o.frame.max_inline_literal = c.number("max_inline_literal", o.frame.max_inline_literal);
  o.frame.max_literals = c.number("max_literals", o.frame.max_literals);
  o.frame.max_buffered = c.number("max_buffered", o.frame.max_buffered);
  o.max_depth = c.number("max_depth", o.max_depth);
  o.max_errors = c.number("max_errors", o.max_errors);
  o.max_auth_failures = c.number("max_auth_failures", o.max_auth_failures);
  o.max_pending_output = c.number("max_pending_output", o.max_pending_output);
  o.max_pipelined = c.number("max_pipelined", o.max_pipelined);
  return o;
}

const char* name_of(imap::session_state s) {
  switch (s) {
    case imap::session_state::not_authenticated: return "not_authenticated";
    case imap::session_state::authenticated: return "authenticated";
    case imap::session_state::selected: return "selected";
    case imap::session_state::logout: return "logout";
  }
  return "?";
}

const char* name_of(imap::login_method m) {
  switch (m) {
    case imap::login_method::login: return "login";
    case imap::login_method::sasl: return "sasl";
    case imap::login_method::preauth: return "preauth";
  }
  return "?";
}

// "SELECT", "UID_FETCH", or an unknown command's name upper-cased.
std::string key_of(const imap::command& c) {
  std::string name(c.type == imap::command_type::other ? c.name : imap::to_string(c.type));
  for (char& ch : name) ch = mailwire::ascii::to_upper(ch);
  return c.uid ? "UID_" + name : name;
}

// The application and the loop, for one chunking of the client's bytes.
class session : public mailwire_test::server_harness<session, imap::server> {
 public:
  explicit session(const mailwire_test::transcript_case& c) : server_harness(c, options_of(c)) {}

 private:
  friend server_harness;

  void drain() {
    for (;;) {
      const imap::server_event e = server_.next();
      switch (e.type) {
        case kind::need_more: return;
        case kind::write_output:
          if (!write_pending()) return;
          continue;
        case kind::paused:
          if (bodies_.empty()) {
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

  void record(const imap::server_event& e) {
    std::string line;
    switch (e.type) {
      case kind::command:
        line = "command " + std::string(e.tag) + " " + key_of(*e.cmd) + " in " + name_of(e.state);
        break;
      case kind::login: line = "login " + std::string(e.user) + " " + quote(e.password); break;
      case kind::auth_start: line = "auth_start " + std::string(sasl::to_string(e.mechanism)); break;
      case kind::auth_check:
        line = "auth_check " + std::string(sasl::to_string(e.mechanism)) + " " + std::string(e.auth->username);
        break;
      case kind::authenticated:
        line = "authenticated " + std::string(e.user) + " " + name_of(e.method);
        if (e.method == imap::login_method::sasl) line += " " + std::string(sasl::to_string(e.mechanism));
        break;
      case kind::literal: {
        const imap::append_literal& l = *e.literal;
        line = "literal " + std::string(l.tag) + " " + quote(l.mailbox) + " size=" + std::to_string(l.size) +
               " index=" + std::to_string(l.index) + (l.synchronizing ? " sync" : " nonsync");
        if (l.binary) line += " binary";
        if (l.utf8) line += " utf8";
        if (l.catenate) line += " catenate";
        if (l.has_flags) {
          line += " flags=(";
          for (std::size_t i = 0; i < l.flags.size(); ++i) {
            std::string f;
            REQUIRE(imap::write(f, l.flags[i]) == errc::ok);
            line += (i ? " " : "") + f;
          }
          line += ")";
        }
        if (l.internal_date) {
          std::string d;
          REQUIRE(imap::write(d, *l.internal_date) == errc::ok);
          line += " date=" + d;
        }
        break;
      }
      case kind::append_chunk: appended_.append(e.data.data(), e.data.size()); return;
      case kind::append_end:
        line = "append_end " + quote(appended_);
        appended_.clear();
        break;
      case kind::append_abort:
        line = "append_abort";
        appended_.clear();
        break;
      case kind::starttls: line = "starttls"; break;
      case kind::idle: line = "idle " + std::string(e.tag); break;
      case kind::idle_done:
        line = "idle_done " + std::string(e.tag);
        if (e.error != errc::ok) line += " " + std::string(mailwire::to_name(e.error));
        break;
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

  // Parses one response written as on the wire (no CRLF); `tag` is put in
  // front of a final status ("OK ...").
  bool parse(const std::string& text, imap::response& r) {
    lines_.push_back(std::make_unique<std::string>());
    std::string& line = *lines_.back();
    REQUIRE(mailwire_test::detail::unescape(text, line));
    scratch_.push_back(std::make_unique<std::string>());
    const errc e = imap::parse_response(line, r, *scratch_.back());
    INFO(c_.where() << ": response " << quote(line));
    REQUIRE(e == errc::ok);
    return true;
  }

  void push(const std::string& key) {
    for (const std::string& text : split(text_of(c_, key), " | ")) {
      imap::response r;
      parse(text, r);
      act("notify", server_.notify(r));
    }
  }

  void reply(const imap::command& cmd) {
    const std::string key = key_of(cmd);
    push("push." + key);
    if (text_of(c_, "bye_on") == key) {
      act("bye", server_.bye("Server shutting down"));
      return;
    }
    std::vector<std::string> items = split(text_of(c_, "reply." + key), " | ");
    std::string name = key;
    if (cmd.uid) name.replace(3, 1, " ");
    if (items.empty()) items.push_back("OK " + name + " completed");
    tag_.assign(cmd.tag.data(), cmd.tag.size());
    for (std::size_t i = 0; i + 1 < items.size(); ++i) {
      auto r = std::make_unique<imap::response>();
      parse(items[i], *r);
      pending_.push_back(std::move(r));
    }
    final_ = items.back();
    respond();
  }

  // Gives the queued untagged responses, streaming bodies as asked, then
  // the final status; stops while a body streams (next() says paused).
  void respond() {
    while (!pending_.empty()) {
      imap::response& r = *pending_.front();
      if (c_.has("stream_bodies") && r.type == imap::response_type::fetch) {
        for (imap::fetch_item& it : r.fetch.items) {
          if (it.content && !it.content->streamed) {
            bodies_.emplace_back(it.content->data);
            it.content->streamed = true;
            it.content->data = {};
          }
        }
      }
      act("untagged", server_.untagged(r));
      pending_.erase(pending_.begin());
      if (!bodies_.empty()) return;
    }
    if (final_.empty()) return;
    imap::response r;
    parse("T " + final_, r);
    final_.clear();
    act("complete", server_.complete(tag_, r.status, r.code, r.text));
  }

  // The next piece of the body being streamed; at its end, on with the
  // answer.
  void stream() {
    std::string& body = bodies_.front();
    const std::size_t n = piece_ == 0 ? body.size() : std::min(piece_, body.size());
    act("send_body", server_.send_body(std::string_view(body).substr(0, n)));
    body.erase(0, n);
    if (body.empty()) {
      bodies_.erase(bodies_.begin());
      if (bodies_.empty()) respond();
    }
  }

  void answer(const imap::server_event& e) {
    switch (e.type) {
      case kind::command: reply(*e.cmd); break;
      case kind::login:
        act("login", right(e.user, e.password)
                         ? server_.accept_login()
                         : server_.reject_login(imap::code_kind::authenticationfailed, "Invalid credentials"));
        break;
      case kind::auth_start: act("auth_begin", server_.auth_begin(text_of(c_, "nonce", "SERVERNONCE"))); break;
      case kind::auth_check: {
        const sasl::server_request& r = *e.auth;
        const std::string secret = secret_of(r.username);
        switch (r.type) {
          case sasl::request_type::password:
            act("auth_check", right(r.username, r.password)
                                  ? server_.accept_login()
                                  : server_.reject_login(imap::code_kind::authenticationfailed, "Invalid credentials"));
            break;
          case sasl::request_type::secret: act("auth_check", server_.auth_provide_secret(secret)); break;
          case sasl::request_type::scram_keys: {
            sasl::scram_keys keys;
            REQUIRE(sasl::make_scram_keys(e.mechanism, secret, "salt", 4096, keys) == errc::ok);
            act("auth_check", server_.auth_provide_scram(keys));
            break;
          }
          default: act("auth_check", server_.reject_login(imap::code_kind::authenticationfailed, "Not allowed")); break;
        }
        break;
      }
      case kind::literal: {
        const std::string refuse = text_of(c_, "literal");
        const bool this_one = !c_.has("refuse_index") || c_.number("refuse_index", 0) == e.literal->index;
        if (refuse.rfind("refuse:", 0) == 0 && this_one) {
          imap::response r;
          parse("T NO " + refuse.substr(7), r);
          act("refuse_literal", server_.refuse_literal(r.code, r.text));
        } else {
          act("accept_literal", server_.accept_literal());
        }
        break;
      }
      case kind::idle: push("push.IDLE"); break;
      case kind::starttls: switch_to_tls(); break;
      default: break;
    }
  }

  // Texts and scratch the parsed responses point into, kept for the run.
  std::vector<std::unique_ptr<std::string>> lines_;
  std::vector<std::unique_ptr<std::string>> scratch_;
  std::vector<std::unique_ptr<imap::response>> pending_;
  std::vector<std::string> bodies_;
  std::string final_;
  std::string tag_;
  std::string appended_;
};

mailwire_test::session_log run_server(const mailwire_test::transcript_case& c, const chunks& ch) {
  session s(c);
  return s.run(ch);
}

}  // namespace

TEST_CASE("IMAP server transcript vectors", "[imap][server][vectors]") {
  for (const char* file : {"/imap/server.md"}) {
    for (const auto& c : mailwire_test::load_transcripts(std::string(MAILWIRE_VECTORS_DIR) + file)) {
      std::vector<const char*> known = {
          "greeting", "preauth", "tls_active", "starttls", "plaintext", "require_tls", "sasl", "caps",
          "appendlimit", "noop_events", "max_line", "max_message", "max_inline_literal", "max_literals",
          "max_buffered", "max_depth", "max_errors", "max_auth_failures", "max_pending_output", "max_pipelined",
          "users", "nonce", "stream_bodies", "piece", "literal", "refuse_index", "bye_on", "log_unconsumed",
          "finish", "stall"};
      for (const auto& kv : c.options) {
        const bool rule = kv.first.rfind("reply.", 0) == 0 || kv.first.rfind("push.", 0) == 0;
        const bool ok = rule || kv.first == "no_split" ||
                        std::find_if(known.begin(), known.end(), [&](const char* k) { return kv.first == k; }) !=
                            known.end();
        INFO(c.where() << ": unknown option '" << kv.first << "'");
        REQUIRE(ok);
      }
      DYNAMIC_SECTION(std::string(file + 1) + ":" + std::to_string(c.line) + " " + c.name) {
        mailwire_test::run_transcript(c, 'C', run_server);
      }
    }
  }
}
