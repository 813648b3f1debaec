// mailwire-pop3-server: a POP3 server for one user's Maildir.
//
//   mailwire-pop3-server --listen 127.0.0.1:1110 --maildir /tmp/Maildir --user alice:secret
//       [--tls-cert cert.pem --tls-key key.pem] [--implicit-tls] [--require-tls]
//       [--allow-plaintext-auth] [--max-connections N] [--idle-timeout SECONDS]
//       [--hostname NAME]
//
// One pop3::server machine per connection, driven by the examples'
// transport (support/transport.hpp: epoll, sockets, OpenSSL). The machine
// does the protocol (states, CAPA, STAT, LIST, UIDL, DELE marks, dot
// stuffing, the limits on lines, errors and failed logins); this file is
// the application's half: who may log in, what the maildrop holds, the
// message bytes, and what QUIT removes.
//
// The maildrop is DIR/new and DIR/cur, scanned when the user logs in and
// locked until the session ends: in this process (a set of users) and
// across processes (flock(2) on DIR/.mailwire-pop3.lock), so a second
// session, from this server or another one on the same Maildir, gets
// -ERR [IN-USE]. A message's unique-id is its file name up to the first
// ':' (Maildir's unique part, stable when a reader moves the file from
// new/ to cur/ and adds flags); its size is counted as served (see
// served_size()). Messages stream from their file in 64 KiB pieces, only
// when the machine says `paused` (its output is below its bound): memory
// stays flat whatever a message's size, and a client that does not read
// stops the reading of the file. DELE marks; only QUIT in the
// TRANSACTION state unlinks (a dropped connection deletes nothing).
//
// Exposed to the internet, a server must not let one client hold what
// others need: every session has an idle deadline (from the last complete
// command, or the last 4 KiB the client read of a message: bytes dripped
// in never count), the number of sessions is capped, and the transport
// rests instead of spinning when the process runs out of descriptors.
// Every peer-controlled field of the log is escaped (mw::log_escape()).
#include <mailwire/pop3/server.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fmt/format.h>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "maildir.hpp"
#include "program.hpp"
#include "transport.hpp"

