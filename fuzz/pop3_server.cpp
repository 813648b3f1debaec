// The POP3 server machine against any client bytes, with an application
// that answers every event as the input tells it. An input is:
//   byte 0, byte 1  options (STLS, implicit TLS, cleartext logins, APOP,
//                   SASL, capabilities, UTF8, LANG, small limits);
//   byte 2          the chunk size of the split run;
//   byte 3 = n      then n decision bytes, read in turn (cycling) as events
//                   come: accept or reject, the listing, piece sizes...;
//   byte = m        then m bytes of message content (message k is its
//                   suffix from byte k-1);
//   the rest        what the client sends.
// Fed whole and in chunks, the events (with their offsets) and every byte
// written back must be the same. On the way: output stays within
// max_pending_output plus one answer; need_more comes only with nothing
// pending, write_output only with something; nothing comes after closed;
// error offsets are monotone and inside the input; paused comes only while
// a message streams; a refused action leaves the output as it was; nothing
// after STLS is parsed (the bytes handed to TLS are exactly those after the
// STLS line); every RETR and TOP answer reads back through a dot_reader as
// the message with its line ends repaired (TOP: cut after its lines).
#include <mailwire/pop3/server.hpp>
#include <mailwire/sasl/scram.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "fuzz_check.hpp"
#include "sasl_answers.hpp"

namespace {
namespace pop3 = mailwire::pop3;
namespace sasl = mailwire::sasl;
using mailwire::errc;
using kind = pop3::server_event_type;

// Output beyond max_pending_output that one answer may add: the longest
// here is CAPA (about 250 bytes) or a piece of 64 bytes stuffed.
constexpr std::size_t answer_slack = 2048;

struct input {
  pop3::server_options options;
  std::string_view decisions;
  std::string_view content;
  std::string_view client;
};

// What a message is served as: CRLF, a bare CR and a bare LF each end a
// line, written CRLF; the last line is ended.
std::string served(std::string_view m) {
  std::string out;
  for (std::size_t i = 0; i < m.size(); ++i) {
    if (m[i] == '\r' || m[i] == '\n') {
      out += "\r\n";
      if (m[i] == '\r' && i + 1 < m.size() && m[i + 1] == '\n') ++i;
    } else {
      out += m[i];
    }
  }
  if (!out.empty() && out.back() != '\n') out += "\r\n";
  return out;
}

// TOP's share of a served message: the header and its blank line, then
// `lines` lines of body.
std::string top_of(const std::string& s, std::uint64_t lines) {
  std::size_t at = 0;
  bool in_body = false;
  while (at < s.size()) {
    const std::size_t end = s.find("\r\n", at) + 2;
    const bool blank = end - at == 2;
    at = end;
    if (in_body) {
      if (--lines == 0) break;
    } else if (blank) {
      in_body = true;
      if (lines == 0) break;
    }
  }
  return s.substr(0, at);
}

// One RETR or TOP answer: "+OK" line, the stuffed message, "." CRLF.
void check_retrieval(std::string_view wire, const std::string& expected) {
  const std::size_t eol = wire.find("\r\n");
  MAILWIRE_FUZZ_CHECK(eol != std::string_view::npos && wire.substr(0, 4) == "+OK ");
  mailwire::recv_buffer in(wire.size() + 1);
  in.feed(wire.substr(eol + 2));
  mailwire::dot_options o;
  o.allow_nul = true;
  mailwire::dot_reader r(o);
  std::string got;
  for (;;) {
    const mailwire::dot_event d = r.next(in);
    MAILWIRE_FUZZ_CHECK(d.type != mailwire::dot_event_type::need_more);
    if (d.type == mailwire::dot_event_type::end) {
      MAILWIRE_FUZZ_CHECK(d.error == errc::ok);
      break;
    }
    got.append(d.bytes.data(), d.bytes.size());
  }
  MAILWIRE_FUZZ_CHECK(in.empty());
  MAILWIRE_FUZZ_CHECK(got == expected);
}

class harness {
 public:
  explicit harness(const input& in) : in_(in), s_(in.options), decisions_(in.decisions) {}

