// imap::client against imap::server in memory: the setup (STARTTLS with a
// pass-through "TLS", AUTHENTICATE PLAIN and SCRAM-SHA-256, LOGIN), a
// mailbox selected, every message downloaded with UID FETCH BODY.PEEK[]
// as streamed bodies byte for byte (one of them larger than a literal held
// in memory), a message APPENDed as a streamed body and read back, IDLE
// with an update pushed, and LOGOUT, whatever the way the bytes are chunked
// between the two machines.
#include <mailwire/imap/client.hpp>
#include <mailwire/imap/server.hpp>
#include <mailwire/sasl/scram.hpp>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "catch.hpp"

namespace imap = mailwire::imap;
namespace sasl = mailwire::sasl;
using mailwire::errc;
using ck = imap::client_event_type;
using sk = imap::server_event_type;

namespace {

const char* const user = "alice";
const char* const password = "tr0ub4dor&3";

struct store {
  std::vector<std::string> messages;  // UID = index + 1
  std::uint32_t uidvalidity = 1796634417;
};

struct outcome {
  std::map<std::uint32_t, std::string> fetched;  // by UID
  std::vector<std::string> completed;            // "TYPE status"
  std::vector<std::string> errors;
  bool ready = false;
  bool tls = false;
  bool idled = false;
  bool closed = false;
  std::uint32_t exists_after_idle = 0;
  std::optional<sasl::mechanism> mechanism;
  imap::selected_mailbox mailbox;
};

// The server's side of the application: a one-mailbox store.
class server_app {
 public:
  server_app(imap::server& s, store& st) : s_(s), st_(st) {}

  // One server event; false when nothing more can happen without I/O.
  bool handle(const imap::server_event& e) {
    switch (e.type) {
      case sk::need_more:
      case sk::write_output: return false;
      case sk::closed: return false;
      case sk::paused: go_on(); return true;
      case sk::login:
        REQUIRE((e.user == user && e.password == password
                     ? s_.accept_login()
                     : s_.reject_login(imap::code_kind::authenticationfailed, "no")) == errc::ok);
        return true;
      case sk::auth_start: REQUIRE(s_.auth_begin("3rfcNHYJY1ZVvWVs7j") == errc::ok); return true;
      case sk::auth_check: {
        const sasl::server_request& r = *e.auth;
        if (r.type == sasl::request_type::password) {
          REQUIRE((r.username == user && r.password == password
                       ? s_.accept_login()
                       : s_.reject_login(imap::code_kind::authenticationfailed, "no")) == errc::ok);
        } else {
          REQUIRE(r.type == sasl::request_type::scram_keys);
          sasl::scram_keys keys;
          REQUIRE(sasl::make_scram_keys(e.mechanism, password, "salt1234", 4096, keys) == errc::ok);
          REQUIRE(s_.auth_provide_scram(keys) == errc::ok);
        }
        return true;
      }
      case sk::starttls: {
        std::string_view rest;
        REQUIRE(s_.take_unconsumed(rest) == errc::ok);
        REQUIRE(rest.empty());
        tls_pending_ = true;  // the "handshake" ends once the OK is written
        return true;
      }
      case sk::literal:
        appended_.clear();
        REQUIRE(s_.accept_literal() == errc::ok);
        return true;
      case sk::append_chunk: appended_.append(e.data.data(), e.data.size()); return true;
      case sk::append_end: return true;
      case sk::idle:
        // Another session delivered a message meanwhile.
        st_.messages.push_back("Subject: new\r\n\r\narrived during IDLE\r\n");
        REQUIRE(s_.notify_exists(static_cast<std::uint32_t>(st_.messages.size())) == errc::ok);
        return true;
      case sk::idle_done: return true;
      case sk::authenticated: return true;
      case sk::error: FAIL("server error " << mailwire::to_name(e.error)); return true;
      case sk::command: command(e); return true;
      default: FAIL("unexpected server event " << static_cast<int>(e.type)); return true;
    }
  }

  bool tls_pending() const { return tls_pending_; }
  void tls_done() {
    tls_pending_ = false;
    REQUIRE(s_.tls_established() == errc::ok);
  }

