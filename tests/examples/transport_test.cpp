// Tests for the examples' transport (examples/support/transport.hpp), on
// loopback, with a tiny line-echo protocol that has a STARTTLS upgrade:
//
//   any line      -> echoed back
//   STARTTLS      -> "220 go ahead", then TLS
//   BINDING       -> "binding <hex of the server's tls-exporter binding>"
//   QUIT          -> "221 bye", then close
//
// The server side reads lines with mailwire's recv_buffer + line_reader, a
// stand-in for a real machine, with a deliberately tiny buffer so that
// feed() takes fewer bytes than offered and backpressure is exercised.
// A plain program: prints what failed and exits non-zero.
#include "transport.hpp"

#include "check.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mailwire/core/line_reader.hpp>
#include <mailwire/core/output_queue.hpp>
#include <mailwire/core/recv_buffer.hpp>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace mailwire_example;

using mailwire_example_test::failures;

std::string hex(std::string_view s) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (const char c : s) {
    const auto b = static_cast<unsigned char>(c);
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

// A self-signed P-256 certificate for "localhost" and 127.0.0.1, as PEM files.
bool make_cert(const std::string& cert_path, const std::string& key_path) {
  EVP_PKEY_CTX* kctx = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
  EVP_PKEY* key = nullptr;
  const bool key_ok = kctx != nullptr && EVP_PKEY_keygen_init(kctx) == 1 &&
                      EVP_PKEY_CTX_set_group_name(kctx, "P-256") == 1 &&
                      EVP_PKEY_generate(kctx, &key) == 1;
  EVP_PKEY_CTX_free(kctx);
  X509* x = X509_new();
  bool ok = key_ok && x != nullptr;
  if (ok) {
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, key);
    X509_NAME* name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
    X509_set_issuer_name(x, name);
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, x, x, nullptr, nullptr, 0);
    X509_EXTENSION* san =
        X509V3_EXT_conf_nid(nullptr, &v3, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
    ok = san != nullptr && X509_add_ext(x, san, -1) == 1 && X509_sign(x, key, EVP_sha256()) > 0;
    X509_EXTENSION_free(san);
  }
  FILE* cf = ok ? std::fopen(cert_path.c_str(), "w") : nullptr;
  FILE* kf = ok ? std::fopen(key_path.c_str(), "w") : nullptr;
  ok = cf != nullptr && kf != nullptr && PEM_write_X509(cf, x) == 1 &&
       PEM_write_PrivateKey(kf, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  if (cf != nullptr) std::fclose(cf);
  if (kf != nullptr) std::fclose(kf);
  X509_free(x);
  EVP_PKEY_free(key);
  return ok;
}

// What the server threads saw, for the checks.
struct server_log {
  std::mutex m;
  std::vector<std::string> closes;  // on_close reasons
  std::vector<std::string> lines;   // every line received (the injection check)
  int short_feeds = 0;              // feed() took less than offered (backpressure)
};

// The server's session: the line-echo "protocol" over a tiny buffer.
class echo_session final : public handler {
 public:
  echo_session(SSL_CTX* tls, server_log& log) : tls_(tls), log_(log) {}

  std::size_t on_plaintext(connection& c, std::string_view bytes) override {
    if (done_) return bytes.size();    // after QUIT: discard
    if (out_.size() > 4096) return 0;  // replies not read: stop taking commands
    const std::size_t taken = in_.feed(bytes);
    if (taken < bytes.size()) {
      const std::lock_guard<std::mutex> lock(log_.m);
      ++log_.short_feeds;
    }
    for (;;) {
      const mailwire::line_result r = reader_.next(in_);
      if (r.state == mailwire::line_result::status::need_more) break;
      if (r.state == mailwire::line_result::status::error) {
        reply("500 bad line");
        continue;
      }
      {
        const std::lock_guard<std::mutex> lock(log_.m);
        log_.lines.emplace_back(r.text);
      }
      if (r.text == "STARTTLS" && c.tls() == nullptr) {
        reply("220 go ahead");
        // Like a machine's take_unconsumed(): what followed the command.
        const std::string leftover(in_.data());
        in_.consume(in_.size());
        c.start_tls_server(tls_, leftover);
        break;
      }
      if (r.text == "QUIT") {
        reply("221 bye");
        done_ = true;
        c.close();
        break;
      }
      if (r.text == "BINDING") {
        reply("binding " + hex(c.tls() ? c.tls()->exporter_binding() : ""));
      } else {
        reply(std::string(r.text));
      }
    }
    return taken;
  }
  std::string_view pending_plaintext() override { return out_.pending(); }
  void consume_plaintext(std::size_t n) override { out_.consume(n); }
  void on_close(connection&, std::string_view why) override {
    const std::lock_guard<std::mutex> lock(log_.m);
    log_.closes.emplace_back(why);
  }

 private:
  void reply(const std::string& line) {
    out_.append(line);
    out_.append("\r\n");
  }
  SSL_CTX* tls_;
  server_log& log_;
  mailwire::recv_buffer in_{64};  // tiny on purpose: feed() takes less than offered
  mailwire::line_reader reader_{mailwire::line_options::with_max_length(64)};
  mailwire::output_queue out_;
  bool done_ = false;
};

enum class mode { plain, starttls, implicit, inject };

// The client: optional STARTTLS, `count` pipelined lines, BINDING, QUIT.
class echo_client final : public handler {
 public:
  echo_client(mode m, SSL_CTX* tls, int id, int count, std::string host = "localhost")
      : mode_(m), tls_(tls), id_(id), count_(count), host_(std::move(host)) {
    if (m == mode::starttls)
      send("STARTTLS");
    else if (m == mode::inject)
      send("STARTTLS\r\nINJECTED");  // one packet
    else
      send_lines();  // under implicit TLS they wait for the handshake
  }

  std::size_t on_plaintext(connection& c, std::string_view bytes) override {
    const std::size_t taken = in_.feed(bytes);
    for (;;) {
      const mailwire::line_result r = reader_.next(in_);
      if (r.state != mailwire::line_result::status::line) {
        if (r.state == mailwire::line_result::status::need_more) break;
        continue;  // e.g. a binary TLS alert: not a line
      }
      got_.emplace_back(r.text);
      if (r.text == "220 go ahead" && mode_ == mode::starttls && c.tls() == nullptr) {
        const std::string leftover(in_.data());  // the server sent nothing more
        in_.consume(in_.size());
        c.start_tls_client(tls_, host_, leftover);
        break;
      }
      if (r.text == "221 bye") {
        c.close();
      } else if (r.text.substr(0, 8) == "binding ") {
        server_binding_ = std::string(r.text.substr(8));
        send("QUIT");
      } else if (mode_ != mode::inject && r.text == expected_line(echoed_)) {
        if (++echoed_ == count_) send("BINDING");
      }
    }
    return taken;
  }
  std::string_view pending_plaintext() override { return out_.pending(); }
  void consume_plaintext(std::size_t n) override { out_.consume(n); }
  void on_tls_established(connection& c) override {
    binding_ = c.tls()->exporter_binding();
    protocol_ = c.tls()->protocol();
    if (mode_ == mode::starttls) send_lines();
  }
  void on_close(connection&, std::string_view why) override {
    closed_ = true;
    why_ = std::string(why);
  }

  bool ok() const {
    const bool good = closed_ && why_.empty() && echoed_ == count_ &&
                      got_.size() == lines_expected() && got_.back() == "221 bye" &&
                      server_binding_ == hex(binding_);
    if (!good) {
      std::fprintf(stderr, "client %d: closed=%d why='%s' echoed=%d/%d lines=%zu last='%s' %s\n",
                   id_, closed_, why_.c_str(), echoed_, count_, got_.size(),
                   got_.empty() ? "" : got_.back().c_str(), protocol_.c_str());
    }
    return good;
  }
  std::size_t lines_expected() const {
    return static_cast<std::size_t>(count_) + 2 + (mode_ == mode::starttls ? 1 : 0);
  }

  mode mode_;
  SSL_CTX* tls_;
  int id_, count_, echoed_ = 0;
  std::string host_, binding_, server_binding_, protocol_, why_;
  std::vector<std::string> got_;
  bool closed_ = false;

 private:
  std::string expected_line(int k) const {
    return "line " + std::to_string(k) + " of client " + std::to_string(id_);
  }
  void send(const std::string& line) {
    out_.append(line);
    out_.append("\r\n");
  }
  void send_lines() {
    for (int k = 0; k < count_; ++k) send(expected_line(k));
  }
  mailwire::recv_buffer in_{4096};
  mailwire::line_reader reader_;
  mailwire::output_queue out_;
};

// A client that says nothing and waits for its deadline: set in on_open,
// then moved later once; on_timeout closes.
class waiting_client final : public handler {
 public:
  std::size_t on_plaintext(connection&, std::string_view bytes) override { return bytes.size(); }
  std::string_view pending_plaintext() override { return {}; }
  void consume_plaintext(std::size_t) override {}
  void on_open(connection& c) override {
    opened_ = deadline_clock::now();
    c.set_deadline(opened_ + std::chrono::milliseconds(50));
    c.set_deadline(opened_ + std::chrono::milliseconds(300));  // replaces the first
  }
  void on_timeout(connection& c) override {
    ++timeouts_;
    waited_ = deadline_clock::now() - opened_;
    c.close();
  }
  void on_close(connection&, std::string_view why) override { why_ = std::string(why); }

  deadline_clock::time_point opened_;
  deadline_clock::duration waited_{};
  int timeouts_ = 0;
  std::string why_ = "not closed";
};

// Runs clients (all at once on one loop) until every connection closed.
// `sockbuf` > 0 shrinks the clients' socket buffers, to force short writes.
void run_clients(std::vector<std::unique_ptr<echo_client>>& clients, std::uint16_t plain_port,
                 std::uint16_t tls_port, int sockbuf = 0) {
  event_loop loop;
  for (auto& cl : clients) {
    std::string err;
    const bool implicit = cl->mode_ == mode::implicit;
    const int fd = connect_tcp("localhost", implicit ? tls_port : plain_port, err);
    if (fd < 0) {
      std::fprintf(stderr, "connect: %s\n", err.c_str());
      ++failures;
      continue;
    }
    // (Only the send side: shrinking SO_RCVBUF of a connected socket makes
    // Linux fall back to slow zero-window probes.)
    if (sockbuf > 0) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sockbuf, sizeof sockbuf);
    connection& c = loop.add(fd, *cl);
    if (implicit) c.start_tls_client(cl->tls_, cl->host_);
  }
  loop.run();
}

