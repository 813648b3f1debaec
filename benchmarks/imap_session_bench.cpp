// The IMAP client machine (include/mailwire/imap/client.hpp) over a recorded
// session of a 10,000-message mailbox, in memory, next to memcpy of the same
// bytes (issue 14, "Benchmarks"):
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
// checks the FETCH count, the body bytes and that no error came. Then the
// bytes an idle client session costs (object and heap, counted by
// bench_heap.hpp's operator new), logged in, and with the mailbox selected.
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
    s.append(block, from, size);
    s += ")\r\n";
    r.body_bytes += size;
  }
  s += "A4 OK Fetch completed.\r\n";
  r.logout_at = s.size();
  r.turns.push_back(s.size());
  s += "* BYE Logging out\r\nA5 OK Logout completed.\r\n";
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
  bool select_only = false;  // at ready: SELECT alone (the idle figures)
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

// The server machine's idle session, measured the same way: logged in,
// INBOX selected, then in IDLE (the state thousands of sessions wait in).
void idle_server() {
  const long long buffers = bench::two_buffers("a NOOP\r\n", "* OK ready\r\n");
  imap::server_options o;
  o.tls_active = true;
  o.extensions.idle = true;
  const long long base = bench::heap::live.load();
  auto* s = new imap::server(o);
  const long long constructed = bench::heap_since(base);
  const auto drive = [s](std::string_view in) {
    using sk = imap::server_event_type;
    while (!in.empty()) {
      in.remove_prefix(s->feed(in));
      for (auto e = s->next(); e.type != sk::need_more && e.type != sk::paused; e = s->next()) {
        if (e.type == sk::write_output) s->consume_output(s->pending_output().size());
        if (e.type == sk::login) (void)s->accept_login();
        if (e.type == sk::command) (void)s->complete(e.tag, imap::status_kind::ok, "done");
      }
      s->consume_output(s->pending_output().size());
    }
  };
  drive("a LOGIN alice secret\r\nb SELECT INBOX\r\nc IDLE\r\n");
  const long long idling = bench::heap_since(base);
  if (s->state() != imap::session_state::selected) std::fprintf(stderr, "idle server session: SELECT failed\n");
  fmt::print("idle server session in IDLE (INBOX selected): {} bytes (object {} + heap {}); beyond its two buffers "
             "({}): {}; heap at construction {}\n",
             idling, sizeof(imap::server), idling - static_cast<long long>(sizeof(imap::server)), buffers,
             idling - buffers, constructed - static_cast<long long>(sizeof(imap::server)));
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

  bench::heap::counting = true;
  idle_sessions(r);
  idle_server();
  bench::heap::counting = false;
  if (failures != 0) {
    fmt::print("{} rows did not see the session whole\n", failures);
    return 1;
  }
  return 0;
}
