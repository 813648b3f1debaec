// mailwire-smtp-server: an SMTP (or LMTP) server that delivers into a Maildir.
//
//   mailwire-smtp-server --listen 127.0.0.1:2525 --maildir /tmp/Maildir
//       [--tls-cert cert.pem --tls-key key.pem] [--implicit-tls]
//       [--auth user:pass] [--auth-cleartext] [--require-auth]
//       [--lmtp] [--max-size BYTES] [--hostname NAME] [--no-fsync | --sink]
//       [--idle-timeout SECONDS] [--max-connections N]
//
// One smtp::server machine per connection, driven by the examples'
// transport (support/transport.hpp: poll, sockets, OpenSSL). The machine
// does the protocol; this file is the application's half: who may send
// (AUTH), where the bytes go, and what to answer. Each message is streamed
// into Maildir/tmp as it arrives and renamed into new/ once complete, so a
// reader never sees half a message and memory stays flat whatever the size.
// --no-fsync and --sink trade durability for speed (see usage()); they
// exist to compare this server with Postfix's smtp-sink on equal terms.
//
// Exposed to the internet, a server must not let one client hold what
// others need: every session has an idle deadline (measured from the last
// complete command, not the last byte, so dripping bytes does not keep a
// session alive), the number of sessions is capped, and the transport
// rests instead of spinning when the process runs out of descriptors.
// Every peer-controlled field of the log is escaped (mw::log_escape()).
#include <mailwire/fmt.hpp>
#include <mailwire/smtp/server.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "maildir.hpp"
#include "program.hpp"
#include "transport.hpp"

