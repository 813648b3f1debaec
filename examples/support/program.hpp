// What mailwire's example programs share besides the transport (not part of
// the library): reading their command lines (numbers, HOST:PORT), escaping
// peer-supplied text for their logs, the kernel's randomness, the one
// account an example server knows, and the refusal past a connection cap.
//
// Each program keeps its own usage(): the functions here return what went
// wrong, the program says it and exits 2.
#ifndef MAILWIRE_EXAMPLES_PROGRAM_HPP
#define MAILWIRE_EXAMPLES_PROGRAM_HPP

#include <mailwire/sasl/mechanism.hpp>
#include <mailwire/sasl/scram.hpp>
#include <mailwire/sasl/server.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "cli.hpp"
#include "maildir.hpp"
#include "transport.hpp"

namespace mailwire_example {

// ------------------------------------------------------------ command lines

/// Decimal digits only, in [min, max] (std::strtoull alone would take
/// " +1" and wrap "-1"); nullopt for anything else.
std::optional<std::uint64_t> parse_number(std::string_view s, std::uint64_t min, std::uint64_t max);

struct host_port {
  std::string host;
  std::uint16_t port = 0;
};

/// `value` of `option` as HOST:PORT or [IPv6]:PORT, the port from
/// `min_port` to 65535 (0 lets a listener pick one). The host has no
/// space or control character. Returns an empty string, or what is wrong
/// (for usage()).
std::string parse_host_port(std::string_view option, std::string_view value, std::uint16_t min_port,
                            host_port& out);

/// True when every byte of `s` is printable ASCII other than space and
/// not in `also_refused` (what a command-line value sent on the wire as one
/// token may hold).
bool printable(std::string_view s, std::string_view also_refused = {});

/// A program's usage(): says `why` and exits 2 (an empty `why`: --help,
/// exit 0). It must not return.
using usage_fn = void (*)(const std::string& why);

/// Walks a command line, one argument at a time; the values of options
/// are read and checked here, and anything wrong goes to usage(). Two
/// options every program answers the same way are handled here too:
/// --help (and -h) calls usage({}), --version prints the version and
/// exits 0 (cli.hpp).
///
///     mw::arguments args(argc, argv, usage);
///     while (args.next()) {
///       const std::string& a = args.current();
///       if (a == "--timeout") timeout = args.number(1, 86400); ...
class arguments {
 public:
  arguments(int argc, char** argv, usage_fn usage) : argc_(argc), argv_(argv), usage_(usage) {}
  /// Moves to the next argument; false after the last.
  bool next();
  const std::string& current() const noexcept { return current_; }
  /// The value after the current option (a usage error when there is none).
  std::string value();
  /// The value as decimal digits in [min, max].
  std::uint64_t number(std::uint64_t min, std::uint64_t max);
  /// The value as HOST:PORT or [IPv6]:PORT (see parse_host_port).
  host_port address(std::uint16_t min_port);
  /// The value as USER:PASS, both non-empty, split at the first ':'.
  std::pair<std::string, std::string> user_pass();
  /// The value as a SASL mechanism a user name and password log in with
  /// (any case): PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-1, SCRAM-SHA-256 and,
  /// with `plus`, SCRAM-SHA-1-PLUS and SCRAM-SHA-256-PLUS.
  mailwire::sasl::mechanism password_mechanism(bool plus);
  /// The value as a file name: the first line of that file, without its
  /// line end (--pass-file). A file that cannot be read: a usage error.
  std::string password_file();
  /// usage(why); never returns.
  [[noreturn]] void fail(const std::string& why) const;