namespace {

namespace mw = mailwire_example;
namespace pop3 = mailwire::pop3;
namespace sasl = mailwire::sasl;
using mailwire::errc;
using kind = pop3::server_event_type;

// ------------------------------------------------------------------ config

// RFC 1939 3: the autologout timer "MUST be of at least 10 minutes".
struct config : mw::mailbox_server_args {
  config() : mw::mailbox_server_args(600) {}
};

// An empty `why`: --help, the text on stdout and exit status 0.
[[noreturn]] void usage(const std::string& why) {
  if (!why.empty()) fmt::print(stderr, "mailwire-pop3-server: {}\n", why);
  std::FILE* to = why.empty() ? stdout : stderr;
  std::fputs(
      "usage: mailwire-pop3-server --listen IP:PORT --maildir DIR --user USER:PASS\n"
      "       [--tls-cert FILE --tls-key FILE] [--implicit-tls] [--require-tls] [--allow-plaintext-auth]\n"
      "       [--max-connections N] [--idle-timeout SECONDS] [--hostname NAME]\n"
      "       mailwire-pop3-server --help | --version\n",
      to);
  if (!why.empty()) std::exit(2);  // the synopsis is enough; --help has the rest
  std::fputs(
      "\n"
      "A POP3 server (RFC 1939, 2449, 2595, 5034) for one user's Maildir. Logs on\n"
      "stderr; peer-supplied text in it (user names) is escaped, so it cannot fake a\n"
      "field or hide in control or bidi characters: \\\\ and \\\" for backslash and\n"
      "quote, \\t \\r \\n, \\xHH for other bytes outside printable ASCII and for space,\n"
      "< and >, \\uXXXX or \\U00XXXXXX for each UTF-8 character.\n"
      "\n"
      "  --listen IP:PORT       address and port to listen on (port 0: any free port);\n"
      "                         the first line on stdout is 'listening on IP:PORT'\n"
      "  --maildir DIR          the maildrop: messages in DIR/new and DIR/cur (the\n"
      "                         directories are created if missing)\n"
      "  --user USER:PASS       the one account. Logins: USER/PASS, APOP (timestamp\n"
      "                         in the greeting), SASL PLAIN LOGIN CRAM-MD5\n"
      "                         SCRAM-SHA-1 SCRAM-SHA-256\n"
      "  --tls-cert FILE, --tls-key FILE\n"
      "                         PEM certificate chain and key: offers STLS\n"
      "  --implicit-tls         TLS from the first byte (port-995 style) instead\n"
      "  --require-tls          before TLS serve only CAPA, STLS and QUIT (needs\n"
      "                         --tls-cert and --tls-key)\n"
      "  --allow-plaintext-auth offer USER/PASS, PLAIN and LOGIN without TLS too: they\n"
      "                         show the password to anyone on the path. Without it\n"
      "                         they wait for TLS (APOP, CRAM-MD5 and SCRAM do not)\n"
      "  --max-connections N    sessions at once (default 100); one more is answered\n"
      "                         '-ERR [SYS/TEMP] too many connections' and closed\n"
      "                         (under --implicit-tls closed at once, before any\n"
      "                         handshake). 1 to 1000000\n"
      "  --idle-timeout SECONDS a session without a complete command (or, while a\n"
      "                         message is sent, without the client reading 4 KiB of\n"
      "                         it) for SECONDS is closed, without a response and\n"
      "                         without deleting anything (RFC 1939 3). Default 600\n"
      "                         (RFC 1939's 10-minute minimum); 1 to 86400\n"
      "  --hostname NAME        name in the greeting and its APOP timestamp\n"
      "                         <pid.counter.time@NAME> (default localhost)\n"
      "\n"
      "The unique-id (UIDL) of a message is its file name up to the first ':'; a name\n"
      "that is not a valid unique-id (1 to 70 printable ASCII characters) gets one\n"
      "derived from it (\"sha256-\" and 40 hex digits). Sizes (STAT, LIST) are the\n"
      "bytes as served: a file with LF line ends is served with CRLF. A name with\n"
      "Dovecot's ',W=<size>' gives the size without reading the file.\n"
      "\n"
      "One session at a time holds the maildrop: another one, from this process or\n"
      "another on the same Maildir, gets '-ERR [IN-USE]'. DELE takes effect at QUIT\n"
      "(the files are unlinked); a session that ends any other way deletes nothing.\n"
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
    } else if (!c.take(args)) {
      usage("unknown option " + a);
    }
  }
  c.check(args);
  return c;
}

// ----------------------------------------------------------------- maildrop

// A file's size known from an earlier scan: Maildir messages never change
// once in new/ or cur/, so the same name, size and mtime mean the same
// served size.
struct known_size {
  off_t bytes = 0;
  struct timespec mtime {};
  std::uint64_t served = 0;
};

// What every session shares: options, TLS, the account, the locks.
struct shared {
  config cfg;
  std::size_t sessions = 0;  // alive now, for --max-connections
  pop3::server_options options;
  mw::tls_context tls;
  mw::account account;
  std::set<std::string> locked;  // users whose maildrop a session holds
  std::unordered_map<std::string, known_size> sizes;  // by path, from the last scan
  unsigned long apop_counter = 0;
};

