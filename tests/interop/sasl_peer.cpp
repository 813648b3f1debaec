// mailwire-sasl-peer: one mailwire SASL client or server on stdin/stdout, for
// interoperability tests against other implementations (tests/interop/
// sasl_gsasl.py drives it against GNU SASL's gsasl).
//
//   mailwire-sasl-peer client MECH --user U --password P [--authzid Z]
//       [--nonce N] [--cb-exporter B64 | --cb-unique B64] [--no-initial-response]
//   mailwire-sasl-peer server MECH --user U --password P [--nonce N]
//       [--cb-exporter B64 | --cb-unique B64] [--scram-iterations N --scram-salt B64]
//       [--initial-response] [--hostname H]
//   mailwire-sasl-peer scram-keys MECH PASSWORD ITERATIONS SALT_B64
//   mailwire-sasl-peer scram-keys-batch MECH ITERATIONS SALT_B64
//
// scram-keys prints what a SCRAM server stores for PASSWORD in the format of
// `gsasl --mkpasswd`: {MECH}iterations,salt,stored-key,server-key (base64).
// scram-keys-batch does the same for each NUL-terminated password on stdin,
// printing a line for each: that line or "error NAME" (the errc name), so
// that many passwords cost one process.
//
// The line protocol is that of `gsasl --quiet`: every SASL message is one
// line of base64 (an empty line is an empty message), written to stdout as
// it is produced and read from stdin when it is expected. The protocols'
// framing (334/+ continuations, "*", the outcome reply) is not there; so:
//
// client  Sends its initial response at once unless --no-initial-response
//         (then it waits for the server's empty challenge). Answers as many
//         challenges as the mechanism has (LOGIN 2, CRAM-MD5 1, SCRAM 1: the
//         server-first message), and takes the line after its last message
//         as the server's success reply with additional data (for SCRAM the
//         server-final message, as IMAP and SMTP can carry it). End of input
//         there means the server refused.
// server  Speaks first (the empty "send your initial response" challenge,
//         or LOGIN/CRAM-MD5's challenge) unless --initial-response, when the
//         first line read is the initial response of the AUTH command. On
//         success it writes the additional data as a last line, empty when
//         there is none, as gsasl --server does. On failure it writes the
//         mechanism's error message (SCRAM's "e=...") when there is one.
//         The "application" knows one user, --user with --password; the
//         authorization identity asked for is accepted and printed to stderr
//         ("authzid: Z").
//
// Exit status 0 only when the exchange succeeded (for the client: the server
// accepted and, for SCRAM, proved that it knows the password). Otherwise
// the errc name (mailwire::to_name) goes to stderr and the status is 1;
// usage errors are status 2. Nonces come from --nonce or /dev/urandom: the
// library has no random source, this program does.
#include <mailwire/core/base64.hpp>
#include <mailwire/error.hpp>
#include <mailwire/sasl.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sasl = mailwire::sasl;
using mailwire::errc;
using sasl::mechanism;