  std::string run(std::size_t chunk) {
    drain();
    std::string_view rest = in_.client;
    int stalls = 0;
    while (!closed_seen_) {
      if (queue_.empty()) {
        if (rest.empty()) break;
        const std::string_view piece = rest.substr(0, chunk);
        rest.remove_prefix(piece.size());
        queue_.append(piece.data(), piece.size());
      }
      const std::size_t n = s_.feed(queue_);
      MAILWIRE_FUZZ_CHECK(n <= in_.options.max_buffered);
      seen_.append(queue_, 0, n);
      queue_.erase(0, n);
      drain();
      // A full buffer that answering every event does not empty would
      // wedge the session.
      stalls = n == 0 ? stalls + 1 : 0;
      MAILWIRE_FUZZ_CHECK(stalls < 2);
    }
    if (!closed_seen_) {
      s_.finish();
      drain();
    }
    MAILWIRE_FUZZ_CHECK(closed_seen_ && s_.closed());
    const std::string all = written_ + std::string(s_.pending_output());
    for (const retrieval& r : retrievals_)
      check_retrieval(std::string_view(all).substr(r.start, r.end - r.start), r.expected);
    return log_ + "|" + all;
  }

 private:
  struct retrieval {
    std::size_t start;
    std::size_t end;
    std::string expected;
  };

  std::uint8_t decide() { return decisions_.next(); }
  std::string_view message(std::uint32_t n) const { return in_.content.substr((n - 1) % (in_.content.size() + 1)); }
  std::size_t output_so_far() const { return written_.size() + s_.pending_output().size(); }

  // `e` must be `want` and have queued nothing.
  void refused(errc e, errc want, std::size_t before) {
    MAILWIRE_FUZZ_CHECK(e == want);
    MAILWIRE_FUZZ_CHECK(output_so_far() == before);
  }

  // An action that is wrong for what the machine awaits (`k`: the event
  // being answered, or need_more for nothing) must be refused, changing
  // nothing. `pick` chooses which.
  void try_wrong(kind k, std::uint8_t pick) {
    const std::size_t before = output_so_far();
    std::string_view ignored;
    switch (pick % 7) {
      case 0:
        if (k != kind::login && k != kind::auth_check && k != kind::update)
          refused(s_.accept(), errc::invalid_state, before);
        break;
      case 1:
        if (k != kind::auth_start) refused(s_.auth_begin("NONCE"), errc::invalid_state, before);
        break;
      case 2:
        if (k != kind::open_maildrop) refused(s_.open_maildrop({}), errc::invalid_state, before);
        break;
      case 3:
        if (k != kind::retrieve) refused(s_.send_message("x\r\n"), errc::invalid_state, before);
        break;
      case 4:
        if (k != kind::retrieve) refused(s_.end_message(), errc::invalid_state, before);
        break;
      case 5:
        if (k == kind::starttls) break;  // both are right there
        refused(s_.tls_established(), errc::invalid_state, before);
        refused(s_.take_unconsumed(ignored), errc::invalid_state, before);
        break;
      default:
        if (k != kind::auth_check) refused(s_.auth_provide_scram(sasl::scram_keys{}), errc::invalid_state, before);
        if (k == kind::need_more) refused(s_.reject(pop3::response_code::none, "no"), errc::invalid_state, before);
        break;
    }
  }

  void record(const pop3::server_event& e) {
    log_ += std::to_string(static_cast<int>(e.type)) + ":" + std::to_string(static_cast<int>(e.error));
    if (e.type == kind::error) {
      // Offsets in the client's stream: bytes handed to "TLS" and fed
      // again are counted once.
      MAILWIRE_FUZZ_CHECK(e.error != errc::ok);
      MAILWIRE_FUZZ_CHECK(e.offset >= last_offset_ && e.offset <= seen_.size());
      last_offset_ = e.offset;
      log_ += "@" + std::to_string(e.offset - handed_back_);
    }
    log_ += ":" + std::string(e.user) + ":" + std::string(e.password) + ":" + std::string(e.digest) + ":" +
            std::to_string(static_cast<int>(e.method)) + ":" + std::to_string(static_cast<int>(e.mechanism)) + ":" +
            std::to_string(e.message) + ":" + std::to_string(e.size) + ":" + std::to_string(e.top) + ":" +
            std::to_string(e.lines) + ",";
  }