namespace {

namespace mw = mailwire_example;
namespace smtp = mailwire::smtp;
namespace sasl = mailwire::sasl;
using mailwire::errc;
using kind = smtp::server_event_type;

// ------------------------------------------------------------------ config

struct config {
  mw::host_port listen;
  std::string maildir;
  std::string cert, key;
  bool implicit_tls = false;
  std::string user, password;  // empty user: no AUTH
  bool auth_cleartext = false;
  bool require_auth = false;
  bool lmtp = false;
  std::uint64_t max_size = 0;
  std::string hostname = "localhost";
  bool fsync = true;  // --no-fsync: rename without flushing to disk
  bool sink = false;  // --sink: accept and count, store nothing
  // RFC 5321 4.5.3.2.7: a server SHOULD wait at least 5 minutes for the
  // next command; the same bound covers a message's data (4.5.3.2.5 asks
  // 3 minutes per data block of the client).
  std::uint64_t idle_timeout = 300;
  std::uint64_t max_connections = 1000;
};

// An empty `why`: --help, the text on stdout and exit status 0.
[[noreturn]] void usage(const std::string& why) {
  if (!why.empty()) fmt::print(stderr, "mailwire-smtp-server: {}\n", why);
  std::FILE* to = why.empty() ? stdout : stderr;
  std::fputs(
      "usage: mailwire-smtp-server --listen IP:PORT (--maildir DIR | --sink) [--tls-cert FILE --tls-key FILE]\n"
      "       [--implicit-tls] [--auth USER:PASS] [--auth-cleartext] [--require-auth] [--lmtp]\n"
      "       [--max-size BYTES] [--hostname NAME] [--no-fsync] [--idle-timeout SECONDS]\n"
      "       [--max-connections N]\n"
      "       mailwire-smtp-server --help | --version\n",
      to);
  if (!why.empty()) std::exit(2);  // the synopsis is enough; --help has the rest
  std::fputs(
      "\n"
      "An SMTP (or LMTP) server delivering into a Maildir. Logs one line per message\n"
      "on stderr. Peer-supplied text in it (addresses, user names) is escaped, so it\n"
      "cannot fake a field or hide in control or bidi characters: \\\\ and \\\" for\n"
      "backslash and quote, \\t \\r \\n, \\xHH for other bytes outside printable ASCII\n"
      "and for space, < and >, \\uXXXX or \\U00XXXXXX for each UTF-8 character.\n"
      "\n"
      "  --listen IP:PORT       IPv4 address and port to listen on (port 0: any free\n"
      "                         port; the one chosen is printed on stdout)\n"
      "  --maildir DIR          deliver into this Maildir (created if missing)\n"
      "  --tls-cert FILE, --tls-key FILE\n"
      "                         PEM certificate chain and key: offers STARTTLS\n"
      "  --implicit-tls         TLS from the first byte (port-465 style) instead\n"
      "  --auth USER:PASS       the one account for AUTH (PLAIN LOGIN CRAM-MD5\n"
      "                         SCRAM-SHA-1 SCRAM-SHA-256, -PLUS under TLS 1.3);\n"
      "                         offered only under TLS unless --auth-cleartext\n"
      "  --auth-cleartext       offer AUTH without TLS too: PLAIN and LOGIN then show\n"
      "                         the password to anyone on the path\n"
      "  --require-auth         refuse MAIL (530) until the client authenticated\n"
      "  --lmtp                 speak LMTP (RFC 2033): a reply per recipient\n"
      "  --max-size BYTES       largest message, advertised as SIZE (default 0: none)\n"
      "  --hostname NAME        name in the greeting and replies (default localhost)\n"
      "  --idle-timeout SECONDS each command must be complete within SECONDS of the\n"
      "                         last one (and a message's data must move 4 KiB per\n"
      "                         SECONDS); else 421 4.4.2 and close. Counted from the\n"
      "                         last complete command, not the last byte: dripping\n"
      "                         bytes does not keep a session. Default 300 (RFC 5321\n"
      "                         4.5.3.2.7's 5 minutes); 1 to 86400\n"
      "  --max-connections N    sessions at once (default 1000); one more is answered\n"
      "                         421 4.3.2 and closed (under --implicit-tls closed at\n"
      "                         once, before any handshake). 1 to 1000000\n"
      "\n"
      "Out of file descriptors (ulimit -n), the server stops accepting for 100 ms at a\n"
      "time, or until a session ends: new clients wait in the kernel's queue meanwhile.\n"
      "Keep --max-connections well under the descriptor limit.\n"
      "\n"
      "Each accepted message is written to DIR/tmp, fsync'ed, then renamed into DIR/new\n"
      "before the 250 reply, so an accepted message survives a crash or power loss.\n"
      "  --no-fsync  skip the fsync: faster, but a message acknowledged with 250 can be\n"
      "              lost (or left empty) if the machine crashes before the kernel writes\n"
      "              it out. A process crash alone loses nothing already renamed.\n"
      "  --sink      store nothing (instead of --maildir): accept, count and discard\n"
      "              every message, like Postfix's smtp-sink. For benchmarks only:\n"
      "              mail acknowledged with 250 is thrown away.\n"
      "\n"
      "SIGINT or SIGTERM stops the server (exit 0). Exit 2: a usage error; 1: setup failed.\n",
      stdout);
  std::exit(0);
}

config parse_args(int argc, char** argv) {
  config c;
  bool have_listen = false;
  mw::arguments args(argc, argv, usage);
  while (args.next()) {
    const std::string& a = args.current();
    if (a == "--help" || a == "-h") {
      usage({});
    } else if (a == "--listen") {
      c.listen = args.address(0);
      have_listen = true;
    } else if (a == "--maildir") {
      c.maildir = args.value();
    } else if (a == "--tls-cert") {
      c.cert = args.value();
    } else if (a == "--tls-key") {
      c.key = args.value();
    } else if (a == "--implicit-tls") {
      c.implicit_tls = true;
    } else if (a == "--auth") {
      std::tie(c.user, c.password) = args.user_pass();
    } else if (a == "--auth-cleartext") {
      c.auth_cleartext = true;
    } else if (a == "--require-auth") {
      c.require_auth = true;
    } else if (a == "--lmtp") {
      c.lmtp = true;
    } else if (a == "--max-size") {
      c.max_size = args.number(0, UINT64_MAX);
    } else if (a == "--hostname") {
      c.hostname = args.value();
    } else if (a == "--no-fsync") {
      c.fsync = false;
    } else if (a == "--sink") {
      c.sink = true;
    } else if (a == "--idle-timeout") {
      c.idle_timeout = args.number(1, 86400);
    } else if (a == "--max-connections") {
      c.max_connections = args.number(1, 1000000);
    } else {
      usage("unknown option " + a);
    }
  }
  if (!have_listen) usage("--listen is required");
  if (c.sink != c.maildir.empty()) usage(c.sink ? "--sink stores nothing: no --maildir" : "--maildir (or --sink) is required");
  if (c.sink && !c.fsync) usage("--sink and --no-fsync exclude each other");
  if (c.cert.empty() != c.key.empty()) usage("--tls-cert and --tls-key go together");
  if (c.implicit_tls && c.cert.empty()) usage("--implicit-tls needs --tls-cert and --tls-key");
  return c;
}

// ------------------------------------------------------------------ server

// What every session shares: options, TLS, the account, the Maildir.
struct shared {
  config cfg;
  std::size_t sessions = 0;  // alive now, for --max-connections
  smtp::server_options options;
  mw::tls_context tls;
  mw::maildir box;
  mw::account account;  // the one for AUTH (empty user: none)
};

std::string address(const smtp::path& p) {
  switch (p.kind) {
    case smtp::path_kind::null: return {};
    case smtp::path_kind::postmaster: return std::string(p.local_part);
    case smtp::path_kind::mailbox: break;
  }
  return p.quoted ? fmt::format("\"{}\"@{}", p.local_part, p.domain) : fmt::format("{}@{}", p.local_part, p.domain);
}

bool is_plus(sasl::mechanism m) {
  return m == sasl::mechanism::scram_sha_1_plus || m == sasl::mechanism::scram_sha_256_plus;
}

// A session must make progress to keep its place: a complete command, or
// inside a message this much more data, within --idle-timeout.
constexpr std::uint64_t data_progress = 4096;

// One client: owns its machine and answers every event it raises.
class session final : public mw::handler {
 public:
  session(shared& sh, std::string peer) : sh_(sh), smtp_(sh.options), message_(sh.box), peer_(std::move(peer)) {
    ++sh_.sessions;
  }
  ~session() override { --sh_.sessions; }
  session(const session&) = delete;
  session& operator=(const session&) = delete;

