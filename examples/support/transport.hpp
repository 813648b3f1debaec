// A small transport for mailwire's example programs (not part of the library).
//
// mailwire's machines never do I/O: they take bytes with feed(), hand out
// bytes with pending_output()/consume_output(), and at STARTTLS give back
// the bytes received after the switch point with take_unconsumed(). This
// file is the other half, the I/O a real program needs, kept small enough
// to read in one sitting:
//
//   socket bytes <-> tls_session (TLS records) <-> plaintext <-> handler
//                                                    (adapts one machine)
//
//  - tls_session: OpenSSL over a pair of memory BIOs. OpenSSL never touches
//    the socket, so TLS is Sans-I/O too: ciphertext in, ciphertext out.
//  - connection: one non-blocking socket, optionally upgraded to TLS in the
//    middle of the stream (STARTTLS) or from the first byte (implicit TLS).
//  - event_loop: epoll(7) over listeners and connections, with one deadline
//    per connection (the programs' timeouts: the library reads no clock);
//    stops cleanly on SIGINT/SIGTERM or stop(). A wakeup costs work only
//    for the connections it concerns (an event or a deadline), never for
//    the idle ones, and a process out of file descriptors stops accepting
//    for a moment instead of spinning (see event_loop).
//
// Linux only. Single-threaded: a loop and its connections belong to the
// thread that calls run(); only stop() may be called from elsewhere.
#ifndef MAILWIRE_EXAMPLES_TRANSPORT_HPP
#define MAILWIRE_EXAMPLES_TRANSPORT_HPP

#include <openssl/ssl.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace mailwire_example {

/// Drains OpenSSL's (thread-local) error queue into one readable string.
std::string tls_errors();

/// An SSL_CTX shared by many sessions (each SSL holds a reference to it).
class tls_context {
 public:
  /// Server side: certificate chain and private key, PEM files. TLS >= 1.2.
  static tls_context server(const std::string& cert_file, const std::string& key_file,
                            std::string& err);
  /// Client side: verify the server against `ca_file` (PEM), or, if it is
  /// empty, against the system's default trust store. `insecure` turns
  /// verification off entirely (for testing against self-signed servers).
  static tls_context client(const std::string& ca_file, bool insecure, std::string& err);

  SSL_CTX* get() const noexcept { return ctx_.get(); }
  explicit operator bool() const noexcept { return ctx_ != nullptr; }

 private:
  struct free_ctx {
    void operator()(SSL_CTX* c) const noexcept { SSL_CTX_free(c); }
  };
  std::unique_ptr<SSL_CTX, free_ctx> ctx_;
};

/// One TLS session over memory BIOs: the caller moves ciphertext between
/// it and the socket, and plaintext between it and the protocol machine.
class tls_session {
 public:
  enum class role { client, server };
  /// `host` (client only): sent as SNI (unless an IP literal) and checked
  /// against the certificate (SSL_set1_host) when the context verifies.
  tls_session(SSL_CTX* ctx, role r, const std::string& host = {});
  ~tls_session();
  tls_session(const tls_session&) = delete;
  tls_session& operator=(const tls_session&) = delete;

  /// Bytes from the socket. At STARTTLS, the machine's take_unconsumed()
  /// bytes go here first: whatever followed the STARTTLS command in the
  /// same packet is, by definition, the start of the TLS stream.
  void put_ciphertext(std::string_view bytes);
  /// Bytes to write to the socket (handshake, records, alerts).
  std::string take_ciphertext();

  /// Advances the handshake as far as the ciphertext allows; true once done.
  bool handshake();
  bool handshake_done() const noexcept { return done_; }

  /// Decrypts up to `n` bytes into `buf`. 0 means: need more ciphertext, or
  /// see peer_closed() / failed().
  std::size_t read_plaintext(char* buf, std::size_t n);
  /// Encrypts `bytes` (after the handshake); returns how many were taken.
  std::size_t write_plaintext(std::string_view bytes);
  /// Queues close_notify.
  void shutdown();

  bool peer_closed() const noexcept { return peer_closed_; }  ///< got close_notify
  bool failed() const noexcept { return !error_.empty(); }
  const std::string& error() const noexcept { return error_; }

  /// RFC 9266 "tls-exporter" channel binding (32 bytes, for SCRAM-*-PLUS).
  /// Only defined for TLS 1.3: RFC 9266 forbids it on TLS 1.2 without the
  /// extended master secret, which we cannot promise, so anything but 1.3
  /// (or a handshake not yet done) gives an empty string.
  std::string exporter_binding() const;
  std::string protocol() const;  ///< e.g. "TLSv1.3"
  SSL* native() const noexcept { return ssl_; }

 private:
  bool check(int rc, const char* what);  // false (and error_ set) on fatal errors

