// The transport for mailwire's examples: see transport.hpp.
#include "transport.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/epoll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

namespace mailwire_example {
namespace {

// How much plaintext a connection holds for a slow handler, and how much
// output it buffers for a slow peer, before it stops reading/pulling.
constexpr std::size_t chunk = 16 * 1024;
constexpr std::size_t out_high_water = 64 * 1024;

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }


}  // namespace

std::string tls_errors() {
  std::string out;
  while (const unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "unknown TLS error" : out;
}

// ------------------------------------------------------------- tls_context

tls_context tls_context::server(const std::string& cert_file, const std::string& key_file,
                                std::string& err) {
  tls_context t;
  t.ctx_.reset(SSL_CTX_new(TLS_server_method()));
  SSL_CTX* c = t.ctx_.get();
  if (c == nullptr || SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION) != 1 ||
      SSL_CTX_use_certificate_chain_file(c, cert_file.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(c, key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(c) != 1) {
    err = tls_errors();
    t.ctx_.reset();
  }
  return t;
}

tls_context tls_context::client(const std::string& ca_file, bool insecure, std::string& err) {
  tls_context t;
  t.ctx_.reset(SSL_CTX_new(TLS_client_method()));
  SSL_CTX* c = t.ctx_.get();
  if (c == nullptr || SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION) != 1) {
    err = tls_errors();
    t.ctx_.reset();
    return t;
  }
  if (insecure) {
    SSL_CTX_set_verify(c, SSL_VERIFY_NONE, nullptr);
    return t;
  }
  SSL_CTX_set_verify(c, SSL_VERIFY_PEER, nullptr);
  const int ok = ca_file.empty() ? SSL_CTX_set_default_verify_paths(c)
                                 : SSL_CTX_load_verify_locations(c, ca_file.c_str(), nullptr);
  if (ok != 1) {
    err = tls_errors();
    t.ctx_.reset();
  }
  return t;
}

// ------------------------------------------------------------- tls_session

tls_session::tls_session(SSL_CTX* ctx, role r, const std::string& host) {
  ERR_clear_error();  // errors left by others must not be blamed on us
  ssl_ = SSL_new(ctx);
  in_ = BIO_new(BIO_s_mem());
  out_ = BIO_new(BIO_s_mem());
  if (ssl_ == nullptr || in_ == nullptr || out_ == nullptr) {
    BIO_free(in_);
    BIO_free(out_);
    in_ = out_ = nullptr;
    error_ = tls_errors();
    return;
  }
  BIO_set_mem_eof_return(in_, -1);  // empty means "want more", not EOF
  SSL_set_bio(ssl_, in_, out_);     // ssl_ owns both BIOs now
  if (r == role::server) {
    SSL_set_accept_state(ssl_);
    return;
  }
  SSL_set_connect_state(ssl_);
  if (host.empty()) return;
  // SNI is for names only (RFC 6066 3); SSL_set1_host checks names and IPs.
  unsigned char ip[16];
  const bool literal =
      ::inet_pton(AF_INET, host.c_str(), ip) == 1 || ::inet_pton(AF_INET6, host.c_str(), ip) == 1;
  // (SSL_set_tlsext_host_name's expansion, minus the C cast g++ warns about)
  if ((!literal && SSL_ctrl(ssl_, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                            const_cast<char*>(host.c_str())) != 1) ||
      SSL_set1_host(ssl_, host.c_str()) != 1) {
    error_ = tls_errors();
  }
}

tls_session::~tls_session() { SSL_free(ssl_); }

bool tls_session::check(int rc, const char* what) {
  if (rc > 0) return true;
  switch (SSL_get_error(ssl_, rc)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      return true;
    case SSL_ERROR_ZERO_RETURN:
      peer_closed_ = true;
      return true;
    default:
      error_ = std::string(what) + ": " + tls_errors();
      if (const long v = SSL_get_verify_result(ssl_); v != X509_V_OK) {
        error_ += std::string(" (") + X509_verify_cert_error_string(v) + ")";
      }
      return false;
  }
}

void tls_session::put_ciphertext(std::string_view bytes) {
  // A memory BIO grows as needed; the connection bounds what it reads.
  while (!bytes.empty() && ssl_ != nullptr) {
    const int n =
        BIO_write(in_, bytes.data(), static_cast<int>(std::min<std::size_t>(bytes.size(), chunk)));
    if (n <= 0) break;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::string tls_session::take_ciphertext() {
  std::string out;
  if (ssl_ == nullptr) return out;
  out.resize(BIO_ctrl_pending(out_));
  const int n = out.empty() ? 0 : BIO_read(out_, out.data(), static_cast<int>(out.size()));
  out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return out;
}

bool tls_session::handshake() {
  if (done_ || failed()) return done_;
  ERR_clear_error();
  const int rc = SSL_do_handshake(ssl_);
  if (rc == 1)
    done_ = true;
  else
    check(rc, "TLS handshake");
  return done_;
}

std::size_t tls_session::read_plaintext(char* buf, std::size_t n) {
  if (!done_ || failed() || peer_closed_) return 0;
  ERR_clear_error();
  std::size_t got = 0;
  const int rc = SSL_read_ex(ssl_, buf, n, &got);
  if (rc != 1) check(rc, "TLS read");
  return got;
}

std::size_t tls_session::write_plaintext(std::string_view bytes) {
  if (!done_ || failed() || bytes.empty()) return 0;
  ERR_clear_error();
  std::size_t put = 0;
  const int rc = SSL_write_ex(ssl_, bytes.data(), bytes.size(), &put);
  if (rc != 1) check(rc, "TLS write");
  return put;
}

void tls_session::shutdown() {
  if (done_ && !failed()) {
    ERR_clear_error();
    SSL_shutdown(ssl_);  // only queues close_notify: we do not wait for the peer's
  }
}

std::string tls_session::exporter_binding() const {
  if (!done_ || SSL_version(ssl_) != TLS1_3_VERSION) return {};
  static constexpr char label[] = "EXPORTER-Channel-Binding";
  std::string out(32, '\0');
  if (SSL_export_keying_material(ssl_, reinterpret_cast<unsigned char*>(out.data()), out.size(),
                                 label, sizeof label - 1, nullptr, 0, 0) != 1) {
    return {};
  }
  return out;
}

std::string tls_session::protocol() const { return ssl_ ? SSL_get_version(ssl_) : ""; }

// -------------------------------------------------------------- connection

void handler::on_timeout(connection& c) { c.abort("timed out"); }

connection::connection(int fd, handler& h, std::string peer)
    : fd_(fd), h_(&h), peer_(std::move(peer)) {}

connection::~connection() {
  clear_deadline();
  if (fd_ >= 0) ::close(fd_);
}

void connection::set_deadline(deadline_clock::time_point when) {
  if (loop_ == nullptr || state_ == state::closed) return;
  clear_deadline();
  loop_->deadlines_.emplace(when, this);
  deadline_ = when;
  has_deadline_ = true;
}

void connection::clear_deadline() {
  if (!has_deadline_) return;
  loop_->deadlines_.erase({deadline_, this});
  has_deadline_ = false;
}

bool connection::wants_read() const noexcept {
  // Read only when everything read so far has been taken: a full machine
  // stops the socket, and TCP flow control stops the peer.
  return state_ == state::open && !eof_ && in_.empty();
}

bool connection::start_tls_server(SSL_CTX* ctx, std::string_view leftover) {
  return start_tls(std::make_unique<tls_session>(ctx, tls_session::role::server), leftover);
}

bool connection::start_tls_client(SSL_CTX* ctx, const std::string& host,
                                  std::string_view leftover) {
  return start_tls(std::make_unique<tls_session>(ctx, tls_session::role::client, host), leftover);
}

bool connection::start_tls(std::unique_ptr<tls_session> s, std::string_view leftover) {
  if (tls_ || state_ != state::open) return false;
  if (s->failed()) {
    abort(s->error());
    return false;
  }
  if (talked_) drain_handler_output();  // STARTTLS: the go-ahead reply is plaintext
  tls_ = std::move(s);
  tls_->put_ciphertext(leftover);
  // Bytes received but not yet offered also follow the switch point. Inside
  // on_plaintext() the current offer is still in in_: deliver() moves what
  // the handler did not take once the callback returns.
  if (in_callback_) {
    switch_pending_ = true;
  } else {
    tls_->put_ciphertext(in_);
    in_.clear();
  }
  return true;
}

void connection::drain_handler_output() {
  for (std::string_view p = h_->pending_plaintext(); !p.empty(); p = h_->pending_plaintext()) {
    out_.append(p);
    h_->consume_plaintext(p.size());
  }
}

void connection::close() {
  if (state_ == state::open) state_ = state::closing;
}

void connection::abort(const std::string& why) {
  if (state_ == state::closed) return;
  // Best effort for what is queued, e.g. the TLS alert saying why.
  if (!out_.empty()) (void)::send(fd_, out_.data(), out_.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  state_ = state::closed;
  out_.clear();
  in_.clear();
  clear_deadline();
  h_->on_close(*this, why);  // before the peer can see the close
  ::close(fd_);
  fd_ = -1;
}

void connection::on_readable() {
  if (!wants_read()) return;
  char buf[chunk];
  const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
  if (n > 0) {
    const std::string_view bytes(buf, static_cast<std::size_t>(n));
    if (tls_)
      tls_->put_ciphertext(bytes);
    else
      in_.append(bytes);
    talked_ = true;
  } else if (n == 0) {
    // Under TLS, a FIN without close_notify could be a truncation attack;
    // mail protocols frame their own data ("." ends DATA), so the machine
    // notices a cut message and we treat both alike.
    eof_ = true;
  } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
    return abort(errno_text("recv"));
  }
  pump();
}

void connection::pump() {
  // Each step is bounded by what one recv() brought, so this ends.
  bool progress = true;
  while (progress && state_ != state::closed) {
    progress = decrypt();
    if (state_ == state::closed) return;
    progress = deliver() || progress;
    progress = produce() || progress;
    // A flush that made room must run produce() again: produce() stops at
    // out_high_water, and if this flush then empties out_ nothing would
    // wake the connection (no EPOLLOUT without output), while the handler
    // still has output waiting (a message streaming, a pipelined batch):
    // a stall until the peer sends again, which a peer reading the
    // message never does.
    progress = flush() || progress;
  }
  finish_if_done();
}

bool connection::decrypt() {
  if (!tls_) return false;
  bool progress = false;
  if (!tls_->handshake_done()) {
    if (tls_->handshake()) {
      progress = true;
      h_->on_tls_established(*this);
    }
  }
  char buf[chunk];
  while (in_.size() < chunk && !tls_->failed()) {
    const std::size_t n = tls_->read_plaintext(buf, sizeof buf);
    if (n == 0) break;
    in_.append(buf, n);
    progress = true;
  }
  out_ += tls_->take_ciphertext();  // handshake messages, alerts, key updates
  if (tls_->failed()) {
    abort(tls_->error());
    return false;
  }
  if (tls_->peer_closed() && !eof_) {
    eof_ = true;  // close_notify: a clean end of the TLS stream
    progress = true;
  }
  return progress;
}

bool connection::deliver() {
  // Offer until the handler stops taking: it takes what its machine's buffer
  // holds, drains the events, and is offered the rest again.
  std::size_t used = 0;
  while (used < in_.size() && !switch_pending_) {
    in_callback_ = true;
    const std::size_t n = h_->on_plaintext(*this, std::string_view(in_).substr(used));
    in_callback_ = false;
    if (state_ == state::closed) return false;  // the handler aborted
    if (n == 0) break;
    used += std::min(n, in_.size() - used);
  }
  in_.erase(0, used);  // once per call: no quadratic shuffling
  if (switch_pending_) {
    switch_pending_ = false;
    tls_->put_ciphertext(in_);
    in_.clear();
    return true;
  }
  return used > 0;
}

bool connection::produce() {
  if (state_ == state::closed || (tls_ && !tls_->handshake_done())) return false;
  bool progress = false;
  while (out_.size() < out_high_water) {
    const std::string_view p = h_->pending_plaintext().substr(0, chunk);
    if (p.empty()) break;
    std::size_t n = p.size();
    if (tls_) {
      n = tls_->write_plaintext(p);
      out_ += tls_->take_ciphertext();
      if (tls_->failed()) {
        abort(tls_->error());
        return false;
      }
    } else {
      out_.append(p);
      talked_ = true;
    }
    h_->consume_plaintext(n);
    progress = progress || n > 0;
    if (n == 0) break;
  }
  return progress;
}

bool connection::flush() {
  bool sent = false;
  while (state_ != state::closed && !out_.empty()) {
    const ssize_t n = ::send(fd_, out_.data(), out_.size(), MSG_NOSIGNAL);
    if (n > 0) {
      out_.erase(0, static_cast<std::size_t>(n));  // a partial write keeps the rest
      sent = true;
    } else if (n == 0 || errno == EAGAIN || errno == EWOULDBLOCK) {
      return sent;  // wait for EPOLLOUT
    } else if (errno != EINTR) {
      abort(errno_text("send"));
      return false;
    }
  }
  return sent;
}

void connection::finish_if_done() {
  if (state_ == state::closed) return;
  if (eof_ && state_ == state::open) {
    // The peer is done sending. Anything it sent is delivered or, if the
    // handler refuses it, never will be; send what is queued, then close.
    state_ = state::closing;
  }
  if (state_ != state::closing || !out_.empty() || !h_->pending_plaintext().empty()) return;
  if (tls_ && tls_->handshake_done() && !sent_close_notify_) {
    sent_close_notify_ = true;
    tls_->shutdown();
    out_ += tls_->take_ciphertext();
    flush();
    if (state_ == state::closed || !out_.empty()) return;
  }
  if (tls_ && !tls_->handshake_done()) {
    // Closing before the handshake ended (e.g. EOF): not a clean close.
    if (eof_) return abort("peer closed during the TLS handshake");
  }
  abort({});
}

// ------------------------------------------------------------------ client

namespace {

// connect(2) on a non-blocking socket, waiting until `deadline` at most.
bool connect_until(int fd, const sockaddr* addr, socklen_t len, bool limited,
                   deadline_clock::time_point deadline, std::string& err) {
  if (::connect(fd, addr, len) == 0) return true;
  if (errno != EINPROGRESS) {
    err = errno_text("connect");
    return false;
  }
  for (;;) {
    int wait = -1;
    if (limited) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - deadline_clock::now()).count();
      if (left <= 0) {
        err = "connect: timed out";
        return false;
      }
      wait = static_cast<int>(std::min<long long>(left, 1 << 30));
    }
    pollfd p{fd, POLLOUT, 0};
    const int n = ::poll(&p, 1, wait);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      err = errno_text("poll");
      return false;
    }
    if (n == 0) continue;  // the deadline check above ends it
    int so_error = 0;
    socklen_t so_len = sizeof so_error;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &so_len);
    if (so_error == 0) return true;
    errno = so_error;
    err = errno_text("connect");
    return false;
  }
}

}  // namespace

