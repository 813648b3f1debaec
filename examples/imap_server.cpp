// mailwire-imap-server: an IMAP server for one user's Maildir++ tree.
//
//   mailwire-imap-server --listen 127.0.0.1:1143 --maildir /tmp/Maildir --user alice:secret
//       [--tls-cert cert.pem --tls-key key.pem] [--implicit-tls] [--require-tls]
//       [--allow-plaintext-auth] [--max-message-size BYTES] [--max-connections N]
//       [--idle-timeout SECONDS] [--hostname NAME]
//
// One imap::server machine per connection, driven by the examples'
// transport (support/transport.hpp), answered from one imap_store
// (support/imap_store.hpp) every session of the process shares. The machine
// does the protocol (states, literals, LOGIN/AUTHENTICATE, STARTTLS, IDLE
// framing, ENABLE, the limits, the RFC 9051 7.5.1 rule on EXPUNGE); the
// store does the folders and messages; this file maps commands onto the
// store and store results onto responses.
//
// Sessions see each other's changes: after each command of one session,
// every other session with the same folder selected that is idling gets the
// changes at once (EXISTS, EXPUNGE, FETCH FLAGS), and a session that is not
// idling gets them at its next command that allows them (not FETCH, STORE
// or SEARCH by sequence number: its view keeps the numbers the client
// knows). An idling session also looks at its folder every few seconds, for
// what a delivery agent put there.
//
// A FETCH streams bodies larger than 64 KiB from their file in 64 KiB pieces
// when the machine says `paused`, so memory stays flat whatever a message's
// size, and a client that does not read stops the reading of the file.
#include <mailwire/imap/mailbox.hpp>
#include <mailwire/imap/server.hpp>

#include <algorithm>
#include <optional>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fmt/format.h>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "imap_store.hpp"
#include "program.hpp"
#include "transport.hpp"

namespace {

namespace mw = mailwire_example;
namespace imap = mailwire::imap;
namespace sasl = mailwire::sasl;
using mailwire::errc;
using kind = imap::server_event_type;
using imap::code_kind;
using imap::command_type;
using imap::status_kind;

// ------------------------------------------------------------------ config

// RFC 9051 5.4: the autologout timer "MUST be at least 30 minutes".
struct config : mw::mailbox_server_args {
  config() : mw::mailbox_server_args(1800) {}
  // What the store parses in memory (sections, structure, SEARCH): a
  // larger message could be stored but not served whole.
  std::uint64_t max_message_size = 64u * 1024 * 1024;
};

[[noreturn]] void usage(const std::string& why) {
  if (!why.empty()) fmt::print(stderr, "mailwire-imap-server: {}\n", why);
  std::FILE* to = why.empty() ? stdout : stderr;
  std::fputs(
      "usage: mailwire-imap-server --listen IP:PORT --maildir DIR --user USER:PASS\n"
      "       [--tls-cert FILE --tls-key FILE] [--implicit-tls] [--require-tls] [--allow-plaintext-auth]\n"
      "       [--max-message-size BYTES] [--max-connections N] [--idle-timeout SECONDS] [--hostname NAME]\n"
      "       mailwire-imap-server --help | --version\n",
      to);
  if (!why.empty()) std::exit(2);
  std::fputs(
      "\n"
      "An IMAP server (RFC 9051, RFC 3501) for one user's Maildir++ tree (Dovecot's\n"
      "Maildir layout: INBOX in DIR, folder \"A.B\" in DIR/.A.B), read-write, to many\n"
      "clients at once. Logs on stderr; peer-supplied text in it (user names) is\n"
      "escaped: \\\\ and \\\" for backslash and quote, \\t \\r \\n, \\xHH for other bytes\n"
      "outside printable ASCII and for space, < and >, \\uXXXX or \\U00XXXXXX for each\n"
      "UTF-8 character.\n"
      "\n"
      "  --listen IP:PORT       address and port to listen on (port 0: any free port);\n"
      "                         the first line on stdout is 'listening on IP:PORT'\n"
      "  --maildir DIR          the Maildir++ tree (DIR/cur, new, tmp are created if\n"
      "                         missing). One server per tree: UIDs are assigned here\n"
      "  --user USER:PASS       the one account. Logins: LOGIN, AUTHENTICATE PLAIN\n"
      "                         LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256 (SASL-IR)\n"
      "  --tls-cert FILE, --tls-key FILE\n"
      "                         PEM certificate chain and key: offers STARTTLS\n"
      "  --implicit-tls         TLS from the first byte (port-993 style) instead\n"
      "  --require-tls          before TLS serve no login at all (needs --tls-cert\n"
      "                         and --tls-key)\n"
      "  --allow-plaintext-auth offer LOGIN, PLAIN and LOGIN-mechanism without TLS too:\n"
      "                         they show the password to anyone on the path. Without\n"
      "                         it they wait for TLS (LOGINDISABLED; CRAM-MD5 and SCRAM\n"
      "                         do not)\n"
      "  --max-message-size BYTES\n"
      "                         largest message APPEND takes (advertised as\n"
      "                         APPENDLIMIT); a larger one is refused with NO [TOOBIG]\n"
      "                         before the client sends it. 1 to 2^63-1; default\n"
      "                         67108864 (64 MiB, the largest message the store parses)\n"
      "  --max-connections N    sessions at once (default 100); one more is answered\n"
      "                         '* BYE [UNAVAILABLE] too many connections' and closed\n"
      "                         (under --implicit-tls closed at once). 1 to 1000000\n"
      "  --idle-timeout SECONDS a session without a complete command (or, while a\n"
      "                         body is sent, without the client reading 4 KiB of it)\n"
      "                         for SECONDS gets '* BYE' and is closed. IDLE starts the\n"
      "                         timer again; a client re-issues IDLE within it. Default\n"
      "                         1800, RFC 9051's 30-minute minimum; 1 to 86400 (below\n"
      "                         1800 only for tests)\n"
      "  --hostname NAME        name in the greeting and the CRAM-MD5 challenge\n"
      "                         (default localhost)\n"
      "\n"
      "Capabilities: IMAP4rev1 LITERAL+ SASL-IR ENABLE IDLE NAMESPACE ID UNSELECT\n"
      "UIDPLUS MOVE CHILDREN SPECIAL-USE ESEARCH APPENDLIMIT CONDSTORE QRESYNC BINARY. Not\n"
      "offered: SORT, THREAD, MULTIAPPEND. BINARY decodes base64 and quoted-printable\n"
      "parts (others: NO [UNKNOWN-CTE]); APPEND takes literal8 (~{n}). MODSEQs are kept in mailwire-uidlist with the\n"
      "UIDs, and the last 4096 expunges of each folder for QRESYNC's VANISHED (EARLIER);\n"
      "a client resynchronising from before those is sent every UID not in the folder.\n"
      "Flags are kept in file names (:2,DFRST and a-z for up to 26 keywords, listed\n"
      "in dovecot-keywords); UIDVALIDITY and UIDs in each folder's mailwire-uidlist;\n"
      "INTERNALDATE is the file's modification time. Mailbox names are checked\n"
      "after modified UTF-7 decoding: no '/', no empty, '.' or '..' component.\n"
      "\n"
      "Out of file descriptors (ulimit -n), the server stops accepting for 100 ms at a\n"
      "time, or until a session ends: new clients wait in the kernel's queue meanwhile.\n"
      "\n"
      "SIGINT or SIGTERM stops the server (exit 0). Exit 2: a usage error; 1: setup failed.\n",
      stdout);
  std::exit(0);
}

config parse_args(int argc, char** argv) {
  config c;
  mw::arguments args(argc, argv, usage);
  while (args.next()) {
    const std::string& a = args.current();
    if (a == "--help" || a == "-h") {
      usage({});
    } else if (a == "--max-message-size") {
      c.max_message_size = args.number(1, INT64_MAX);
    } else if (!c.take(args)) {
      usage("unknown option " + a);
    }
  }
  c.check(args);
  return c;
}

// ------------------------------------------------------------------ server

// Bodies up to this size go in the response; larger ones stream, read in
// pieces of this size.
constexpr std::size_t body_piece = 64 * 1024;
// Answers queued past this much output wait for the client to read.
constexpr std::size_t output_high = 256 * 1024;
// While a body streams, the client reading this much of it is progress.
constexpr std::uint64_t read_progress = 4096;
// An idling session looks at its folder this often (deliveries by others).
constexpr std::chrono::seconds idle_poll{5};

class session;

struct shared {
  config cfg;
  std::size_t sessions = 0;
  std::set<session*> all;
  imap::server_options options;
  mw::tls_context tls;
  mw::account account;
  mw::imap_store store;
};

imap::resp_code code(code_kind k) {
  imap::resp_code r;
  r.kind = k;
  return r;
}

// The response code a store result is answered with.
imap::resp_code code_of(mw::store_code c) {
  switch (c) {
    case mw::store_code::ok: break;
    case mw::store_code::bad_name: return code(code_kind::cannot);
    case mw::store_code::nonexistent: return code(code_kind::nonexistent);
    case mw::store_code::trycreate: return code(code_kind::trycreate);
    case mw::store_code::already_exists: return code(code_kind::alreadyexists);
    case mw::store_code::has_children: return code(code_kind::haschildren);
    case mw::store_code::cannot: return code(code_kind::cannot);
    case mw::store_code::noselect: return code(code_kind::nonexistent);
    case mw::store_code::expunged: return code(code_kind::expungeissued);
    case mw::store_code::too_big: return code(code_kind::toobig);
    case mw::store_code::io_error: return code(code_kind::serverbug);
    case mw::store_code::unknown_cte: return code(code_kind::unknown_cte);
  }
  return {};
}

// Numbers as a sequence set, in the order given (COPYUID pairs source and
// destination UIDs by position), runs of consecutive numbers as ranges.
imap::sequence_set to_set(const std::vector<std::uint32_t>& v) {
  imap::sequence_set s;
  for (std::size_t i = 0; i < v.size();) {
    std::size_t j = i;
    while (j + 1 < v.size() && v[j + 1] == v[j] + 1) ++j;
    (void)s.add(imap::seq_range{v[i], v[j]});
    i = j + 1;
  }
  return s;
}

// One FETCH being answered, message by message, across paused events.
struct fetch_job {
  std::string tag;
  std::vector<std::uint32_t> seqs;
  std::size_t next = 0;
  // The message whose response streams, and its streamed bodies in order.
  mw::message msg;
  std::vector<mw::section_bytes> bodies;
  std::size_t body = 0;
  bool failed = false;
  bool unknown_cte = false;  // a BINARY part it cannot decode: NO [UNKNOWN-CTE] (RFC 3516)
  bool seen_set = false;     // a body without PEEK: \Seen was set on them all
};

class session final : public mw::handler {
 public:
  session(shared& sh, std::string peer) : sh_(sh), imap_(sh.options), peer_(std::move(peer)) {
    ++sh_.sessions;
    sh_.all.insert(this);
  }
  ~session() override {
    sh_.all.erase(this);
    --sh_.sessions;
  }
  session(const session&) = delete;
  session& operator=(const session&) = delete;

