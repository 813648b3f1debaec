// mailwire-pop3-fetch: downloads the messages of a POP3 maildrop into a
// Maildir with mailwire's client machine, over the examples' transport.
//
//   mailwire-pop3-fetch --server HOST:PORT [--stls | --implicit-tls] [--ca FILE | --insecure]
//       --user USER (--pass PASS | --pass-file FILE) [--apop | --mech NAME] [--allow-plaintext-auth]
//       --maildir DIR [--delete] [--state FILE] [--timeout SECONDS] [--no-pipelining]
//
// One session: log in, UIDL, then RETR every message whose unique-id the
// state file does not hold yet (a bounded window of them in flight when
// the server offers PIPELINING), DELE with --delete, QUIT. Each message
// streams from the machine's chunk events into DIR/tmp, is fsynced,
// renamed into DIR/new (and new/ fsynced), and only then is its unique-id
// appended to the state file and fsynced, and only then is it deleted on
// the server: a crash at any point loses no message (at worst one is
// fetched twice). Memory stays flat however large a message is: no
// message is ever held, only the chunk the machine hands out.
//
// The state file is append-only, one unique-id a line; a last line without
// its newline (a crash in the middle of a write) is no record: it is cut
// off when the file is opened (ended with a newline instead, it would
// become one: a prefix of the id, maybe another message's). It is locked
// (flock) for the run: two fetchers on the same state do not interleave.
//
// Everything the command line says is checked before connecting (exit 2).
// A password goes in clear (USER/PASS, PLAIN, LOGIN without TLS) only with
// --allow-plaintext-auth; TLS certificates are verified (the host name
// too) unless --insecure. --timeout bounds every wait.
#include <mailwire/pop3/client.hpp>


#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fmt/format.h>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "journal.hpp"
#include "maildir.hpp"
#include "program.hpp"
#include "transport.hpp"

namespace {

namespace mw = mailwire_example;
namespace pop3 = mailwire::pop3;
namespace sasl = mailwire::sasl;
using mailwire::errc;

// The shared options of the fetchers (support/program.hpp), and this one's own.
struct settings : mw::fetch_args {
  settings() : fetch_args("--stls", "995", ".mailwire-pop3-state") {}
  bool apop = false;
  bool remove = false;  // --delete
  bool pipelining = true;
};

// An empty `why`: --help, on stdout, exit 0. Otherwise a usage error: exit 2.
[[noreturn]] void usage(const std::string& why) {
  if (!why.empty()) fmt::print(stderr, "mailwire-pop3-fetch: {}\n", why);
  std::FILE* to = why.empty() ? stdout : stderr;
  std::fputs(
      "usage: mailwire-pop3-fetch --server HOST:PORT [--stls | --implicit-tls] [--ca FILE | --insecure]\n"
      "       --user USER (--pass PASS | --pass-file FILE) [--apop | --mech NAME] [--allow-plaintext-auth]\n"
      "       --maildir DIR [--delete] [--state FILE] [--timeout SECONDS] [--no-pipelining] [--quiet]\n"
      "       mailwire-pop3-fetch --help | --version\n",
      to);
  if (!why.empty()) std::exit(2);  // the synopsis is enough; --help has the rest
  const settings s;
  fmt::print(
      "\n"
      "Downloads every message of a POP3 maildrop not fetched before into a Maildir.\n"
      "\n"
      "{}"
      "  --stls               TLS by STLS (RFC 2595), required: if the server does not\n"
      "                       offer it, the program stops before logging in\n"
      "  --apop               log in with APOP (fails if the greeting has no timestamp)\n"
      "  --mech NAME          log in with this SASL mechanism: PLAIN, LOGIN, CRAM-MD5,\n"
      "                       SCRAM-SHA-1 or SCRAM-SHA-256. Default: the strongest SASL\n"
      "                       mechanism the server offers in CAPA; else USER/PASS under\n"
      "                       TLS (or with --allow-plaintext-auth); else APOP when the\n"
      "                       greeting has a timestamp\n"
      "  --allow-plaintext-auth\n"
      "                       allow USER/PASS, PLAIN and LOGIN without TLS. WARNING: they\n"
      "                       send the password as is, for anyone on the path to read.\n"
      "                       Without this flag the program stops before sending it\n"
      "                       (exit status 1). APOP, CRAM-MD5 and SCRAM never send it\n"
      "  --delete             delete each message on the server once it is stored (and\n"
      "                       those fetched before, in the state file); QUIT applies it\n"
      "  --state FILE         the unique-ids already fetched, one a line, appended and\n"
      "                       fsynced after each message stored. Default:\n"
      "                       DIR/.mailwire-pop3-state\n"
      "  --no-pipelining      one command at a time even when the server offers\n"
      "                       PIPELINING (by default up to 16 RETR are in flight)\n"
      "{}"
      "\n"
      "Each message is stored as the server sends it after dot-unstuffing (CRLF line\n"
      "ends): written to DIR/tmp, fsynced, renamed into DIR/new, and only then recorded\n"
      "in the state file (and deleted, with --delete). stdout: a line per message\n"
      "stored, 'stored UID SIZE PATH', then 'fetched N, skipped M, deleted K'.\n"
      "\n"
      "Exit status: 0 if every message was fetched (and deleted, with --delete); 1 if\n"
      "not, or on any failure after the command line was read (the session then ends\n"
      "with QUIT where the protocol allows); 2 for a usage error (nothing was sent).\n",
      s.help_connection(), s.help_storage());
  std::exit(0);
}

settings parse_args(int argc, char** argv) {
  settings s;
  mw::arguments args(argc, argv, usage);
  while (args.next()) {
    const std::string& a = args.current();
    if (s.take(args)) {
      continue;
    } else if (a == "--apop") {
      s.apop = true;
    } else if (a == "--delete") {
      s.remove = true;
    } else if (a == "--no-pipelining") {
      s.pipelining = false;
    } else {
      usage("unknown option " + a);
    }
  }
  s.check(args);
  if (s.apop && s.mechanism) usage("--apop and --mech exclude each other");
  return s;
}

// ------------------------------------------------------------- state file

// The unique-ids fetched so far, one a line in a journal (support/journal):
// read whole at start, appended one line at a time, never rewritten.
class state_file {
 public:
  bool open(const std::string& path, std::string& err) {
    return journal_.open(path, "another mailwire-pop3-fetch",
                         [this](std::string_view line) { seen_.insert(std::string(line)); }, err);
  }