int connect_tcp(const std::string& host, std::uint16_t port, std::string& err, int timeout_ms) {
  const bool limited = timeout_ms >= 0;
  const deadline_clock::time_point deadline = deadline_clock::now() + std::chrono::milliseconds(timeout_ms);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &list); rc != 0) {
    err = host + ": " + ::gai_strerror(rc);
    return -1;
  }
  int fd = -1;
  for (addrinfo* a = list; a != nullptr && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
    if (fd < 0) {
      err = errno_text("socket");
    } else if (!connect_until(fd, a->ai_addr, a->ai_addrlen, limited, deadline, err)) {
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(list);
  if (fd < 0) return -1;
  const int one = 1;  // commands and replies are small: do not wait to coalesce
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

// -------------------------------------------------------------- event_loop

event_loop::event_loop()
    : wake_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)), epoll_fd_(::epoll_create1(EPOLL_CLOEXEC)) {
  watch(wake_fd_, &wake_fd_);
}

event_loop::~event_loop() {
  conns_.clear();
  for (const std::unique_ptr<listener>& l : listeners_) ::close(l->fd);
  if (wake_fd_ >= 0) ::close(wake_fd_);
  if (signal_fd_ >= 0) ::close(signal_fd_);
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

void event_loop::watch(int fd, void* tag) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = tag;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
}