std::unique_ptr<echo_client> one(mode m, SSL_CTX* tls, int count, std::string host = "localhost") {
  return std::make_unique<echo_client>(m, tls, 0, count, std::move(host));
}

}  // namespace

int main() {
  alarm(120);  // a hang is a failure, not a stuck CI job

  char dir_template[] = "/tmp/mailwire-transport-XXXXXX";
  const char* dir = mkdtemp(dir_template);
  if (dir == nullptr) return 2;
  const std::string cert = std::string(dir) + "/cert.pem", key = std::string(dir) + "/key.pem";
  if (!make_cert(cert, key)) {
    std::fprintf(stderr, "cannot make a certificate: %s\n", tls_errors().c_str());
    return 2;
  }
  std::string err;
  const tls_context server_ctx = tls_context::server(cert, key, err);
  const tls_context client_ctx = tls_context::client(cert, false, err);  // trusts our cert only
  const tls_context tls12_ctx = tls_context::client(cert, false, err);
  if (!server_ctx || !client_ctx || !tls12_ctx) {
    std::fprintf(stderr, "TLS setup: %s\n", err.c_str());
    return 2;
  }
  SSL_CTX_set_max_proto_version(tls12_ctx.get(), TLS1_2_VERSION);
  std::remove(cert.c_str());
  std::remove(key.c_str());
  rmdir(dir);

  // The server: a plain port (with STARTTLS) and an implicit-TLS port, on
  // its own thread. SIGTERM is blocked before the thread starts, so only
  // the loop's signalfd sees it.
  server_log log;
  event_loop server;
  CHECK(server.stop_on_signals(err));
  auto factory = [&](const std::string&) {
    return std::make_unique<echo_session>(server_ctx.get(), log);
  };
  const std::uint16_t plain_port = server.listen("127.0.0.1", 0, factory, nullptr, err);
  const std::uint16_t tls_port = server.listen("127.0.0.1", 0, factory, server_ctx.get(), err);
  CHECK(plain_port != 0 && tls_port != 0 && plain_port != tls_port);
  std::thread server_thread([&] { server.run(); });

  {  // Plain lines, pipelined through a 64-byte server buffer.
    std::vector<std::unique_ptr<echo_client>> c;
    c.push_back(one(mode::plain, nullptr, 100));
    run_clients(c, plain_port, tls_port);
    CHECK(c[0]->ok());
    CHECK(c[0]->server_binding_.empty() && c[0]->protocol_.empty());
    const std::lock_guard<std::mutex> lock(log.m);
    CHECK(log.short_feeds > 0);  // the rest was kept and offered again
  }
  {  // STARTTLS injection: a command pipelined after STARTTLS must become
     // (garbage) ciphertext that fails the handshake, never a command.
    std::vector<std::unique_ptr<echo_client>> c;
    c.push_back(one(mode::inject, client_ctx.get(), 0));
    run_clients(c, plain_port, tls_port);
    CHECK(c[0]->closed_);
    CHECK(c[0]->got_.size() == 1 && c[0]->got_[0] == "220 go ahead");
    const std::lock_guard<std::mutex> lock(log.m);
    CHECK(std::find(log.lines.begin(), log.lines.end(), "INJECTED") == log.lines.end());
    // (the first TLS failure of this run: on_close runs before the socket closes)
    CHECK(std::any_of(log.closes.begin(), log.closes.end(), [](const std::string& w) {
      return w.find("TLS handshake") != std::string::npos;
    }));
  }
  {  // STARTTLS done right: wait for the go-ahead, then lines under TLS 1.3.
    std::vector<std::unique_ptr<echo_client>> c;
    c.push_back(one(mode::starttls, client_ctx.get(), 100));
    run_clients(c, plain_port, tls_port);
    CHECK(c[0]->ok());
    CHECK(c[0]->protocol_ == "TLSv1.3");
    CHECK(c[0]->binding_.size() == 32);  // and equal to the server's: ok()
  }
  {  // Implicit TLS from the first byte; the binding differs per session.
    std::vector<std::unique_ptr<echo_client>> c;
    c.push_back(one(mode::implicit, client_ctx.get(), 10));
    c.push_back(one(mode::implicit, client_ctx.get(), 10));
    run_clients(c, plain_port, tls_port);
    CHECK(c[0]->ok() && c[1]->ok());
    CHECK(c[0]->binding_.size() == 32 && c[0]->binding_ != c[1]->binding_);
  }
  {  // TLS 1.2: no tls-exporter binding on either end.
    echo_client c(mode::implicit, tls12_ctx.get(), 0, 10);
    CHECK(run_client("localhost", tls_port, c, tls12_ctx.get(), err));  // the one-call helper
    CHECK(c.ok());
    CHECK(c.protocol_ == "TLSv1.2" && c.binding_.empty() && c.server_binding_.empty());
  }
  {  // Wrong name: hostname verification must refuse the certificate.
    std::vector<std::unique_ptr<echo_client>> c;
    c.push_back(one(mode::implicit, client_ctx.get(), 10, "mail.example.org"));
    run_clients(c, plain_port, tls_port);
    CHECK(c[0]->closed_ && c[0]->echoed_ == 0);
    CHECK(c[0]->why_.find("certificate verify failed") != std::string::npos);
  }
  {  // 50 concurrent clients, all three ways in, 100 lines each.
    std::vector<std::unique_ptr<echo_client>> c;
    const mode modes[] = {mode::plain, mode::starttls, mode::implicit};
    for (int i = 0; i < 50; ++i)
      c.push_back(std::make_unique<echo_client>(modes[i % 3], client_ctx.get(), i, 100));
    run_clients(c, plain_port, tls_port);
    int ok = 0;
    for (const auto& cl : c) ok += cl->ok() ? 1 : 0;
    CHECK(ok == 50);
  }
  {  // Bulk: 20000 pipelined lines each way outrun every buffer (socket,
     // connection, machine), so partial writes, EAGAIN and backpressure
     // all happen, in plaintext and under TLS.
    std::vector<std::unique_ptr<echo_client>> c;
    c.push_back(std::make_unique<echo_client>(mode::plain, nullptr, 0, 20000));
    c.push_back(std::make_unique<echo_client>(mode::starttls, client_ctx.get(), 1, 20000));
    run_clients(c, plain_port, tls_port, 4096);
    CHECK(c[0]->ok() && c[1]->ok());
  }
  {  // A deadline fires once, at the last time set, and the handler's close
     // ends the loop; the connect itself had a deadline too.
    waiting_client w;
    CHECK(run_client("127.0.0.1", plain_port, w, nullptr, err, 5000));
    CHECK(w.timeouts_ == 1 && w.why_.empty());
    CHECK(w.waited_ >= std::chrono::milliseconds(300) && w.waited_ < std::chrono::seconds(3));
  }
  {  // SIGTERM stops the server and closes the connections it still has.
    const int idle = connect_tcp("127.0.0.1", plain_port, err);
    CHECK(idle >= 0);
    fcntl(idle, F_SETFL, 0);  // blocking: this is a plain test socket
    const char hello[] = "hello\r\n";
    CHECK(send(idle, hello, sizeof hello - 1, 0) == 7);
    char buf[64];
    int got = 0;
    while (got < 7) {  // the echo proves the server has the connection
      const ssize_t n = recv(idle, buf + got, static_cast<std::size_t>(7 - got), 0);
      if (n <= 0) break;
      got += static_cast<int>(n);
    }
    CHECK(got == 7);
    kill(getpid(), SIGTERM);
    server_thread.join();
    CHECK(recv(idle, buf, sizeof buf, 0) == 0);  // EOF: closed on the way out
    close(idle);
    const std::lock_guard<std::mutex> lock(log.m);
    CHECK(std::find(log.closes.begin(), log.closes.end(), "shutting down") != log.closes.end());
  }

  if (failures != 0) {
    const std::lock_guard<std::mutex> lock(log.m);
    for (const std::string& w : log.closes) std::fprintf(stderr, "server close: '%s'\n", w.c_str());
  }
  if (failures == 0) std::printf("transport_test: all passed\n");
  return failures == 0 ? 0 : 1;
}