// The size of a message as the machine's dot writer serves it (before
// stuffing): a bare CR or a bare LF becomes CRLF, and a last line without
// its line end gets one. nullopt on a read error.
std::optional<std::uint64_t> served_size(int fd) {
  std::uint64_t n = 0;
  bool cr = false;  // the last byte was a CR, its pair not yet seen
  char last = '\n';
  static char buf[64 * 1024];  // one session scans at a time
  for (;;) {
    const ssize_t r = ::read(fd, buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return std::nullopt;
    if (r == 0) break;
    for (ssize_t i = 0; i < r; ++i) {
      const char ch = buf[i];
      if (cr) {
        cr = false;
        n += 2;  // CRLF, or a bare CR made CRLF
        if (ch == '\n') continue;
      }
      if (ch == '\r') {
        cr = true;
      } else {
        n += ch == '\n' ? 2 : 1;
      }
    }
    last = buf[r - 1];
  }
  if (last != '\n') n += 2;  // a last bare CR made CRLF, or a last line ended
  return n;
}

// Dovecot's ",W=<n>" in the unique part: the size with CRLF line ends.
std::optional<std::uint64_t> size_in_name(std::string_view unique) {
  const std::size_t w = unique.find(",W=");
  if (w == std::string_view::npos) return std::nullopt;
  std::string_view digits = unique.substr(w + 3);
  digits = digits.substr(0, digits.find(','));
  return mw::parse_number(digits, 0, UINT64_MAX);
}

// A unique-id for a file whose name gives none: "sha256-" and the first
// 40 hex digits of SHA-256 of `from`. The id must stay the same from one
// session to the next, so it is derived from the name, never random.
std::string derived_id(std::string_view from) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(from.data(), from.size(), md, &len, EVP_sha256(), nullptr);
  std::string id = "sha256-";
  for (unsigned int i = 0; i < 20 && i < len; ++i) id += fmt::format("{:02x}", md[i]);
  return id;
}

// One user's Maildir as a POP3 maildrop: locked from login to the end of
// the session, scanned at login.
class maildrop {
 public:
  explicit maildrop(shared& sh) : sh_(sh) {}
  ~maildrop() { unlock(); }
  maildrop(const maildrop&) = delete;
  maildrop& operator=(const maildrop&) = delete;

  enum class lock_result { locked, in_use, failed };