  bool contains(std::string_view uid) const { return seen_.count(std::string(uid)) != 0; }

  bool append(std::string_view uid, std::string& err) {
    if (!journal_.append(uid, err)) return false;
    seen_.insert(std::string(uid));
    return true;
  }

 private:
  mw::journal journal_;
  std::unordered_set<std::string> seen_;
};

// ----------------------------------------------------------------- session

// RETR commands in flight at once when pipelining: enough to keep the
// connection busy with small messages, few enough that the commands and
// the bookkeeping stay small.
constexpr std::size_t retr_window = 16;

class fetch_session final : public mw::machine_session<pop3::client> {
 public:
  fetch_session(const settings& s, pop3::client_options o, SSL_CTX* tls_ctx, mw::maildir& box, state_file& state)
      : machine_session(s.timeout, std::move(o)), settings_(s), tls_ctx_(tls_ctx), message_(box), box_(box),
        state_(state), bar_(s.quiet) {}

  std::size_t fetched() const noexcept { return fetched_; }
  std::size_t skipped() const noexcept { return skipped_; }
  std::size_t deleted() const noexcept { return deleted_; }
  bool all_done() const noexcept {
    return failures_ == 0 && quit_ok_ && (!settings_.remove || deleted_ == fetched_ + skipped_);
  }

  void on_close(mw::connection& c, std::string_view why) override {
    message_.discard();  // a message cut off: nothing of it stays
    bar_.clear();
    client_session::on_close(c, why);
  }

 private:
  using kind = pop3::client_event_type;

  void drain(mw::connection& c) override {
    for (auto e = client_.next(); e.type != kind::need_more && e.type != kind::write_output; e = client_.next()) {
      if (e.type != kind::chunk) {
        progress();  // a complete response (or what follows one)
      } else {
        moved(e.bytes.size());
      }
      switch (e.type) {
        case kind::starttls:
          if (!c.start_tls_client(tls_ctx_, settings_.server.host)) ++failures_;
          return;
        case kind::ready: start(); break;
        case kind::listing:
          if (e.command == pop3::verb::uidl) listing_.emplace_back(e.message, std::string(e.unique_id));
          break;
        case kind::chunk:
          message_.write(e.bytes);
          body_bytes_ += e.bytes.size();
          bar_.update(fetched_, done_bytes_ + body_bytes_);
          break;
        case kind::reply: on_reply(e); break;
        case kind::error:
          bar_.clear();
          fmt::print(stderr, "error: {}{}\n", explain(e.error), server_text(e));
          ++failures_;
          break;
        case kind::closed:
          finished_ = true;
          c.close();
          return;
        case kind::need_more:
        case kind::write_output: break;
      }
    }
  }