 private:
  int argc_;
  char** argv_;
  usage_fn usage_;
  int i_ = 0;
  std::string current_;
};

/// True when `v` has a control character (below 0x20, or 0x7F): such a
/// value cannot go into a command line of the protocols.
bool has_control(std::string_view v);

// ---------------------------------------------------------------- logs

/// Peer-supplied text for a log, the one escaping for every such field.
/// The result is printable ASCII without space, quote, backslash, '<' or
/// '>', so it can neither end its field, fake another (a quoted local part
/// `"a\" to=<root"`), nor hide behind control, C1 (U+0085) or bidi
/// (U+202E) characters: \\ \" \t \r \n, \uXXXX (\U00XXXXXX beyond the
/// BMP) for each well-formed UTF-8 character, \xHH for every other byte.
/// Every UTF-8 character is escaped, printable or not: deciding which are
/// printable needs Unicode tables, and a log is read by tools that have
/// none.
std::string log_escape(std::string_view in);
/// The same escaping with spaces kept: for a peer's free text shown whole
/// in a message to the user (a server's -ERR text), not for a log field.
std::string text_escape(std::string_view in);

// ---------------------------------------------------------------- randomness

/// `n` bytes from getrandom(2) (the library has no randomness: nonces and
/// salts come from the program). Exits the process if the kernel has none.
std::string random_bytes(std::size_t n);
/// `bytes` random bytes in base64: printable, without ',' (what SCRAM and
/// CRAM-MD5 nonces need).
std::string random_nonce(std::size_t bytes = 18);

// ---------------------------------------------------------------- accounts

/// The one account of an example server. SCRAM keys are what a real server
/// stores instead of passwords; here they are derived once at start with a
/// random salt. An unknown user gets decoy keys, so the exchange looks the
/// same whether or not the user exists (a real server would derive the
/// decoy salt from the name so it never changes).
struct account {
  std::string user;
  std::string password;
  mailwire::sasl::scram_keys sha1, sha256, decoy_sha1, decoy_sha256;

  /// Derives the keys (4096 iterations, RFC 7677's minimum); false when
  /// the password is not valid for SCRAM (SASLprep).
  bool derive_keys();

  /// The answer to a SASL engine's check (the machines' auth_check event)
  /// for this account. Acting as someone else (an authzid) is never
  /// allowed; bearer tokens, EXTERNAL and ANONYMOUS are never offered.
  struct answer {
    enum class kind { accept, provide_secret, provide_scram, reject } what = kind::reject;
    std::string_view secret;                            ///< provide_secret
    const mailwire::sasl::scram_keys* keys = nullptr;   ///< provide_scram
  };
  answer check(const mailwire::sasl::server_request& rq, mailwire::sasl::mechanism m) const;
  /// USER/PASS: the password is this user's (compared in constant time).
  bool accepts(std::string_view name, std::string_view pass) const;
  /// The shared secret (CRAM-MD5, APOP) of `name`; nullopt for an unknown user.
  std::optional<std::string_view> secret_of(std::string_view name) const;
};

// ---------------------------------------------------------------- servers' options

/// The options of a mail server for one user's Maildir (mailwire-pop3-server,
/// mailwire-imap-server), read and checked the same way by both:
/// --listen --maildir --user --tls-cert --tls-key --implicit-tls
/// --require-tls --allow-plaintext-auth --max-connections --idle-timeout
/// --hostname. Each program documents them in its own --help.
struct mailbox_server_args {
  /// `idle_timeout`: the protocol's autologout minimum, the default.
  explicit mailbox_server_args(std::uint64_t default_idle_timeout) : idle_timeout(default_idle_timeout) {}

  host_port listen;
  std::string maildir;
  std::string user, password;
  std::string cert, key;
  bool implicit_tls = false;
  bool require_tls = false;
  bool allow_plaintext_auth = false;
  std::uint64_t idle_timeout;
  std::uint64_t max_connections = 100;
  std::string hostname = "localhost";

  /// Reads args.current() and its value when it is one of these options;
  /// false when it is not (the program's own options come next).
  bool take(arguments& args);
  /// What must hold once every argument is read (a usage error otherwise).
  void check(const arguments& args) const;

