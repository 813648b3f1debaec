// The IMAP client machine against any server bytes, driven by the input:
//   byte 0, byte 1  options (TLS policy, login method and mechanism,
//                   cleartext login, pipelining, what to ENABLE, small
//                   limits, inline bodies, credentials);
//   byte 2          the chunk size of the split run;
//   byte 3 = n      then n decision bytes, read in turn (cycling) at the
//                   ready event and at each completion, body request,
//                   continuation and IDLE start: which commands to submit
//                   (NOOP, SELECT, EXAMINE, FETCH with bodies, UID FETCH,
//                   STORE, SEARCH, EXPUNGE, APPEND in memory and streamed,
//                   an unknown command, IDLE, DONE, COMPRESS, LOGOUT), how
//                   a streamed body is cut;
//   the rest        what the server sends, in packets separated by
//                   "\xff\x00".
// Between packets the client's output is written, as a server answers only
// what it has received; within a packet nothing is, so feeding each packet
// whole or in chunks must give the same events and output. On the way:
// every completed event answers a tag submitted and not yet completed (each
// once), streamed FETCH bodies arrive whole (chunks add up to the announced
// size at fetch_chunk_end), body_wanted asks for what an APPEND announced,
// error offsets are monotone, need_more comes only with nothing pending,
// nothing comes after closed, a refused action queues nothing, and after
// the input ends the session closes. STARTTLS: bytes after the OK in the
// same packet are an injection, caught or not depending on where a read
// ends (by design; the vectors cover both), so the comparison stops there;
// an OK that ends its packet is followed by a pass-through "TLS". COMPRESS:
// the bytes after the OK are taken and fed back after the switch (an
// identity "deflate"), so the stream is the same however it was split.
#include <mailwire/imap/client.hpp>

#include <map>
#include <string>

#include "fuzz_check.hpp"

namespace {
namespace imap = mailwire::imap;
namespace sasl = mailwire::sasl;
using mailwire::errc;
using kind = imap::client_event_type;

constexpr std::string_view packet_end("\xff\x00", 2);

class harness {
 public:
  harness(const imap::client_options& o, std::string_view decisions) : c_(o), decisions_(decisions) {}