namespace {

struct options {
  std::string role;
  mechanism mech = mechanism::plain;
  std::string user;
  std::string password;
  std::string authzid;
  std::string nonce;
  sasl::channel_binding::type cb_type = sasl::channel_binding::type::none;
  std::string cb_data;  // decoded bytes
  bool initial_response = false;  // client: send one; server: expect one
  std::string hostname = "localhost";
  std::uint32_t scram_iterations = 4096;
  std::optional<std::string> scram_salt;  // decoded bytes
};

[[noreturn]] void usage(const std::string& why) {
  std::cerr << "mailwire-sasl-peer: " << why << "\n"
            << "usage: mailwire-sasl-peer client MECH --user U --password P [--authzid Z] [--nonce N]\n"
            << "                            [--cb-exporter B64 | --cb-unique B64] [--no-initial-response]\n"
            << "       mailwire-sasl-peer server MECH --user U --password P [--nonce N]\n"
            << "                            [--cb-exporter B64 | --cb-unique B64]\n"
            << "                            [--scram-iterations N --scram-salt B64] [--initial-response]\n"
            << "                            [--hostname H]\n"
            << "       mailwire-sasl-peer scram-keys MECH PASSWORD ITERATIONS SALT_B64\n";
  std::exit(2);
}

[[noreturn]] void fail(errc e, std::string_view detail = {}) {
  std::cerr << mailwire::to_name(e);
  if (!detail.empty()) std::cerr << ": " << detail;
  std::cerr << "\n";
  std::exit(1);
}

std::optional<std::uint32_t> parse_u32(std::string_view s) {
  if (s.empty() || s.size() > 10) return std::nullopt;
  std::uint64_t n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (n > 0xFFFFFFFFu) return std::nullopt;
  return static_cast<std::uint32_t>(n);
}

std::string decode_b64_arg(std::string_view what, std::string_view b64) {
  std::string out;
  const auto r = mailwire::base64::decode(b64, out, mailwire::base64::mode::strict);
  if (!r) usage(std::string(what) + ": not base64 (" + std::string(mailwire::to_name(r.error)) + ")");
  return out;
}

mechanism parse_mech(std::string_view name) {
  const auto m = sasl::parse_mechanism(name);
  if (!m) {
    std::cerr << mailwire::to_name(errc::sasl_unknown_mechanism) << ": " << name << "\n";
    std::exit(2);
  }
  return *m;
}

// A nonce from the system's random source: 18 bytes, 24 base64 characters
// (printable, no ',', no padding).
std::string random_nonce() {
  std::ifstream in("/dev/urandom", std::ios::binary);
  std::string bytes(18, '\0');
  if (!in.read(&bytes[0], static_cast<std::streamsize>(bytes.size()))) {
    std::cerr << "mailwire-sasl-peer: cannot read /dev/urandom\n";
    std::exit(2);
  }
  return mailwire::base64::encode(bytes);
}

std::string random_bytes(std::size_t n) {
  std::ifstream in("/dev/urandom", std::ios::binary);
  std::string bytes(n, '\0');
  if (!in.read(&bytes[0], static_cast<std::streamsize>(bytes.size()))) {
    std::cerr << "mailwire-sasl-peer: cannot read /dev/urandom\n";
    std::exit(2);
  }
  return bytes;
}

options parse_options(int argc, char** argv) {
  if (argc < 3) usage("missing arguments");
  options o;
  o.role = argv[1];
  if (o.role != "client" && o.role != "server") usage("unknown mode " + o.role);
  o.mech = parse_mech(argv[2]);
  o.initial_response = o.role == "client";  // the client sends one unless told not to; the server expects none
  bool have_user = false;
  bool have_password = false;
  std::vector<std::string_view> args(argv + 3, argv + argc);
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    auto value = [&]() -> std::string_view {
      if (i + 1 >= args.size()) usage(std::string(a) + " needs a value");
      return args[++i];
    };
    if (a == "--user") {
      o.user = std::string(value());
      have_user = true;
    } else if (a == "--password") {
      o.password = std::string(value());
      have_password = true;
    } else if (a == "--authzid" && o.role == "client") {
      o.authzid = std::string(value());
    } else if (a == "--nonce") {
      o.nonce = std::string(value());
    } else if (a == "--cb-exporter" || a == "--cb-unique") {
      // Channel-binding data (RFC 9266 tls-exporter, RFC 5929 tls-unique).
      o.cb_type = a == "--cb-exporter" ? sasl::channel_binding::type::tls_exporter
                                       : sasl::channel_binding::type::tls_unique;
      o.cb_data = decode_b64_arg(a, value());
    } else if (a == "--no-initial-response" && o.role == "client") {
      o.initial_response = false;
    } else if (a == "--initial-response" && o.role == "server") {
      o.initial_response = true;
    } else if (a == "--hostname" && o.role == "server") {
      o.hostname = std::string(value());
    } else if (a == "--scram-iterations" && o.role == "server") {
      const auto n = parse_u32(value());
      if (!n || *n == 0) usage("--scram-iterations: a positive number");
      o.scram_iterations = *n;
    } else if (a == "--scram-salt" && o.role == "server") {
      o.scram_salt = decode_b64_arg(a, value());
    } else {
      usage("unknown option " + std::string(a));
    }
  }
  if (!have_user || !have_password) usage("--user and --password are required");
  if (o.nonce.empty()) o.nonce = random_nonce();
  return o;
}

// -- the line protocol ----------------------------------------------------

void send_line(std::string_view message) {
  std::cout << mailwire::base64::encode(message) << '\n' << std::flush;
}

// The next message, decoded; nullopt at the end of input.
std::optional<std::string> read_line() {
  std::string line;
  if (!std::getline(std::cin, line)) return std::nullopt;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  std::string out;
  const auto r = mailwire::base64::decode(line, out, mailwire::base64::mode::strict);
  if (!r) fail(r.error, "the peer sent a line that is not base64");
  return out;
}

// -- client -----------------------------------------------------------------

// Challenges a mailwire client answers before the outcome, besides the empty
// one asking for a client-first mechanism's initial response.
int challenges(mechanism m) {
  switch (m) {
    case mechanism::login: return 2;
    case mechanism::cram_md5: return 1;
    case mechanism::scram_sha_1:
    case mechanism::scram_sha_1_plus:
    case mechanism::scram_sha_256:
    case mechanism::scram_sha_256_plus: return 1;  // server-first; server-final comes with success
    default: return 0;
  }
}

int run_client(const options& o) {
  sasl::client_credentials cred;
  cred.username = o.user;
  cred.password = o.password;
  cred.authzid = o.authzid;
  cred.nonce = o.nonce;
  cred.binding = {o.cb_type, o.cb_data};
  sasl::client c(o.mech, cred);

  using status = sasl::client_step::status;
  sasl::client_step s = c.start(o.initial_response);
  int rounds = challenges(o.mech);
  if (s.state == status::wait && sasl::client_first(o.mech)) ++rounds;  // the empty challenge
  if (s.state == status::failed) fail(s.error);
  if (s.state == status::respond) send_line(s.response);
  for (; rounds > 0; --rounds) {
    const auto in = read_line();
    if (!in) fail(errc::sasl_auth_failed, "the server ended the exchange");
    s = c.challenge(*in);
    if (s.state == status::failed) fail(s.error, c.server_error());
    if (s.state != status::respond) fail(errc::invalid_state, "the client has nothing to send");
    send_line(s.response);
  }
  const auto outcome = read_line();
  if (!outcome) fail(errc::sasl_auth_failed, "the server ended the exchange without success");
  s = c.success(*outcome);
  if (s.state != status::done) fail(s.error, c.server_error());
  return 0;
}