std::uint16_t event_loop::listen(const std::string& host, std::uint16_t port, accept_fn on_accept,
                                 SSL_CTX* implicit_tls, std::string& err) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    err = "not an IPv4 address: " + host;
    return 0;
  }
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  const int one = 1;
  socklen_t len = sizeof addr;
  // TCP_NODELAY here: Linux copies it to every accepted socket, which saves
  // a setsockopt per connection (commands and replies are small: do not
  // wait to coalesce them).
  if (fd < 0 || ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0 ||
      ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(fd, SOMAXCONN) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    err = errno_text("listen");
    if (fd >= 0) ::close(fd);
    return 0;
  }
  listeners_.push_back(std::make_unique<listener>(listener{fd, std::move(on_accept), implicit_tls}));
  watch(fd, listeners_.back().get());
  return ntohs(addr.sin_port);
}

connection& event_loop::add(int fd, std::unique_ptr<handler> h, std::string peer) {
  handler& ref = *h;
  auto c = std::make_unique<connection>(fd, ref, std::move(peer));
  connection* key = c.get();
  entry& e = conns_[key];
  e.owned = std::move(h);
  e.conn = std::move(c);
  key->loop_ = this;
  mark(key);  // its first pump: output queued before it joined
  ref.on_open(*key);
  return *key;
}

