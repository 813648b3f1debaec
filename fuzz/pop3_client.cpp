// The POP3 client machine against any server bytes, driven by the input:
//   byte 0, byte 1  options (TLS policy, login method and mechanism,
//                   cleartext passwords, pipelining, UTF8, LANG, strict
//                   message rules, small limits, credentials);
//   byte 2          the chunk size of the split run; its top bit: QUIT
//                   asked for during the setup;
//   byte 3 = n      then n decision bytes, read in turn (cycling) at the
//                   ready event and at each reply: which commands to send
//                   (STAT, LIST, UIDL, RETR, TOP, DELE, NOOP, RSET, QUIT,
//                   message numbers 0 to 3);
//   the rest        what the server sends, in packets separated by
//                   "\xff\x00".
// Between packets the client's output is written, as a server answers only
// what it has received; within a packet nothing is, so feeding each packet
// whole or in chunks must give the same events and output. On the way:
// every reply answers the oldest command sent (QUIT sent by the machine
// itself aside), listings and chunks come only for LIST/UIDL and RETR/TOP,
// a RETR's reply counts the bytes its chunks delivered, error offsets are
// monotone, need_more comes only with nothing pending, nothing comes after
// closed, a refused action queues nothing, and after the input ends the
// session closes. STLS: bytes after the server's +OK in the same packet are
// an injection, caught or not depending on where a read ends (by design;
// the unit tests cover both), so the comparison stops there; a +OK that
// ends its packet is followed by a pass-through "TLS" and the session goes
// on.
#include <mailwire/pop3/client.hpp>

#include <string>

#include "fuzz_check.hpp"

namespace {
namespace pop3 = mailwire::pop3;
namespace sasl = mailwire::sasl;
using mailwire::errc;
using kind = pop3::client_event_type;

constexpr std::string_view packet_end("\xff\x00", 2);

class harness {
 public:
  harness(const pop3::client_options& o, std::string_view decisions) : c_(o), decisions_(decisions) {}

  std::string run(std::string_view in, std::size_t chunk, bool quit_early) {
    // Nothing may be sent before the ready event.
    const std::size_t before = output_so_far();
    std::string_view none;
    refused(c_.stat(), errc::invalid_state, before);
    refused(c_.tls_established(), errc::invalid_state, before);
    refused(c_.take_unconsumed(none), errc::invalid_state, before);
    // QUIT during the setup goes after the response awaited now.
    if (quit_early) MAILWIRE_FUZZ_CHECK(c_.quit() == errc::ok && output_so_far() == before);
    drain(false);
    while (!done()) {
      const std::size_t sep = in.find(packet_end);
      std::string_view packet = in.substr(0, sep);
      in.remove_prefix(sep == std::string_view::npos ? in.size() : sep + packet_end.size());
      while (!packet.empty() && !done()) {
        const std::size_t n = c_.feed(packet.substr(0, chunk));
        packet.remove_prefix(n);
        drain(!packet.empty());
        if (n == 0) break;  // full and waiting for its output to be written: the rest is lost
      }
      if (done() || in.empty()) break;
      write();
      drain(false);
    }
    if (!done()) {
      // The server closes: whatever was awaited ends, and so does the session.
      write();
      drain(false);
      c_.finish();
      for (int i = 0; i < 64 && !closed_seen_; ++i) {
        write();
        drain(false);
      }
      MAILWIRE_FUZZ_CHECK(closed_seen_ || cut_);
    }
    return log_ + "|" + written_ + "|" + std::string(c_.pending_output());
  }

 private:
  struct sent {
    pop3::verb command;
    std::uint32_t message;
  };

  bool done() const { return closed_seen_ || cut_; }
  std::size_t output_so_far() const { return written_.size() + c_.pending_output().size(); }
  std::uint8_t decide() { return decisions_.next(); }
  void refused(errc e, errc want, std::size_t before) const {
    MAILWIRE_FUZZ_CHECK(e == want);
    MAILWIRE_FUZZ_CHECK(output_so_far() == before);
  }
  void write() {
    written_ += c_.pending_output();
    c_.consume_output(c_.pending_output().size());
  }

