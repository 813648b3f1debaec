// mailwire-smtp-send: sends RFC 5322 message files through an SMTP (or
// LMTP) server with mailwire's client machine, over the examples' transport.
//
//   mailwire-smtp-send --server HOST:PORT [--starttls | --implicit-tls]
//       [--ca FILE | --insecure] [--auth USER:PASS [--mech NAME]
//       [--allow-plaintext-auth]] [--lmtp] [--timeout SECONDS]
//       --from ADDR --to ADDR [--to ADDR ...] FILE ...     (FILE "-": stdin)
//
// All files go in one session, pipelined when the server offers PIPELINING
// and as BDAT chunks when it offers CHUNKING. Each recipient's result is
// printed; the exit status is 0 only if every recipient of every message
// was accepted, 1 otherwise, 2 for a usage error. MAIL carries SMTPUTF8
// when an address is UTF-8 and BODY=8BITMIME when a file holds 8-bit bytes
// (a server offering neither gets no such message: an error instead).
// Files are streamed in 64 KiB pieces: the output queue is refilled only
// as the transport drains it.
//
// Everything the command line says is checked before connecting: addresses
// with the library's path parser (all of the text, nothing after the
// path), ports and numbers as digits in range, files opened (stdin spooled
// to a temporary file, so it is scanned for 8-bit bytes like the others
// and never blocks the session). A password goes in clear only with
// --allow-plaintext-auth. After connecting, every failure ends the session
// with QUIT where the protocol still allows, and --timeout bounds every
// wait (see usage()).
#include <mailwire/smtp/client.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "program.hpp"
#include "transport.hpp"

namespace {

namespace smtp = mailwire::smtp;
namespace sasl = mailwire::sasl;
using mailwire::errc;
using mailwire_example::connection;

struct close_file {
  void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};
using file_ptr = std::unique_ptr<std::FILE, close_file>;

// One message to send: its name (for the output), its bytes, and whether
// they need BODY=8BITMIME.
struct input {
  std::string name;
  file_ptr file;
  bool eight_bit = false;
};

struct settings {
  std::string host;
  std::uint16_t port = 0;
  bool starttls = false;
  bool implicit_tls = false;
  std::string ca_file;
  bool insecure = false;
  std::string user;
  std::string password;
  std::optional<sasl::mechanism> mechanism;
  bool allow_plaintext_auth = false;
  bool lmtp = false;
  std::uint64_t timeout = 60;
  std::string from;
  std::vector<std::string> to;
  // What they parse to: paths view into `wire`, which never moves.
  std::deque<std::string> wire;
  smtp::path from_path;
  std::vector<smtp::path> to_paths;
  std::vector<input> inputs;
};

bool has_8bit(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char ch) { return static_cast<unsigned char>(ch) >= 0x80; });
}

class send_session final : public mailwire_example::client_session {
 public:
  send_session(settings& s, smtp::client_options o, SSL_CTX* tls_ctx)
      : client_session(s.timeout), settings_(s), client_(std::move(o)), tls_ctx_(tls_ctx) {}

  bool all_accepted() const noexcept { return failures_ == 0 && sent_ == settings_.inputs.size(); }

  std::size_t on_plaintext(connection& c, std::string_view bytes) override {
    const std::size_t taken = client_.feed(bytes);
    drain(c);
    return taken;
  }
  std::string_view pending_plaintext() override { return client_.pending_output(); }
  void consume_plaintext(std::size_t n) override {
    client_.consume_output(n);
    moved(n);
    refill();  // more of the message, now that there is room
  }
  void on_tls_established(connection& c) override {
    // RFC 9266 channel binding for SCRAM-*-PLUS (TLS 1.3 only).
    const std::string binding = c.tls()->exporter_binding();
    if (!binding.empty()) client_.set_channel_binding(sasl::channel_binding::type::tls_exporter, binding);
    client_.tls_established();
    progress();
    drain(c);
  }

