// What the example programs share besides the transport: see program.hpp.
#include "program.hpp"

#include <mailwire/core/base64.hpp>
#include <mailwire/core/hmac.hpp>
#include <mailwire/core/utf8.hpp>

#include <sys/random.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <tuple>
#include <utility>

namespace mailwire_example {

namespace sasl = mailwire::sasl;

std::optional<std::uint64_t> parse_number(std::string_view s, std::uint64_t min, std::uint64_t max) {
  if (s.empty() || s.size() > 20 || !std::all_of(s.begin(), s.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
    return std::nullopt;
  }
  std::uint64_t v = 0;
  for (const char ch : s) {
    const auto d = static_cast<std::uint64_t>(ch - '0');
    if (v > (UINT64_MAX - d) / 10) return std::nullopt;  // past 2^64-1
    v = v * 10 + d;
  }
  if (v < min || v > max) return std::nullopt;
  return v;
}

std::string parse_host_port(std::string_view option, std::string_view v, std::uint16_t min_port, host_port& out) {
  const std::string opt(option);
  const std::string value(v);
  std::size_t colon;
  if (!v.empty() && v[0] == '[') {
    const std::size_t close = v.find(']');
    if (close == std::string_view::npos || close + 1 >= v.size() || v[close + 1] != ':') {
      return opt + " wants HOST:PORT or [IPv6]:PORT: '" + value + "'";
    }
    out.host = std::string(v.substr(1, close - 1));
    colon = close + 1;
  } else {
    colon = v.rfind(':');
    if (colon == std::string_view::npos) return opt + " wants HOST:PORT: '" + value + "'";
    out.host = std::string(v.substr(0, colon));
    if (out.host.find(':') != std::string::npos) {
      return opt + ": an IPv6 address goes in brackets: [" + out.host + "]";
    }
  }
  if (out.host.empty() || std::any_of(out.host.begin(), out.host.end(), [](char ch) {
        return static_cast<unsigned char>(ch) <= 0x20 || ch == 0x7F;
      })) {
    return opt + ": not a host name: '" + out.host + "'";
  }
  const std::string_view port = v.substr(colon + 1);
  const std::optional<std::uint64_t> p = parse_number(port, min_port, 65535);
  if (!p) return "the port of " + opt + " wants " + std::to_string(min_port) + " to 65535: '" + std::string(port) + "'";
  out.port = static_cast<std::uint16_t>(*p);
  return {};
}

bool printable(std::string_view s, std::string_view also_refused) {
  for (const char ch : s) {
    if (ch <= 0x20 || ch >= 0x7F || also_refused.find(ch) != std::string_view::npos) return false;
  }
  return true;
}

bool arguments::next() {
  if (++i_ >= argc_) return false;
  current_ = argv_[i_];
  version_option(argv_[i_], argv_[0]);
  if (current_ == "--help" || current_ == "-h") usage_({});
  return true;
}

std::string arguments::value() {
  if (i_ + 1 >= argc_) fail(current_ + " needs a value");
  return argv_[++i_];
}

std::uint64_t arguments::number(std::uint64_t min, std::uint64_t max) {
  const std::string option = current_;
  const std::string v = value();
  const std::optional<std::uint64_t> n = parse_number(v, min, max);
  if (!n) fail(option + " wants " + std::to_string(min) + " to " + std::to_string(max) + ": '" + v + "'");
  return *n;
}

host_port arguments::address(std::uint16_t min_port) {
  const std::string option = current_;
  host_port hp;
  if (const std::string bad = parse_host_port(option, value(), min_port, hp); !bad.empty()) fail(bad);
  return hp;
}

std::pair<std::string, std::string> arguments::user_pass() {
  const std::string option = current_;
  std::string v = value();
  const std::size_t colon = v.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == v.size()) fail(option + " wants USER:PASS");
  return {v.substr(0, colon), v.substr(colon + 1)};
}

std::string arguments::password_file() {
  const std::string option = current_;
  const std::string path = value();
  std::ifstream in(path, std::ios::binary);
  std::string line;
  if (!in || (!std::getline(in, line) && !in.eof())) fail(option + " " + path + ": " + std::strerror(errno));
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

sasl::mechanism arguments::password_mechanism(bool plus) {
  using m = sasl::mechanism;
  const std::string option = current_;
  const std::string v = value();
  const std::optional<m> k = sasl::parse_mechanism(v);
  const m usable[] = {m::plain, m::login, m::cram_md5, m::scram_sha_1, m::scram_sha_256, m::scram_sha_1_plus,
                      m::scram_sha_256_plus};
  const auto end = std::end(usable) - (plus ? 0 : 2);
  if (!k || std::find(std::begin(usable), end, *k) == end) {
    fail(option + " " + v + ": not a mechanism for a user name and password (PLAIN, LOGIN, CRAM-MD5, " +
         (plus ? "SCRAM-SHA-1, SCRAM-SHA-256 or their -PLUS forms)" : "SCRAM-SHA-1 or SCRAM-SHA-256)"));
  }
  return *k;
}

void arguments::fail(const std::string& why) const {
  usage_(why);
  std::exit(2);  // usage() does not return; this is for the compiler
}

namespace {
std::string escape(std::string_view in, bool keep_spaces) {
  std::string out;
  out.reserve(in.size());
  char buf[16];
  for (std::size_t i = 0; i < in.size();) {
    const auto b = static_cast<unsigned char>(in[i]);
    if (b >= 0x80) {
      const mailwire::utf8::decoded d = mailwire::utf8::decode(in, i);
      const auto cp = static_cast<unsigned long>(d.cp);
      if (d.length == 0)
        std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(b));
      else if (cp <= 0xFFFF)
        std::snprintf(buf, sizeof buf, "\\u%04lx", cp);
      else
        std::snprintf(buf, sizeof buf, "\\U%08lx", cp);
      out += buf;
      i += d.length == 0 ? 1 : d.length;
      continue;
    }
    ++i;
    switch (b) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      case '\n': out += "\\n"; break;
      default:
        if ((b > 0x20 || (b == 0x20 && keep_spaces)) && b < 0x7F && b != '<' && b != '>') {
          out += static_cast<char>(b);
        } else {
          std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(b));
          out += buf;
        }
    }
  }
  return out;
}
}  // namespace