  void on_open(mw::connection& c) override {
    conn_ = &c;
    progress();
  }

  std::size_t on_plaintext(mw::connection&, std::string_view bytes) override {
    if (timed_out_) return bytes.size();
    drain();
    const std::size_t n = imap_.feed(bytes);
    drain();
    return n;
  }
  std::string_view pending_plaintext() override { return imap_.pending_output(); }
  void consume_plaintext(std::size_t n) override {
    imap_.consume_output(n);
    if ((read_since_ += n) >= read_progress && job_) progress();
    drain();
  }

  void on_tls_established(mw::connection& c) override {
    (void)imap_.tls_established();
    tls_ = c.tls()->protocol();
    progress();
    drain();
  }

  void on_timeout(mw::connection& c) override {
    if (mw::deadline_clock::now() < idle_deadline_) {  // the idle poll, not the timeout
      if (idling_) {
        push_changes();
        drain();  // a BYE (the folder went away) closes
      }
      arm();
      return;
    }
    timed_out_ = true;
    fmt::print(stderr, "{} idle timeout: no command for {} s\n", peer_, sh_.cfg.idle_timeout);
    if (imap_.bye("Autologout; idle for too long") == errc::ok) {
      c.pump();
      c.close();
    } else {
      c.abort("idle timeout");
    }
  }

  void on_close(mw::connection&, std::string_view why) override {
    if (!why.empty()) fmt::print(stderr, "{} closed: {}\n", peer_, why);
    job_.reset();
    view_.reset();
    appender_.reset();
  }

  // Another session finished a command: an idling session with a folder
  // selected looks at it now.
  void others_changed() {
    if (idling_ && view_ && conn_ != nullptr) {
      push_changes();
      drain();  // a BYE (the folder went away) closes
      conn_->pump();
    }
  }

 private:
  void progress() {
    read_since_ = 0;
    idle_deadline_ = mw::deadline_clock::now() + std::chrono::seconds(sh_.cfg.idle_timeout);
    arm();
  }
  void arm() {
    if (conn_ == nullptr) return;
    auto when = idle_deadline_;
    if (idling_) when = std::min(when, mw::deadline_clock::now() + idle_poll);
    conn_->set_deadline(when);
  }

  void drain() {
    if (draining_ || conn_ == nullptr || timed_out_) return;
    draining_ = true;
    drain_events();
    draining_ = false;
  }