  void on_open(mw::connection& c) override { progress(c); }  // the greeting starts the clock

  std::size_t on_plaintext(mw::connection& c, std::string_view bytes) override {
    if (timed_out_) return bytes.size();  // closing: nothing more is read
    // A client that does not read its replies gets no more commands read.
    if (smtp_.pending_output().size() > 64 * 1024) return 0;
    drain(c);  // make room first: events from the last feed may be pending
    const std::size_t replies = smtp_.pending_output().size();
    const std::size_t n = smtp_.feed(bytes);
    drain(c);
    // A reply means a complete command (NOOP, RSET... raise no event).
    if (smtp_.pending_output().size() > replies) progress(c);
    return n;
  }
  // The machine's replies, then (after a timeout) our 421.
  std::string_view pending_plaintext() override {
    const std::string_view p = smtp_.pending_output();
    return p.empty() ? std::string_view(goodbye_) : p;
  }
  void consume_plaintext(std::size_t n) override {
    if (!smtp_.pending_output().empty())
      smtp_.consume_output(n);
    else
      goodbye_.erase(0, n);
  }

  void on_tls_established(mw::connection& c) override {
    (void)smtp_.tls_established();  // invalid_state for implicit TLS: nothing to switch
    // RFC 9266 tls-exporter: defined for TLS 1.3 only (empty otherwise).
    binding_ = c.tls()->exporter_binding();
    tls_ = c.tls()->protocol();
    progress(c);
  }

  // No progress for --idle-timeout: 421 after the replies already queued,
  // then close. A client that does not even read that is cut off after a
  // grace period.
  void on_timeout(mw::connection& c) override {
    if (timed_out_ || closing_) return c.abort("timed out: the client does not read");
    timed_out_ = true;
    fmt::print(stderr, "{} idle timeout: no progress for {} s\n", peer_, sh_.cfg.idle_timeout);
    goodbye_ = "421 4.4.2 " + sh_.cfg.hostname + " Idle timeout, closing connection\r\n";
    c.close();
    c.set_deadline(mw::deadline_clock::now() + std::min(idle(), std::chrono::seconds(10)));
  }

  void on_close(mw::connection&, std::string_view why) override {
    // A message cut off by the close (or a BDAT one never finished).
    if (message_.active()) log("dropped", why.empty() ? "unfinished message" : why);
    message_.discard();
  }

 private:
  std::chrono::seconds idle() const { return std::chrono::seconds(sh_.cfg.idle_timeout); }
  // The session moved on: the idle deadline starts again.
  void progress(mw::connection& c) {
    data_since_ = 0;
    c.set_deadline(mw::deadline_clock::now() + idle());
  }