  // The server's words, escaped: it chooses them.
  static std::string server_text(const pop3::client_event& e) {
    if (e.text.empty() && e.code_text.empty()) return {};
    return fmt::format(" (server: {}{})", e.code_text.empty() ? "" : "[" + mw::text_escape(e.code_text) + "] ",
                       mw::text_escape(e.text));
  }

  // What an error means for the person at the keyboard.
  std::string explain(errc e) const {
    switch (e) {
      case errc::sasl_insecure:
        return "logging in would send the password in clear (no TLS): not sent. --stls or --implicit-tls "
               "protects it; --allow-plaintext-auth sends it anyway";
      case errc::tls_unavailable: return "--stls: the server does not offer STLS (or refused it); nothing sent";
      case errc::extension_missing:
        return logged_in_ ? "the server does not offer UIDL: cannot tell new messages from old"
                          : "--apop: the greeting has no APOP timestamp";
      case errc::sasl_unknown_mechanism:
        return settings_.mechanism ? fmt::format("the server does not offer --mech {}", sasl::to_string(*settings_.mechanism))
                                   : std::string("the server offers no login method this program can use");
      case errc::sasl_auth_failed: return "login refused";
      case errc::invalid_argument: return "the user name or password cannot be sent (a space where one is not allowed?)";
      default: return std::string(mailwire::to_string(e));
    }
  }

  void start() {
    logged_in_ = true;
    if (const errc e = client_.uidl(); e != errc::ok) {
      bar_.clear();
      fmt::print(stderr, "error: {}\n", explain(e));
      ++failures_;
      (void)client_.quit();
    }
  }

  void on_reply(const pop3::client_event& e) {
    switch (e.command) {
      case pop3::verb::uidl: return plan(e);
      case pop3::verb::retr: return stored(e);
      case pop3::verb::dele:
        if (e.ok) {
          ++deletions_acknowledged_;
        } else {
          bar_.clear();
          fmt::print(stderr, "DELE {} refused{}\n", e.message, server_text(e));
          ++failures_;
        }
        return;
      case pop3::verb::quit:
        quit_ok_ = e.ok;
        if (e.ok) {
          deleted_ = deletions_acknowledged_;  // applied at QUIT, not before
        } else {
          bar_.clear();
          fmt::print(stderr, "QUIT: the server did not apply the deletions{}\n", server_text(e));
          ++failures_;
        }
        return;
      default: return;
    }
  }

  // UIDL's listing is in: what to fetch, what to skip (and delete).
  void plan(const pop3::client_event& e) {
    if (!e.ok) {
      bar_.clear();
      fmt::print(stderr, "UIDL refused{}\n", server_text(e));
      ++failures_;
      return finish();
    }
    std::unordered_set<std::string> ids;
    for (const auto& [n, uid] : listing_) {
      if (!ids.insert(uid).second) {
        bar_.clear();
        fmt::print(stderr, "message {}: unique-id {} listed twice: not fetched\n", n, uid);
        ++failures_;
        continue;
      }
      uids_[n] = uid;
      if (!state_.contains(uid)) {
        wanted_.push_back(n);
        continue;
      }
      ++skipped_;
      remove(n);
    }
    listing_.clear();
    bar_.set_total(wanted_.size(), 0);  // sizes unknown (no LIST): the time left comes from the count
    bar_.update(0, 0, true);
    fill();
    if (in_flight_ == 0) finish();  // nothing new
  }

  // RETR while fewer than the window are in flight (one at a time without
  // pipelining: the machine would hold them back anyway).
  void fill() {
    const std::size_t window = client_.server_capabilities().pipelining && settings_.pipelining ? retr_window : 1;
    while (in_flight_ < window && !wanted_.empty()) {
      (void)client_.retr(wanted_.front());
      wanted_.pop_front();
      ++in_flight_;
    }
  }