  std::string run(std::string_view in, std::size_t chunk) {
    const std::size_t before = output_so_far();
    std::string_view none;
    refused(c_.submit(noop()), errc::invalid_state, before);
    refused(c_.tls_established(), errc::invalid_state, before);
    refused(c_.compress_established(), errc::invalid_state, before);
    refused(c_.take_unconsumed(none), errc::invalid_state, before);
    refused(c_.send_body("x"), errc::invalid_state, before);
    refused(c_.idle_done(), errc::invalid_state, before);
    drain(false);
    while (!done()) {
      const std::size_t sep = in.find(packet_end);
      std::string_view packet = in.substr(0, sep);
      in.remove_prefix(sep == std::string_view::npos ? in.size() : sep + packet_end.size());
      feed(packet, chunk);
      if (done() || in.empty()) break;
      write();
      drain(false);
    }
    if (!done()) {
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

  void feed(std::string_view packet, std::size_t chunk) {
    while (!packet.empty() && !done()) {
      const std::size_t n = c_.feed(packet.substr(0, chunk));
      packet.remove_prefix(n);
      drain(!packet.empty());
      if (n == 0) break;  // full and waiting for its output to be written: the rest is lost
    }
  }

  static imap::command noop() {
    imap::command c;
    c.type = imap::command_type::noop;
    return c;
  }

  // One command chosen by the input. A refusal must be for a reason the
  // contract names, with nothing queued.
  void command() {
    const std::uint8_t op = decide();
    const std::size_t before = output_so_far();
    imap::command c;
    std::string tag;
    errc r = errc::ok;
    imap::fetch_attribute body;
    body.kind = imap::fetch_attribute_kind::body_section;
    body.peek = true;
    imap::fetch_attribute flags;
    flags.kind = imap::fetch_attribute_kind::flags;
    imap::append_args a;
    a.mailbox = "INBOX";
    imap::append_message m;
    switch (op % 16) {
      case 0: c = noop(); break;
      case 1:
      case 2:
        c.type = op % 16 == 1 ? imap::command_type::select : imap::command_type::examine;
        c.args = imap::select_args{"INBOX", (op & 16) != 0, std::nullopt, {}};
        break;
      case 3:
      case 4:
        c.type = imap::command_type::fetch;
        c.uid = op % 16 == 4;
        c.args = imap::fetch_args{imap::sequence_set(imap::seq_range{1, imap::seq_star}), {flags, body}, true,
                                  std::nullopt, false};
        break;
      case 5:
        c.type = imap::command_type::store;
        c.args = imap::store_args{imap::sequence_set(1), std::nullopt, imap::store_mode::add, false,
                                  {imap::flag::system(imap::flag_kind::seen)}, true};
        break;
      case 6: {
        c.type = imap::command_type::search;
        imap::search_args s;
        s.keys.emplace_back();  // ALL
        c.args = s;
        break;
      }
      case 7: c.type = imap::command_type::expunge; break;
      case 8:
        m.message.data = (op & 16) != 0 ? std::string_view("Subject: x\r\n\r\n\xc3\xa9") : std::string_view("hi");
        m.message.size = m.message.data.size();
        a.messages.push_back(m);
        c.type = imap::command_type::append;
        c.args = a;
        break;
      case 9:
        m.message.streamed = true;
        m.message.size = op >> 4;
        m.message.binary = (op & 8) != 0;
        a.messages.push_back(m);
        c.type = imap::command_type::append;
        c.args = a;
        break;
      case 10:
        c.type = imap::command_type::other;
        c.name = "XTEST";
        c.args = imap::other_args{};
        break;
      case 11: r = c_.idle(&tag); break;
      case 12: r = c_.idle_done(); break;
      case 13: r = c_.compress(&tag); break;
      case 14: r = c_.logout(&tag); break;
      default:
        c.type = imap::command_type::move;
        c.args = imap::copy_args{imap::sequence_set(1), "Trash"};
        break;
    }
    if (op % 16 < 11 || op % 16 == 15) r = c_.submit(c, &tag);
    log_ += "C" + std::to_string(op % 16) + ":" + std::to_string(static_cast<int>(r)) + ",";
    if (r == errc::ok) {
      if (op % 16 != 12) {
        MAILWIRE_FUZZ_CHECK(!tag.empty() && open_.count(tag) == 0);
        open_[tag] = true;
      }
      return;
    }
    MAILWIRE_FUZZ_CHECK(output_so_far() == before);
    MAILWIRE_FUZZ_CHECK(r == errc::invalid_state || r == errc::extension_missing || r == errc::invalid_argument ||
                        r == errc::message_too_big);
  }

  void record(const imap::client_event& e) {
    log_ += std::to_string(static_cast<int>(e.type)) + ":" + std::string(e.tag) + ":" +
            std::to_string(static_cast<int>(e.command)) + ":" + std::to_string(static_cast<int>(e.status)) + ":" +
            std::to_string(e.message) + ":" + std::to_string(e.uid) + ":" + std::to_string(e.size) + ":" +
            std::to_string(static_cast<int>(e.error)) + "@" + std::to_string(e.offset) + ",";
    if (e.resp != nullptr) {
      imap::wire w;
      imap::peer_support p;
      p.to_server = false;
      p.utf8 = p.binary = true;
      log_ += imap::write(w, *e.resp, p) == errc::ok ? w.bytes : std::string("?");
    }
  }

  // `more`: the packet being fed goes on after what was fed so far.
  void drain(bool more) {
    for (int guard = 0; guard < 100000; ++guard) {
      const imap::client_event e = c_.next();
      MAILWIRE_FUZZ_CHECK(!closed_seen_);
      switch (e.type) {
        case kind::need_more: MAILWIRE_FUZZ_CHECK(c_.pending_output().empty()); return;
        case kind::write_output: MAILWIRE_FUZZ_CHECK(!c_.pending_output().empty()); return;
        case kind::fetch_chunk:
          // Chunk boundaries depend on the split; the bytes do not.
          MAILWIRE_FUZZ_CHECK(e.item != nullptr && e.item->content && e.item->content->streamed);
          body_got_ += e.bytes.size();
          MAILWIRE_FUZZ_CHECK(body_got_ <= e.size);
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
          MAILWIRE_FUZZ_CHECK(c_.closed() && c_.next().type == kind::closed && c_.feed("* OK\r\n") == 0);
          return;
        case kind::error:
          MAILWIRE_FUZZ_CHECK(e.error != errc::ok && e.offset >= last_error_offset_);
          last_error_offset_ = e.offset;
          break;
        case kind::starttls: on_starttls(); break;
        case kind::compress: on_compress(); break;
        case kind::ready:
          for (int n = decide() % 6; n > 0; --n) command();
          break;
        case kind::untagged: MAILWIRE_FUZZ_CHECK(e.resp != nullptr); break;
        case kind::fetch_chunk_end:
          MAILWIRE_FUZZ_CHECK(body_got_ == e.size && e.item != nullptr);
          body_got_ = 0;
          break;
        case kind::completed: {
          const auto it = open_.find(std::string(e.tag));
          MAILWIRE_FUZZ_CHECK(it != open_.end() && e.resp != nullptr);
          open_.erase(it);
          if (decide() % 3 == 0) command();
          break;
        }
        case kind::body_wanted: send_body(e.size); break;
        case kind::continuation: MAILWIRE_FUZZ_CHECK(c_.continue_command("more") == errc::ok); break;
        case kind::idle_started:
          if (decide() % 2 == 0) command();
          break;
        default: MAILWIRE_FUZZ_CHECK(false);
      }
      if (done()) return;  // the session ended inside on_compress()'s feeding
    }
    MAILWIRE_FUZZ_CHECK(false);  // the machine kept giving events
  }

  void send_body(std::uint64_t size) {
    const std::size_t piece = 1 + decide() % 7;
    while (size > 0) {
      const std::size_t n = size < piece ? static_cast<std::size_t>(size) : piece;
      MAILWIRE_FUZZ_CHECK(c_.send_body(std::string(n, 'b')) == errc::ok);
      size -= n;
    }
    MAILWIRE_FUZZ_CHECK(c_.send_body("x") == errc::invalid_argument);
    MAILWIRE_FUZZ_CHECK(c_.end_body() == errc::ok);
  }

  void cut() {
    log_ += "TLS-cut";
    cut_ = true;
  }

  void on_starttls() {
    std::string_view rest;
    MAILWIRE_FUZZ_CHECK(c_.take_unconsumed(rest) == errc::ok && rest.empty());
    MAILWIRE_FUZZ_CHECK(c_.feed("* OK\r\n") == 0);
    const kind k = c_.next().type;
    MAILWIRE_FUZZ_CHECK(k == kind::need_more || k == kind::write_output);
    MAILWIRE_FUZZ_CHECK(c_.tls_established() == errc::ok);
    MAILWIRE_FUZZ_CHECK(!c_.capabilities().known());
  }

  // The identity "deflate": what came after the OK goes back in, unchanged.
  void on_compress() {
    std::string_view rest;
    MAILWIRE_FUZZ_CHECK(c_.take_unconsumed(rest) == errc::ok);
    const std::string copy(rest);
    MAILWIRE_FUZZ_CHECK(c_.compress_established() == errc::ok);
    MAILWIRE_FUZZ_CHECK(c_.compress_established() == errc::invalid_state);
    std::string_view in = copy;
    while (!in.empty() && !done()) {
      const std::size_t n = c_.feed(in);
      in.remove_prefix(n);
      drain(false);
      if (n == 0) break;
    }
  }

  imap::client c_;
  mailwire_fuzz::decisions decisions_;
  std::map<std::string, bool> open_;  // tags submitted, not completed
  std::uint64_t body_got_ = 0;        // bytes of the FETCH body being streamed
  std::uint64_t last_error_offset_ = 0;
  std::string log_;
  std::string written_;
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
  const std::size_t chunk = 1 + c % 13;
  const std::string_view decisions = mailwire_fuzz::take_bytes(in, mailwire_fuzz::take_byte(in) % 32);

  imap::client_options o;
  o.tls = static_cast<mailwire::tls_policy>(a & 3);
  o.method = static_cast<imap::login_choice>(((a >> 2) & 3) % 3);
  if ((a & 16) != 0) o.mechanism = static_cast<sasl::mechanism>((b & 15) % sasl::mechanism_count);
  o.allow_cleartext_login = (a & 32) != 0;
  o.pipelining = (a & 64) != 0;
  o.enable_condstore = o.enable_qresync = (a & 128) != 0;
  o.enable_utf8_accept = o.enable_imap4rev2 = (b & 64) != 0;
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
  o.inline_body_max = (b & 16) != 0 ? 8 : 0;
  if ((b & 32) != 0) {
    o.frame.max_buffered = 200;
    o.frame.max_line = 64;
    o.frame.max_message = 256;
    o.frame.max_inline_literal = 16;
    o.frame.max_literals = 4;
    o.max_pending_output = 32;
  } else {
    o.frame.max_buffered = 1024;
  }
  const std::string whole = harness(o, decisions).run(in, in.size() + 1);
  const std::string split = harness(o, decisions).run(in, chunk);
  if (whole != split) std::fprintf(stderr, "WHOLE\n%s\nSPLIT\n%s\n", whole.c_str(), split.c_str());
  MAILWIRE_FUZZ_CHECK(whole == split);
  return 0;
}