connection& event_loop::add(int fd, handler& h, std::string peer) {
  auto c = std::make_unique<connection>(fd, h, std::move(peer));
  connection* key = c.get();
  conns_[key].conn = std::move(c);
  key->loop_ = this;
  mark(key);
  h.on_open(*key);
  return *key;
}

void event_loop::mark(connection* c) {
  const auto it = conns_.find(c);
  if (it == conns_.end() || it->second.dirty) return;
  it->second.dirty = true;
  dirty_.push_back(c);
}

bool event_loop::stop_on_signals(std::string& err) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  if (::pthread_sigmask(SIG_BLOCK, &set, nullptr) != 0 ||
      (signal_fd_ = ::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0) {
    err = errno_text("signalfd");
    return false;
  }
  watch(signal_fd_, &signal_fd_);
  return true;
}

void event_loop::stop() noexcept {
  const std::uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
}

void event_loop::pause(listener& l) {
  epoll_event ev{};  // no events: the listener stays registered, silent
  ev.data.ptr = &l;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, l.fd, &ev);
  l.paused = true;
  l.resume_at = deadline_clock::now() + accept_pause;
}

void event_loop::resume(listener& l) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = &l;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, l.fd, &ev);
  l.paused = false;
}

void event_loop::accept_all(listener& l) {
  // A bounded batch: the listener stays readable (level-triggered) if more
  // wait, and the connections already here get their turn meanwhile.
  for (int k = 0; k < 64; ++k) {
    sockaddr_in addr{};
    socklen_t len = sizeof addr;
    const int fd =
        ::accept4(l.fd, reinterpret_cast<sockaddr*>(&addr), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;  // all taken
      // The client gave up while queued, or a signal: the next one.
      if (errno == EINTR || errno == ECONNABORTED) continue;
      // EMFILE, ENFILE, ENOBUFS, ENOMEM (or anything unexpected): the
      // connection stays queued and the listener readable. Rest instead
      // of asking again at once (see the class comment).
      return pause(l);
    }
    char ip[INET_ADDRSTRLEN] = "?";
    ::inet_ntop(AF_INET, &addr.sin_addr, ip, sizeof ip);
    std::string peer = std::string(ip) + ":" + std::to_string(ntohs(addr.sin_port));
    std::unique_ptr<handler> h = l.on_accept(peer);
    if (!h) {
      ::close(fd);
      continue;
    }
    connection& c = add(fd, std::move(h), std::move(peer));
    if (l.tls != nullptr && !c.closed()) c.start_tls_server(l.tls);
  }
}