  SSL* ssl_ = nullptr;
  BIO* in_ = nullptr;   // socket -> OpenSSL (owned by ssl_)
  BIO* out_ = nullptr;  // OpenSSL -> socket (owned by ssl_)
  bool done_ = false;
  bool peer_closed_ = false;
  std::string error_;
};

class connection;
class event_loop;

/// The clock of every deadline (monotonic: wall-clock jumps change nothing).
using deadline_clock = std::chrono::steady_clock;

/// What user code plugs into a connection: usually a session object that
/// owns one mailwire machine and forwards to it.
class handler {
 public:
  virtual ~handler() = default;
  /// Plaintext from the peer. Feed it to the machine, drain its events, and
  /// return how many bytes the machine took. Bytes not taken are offered
  /// again later, and the connection stops reading the socket meanwhile:
  /// that is the backpressure when the machine's buffer is full.
  virtual std::size_t on_plaintext(connection& c, std::string_view bytes) = 0;
  /// Plaintext waiting for the peer (machine.pending_output()), and the
  /// report that `n` of those bytes were taken (machine.consume_output(n)).
  virtual std::string_view pending_plaintext() = 0;
  virtual void consume_plaintext(std::size_t n) = 0;
  /// The TLS handshake finished (machine.tls_established()).
  virtual void on_tls_established(connection&) {}
  /// The connection joined its loop (accepted, or added by the client):
  /// the place to set a first deadline, or to refuse with a last word.
  virtual void on_open(connection&) {}
  /// The deadline set with connection::set_deadline() passed (it is
  /// cleared first; set another to be called again). The default closes
  /// the connection at once.
  virtual void on_timeout(connection& c);
  /// The connection is over; `why` is empty after a clean close. Runs just
  /// before the socket is closed, so it happens before the peer sees EOF.
  virtual void on_close(connection&, std::string_view why) { (void)why; }
};

/// One non-blocking socket, plaintext or TLS. Owned by an event_loop.
class connection {
 public:
  connection(int fd, handler& h, std::string peer);
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  /// Switch to TLS mid-stream (STARTTLS). Output the handler has queued so
  /// far (the "220 Ready to start TLS" reply) still goes out in plaintext;
  /// `leftover` (the machine's take_unconsumed()) and any bytes received
  /// but not yet taken become the first ciphertext, never commands.
  /// Called before any plaintext moved (implicit TLS, right after accept or
  /// connect), nothing goes out in the clear: a greeting the machine queued
  /// in its constructor waits for the handshake.
  bool start_tls_server(SSL_CTX* ctx, std::string_view leftover = {});
  bool start_tls_client(SSL_CTX* ctx, const std::string& host, std::string_view leftover = {});

  /// Finish sending queued output (then close_notify under TLS), then close.
  void close();

  /// Calls the handler's on_timeout() at `when`, replacing any earlier
  /// deadline; clear_deadline() cancels it. Only for a connection owned by
  /// an event_loop (others never time out).
  void set_deadline(deadline_clock::time_point when);
  void clear_deadline();

  tls_session* tls() const noexcept { return tls_.get(); }
  bool secure() const noexcept { return tls_ && tls_->handshake_done(); }
  const std::string& peer() const noexcept { return peer_; }
  bool closed() const noexcept { return state_ == state::closed; }

  // The event loop's side.
  int fd() const noexcept { return fd_; }
  bool wants_read() const noexcept;
  bool wants_write() const noexcept { return state_ != state::closed && !out_.empty(); }
  void on_readable();
  void on_writable() { pump(); }
  /// Moves every byte that can move: decrypt, offer to the handler, take its
  /// output, encrypt, write. Safe to call at any time.
  void pump();
  /// Closes now, without flushing; on_close(why).
  void abort(const std::string& why);

 private:
  friend class event_loop;
  enum class state { open, closing, closed };
  bool start_tls(std::unique_ptr<tls_session> s, std::string_view leftover);
  void drain_handler_output();  // everything queued before a TLS switch
  bool decrypt();
  bool deliver();
  bool produce();
  bool flush();  // true when bytes went out
  void finish_if_done();

  int fd_;
  handler* h_;
  std::string peer_;
  std::unique_ptr<tls_session> tls_;
  std::string in_;   // plaintext received, not yet taken by the handler
  std::string out_;  // bytes for the socket (plaintext, or TLS records)
  state state_ = state::open;
  bool eof_ = false;             // peer closed its side (FIN or close_notify)
  bool in_callback_ = false;     // inside on_plaintext()
  bool switch_pending_ = false;  // STARTTLS called from on_plaintext()
  bool sent_close_notify_ = false;
  bool talked_ = false;  // plaintext moved: a TLS start is a STARTTLS
  event_loop* loop_ = nullptr;  // set by event_loop::add
  bool has_deadline_ = false;
  deadline_clock::time_point deadline_{};
};

