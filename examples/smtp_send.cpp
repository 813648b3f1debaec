// mailwire-smtp-send: sends RFC 5322 message files through an SMTP (or
// LMTP) server with mailwire's client machine, over the examples' transport.
//
//   mailwire-smtp-send --server HOST:PORT [--starttls | --implicit-tls]
//       [--ca FILE | --insecure] [--auth USER:PASS] [--mech NAME] [--lmtp]
//       --from ADDR --to ADDR [--to ADDR ...] FILE ...     (FILE "-": stdin)
//
// All files go in one session, pipelined when the server offers PIPELINING
// and as BDAT chunks when it offers CHUNKING. Each recipient's result is
// printed; the exit status is 0 only if every recipient of every message
// was accepted. MAIL carries SMTPUTF8 when an address is UTF-8 and
// BODY=8BITMIME when a file holds 8-bit bytes (a server offering neither
// gets no such message: an error instead). Files are streamed in 64 KiB pieces: the output queue is
// refilled only as the transport drains it.
#include <mailwire/smtp/client.hpp>

#include <fmt/format.h>
#include <sys/random.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "transport.hpp"

namespace {

namespace smtp = mailwire::smtp;
namespace sasl = mailwire::sasl;
using mailwire_example::connection;

struct settings {
  std::string host;
  std::uint16_t port = 0;
  bool starttls = false;
  bool implicit_tls = false;
  std::string ca_file;
  bool insecure = false;
  std::string user;
  std::string password;
  std::string mechanism;
  bool lmtp = false;
  std::string from;
  std::vector<std::string> to;
  std::vector<std::string> files;
};

// The nonce for SCRAM comes from the program, never from the library.
std::string random_nonce() {
  unsigned char raw[18];
  if (getrandom(raw, sizeof raw, 0) != static_cast<ssize_t>(sizeof raw)) std::abort();
  return mailwire::base64::encode(std::string_view(reinterpret_cast<const char*>(raw), sizeof raw));
}

bool parse_address(const std::string& text, smtp::path_role role, smtp::path& out) {
  const std::string wire = "<" + text + ">";
  static std::vector<std::unique_ptr<std::string>> keep;  // paths are views: keep their text
  keep.push_back(std::make_unique<std::string>(wire));
  return smtp::parse_path(*keep.back(), role, true, out).error == mailwire::errc::ok;
}

bool has_8bit(std::string_view s) {
  for (const char ch : s) {
    if (static_cast<unsigned char>(ch) >= 0x80) return true;
  }
  return false;
}

// Reads the file once before sending it; "-" (stdin) counts as 7-bit.
bool has_8bit_file(const std::string& name) {
  if (name == "-") return false;
  std::FILE* f = std::fopen(name.c_str(), "rb");
  if (f == nullptr) return false;  // open_body() reports it
  char buf[64 * 1024];
  bool found = false;
  for (std::size_t n; !found && (n = std::fread(buf, 1, sizeof buf, f)) > 0;) found = has_8bit(std::string_view(buf, n));
  std::fclose(f);
  return found;
}

class send_session final : public mailwire_example::handler {
 public:
  send_session(const settings& s, smtp::client_options o, SSL_CTX* tls_ctx)
      : settings_(s), client_(std::move(o)), tls_ctx_(tls_ctx) {}

  bool all_accepted() const noexcept { return failures_ == 0 && sent_ == settings_.files.size(); }

  std::size_t on_plaintext(connection& c, std::string_view bytes) override {
    const std::size_t taken = client_.feed(bytes);
    drain(c);
    return taken;
  }
  std::string_view pending_plaintext() override { return client_.pending_output(); }
  void consume_plaintext(std::size_t n) override {
    client_.consume_output(n);
    refill();  // more of the message, now that there is room
  }
  void on_tls_established(connection& c) override {
    // RFC 9266 channel binding for SCRAM-*-PLUS (TLS 1.3 only).
    const std::string binding = c.tls()->exporter_binding();
    if (!binding.empty()) client_.set_channel_binding(sasl::channel_binding::type::tls_exporter, binding);
    client_.tls_established();
    drain(c);
  }
  void on_close(connection&, std::string_view why) override {
    if (!why.empty()) {
      fmt::print(stderr, "connection closed: {}\n", why);
      ++failures_;
    }
  }

 private:
  void drain(connection& c) {
    using kind = smtp::client_event_type;
    for (auto e = client_.next(); e.type != kind::need_more && e.type != kind::write_output; e = client_.next()) {
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
        case kind::body: open_body(); break;
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
          fmt::print(stderr, "error: {}{}\n", mailwire::to_string(e.error),
                     e.code != 0 ? fmt::format(" ({} {})", e.code, e.text) : std::string());
          ++failures_;
          break;
        case kind::closed: c.close(); return;
        case kind::need_more:
        case kind::write_output: break;
      }
    }
  }

  std::string file() const { return current_ < settings_.files.size() ? settings_.files[current_] : "-"; }