bool event_loop::settle() {
  // Pump what has moved since the last wait (events, deadlines, new
  // connections), then register the interest that changed. The others
  // are not touched: their state is the same as when they were last
  // registered.
  bool left = false;
  for (std::size_t i = 0; i < dirty_.size(); ++i) {
    const auto it = conns_.find(dirty_[i]);
    if (it == conns_.end()) continue;
    entry& e = it->second;
    e.dirty = false;
    e.conn->pump();
    if (e.conn->closed()) {
      // (a closed fd left the epoll set by itself: a new connection with a
      // reused fd number is added afresh)
      conns_.erase(it);
      left = true;
      continue;
    }
    const std::uint32_t want = (e.conn->wants_read() ? EPOLLIN : 0u) | (e.conn->wants_write() ? EPOLLOUT : 0u);
    if (e.registered && want == e.events) continue;
    epoll_event ev{};
    ev.events = want;
    ev.data.ptr = e.conn.get();
    ::epoll_ctl(epoll_fd_, e.registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, e.conn->fd(), &ev);
    e.registered = true;
    e.events = want;
  }
  dirty_.clear();
  return left;
}

int event_loop::wait_ms() {
  bool any = false;
  deadline_clock::time_point first{};
  if (!deadlines_.empty()) {
    first = deadlines_.begin()->first;
    any = true;
  }
  for (const std::unique_ptr<listener>& l : listeners_) {
    if (l->paused && (!any || l->resume_at < first)) {
      first = l->resume_at;
      any = true;
    }
  }
  if (!any) return -1;
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(first - deadline_clock::now()).count();
  return static_cast<int>(std::clamp<long long>(left, 0, 1 << 30));
}