  // The set first (a session of this process), then flock(2) (a session
  // of another process: flock also refuses a second open file description
  // in the same process, but the set says so without a system call).
  lock_result lock(const std::string& user, std::string& err) {
    if (!sh_.locked.insert(user).second) return lock_result::in_use;
    const std::string path = sh_.cfg.maildir + "/.mailwire-pop3.lock";
    lock_fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock_fd_ >= 0 && ::flock(lock_fd_, LOCK_EX | LOCK_NB) == 0) {
      user_ = user;
      return lock_result::locked;
    }
    const bool busy = lock_fd_ >= 0 && errno == EWOULDBLOCK;
    err = path + ": " + std::strerror(errno);
    if (lock_fd_ >= 0) ::close(lock_fd_);
    lock_fd_ = -1;
    sh_.locked.erase(user);
    return busy ? lock_result::in_use : lock_result::failed;
  }

  void unlock() {
    if (lock_fd_ < 0) return;
    ::close(lock_fd_);  // releases the flock
    lock_fd_ = -1;
    sh_.locked.erase(user_);
    user_.clear();
  }

  // Lists new/ and cur/ (regular files whose name does not start with
  // '.'), in name order: Maildir names start with the delivery time.
  bool scan(std::vector<pop3::message_info>& listing, std::string& err) {
    struct entry {
      std::string name, sub;
      struct stat st;
    };
    std::vector<entry> found;
    for (const char* sub : {"new", "cur"}) {
      const std::string dir = sh_.cfg.maildir + "/" + sub;
      DIR* d = ::opendir(dir.c_str());
      if (d == nullptr) {
        err = dir + ": " + std::strerror(errno);
        return false;
      }
      while (const dirent* de = ::readdir(d)) {
        entry e{de->d_name, sub, {}};
        if (e.name[0] == '.' || ::fstatat(::dirfd(d), de->d_name, &e.st, AT_SYMLINK_NOFOLLOW) != 0 ||
            !S_ISREG(e.st.st_mode)) {
          continue;
        }
        found.push_back(std::move(e));
      }
      ::closedir(d);
    }
    std::sort(found.begin(), found.end(),
              [](const entry& a, const entry& b) { return a.name != b.name ? a.name < b.name : a.sub < b.sub; });
    std::unordered_map<std::string, known_size> sizes;
    std::set<std::string> ids;
    paths_.clear();
    listing.clear();
    for (const entry& e : found) {
      const std::string path = sh_.cfg.maildir + "/" + e.sub + "/" + e.name;
      const std::string_view unique = std::string_view(e.name).substr(0, e.name.find(':'));
      pop3::message_info m;
      // The unique part when it is a valid unique-id, not taken yet (the
      // same message in new/ and cur/); else one derived from the name.
      m.unique_id = std::string(unique);
      if (!pop3::is_valid_unique_id(m.unique_id) || ids.count(m.unique_id) != 0) {
        m.unique_id = derived_id(unique);
        if (ids.count(m.unique_id) != 0) m.unique_id = derived_id(e.sub + "/" + e.name);
      }
      ids.insert(m.unique_id);
      if (const std::optional<std::uint64_t> w = size_in_name(unique)) {
        m.size = *w;
      } else if (const auto k = sh_.sizes.find(path); k != sh_.sizes.end() && k->second.bytes == e.st.st_size &&
                                                      k->second.mtime.tv_sec == e.st.st_mtim.tv_sec &&
                                                      k->second.mtime.tv_nsec == e.st.st_mtim.tv_nsec) {
        m.size = k->second.served;
        sizes.emplace(path, k->second);
      } else {
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        const std::optional<std::uint64_t> n = fd >= 0 ? served_size(fd) : std::nullopt;
        const int why = errno;
        if (fd >= 0) ::close(fd);
        if (!n) {
          if (why == ENOENT) continue;  // removed meanwhile (by another reader)
          err = path + ": " + std::strerror(why);
          return false;
        }
        m.size = *n;
        sizes.emplace(path, known_size{e.st.st_size, e.st.st_mtim, *n});
      }
      paths_.push_back(path);
      listing.push_back(std::move(m));
    }
    sh_.sizes = std::move(sizes);  // only what is still there
    return true;
  }

  const std::string& path(std::uint32_t message) const { return paths_.at(message - 1); }

  // Unlinks the messages (a file already gone counts as removed), then
  // flushes the directories so the removal survives a crash. Returns how
  // many could not be removed (`err`: the first reason).
  std::size_t remove(const std::vector<std::uint32_t>& messages, std::string& err) {
    std::size_t failed = 0;
    for (const std::uint32_t n : messages) {
      if (::unlink(path(n).c_str()) != 0 && errno != ENOENT) {
        const int why = errno;
        if (failed++ == 0) err = path(n) + ": " + std::strerror(why);
      }
    }
    for (const char* sub : {"new", "cur"}) {
      const int d = ::open((sh_.cfg.maildir + "/" + sub).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (d >= 0) {
        ::fsync(d);
        ::close(d);
      }
    }
    return failed;
  }

 private:
  shared& sh_;
  int lock_fd_ = -1;
  std::string user_;
  std::vector<std::string> paths_;  // message n is paths_[n - 1]
};

// ------------------------------------------------------------------ server

// The size of the pieces a message is read in; the machine takes the next
// one when its output is below its bound (paused).
constexpr std::size_t message_piece = 64 * 1024;
// While a message streams, the client reading this much of it is
// progress (it keeps the session from the idle timeout).
constexpr std::uint64_t read_progress = 4096;

std::string_view method_name(const pop3::server_event& e) {
  switch (e.method) {
    case pop3::login_method::user_pass: return "USER/PASS";
    case pop3::login_method::apop: return "APOP";
    case pop3::login_method::sasl: break;
  }
  return sasl::to_string(e.mechanism);
}

// One client: owns its machine and answers every event it raises.
class session final : public mw::handler {
 public:
  session(shared& sh, std::string peer)
      : sh_(sh), pop3_(options(sh)), drop_(sh), peer_(std::move(peer)) {
    ++sh_.sessions;
  }
  ~session() override {
    close_message();
    --sh_.sessions;
  }
  session(const session&) = delete;
  session& operator=(const session&) = delete;

  void on_open(mw::connection& c) override {
    conn_ = &c;
    progress();  // the greeting starts the clock
  }