 private:
  void drain(connection& c) {
    using kind = smtp::client_event_type;
    for (auto e = client_.next(); e.type != kind::need_more && e.type != kind::write_output; e = client_.next()) {
      progress();  // every event is a complete reply (or follows one)
      switch (e.type) {
        case kind::starttls:
          if (!c.start_tls_client(tls_ctx_, settings_.host)) ++failures_;
          return;
        case kind::authenticated:
          fmt::print("AUTH {}: {} {}\n", sasl::to_string(*client_.auth_mechanism()), e.code, e.text);
          break;
        case kind::ready: next_message(); break;
        case kind::mail:
          if (!e.ok()) {
            fmt::print("{}: MAIL FROM refused: {} {}\n", file(), e.code, e.text);
            ++failures_;
          }
          break;
        case kind::rcpt:
          fmt::print("{}: RCPT {}: {} {}\n", file(), settings_.to[e.index], e.code, e.text);
          if (!e.ok()) ++failures_;
          if (e.ok()) ++accepted_;
          break;
        case kind::body: open_body(c); break;
        case kind::message:
          fmt::print("{}: message{}: {} {}\n", file(),
                     settings_.lmtp ? fmt::format(" for recipient {}", e.index + 1) : std::string(), e.code,
                     e.text);
          if (!e.ok()) ++failures_;
          if (!settings_.lmtp || ++replies_ >= accepted_) {
            ++sent_;
            next_message();
          }
          break;
        case kind::reset: break;
        case kind::error:
          fmt::print(stderr, "error: {}{}\n", explain(e.error),
                     e.code != 0 ? fmt::format(" ({} {})", e.code, e.text) : std::string());
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

  // What an error means for the person at the keyboard.
  std::string explain(errc e) const {
    if (e == errc::tls_unavailable && !settings_.starttls) {
      return fmt::format("--mech {} would show the password to anyone on the path, and the server offers "
                         "no STARTTLS: not authenticating, nothing sent (--allow-plaintext-auth sends it "
                         "anyway)",
                         sasl::to_string(*settings_.mechanism));
    }
    if (e == errc::tls_unavailable) return "--starttls: the server offers no STARTTLS (or refused it); nothing sent";
    if (e == errc::sasl_insecure) {
      return "the server offers only mechanisms that show the password (PLAIN, LOGIN) and no TLS: not "
             "authenticating, nothing sent (--allow-plaintext-auth sends it anyway)";
    }
    return std::string(mailwire::to_string(e));
  }

  std::string file() const {
    return current_ < settings_.inputs.size() ? settings_.inputs[current_].name : "-";
  }

  // Ends the session early: RSET if a transaction is open, then QUIT.
  void give_up() {
    ++failures_;
    (void)client_.rset();
    (void)client_.quit();
  }

  void next_message() {
    if (started_) ++current_;
    started_ = true;
    accepted_ = replies_ = 0;
    if (current_ >= settings_.inputs.size() || failures_ != 0) {
      (void)client_.quit();
      return;
    }
    // What the message needs: SMTPUTF8 for a UTF-8 recipient (the machine
    // sees a UTF-8 sender itself), BODY=8BITMIME for a body with 8-bit
    // bytes. A server lacking either is refused here.
    smtp::mail_parameters params;
    for (const auto& t : settings_.to) params.smtputf8 = params.smtputf8 || has_8bit(t);
    if (settings_.inputs[current_].eight_bit) params.body = smtp::body_type::eight_bit_mime;
    if (const errc e = client_.mail(settings_.from_path, params); e != errc::ok) {
      fmt::print(stderr, "{}: cannot send MAIL FROM:<{}>: {}{}\n", file(), settings_.from, mailwire::to_string(e),
                 e == errc::extension_missing ? " (the message needs SMTPUTF8 or 8BITMIME)" : "");
      ++failures_;
      (void)client_.quit();
      return;
    }
    for (std::size_t i = 0; i < settings_.to_paths.size(); ++i) {
      if (const errc e = client_.rcpt(settings_.to_paths[i]); e != errc::ok) {
        fmt::print(stderr, "{}: cannot send RCPT TO:<{}>: {}\n", file(), settings_.to[i], mailwire::to_string(e));
        return give_up();
      }
    }
    if (const errc e = client_.data(); e != errc::ok) {
      fmt::print(stderr, "{}: cannot send DATA: {}\n", file(), mailwire::to_string(e));
      return give_up();
    }
  }

  void open_body(connection& c) {
    input_ = settings_.inputs[current_].file.get();
    conn_ = &c;
    refill();
  }

  // Writes the message in 64 KiB pieces while the output queue is short.
  void refill() {
    while (input_ != nullptr && client_.pending_output().size() < (256u << 10)) {
      char buf[64 * 1024];
      const std::size_t n = std::fread(buf, 1, sizeof buf, input_);
      if (n > 0 && client_.write_body(std::string_view(buf, n)) != errc::ok) ++failures_;
      if (n == sizeof buf) continue;
      const bool failed = std::ferror(input_) != 0;
      input_ = nullptr;
      if (failed) {
        // A message cannot be taken back once begun: closing without its
        // end makes the server drop it.
        ++failures_;
        conn_->abort(fmt::format("{}: read error: {}", file(), std::strerror(errno)));
        return;
      }
      client_.end_body();
    }
  }

  settings& settings_;
  smtp::client client_;
  SSL_CTX* tls_ctx_;
  std::FILE* input_ = nullptr;  // the message being sent (owned by settings_.inputs)
  std::size_t current_ = 0;
  bool started_ = false;
  std::size_t sent_ = 0;
  std::size_t accepted_ = 0;
  std::size_t replies_ = 0;
};

// An empty `why`: --help, on stdout, exit 0. Otherwise a usage error: exit 2.
[[noreturn]] void usage(const std::string& why) {
  if (!why.empty()) fmt::print(stderr, "mailwire-smtp-send: {}\n", why);
  std::FILE* to = why.empty() ? stdout : stderr;
  std::fputs(
      "usage: mailwire-smtp-send --server HOST:PORT [--starttls | --implicit-tls] [--ca FILE | --insecure]\n"
      "       [--auth USER:PASS [--mech NAME] [--allow-plaintext-auth]] [--lmtp] [--timeout SECONDS]\n"
      "       --from ADDR --to ADDR [--to ADDR ...] [--] FILE ...\n"
      "       mailwire-smtp-send --help | --version\n",
      to);
  if (!why.empty()) std::exit(2);  // the synopsis is enough; --help has the rest
  std::fputs(
      "\n"
      "Sends each FILE (an RFC 5322 message; - reads stdin) in one SMTP session.\n"
      "\n"
      "  --server HOST:PORT   the server (a name, an IPv4 address or [IPv6]; PORT 1-65535)\n"
      "  --starttls           require STARTTLS; without it and --implicit-tls, STARTTLS\n"
      "                       is used when offered and the session is plain text otherwise\n"
      "  --implicit-tls       TLS from the first byte (port 465)\n"
      "  --ca FILE            trust the CA certificates in FILE (PEM) instead of the\n"
      "                       system's store\n"
      "  --insecure           accept any certificate (tests only: no protection then)\n"
      "  --auth USER:PASS     authenticate; the strongest mechanism offered is chosen\n"
      "  --mech NAME          use this one instead: PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-1,\n"
      "                       SCRAM-SHA-256 or their -PLUS forms\n"
      "  --allow-plaintext-auth\n"
      "                       allow PLAIN and LOGIN without TLS. WARNING: they send the\n"
      "                       password as is: without TLS anyone on the path reads it,\n"
      "                       and anyone who strips STARTTLS from the server's reply gets\n"
      "                       it. Without this flag such a mechanism makes TLS required\n"
      "                       (--mech PLAIN acts as if --starttls were given) and is never\n"
      "                       chosen without TLS: the program stops before sending the\n"
      "                       password, with exit status 1\n"
      "  --lmtp               speak LMTP (RFC 2033): a result per recipient\n"
      "  --timeout SECONDS    the longest wait for anything: the connection, each reply,\n"
      "                       the TLS handshake, and the message (which must move 4 KiB\n"
      "                       per SECONDS). Default 60; 1 to 86400. Name resolution keeps\n"
      "                       the system resolver's own timeouts\n"
      "  --from ADDR          the envelope sender: local@domain, or <local@domain>;\n"
      "                       '<>' for the null sender\n"
      "  --to ADDR            a recipient (repeatable)\n"
      "\n"
      "Addresses are checked whole before connecting (RFC 5321 paths; UTF-8 is sent with\n"
      "SMTPUTF8). A file with 8-bit bytes is sent with BODY=8BITMIME. Every recipient's\n"
      "result is printed. Exit status: 0 if every recipient of every message was\n"
      "accepted; 1 if not, or on any failure after the command line was read (the\n"
      "session is then ended with RSET/QUIT where the protocol allows); 2 for a usage\n"
      "error (nothing was sent).\n",
      stdout);
  std::exit(0);
}

// An address, whole: the path parser must take all of it.
smtp::path parse_address(settings& s, const char* option, const std::string& text, smtp::path_role role) {
  const bool bracketed = text.size() >= 2 && text.front() == '<' && text.back() == '>';
  const std::string& wire = s.wire.emplace_back(bracketed ? text : "<" + text + ">");
  smtp::path p;
  const smtp::path_result r = smtp::parse_path(wire, role, true, p);
  if (r.error != errc::ok) {
    usage(fmt::format("{} '{}' is not an address: {}", option, text, mailwire::to_string(r.error)));
  }
  if (r.length != wire.size()) usage(fmt::format("{} '{}': text after the address", option, text));
  return p;
}

// Opens a message; stdin is spooled to a temporary file first. Then scans
// it for 8-bit bytes and rewinds it.
input open_input(const std::string& name) {
  input in;
  in.name = name;
  if (name == "-") {
    in.file.reset(std::tmpfile());
    if (!in.file) usage(fmt::format("-: cannot spool stdin: {}", std::strerror(errno)));
    char buf[64 * 1024];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, stdin)) > 0;) {
      if (std::fwrite(buf, 1, n, in.file.get()) != n) usage(fmt::format("-: cannot spool stdin: {}", std::strerror(errno)));
    }
    if (std::ferror(stdin)) usage(fmt::format("-: cannot read stdin: {}", std::strerror(errno)));
  } else {
    in.file.reset(std::fopen(name.c_str(), "rb"));
    if (!in.file) usage(fmt::format("{}: {}", name, std::strerror(errno)));
  }
  std::rewind(in.file.get());
  char buf[64 * 1024];
  for (std::size_t n; !in.eight_bit && (n = std::fread(buf, 1, sizeof buf, in.file.get())) > 0;) {
    in.eight_bit = has_8bit(std::string_view(buf, n));
  }
  if (std::ferror(in.file.get())) usage(fmt::format("{}: cannot read: {}", name, std::strerror(errno)));
  std::rewind(in.file.get());
  return in;
}