void event_loop::fire_timers() {
  const deadline_clock::time_point now = deadline_clock::now();
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    connection* c = deadlines_.begin()->second;
    c->clear_deadline();  // before the call: it may set the next one
    mark(c);
    c->h_->on_timeout(*c);
  }
  for (const std::unique_ptr<listener>& l : listeners_) {
    if (l->paused && l->resume_at <= now) resume(*l);
  }
}

void event_loop::run() {
  // epoll, level-triggered: each connection's interest (read, write) is
  // changed only when it changes, so a wait costs nothing per idle
  // connection (poll(2) checked every socket on every wait).
  epoll_event events[64];
  for (;;) {
    if (settle()) {
      // A descriptor was freed: a listener resting after EMFILE may accept.
      for (const std::unique_ptr<listener>& l : listeners_) {
        if (l->paused) resume(*l);
      }
    }
    if (conns_.empty() && listeners_.empty()) break;

    const int n = ::epoll_wait(epoll_fd_, events, 64, wait_ms());
    if (n < 0 && errno != EINTR) break;
    bool stop_now = false;
    for (int k = 0; k < n; ++k) {
      void* tag = events[k].data.ptr;
      if (tag == &wake_fd_ || tag == &signal_fd_) {  // stop() or a signal: consume it
        char drain[sizeof(signalfd_siginfo)];
        (void)!::read(tag == &wake_fd_ ? wake_fd_ : signal_fd_, drain, sizeof drain);
        stop_now = true;
        continue;
      }
      const auto l = std::find_if(listeners_.begin(), listeners_.end(),
                                  [tag](const std::unique_ptr<listener>& x) { return x.get() == tag; });
      if (l != listeners_.end()) {
        accept_all(**l);
        continue;
      }
      // Connections leave conns_ only in settle(), so the pointer is valid;
      // one closed earlier in this batch ignores events.
      connection* c = static_cast<connection*>(tag);
      mark(c);
      const std::uint32_t re = events[k].events;
      if ((re & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0) c->on_readable();
      if ((re & EPOLLOUT) != 0) c->on_writable();
      // Reset or failed while not reading (reported even when not asked):
      // nothing more will move, and waiting again would spin.
      if ((re & (EPOLLHUP | EPOLLERR)) != 0 && !c->closed() && !c->wants_read()) c->abort("connection lost");
    }
    if (stop_now) break;
    fire_timers();
  }
  for (auto& [key, e] : conns_) e.conn->abort("shutting down");
  conns_.clear();
  dirty_.clear();
}

bool run_client(const std::string& host, std::uint16_t port, handler& h, SSL_CTX* implicit_tls,
                std::string& err, int connect_timeout_ms) {
  const int fd = connect_tcp(host, port, err, connect_timeout_ms);
  if (fd < 0) return false;
  event_loop loop;
  connection& c = loop.add(fd, h, host + ":" + std::to_string(port));
  if (implicit_tls != nullptr) c.start_tls_client(implicit_tls, host);
  loop.run();  // ends with the connection
  return true;
}

}  // namespace mailwire_example