  // One command chosen by the input. A refusal must be for a reason the
  // contract names, with nothing queued.
  void command() {
    const std::uint8_t op = decide();
    const std::uint32_t n = decide() % 4;
    const std::size_t before = output_so_far();
    pop3::verb v = pop3::verb::unknown;
    errc r = errc::ok;
    switch (op % 11) {
      case 0: v = pop3::verb::stat, r = c_.stat(); break;
      case 1: v = pop3::verb::list, r = c_.list(); break;
      case 2: v = pop3::verb::list, r = c_.list(n); break;
      case 3: v = pop3::verb::uidl, r = c_.uidl(); break;
      case 4: v = pop3::verb::uidl, r = c_.uidl(n); break;
      case 5: v = pop3::verb::retr, r = c_.retr(n); break;
      case 6: v = pop3::verb::top, r = c_.top(n, op >> 4); break;
      case 7: v = pop3::verb::dele, r = c_.dele(n); break;
      case 8: v = pop3::verb::noop, r = c_.noop(); break;
      case 9: v = pop3::verb::rset, r = c_.rset(); break;
      default: v = pop3::verb::quit, r = c_.quit(); break;
    }
    const bool numbered = (op % 11 != 1 && op % 11 != 3) && (v == pop3::verb::list || v == pop3::verb::uidl ||
                                                              v == pop3::verb::retr || v == pop3::verb::top ||
                                                              v == pop3::verb::dele);
    log_ += "C" + std::to_string(static_cast<int>(v)) + ":" + std::to_string(static_cast<int>(r)) + ",";
    if (r == errc::ok) {
      MAILWIRE_FUZZ_CHECK(!numbered || n != 0);
      sent_.push_back({v, numbered ? n : 0});
      return;
    }
    MAILWIRE_FUZZ_CHECK(output_so_far() == before);
    MAILWIRE_FUZZ_CHECK((r == errc::invalid_argument && numbered && n == 0) ||
                        (r == errc::extension_missing && (v == pop3::verb::top || v == pop3::verb::uidl)) ||
                        r == errc::invalid_state);
  }

  void record(const pop3::client_event& e) {
    log_ += std::to_string(static_cast<int>(e.type)) + ":" + std::to_string(static_cast<int>(e.command)) + ":" +
            std::to_string(e.ok) + ":" + std::to_string(static_cast<int>(e.code)) + ":" + std::string(e.code_text) +
            ":" + std::string(e.text) + ":" + std::to_string(e.message) + ":" + std::to_string(e.count) + ":" +
            std::to_string(e.size) + ":" + std::string(e.unique_id) + ":" + std::to_string(static_cast<int>(e.error)) +
            "@" + std::to_string(e.offset) + ",";
  }

  // `more`: the packet being fed goes on after what was fed so far.
  void drain(bool more) {
    for (int guard = 0; guard < 100000; ++guard) {
      const pop3::client_event e = c_.next();
      MAILWIRE_FUZZ_CHECK(!closed_seen_);
      switch (e.type) {
        case kind::need_more: MAILWIRE_FUZZ_CHECK(c_.pending_output().empty()); return;
        case kind::write_output: MAILWIRE_FUZZ_CHECK(!c_.pending_output().empty()); return;
        case kind::chunk:
          // Chunk boundaries depend on the split; the bytes do not.
          MAILWIRE_FUZZ_CHECK(!sent_.empty() &&
                              (sent_.front().command == pop3::verb::retr || sent_.front().command == pop3::verb::top));
          MAILWIRE_FUZZ_CHECK(e.command == sent_.front().command && e.message == sent_.front().message);
          got_ += e.bytes.size();
          MAILWIRE_FUZZ_CHECK(e.size == got_);
          log_.append(e.bytes.data(), e.bytes.size());
          continue;
        default: break;
      }
      if (e.type == kind::starttls && more) return cut();
      if (e.type == kind::error && e.error == errc::data_after_starttls) return cut();
      record(e);
      switch (e.type) {
        case kind::closed:
          closed_seen_ = true;
          MAILWIRE_FUZZ_CHECK(c_.closed() && c_.next().type == kind::closed && c_.feed("+OK\r\n") == 0);
          return;
        case kind::error:
          MAILWIRE_FUZZ_CHECK(e.error != errc::ok && e.offset >= last_error_offset_);
          last_error_offset_ = e.offset;
          break;
        case kind::starttls: on_starttls(); break;
        case kind::ready: {
          ready_ = true;
          for (int n = decide() % 5; n > 0; --n) command();
          break;
        }
        case kind::listing:
          MAILWIRE_FUZZ_CHECK(!sent_.empty() && sent_.front().message == 0 && e.command == sent_.front().command &&
                              (e.command == pop3::verb::list || e.command == pop3::verb::uidl));
          MAILWIRE_FUZZ_CHECK(e.message >= 1);
          break;
        case kind::reply: on_reply(e); break;
        default: MAILWIRE_FUZZ_CHECK(false);
      }
    }
    MAILWIRE_FUZZ_CHECK(false);  // the machine kept giving events
  }