settings parse_args(int argc, char** argv) {
  settings s;
  bool have_server = false, have_from = false, options_done = false, have_stdin = false;
  std::vector<std::string> files;
  mailwire_example::arguments args(argc, argv, usage);
  while (args.next()) {
    const std::string& a = args.current();
    if (options_done || a == "-" || a.empty() || a[0] != '-') {
      if (a == "-" && std::exchange(have_stdin, true)) usage("- (stdin) can be sent once");
      files.push_back(a);
    } else if (a == "--") {
      options_done = true;
    } else if (a == "--help" || a == "-h") {
      usage({});
    } else if (a == "--server") {
      const mailwire_example::host_port hp = args.address(1);
      s.host = hp.host;
      s.port = hp.port;
      have_server = true;
    } else if (a == "--starttls") {
      s.starttls = true;
    } else if (a == "--implicit-tls") {
      s.implicit_tls = true;
    } else if (a == "--ca") {
      s.ca_file = args.value();
      if (s.ca_file.empty()) usage("--ca needs a file name");
    } else if (a == "--insecure") {
      s.insecure = true;
    } else if (a == "--auth") {
      std::tie(s.user, s.password) = args.user_pass();
    } else if (a == "--mech") {
      s.mechanism = args.password_mechanism(true);
    } else if (a == "--allow-plaintext-auth") {
      s.allow_plaintext_auth = true;
    } else if (a == "--lmtp") {
      s.lmtp = true;
    } else if (a == "--timeout") {
      s.timeout = args.number(1, 86400);
    } else if (a == "--from") {
      s.from = args.value();
      have_from = true;
    } else if (a == "--to") {
      s.to.push_back(args.value());
    } else {
      usage("unknown option " + a);
    }
  }
  if (!have_server) usage("--server is required");
  if (!have_from) usage("--from is required");
  if (s.to.empty()) usage("--to is required");
  if (files.empty()) usage("no message file (- for stdin)");
  if (s.starttls && s.implicit_tls) usage("--starttls and --implicit-tls exclude each other");
  if (s.insecure && !s.ca_file.empty()) usage("--ca and --insecure exclude each other");
  if (s.user.empty() && (s.mechanism || s.allow_plaintext_auth)) {
    usage(s.mechanism ? "--mech needs --auth" : "--allow-plaintext-auth needs --auth");
  }
  s.from_path = parse_address(s, "--from", s.from, smtp::path_role::reverse);
  for (const std::string& t : s.to) s.to_paths.push_back(parse_address(s, "--to", t, smtp::path_role::forward));
  for (const std::string& f : files) s.inputs.push_back(open_input(f));
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  settings s = parse_args(argc, argv);

  std::string err;
  mailwire_example::tls_context tls = mailwire_example::tls_context::client(s.ca_file, s.insecure, err);
  if (!tls) {
    fmt::print(stderr, "TLS setup: {}\n", err);
    return 1;
  }
  smtp::client_options o;
  o.lmtp = s.lmtp;
  o.tls = s.implicit_tls ? smtp::tls_policy::implicit
                         : s.starttls ? smtp::tls_policy::required : smtp::tls_policy::opportunistic;
  // A mechanism that shows the password (PLAIN, LOGIN) is asked for by
  // name: the machine uses it as told, so TLS must be certain first.
  // Chosen automatically, the policy below keeps it out without TLS.
  if (s.mechanism && sasl::exposes_password(*s.mechanism) && !s.allow_plaintext_auth &&
      o.tls == smtp::tls_policy::opportunistic) {
    o.tls = smtp::tls_policy::required;
  }
  o.username = s.user;
  o.password = s.password;
  o.nonce = mailwire_example::random_nonce();
  o.mechanism = s.mechanism;
  o.auth_policy.allow_cleartext_password = s.allow_plaintext_auth;
  send_session session(s, std::move(o), tls.get());
  const int timeout_ms = static_cast<int>(s.timeout * 1000);
  if (!mailwire_example::run_client(s.host, s.port, session, s.implicit_tls ? tls.get() : nullptr, err,
                                    timeout_ms)) {
    fmt::print(stderr, "connect: {}\n", err);
    return 1;
  }
  return session.all_accepted() ? 0 : 1;
}