 private:
  void command(const imap::server_event& e) {
    const imap::command& c = *e.cmd;
    tag_ = std::string(e.tag);
    switch (c.type) {
      case imap::command_type::select:
      case imap::command_type::examine: {
        imap::response r;
        r.type = imap::response_type::flags;
        r.flags = {imap::flag::system(imap::flag_kind::seen), imap::flag::system(imap::flag_kind::deleted)};
        REQUIRE(s_.untagged(r) == errc::ok);
        r.clear();
        r.type = imap::response_type::exists;
        r.number = static_cast<std::uint32_t>(st_.messages.size());
        REQUIRE(s_.untagged(r) == errc::ok);
        r.clear();
        r.code.kind = imap::code_kind::uidvalidity;
        r.code.number = st_.uidvalidity;
        r.text = "UIDs valid";
        REQUIRE(s_.untagged(r) == errc::ok);
        r.code.kind = imap::code_kind::uidnext;
        r.code.number = st_.messages.size() + 1;
        r.text = "Predicted next UID";
        REQUIRE(s_.untagged(r) == errc::ok);
        REQUIRE(s_.complete(e.tag, imap::status_kind::ok, imap::code_kind::read_write, "Select completed") ==
                errc::ok);
        return;
      }
      case imap::command_type::fetch: {
        const auto& a = std::get<imap::fetch_args>(c.args);
        queue_.clear();
        for (std::uint32_t uid = 1; uid <= st_.messages.size(); ++uid) {
          if (a.set.contains(uid, static_cast<std::uint32_t>(st_.messages.size()))) queue_.push_back(uid);
        }
        go_on();
        return;
      }
      case imap::command_type::append: {
        st_.messages.push_back(appended_);
        imap::resp_code code;
        code.kind = imap::code_kind::appenduid;
        code.number = st_.uidvalidity;
        code.set = imap::sequence_set(static_cast<std::uint32_t>(st_.messages.size()));
        REQUIRE(s_.complete(e.tag, imap::status_kind::ok, code, "Append completed") == errc::ok);
        return;
      }
      default: REQUIRE(s_.complete(e.tag, imap::status_kind::bad, "not in this test") == errc::ok); return;
    }
  }

  // FETCH: one response per message, each body streamed in pieces of 1000.
  void go_on() {
    if (s_.body_remaining() > 0) {
      const std::string& m = st_.messages[sending_ - 1];
      const std::size_t at = m.size() - static_cast<std::size_t>(s_.body_remaining());
      REQUIRE(s_.send_body(std::string_view(m).substr(at, 1000)) == errc::ok);
      return;
    }
    if (queue_.empty()) {
      REQUIRE(s_.complete(tag_, imap::status_kind::ok, "Fetch completed") == errc::ok);
      return;
    }
    sending_ = queue_.front();
    queue_.erase(queue_.begin());
    imap::response r;
    r.type = imap::response_type::fetch;
    r.fetch.seq = sending_;
    imap::fetch_item uid;
    uid.kind = imap::fetch_item_kind::uid;
    uid.number = sending_;
    imap::fetch_item body;
    body.kind = imap::fetch_item_kind::body_section;
    imap::literal_body content;
    content.streamed = true;
    content.size = st_.messages[sending_ - 1].size();
    body.content = content;
    r.fetch.items = {uid, body};
    REQUIRE(s_.untagged(r) == errc::ok);
  }