std::string log_escape(std::string_view in) { return escape(in, false); }
std::string text_escape(std::string_view in) { return escape(in, true); }

std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  std::size_t got = 0;
  while (got < n) {
    const ssize_t r = ::getrandom(out.data() + got, n - got, 0);
    if (r < 0 && errno != EINTR) {
      std::fprintf(stderr, "getrandom: %s\n", std::strerror(errno));
      std::exit(1);
    }
    if (r > 0) got += static_cast<std::size_t>(r);
  }
  return out;
}

std::string random_nonce(std::size_t bytes) { return mailwire::base64::encode(random_bytes(bytes)); }

bool mailbox_server_args::take(arguments& args) {
  const std::string& a = args.current();
  if (a == "--listen") {
    listen = args.address(0);
    have_listen_ = true;
  } else if (a == "--maildir") {
    maildir = args.value();
    if (maildir.empty()) args.fail("--maildir needs a directory");
  } else if (a == "--user") {
    std::tie(user, password) = args.user_pass();
    // What a client can send as one token (USER's field, a LOGIN atom).
    if (!printable(user)) args.fail("--user: the user name must be printable ASCII without spaces");
    if (std::any_of(password.begin(), password.end(),
                    [](char ch) { return static_cast<unsigned char>(ch) < 0x20 || ch == 0x7F; })) {
      args.fail("--user: the password must not hold control characters");
    }
    have_user_ = true;
  } else if (a == "--tls-cert") {
    cert = args.value();
  } else if (a == "--tls-key") {
    key = args.value();
  } else if (a == "--implicit-tls") {
    implicit_tls = true;
  } else if (a == "--require-tls") {
    require_tls = true;
  } else if (a == "--allow-plaintext-auth") {
    allow_plaintext_auth = true;
  } else if (a == "--max-connections") {
    max_connections = args.number(1, 1000000);
  } else if (a == "--idle-timeout") {
    idle_timeout = args.number(1, 86400);
  } else if (a == "--hostname") {
    hostname = args.value();
    // It goes in a msg-id ("<...@NAME>": APOP timestamp, CRAM-MD5 challenge).
    if (hostname.empty() || hostname.size() > 255 || !printable(hostname, "<>")) {
      args.fail("--hostname wants 1 to 255 printable ASCII characters without spaces, < or >");
    }
  } else {
    return false;
  }
  return true;
}