  void drain() {
    for (int guard = 0; guard < 1000000; ++guard) {
      MAILWIRE_FUZZ_CHECK(s_.pending_output().size() <= in_.options.max_pending_output + answer_slack);
      const pop3::server_event e = s_.next();
      MAILWIRE_FUZZ_CHECK(!closed_seen_);
      switch (e.type) {
        case kind::need_more:
          MAILWIRE_FUZZ_CHECK(s_.pending_output().empty() && !streaming_);
          try_wrong(kind::need_more, static_cast<std::uint8_t>(idle_++));
          return;
        case kind::write_output: {
          // The client reads half of what is pending (at least a byte).
          const std::string_view out = s_.pending_output();
          MAILWIRE_FUZZ_CHECK(!out.empty());
          const std::size_t n = (out.size() + 1) / 2;
          written_.append(out.data(), n);
          s_.consume_output(n);
          continue;
        }
        case kind::paused: on_paused(); continue;
        case kind::closed:
          closed_seen_ = true;
          MAILWIRE_FUZZ_CHECK(s_.closed());
          MAILWIRE_FUZZ_CHECK(s_.next().type == kind::closed && s_.feed("NOOP\r\n") == 0);
          record(e);
          return;
        default: break;
      }
      record(e);
      const std::uint8_t c = decide();
      if ((c & 0x80) != 0) try_wrong(e.type, c >> 4);
      switch (e.type) {
        case kind::login: on_login(e, c); break;
        case kind::apop: on_apop(c); break;
        case kind::auth_start: on_auth_start(e, c); break;
        case kind::auth_check: on_auth_check(e, c); break;
        case kind::open_maildrop: on_open_maildrop(e, c); break;
        case kind::retrieve: on_retrieve(e, c); break;
        case kind::update: on_update(c); break;
        case kind::starttls: on_starttls(); break;
        case kind::error: break;
        default: MAILWIRE_FUZZ_CHECK(false);
      }
    }
    MAILWIRE_FUZZ_CHECK(false);  // the machine kept giving events
  }

  void on_login(const pop3::server_event& e, std::uint8_t c) {
    switch (c % 4) {
      case 0:
        MAILWIRE_FUZZ_CHECK((e.password == "secret" ? s_.accept() : s_.reject(pop3::response_code::auth, "Wrong")) ==
                            errc::ok);
        break;
      case 1: MAILWIRE_FUZZ_CHECK(s_.accept() == errc::ok); break;
      case 2: MAILWIRE_FUZZ_CHECK(s_.reject(pop3::response_code::sys_temp, "Try later") == errc::ok); break;
      default: {
        const std::size_t before = output_so_far();
        refused(s_.reject(pop3::response_code::none, "bad\r\ntext"), errc::invalid_argument, before);
        MAILWIRE_FUZZ_CHECK(s_.accept() == errc::ok);
        break;
      }
    }
  }

  void on_apop(std::uint8_t c) {
    const errc r = c % 3 == 1 ? s_.reject(pop3::response_code::auth, "No")
                              : s_.auth_provide_secret(c % 3 == 0 ? "secret" : "wrong");
    MAILWIRE_FUZZ_CHECK(r == errc::ok);
  }

  void on_auth_start(const pop3::server_event& e, std::uint8_t c) {
    mailwire_fuzz::answer_auth_start(
        s_, e, c, [this](bool f, const char* t) { return say_no(f, t); }, [this] { return output_so_far(); });
  }

  void on_auth_check(const pop3::server_event& e, std::uint8_t c) {
    mailwire_fuzz::answer_auth_check(
        s_, e, c, [this] { return s_.accept(); }, [this](bool f, const char* t) { return say_no(f, t); });
  }

