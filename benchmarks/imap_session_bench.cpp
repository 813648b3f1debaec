// The IMAP client and server machines (include/mailwire/imap/client.hpp,
// server.hpp) over a recorded session of a 10,000-message mailbox, in
// memory, next to memcpy of the same bytes (issue 14, "Benchmarks"):
//
//   * OK [CAPABILITY ...] greeting       A1 AUTHENTICATE PLAIN (SASL-IR)
//   A2 SELECT INBOX                      FLAGS, EXISTS, UIDVALIDITY, UIDNEXT
//   A3 UID FETCH 1:* (UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE)
//                                        the answer as Dovecot writes it
//                                        (imap_stream.hpp, 10,000 FETCH)
//   A4 UID FETCH 1:* (BODY.PEEK[])       10,000 messages of 600-6,000 bytes
//                                        streamed as fetch_chunk events
//   A5 LOGOUT
//
// The server's bytes are fed 16 KiB at a time (--feed), every event drained
// and the client's output consumed, as a program does: MB/s of the server's
// stream and messages/s, the whole session and each FETCH alone; every run
// checks the FETCH count, the body bytes and that no error came.
//
// Then the server machine over the same session, in a second table: the
// client's commands (as the client machine wrote them above) fed in, every
// answer given through the machine's actions (untagged(), send_body(),
// complete()) from a prepared in-memory set, so that the machine is
// measured and not a store: MB/s of the server's output and FETCH
// responses/s, the whole session and each FETCH alone, next to memcpy of
// that output. Every run checks the counts; the first one's output is read
// back by the client machine (it must see the session whole) and A4's
// answer must equal the recording byte for byte.
//
// Last, the bytes an idle session costs (object and heap, counted by
// bench_heap.hpp's operator new): the client logged in and with the
// mailbox selected, and the server the same (its answers written).
//
//   mailwire-bench-imap-session [--messages N] [--reps N] [--feed BYTES] [--smoke]
#include "bench_heap.hpp"
#include "bench_idle.hpp"
#include "bench_util.hpp"
#include "imap_stream.hpp"

#include <mailwire/imap/client.hpp>
#include <mailwire/imap/server.hpp>

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

namespace imap = mailwire::imap;
using ck = imap::client_event_type;

constexpr std::string_view capabilities =
    "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT LITERAL+ UIDPLUS MOVE AUTH=PLAIN";

// The server's side of the session, with where each phase starts.
struct recorded {
  std::string bytes;
  // Where each answer starts: the client must have written the command
  // first (an answer to a command not yet written is an attack).
  std::vector<std::size_t> turns;
  std::size_t meta_at = 0;  // A3's answer
  std::size_t body_at = 0;  // A4's answer
  std::size_t logout_at = 0;
  std::size_t messages = 0;
  std::uint64_t body_bytes = 0;
  // What A4 sends, for the server's side: each message's UID, and its
  // body as (offset, size) in `bytes` (10,000 bodies apart in memory, as
  // in a store, not one block in the cache).
  std::vector<std::uint32_t> uids;
  std::vector<std::pair<std::size_t, std::size_t>> bodies;
};