void mailbox_server_args::check(const arguments& args) const {
  if (!have_listen_) args.fail("--listen is required");
  if (maildir.empty()) args.fail("--maildir is required");
  if (!have_user_) args.fail("--user is required");
  if (cert.empty() != key.empty()) args.fail("--tls-cert and --tls-key go together");
  if (implicit_tls && cert.empty()) args.fail("--implicit-tls needs --tls-cert and --tls-key");
  if (require_tls && cert.empty()) args.fail("--require-tls needs --tls-cert and --tls-key");
}

bool setup_server(const mailbox_server_args& a, tls_context& tls, account& acct, std::string& err) {
  if (!a.cert.empty()) {
    tls = tls_context::server(a.cert, a.key, err);
    if (!tls) {
      err = "TLS: " + err;
      return false;
    }
  }
  acct.user = a.user;
  acct.password = a.password;
  if (!acct.derive_keys()) {
    err = "--user: the password is not valid for SCRAM (SASLprep)";
    return false;
  }
  return true;
}

bool account::derive_keys() {
  const std::string salt = random_bytes(16), decoy_salt = random_bytes(16), decoy = random_bytes(16);
  const std::uint32_t iterations = 4096;  // RFC 7677's minimum
  if (sasl::make_scram_keys(sasl::mechanism::scram_sha_1, password, salt, iterations, sha1) != mailwire::errc::ok ||
      sasl::make_scram_keys(sasl::mechanism::scram_sha_256, password, salt, iterations, sha256) !=
          mailwire::errc::ok) {
    return false;
  }
  decoy_sha1 = sasl::derive_scram_keys(sasl::mechanism::scram_sha_1, decoy, decoy_salt, iterations);
  decoy_sha256 = sasl::derive_scram_keys(sasl::mechanism::scram_sha_256, decoy, decoy_salt, iterations);
  return true;
}

bool account::accepts(std::string_view name, std::string_view pass) const {
  return name == user && mailwire::constant_time_equal(pass, password);
}

std::optional<std::string_view> account::secret_of(std::string_view name) const {
  if (name != user) return std::nullopt;
  return std::string_view(password);
}

account::answer account::check(const sasl::server_request& rq, sasl::mechanism m) const {
  using rk = sasl::request_type;
  using kind = answer::kind;
  const bool known = rq.username == user;
  const bool self = rq.authzid.empty() || rq.authzid == rq.username;
  answer a;
  switch (rq.type) {
    case rk::password:
      if (self && accepts(rq.username, rq.password)) a.what = kind::accept;
      break;
    case rk::secret:
      if (known && self) {
        a.what = kind::provide_secret;
        a.secret = password;
      }
      break;
    case rk::scram_keys:
      if (self) {
        const bool sha1_family = m == sasl::mechanism::scram_sha_1 || m == sasl::mechanism::scram_sha_1_plus;
        a.what = kind::provide_scram;
        a.keys = sha1_family ? (known ? &sha1 : &decoy_sha1) : (known ? &sha256 : &decoy_sha256);
      }
      break;
    default: break;
  }
  return a;
}

void client_session::on_open(connection& c) {
  conn_ = &c;
  progress();
}

void client_session::on_timeout(connection& c) {
  c.abort("timed out: the server did not answer or move data for " + std::to_string(timeout_) + " s (--timeout)");
}

void client_session::on_close(connection&, std::string_view why) {
  if (!why.empty()) {
    std::fprintf(stderr, "connection closed: %.*s\n", static_cast<int>(why.size()), why.data());
    ++failures_;
  } else if (!finished_) {
    std::fprintf(stderr, "connection closed by the server before the session ended\n");
    ++failures_;
  }
}

void client_session::progress() {
  moved_ = 0;
  if (conn_ != nullptr) conn_->set_deadline(deadline_clock::now() + std::chrono::seconds(timeout_));
}