  void next_message() {
    if (started_) ++current_;
    started_ = true;
    accepted_ = replies_ = 0;
    if (current_ >= settings_.files.size() || failures_ != 0) {
      client_.quit();
      return;
    }
    smtp::path from;
    if (!parse_address(settings_.from, smtp::path_role::reverse, from)) {
      fmt::print(stderr, "not an address: {}\n", settings_.from);
      ++failures_;
      client_.quit();
      return;
    }
    // What the message needs: SMTPUTF8 for a UTF-8 recipient (the machine
    // sees a UTF-8 sender itself), BODY=8BITMIME for a body with 8-bit
    // bytes (stdin is not scanned). A server lacking either is refused here.
    smtp::mail_parameters params;
    for (const auto& t : settings_.to) params.smtputf8 = params.smtputf8 || has_8bit(t);
    if (has_8bit_file(settings_.files[current_])) params.body = smtp::body_type::eight_bit_mime;
    if (const mailwire::errc e = client_.mail(from, params); e != mailwire::errc::ok) {
      fmt::print(stderr, "{}: cannot send MAIL FROM:<{}>: {}{}\n", file(), settings_.from, mailwire::to_string(e),
                 e == mailwire::errc::extension_missing ? " (the message needs SMTPUTF8 or 8BITMIME)" : "");
      ++failures_;
      client_.quit();
      return;
    }
    for (const auto& t : settings_.to) {
      smtp::path to;
      if (!parse_address(t, smtp::path_role::forward, to) || client_.rcpt(to) != mailwire::errc::ok) {
        fmt::print(stderr, "cannot send RCPT TO:<{}>\n", t);
        ++failures_;
      }
    }
    client_.data();
  }

  void open_body() {
    const std::string& name = settings_.files[current_];
    input_ = name == "-" ? stdin : std::fopen(name.c_str(), "rb");
    if (input_ == nullptr) {
      fmt::print(stderr, "{}: {}\n", name, std::strerror(errno));
      ++failures_;
      input_ = nullptr;
      client_.end_body();  // an empty message; the failure is counted
      return;
    }
    refill();
  }

  // Writes the message in 64 KiB pieces while the output queue is short.
  void refill() {
    while (input_ != nullptr && client_.pending_output().size() < (256u << 10)) {
      char buf[64 * 1024];
      const std::size_t n = std::fread(buf, 1, sizeof buf, input_);
      if (n > 0 && client_.write_body(std::string_view(buf, n)) != mailwire::errc::ok) ++failures_;
      if (n < sizeof buf) {
        if (input_ != stdin) std::fclose(input_);
        input_ = nullptr;
        client_.end_body();
      }
    }
  }

  const settings& settings_;
  smtp::client client_;
  SSL_CTX* tls_ctx_;
  std::FILE* input_ = nullptr;
  std::size_t current_ = 0;
  bool started_ = false;
  std::size_t sent_ = 0;
  std::size_t accepted_ = 0;
  std::size_t replies_ = 0;
  std::size_t failures_ = 0;
};

int usage() {
  std::fputs(
      "usage: mailwire-smtp-send --server HOST:PORT [--starttls | --implicit-tls] [--ca FILE | --insecure]\n"
      "       [--auth USER:PASS] [--mech NAME] [--lmtp] --from ADDR --to ADDR [--to ADDR ...] FILE ...\n",
      stderr);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  settings s;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : std::string(); };
    if (a == "--server") {
      const std::string v = value();
      const auto colon = v.rfind(':');
      if (colon == std::string::npos) return usage();
      s.host = v.substr(0, colon);
      s.port = static_cast<std::uint16_t>(std::stoul(v.substr(colon + 1)));
    } else if (a == "--starttls") {
      s.starttls = true;
    } else if (a == "--implicit-tls") {
      s.implicit_tls = true;
    } else if (a == "--ca") {
      s.ca_file = value();
    } else if (a == "--insecure") {
      s.insecure = true;
    } else if (a == "--auth") {
      const std::string v = value();
      const auto colon = v.find(':');
      if (colon == std::string::npos) return usage();
      s.user = v.substr(0, colon);
      s.password = v.substr(colon + 1);
    } else if (a == "--mech") {
      s.mechanism = value();
    } else if (a == "--lmtp") {
      s.lmtp = true;
    } else if (a == "--from") {
      s.from = value();
    } else if (a == "--to") {
      s.to.push_back(value());
    } else if (a == "-" || a.rfind("--", 0) != 0) {
      s.files.push_back(a);
    } else {
      return usage();
    }
  }
  if (s.host.empty() || s.from.empty() || s.to.empty() || s.files.empty()) return usage();

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
  o.username = s.user;
  o.password = s.password;
  o.nonce = random_nonce();
  if (!s.mechanism.empty()) {
    o.mechanism = sasl::parse_mechanism(s.mechanism);
    if (!o.mechanism) {
      fmt::print(stderr, "unknown mechanism {}\n", s.mechanism);
      return 2;
    }
    o.auth_policy.allow_cleartext_password = true;  // asked for by name
  }
  send_session session(s, std::move(o), tls.get());
  if (!mailwire_example::run_client(s.host, s.port, session, s.implicit_tls ? tls.get() : nullptr, err)) {
    fmt::print(stderr, "connect: {}\n", err);
    return 1;
  }
  return session.all_accepted() ? 0 : 1;
}