  void drain_events() {
    for (;;) {
      const imap::server_event e = imap_.next();
      switch (e.type) {
        case kind::need_more:
        case kind::write_output: return;
        case kind::paused:
          if (!job_ || !fetch_step()) return;
          break;
        case kind::command:
          progress();
          command(e);
          break;
        case kind::login:
          attempt(e.user, "LOGIN");
          (void)(sh_.account.accepts(e.user, e.password) ? imap_.accept_login() : refuse_login());
          break;
        case kind::auth_start:  // logged at auth_check, once the user is known
          if (imap_.auth_begin(mw::random_nonce(24)) != errc::ok) {
            (void)imap_.reject_login(code_kind::unavailable, "Authentication unavailable");
          }
          break;
        case kind::auth_check: auth_check(*e.auth, e.mechanism); break;
        case kind::authenticated:
          user_ = mw::log_escape(e.user);
          fmt::print(stderr, "{} {} logged in ({}) tls={}\n", peer_, user_,
                     e.method == imap::login_method::sasl ? sasl::to_string(e.mechanism) : "LOGIN",
                     tls_.empty() ? "no" : tls_);
          break;
        case kind::literal: literal(*e.literal); break;
        case kind::append_chunk:  // a message uploading is progress
          if (appender_ && append_error_.ok()) append_error_ = appender_->write(e.data);
          progress();
          break;
        case kind::append_end: break;
        case kind::append_abort: appender_.reset(); break;
        case kind::idle:
          idling_ = true;
          progress();  // IDLE re-arms the autologout timer
          push_changes();
          break;
        case kind::idle_done:
          idling_ = false;
          progress();
          break;
        case kind::starttls: {
          std::string_view rest;
          (void)imap_.take_unconsumed(rest);
          conn_->start_tls_server(sh_.tls.get(), rest);
          return;
        }
        case kind::error:
          fmt::print(stderr, "{} error {} at byte {}\n", peer_, mailwire::to_name(e.error), e.offset);
          break;
        case kind::closed:
          job_.reset();
          conn_->close();
          return;
      }
    }
  }

  errc refuse_login() { return imap_.reject_login(code_kind::authenticationfailed, "Authentication failed"); }

  void attempt(std::string_view user, std::string_view how) {
    fmt::print(stderr, "{} login attempt {} ({})\n", peer_, user.empty() ? "-" : mw::log_escape(user), how);
  }

  void auth_check(const sasl::server_request& rq, sasl::mechanism m) {
    using k = mw::account::answer::kind;
    attempt(rq.username, sasl::to_string(m));
    const mw::account::answer a = sh_.account.check(rq, m);
    switch (a.what) {
      case k::accept: (void)imap_.accept_login(); return;
      case k::provide_secret: (void)imap_.auth_provide_secret(a.secret); return;
      case k::provide_scram: (void)imap_.auth_provide_scram(*a.keys); return;
      case k::reject: break;
    }
    (void)refuse_login();
  }

  // A mailbox name off the wire, in UTF-8 (empty when it does not decode).
  bool name_of(std::string_view wire, std::string& out) {
    out.clear();
    return imap::mailbox_from_wire(wire, imap_.enabled().utf8_accept, out) == errc::ok;
  }
  std::string wire_name(const std::string& utf8) {
    std::string w;
    if (imap::mailbox_to_wire(utf8, imap_.enabled().utf8_accept, w) != errc::ok) w.clear();
    return w;
  }

  void literal(const imap::append_literal& l) {
    std::string name;
    if (!name_of(l.mailbox, name)) {
      (void)imap_.refuse_literal(code_kind::cannot, "Invalid mailbox name");
      return;
    }
    appender_ = std::make_unique<mw::imap_store::appender>();
    append_error_ = {};
    const mw::store_result r = sh_.store.begin_append(name, l.flags, l.internal_date ? &*l.internal_date : nullptr,
                                                      *appender_);
    if (!r.ok()) {
      appender_.reset();
      (void)imap_.refuse_literal(code_of(r.code), r.code == mw::store_code::trycreate ? "No such mailbox" : r.text);
      return;
    }
    (void)imap_.accept_literal();
  }

  // -- commands ----------------------------------------------------------

  void done(std::string_view tag, status_kind k, const imap::resp_code& rc, std::string_view text) {
    // A text the machine cannot send (a file name with control characters
    // in a store error) must not leave the command unanswered.
    const imap::command* c = imap_.in_progress();
    const bool may_change = c != nullptr && changes_folders(c->type);
    // After expunges, no FETCH can tell the client the new HIGHESTMODSEQ:
    // the tagged OK does (RFC 7162 3.2.10, as Dovecot). Every expunge sent
    // is covered: nothing else ran since this command synchronised.
    imap::resp_code highest;
    if (std::exchange(expunges_told_, false) && k == status_kind::ok && rc.kind == code_kind::none && view_ &&
        imap_.enabled().condstore) {
      highest.kind = code_kind::highestmodseq;
      highest.number = view_->highest_modseq();
    }
    const imap::resp_code& code = highest.kind != code_kind::none ? highest : rc;
    if (imap_.complete(tag, k, code, text) == errc::invalid_argument) (void)imap_.complete(tag, k, code, "Failed");
    if (!may_change) return;
    for (session* s : sh_.all) {
      if (s != this) s->others_changed();
    }
  }
  // Commands after which idling sessions look at their folder again.
  static bool changes_folders(command_type t) {
    switch (t) {
      case command_type::append:
      case command_type::store:
      case command_type::expunge:
      case command_type::copy:
      case command_type::move:
      case command_type::fetch:  // a body fetched without PEEK sets \Seen
      case command_type::close:  // expunges
      case command_type::delete_:
      case command_type::rename: return true;
      default: return false;
    }
  }
  void done(std::string_view tag, status_kind k, std::string_view text) { done(tag, k, imap::resp_code{}, text); }
  void fail(std::string_view tag, const mw::store_result& r) {
    fmt::print(stderr, "{} {}: {}\n", peer_, user_, mw::text_escape(r.text));
    // A file system error names paths: the log has it, the client a word.
    const bool internal = r.code == mw::store_code::io_error || r.text.empty();
    done(tag, status_kind::no, code_of(r.code), internal ? "Server error" : r.text);
  }

  // Unsolicited updates for the selected folder, when this command allows
  // them (RFC 9051 7.5.1: not during FETCH, STORE, SEARCH by number).
  void push_changes() {
    if (!view_) return;
    mw::view_changes ch;
    if (!view_->sync(ch).ok()) return;
    send_changes(ch);
  }
  void send_changes(const mw::view_changes& ch) {
    if (ch.mailbox_gone) {
      view_.reset();
      (void)imap_.bye("The selected mailbox was deleted or renamed");
      return;
    }
    if (!ch.expunged.empty() && imap_.in_progress() != nullptr) expunges_told_ = true;
    if (imap_.enabled().qresync) {
      if (!ch.expunged_uids.empty()) told(imap_.notify(vanished(ch.expunged_uids)));
    } else {
      for (const std::uint32_t n : ch.expunged) told(imap_.notify_expunge(n));
    }
    if (ch.keywords_changed) {
      imap::response r;
      r.type = imap::response_type::flags;
      r.flags = view_->flag_list();
      told(imap_.notify(r));
    }
    if (ch.exists_changed) told(imap_.notify_exists(ch.exists));
    for (const std::uint32_t n : ch.flags_changed) {
      imap::response r;
      flags_response(n, false, r);
      told(imap_.notify(r));
    }
  }