int serve(const server_config& cfg, const std::size_t& sessions, const event_loop::accept_fn& make) {
  std::string err;
  event_loop loop;
  if (!loop.stop_on_signals(err)) {
    std::fprintf(stderr, "%s\n", err.c_str());
    return 1;
  }
  const std::uint16_t port = loop.listen(
      cfg.at.host, cfg.at.port,
      [&](const std::string& peer) -> std::unique_ptr<handler> {
        if (sessions >= cfg.max_connections) {
          std::fprintf(stderr, "%s refused: too many connections (%zu)\n", peer.c_str(), sessions);
          if (cfg.implicit_tls != nullptr) return nullptr;
          return std::make_unique<refusal>(cfg.refusal_line);
        }
        return make(peer);
      },
      cfg.implicit_tls, err);
  if (port == 0) {
    std::fprintf(stderr, "%s\n", err.c_str());
    return 1;
  }
  std::printf("listening on %s:%u\n", cfg.at.host.c_str(), static_cast<unsigned>(port));
  std::fflush(stdout);
  loop.run();  // open sessions are closed on the way out
  std::fprintf(stderr, "stopped\n");
  return 0;
}

void refusal::on_open(connection& c) {
  c.close();  // after the line
  c.set_deadline(deadline_clock::now() + std::chrono::seconds(10));  // a peer that never reads
}

}  // namespace mailwire_example