recorded record(std::size_t messages) {
  recorded r;
  r.messages = messages;
  std::string& s = r.bytes;
  s = fmt::format("* OK [CAPABILITY {}] Dovecot ready.\r\n", capabilities);
  r.turns.push_back(s.size());
  s += fmt::format("A1 OK [CAPABILITY {}] Logged in\r\n", capabilities);
  r.turns.push_back(s.size());
  s += "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Label1)\r\n"
       "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Label1 \\*)] Flags permitted.\r\n";
  s += fmt::format("* {} EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY 1733565600] UIDs valid\r\n", messages);
  r.meta_at = s.size();
  bench::imap_fetch_writer w(20261207);
  std::string meta = w.generate(messages);
  meta.resize(meta.size() - bench::imap_fetch_done.size());
  // The UIDs the writer chose, for the body phase.
  std::vector<std::uint32_t> uids;
  for (std::size_t at = meta.find("FETCH (UID "); at != std::string::npos; at = meta.find("FETCH (UID ", at + 1)) {
    uids.push_back(static_cast<std::uint32_t>(std::strtoul(meta.c_str() + at + 11, nullptr, 10)));
  }
  // SELECT's UIDNEXT and completion belong before A3's answer.
  s.insert(r.meta_at, fmt::format("* OK [UIDNEXT {}] Predicted next UID\r\nA2 OK [READ-WRITE] Select completed.\r\n",
                                  uids.empty() ? 1 : uids.back() + 1));
  r.meta_at = s.size();
  r.turns.push_back(s.size());
  s += meta;
  s += "A3 OK Fetch completed.\r\n";
  r.body_at = s.size();
  r.turns.push_back(s.size());
  const std::string block = bench::prose(1 << 16, 25, 12, "\r\n");
  for (std::size_t i = 0; i < uids.size(); ++i) {
    const std::size_t size = 600 + (i * 7919) % 5400;
    const std::size_t from = (i * 104729) % (block.size() - size);
    s += fmt::format("* {} FETCH (UID {} BODY[] {{{}}}\r\n", i + 1, uids[i], size);
    r.bodies.emplace_back(s.size(), size);
    s.append(block, from, size);
    s += ")\r\n";
    r.body_bytes += size;
  }
  s += "A4 OK Fetch completed.\r\n";
  r.logout_at = s.size();
  r.turns.push_back(s.size());
  s += "* BYE Logging out\r\nA5 OK Logout completed.\r\n";
  r.uids = std::move(uids);
  return r;
}

imap::client_options options() {
  imap::client_options o;
  o.tls = mailwire::tls_policy::none;
  o.allow_cleartext_login = true;  // in memory: there is no path to read it on
  o.username = "alice";
  o.password = "secret";
  o.nonce = "bench";
  return o;
}

// What the client saw.
struct tally {
  std::size_t fetches = 0, completed = 0, errors = 0;
  std::uint64_t body_bytes = 0;
  bool closed = false;
  bool select_only = false;     // at ready: SELECT alone (the idle figures)
  std::string* sent = nullptr;  // when set: the client's output is kept here (the server's input)
};

// The commands of the session, submitted when the client is ready.
void submit_all(imap::client& c, bool select_only) {
  imap::command select;
  select.type = imap::command_type::select;
  select.args = imap::select_args{"INBOX", false, std::nullopt, {}};
  (void)c.submit(std::move(select));
  if (select_only) return;
  const auto fetch = [&](std::vector<imap::fetch_attribute_kind> kinds, bool body) {
    imap::fetch_args f;
    (void)f.set.add(imap::seq_range{1, imap::seq_star});
    for (const auto k : kinds) {
      imap::fetch_attribute a;
      a.kind = k;
      f.attributes.push_back(a);
    }
    if (body) {
      imap::fetch_attribute a;
      a.kind = imap::fetch_attribute_kind::body_section;
      a.peek = true;
      f.attributes.push_back(a);
    }
    f.attribute_list = true;
    imap::command c2;
    c2.type = imap::command_type::fetch;
    c2.uid = true;
    c2.args = std::move(f);
    (void)c.submit(std::move(c2));
  };
  using k = imap::fetch_attribute_kind;
  fetch({k::uid, k::flags, k::internaldate, k::rfc822_size, k::envelope, k::bodystructure}, false);
  fetch({}, true);
  (void)c.logout();
}

void drain(imap::client& c, tally& t) {
  for (auto e = c.next(); e.type != ck::need_more && e.type != ck::write_output; e = c.next()) {
    switch (e.type) {
      case ck::ready: submit_all(c, t.select_only); break;
      case ck::untagged:
        if (e.resp->type == imap::response_type::fetch) ++t.fetches;
        break;
      case ck::fetch_chunk: t.body_bytes += e.bytes.size(); break;
      case ck::completed: ++t.completed; break;
      case ck::error:
        if (t.errors++ == 0) std::fprintf(stderr, "error: %s at %llu\n", std::string(mailwire::to_string(e.error)).c_str(), static_cast<unsigned long long>(e.offset));
        break;
      case ck::closed: t.closed = true; return;
      default: break;
    }
  }
  if (t.sent != nullptr) t.sent->append(c.pending_output());
  c.consume_output(c.pending_output().size());
}