  // An update the machine refused: held back past max_held_updates while a
  // FETCH, STORE or SEARCH by number is answered (or the session is over).
  // This view and the client's would differ from then on, so the session
  // ends rather than lose the update.
  void told(mailwire::errc e) {
    if (e == mailwire::errc::message_too_big && !imap_.closed()) {
      (void)imap_.bye("Too many changes at once; please reconnect");
    }
  }

  // "* n FETCH (FLAGS (...) [UID u] [MODSEQ (m)])": MODSEQ once CONDSTORE
  // is enabled (RFC 7162 3.1.4: in every FETCH with FLAGS, and unsolicited
  // ones), UID once QRESYNC is (3.2.4: in every FETCH); `with_flags` false
  // for a STORE .SILENT under CONDSTORE.
  void flags_response(std::uint32_t seq, bool with_uid, imap::response& r, bool with_flags = true) {
    with_uid = with_uid || imap_.enabled().qresync;
    r.type = imap::response_type::fetch;
    r.fetch.seq = seq;
    if (with_flags) {
      r.fetch.items.emplace_back();
      r.fetch.items.back().kind = imap::fetch_item_kind::flags;
      (void)view_->flags(seq, r.fetch.items.back().flags);
    }
    if (with_uid) {
      r.fetch.items.emplace_back();
      r.fetch.items.back().kind = imap::fetch_item_kind::uid;
      r.fetch.items.back().number = view_->uid(seq);
    }
    if (imap_.enabled().condstore) {
      r.fetch.items.emplace_back();
      r.fetch.items.back().kind = imap::fetch_item_kind::modseq;
      r.fetch.items.back().number = view_->modseq(seq);
    }
  }

  // "* VANISHED [(EARLIER)] uids" (QRESYNC), UIDs in any order.
  static imap::response vanished(std::vector<std::uint32_t> uids, bool earlier = false) {
    std::sort(uids.begin(), uids.end());
    imap::response r;
    r.type = imap::response_type::vanished;
    r.earlier = earlier;
    r.set = to_set(uids);
    return r;
  }
  // The expunges of this session's own command: EXPUNGE each, or one
  // VANISHED once QRESYNC is enabled (RFC 7162 3.2.10).
  void expunged(const std::vector<std::uint32_t>& seqs, const std::vector<std::uint32_t>& uids) {
    expunges_told_ = expunges_told_ || !seqs.empty();
    if (imap_.enabled().qresync) {
      if (!uids.empty()) (void)imap_.untagged(vanished(uids));
      return;
    }
    for (const std::uint32_t n : seqs) {
      imap::response u;
      u.type = imap::response_type::expunge;
      u.number = n;
      (void)imap_.untagged(u);
    }
  }
  // "* OK [HIGHESTMODSEQ n]".
  void highest_modseq() {
    imap::response u;
    u.type = imap::response_type::status;
    u.code.kind = code_kind::highestmodseq;
    u.code.number = view_->highest_modseq();
    u.text = "Highest";
    (void)imap_.untagged(u);
  }

  static bool allows_expunge(const imap::command& c) {
    if (c.uid) return true;
    return c.type != command_type::fetch && c.type != command_type::store && c.type != command_type::search;
  }

  void command(const imap::server_event& e) {
    const imap::command& c = *e.cmd;
    const std::string_view tag = c.tag;
    // RFC 7162 3.1: a CONDSTORE enabling command in the selected state
    // (FETCH MODSEQ, STORE UNCHANGEDSINCE, ...) gets [HIGHESTMODSEQ] first.
    expunges_told_ = false;
    const bool enabled_now = imap_.enabled().condstore && !condstore_seen_;
    condstore_seen_ = imap_.enabled().condstore;
    if (enabled_now && view_ && c.type != command_type::select && c.type != command_type::examine) highest_modseq();
    if (view_ && allows_expunge(c) && c.type != command_type::select && c.type != command_type::examine &&
        c.type != command_type::close && c.type != command_type::unselect) {
      push_changes();
      if (imap_.closed()) return;  // the folder went away: BYE said
    }
    switch (c.type) {
      case command_type::noop:
      case command_type::check: return done(tag, status_kind::ok, "Done");
      case command_type::select:
      case command_type::examine: return select(c, c.type == command_type::examine);
      case command_type::close:
      case command_type::unselect: {
        if (c.type == command_type::close && !view_->read_only()) {
          std::vector<std::uint32_t> a, b;
          (void)view_->expunge(nullptr, a, b);  // CLOSE expunges silently
        }
        view_.reset();
        return done(tag, status_kind::ok, "Closed");
      }
      case command_type::create:
      case command_type::delete_:
      case command_type::rename:
      case command_type::subscribe:
      case command_type::unsubscribe: return mailbox_command(c);
      case command_type::list:
      case command_type::lsub: return list(c);
      case command_type::status: return status(c);
      case command_type::append: return append(c);
      case command_type::namespace_: {
        imap::response r;
        r.type = imap::response_type::namespace_;
        imap::namespace_descr d;
        d.group = 0;
        d.prefix = "";
        d.delimiter = std::string_view(".");
        r.namespaces.push_back(d);
        (void)imap_.untagged(r);
        return done(tag, status_kind::ok, "Namespaces");
      }
      case command_type::id: {
        imap::response r;
        r.type = imap::response_type::id;
        r.pairs.push_back({"name", std::string_view("mailwire-imap-server")});
        (void)imap_.untagged(r);
        return done(tag, status_kind::ok, "ID");
      }
      case command_type::expunge: return expunge(c);
      case command_type::search: return search(c);
      case command_type::fetch: return fetch(c);
      case command_type::store: return store(c);
      case command_type::copy:
      case command_type::move: return copy(c);
      default: return done(tag, status_kind::bad, "Command not supported");
    }
  }