  // A RETR's reply: its chunks went to tmp/; store, record, delete.
  void stored(const pop3::client_event& e) {
    --in_flight_;
    body_bytes_ = 0;
    const std::string& uid = uids_[e.message];
    if (!e.ok || e.error != errc::ok) {
      message_.discard();
      bar_.clear();
      fmt::print(stderr, "message {} ({}): RETR {}{}\n", e.message, uid,
                 e.ok ? fmt::format("content broke a line rule: {}", mailwire::to_string(e.error)) : "refused",
                 server_text(e));
      ++failures_;
    } else if (const std::string name = message_.commit(); name.empty()) {
      bar_.clear();
      fmt::print(stderr, "message {} ({}): not stored: {}\n", e.message, uid, message_.error());
      message_.discard();
      ++failures_;
    } else if (std::string err; !state_.append(uid, err)) {
      // Stored but not recorded: the next run fetches it again; it must
      // not be deleted meanwhile.
      bar_.clear();
      fmt::print(stderr, "message {} ({}): stored as {}, but the state file failed: {}\n", e.message, uid,
                 box_.new_path(name), err);
      ++failures_;
    } else {
      bar_.clear();
      fmt::print("stored {} {} {}\n", uid, e.size, box_.new_path(name));
      std::fflush(stdout);
      ++fetched_;
      done_bytes_ += e.size;
      bar_.update(fetched_, done_bytes_, true);
      remove(e.message);
    }
    fill();
    if (in_flight_ == 0 && wanted_.empty()) finish();
  }

  // --delete: DELE, for QUIT to apply.
  void remove(std::uint32_t message) {
    if (!settings_.remove) return;
    if (const errc e = client_.dele(message); e != errc::ok) {
      bar_.clear();
      fmt::print(stderr, "message {}: cannot send DELE: {}\n", message, mailwire::to_string(e));
      ++failures_;
    }
  }

  // Every RETR answered (the DELEs may still be in flight: QUIT follows
  // them in order).
  void finish() { (void)client_.quit(); }

  const settings& settings_;
  SSL_CTX* tls_ctx_;
  mw::delivery message_;  // the message being received
  mw::maildir& box_;
  state_file& state_;
  mw::progress_line bar_;  // on stderr, when it is a terminal
  std::uint64_t done_bytes_ = 0;  // of the messages stored
  std::uint64_t body_bytes_ = 0;  // of the message in progress
  std::vector<std::pair<std::uint32_t, std::string>> listing_;  // UIDL, until its end
  std::unordered_map<std::uint32_t, std::string> uids_;
  std::deque<std::uint32_t> wanted_;  // not yet asked for
  std::size_t in_flight_ = 0;
  std::size_t fetched_ = 0, skipped_ = 0, deleted_ = 0, deletions_acknowledged_ = 0;
  bool logged_in_ = false;
  bool quit_ok_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  const settings s = parse_args(argc, argv);

  mw::maildir box;
  mw::tls_context tls;
  if (!mw::open_fetch_target(s.maildir, s.starttls || s.implicit_tls, s.ca_file, s.insecure, box, tls)) return 1;
  std::string err;
  state_file state;
  if (!state.open(s.state, err)) {
    fmt::print(stderr, "state file: {}\n", err);
    return 1;
  }

  pop3::client_options o;
  o.tls = s.implicit_tls ? mailwire::tls_policy::implicit
                         : s.starttls ? mailwire::tls_policy::required : mailwire::tls_policy::none;
  o.username = s.user;
  o.password = s.password;
  o.nonce = mw::random_nonce();
  o.method = s.apop ? pop3::login::apop : s.mechanism ? pop3::login::sasl : pop3::login::automatic;
  o.mechanism = s.mechanism;
  o.auth_policy.allow_cleartext_password = s.allow_plaintext_auth;
  o.use_pipelining = s.pipelining;
  fetch_session session(s, std::move(o), tls.get(), box, state);
  const int timeout_ms = static_cast<int>(s.timeout * 1000);
  const bool connected = mw::run_client(s.server.host, s.server.port, session, s.implicit_tls ? tls.get() : nullptr,
                                        err, timeout_ms);
  if (!connected) fmt::print(stderr, "connect: {}\n", err);
  fmt::print("fetched {}, skipped {}, deleted {}\n", session.fetched(), session.skipped(), session.deleted());
  return connected && session.all_done() ? 0 : 1;
}