  // The protocol's no, for the shared SASL answers.
  errc say_no(bool failed, const char* text) {
    return s_.reject(failed ? pop3::response_code::auth : pop3::response_code::none, text);
  }

  void on_open_maildrop(const pop3::server_event& e, std::uint8_t c) {
    MAILWIRE_FUZZ_CHECK(e.user == s_.user());
    if (c % 4 == 3) {
      MAILWIRE_FUZZ_CHECK(s_.reject(pop3::response_code::in_use, "Maildrop locked") == errc::ok);
      return;
    }
    const std::uint32_t count = decide() % 6;
    std::vector<pop3::message_info> listing;
    for (std::uint32_t n = 1; n <= count; ++n)
      listing.push_back({served(message(n)).size(), "uid-" + std::to_string(n)});
    if ((c & 4) != 0 && count >= 2 && in_.options.uidl) {
      // Two messages with one unique-id cannot be listed.
      std::vector<pop3::message_info> twice = listing;
      twice[1].unique_id = twice[0].unique_id;
      const std::size_t before = output_so_far();
      refused(s_.open_maildrop(std::move(twice)), errc::invalid_argument, before);
    }
    sizes_.clear();
    for (const auto& m : listing) sizes_.push_back(m.size);
    MAILWIRE_FUZZ_CHECK(s_.open_maildrop(std::move(listing)) == errc::ok);
  }

  void on_retrieve(const pop3::server_event& e, std::uint8_t c) {
    MAILWIRE_FUZZ_CHECK(e.message >= 1 && e.message <= sizes_.size() && e.size == sizes_[e.message - 1]);
    if (c % 5 == 4) {
      MAILWIRE_FUZZ_CHECK(s_.reject(pop3::response_code::none, "Cannot read it") == errc::ok);
      return;
    }
    streaming_ = true;
    piece_ = 1 + decide() % 64;
    sending_ = message(e.message);
    sent_ = 0;
    const std::string full = served(sending_);
    current_ = {output_so_far(), 0, e.top ? top_of(full, e.lines) : full};
  }

  void on_paused() {
    MAILWIRE_FUZZ_CHECK(streaming_);
    if (sent_ > 0) {
      // Once "+OK" is out, the answer cannot turn into -ERR.
      const std::size_t before = output_so_far();
      refused(s_.reject(pop3::response_code::none, "no"), errc::invalid_state, before);
    }
    if (sent_ < sending_.size() && s_.wants_message()) {
      const std::size_t n = std::min(piece_, sending_.size() - sent_);
      MAILWIRE_FUZZ_CHECK(s_.send_message(sending_.substr(sent_, n)) == errc::ok);
      sent_ += n;
      return;
    }
    MAILWIRE_FUZZ_CHECK(s_.end_message() == errc::ok);
    streaming_ = false;
    current_.end = output_so_far();
    retrievals_.push_back(current_);
  }

  void on_update(std::uint8_t c) {
    const std::vector<std::uint32_t> d = s_.deleted();
    for (std::size_t i = 0; i < d.size(); ++i) {
      MAILWIRE_FUZZ_CHECK(d[i] >= 1 && d[i] <= sizes_.size() && (i == 0 || d[i - 1] < d[i]));
      log_ += "D" + std::to_string(d[i]);
    }
    MAILWIRE_FUZZ_CHECK(((c & 1) != 0 ? s_.accept() : s_.reject(pop3::response_code::sys_temp, "Some remain")) ==
                        errc::ok);
  }