  void select(const imap::command& c, bool read_only) {
    const auto& a = std::get<imap::select_args>(c.args);
    view_.reset();
    std::string name;
    if (!name_of(a.mailbox, name)) return done(c.tag, status_kind::no, imap::resp_code{}, "Invalid mailbox name");
    const mw::store_result r = sh_.store.select(name, read_only, view_);
    if (!r.ok()) return fail(c.tag, r);
    imap::response u;
    u.type = imap::response_type::flags;
    u.flags = view_->flag_list();
    (void)imap_.untagged(u);
    u.clear();
    u.type = imap::response_type::exists;
    u.number = view_->exists();
    (void)imap_.untagged(u);
    u.type = imap::response_type::recent;
    u.number = 0;
    (void)imap_.untagged(u);
    auto ok_code = [&](code_kind k, std::uint64_t n) {
      u.clear();
      u.type = imap::response_type::status;
      u.code.kind = k;
      u.code.number = n;
      u.text = "Ok";
      (void)imap_.untagged(u);
    };
    if (const std::uint32_t first = view_->first_unseen()) ok_code(code_kind::unseen, first);
    ok_code(code_kind::uidvalidity, view_->uidvalidity());
    ok_code(code_kind::uidnext, view_->uidnext());
    u.clear();
    u.type = imap::response_type::status;
    u.code.kind = code_kind::permanentflags;
    if (!read_only) {
      u.code.flags = view_->flag_list();
      if (view_->can_create_keywords()) u.code.flags.push_back(imap::flag::system(imap::flag_kind::wildcard));
    }
    u.text = "Flags permitted";
    (void)imap_.untagged(u);
    highest_modseq();  // kept across restarts: never NOMODSEQ (RFC 7162 3.1.2.1)
    if (a.qresync && a.qresync->uidvalidity == view_->uidvalidity()) qresync(*a.qresync);
    imap::resp_code done_code;
    done_code.kind = read_only ? code_kind::read_only : code_kind::read_write;
    done(c.tag, status_kind::ok, done_code, read_only ? "Examined" : "Selected");
  }

  // SELECT (QRESYNC (...)) with the right UIDVALIDITY (RFC 7162 3.2.5):
  // the UIDs expunged since the client's modseq, then the flags of what
  // changed since, both only among its known UIDs when it gave them. The
  // seq-match data is not needed: expunges are known by UID.
  void qresync(const imap::qresync_params& q) {
    const imap::sequence_set* known = q.known_uids ? &*q.known_uids : nullptr;
    const imap::sequence_set gone = view_->vanished_since(q.modseq, known);
    if (!gone.empty()) {
      imap::response r;
      r.type = imap::response_type::vanished;
      r.earlier = true;
      r.set = gone;
      (void)imap_.untagged(r);
    }
    const std::uint32_t largest = view_->uidnext() - 1;
    for (std::uint32_t n = 1; n <= view_->exists(); ++n) {
      if (view_->modseq(n) <= q.modseq || (known != nullptr && !known->contains(view_->uid(n), largest))) continue;
      imap::response r;
      flags_response(n, true, r);
      (void)imap_.untagged(r);
    }
  }

  void mailbox_command(const imap::command& c) {
    const auto& a = std::get<imap::mailbox_args>(c.args);
    std::string name, to;
    if (!name_of(a.mailbox, name) || (c.type == command_type::rename && !name_of(a.to, to))) {
      return done(c.tag, status_kind::no, imap::resp_code{}, "Invalid mailbox name");
    }
    mw::store_result r;
    switch (c.type) {
      case command_type::create: {
        std::string canonical;
        r = mw::imap_store::canonical_name(name, true, canonical);
        if (r.ok()) r = sh_.store.create(canonical);
        break;
      }
      case command_type::delete_: r = sh_.store.remove(name); break;
      case command_type::rename: r = sh_.store.rename(name, to); break;
      case command_type::subscribe: r = sh_.store.subscribe(name); break;
      default: r = sh_.store.unsubscribe(name); break;
    }
    if (!r.ok()) return fail(c.tag, r);
    done(c.tag, status_kind::ok, "Done");
  }

  void list(const imap::command& c) {
    const auto& a = std::get<imap::list_args>(c.args);
    const bool lsub = c.type == command_type::lsub;
    std::string reference;
    if (!name_of(a.reference, reference)) return done(c.tag, status_kind::no, imap::resp_code{}, "Invalid reference");
    bool subscribed_only = lsub, mark = false;
    for (const std::string_view s : a.selection) {
      if (mailwire::ascii::iequals(s, "SUBSCRIBED")) subscribed_only = mark = true;
    }
    for (const std::string_view s : a.returns) {
      if (mailwire::ascii::iequals(s, "SUBSCRIBED")) mark = true;
    }
    imap::response r;
    for (const std::string_view p : a.patterns) {
      std::string pattern;
      if (!name_of(p, pattern)) continue;
      r.clear();
      r.type = lsub ? imap::response_type::lsub : imap::response_type::list;
      r.delimiter = std::string_view(".");
      if (pattern.empty() && !lsub) {  // LIST "" "": the delimiter and the root
        r.names.push_back("\\Noselect");
        r.mailbox = "";
        (void)imap_.untagged(r);
        continue;
      }
      std::vector<mw::list_entry> entries;
      const mw::store_result res = sh_.store.list(reference, pattern, subscribed_only && !lsub ? false : lsub,
                                                  mark, entries);
      if (!res.ok()) return fail(c.tag, res);
      for (const mw::list_entry& en : entries) {
        if (subscribed_only && !lsub &&
            std::find(en.attributes.begin(), en.attributes.end(), imap::mailbox_attribute::subscribed) ==
                en.attributes.end()) {
          continue;
        }
        const std::string w = wire_name(en.name);
        if (w.empty()) continue;
        r.names.clear();
        for (const imap::mailbox_attribute at : en.attributes) r.names.push_back(imap::to_string(at));
        r.mailbox = w;
        (void)imap_.untagged(r);
      }
    }
    done(c.tag, status_kind::ok, lsub ? "Lsub completed" : "List completed");
  }

  void status(const imap::command& c) {
    const auto& a = std::get<imap::status_args>(c.args);
    std::string name;
    if (!name_of(a.mailbox, name)) return done(c.tag, status_kind::no, imap::resp_code{}, "Invalid mailbox name");
    mw::mailbox_status st;
    const mw::store_result res = sh_.store.status(name, st);
    if (!res.ok()) return fail(c.tag, res);
    imap::response r;
    r.type = imap::response_type::status_data;
    r.mailbox = a.mailbox;
    for (const std::string_view item : a.items) {
      imap::status_item it;
      using imap::status_attr;
      auto put = [&](status_attr at, std::string_view n, std::uint64_t v) {
        it.attr = at;
        it.name = n;
        it.value = v;
        r.status_items.push_back(it);
      };
      if (mailwire::ascii::iequals(item, "MESSAGES")) put(status_attr::messages, "MESSAGES", st.messages);
      else if (mailwire::ascii::iequals(item, "RECENT")) put(status_attr::recent, "RECENT", st.recent);
      else if (mailwire::ascii::iequals(item, "UIDNEXT")) put(status_attr::uidnext, "UIDNEXT", st.uidnext);
      else if (mailwire::ascii::iequals(item, "UIDVALIDITY")) put(status_attr::uidvalidity, "UIDVALIDITY", st.uidvalidity);
      else if (mailwire::ascii::iequals(item, "UNSEEN")) put(status_attr::unseen, "UNSEEN", st.unseen);
      else if (mailwire::ascii::iequals(item, "DELETED")) put(status_attr::deleted, "DELETED", st.deleted);
      else if (mailwire::ascii::iequals(item, "SIZE")) put(status_attr::size, "SIZE", st.size);
      else if (mailwire::ascii::iequals(item, "HIGHESTMODSEQ"))
        put(status_attr::highestmodseq, "HIGHESTMODSEQ", st.highest_modseq);
      else return done(c.tag, status_kind::bad, "Unknown STATUS item");
    }
    (void)imap_.untagged(r);
    done(c.tag, status_kind::ok, "Status completed");
  }