// Feeds the session's bytes [from, to) in `piece`-byte pieces, none
// crossing the start of an answer (the client's command is written first).
void feed(imap::client& c, const recorded& r, std::size_t from, std::size_t to, std::size_t piece, tally& t) {
  drain(c, t);
  std::string_view bytes = std::string_view(r.bytes).substr(from, to - from);
  std::size_t at = from;
  while (!bytes.empty() && !t.closed) {
    std::size_t size = piece;
    for (const std::size_t turn : r.turns) {
      if (turn > at && turn - at < size) size = turn - at;
    }
    const std::size_t n = c.feed(bytes.substr(0, size));
    at += n;
    bytes.remove_prefix(n);
    drain(c, t);
    if (n == 0 && !bytes.empty() && c.pending_output().empty()) {
      ++t.errors;  // takes nothing and wants nothing written: stuck
      return;
    }
  }
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Best time of `reps` runs of the phase [from, to) of the session, the
// client brought to `from` untimed each time; checks what it saw.
double phase(const recorded& r, std::size_t from, std::size_t to, std::size_t piece, int reps, tally& seen) {
  double best = 1e300;
  for (int i = 0; i < reps; ++i) {
    imap::client c(options());
    tally t;
    feed(c, r, 0, from, piece, t);
    t.fetches = t.completed = 0;  // count what the timed part saw
    t.body_bytes = 0;
    const auto t0 = std::chrono::steady_clock::now();
    feed(c, r, from, to, piece, t);
    best = std::min(best, seconds_since(t0));
    if (to == r.bytes.size()) c.finish(), drain(c, t);
    seen = t;
  }
  return best;
}

void idle_sessions(const recorded& r) {
  const long long buffers = bench::two_buffers("* OK ready\r\n", "A1 NOOP\r\n");
  const long long object = static_cast<long long>(sizeof(imap::client));
  const long long base = bench::heap::live.load();
  auto* c = new imap::client(options());
  const long long constructed = bench::heap_since(base);
  tally t;
  t.select_only = true;
  feed(*c, r, 0, r.turns.front(), 1 << 14, t);
  const long long greeted = bench::heap_since(base);
  // Up to the login's OK: logged in, capabilities known; SELECT written
  // (its bytes consumed), its answer not yet in.
  const std::size_t logged_in = r.bytes.find("* FLAGS");
  feed(*c, r, r.turns.front(), logged_in, 1 << 14, t);
  const long long ready = bench::heap_since(base);
  feed(*c, r, logged_in, r.meta_at, 1 << 14, t);
  const long long selected = bench::heap_since(base);
  if (t.errors != 0 || t.completed != 1 || !c->mailbox().selected) std::fprintf(stderr, "idle session: SELECT failed\n");
  // The client was made with new: the heap counted holds the object too.
  fmt::print("\nidle client session logged in (credentials dropped, SELECT awaiting its answer): {} bytes "
             "(object {} + heap {}); beyond its two buffers ({}): {}\n",
             ready, object, ready - object, buffers, ready - buffers);
  fmt::print("idle client session with INBOX selected ({} EXISTS, FLAGS, PERMANENTFLAGS kept): {} bytes "
             "(object {} + heap {}); beyond its two buffers: {}\n",
             r.messages, selected, object, selected - object, selected - buffers);
  fmt::print("  heap: at construction {} (credentials and the SASL state until the login, the command deque's "
             "first node), greeting with its capabilities {}, login {}, SELECT's answer {}\n",
             constructed - object, greeted - constructed, ready - greeted, selected - ready);
  fmt::print("  object: frame_reader {}, output_queue {}, capability_set {} (x2), selected_mailbox {} (x2), the rest "
             "{}; the response being read ({}) is on the heap while responses come, released when nothing is in "
             "flight\n",
             sizeof(imap::frame_reader), sizeof(mailwire::output_queue), sizeof(imap::capability_set),
             sizeof(imap::selected_mailbox),
             sizeof(imap::client) - sizeof(imap::frame_reader) - sizeof(mailwire::output_queue) -
                 2 * sizeof(imap::capability_set) - 2 * sizeof(imap::selected_mailbox),
             sizeof(imap::response));
  delete c;
}

// -- the server machine over the same session ---------------------------------
//
// The client's side of the session (what the client machine wrote while
// reading the recording, kept by a run of it) is fed to imap::server, and
// the application answers through the machine's actions from a prepared
// in-memory set: SELECT's untagged responses and A3's 10,000 FETCH
// responses parsed once from the recording (typed values, as a store would
// hand them over), and A4's bodies given with send_body() straight from
// memory (from the recording, where they lie apart as in a store). So the
// time is the machine's: reading the commands, validating and writing
// every response, queueing the bytes; nothing is looked up. Writing to the
// client is consume_output() whenever more than out_high bytes are pending
// (examples/imap_server.cpp writes the same way). So the output buffer
// stays in the cache: a body is read from memory once and written to the
// cache, where memcpy of the whole output reads and writes memory; the
// body row can come near 1x memcpy or above it.

using sk = imap::server_event_type;
constexpr std::size_t out_high = 64 * 1024;

// A typed response and the scratch its views may point into: kept in a
// vector reserved up front, so that neither ever moves.
struct prepared {
  std::string scratch;
  imap::response r;
};

struct server_input {
  std::string commands;  // the client's bytes, A1 .. A5
  std::vector<prepared> select;
  std::vector<prepared> meta;
};

// Parses `text` (one response without its CRLF) into a new element of `v`.
bool prepare(std::vector<prepared>& v, std::string_view text) {
  if (v.size() == v.capacity()) return false;  // would move the views' targets
  v.emplace_back();
  return imap::parse_response(text, v.back().r, v.back().scratch) == mailwire::errc::ok;
}

// The responses, split at "\r\n* " (no literal of the recording holds a
// CRLF: imap_stream.hpp collapses them), each parsed.
bool prepare_all(std::vector<prepared>& v, std::string_view text) {
  std::size_t count = 0;
  for (std::size_t at = text.find("\r\n* "); at != std::string_view::npos; at = text.find("\r\n* ", at + 4)) ++count;
  v.reserve(count + 1);
  while (!text.empty()) {
    const std::size_t end = text.find("\r\n* ");
    const std::size_t len = end == std::string_view::npos ? text.size() - 2 : end;  // the last one ends in CRLF
    if (!prepare(v, text.substr(0, len))) return false;
    text.remove_prefix(std::min(text.size(), len + 2));
  }
  return true;
}

bool prepare_server(const recorded& r, server_input& in) {
  // The client's bytes: a run of the client machine over the recording.
  tally t;
  t.sent = &in.commands;
  imap::client c(options());
  feed(c, r, 0, r.bytes.size(), 1 << 14, t);
  c.finish();
  drain(c, t);
  // SELECT's untagged responses: from the login's OK to SELECT's own.
  const std::size_t from = r.turns[1];
  const std::size_t to = r.bytes.find("A2 OK", from);
  const std::size_t done = sizeof("A3 OK Fetch completed.\r\n") - 1;
  return t.errors == 0 && to != std::string::npos &&
         prepare_all(in.select, std::string_view(r.bytes).substr(from, to - from)) &&
         prepare_all(in.meta, std::string_view(r.bytes).substr(r.meta_at, r.body_at - done - r.meta_at)) &&
         in.meta.size() == r.messages;
}

imap::server_options server_opts() {
  imap::server_options o;
  o.greeting = "Dovecot ready.";
  o.allow_plaintext_auth = true;  // in memory, as the client's options
  o.auth_mechanisms = {mailwire::sasl::mechanism::plain};
  o.extensions.enable = o.extensions.idle = o.extensions.uidplus = o.extensions.move = true;
  return o;
}

// What one run of the server saw and wrote, and the time of each FETCH.
struct server_run {
  std::uint64_t out_bytes = 0, body_bytes = 0;
  std::uint64_t meta_out = 0, body_out = 0;  // bytes written answering A3, A4
  double meta_s = 0, body_s = 0;
  std::size_t fetches = 0, completed = 0, errors = 0;
  bool logged_in = false, closed = false;
  std::string* wire = nullptr;  // when set: every byte written is kept here
};

void write_out(imap::server& s, server_run& run) {
  const std::string_view out = s.pending_output();
  if (run.wire != nullptr) run.wire->append(out);
  run.out_bytes += out.size();
  s.consume_output(out.size());
}

void server_error(server_run& run, const char* what, mailwire::errc e) {
  if (run.errors++ == 0) std::fprintf(stderr, "server: %s: %s\n", what, std::string(mailwire::to_string(e)).c_str());
}

// A3 from the prepared responses, A4 from the bodies in memory.
void answer_fetch(imap::server& s, const recorded& r, const server_input& in, const imap::command& c, server_run& run) {
  bool bodies = false;
  for (const imap::fetch_attribute& a : std::get<imap::fetch_args>(c.args).attributes) {
    bodies = bodies || a.kind == imap::fetch_attribute_kind::body_section;
  }
  const auto t0 = std::chrono::steady_clock::now();
  const std::uint64_t before = run.out_bytes;
  mailwire::errc e = mailwire::errc::ok;
  if (!bodies) {
    for (std::size_t i = 0; i < in.meta.size() && e == mailwire::errc::ok; ++i) {
      e = s.untagged(in.meta[i].r);
      ++run.fetches;
      if (s.pending_output().size() > out_high) write_out(s, run);
    }
  } else {
    imap::response f;
    f.type = imap::response_type::fetch;
    f.fetch.items.resize(2);
    f.fetch.items[0].kind = imap::fetch_item_kind::uid;
    f.fetch.items[1].kind = imap::fetch_item_kind::body_section;
    f.fetch.items[1].content = imap::literal_body{};
    f.fetch.items[1].content->streamed = true;
    for (std::size_t i = 0; i < r.uids.size() && e == mailwire::errc::ok; ++i) {
      const auto [from, size] = r.bodies[i];
      f.fetch.seq = static_cast<std::uint32_t>(i + 1);
      f.fetch.items[0].number = r.uids[i];
      f.fetch.items[1].content->size = size;
      e = s.untagged(f);
      if (e == mailwire::errc::ok) e = s.send_body(std::string_view(r.bytes).substr(from, size));
      ++run.fetches;
      run.body_bytes += size;
      if (s.pending_output().size() > out_high) write_out(s, run);
    }
  }
  if (e != mailwire::errc::ok) server_error(run, "FETCH", e);
  e = s.complete(c.tag, imap::status_kind::ok, "Fetch completed.");
  if (e != mailwire::errc::ok) server_error(run, "FETCH completion", e);
  write_out(s, run);
  const double took = seconds_since(t0);
  (bodies ? run.body_s : run.meta_s) = took;
  (bodies ? run.body_out : run.meta_out) = run.out_bytes - before;
}

void answer(imap::server& s, const recorded& r, const server_input& in, const imap::command& c, server_run& run) {
  ++run.completed;
  if (c.type == imap::command_type::fetch && c.uid) return answer_fetch(s, r, in, c, run);
  if (c.type == imap::command_type::select) {
    for (const prepared& p : in.select) {
      const mailwire::errc e = s.untagged(p.r);
      if (e != mailwire::errc::ok) server_error(run, "SELECT", e);
    }
    (void)s.complete(c.tag, imap::status_kind::ok, imap::code_kind::read_write, "Select completed.");
    return;
  }
  server_error(run, "a command the session does not have", mailwire::errc::unexpected_reply);
  (void)s.complete(c.tag, imap::status_kind::bad, "Unexpected");
}

// Runs `s` on `input` until it wants more than that (false), or is closed
// (true); `end`: the client closes its side once `input` is used up.
bool drive(imap::server& s, const recorded& r, const server_input& in, std::string_view& input, std::size_t piece,
           bool end, server_run& run) {
  for (;;) {
    const imap::server_event e = s.next();
    switch (e.type) {
      case sk::need_more:
        if (input.empty() && !end) return false;
        if (input.empty()) {
          s.finish();
        } else {
          input.remove_prefix(s.feed(input.substr(0, piece)));
        }
        break;
      case sk::write_output: write_out(s, run); break;
      case sk::auth_start: {
        const mailwire::errc a = s.auth_begin("bench");
        if (a != mailwire::errc::ok) server_error(run, "auth_begin", a);
        break;
      }
      case sk::auth_check:
        if (e.auth->username == "alice" && e.auth->password == "secret") {
          (void)s.accept_login();
        } else {
          server_error(run, "login", mailwire::errc::unexpected_reply);
          (void)s.reject_login(imap::code_kind::authenticationfailed, "No");
        }
        break;
      case sk::authenticated: run.logged_in = true; break;
      case sk::command: answer(s, r, in, *e.cmd, run); break;
      case sk::error: server_error(run, "error event", e.error); break;
      case sk::closed:
        write_out(s, run);
        run.closed = true;
        return true;
      case sk::paused:  // every action is answered at once: nothing waits
        server_error(run, "paused", mailwire::errc::invalid_state);
        return true;
      default: break;
    }
  }
}

// One whole session; returns its time.
double serve(const recorded& r, const server_input& in, std::size_t piece, server_run& run) {
  const auto t0 = std::chrono::steady_clock::now();
  imap::server s(server_opts());
  std::string_view input = in.commands;
  drive(s, r, in, input, piece, true, run);
  return seconds_since(t0);
}

// True when the client machine reads `wire`, the server's side of a
// session, whole: every FETCH, every body byte, every completion.
bool client_reads(const std::string& wire, const recorded& r) {
  recorded w;
  w.bytes = wire;
  // Each answer starts after the greeting or a tagged completion.
  std::size_t eol = wire.find("\r\n");
  for (const char* done : {"\r\nA1 OK", "\r\nA2 OK", "\r\nA3 OK", "\r\nA4 OK"}) {
    if (eol == std::string::npos) return false;
    w.turns.push_back(eol + 2);
    eol = wire.find(done, eol);
    if (eol != std::string::npos) eol = wire.find("\r\n", eol + 2);
  }
  if (eol == std::string::npos) return false;
  w.turns.push_back(eol + 2);
  tally t;
  imap::client c(options());
  feed(c, w, 0, w.bytes.size(), 1 << 14, t);
  c.finish();
  drain(c, t);
  return t.errors == 0 && t.closed && t.fetches == 2 * r.messages && t.body_bytes == r.body_bytes && t.completed == 4;
}

// The server's table: each row the best of `reps` sessions; the first
// session keeps its output, which must hold A3's and A4's answers exactly
// as recorded (Dovecot's bytes). Returns the rows that failed.
int server_table(const recorded& r, const server_input& in, std::size_t piece, int reps) {
  std::string wire;
  server_run check;
  check.wire = &wire;
  serve(r, in, piece, check);
  const bool read_back = client_reads(wire, r);
  // A4's answer is fixed by the protocol: the same bytes as recorded.
  const std::string_view bodies = std::string_view(r.bytes).substr(r.body_at, r.logout_at - r.body_at);
  const std::size_t at = wire.find("A3 OK Fetch completed.\r\n");
  const bool same = at != std::string::npos && std::string_view(wire).substr(at + 24, bodies.size()) == bodies;
  double whole = 1e300, meta = 1e300, body = 1e300;
  server_run best;
  for (int i = 0; i < reps; ++i) {
    server_run run;
    whole = std::min(whole, serve(r, in, piece, run));
    meta = std::min(meta, run.meta_s);
    body = std::min(body, run.body_s);
    best = run;
  }
  const bool ok = best.errors == 0 && check.errors == 0 && best.closed && best.logged_in &&
                  best.fetches == 2 * r.messages && best.body_bytes == r.body_bytes && best.completed == 3;
  std::string dst(wire.size(), '\0');
  const bench::result copy = bench::memcpy_row(wire, dst, reps);
  fmt::print(
      "\nIMAP server session, in memory: the same session from the other side; {} bytes of commands fed "
      "{} bytes at a time, {:.1f} MB written ({:.1f} MB answering the metadata FETCH, {:.1f} MB the body "
      "FETCH); answers from {} prepared FETCH responses and the bodies in memory; best of {}\n",
      in.commands.size(), piece, static_cast<double>(wire.size()) / 1e6, static_cast<double>(best.meta_out) / 1e6,
      static_cast<double>(best.body_out) / 1e6, in.meta.size(), reps);
  fmt::print(
      "  the client machine reads the written session whole: {}; A4's answer byte for byte as recorded: {}; "
      "A3's answer {} bytes, Dovecot's {} (strings Dovecot sends as literals go quoted, with escapes)\n",
      read_back ? "yes" : "NO", same ? "yes" : "NO", check.meta_out, r.body_at - r.meta_at);
  fmt::print("\n  {:<44} {:>9} {:>11} {:>12} {:>10}\n", "", "MB/s out", "vs memcpy", "FETCH/s", "FETCH sent");
  fmt::print("  {:<44} {:>9.0f} {:>10.3f}x\n", "memcpy (the whole session's output)", copy.mb_per_s, 1.0);
  const auto row = [&](const char* what, std::uint64_t bytes, double s, std::size_t fetches) {
    const double mb = static_cast<double>(bytes) / s / 1e6;
    fmt::print(
        "  {:<44} {:>9.0f} {:>10.3f}x {:>12.0f} {:>10}{}\n", what, mb, mb / copy.mb_per_s,
        static_cast<double>(fetches) / s, fetches,
        ok ? ""
           : fmt::format("  WRONG: {} errors, {} FETCH, {} body bytes", best.errors, best.fetches, best.body_bytes));
  };
  row("whole session (greeting .. LOGOUT)", wire.size(), whole, 2 * r.messages);
  row("UID FETCH (UID FLAGS .. ENVELOPE BODYSTRUCTURE)", best.meta_out, meta, r.messages);
  row("UID FETCH (BODY.PEEK[]) streamed", best.body_out, body, r.messages);
  return (ok ? 0 : 1) + (same && read_back ? 0 : 1);
}

void idle_server_sessions(const recorded& r, const server_input& in) {
  const long long buffers = bench::two_buffers("A1 NOOP\r\n", "* OK ready\r\n");
  const long long object = static_cast<long long>(sizeof(imap::server));
  const std::size_t select_at = in.commands.find("A2 ");
  const std::size_t fetch_at = in.commands.find("A3 ");
  server_run run;
  const long long base = bench::heap::live.load();
  auto* s = new imap::server(server_opts());
  write_out(*s, run);  // the greeting
  const long long greeted = bench::heap_since(base);
  std::string_view input = std::string_view(in.commands).substr(0, select_at);
  drive(*s, r, in, input, 1 << 14, false, run);
  const long long ready = bench::heap_since(base);
  input = std::string_view(in.commands).substr(select_at, fetch_at - select_at);
  drive(*s, r, in, input, 1 << 14, false, run);
  const long long selected = bench::heap_since(base);
  if (run.errors != 0 || !run.logged_in || s->state() != imap::session_state::selected) {
    std::fprintf(stderr, "idle server session: login or SELECT failed\n");
  }
  // The server was made with new: the heap counted holds the object too.
  fmt::print(
      "\nidle server session logged in (greeting and OK written): {} bytes (object {} of it); beyond "
      "its two buffers ({}): {}\n",
      ready, object, buffers, ready - buffers);
  fmt::print(
      "idle server session with INBOX selected (answers written): {} bytes (object {} of it); beyond "
      "its two buffers: {}\n",
      selected, object, selected - buffers);
  fmt::print("  heap: greeting written {}, login {}, SELECT {}; the machine reports memory_used() {}\n", greeted,
             ready - greeted, selected - ready, s->memory_used());
  delete s;
}

}  // namespace