 private:
  bool have_listen_ = false, have_user_ = false;
};

/// The TLS context (when --tls-cert is given) and the account of a mailbox
/// server; false with `err` said on stderr by the caller, exit 1.
bool setup_server(const mailbox_server_args& a, tls_context& tls, account& acct, std::string& err);

// ---------------------------------------------------------------- clients

/// What a client program's handler has whatever its protocol: the
/// connection, the --timeout deadline, and the verdict on how the
/// connection ended. A session must move within the timeout: a complete
/// response (progress()), or moved_bytes() of a message's data (moved()).
class client_session : public handler {
 public:
  explicit client_session(std::uint64_t timeout_seconds) : timeout_(timeout_seconds) {}
  void on_open(connection& c) override;  // the greeting is awaited from now on
  void on_timeout(connection& c) override;
  /// A failure (said on stderr) unless the machine closed the session.
  void on_close(connection&, std::string_view why) override;

  static constexpr std::size_t moved_bytes = 4096;

 protected:
  /// The session moved: the deadline starts again.
  void progress();
  /// `n` more bytes of a message moved (sent or received).
  void moved(std::size_t n) {
    if ((moved_ += n) >= moved_bytes) progress();
  }

  connection* conn_ = nullptr;
  std::size_t failures_ = 0;
  bool finished_ = false;  ///< the machine closed the session (QUIT, or a fatal error it answered)

 private:
  std::uint64_t timeout_;
  std::size_t moved_ = 0;  // since the last progress
};

/// A client_session around one client machine (pop3::client,
/// imap::client): feeds it, writes its output, tells it when TLS is up,
/// and calls drain() to handle its events after each of those.
template <class Machine>
class machine_session : public client_session {
 public:
  template <class Options>
  machine_session(std::uint64_t timeout_seconds, Options o) : client_session(timeout_seconds), client_(std::move(o)) {}

  std::size_t on_plaintext(connection& c, std::string_view bytes) override {
    const std::size_t taken = client_.feed(bytes);
    drain(c);
    return taken;
  }
  std::string_view pending_plaintext() override { return client_.pending_output(); }
  void consume_plaintext(std::size_t n) override { client_.consume_output(n); }
  void on_tls_established(connection& c) override {
    client_.tls_established();
    progress();
    drain(c);
  }

 protected:
  /// Handles the machine's events up to need_more or write_output.
  virtual void drain(connection& c) = 0;

  Machine client_;
};

// ---------------------------------------------------------------- fetchers

/// The options both fetchers (mailwire-pop3-fetch, mailwire-imap-fetch)
/// have, read, checked and documented once: --server, the protocol's
/// STARTTLS flag (--stls, --starttls), --implicit-tls, --ca, --insecure,
/// --user, --pass, --pass-file, --mech, --allow-plaintext-auth, --maildir,
/// --state, --timeout and --quiet. Each program adds its own (and its own
/// help for the STARTTLS flag, --mech, --allow-plaintext-auth and --state,
/// whose meaning depends on the protocol).
struct fetch_args {
  /// `starttls_flag`: "--stls" or "--starttls"; `implicit_port`: the
  /// protocol's implicit-TLS port (for --help); `state_name`: the state
  /// file's name in the Maildir, the default of --state.
  fetch_args(const char* starttls_flag, const char* implicit_port, const char* state_name)
      : starttls_flag_(starttls_flag), implicit_port_(implicit_port), state_name_(state_name) {}

  host_port server;
  bool starttls = false;
  bool implicit_tls = false;
  std::string ca_file;
  bool insecure = false;
  std::string user;
  std::string password;
  std::optional<mailwire::sasl::mechanism> mechanism;
  bool allow_plaintext_auth = false;
  std::string maildir;
  std::string state;
  std::uint64_t timeout = 60;
  bool quiet = false;  ///< --quiet: no progress display