  std::size_t on_plaintext(mw::connection&, std::string_view bytes) override {
    if (timed_out_) return bytes.size();  // closing: nothing more is read
    drain();  // make room first: events from the last feed may be pending
    const std::size_t before = pop3_.pending_output().size();
    const std::size_t n = pop3_.feed(bytes);
    drain();
    // A response means a complete command (CAPA, LIST... raise no event).
    if (pop3_.pending_output().size() > before) progress();
    return n;
  }
  std::string_view pending_plaintext() override { return pop3_.pending_output(); }
  void consume_plaintext(std::size_t n) override {
    pop3_.consume_output(n);
    if ((read_since_ += n) >= read_progress) progress();
    // Room in the output: the next piece of a message, or the commands a
    // client pipelined while the machine waited for its output to shrink.
    drain();
  }

  void on_tls_established(mw::connection& c) override {
    (void)pop3_.tls_established();  // invalid_state for implicit TLS: nothing to switch
    tls_ = c.tls()->protocol();
    progress();
    drain();
  }

  // RFC 1939 3: at the autologout timer the server closes the connection
  // without a response and without entering UPDATE.
  void on_timeout(mw::connection& c) override {
    timed_out_ = true;
    fmt::print(stderr, "{} idle timeout: no progress for {} s; nothing deleted\n", peer_, sh_.cfg.idle_timeout);
    c.abort("idle timeout");
  }

  void on_close(mw::connection&, std::string_view why) override {
    if (logged_in_ && !updated_) {
      fmt::print(stderr, "{} {} left without QUIT{}{}: nothing deleted\n", peer_, user_, why.empty() ? "" : ": ",
                 why);
    }
    close_message();
    drop_.unlock();
  }

 private:
  static pop3::server_options options(shared& sh) {
    pop3::server_options o = sh.options;
    // RFC 1939 7: "<process-ID.clock@hostname>", unique per session.
    o.apop_timestamp = fmt::format("<{}.{}.{}@{}>", ::getpid(), ++sh.apop_counter, std::time(nullptr),
                                   sh.cfg.hostname);
    return o;
  }

  // The session moved on: the idle deadline starts again.
  void progress() {
    read_since_ = 0;
    if (conn_ != nullptr) conn_->set_deadline(mw::deadline_clock::now() + std::chrono::seconds(sh_.cfg.idle_timeout));
  }

  void drain() {
    // consume_plaintext() runs inside the transport's calls, and a STLS
    // answered here makes the transport call it again: one drain at a time.
    if (draining_ || conn_ == nullptr || timed_out_) return;
    draining_ = true;
    drain_events();
    note_failures();  // a SCRAM proof or APOP digest the machine found wrong raises no event
    draining_ = false;
  }

  void drain_events() {
    for (;; note_failures()) {  // before the next event: its log line comes after
      const pop3::server_event e = pop3_.next();
      if (e.type != kind::need_more && e.type != kind::write_output && e.type != kind::paused) progress();
      switch (e.type) {
        case kind::need_more:
        case kind::write_output:  // the transport writes pending_output() and calls back
          return;
        case kind::paused:
          // Only a message being sent leaves an event unanswered.
          if (message_fd_ < 0 || !send_piece()) return;
          break;
        case kind::login:
          attempt(e.user, "USER/PASS");
          (void)(sh_.account.accepts(e.user, e.password) ? pop3_.accept() : refuse_login());
          break;
        case kind::apop:
          attempt(e.user, "APOP");
          if (const std::optional<std::string_view> secret = sh_.account.secret_of(e.user)) {
            (void)pop3_.auth_provide_secret(*secret);  // the machine checks the digest
          } else {
            (void)refuse_login();
          }
          break;
        case kind::auth_start:
          attempt({}, sasl::to_string(e.mechanism));
          // 24 random bytes, base64: printable, no ',' (SCRAM, CRAM-MD5).
          if (pop3_.auth_begin(mw::random_nonce(24)) != errc::ok) {
            (void)pop3_.reject(pop3::response_code::sys_temp, "Authentication unavailable");
          }
          break;
        case kind::auth_check: auth_check(*e.auth, e.mechanism); break;
        case kind::open_maildrop: open_maildrop(e); break;
        case kind::retrieve: retrieve(e); break;
        case kind::update: update(); break;
        case kind::starttls: {
          // The +OK is queued: the transport sends it in the clear, then
          // whatever followed STLS is TLS, never commands.
          std::string_view rest;
          (void)pop3_.take_unconsumed(rest);  // ok: the starttls event is the switch point
          conn_->start_tls_server(sh_.tls.get(), rest);
          return;
        }
        case kind::error:  // answered by the machine already; at most max_errors in a row
          fmt::print(stderr, "{} error {} at byte {}\n", peer_, mailwire::to_name(e.error), e.offset);
          break;
        case kind::closed:
          conn_->close();
          return;
      }
    }
  }