  void drain(mw::connection& c) {
    for (;;) {
      const smtp::server_event e = smtp_.next();
      // Anything but data is a complete command (or the end of a message);
      // data counts once enough of it arrived. Bytes alone never do. (The
      // commands the machine answers alone count by their reply: see
      // on_plaintext.)
      if (e.type == kind::data_chunk) {
        data_since_ += e.bytes.size();
        if (data_since_ >= data_progress) progress(c);
      } else if (e.type != kind::need_more && e.type != kind::write_output && e.type != kind::paused) {
        progress(c);
      }
      switch (e.type) {
        case kind::need_more:
        case kind::write_output:  // the transport writes pending_output() after each pump
        case kind::paused:  // never here: every decision below is immediate
          return;
        case kind::hello:
        case kind::error:  // answered by the machine already
          break;
        case kind::mail:
          // A new transaction. A BDAT message left without LAST (then RSET
          // or EHLO) raised no event: drop it here.
          message_.discard();
          from_ = mw::log_escape(address(e.cmd->address));
          rcpts_.clear();
          (void)smtp_.accept();
          break;
        case kind::rcpt:
          rcpts_.push_back(mw::log_escape(address(e.cmd->address)));
          (void)smtp_.accept();
          break;
        case kind::data_chunk: message_.write(e.bytes); break;
        case kind::message: finish(e); break;
        case kind::auth_start: auth_start(e.mechanism); break;
        case kind::auth_check: auth_check(*e.auth, e.mechanism); break;
        case kind::authenticated:
          fmt::print(stderr, "{} authenticated {} ({})\n", peer_, mw::log_escape(e.auth_user), sasl::to_string(e.mechanism));
          break;
        case kind::starttls:
          // The 220 is queued: the transport sends it in the clear, then
          // whatever followed STARTTLS is TLS, never commands.
          {
            std::string_view rest;
            (void)smtp_.take_unconsumed(rest);  // ok: the starttls event is the switch point
            c.start_tls_server(sh_.tls.get(), rest);
          }
          return;
        case kind::closed:
          closing_ = true;  // its deadline now bounds the wait for the flush
          c.close();
          return;
      }
    }
  }

  void finish(const smtp::server_event& e) {
    if (e.error != errc::ok) {  // refused by the machine (size, bare LF...), answered already
      message_.discard();
      return log("refused", fmt::format("{:n} at byte {}", e.error, e.offset), e.size);
    }
    const std::string name = message_.commit();
    if (name.empty()) {
      const std::string why = message_.error();
      message_.discard();
      answer(451, {4, 3, 0}, "Local error in processing", e.recipients);
      return log("failed", why, e.size);
    }
    if (sh_.box.sink()) {
      answer(250, {2, 0, 0}, "Accepted and discarded (--sink)", e.recipients);
      return log("discarded", name, e.size);
    }
    answer(250, {2, 0, 0}, "Delivered as " + name, e.recipients);
    log("delivered", name, e.size);
  }

  // SMTP: one reply; LMTP: one per accepted recipient, in RCPT order.
  void answer(std::uint16_t code, smtp::enhanced_status st, const std::string& text, std::size_t recipients) {
    if (!sh_.cfg.lmtp) {
      (void)(code < 400 ? smtp_.accept() : smtp_.reject(code, st, text));
      return;
    }
    for (std::size_t i = 0; i < recipients; ++i) (void)smtp_.reply_recipient(code, st, text);
  }

  void auth_start(sasl::mechanism m) {
    if (is_plus(m) && binding_.empty()) {
      // Offered whenever TLS is possible, but only TLS 1.3 gives us a
      // binding we can vouch for (see exporter_binding()).
      (void)smtp_.reject(504, smtp::enhanced_status{5, 5, 4}, "Channel binding needs TLS 1.3");
      return;
    }
    // 24 random bytes, base64: printable, no ',' (what SCRAM and CRAM-MD5 need).
    const std::string nonce = mw::random_nonce(24);
    sasl::channel_binding cb;
    if (!binding_.empty()) cb = {sasl::channel_binding::type::tls_exporter, binding_};
    (void)smtp_.auth_begin(nonce, cb);
  }