  void append(const imap::command& c) {
    std::unique_ptr<mw::imap_store::appender> app = std::move(appender_);
    if (!app) return done(c.tag, status_kind::no, imap::resp_code{}, "Append failed");
    if (!append_error_.ok()) return fail(c.tag, append_error_);
    std::uint32_t validity = 0, uid = 0;
    const mw::store_result r = app->commit(validity, uid);
    if (!r.ok()) return fail(c.tag, r);
    imap::resp_code code;
    code.kind = code_kind::appenduid;
    code.number = validity;
    code.set = imap::sequence_set(uid);
    done(c.tag, status_kind::ok, code, "Append completed");
  }

  void expunge(const imap::command& c) {
    if (view_->read_only()) return done(c.tag, status_kind::no, code(code_kind::cannot), "Mailbox is read-only");
    const imap::sequence_set* filter = nullptr;
    if (c.uid) filter = &std::get<imap::copy_args>(c.args).set;
    std::vector<std::uint32_t> gone, gone_uids;
    const mw::store_result r = view_->expunge(filter, gone, gone_uids);
    expunged(gone, gone_uids);
    if (!r.ok()) return fail(c.tag, r);
    done(c.tag, status_kind::ok, "Expunge completed");
  }

  void search(const imap::command& c) {
    const auto& a = std::get<imap::search_args>(c.args);
    if (!a.charset.empty() && !mailwire::ascii::iequals(a.charset, "UTF-8") &&
        !mailwire::ascii::iequals(a.charset, "US-ASCII")) {
      imap::resp_code code;
      code.kind = code_kind::badcharset;
      code.list = {"UTF-8", "US-ASCII"};
      return done(c.tag, status_kind::no, code, "Unsupported charset");
    }
    imap::search_key all;
    all.type = imap::search_key_type::group;
    all.children = a.keys;
    std::vector<std::uint32_t> found;
    const mw::store_result res = view_->search(all, c.uid, found);
    if (!res.ok()) return fail(c.tag, res);
    // A MODSEQ key: the highest modseq of what was found goes with the
    // result (RFC 7162 3.1.5), when anything was.
    std::optional<std::uint64_t> top;
    if (has_modseq_key(all) && !found.empty()) {
      top = 0;
      for (const std::uint32_t n : found) top = std::max(*top, view_->modseq(c.uid ? view_->seq(n) : n));
    }
    imap::response r;
    if (!a.has_return) {
      r.type = imap::response_type::search;
      r.numbers = found;
      r.modseq = top;
    } else {
      r.type = imap::response_type::esearch;
      r.esearch_tag = c.tag;
      r.uid = c.uid;
      bool any = false;
      for (const std::string_view ret : a.returns) {
        imap::esearch_item it;
        if (mailwire::ascii::iequals(ret, "MIN") && !found.empty()) {
          it.kind = imap::esearch_kind::min, it.name = "MIN", it.number = found.front();
        } else if (mailwire::ascii::iequals(ret, "MAX") && !found.empty()) {
          it.kind = imap::esearch_kind::max, it.name = "MAX", it.number = found.back();
        } else if (mailwire::ascii::iequals(ret, "COUNT")) {
          it.kind = imap::esearch_kind::count, it.name = "COUNT", it.number = found.size();
        } else if (mailwire::ascii::iequals(ret, "ALL") && !found.empty()) {
          it.kind = imap::esearch_kind::all, it.name = "ALL", it.set = to_set(found);
        } else if (mailwire::ascii::iequals(ret, "MIN") || mailwire::ascii::iequals(ret, "MAX") ||
                   mailwire::ascii::iequals(ret, "ALL")) {
          any = true;
          continue;
        } else {
          return done(c.tag, status_kind::bad, "Unknown RETURN option");
        }
        any = true;
        r.esearch.push_back(it);
      }
      if (!any && !found.empty()) {  // RETURN (): ALL
        imap::esearch_item it;
        it.kind = imap::esearch_kind::all, it.name = "ALL", it.set = to_set(found);
        r.esearch.push_back(it);
      }
      if (top) {
        imap::esearch_item it;
        it.kind = imap::esearch_kind::modseq, it.name = "MODSEQ", it.number = *top;
        r.esearch.push_back(it);
      }
    }
    (void)imap_.untagged(r);
    done(c.tag, status_kind::ok, "Search completed");
  }

  static bool has_modseq_key(const imap::search_key& k) {
    if (k.type == imap::search_key_type::modseq) return true;
    return std::any_of(k.children.begin(), k.children.end(), has_modseq_key);
  }

  void store(const imap::command& c) {
    const auto& a = std::get<imap::store_args>(c.args);
    if (view_->read_only()) return done(c.tag, status_kind::no, code(code_kind::cannot), "Mailbox is read-only");
    const std::vector<std::uint32_t> seqs = view_->resolve(a.set, c.uid);
    std::vector<std::uint32_t> changed;
    const mw::store_op op = a.mode == imap::store_mode::add      ? mw::store_op::add
                            : a.mode == imap::store_mode::remove ? mw::store_op::remove
                                                                 : mw::store_op::replace;
    std::vector<std::uint32_t> modified;
    const std::uint64_t before = view_->highest_modseq();
    const mw::store_result r = a.unchangedsince
                                   ? view_->store_unchanged_since(seqs, op, a.flags, *a.unchangedsince, changed, modified)
                                   : view_->store(seqs, op, a.flags, changed);
    if (!r.ok()) return fail(c.tag, r);
    // Every message stored gets FLAGS (with UNCHANGEDSINCE: those that
    // passed); under .SILENT none, except that once CONDSTORE is enabled a
    // message whose flags changed still gets its new MODSEQ (RFC 7162 3.1.3).
    const bool condstore = imap_.enabled().condstore;
    for (const std::uint32_t n : a.unchangedsince || a.silent ? changed : seqs) {
      if (a.silent && (!condstore || view_->modseq(n) <= before)) continue;
      imap::response u;
      flags_response(n, c.uid, u, !a.silent);
      (void)imap_.untagged(u);
    }
    if (!modified.empty()) {
      imap::resp_code code;
      code.kind = code_kind::modified;
      if (c.uid) {
        for (std::uint32_t& n : modified) n = view_->uid(n);
      }
      code.set = to_set(modified);
      return done(c.tag, status_kind::ok, code, "Conditional store completed");
    }
    done(c.tag, status_kind::ok, "Store completed");
  }