/// Connects to host:port (getaddrinfo: names, IPv4, IPv6), blocking until
/// connected, for at most `timeout_ms` milliseconds in all (negative: no
/// limit; name resolution keeps the system resolver's own timeouts);
/// returns a non-blocking fd, or -1 with `err` set.
int connect_tcp(const std::string& host, std::uint16_t port, std::string& err, int timeout_ms = -1);

/// Listeners and connections on one epoll(7) set, level-triggered.
///
/// Per wakeup, only the connections that had an event, whose deadline
/// passed, or that were just added are pumped; an idle connection costs
/// nothing until its deadline. Deadlines live in an ordered set, and the
/// wait ends at the earliest one.
///
/// Out of file descriptors (accept4 fails with EMFILE or ENFILE, or the
/// kernel lacks memory): the listener leaves the epoll set for
/// `accept_pause` (100 ms), or until a connection closes, whichever comes
/// first, instead of being reported readable again at once (a
/// level-triggered listener with a pending connection would spin at 100%
/// CPU). Meanwhile new clients wait in the kernel's accept queue; nobody is
/// refused or dropped for it.
class event_loop {
 public:
  /// Makes the handler for a new connection from `peer` ("ip:port");
  /// nullptr refuses it.
  using accept_fn = std::function<std::unique_ptr<handler>(const std::string& peer)>;

  event_loop();
  ~event_loop();
  event_loop(const event_loop&) = delete;
  event_loop& operator=(const event_loop&) = delete;

  /// Listens on host:port; port 0 picks a free port. Returns the port bound,
  /// or 0 with `err` set. With `implicit_tls`, TLS starts at the first byte.
  std::uint16_t listen(const std::string& host, std::uint16_t port, accept_fn on_accept,
                       SSL_CTX* implicit_tls, std::string& err);
  /// Adopts a connected non-blocking fd (see connect_tcp).
  connection& add(int fd, std::unique_ptr<handler> h, std::string peer = {});
  connection& add(int fd, handler& h, std::string peer = {});  // not owned

  /// Makes SIGINT/SIGTERM stop run(). Blocks them in the calling thread
  /// (signalfd needs that), so call it before starting other threads.
  bool stop_on_signals(std::string& err);
  /// Makes run() return soon. Safe from any thread.
  void stop() noexcept;
  /// Runs until stop(), a signal, or nothing is left to wait for (no
  /// listener and no connection: a client's loop ends with its connection).
  /// On the way out every connection is closed.
  void run();
  std::size_t connection_count() const noexcept { return conns_.size(); }

  /// How long a listener rests after accept4 ran out of descriptors.
  static constexpr std::chrono::milliseconds accept_pause{100};

 private:
  friend class connection;  // deadlines
  struct listener {
    int fd;
    accept_fn on_accept;
    SSL_CTX* tls;
    bool paused = false;  // out of the epoll set until resume_at
    deadline_clock::time_point resume_at{};
  };
  struct entry {
    std::unique_ptr<handler> owned;
    std::unique_ptr<connection> conn;
    std::uint32_t events = 0;  // the epoll interest registered for it
    bool registered = false;
    bool dirty = false;  // in dirty_: to pump before the next wait
  };
  void accept_all(listener& l);
  void watch(int fd, void* tag);  // EPOLLIN on fd; events carry `tag`
  void mark(connection* c);       // pump it before the next wait
  bool settle();                  // pumps dirty_; true if a connection left
  int wait_ms();                  // until the earliest deadline or resume
  void fire_timers();
  void pause(listener& l);
  void resume(listener& l);

  int wake_fd_ = -1;    // eventfd: stop() from anywhere
  int signal_fd_ = -1;  // signalfd: SIGINT/SIGTERM
  int epoll_fd_ = -1;
  std::vector<std::unique_ptr<listener>> listeners_;  // stable addresses: epoll tags
  std::unordered_map<connection*, entry> conns_;      // keyed by the epoll tag
  std::vector<connection*> dirty_;
  std::set<std::pair<deadline_clock::time_point, connection*>> deadlines_;
};

/// The client side in one call: connect (connect_tcp), start TLS at once if
/// `implicit_tls` (verifying `host`), and run until the connection closes,
/// normally because the handler called close(). The close reason goes to
/// the handler's on_close; false (with `err`) only if the connect failed
/// (or took longer than `connect_timeout_ms`, see connect_tcp).
bool run_client(const std::string& host, std::uint16_t port, handler& h, SSL_CTX* implicit_tls,
                std::string& err, int connect_timeout_ms = -1);

}  // namespace mailwire_example

#endif  // MAILWIRE_EXAMPLES_TRANSPORT_HPP