  void auth_check(const sasl::server_request& rq, sasl::mechanism m) {
    using k = mw::account::answer::kind;
    const mw::account::answer a = sh_.account.check(rq, m);
    switch (a.what) {
      case k::accept: (void)smtp_.accept(); return;
      case k::provide_secret: (void)smtp_.auth_provide_secret(a.secret); return;
      case k::provide_scram: (void)smtp_.auth_provide_scram(*a.keys); return;
      case k::reject: break;
    }
    fmt::print(stderr, "{} authentication failed for {} ({})\n", peer_, mw::log_escape(rq.username), sasl::to_string(m));
    (void)smtp_.reject(535, smtp::enhanced_status{5, 7, 8}, "Authentication credentials invalid");
  }

  // One line per message (or timeout); from_ and rcpts_ are escaped already.
  void log(std::string_view result, std::string_view detail, std::uint64_t size = 0) {
    fmt::print(stderr, "{} from=<{}> to=<{}> size={} tls={} auth={} {} {}\n", peer_, from_,
               fmt::join(rcpts_, ">,<"), size, tls_.empty() ? "no" : tls_,
               smtp_.auth_user().empty() ? "-" : mw::log_escape(smtp_.auth_user()), result, detail);
  }

  shared& sh_;
  smtp::server smtp_;
  mw::delivery message_;
  std::string peer_;
  std::string from_;
  std::vector<std::string> rcpts_;
  std::string binding_;  // tls-exporter, TLS 1.3 only
  std::string tls_;      // protocol version, empty before TLS
  std::string goodbye_;  // our 421 after a timeout, sent after the machine's output
  bool timed_out_ = false;
  bool closing_ = false;  // the machine ended the session (221 or its own 421)
  std::uint64_t data_since_ = 0;  // message bytes since the last progress
};

}  // namespace

int main(int argc, char** argv) {
  shared sh;
  sh.cfg = parse_args(argc, argv);
  const config& cfg = sh.cfg;
  std::string err;
  sh.box.set_mode(cfg.sink, cfg.fsync);
  if (!cfg.sink && !sh.box.open(cfg.maildir, err)) {
    fmt::print(stderr, "maildir: {}\n", err);
    return 1;
  }
  if (!cfg.cert.empty()) {
    sh.tls = mw::tls_context::server(cfg.cert, cfg.key, err);
    if (!sh.tls) {
      fmt::print(stderr, "TLS: {}\n", err);
      return 1;
    }
  }

  smtp::server_options& o = sh.options;
  o.hostname = cfg.hostname;
  o.lmtp = cfg.lmtp;
  o.tls_active = cfg.implicit_tls;
  o.offer_starttls = sh.tls && !cfg.implicit_tls;
  o.max_message_size = cfg.max_size;
  o.require_auth = cfg.require_auth;
  // Python's smtplib sends "SMTPUTF8" twice when asked for it explicitly
  // (send_message with mail_options=["SMTPUTF8"]); Postfix accepts that.
  // A repeated valueless flag means nothing new and reopens no attack.
  o.allow_repeated_flag_parameters = true;
  if (!cfg.user.empty()) {
    o.auth_mechanisms = sasl::mechanism_set::parse("PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256");
    if (sh.tls) {
      o.auth_mechanisms.insert(sasl::mechanism::scram_sha_1_plus);
      o.auth_mechanisms.insert(sasl::mechanism::scram_sha_256_plus);
    }
    // Without TLS the machine offers AUTH only if told to: PLAIN and LOGIN
    // would show the password to anyone on the path.
    o.allow_auth_without_tls = cfg.auth_cleartext;
    sh.account.user = cfg.user;
    sh.account.password = cfg.password;
    if (!sh.account.derive_keys()) {
      fmt::print(stderr, "--auth: the password is not valid for SCRAM (SASLprep)\n");
      return 1;
    }
  }

  // The log stays unbuffered, one write(2) per transaction: a line is out
  // before the client can see the reply it describes (the tests rely on
  // it), and batching the lines measured at about 1% of the time.
  mw::server_config sc;
  sc.at = cfg.listen;
  sc.implicit_tls = cfg.implicit_tls ? sh.tls.get() : nullptr;
  sc.max_connections = cfg.max_connections;
  sc.refusal_line = "421 4.3.2 " + cfg.hostname + " Too many connections, try again later\r\n";
  return mw::serve(sc, sh.sessions, [&sh](const std::string& peer) { return std::make_unique<session>(sh, peer); });
}