  void copy(const imap::command& c) {
    const auto& a = std::get<imap::copy_args>(c.args);
    const bool move = c.type == command_type::move;
    std::string dest;
    if (!name_of(a.mailbox, dest)) return done(c.tag, status_kind::no, imap::resp_code{}, "Invalid mailbox name");
    const std::vector<std::uint32_t> seqs = view_->resolve(a.set, c.uid);
    if (move && view_->read_only()) return done(c.tag, status_kind::no, code(code_kind::cannot), "Read-only");
    if (seqs.empty()) return done(c.tag, status_kind::ok, move ? "No messages moved" : "No messages copied");
    mw::copy_result out;
    const mw::store_result r = move ? view_->move(seqs, dest, out) : view_->copy(seqs, dest, out);
    if (!r.ok()) return fail(c.tag, r);
    imap::resp_code code;
    code.kind = code_kind::copyuid;
    code.number = out.uidvalidity;
    code.set = to_set(out.source_uids);
    code.set2 = to_set(out.dest_uids);
    if (!move) return done(c.tag, status_kind::ok, code, "Copy completed");
    imap::response u;
    u.type = imap::response_type::status;
    u.code = code;
    u.text = "Moved";
    (void)imap_.untagged(u);
    expunged(out.expunged, out.expunged_uids);
    done(c.tag, status_kind::ok, "Move completed");
  }

  // -- FETCH --------------------------------------------------------------

  void fetch(const imap::command& c) {
    const auto& a = std::get<imap::fetch_args>(c.args);
    job_ = std::make_unique<fetch_job>();
    job_->tag = std::string(c.tag);
    job_->seqs = view_->resolve(a.set, c.uid);
    // A body fetched without PEEK sets \Seen, before the answers so that
    // their FLAGS show it; for all the messages in one store() call, which
    // writes the UID list (their new modseqs) once, not once per message.
    bool set_seen = false;
    for (const imap::fetch_attribute& at : a.attributes) {
      using fk = imap::fetch_attribute_kind;
      set_seen = set_seen || ((at.kind == fk::body_section || at.kind == fk::binary) && !at.peek) ||
                 at.kind == fk::rfc822 || at.kind == fk::rfc822_text;
    }
    if (a.changedsince) {  // RFC 7162 3.1.4.1: only what changed since
      const std::uint64_t since = *a.changedsince;
      auto& v = job_->seqs;
      v.erase(std::remove_if(v.begin(), v.end(), [&](std::uint32_t n) { return view_->modseq(n) <= since; }),
              v.end());
      // UID FETCH (CHANGEDSINCE n VANISHED): first the UIDs of the set
      // expunged since (RFC 7162 3.2.6).
      if (a.vanished) {
        imap::response r;
        r.type = imap::response_type::vanished;
        r.earlier = true;
        r.set = view_->vanished_since(since, &a.set);
        if (!r.set.empty()) (void)imap_.untagged(r);
      }
    }
    if (set_seen && !view_->read_only()) {
      std::vector<std::uint32_t> changed;
      (void)view_->store(job_->seqs, mw::store_op::add, {imap::flag::system(imap::flag_kind::seen)}, changed);
      job_->seen_set = true;
    }
    fetch_step();
  }

  // Answers the next messages of the FETCH in progress; false when it
  // waits (a body streams, or the output is full).
  bool fetch_step() {
    fetch_job& j = *job_;
    if (imap_.body_remaining() > 0) {
      mw::section_bytes& b = j.bodies[j.body];
      std::string chunk;
      const std::uint64_t want = std::min<std::uint64_t>(imap_.body_remaining(), body_piece);
      const mw::store_result r = j.msg.read(b, chunk, static_cast<std::size_t>(want));
      if (!r.ok() || chunk.empty()) {
        fmt::print(stderr, "{} {} read error in a message: {}\n", peer_, user_, r.text);
        job_.reset();
        conn_->abort("read error");
        return false;
      }
      (void)imap_.send_body(chunk);
      if (b.done == b.size) ++j.body;
      return true;
    }
    const imap::command* c = imap_.in_progress();
    if (c == nullptr) {
      job_.reset();
      return false;
    }
    const auto& a = std::get<imap::fetch_args>(c->args);
    while (j.next < j.seqs.size()) {
      if (imap_.pending_output().size() > output_high) return false;
      const std::uint32_t seq = j.seqs[j.next++];
      if (!fetch_one(*c, a, seq)) {
        j.failed = true;
        continue;
      }
      if (imap_.body_remaining() > 0) return true;
    }
    const std::string tag = std::move(j.tag);
    const bool failed = j.failed, unknown_cte = j.unknown_cte;
    job_.reset();
    if (unknown_cte) {
      done(tag, status_kind::no, code(code_kind::unknown_cte), "Unknown Content-Transfer-Encoding");
    } else if (failed) {
      done(tag, status_kind::no, code(code_kind::expungeissued), "Some messages could not be fetched");
    } else {
      done(tag, status_kind::ok, "Fetch completed");
    }
    return true;
  }