  errc refuse_login() { return pop3_.reject(pop3::response_code::auth, "Authentication failed"); }

  // A login begins: who and how, for the log if it fails.
  void attempt(std::string_view user, std::string_view how) {
    attempt_user_ = mw::log_escape(user);
    attempt_how_ = std::string(how);
  }
  // Failed logins, counted by the machine whoever decided (a password
  // refused here, or a wrong APOP digest or SCRAM proof it checked).
  void note_failures() {
    if (pop3_.auth_failures() <= failures_logged_) return;
    failures_logged_ = pop3_.auth_failures();
    fmt::print(stderr, "{} authentication failed for {} ({}), {} so far\n", peer_,
               attempt_user_.empty() ? "-" : attempt_user_, attempt_how_, failures_logged_);
  }

  void auth_check(const sasl::server_request& rq, sasl::mechanism m) {
    using k = mw::account::answer::kind;
    attempt(rq.username, sasl::to_string(m));
    const mw::account::answer a = sh_.account.check(rq, m);
    switch (a.what) {
      case k::accept: (void)pop3_.accept(); return;
      case k::provide_secret: (void)pop3_.auth_provide_secret(a.secret); return;
      case k::provide_scram: (void)pop3_.auth_provide_scram(*a.keys); return;
      case k::reject: break;
    }
    (void)refuse_login();
  }

  void open_maildrop(const pop3::server_event& e) {
    const std::string user = mw::log_escape(e.user);
    const std::string_view how = method_name(e);
    std::string err;
    switch (drop_.lock(std::string(e.user), err)) {
      case maildrop::lock_result::in_use:
        fmt::print(stderr, "{} {} logged in ({}), maildrop in use\n", peer_, user, how);
        (void)pop3_.reject(pop3::response_code::in_use, "Maildrop already locked by another session");
        return;
      case maildrop::lock_result::failed:
        fmt::print(stderr, "{} {}: cannot lock the maildrop: {}\n", peer_, user, err);
        (void)pop3_.reject(pop3::response_code::sys_temp, "Cannot lock the maildrop");
        return;
      case maildrop::lock_result::locked: break;
    }
    std::vector<pop3::message_info> listing;
    if (!drop_.scan(listing, err) || pop3_.open_maildrop(listing) != errc::ok) {
      if (err.empty()) err = "the listing was refused";
      fmt::print(stderr, "{} {}: cannot list the maildrop: {}\n", peer_, user, err);
      drop_.unlock();
      (void)pop3_.reject(pop3::response_code::sys_temp, "Cannot open the maildrop");
      return;
    }
    std::uint64_t total = 0;
    for (const pop3::message_info& m : listing) total += m.size;
    user_ = user;
    logged_in_ = true;
    fmt::print(stderr, "{} {} logged in ({}) tls={}: {} message{}, {} octets\n", peer_, user, how,
               tls_.empty() ? "no" : tls_, listing.size(), listing.size() == 1 ? "" : "s", total);
  }

  void retrieve(const pop3::server_event& e) {
    message_fd_ = ::open(drop_.path(e.message).c_str(), O_RDONLY | O_CLOEXEC);
    if (message_fd_ < 0) {
      fmt::print(stderr, "{} {} message {}: {}: {}\n", peer_, user_, e.message, drop_.path(e.message),
                 std::strerror(errno));
      (void)pop3_.reject(pop3::response_code::sys_temp, "Message unavailable");
    }
    // The bytes follow at each paused event (send_piece).
  }