  // A pass-through "TLS layer": the bytes after STLS come back as if
  // decrypted. Until tls_established() nothing is parsed.
  void on_starttls() {
    std::string_view taken;
    MAILWIRE_FUZZ_CHECK(s_.take_unconsumed(taken) == errc::ok);
    MAILWIRE_FUZZ_CHECK(taken.size() <= seen_.size());
    const std::string_view before = std::string_view(seen_).substr(0, seen_.size() - taken.size());
    MAILWIRE_FUZZ_CHECK(before.size() >= 2 && before.substr(before.size() - 2) == "\r\n");
    std::string_view line = before.substr(0, before.size() - 2);
    line.remove_prefix(line.rfind('\n') == std::string_view::npos ? 0 : line.rfind('\n') + 1);
    while (!line.empty() && line.back() == ' ') line.remove_suffix(1);
    MAILWIRE_FUZZ_CHECK(mailwire::ascii::iequals(line, "STLS"));
    const std::string rest(taken);
    for (int i = 0; i < 3; ++i) {
      const kind k = s_.next().type;
      MAILWIRE_FUZZ_CHECK(k == kind::write_output || k == kind::need_more);
    }
    MAILWIRE_FUZZ_CHECK(s_.feed("CAPA\r\n") == 0);
    MAILWIRE_FUZZ_CHECK(s_.tls_established() == errc::ok);
    handed_back_ += rest.size();
    queue_.insert(0, rest);
  }

  const input& in_;
  pop3::server s_;
  mailwire_fuzz::decisions decisions_;
  std::string log_;
  std::string written_;
  std::string queue_;  // client bytes not yet taken by feed()
  std::string seen_;   // every byte feed() took, in order (bytes fed again after STLS twice)
  std::uint64_t handed_back_ = 0;
  std::uint64_t last_offset_ = 0;
  std::size_t idle_ = 0;
  bool closed_seen_ = false;
  std::vector<std::uint64_t> sizes_;
  // The message being streamed.
  bool streaming_ = false;
  std::string_view sending_;
  std::size_t sent_ = 0;
  std::size_t piece_ = 1;
  retrieval current_{};
  std::vector<retrieval> retrievals_;
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (mailwire_fuzz::over_cap(size)) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::uint8_t a = mailwire_fuzz::take_byte(in);
  const std::uint8_t b = mailwire_fuzz::take_byte(in);
  const std::size_t chunk = 1 + mailwire_fuzz::take_byte(in) % 13;
  input i;
  pop3::server_options& o = i.options;
  o.offer_stls = (a & 1) != 0;
  o.tls_active = (a & 2) != 0;
  o.allow_plaintext_auth = (a & 4) != 0;
  o.require_tls = (a & 8) != 0;
  if ((a & 16) != 0) o.apop_timestamp = "<1896.697170952@dbc.mtview.ca.us>";
  if ((a & 32) != 0) {
    o.auth_mechanisms = sasl::mechanism_set::parse(
        "PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256 SCRAM-SHA-256-PLUS XOAUTH2 OAUTHBEARER EXTERNAL ANONYMOUS");
  }
  o.utf8 = (a & 64) != 0;
  o.utf8_user = (a & 0xC0) == 0xC0;
  if ((a & 128) != 0) o.languages = {{"en", "English"}, {"fr", "Francais"}};
  o.top = (b & 1) == 0;
  o.uidl = (b & 2) == 0;
  o.pipelining = (b & 4) == 0;
  o.allow_user_pass = (b & 8) == 0;
  constexpr std::size_t pending_limits[4] = {64, 200, 1000, mailwire::limits::max_pending_output};
  o.max_pending_output = pending_limits[(b >> 4) & 3];
  if ((b & 64) != 0) {
    o.max_errors = 3;
    o.max_auth_failures = 2;
    o.login_delay = 900;
    o.expire = "NEVER";
    o.implementation = "mailwire fuzz";
  }
  // Small buffers reach the line and buffer limits in a few hundred bytes.
  o.max_buffered = (b & 128) != 0 ? 120 : 600;
  o.max_auth_line = (b & 128) != 0 ? 100 : 1000;
  i.decisions = mailwire_fuzz::take_bytes(in, mailwire_fuzz::take_byte(in) % 64);
  i.content = mailwire_fuzz::take_bytes(in, mailwire_fuzz::take_byte(in));
  i.client = in;
  const std::string whole = harness(i).run(i.client.size() + 1);
  const std::string split = harness(i).run(chunk);
  MAILWIRE_FUZZ_CHECK(whole == split);
  return 0;
}