  void cut() {
    log_ += "TLS-cut";
    cut_ = true;
  }

  void on_starttls() {
    std::string_view rest;
    MAILWIRE_FUZZ_CHECK(c_.take_unconsumed(rest) == errc::ok && rest.empty());
    MAILWIRE_FUZZ_CHECK(c_.feed("+OK\r\n") == 0);
    const kind k = c_.next().type;
    MAILWIRE_FUZZ_CHECK(k == kind::need_more || k == kind::write_output);
    MAILWIRE_FUZZ_CHECK(c_.tls_established() == errc::ok);
    c_.set_channel_binding(sasl::channel_binding::type::tls_exporter, "binding");
  }

  void on_reply(const pop3::client_event& e) {
    if (sent_.empty()) {
      // Only the machine's own QUIT (after a failed login, or asked for
      // during the setup) is answered without a command of ours.
      MAILWIRE_FUZZ_CHECK(e.command == pop3::verb::quit);
    } else {
      MAILWIRE_FUZZ_CHECK(e.command == sent_.front().command && e.message == sent_.front().message);
      if (e.command == pop3::verb::retr || e.command == pop3::verb::top) MAILWIRE_FUZZ_CHECK(e.size == got_);
      sent_.pop_front();
    }
    got_ = 0;
    if (ready_ && decide() % 3 == 0) command();
  }

  pop3::client c_;
  mailwire_fuzz::decisions decisions_;
  mailwire::detail::fifo<sent> sent_;
  std::uint64_t got_ = 0;  // bytes of the RETR or TOP being read
  std::uint64_t last_error_offset_ = 0;
  std::string log_;
  std::string written_;
  bool ready_ = false;
  bool closed_seen_ = false;
  bool cut_ = false;
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (mailwire_fuzz::over_cap(size)) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::uint8_t a = mailwire_fuzz::take_byte(in);
  const std::uint8_t b = mailwire_fuzz::take_byte(in);
  const std::uint8_t c = mailwire_fuzz::take_byte(in);
  const std::size_t chunk = 1 + (c & 0x7F) % 13;
  const bool quit_early = (c & 0x80) != 0;
  const std::string_view decisions = mailwire_fuzz::take_bytes(in, mailwire_fuzz::take_byte(in) % 32);

  pop3::client_options o;
  o.tls = static_cast<mailwire::tls_policy>(a & 3);
  o.method = static_cast<pop3::login>((a >> 2) & 3);
  if ((a & 16) != 0) o.mechanism = static_cast<sasl::mechanism>((b & 15) % sasl::mechanism_count);
  o.auth_policy.allow_cleartext_password = (a & 32) != 0;
  o.use_pipelining = (a & 64) != 0;
  o.utf8 = (a & 128) != 0;
  o.username = "alice";
  o.password = (b & 128) != 0 ? "" : "secret";
  o.token = (b & 128) != 0 ? "token" : "";
  o.nonce = "clientnonce";
  o.auth_policy.have_nonce = true;
  o.auth_policy.use_external = (b & 1) != 0;
  o.auth_policy.use_anonymous = (b & 2) != 0;
  // A hostile server may ask for any SCRAM iteration count; 64 keeps
  // PBKDF2 from taking the target's time.
  o.auth_limits.max_iterations = 64;
  if ((b & 16) != 0) o.language = "en";
  if ((b & 32) != 0) o.message = mailwire::dot_options{};  // strict: bare line ends and NUL refused
  if ((b & 64) != 0) {
    o.max_buffered = 200;
    o.max_response_line = 64;
    o.max_pending_output = 32;
  } else {
    o.max_buffered = 1024;
  }
  const std::string whole = harness(o, decisions).run(in, in.size() + 1, quit_early);
  const std::string split = harness(o, decisions).run(in, chunk, quit_early);
  MAILWIRE_FUZZ_CHECK(whole == split);
  return 0;
}
