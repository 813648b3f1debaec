// The IMAP server machine against any client bytes, with an application
// that answers every event as the input tells it. An input is:
//   byte 0, byte 1  options (STARTTLS, implicit TLS, cleartext logins,
//                   require_tls, SASL, PREAUTH, the extensions, NOOP as an
//                   event, small limits, APPENDLIMIT, max_pipelined);
//   byte 2          the chunk size of the split run;
//   byte 3 = n      then n decision bytes, read in turn (cycling) as events
//                   come: accept or refuse, what to answer, piece sizes;
//   the rest        what the client sends.
// Fed whole and in chunks, the events (with their offsets) and every byte
// written back must be the same. On the way: output stays within
// max_pending_output plus one answer; need_more comes only with nothing
// pending, write_output only with something; nothing comes after closed;
// error offsets are monotone and inside the input; paused comes only while
// the application owes an answer; a refused action leaves the output as it
// was; an APPEND message's chunks add up to its announced size; nothing
// after STARTTLS is parsed (the bytes handed to TLS are exactly those after
// the STARTTLS line).
#include <mailwire/imap/server.hpp>
#include <mailwire/sasl/scram.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "fuzz_check.hpp"
#include "sasl_answers.hpp"

namespace {
namespace imap = mailwire::imap;
namespace sasl = mailwire::sasl;
using mailwire::errc;
using kind = imap::server_event_type;

// Output beyond max_pending_output that one answer may add: a CAPABILITY
// with every extension, or a body piece of 64 bytes.
constexpr std::size_t answer_slack = 2048;

struct input {
  imap::server_options options;
  std::string_view decisions;
  std::string_view client;
};

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
    return log_ + "|" + written_ + std::string(s_.pending_output());
  }

 private:
  std::uint8_t decide() { return decisions_.next(); }
  std::size_t output_so_far() const { return written_.size() + s_.pending_output().size(); }

  void refused(errc e, errc want, std::size_t before) {
    MAILWIRE_FUZZ_CHECK(e == want);
    MAILWIRE_FUZZ_CHECK(output_so_far() == before);
  }

  // An action wrong for what the machine awaits (`k`: the event being
  // answered, need_more for nothing) is refused and changes nothing.
  void try_wrong(kind k, std::uint8_t pick) {
    const std::size_t before = output_so_far();
    std::string_view ignored;
    switch (pick % 6) {
      case 0:
        if (k != kind::login && k != kind::auth_check) refused(s_.accept_login(), errc::invalid_state, before);
        break;
      case 1:
        if (k != kind::auth_start) refused(s_.auth_begin("NONCE"), errc::invalid_state, before);
        break;
      case 2:
        if (k != kind::literal) refused(s_.accept_literal(), errc::invalid_state, before);
        break;
      case 3:
        if (s_.body_remaining() == 0) refused(s_.send_body("x"), errc::invalid_state, before);
        break;
      case 4:
        if (k == kind::starttls) break;
        refused(s_.tls_established(), errc::invalid_state, before);
        refused(s_.take_unconsumed(ignored), errc::invalid_state, before);
        break;
      default:
        if (k != kind::command) refused(s_.complete("x", imap::status_kind::ok, "no"), errc::invalid_state, before);
        break;
    }
  }

  void record(const imap::server_event& e) {
    log_ += std::to_string(static_cast<int>(e.type)) + ":" + std::to_string(static_cast<int>(e.error));
    if (e.type == kind::error) {
      MAILWIRE_FUZZ_CHECK(e.error != errc::ok);
      MAILWIRE_FUZZ_CHECK(e.offset >= last_offset_ && e.offset <= seen_.size());
      last_offset_ = e.offset;
      log_ += "@" + std::to_string(e.offset - handed_back_);
    }
    log_ += ":" + std::string(e.tag) + ":" + std::string(e.user) + ":" + std::string(e.password) + ":" +
            std::to_string(static_cast<int>(e.state)) + ":" + std::to_string(static_cast<int>(e.mechanism));
    if (e.cmd != nullptr) log_ += ":" + std::to_string(static_cast<int>(e.cmd->type)) + std::to_string(e.cmd->uid);
    if (e.literal != nullptr) {
      log_ += ":" + std::string(e.literal->mailbox) + ":" + std::to_string(e.literal->size) + ":" +
              std::to_string(e.literal->index) + std::to_string(e.literal->flags.size());
    }
    log_ += ",";
  }

  void drain() {
    for (int guard = 0; guard < 1000000; ++guard) {
      MAILWIRE_FUZZ_CHECK(s_.pending_output().size() <= in_.options.max_pending_output + answer_slack);
      const imap::server_event e = s_.next();
      MAILWIRE_FUZZ_CHECK(!closed_seen_);
      switch (e.type) {
        case kind::need_more:
          MAILWIRE_FUZZ_CHECK(s_.pending_output().empty() && owed_ == owed::nothing);
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
          MAILWIRE_FUZZ_CHECK(s_.closed() && s_.state() == imap::session_state::logout);
          MAILWIRE_FUZZ_CHECK(s_.next().type == kind::closed && s_.feed("a NOOP\r\n") == 0);
          record(e);
          return;
        case kind::append_chunk:
          // Chunks follow the feeds: counted, not logged.
          MAILWIRE_FUZZ_CHECK(appending_ && !e.data.empty());
          appended_ += e.data.size();
          continue;
        default: break;
      }
      record(e);
      const std::uint8_t c = decide();
      if ((c & 0x80) != 0) try_wrong(e.type, c >> 4);
      switch (e.type) {
        case kind::login: on_login(e, c); break;
        case kind::auth_start: on_auth_start(e, c); break;
        case kind::auth_check: on_auth_check(e, c); break;
        case kind::literal: on_literal(e, c); break;
        case kind::append_end:
          MAILWIRE_FUZZ_CHECK(appending_ && appended_ == announced_);
          appending_ = false;
          break;
        case kind::append_abort: appending_ = false; break;
        case kind::command: on_command(e, c); break;
        case kind::idle:
          MAILWIRE_FUZZ_CHECK(s_.notify_exists(c) ==
                              (s_.state() == imap::session_state::selected ? errc::ok : errc::invalid_state));
          break;
        case kind::starttls: on_starttls(); break;
        case kind::authenticated:
        case kind::idle_done:
        case kind::error: break;
        default: MAILWIRE_FUZZ_CHECK(false);
      }
    }
    MAILWIRE_FUZZ_CHECK(false);  // the machine kept giving events
  }

  void on_login(const imap::server_event& e, std::uint8_t c) {
    switch (c % 4) {
      case 0:
        MAILWIRE_FUZZ_CHECK((e.password == "secret"
                                 ? s_.accept_login()
                                 : s_.reject_login(imap::code_kind::authenticationfailed, "No")) == errc::ok);
        break;
      case 1: MAILWIRE_FUZZ_CHECK(s_.accept_login() == errc::ok); break;
      case 2: MAILWIRE_FUZZ_CHECK(s_.reject_login(imap::code_kind::unavailable, "Try later") == errc::ok); break;
      default: {
        const std::size_t before = output_so_far();
        refused(s_.reject_login(imap::code_kind::none, "bad\r\ntext"), errc::invalid_argument, before);
        MAILWIRE_FUZZ_CHECK(s_.accept_login() == errc::ok);
        break;
      }
    }
  }

  void on_auth_start(const imap::server_event& e, std::uint8_t c) {
    mailwire_fuzz::answer_auth_start(
        s_, e, c, [this](bool f, const char* t) { return say_no(f, t); }, [this] { return output_so_far(); });
  }

  void on_auth_check(const imap::server_event& e, std::uint8_t c) {
    mailwire_fuzz::answer_auth_check(
        s_, e, c, [this] { return s_.accept_login(); }, [this](bool f, const char* t) { return say_no(f, t); });
  }

  // The protocol's no, for the shared SASL answers.
  errc say_no(bool failed, const char* text) {
    return s_.reject_login(failed ? imap::code_kind::authenticationfailed : imap::code_kind::none, text);
  }

  void on_literal(const imap::server_event& e, std::uint8_t c) {
    MAILWIRE_FUZZ_CHECK(e.literal != nullptr && e.literal->tag == e.tag);
    if (c % 3 == 2) {
      const std::size_t before = output_so_far();
      refused(s_.refuse_literal(imap::code_kind::none, "[bad"), errc::invalid_argument, before);
      MAILWIRE_FUZZ_CHECK(s_.refuse_literal(imap::code_kind::trycreate, "No such mailbox") == errc::ok);
      return;
    }
    MAILWIRE_FUZZ_CHECK(s_.accept_literal() == errc::ok);
    appending_ = true;
    appended_ = 0;
    announced_ = e.literal->size;
  }

  // Some untagged data (a streamed body, now and then), pushes, then the
  // tagged answer; or goodbye.
  void on_command(const imap::server_event& e, std::uint8_t c) {
    MAILWIRE_FUZZ_CHECK(e.cmd != nullptr && e.cmd->tag == e.tag && s_.in_progress() == e.cmd);
    tag_.assign(e.tag.data(), e.tag.size());
    imap::response ex;
    ex.type = imap::response_type::expunge;
    ex.number = 1 + c % 3;
    const std::size_t before = output_so_far();
    const errc u = s_.untagged(ex);
    if (u != errc::ok) refused(u, errc::invalid_state, before);
    if ((c & 2) != 0) {
      const errc n = s_.notify_expunge(2);
      // Held updates are bounded: past the bound the update is refused.
      const std::size_t line = std::string_view("* 2 EXPUNGE\r\n").size();
      const bool full = s_.held_updates() + line > mailwire::limits::imap_held_updates;
      MAILWIRE_FUZZ_CHECK(n == (s_.state() == imap::session_state::selected ? errc::ok : errc::invalid_state) ||
                          (full && n == errc::message_too_big));
    }
    if ((c & 4) != 0 && c % 7 == 0) {
      MAILWIRE_FUZZ_CHECK(s_.bye("Shutting down") == errc::ok);
      return;
    }
    owed_ = owed::answer;
    status_ = c % 5 == 1 ? imap::status_kind::no : c % 5 == 2 ? imap::status_kind::bad : imap::status_kind::ok;
    if ((c & 8) != 0) {
      imap::response r;
      r.type = imap::response_type::fetch;
      r.fetch.seq = 1;
      imap::fetch_item it;
      it.kind = imap::fetch_item_kind::body_section;
      imap::literal_body b;
      b.streamed = true;
      b.size = decide() % 200;
      it.content = b;
      r.fetch.items.push_back(it);
      MAILWIRE_FUZZ_CHECK(s_.untagged(r) == errc::ok);
      piece_ = 1 + decide() % 64;
      return;  // the body comes on paused
    }
    answer();
  }

  void answer() {
    owed_ = owed::nothing;
    const std::size_t before = output_so_far();
    refused(s_.complete(tag_ + "x", status_, "done"), errc::invalid_argument, before);
    MAILWIRE_FUZZ_CHECK(s_.complete(tag_, status_, "done") == errc::ok);
  }

  void on_paused() {
    if (s_.body_remaining() > 0) {
      const std::size_t before = output_so_far();
      refused(s_.complete(tag_, status_, "early"), errc::invalid_state, before);
      const std::string piece(static_cast<std::size_t>(std::min<std::uint64_t>(piece_, s_.body_remaining())), 'b');
      MAILWIRE_FUZZ_CHECK(s_.send_body(piece) == errc::ok);
      return;
    }
    MAILWIRE_FUZZ_CHECK(owed_ == owed::answer);
    answer();
  }

  // A pass-through "TLS layer": the bytes after STARTTLS come back as if
  // decrypted. Until tls_established() nothing is parsed.
  void on_starttls() {
    std::string_view taken;
    MAILWIRE_FUZZ_CHECK(s_.take_unconsumed(taken) == errc::ok);
    MAILWIRE_FUZZ_CHECK(taken.size() <= seen_.size());
    const std::string_view before = std::string_view(seen_).substr(0, seen_.size() - taken.size());
    MAILWIRE_FUZZ_CHECK(before.size() >= 2 && before.substr(before.size() - 2) == "\r\n");
    std::string_view line = before.substr(0, before.size() - 2);
    line.remove_prefix(line.rfind('\n') == std::string_view::npos ? 0 : line.rfind('\n') + 1);
    const std::size_t sp = line.find(' ');
    MAILWIRE_FUZZ_CHECK(sp != std::string_view::npos && mailwire::ascii::iequals(line.substr(sp + 1), "STARTTLS"));
    const std::string rest(taken);
    for (int i = 0; i < 3; ++i) {
      const kind k = s_.next().type;
      MAILWIRE_FUZZ_CHECK(k == kind::write_output || k == kind::need_more);
    }
    MAILWIRE_FUZZ_CHECK(s_.feed("a NOOP\r\n") == 0);
    MAILWIRE_FUZZ_CHECK(s_.tls_established() == errc::ok);
    handed_back_ += rest.size();
    queue_.insert(0, rest);
  }

  enum class owed : std::uint8_t { nothing, answer };

  const input& in_;
  imap::server s_;
  mailwire_fuzz::decisions decisions_;
  std::string log_;
  std::string written_;
  std::string queue_;  // client bytes not yet taken by feed()
  std::string seen_;   // every byte feed() took, in order (bytes fed again after STARTTLS twice)
  std::string tag_;
  std::uint64_t handed_back_ = 0;
  std::uint64_t last_offset_ = 0;
  std::uint64_t appended_ = 0;
  std::uint64_t announced_ = 0;
  std::size_t idle_ = 0;
  std::size_t piece_ = 1;
  imap::status_kind status_ = imap::status_kind::ok;
  owed owed_ = owed::nothing;
  bool appending_ = false;
  bool closed_seen_ = false;
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (mailwire_fuzz::over_cap(size)) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::uint8_t a = mailwire_fuzz::take_byte(in);
  const std::uint8_t b = mailwire_fuzz::take_byte(in);
  const std::size_t chunk = 1 + mailwire_fuzz::take_byte(in) % 13;
  input i;
  imap::server_options& o = i.options;
  o.offer_starttls = (a & 1) != 0;
  o.tls_active = (a & 2) != 0;
  o.allow_plaintext_auth = (a & 4) != 0;
  o.require_tls = (a & 8) != 0;
  if ((a & 16) != 0) {
    o.auth_mechanisms = sasl::mechanism_set::parse(
        "PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256 SCRAM-SHA-256-PLUS XOAUTH2 OAUTHBEARER EXTERNAL ANONYMOUS");
  }
  o.preauth = (a & 0x60) == 0x60;
  if ((a & 32) != 0) {
    imap::server_extensions& x = o.extensions;
    x.idle = x.enable = x.multiappend = x.catenate = x.binary = x.condstore = x.qresync = x.utf8_accept = true;
    x.uidplus = x.move = x.unselect = x.esearch = x.sort = x.namespace_ = x.id = true;
    x.thread = {"REFERENCES"};
  }
  o.extensions.imap4rev2 = (a & 64) != 0;
  o.answer_noop = (a & 128) == 0;
  o.extensions.literal_plus = (b & 1) == 0;
  o.extensions.literal_minus = (b & 2) != 0;
  o.extensions.sasl_ir = (b & 4) == 0;
  if ((b & 8) != 0) o.max_append_size = 50;
  constexpr std::size_t pending_limits[4] = {64, 200, 1000, mailwire::limits::max_pending_output};
  o.max_pending_output = pending_limits[(b >> 4) & 3];
  if ((b & 64) != 0) {
    o.max_errors = 3;
    o.max_auth_failures = 2;
    o.max_pipelined = 2;
  }
  // Small limits reach the line, message, literal and buffer limits in a
  // few hundred bytes.
  const bool small = (b & 128) != 0;
  o.frame.max_buffered = small ? 120 : 600;
  o.frame.max_line = small ? 100 : 600;
  o.frame.max_message = small ? 300 : 2000;
  o.frame.max_inline_literal = small ? 20 : 200;
  o.frame.max_literals = small ? 3 : 20;
  o.max_depth = small ? 4 : 16;
  o.max_auth_response = small ? 100 : 1000;
  i.decisions = mailwire_fuzz::take_bytes(in, mailwire_fuzz::take_byte(in) % 64);
  i.client = in;
  const std::string whole = harness(i).run(i.client.size() + 1);
  const std::string split = harness(i).run(chunk);
  MAILWIRE_FUZZ_CHECK(whole == split);
  return 0;
}