namespace mailwire_example {

bool has_control(std::string_view v) {
  return std::any_of(v.begin(), v.end(), [](char ch) { return static_cast<unsigned char>(ch) < 0x20 || ch == 0x7F; });
}

bool open_fetch_target(const std::string& dir, bool tls, const std::string& ca_file, bool insecure, maildir& box,
                       tls_context& ctx) {
  std::string err;
  if (!box.open(dir, err)) {
    std::fprintf(stderr, "maildir: %s\n", err.c_str());
    return false;
  }
  if (!tls) return true;
  ctx = tls_context::client(ca_file, insecure, err);
  if (!ctx) std::fprintf(stderr, "TLS setup: %s\n", err.c_str());
  return static_cast<bool>(ctx);
}

// ---------------------------------------------------------------- fetchers

bool fetch_args::take(arguments& args) {
  const std::string& a = args.current();
  if (a == "--server") {
    server = args.address(1);
    have_server_ = true;
  } else if (a == starttls_flag_) {
    starttls = true;
  } else if (a == "--implicit-tls") {
    implicit_tls = true;
  } else if (a == "--ca") {
    ca_file = args.value();
    if (ca_file.empty()) args.fail("--ca needs a file name");
  } else if (a == "--insecure") {
    insecure = true;
  } else if (a == "--user") {
    user = args.value();
  } else if (a == "--pass" || a == "--pass-file") {
    if (std::exchange(have_pass_, true)) args.fail("one of --pass and --pass-file, once");
    password = a == "--pass" ? args.value() : args.password_file();
  } else if (a == "--mech") {
    mechanism = args.password_mechanism(false);
  } else if (a == "--allow-plaintext-auth") {
    allow_plaintext_auth = true;
  } else if (a == "--maildir") {
    maildir = args.value();
    if (maildir.empty()) args.fail("--maildir needs a directory");
  } else if (a == "--state") {
    state = args.value();
    if (state.empty()) args.fail("--state needs a file name");
  } else if (a == "--timeout") {
    timeout = args.number(1, 86400);
  } else if (a == "--quiet") {
    quiet = true;
  } else {
    return false;
  }
  return true;
}

void fetch_args::check(const arguments& args) {
  const std::string tls = starttls_flag_;
  if (!have_server_) args.fail("--server is required");
  if (user.empty()) args.fail("--user is required");
  if (!have_pass_) args.fail("--pass or --pass-file is required");
  if (maildir.empty()) args.fail("--maildir is required");
  if (has_control(user)) args.fail("--user: control characters cannot be sent");
  if (password.empty() || has_control(password)) args.fail("the password must be non-empty, without control characters");
  if (starttls && implicit_tls) args.fail(tls + " and --implicit-tls exclude each other");
  if (insecure && !ca_file.empty()) args.fail("--ca and --insecure exclude each other");
  if ((insecure || !ca_file.empty()) && !starttls && !implicit_tls) {
    args.fail("--ca and --insecure are about TLS: give " + tls + " or --implicit-tls");
  }
  if (state.empty()) state = maildir + "/" + state_name_;
}

std::string fetch_args::help_connection() const {
  return std::string(
             "  --server HOST:PORT   the server (a name, an IPv4 address or [IPv6]; PORT 1-65535)\n"
             "  --implicit-tls       TLS from the first byte (port ") +
         implicit_port_ + ").\n"
         "                       Neither this nor " + starttls_flag_ + ": plain text\n"
         "  --ca FILE            trust the CA certificates in FILE (PEM) instead of the\n"
         "                       system's store (the host name or IP address of --server is\n"
         "                       checked either way)\n"
         "  --insecure           accept any certificate (tests only: no protection then)\n"
         "  --user USER          the user name\n"
         "  --pass PASS          the password (visible to other users in ps: prefer\n"
         "                       --pass-file)\n"
         "  --pass-file FILE     the password is the first line of FILE\n";
}

std::string fetch_args::help_storage() const {
  return "  --maildir DIR        store into this Maildir (DIR, DIR/tmp, DIR/new and DIR/cur\n"
         "                       are created if missing)\n"
         "  --timeout SECONDS    the longest wait for anything: the connection, each\n"
         "                       response, the TLS handshake, and a message (which must move\n"
         "                       4 KiB per SECONDS). Default 60; 1 to 86400. Name resolution\n"
         "                       keeps the system resolver's own timeouts\n"
         "  --quiet              no progress display. Default: when stderr is a terminal,\n"
         "                       one line there shows messages and bytes done, the rate\n"
         "                       and the time left\n"
         "  --help               this text\n"
         "  --version            the program's version (mailwire's)\n";
}

progress_line::progress_line(bool quiet) : on_(!quiet && ::isatty(STDERR_FILENO) == 1) {}

void progress_line::set_total(std::size_t messages, std::uint64_t bytes) {
  total_messages_ = messages;
  total_bytes_ = bytes;
  start_ = std::chrono::steady_clock::now();
}

void progress_line::update(std::size_t done, std::uint64_t bytes, bool force) {
  if (!on_) return;
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  const double seconds = std::chrono::duration<double>(now - start_).count();
  const std::string line = text(done, total_messages_, bytes, total_bytes_, seconds);
  std::fprintf(stderr, "\r%s\033[K", line.c_str());
  shown_ = true;
}

void progress_line::clear() {
  if (!shown_) return;
  std::fputs("\r\033[K", stderr);
  shown_ = false;
}

namespace {
// "45s", "12m05s", "3h07m".
std::string duration_text(double seconds) {
  const auto s = static_cast<std::uint64_t>(seconds + 0.5);
  char buf[32];
  if (s < 60) {
    std::snprintf(buf, sizeof buf, "%llus", static_cast<unsigned long long>(s));
  } else if (s < 3600) {
    std::snprintf(buf, sizeof buf, "%llum%02llus", static_cast<unsigned long long>(s / 60),
                  static_cast<unsigned long long>(s % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%lluh%02llum", static_cast<unsigned long long>(s / 3600),
                  static_cast<unsigned long long>(s / 60 % 60));
  }
  return buf;
}
}  // namespace

std::string progress_line::text(std::size_t done, std::size_t total_messages, std::uint64_t bytes,
                                std::uint64_t total_bytes, double seconds) {
  char buf[160];
  const double mb = static_cast<double>(bytes) / 1e6;
  int n = total_bytes != 0
              ? std::snprintf(buf, sizeof buf, "%zu/%zu messages, %.1f/%.1f MB", done, total_messages, mb,
                              static_cast<double>(total_bytes) / 1e6)
              : std::snprintf(buf, sizeof buf, "%zu/%zu messages, %.1f MB", done, total_messages, mb);
  std::string out(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
  // The rate once there is something to measure (a quarter of a second).
  if (seconds < 0.25 || bytes == 0) return out;
  const double rate = static_cast<double>(bytes) / seconds;
  n = std::snprintf(buf, sizeof buf, ", %.1f MB/s", rate / 1e6);
  out.append(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
  double left = -1;
  if (total_bytes != 0) {
    left = total_bytes > bytes ? static_cast<double>(total_bytes - bytes) / rate : 0;
  } else if (done != 0 && total_messages >= done) {
    left = static_cast<double>(total_messages - done) * seconds / static_cast<double>(done);
  }
  if (left >= 0 && done < total_messages) out += ", " + duration_text(left) + " left";
  return out;
}

}  // namespace mailwire_example
