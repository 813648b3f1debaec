// The loop around a protocol machine under test in the transcript vectors:
// what every server-side and client-side vector test (POP3, IMAP) does the
// same way, so each test file keeps only its protocol's events and answers.
//
// Both harnesses are CRTP bases: the test's `session` derives from one and
// defines `void drain()` (pull events until need_more and answer them).
#ifndef MAILWIRE_TESTS_SUPPORT_MACHINE_HARNESS_HPP
#define MAILWIRE_TESTS_SUPPORT_MACHINE_HARNESS_HPP

#include <mailwire/error.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "catch.hpp"
#include "grind.hpp"
#include "quote.hpp"
#include "transcript.hpp"
#include "turns.hpp"

namespace mailwire_test {

/// The text of option `key`, or `fallback` when the case does not set it.
inline std::string text_of(const transcript_case& c, const std::string& key, const char* fallback = "") {
  return c.has(key) ? c.options.at(key) : std::string(fallback);
}

/// `s` cut at every `sep`; nothing for an empty `s`.
inline std::vector<std::string> split(const std::string& s, const std::string& sep) {
  std::vector<std::string> out;
  if (s.empty()) return out;
  std::size_t from = 0;
  for (std::size_t at; (at = s.find(sep, from)) != std::string::npos; from = at + sep.size()) {
    out.push_back(s.substr(from, at - from));
  }
  out.push_back(s.substr(from));
  return out;
}

/// A server machine fed the client's bytes of one chunking. Options the
/// harness reads: users (user:password,...), piece, stall (the client does
/// not read until its bytes are all sent: back-pressure), finish (EOF at the
/// end), log_unconsumed (after STARTTLS, log what would go to TLS).
template <class Derived, class Server>
class server_harness {
 public:
  template <class Options>
  server_harness(const transcript_case& c, Options options) : c_(c), server_(std::move(options)) {
    for (const std::string& u : split(text_of(c, "users", "alice:secret"), ",")) {
      const std::size_t colon = u.find(':');
      users_[u.substr(0, colon)] = u.substr(colon + 1);
    }
    piece_ = c.number("piece", 0);
    stalled_ = c.has("stall");
  }

  session_log run(const chunks& ch) {
    self().drain();
    for (std::string_view piece : ch) pump(piece);
    if (c_.has("stall")) {
      // The client starts reading at last.
      log_.events.push_back("max_pending " + std::to_string(max_pending_));
      stalled_ = false;
      self().drain();
      pump({});
    }
    if (c_.has("finish") && !tls_sink_) {
      server_.finish();
      self().drain();
      CHECK(server_.closed());
    }
    if (tls_sink_) log_.events.push_back("tls " + quote(tls_bytes_));
    write();
    return log_;
  }

 protected:
  Derived& self() { return static_cast<Derived&>(*this); }

  void pump(std::string_view piece) {
    if (tls_sink_) {
      tls_bytes_.append(piece.data(), piece.size());
      return;
    }
    queue_.append(piece.data(), piece.size());
    while (!queue_.empty() && !server_.closed() && !tls_sink_) {
      const std::size_t n = server_.feed(queue_);
      queue_.erase(0, n);
      const std::size_t before = queue_.size();
      self().drain();
      if (n == 0 && queue_.size() == before && !tls_sink_) {
        // Nothing taken: the client is not reading (stall), or the
        // machine is stuck, which is a failure.
        if (!stalled_) FAIL(c_.where() << ": the server took nothing and made no progress");
        return;
      }
    }
    if (tls_sink_) {
      tls_bytes_ += queue_;
      queue_.clear();
    }
  }

  /// The client reads everything pending.
  void write() {
    const std::string_view out = server_.pending_output();
    log_.output.append(out.data(), out.size());
    server_.consume_output(out.size());
  }

  /// Counts pending output at a write_output event; false while stalled
  /// (the caller then returns from drain()).
  bool write_pending() {
    max_pending_ = std::max(max_pending_, server_.pending_output().size());
    if (stalled_) return false;
    write();
    return true;
  }

  /// Logs an action that failed.
  void act(const char* name, mailwire::errc e) {
    if (e != mailwire::errc::ok) {
      log_.events.push_back(std::string("action ") + name + ": " + std::string(mailwire::to_name(e)));
    }
  }

  /// The STARTTLS switch point: what follows the command is either logged
  /// as TLS bytes (log_unconsumed) or fed again as if TLS were up.
  void switch_to_tls() {
    std::string_view rest;
    act("take_unconsumed", server_.take_unconsumed(rest));
    if (c_.has("log_unconsumed")) {
      tls_sink_ = true;
      tls_bytes_.assign(rest.data(), rest.size());
      return;
    }
    queue_.insert(0, std::string(rest));
    refed_ += rest.size();
    act("tls_established", server_.tls_established());
  }

  /// A user's secret; unknown users get a decoy (the machine must not
  /// tell them apart).
  std::string secret_of(std::string_view user) const {
    const auto it = users_.find(std::string(user));
    return it == users_.end() ? std::string("decoy-secret") : it->second;
  }
  /// Whether `password` is `user`'s.
  bool right(std::string_view user, std::string_view password) const {
    return users_.count(std::string(user)) != 0 && secret_of(user) == password;
  }

  const transcript_case& c_;
  Server server_;
  session_log log_;
  std::map<std::string, std::string> users_;
  std::string queue_;  // bytes not yet taken by the server
  std::string tls_bytes_;
  std::size_t piece_ = 0;
  std::size_t max_pending_ = 0;
  std::uint64_t refed_ = 0;  // bytes fed twice (after STARTTLS): error offsets are shifted back
  bool stalled_ = false;
  bool tls_sink_ = false;
};

/// A client machine fed the server's bytes in turns (turns.hpp). Options the
/// harness reads: write_limit (the transport writes at most that much per
/// write_output), one_packet, finish.
template <class Derived, class Client>
class client_harness {
 public:
  template <class Options>
  client_harness(const transcript_case& c, Options options) : c_(c), client_(std::move(options)) {
    write_limit_ = c.number("write_limit", 0);
  }

  session_log run(const chunks& ch) {
    self().drain();
    deliver_in_turns(c_, ch, c_.has("one_packet"), log_.output, log_.events,
                     [&](std::string_view bytes) { deliver(bytes); });
    if (c_.has("finish")) {
      client_.finish();
      self().drain();
    }
    // What a closing loop does: write what is left.
    write(true);
    return log_;
  }

 protected:
  Derived& self() { return static_cast<Derived&>(*this); }

  void deliver(std::string_view bytes) {
    while (!bytes.empty()) {
      const std::size_t n = client_.feed(bytes);
      bytes.remove_prefix(n);
      self().drain();
      if (n == 0 && !bytes.empty()) {
        if (!closed_) log_.events.push_back("stuck: the client took nothing");
        return;
      }
    }
  }

  void write(bool all) {
    const std::string_view out = client_.pending_output();
    const std::size_t n = all || write_limit_ == 0 ? out.size() : std::min(out.size(), write_limit_);
    log_.output.append(out.data(), n);
    client_.consume_output(n);
  }

  void act(const std::string& name, mailwire::errc e) {
    if (e != mailwire::errc::ok) log_.events.push_back("action " + name + ": " + std::string(mailwire::to_name(e)));
  }

  const transcript_case& c_;
  Client client_;
  session_log log_;
  std::size_t write_limit_ = 0;
  bool closed_ = false;
};

}  // namespace mailwire_test

#endif  // MAILWIRE_TESTS_SUPPORT_MACHINE_HARNESS_HPP