  bool fetch_one(const imap::command& c, const imap::fetch_args& a, std::uint32_t seq) {
    fetch_job& j = *job_;
    j.msg = mw::message();
    j.bodies.clear();
    j.body = 0;
    if (!view_->open(seq, j.msg).ok()) return false;
    imap::response r;
    r.type = imap::response_type::fetch;
    r.fetch.seq = seq;
    std::vector<imap::fetch_item>& items = r.fetch.items;
    imap::mime_text_store texts;
    std::vector<std::string> memory;  // bodies sent in the response itself
    memory.reserve(a.attributes.size());
    bool uid_given = false, flags_given = false, modseq_given = false;
    auto add = [&](imap::fetch_item_kind k) -> imap::fetch_item& {
      items.emplace_back();
      items.back().kind = k;
      return items.back();
    };
    // A body item's content: small ones in the response, large ones
    // streamed. Bytes with NUL go as literal8 (RFC 3516 4.3: only BINARY
    // can have them), and so does whatever BINARY decoded (as Dovecot).
    auto content = [&](imap::fetch_item& it, mw::section_bytes&& b, const std::optional<imap::partial_range>& p,
                       bool binary) {
      if (p) it.origin = static_cast<std::uint32_t>(p->origin);
      if (b.size <= body_piece) {
        std::string s;
        while (b.done < b.size) {
          if (!j.msg.read(b, s, body_piece).ok()) return false;
        }
        memory.push_back(std::move(s));
        binary = binary || memory.back().find('\0') != std::string::npos;
        it.content = imap::literal_body{memory.back(), memory.back().size(), false, binary};
      } else {
        it.content = imap::literal_body{{}, b.size, true, binary};
        j.bodies.push_back(std::move(b));
      }
      return true;
    };
    auto body = [&](imap::fetch_item& it, const imap::section& sec, const std::optional<imap::partial_range>& p) {
      mw::section_bytes b;
      return j.msg.section(sec, p, b).ok() && content(it, std::move(b), p, false);
    };
    auto binary = [&](const imap::fetch_attribute& at, imap::fetch_item& it) {
      mw::section_bytes b;
      bool decoded = false;
      const mw::store_result got = j.msg.binary(at.sect.part, at.partial, b, &decoded);
      if (got.code == mw::store_code::unknown_cte) j.unknown_cte = true;
      if (!got.ok()) return false;
      it.sect = at.sect;
      if (at.kind == imap::fetch_attribute_kind::binary_size) {
        it.number = b.size;
        return true;
      }
      return content(it, std::move(b), at.partial, decoded);
    };
    using fk = imap::fetch_attribute_kind;
    std::vector<imap::fetch_attribute> attrs;
    auto attr = [](fk k) {
      imap::fetch_attribute f;
      f.kind = k;
      return f;
    };
    for (const imap::fetch_attribute& at : a.attributes) {
      if (at.kind == fk::all || at.kind == fk::fast || at.kind == fk::full) {
        for (const fk k : {fk::flags, fk::internaldate, fk::rfc822_size}) attrs.push_back(attr(k));
        if (at.kind != fk::fast) attrs.push_back(attr(fk::envelope));
        if (at.kind == fk::full) attrs.push_back(attr(fk::body));
      } else {
        attrs.push_back(at);
      }
    }
    const bool seen_changed = j.seen_set;  // FLAGS goes with it (RFC 3501 6.4.5)
    if (c.uid) {  // UID FETCH: the UID always, first (as Dovecot)
      add(imap::fetch_item_kind::uid).number = view_->uid(seq);
      uid_given = true;
    }
    for (const imap::fetch_attribute& at : attrs) {
      switch (at.kind) {
        case fk::uid:
          if (!std::exchange(uid_given, true)) add(imap::fetch_item_kind::uid).number = view_->uid(seq);
          break;
        case fk::flags:
          if (!std::exchange(flags_given, true)) (void)view_->flags(seq, add(imap::fetch_item_kind::flags).flags);
          break;
        case fk::internaldate: {
          imap::date_time d;
          if (!view_->internal_date(seq, d).ok()) return false;
          add(imap::fetch_item_kind::internaldate).date = d;
          break;
        }
        case fk::rfc822_size: add(imap::fetch_item_kind::rfc822_size).number = j.msg.size(); break;
        case fk::modseq:
          if (!std::exchange(modseq_given, true)) add(imap::fetch_item_kind::modseq).number = view_->modseq(seq);
          break;
        case fk::envelope:
          if (!j.msg.envelope(add(imap::fetch_item_kind::envelope).env, texts).ok()) return false;
          break;
        case fk::body:
        case fk::bodystructure: {
          const bool ext = at.kind == fk::bodystructure;
          imap::fetch_item& it = add(ext ? imap::fetch_item_kind::bodystructure : imap::fetch_item_kind::body);
          if (!j.msg.body_structure(it.body, texts, ext).ok()) return false;
          break;
        }
        case fk::body_section: {
          imap::fetch_item& it = add(imap::fetch_item_kind::body_section);
          it.sect = at.sect;
          if (!body(it, at.sect, at.partial)) return false;
          break;
        }
        case fk::binary:
          if (!binary(at, add(imap::fetch_item_kind::binary))) return false;
          break;
        case fk::binary_size:
          if (!binary(at, add(imap::fetch_item_kind::binary_size))) return false;
          break;
        case fk::rfc822:
        case fk::rfc822_header:
        case fk::rfc822_text: {
          imap::section sec;
          imap::fetch_item_kind k = imap::fetch_item_kind::rfc822;
          if (at.kind == fk::rfc822_header) sec.text = imap::section_text::header, k = imap::fetch_item_kind::rfc822_header;
          if (at.kind == fk::rfc822_text) sec.text = imap::section_text::text, k = imap::fetch_item_kind::rfc822_text;
          if (!body(add(k), sec, std::nullopt)) return false;
          break;
        }
        default: break;  // not offered: the machine refused the command before
      }
    }
    if (!uid_given && imap_.enabled().qresync) add(imap::fetch_item_kind::uid).number = view_->uid(seq);
    if (seen_changed && !flags_given) {
      flags_given = true;
      (void)view_->flags(seq, add(imap::fetch_item_kind::flags).flags);
    }
    // MODSEQ with CHANGEDSINCE, and with FLAGS once CONDSTORE is enabled
    // (RFC 7162 3.1.4.1, 3.1.4).
    if (!modseq_given && (a.changedsince || (flags_given && imap_.enabled().condstore)))
      add(imap::fetch_item_kind::modseq).number = view_->modseq(seq);
    if (imap_.untagged(r) != errc::ok) return false;
    return true;
  }

  shared& sh_;
  imap::server imap_;
  std::string peer_;
  mw::connection* conn_ = nullptr;
  std::string user_ = "-";
  std::string tls_;
  std::unique_ptr<mw::mailbox_view> view_;
  std::unique_ptr<mw::imap_store::appender> appender_;
  mw::store_result append_error_;
  std::unique_ptr<fetch_job> job_;
  mw::deadline_clock::time_point idle_deadline_{};
  std::uint64_t read_since_ = 0;
  bool idling_ = false;
  bool condstore_seen_ = false;  // CONDSTORE was enabled before this command
  bool expunges_told_ = false;   // this command sent EXPUNGE/VANISHED
  bool draining_ = false;
  bool timed_out_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  shared sh;
  sh.cfg = parse_args(argc, argv);
  const config& cfg = sh.cfg;
  std::string err;
  if (const mw::store_result r = sh.store.open(cfg.maildir); !r.ok()) {  // creates what is missing
    fmt::print(stderr, "maildir: {}\n", r.text);
    return 1;
  }
  if (!mw::setup_server(cfg, sh.tls, sh.account, err)) {
    fmt::print(stderr, "{}\n", err);
    return 1;
  }

  imap::server_options& o = sh.options;
  o.hostname = cfg.hostname;
  o.greeting = cfg.hostname + " IMAP server ready";
  o.tls_active = cfg.implicit_tls;
  o.offer_starttls = sh.tls && !cfg.implicit_tls;
  o.require_tls = cfg.require_tls;
  o.allow_plaintext_auth = cfg.allow_plaintext_auth;
  o.auth_mechanisms = sasl::mechanism_set::parse("PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256");
  o.answer_noop = false;  // NOOP in SELECTED looks at the folder first
  o.max_append_size = cfg.max_message_size;
  imap::server_extensions& x = o.extensions;
  x.enable = x.idle = x.namespace_ = x.id = x.unselect = x.uidplus = x.move = true;
  x.children = x.special_use = x.esearch = true;
  x.condstore = x.qresync = x.binary = true;

  mw::server_config sc;
  sc.at = cfg.listen;
  sc.implicit_tls = cfg.implicit_tls ? sh.tls.get() : nullptr;
  sc.max_connections = cfg.max_connections;
  sc.refusal_line = "* BYE [UNAVAILABLE] too many connections\r\n";
  return mw::serve(sc, sh.sessions, [&sh](const std::string& peer) { return std::make_unique<session>(sh, peer); });
}