  // Gives the machine the next piece of the message, or ends it. False
  // when the session cannot go on (a read error after +OK: the client
  // must not take a cut message for a whole one, so the connection drops).
  bool send_piece() {
    if (pop3_.wants_message()) {
      static char buf[message_piece];  // used and done with before the next call
      ssize_t r;
      do {
        r = ::read(message_fd_, buf, sizeof buf);
      } while (r < 0 && errno == EINTR);
      if (r < 0) {
        fmt::print(stderr, "{} {} read error in a message: {}\n", peer_, user_, std::strerror(errno));
        close_message();
        conn_->abort("read error");
        return false;
      }
      if (r > 0) {
        (void)pop3_.send_message(std::string_view(buf, static_cast<std::size_t>(r)));
        return true;
      }
    }
    close_message();  // all of it, or all TOP wants
    (void)pop3_.end_message();
    return true;
  }

  void close_message() {
    if (message_fd_ >= 0) ::close(message_fd_);
    message_fd_ = -1;
  }

  void update() {
    const std::vector<std::uint32_t> gone = pop3_.deleted();
    std::string err;
    const std::size_t failed = drop_.remove(gone, err);
    updated_ = true;
    if (failed != 0) {
      fmt::print(stderr, "{} {} quit: {} of {} deletions failed: {}\n", peer_, user_, failed, gone.size(), err);
      (void)pop3_.reject(pop3::response_code::sys_temp, "Some deleted messages not removed");
      return;
    }
    fmt::print(stderr, "{} {} quit: deleted {} of {}\n", peer_, user_, gone.size(), pop3_.listing().size());
    (void)pop3_.accept();
  }

  shared& sh_;
  pop3::server pop3_;
  maildrop drop_;
  std::string peer_;
  mw::connection* conn_ = nullptr;
  std::string user_;  // escaped, once logged in
  std::string tls_;   // protocol version, empty before TLS
  std::string attempt_user_, attempt_how_;  // the last login attempt (escaped)
  std::size_t failures_logged_ = 0;
  int message_fd_ = -1;         // the message being sent
  std::uint64_t read_since_ = 0;  // output the client took since the last progress
  bool logged_in_ = false;
  bool updated_ = false;
  bool draining_ = false;
  bool timed_out_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  shared sh;
  sh.cfg = parse_args(argc, argv);
  const config& cfg = sh.cfg;
  std::string err;
  if (mw::maildir box; !box.open(cfg.maildir, err)) {  // creates what is missing
    fmt::print(stderr, "maildir: {}\n", err);
    return 1;
  }
  if (!mw::setup_server(cfg, sh.tls, sh.account, err)) {
    fmt::print(stderr, "{}\n", err);
    return 1;
  }

  pop3::server_options& o = sh.options;
  o.greeting = cfg.hostname + " POP3 server ready";
  o.tls_active = cfg.implicit_tls;
  o.offer_stls = sh.tls && !cfg.implicit_tls;
  o.require_tls = cfg.require_tls;
  // Without TLS the machine offers USER, PLAIN and LOGIN only if told to.
  o.allow_plaintext_auth = cfg.allow_plaintext_auth;
  o.auth_mechanisms = sasl::mechanism_set::parse("PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256");
  o.implementation = "mailwire";

  // The log stays unbuffered: a line is out before the client can see the
  // response it describes (the tests rely on it).
  mw::server_config sc;
  sc.at = cfg.listen;
  sc.implicit_tls = cfg.implicit_tls ? sh.tls.get() : nullptr;
  sc.max_connections = cfg.max_connections;
  sc.refusal_line = "-ERR [SYS/TEMP] too many connections\r\n";
  return mw::serve(sc, sh.sessions, [&sh](const std::string& peer) { return std::make_unique<session>(sh, peer); });
}