int main(int argc, char** argv) {
  bench::command_line cl{10000, 5, 100, "--messages"};
  std::size_t piece = 16 * 1024;
  bench::parse_command_line(cl, argc, argv, "[--messages N] [--reps N] [--feed BYTES] [--smoke]",
                            [&](std::string_view a, int& i) {
                              if (a == "--feed" && i + 1 < argc) {
                                piece = std::max<std::size_t>(1, std::strtoul(argv[++i], nullptr, 10));
                                return true;
                              }
                              if (a == "--reps" && i + 1 < argc) {
                                cl.reps = std::max(1, std::atoi(argv[++i]));
                                return true;
                              }
                              return false;
                            });
  bench::heap::counting = false;
  const recorded r = record(cl.size);
  const int reps = cl.reps;
  fmt::print("IMAP client session, in memory: {} messages; {:.1f} MB from the server ({:.1f} MB of FETCH metadata, "
              "{:.1f} MB of FETCH bodies), fed {} bytes at a time; best of {}; load {}\n",
              r.messages, static_cast<double>(r.bytes.size()) / 1e6,
              static_cast<double>(r.body_at - r.meta_at) / 1e6, static_cast<double>(r.logout_at - r.body_at) / 1e6,
              piece, reps, bench::load_average());

  std::string dst(r.bytes.size(), '\0');
  const bench::result copy = bench::memcpy_row(r.bytes, dst, reps);
  int failures = 0;
  const auto row = [&](const char* what, std::size_t from, std::size_t to, std::size_t fetches, bool bodies,
                       std::size_t completions) {
    tally t;
    const double s = phase(r, from, to, piece, reps, t);
    const bool ok = t.errors == 0 && t.fetches == fetches && t.completed == completions &&
                    (!bodies || t.body_bytes == r.body_bytes);
    if (!ok) ++failures;
    const double mb = static_cast<double>(to - from) / s / 1e6;
    fmt::print("  {:<44} {:>9.0f} {:>10.3f}x {:>12.0f} {:>10}{}\n", what, mb, mb / copy.mb_per_s,
               static_cast<double>(fetches) / s, t.fetches,
               ok ? "" : fmt::format("  WRONG: {} errors, {} completions, {} body bytes", t.errors, t.completed,
                                     t.body_bytes));
  };
  fmt::print("\n  {:<44} {:>9} {:>11} {:>12} {:>10}\n", "", "MB/s", "vs memcpy", "FETCH/s", "FETCH seen");
  fmt::print("  {:<44} {:>9.0f} {:>10.3f}x\n", "memcpy (the whole session's bytes)", copy.mb_per_s, 1.0);
  row("whole session (login .. LOGOUT)", 0, r.bytes.size(), 2 * r.messages, true, 4);  // the login's is the machine's
  row("UID FETCH (UID FLAGS .. ENVELOPE BODYSTRUCTURE)", r.meta_at, r.body_at, r.messages, false, 1);
  row("UID FETCH (BODY.PEEK[]) streamed", r.body_at, r.logout_at, r.messages, true, 1);

  server_input in;
  if (!prepare_server(r, in)) {
    fmt::print("the server's side of the session could not be prepared\n");
    ++failures;
  } else {
    failures += server_table(r, in, piece, reps);
  }

  bench::heap::counting = true;
  idle_sessions(r);
  if (failures == 0) idle_server_sessions(r, in);
  bench::heap::counting = false;
  if (failures != 0) {
    fmt::print("{} rows did not see the session whole\n", failures);
    return 1;
  }
  return 0;
}