  imap::server& s_;
  store& st_;
  std::string tag_;
  std::vector<std::uint32_t> queue_;
  std::uint32_t sending_ = 0;
  std::string appended_;
  bool tls_pending_ = false;
};

const std::string appended_message = "From: bob@example.net\r\nSubject: appended\r\n\r\n" + std::string(3000, 'z') + "\r\n";

// Runs one session, bytes crossing in pieces of `chunk` (0: all at once).
outcome run(imap::client_options co, imap::server_options so, store& st, std::size_t chunk) {
  imap::client c(co);
  imap::server s(so);
  server_app app(s, st);
  outcome out;
  std::string body;         // the FETCH body being received
  std::size_t step = 0;     // the client application's script
  std::string to_server;    // client output not yet fed to the server
  std::string to_client;
  bool client_tls_pending = false;

  auto client_step = [&](const imap::client_event& e) -> bool {
    switch (e.type) {
      case ck::need_more: return false;
      case ck::write_output:
        to_server += std::string(c.pending_output());
        c.consume_output(c.pending_output().size());
        return true;
      case ck::closed: out.closed = true; return false;
      case ck::starttls: client_tls_pending = true; return false;
      case ck::ready: {
        out.ready = true;
        out.tls = c.tls();
        out.mechanism = c.auth_mechanism();
        imap::command sel;
        sel.type = imap::command_type::select;
        sel.args = imap::select_args{"INBOX", false, std::nullopt, {}};
        REQUIRE(c.submit(sel) == errc::ok);
        imap::command f;
        f.type = imap::command_type::fetch;
        f.uid = true;
        imap::fetch_attribute a;
        a.kind = imap::fetch_attribute_kind::body_section;
        a.peek = true;
        f.args = imap::fetch_args{imap::sequence_set(imap::seq_range{1, imap::seq_star}), {a}, true, std::nullopt,
                                  false};
        REQUIRE(c.submit(f) == errc::ok);
        imap::command app_cmd;
        app_cmd.type = imap::command_type::append;
        imap::append_args aa;
        aa.mailbox = "INBOX";
        imap::append_message m;
        m.message.streamed = true;
        m.message.size = appended_message.size();
        aa.messages.push_back(m);
        app_cmd.args = aa;
        REQUIRE(c.submit(app_cmd) == errc::ok);
        return true;
      }
      case ck::body_wanted:
        REQUIRE(e.size == appended_message.size());
        for (std::size_t at = 0; at < appended_message.size(); at += 777) {
          REQUIRE(c.send_body(std::string_view(appended_message).substr(at, 777)) == errc::ok);
        }
        REQUIRE(c.end_body() == errc::ok);
        return true;
      case ck::fetch_chunk: body.append(e.bytes.data(), e.bytes.size()); return true;
      case ck::fetch_chunk_end:
        REQUIRE(e.uid != 0);
        REQUIRE(body.size() == e.size);
        out.fetched[e.uid] = body;
        body.clear();
        return true;
      case ck::completed:
        out.completed.push_back(std::string(imap::to_string(e.command)) + " " +
                                std::string(imap::to_string(e.status)));
        if (e.command == imap::command_type::append) {
          ++step;
          // Read the new message back, then IDLE.
          imap::command f;
          f.type = imap::command_type::fetch;
          f.uid = true;
          imap::fetch_attribute a;
          a.kind = imap::fetch_attribute_kind::body_section;
          a.peek = true;
          f.args = imap::fetch_args{imap::sequence_set(static_cast<std::uint32_t>(st.messages.size())), {a}, true,
                                    std::nullopt, false};
          REQUIRE(c.submit(f) == errc::ok);
          REQUIRE(c.idle() == errc::ok);
        } else if (e.command == imap::command_type::idle) {
          out.exists_after_idle = c.mailbox().exists;
          REQUIRE(c.logout() == errc::ok);
        } else if (e.command == imap::command_type::select) {
          out.mailbox = c.mailbox();
        }
        return true;
      case ck::idle_started: out.idled = true; return true;
      case ck::untagged:
        // The update pushed during IDLE: enough, DONE.
        if (c.idling() && e.resp->type == imap::response_type::exists) REQUIRE(c.idle_done() == errc::ok);
        return true;
      case ck::error: out.errors.push_back(std::string(mailwire::to_name(e.error))); return true;
      default: FAIL("unexpected client event " << static_cast<int>(e.type)); return true;
    }
  };

  // Feeds `bytes` to a machine `chunk` bytes at a time, pulling its events
  // after each piece.
  auto deliver = [&](std::string& bytes, auto&& feed, auto&& pull) {
    while (!bytes.empty()) {
      const std::size_t piece = chunk == 0 ? bytes.size() : std::min(chunk, bytes.size());
      const std::size_t n = feed(std::string_view(bytes).substr(0, piece));
      bytes.erase(0, n);
      pull();
      if (n == 0) break;
    }
  };
  auto pull_client = [&] {
    for (int guard = 0; guard < 100000; ++guard) {
      if (!client_step(c.next())) return;
    }
    FAIL("client loops");
  };
  auto pull_server = [&] {
    for (int guard = 0; guard < 100000; ++guard) {
      const imap::server_event e = s.next();
      if (e.type == sk::write_output || (e.type == sk::paused && !s.pending_output().empty())) {
        to_client += std::string(s.pending_output());
        s.consume_output(s.pending_output().size());
        if (e.type == sk::write_output) continue;
      }
      if (!app.handle(e)) {
        to_client += std::string(s.pending_output());
        s.consume_output(s.pending_output().size());
        return;
      }
    }
    FAIL("server loops");
  };

  pull_server();
  pull_client();
  for (int round = 0; round < 100000 && !out.closed; ++round) {
    const bool idle = to_client.empty() && to_server.empty() && c.pending_output().empty() &&
                      s.pending_output().empty() && !client_tls_pending && !app.tls_pending();
    if (idle) break;
    deliver(to_client, [&](std::string_view b) { return c.feed(b); }, pull_client);
    to_server += std::string(c.pending_output());
    c.consume_output(c.pending_output().size());
    deliver(to_server, [&](std::string_view b) { return s.feed(b); }, pull_server);
    // The pass-through "handshake": both sides switch once the OK is out.
    if (client_tls_pending && app.tls_pending() && to_client.empty()) {
      app.tls_done();
      client_tls_pending = false;
      REQUIRE(c.tls_established() == errc::ok);
      pull_client();
      pull_server();
    } else {
      pull_client();
    }
  }
  return out;
}

imap::server_options server_opts(bool starttls) {
  imap::server_options so;
  so.offer_starttls = starttls;
  so.allow_plaintext_auth = !starttls;
  so.auth_mechanisms = {sasl::mechanism::plain, sasl::mechanism::scram_sha_256};
  so.extensions.idle = true;
  so.extensions.uidplus = true;
  so.frame.max_inline_literal = 1024;
  return so;
}

}  // namespace