  /// Reads args.current() and its value when it is one of these options;
  /// false when it is not (the program's own options come next).
  bool take(arguments& args);
  /// What must hold once every argument is read (a usage error otherwise);
  /// sets the default --state.
  void check(const arguments& args);
  /// --help's lines for --server, --implicit-tls, --ca, --insecure,
  /// --user, --pass and --pass-file.
  std::string help_connection() const;
  /// --help's lines for --maildir, --timeout, --quiet, --help and --version.
  std::string help_storage() const;

 private:
  const char* starttls_flag_;
  const char* implicit_port_;
  const char* state_name_;
  bool have_server_ = false, have_pass_ = false;
};

/// A fetch's progress on one line of stderr, rewritten in place: messages
/// and bytes done of the total, the rate, and the time left. Shown only
/// when stderr is a terminal and not `quiet`, at most ten times a second;
/// call clear() before writing any other line to stderr.
class progress_line {
 public:
  explicit progress_line(bool quiet);
  ~progress_line() { clear(); }
  progress_line(const progress_line&) = delete;
  progress_line& operator=(const progress_line&) = delete;

  /// What there is to fetch (`bytes` 0: not known; the time left is then
  /// estimated from the messages); the clock of the rate starts here.
  void set_total(std::size_t messages, std::uint64_t bytes);
  /// `done` messages and `bytes` bytes so far; `force` shows it now.
  void update(std::size_t done, std::uint64_t bytes, bool force = false);
  /// Erases the line (before another line on stderr).
  void clear();

  /// The text shown: "3/10 messages, 1.2/4.0 MB, 2.5 MB/s, 1m12s left" (the
  /// rate and time left once known; bytes without a total when it is not).
  static std::string text(std::size_t done, std::size_t total_messages, std::uint64_t bytes,
                          std::uint64_t total_bytes, double seconds);

 private:
  bool on_;
  bool shown_ = false;
  std::size_t total_messages_ = 0;
  std::uint64_t total_bytes_ = 0;
  std::chrono::steady_clock::time_point start_{}, last_{};
};

/// What a fetcher opens before it connects: the Maildir `dir` (created
/// where missing) and, with `tls`, the client TLS context (`ca_file` or
/// the system's store; `insecure`: no verification). False after saying
/// why on stderr.
bool open_fetch_target(const std::string& dir, bool tls, const std::string& ca_file, bool insecure, maildir& box,
                       tls_context& ctx);

// ---------------------------------------------------------------- servers

/// How an example server listens.
struct server_config {
  host_port at;                     ///< --listen
  SSL_CTX* implicit_tls = nullptr;  ///< TLS from the first byte (--implicit-tls)
  std::size_t max_connections = 0;  ///< sessions at once (--max-connections)
  /// The protocol's "too many connections" reply, CRLF included, for one
  /// more (see refusal). Under implicit TLS it would cost a handshake: such
  /// a connection is closed at once instead.
  std::string refusal_line;
};

/// Runs a server until SIGINT or SIGTERM: listens, says
/// "listening on IP:PORT" on stdout (the port bound, for port 0), and gives
/// each connection the handler `make` returns while fewer than
/// max_connections sessions are alive (`sessions`, the count the
/// handlers keep), a refusal past that (logged on stderr). Returns the
/// exit status: 0 after a signal, 1 when it could not start (said on
/// stderr).
int serve(const server_config& cfg, const std::size_t& sessions, const event_loop::accept_fn& make);

/// A connection over a server's connection cap: `line` (the protocol's
/// "too many connections" reply, CRLF included), then close. Not a
/// session: it reads nothing and holds its descriptor only until the line
/// is out (at most 10 s for a peer that never reads).
class refusal final : public handler {
 public:
  explicit refusal(std::string line) : line_(std::move(line)) {}
  void on_open(connection& c) override;
  std::size_t on_plaintext(connection&, std::string_view bytes) override { return bytes.size(); }
  std::string_view pending_plaintext() override { return line_; }
  void consume_plaintext(std::size_t n) override { line_.erase(0, n); }

 private:
  std::string line_;
};

}  // namespace mailwire_example

#endif  // MAILWIRE_EXAMPLES_PROGRAM_HPP