// -- server -----------------------------------------------------------------

int run_server(const options& o) {
  sasl::server_options so;
  so.nonce = o.nonce;
  so.hostname = o.hostname;
  so.binding = {o.cb_type, o.cb_data};
  sasl::server s(o.mech, so);
  const std::string salt = o.scram_salt ? *o.scram_salt : random_bytes(16);

  using status = sasl::server_step::status;
  sasl::server_step st;
  if (o.initial_response) {
    const auto ir = read_line();
    if (!ir) fail(errc::sasl_cancelled, "no initial response");
    st = s.start(*ir);
  } else {
    st = s.start(std::nullopt);
  }
  for (int guard = 0; guard < 16; ++guard) {
    switch (st.state) {
      case status::challenge: {
        send_line(st.data);
        const auto in = read_line();
        st = in ? s.respond(*in) : s.cancel();
        break;
      }
      case status::check: {
        const sasl::server_request& rq = s.request();
        std::cerr << "username: " << rq.username << "\n" << "authzid: " << rq.authzid << "\n";
        // SCRAM hands over the user name after SASLprep: compare it with ours prepared.
        std::string user = o.user;
        if (sasl::is_scram(o.mech)) {
          user.clear();
          if (const auto r = sasl::saslprep(o.user, user, sasl::saslprep_mode::query); !r) fail(r.error, "--user");
        }
        const bool known = rq.username == user;
        using kind = sasl::request_type;
        switch (rq.type) {
          case kind::password: st = known && rq.password == o.password ? s.accept() : s.reject(); break;
          case kind::secret: st = known ? s.provide_secret(o.password) : s.reject(); break;
          case kind::scram_keys: {
            // An unknown user gets keys of a random password: the exchange
            // then fails at the proof, as RFC 5802 5.1 suggests.
            sasl::scram_keys keys;
            const std::string password = known ? o.password : mailwire::base64::encode(random_bytes(18));
            if (const errc e = sasl::make_scram_keys(o.mech, password, salt, o.scram_iterations, keys); e != errc::ok) {
              fail(e, "cannot derive the SCRAM keys of --password");
            }
            st = s.provide_scram(keys);
            break;
          }
          default: st = s.reject(); break;
        }
        break;
      }
      case status::success: send_line(st.data); return 0;
      case status::failure:
        if (!st.data.empty()) send_line(st.data);
        fail(st.error);
    }
  }
  fail(errc::invalid_state, "the exchange did not end");
}

// -- scram-keys ---------------------------------------------------------------

// {MECH}iterations,salt,stored-key,server-key, or the error.
errc print_scram_keys(mechanism m, std::string_view password, std::string_view salt, std::uint32_t iterations) {
  sasl::scram_keys keys;
  if (const errc e = sasl::make_scram_keys(m, password, salt, iterations, keys); e != errc::ok) return e;
  namespace b64 = mailwire::base64;
  std::cout << '{' << sasl::to_string(m) << '}' << keys.iterations << ',' << b64::encode(keys.salt) << ','
            << b64::encode(keys.stored_key) << ',' << b64::encode(keys.server_key) << '\n';
  return errc::ok;
}

int run_scram_keys(int argc, char** argv) {
  const bool batch = std::string_view(argv[1]) == "scram-keys-batch";
  if (argc != (batch ? 5 : 6)) {
    usage(batch ? "scram-keys-batch takes MECH ITERATIONS SALT_B64" : "scram-keys takes MECH PASSWORD ITERATIONS SALT_B64");
  }
  char** rest = argv + (batch ? 3 : 4);  // ITERATIONS SALT_B64
  const mechanism m = parse_mech(argv[2]);
  if (!sasl::is_scram(m)) usage("scram-keys needs a SCRAM mechanism");
  const auto iterations = parse_u32(rest[0]);
  if (!iterations) usage("ITERATIONS: a number");
  const std::string salt = decode_b64_arg("SALT_B64", rest[1]);
  if (!batch) {
    if (const errc e = print_scram_keys(m, argv[3], salt, *iterations); e != errc::ok) fail(e);
    return 0;
  }
  std::string password;
  while (std::getline(std::cin, password, '\0')) {
    if (const errc e = print_scram_keys(m, password, salt, *iterations); e != errc::ok) {
      std::cout << "error " << mailwire::to_name(e) << '\n';
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && (std::string_view(argv[1]) == "scram-keys" || std::string_view(argv[1]) == "scram-keys-batch")) {
    return run_scram_keys(argc, argv);
  }
  const options o = parse_options(argc, argv);
  return o.role == "client" ? run_client(o) : run_server(o);
}