TEST_CASE("imap client and server in memory", "[imap][client][server][pair]") {
  struct variant {
    const char* name;
    mailwire::tls_policy tls;
    imap::login_choice method;
    std::optional<sasl::mechanism> mechanism;
    bool pipelining;
  };
  const variant variants[] = {
      {"STARTTLS, SCRAM-SHA-256, pipelined", mailwire::tls_policy::required, imap::login_choice::automatic,
       std::nullopt, true},
      {"STARTTLS, PLAIN named, one at a time", mailwire::tls_policy::opportunistic, imap::login_choice::sasl,
       sasl::mechanism::plain, false},
      {"no TLS, LOGIN allowed in clear", mailwire::tls_policy::none, imap::login_choice::login, std::nullopt, true},
  };
  for (const variant& v : variants) {
    for (const std::size_t chunk : {std::size_t{0}, std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{7},
                                    std::size_t{64}, std::size_t{1000}, std::size_t{65536}}) {
      DYNAMIC_SECTION(v.name << ", chunks of " << chunk) {
        store st;
        st.messages = {"Subject: one\r\n\r\nhello\r\n", std::string("Subject: two\r\n\r\n") + std::string(70000, 'x'),
                       "", std::string("Subject: nul\r\n\r\na\0b\r\n", 22)};
        const std::vector<std::string> before = st.messages;
        imap::client_options co;
        co.tls = v.tls;
        co.method = v.method;
        co.mechanism = v.mechanism;
        co.pipelining = v.pipelining;
        co.username = user;
        co.password = password;
        co.nonce = "fyko+d2lbbFgONRv9qkxdawL";
        co.auth_policy.have_nonce = true;
        co.allow_cleartext_login = v.tls == mailwire::tls_policy::none;
        const outcome out = run(co, server_opts(v.tls != mailwire::tls_policy::none), st, chunk);
        CHECK(out.errors.empty());
        REQUIRE(out.ready);
        CHECK(out.tls == (v.tls != mailwire::tls_policy::none));
        if (v.method == imap::login_choice::login) {
          CHECK_FALSE(out.mechanism);
        } else {
          CHECK(out.mechanism == (v.mechanism ? *v.mechanism : sasl::mechanism::scram_sha_256));
        }
        CHECK(out.mailbox.selected);
        CHECK(out.mailbox.exists == before.size());
        CHECK(out.mailbox.uidvalidity == st.uidvalidity);
        CHECK(out.mailbox.uidnext == before.size() + 1);
        // Every message byte for byte, and the appended one read back.
        REQUIRE(out.fetched.size() == before.size() + 1);
        for (std::uint32_t uid = 1; uid <= before.size(); ++uid) CHECK(out.fetched.at(uid) == before[uid - 1]);
        CHECK(st.messages.at(before.size()) == appended_message);
        CHECK(out.fetched.at(static_cast<std::uint32_t>(before.size() + 1)) == appended_message);
        CHECK(out.idled);
        CHECK(out.exists_after_idle == before.size() + 2);
        CHECK(out.completed == std::vector<std::string>{"SELECT OK", "FETCH OK", "APPEND OK", "FETCH OK", "IDLE OK",
                                                        "LOGOUT OK"});
        CHECK(out.closed);
      }
    }
  }
}
