// IMAP response parsing (issue 13), in memory, next to memcpy of the same
// bytes and, in the same run on the same bytes, the peers that are there:
//  - the answer to "A1 UID FETCH 1:* (UID FLAGS INTERNALDATE RFC822.SIZE
//    ENVELOPE BODYSTRUCTURE)" for a 10,000-message mailbox as Dovecot writes
//    it (imap_stream.hpp), parsed response by response as a client reads it
//    16 KiB at a time: MB/s of the stream and FETCH responses per second;
//  - "* 1 FETCH (BODY[] {104857600}" and its 100 MiB literal, fed 16 KiB at
//    a time: MB/s, and mailwire's peak heap (flat: the literal streams out
//    in chunks).
// Peers: libetpan's IMAP response parser in process (libetpan-dev, found at
// configure time), and any command given with --peer, run on a temp file
// holding the same bytes; benchmarks/imap_peers.sh adds imapflow's parser
// (Node; node/imap_peer.mjs). A peer that is not there is a line in the
// table, never a failure. Every row says how many FETCH responses it
// parsed, so a parser that skipped some cannot pass for a fast one.
//
// mailwire's rows come from mailwire_parse and mailwire_read_literal below,
// compiled only once the headers they use exist
// (include/mailwire/imap/response.hpp, imap/framing.hpp); until then the
// table says the parser is not built.
//
// Build it optimised and run it with the Node peer:
//   cmake -S . -B build/rel -G Ninja -DCMAKE_BUILD_TYPE=Release -DMAILWIRE_BUILD_BENCHMARKS=ON
//   cmake --build build/rel --target mailwire-bench-imap
//   benchmarks/imap_peers.sh build/rel/benchmarks/mailwire-bench-imap [options]
// or alone (libetpan only):
//   mailwire-bench-imap [--messages N] [--literal-mib N] [--reps N] [--feed BYTES]
//                       [--smoke] [--write-streams DIR] [--peer NAME=COMMAND]...
// --write-streams keeps the two streams (fetch.txt, literal.txt) in DIR.
//
// A --peer COMMAND is run as `COMMAND FILE REPS FEED` for each stream and
// prints "result SECONDS FETCHES BYTES ITEMS COMPLETED" (its best pass).
#include "bench_heap.hpp"
#include "bench_util.hpp"
#include "imap_stream.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "competitors/imap_peers.hpp"

#if __has_include(<mailwire/imap/response.hpp>)
#include <mailwire/imap/response.hpp>
#define MAILWIRE_BENCH_IMAP_RESPONSE 1
#else
#define MAILWIRE_BENCH_IMAP_RESPONSE 0
#endif
#if __has_include(<mailwire/imap/framing.hpp>)
#include <mailwire/imap/framing.hpp>
#define MAILWIRE_BENCH_IMAP_FRAMING 1
#else
#define MAILWIRE_BENCH_IMAP_FRAMING 0
#endif

namespace {

// ============================================================================
// mailwire: where the IMAP response parser and frame_reader plug in.
//
// Each function runs one pass over `stream`, fed `feed` bytes at a time as
// a client's socket reads would hand them over, and counts into `w` what it
// parsed: untagged FETCH responses (w.fetches), their data items (w.items:
// UID, FLAGS, INTERNALDATE, RFC822.SIZE, ENVELOPE and BODYSTRUCTURE, six a
// message; BODY[] for the literal stream) and the tagged "A1 OK"
// (w.completed). It returns false while it does not call mailwire yet: the
// table then says so instead of showing a number.
// ============================================================================
#if MAILWIRE_BENCH_IMAP_FRAMING
// Runs a client-side frame_reader over `stream` fed `feed` bytes at a time,
// as a socket would hand them over: literals up to the inline limit are
// read into their message, larger ones streamed. `on` sees every other
// event (message, literal_chunk, literal_end) and returns false to stop.
template <class On>
bool frame_stream(std::string_view stream, std::size_t feed, const std::vector<std::size_t>*& streamed, On on) {
  namespace imap = mailwire::imap;
  imap::frame_options o;
  o.side = imap::frame_side::client;
  imap::frame_reader r(o);
  streamed = &r.streamed_literals();
  std::size_t at = 0;
  for (;;) {
    const imap::frame_event e = r.next();
    switch (e.type) {
      case imap::frame_event_type::need_more:
        if (at == stream.size())
          r.finish();
        else
          at += r.feed(stream.substr(at, std::min(feed, stream.size() - at)));
        break;
      case imap::frame_event_type::literal:
        if (e.size > o.max_inline_literal) {
          if (r.stream_literal() != mailwire::errc::ok) return false;
        } else if (r.read_literal() != mailwire::errc::ok) {
          return false;
        }
        break;
      case imap::frame_event_type::error:
        return false;
      case imap::frame_event_type::end:
        return true;
      default:
        if (!on(e)) return false;
    }
  }
}
#endif
#if MAILWIRE_BENCH_IMAP_RESPONSE
// Every response parsed into mailwire's typed values (ENVELOPE and
// BODYSTRUCTURE included), as a client reading the answer would.
bool mailwire_parse(std::string_view stream, std::size_t feed, peers::imap_work& w) {
  namespace imap = mailwire::imap;
  imap::response resp;  // reused: its vectors keep their capacity
  std::string scratch;
  const std::vector<std::size_t>* streamed = nullptr;
  return frame_stream(stream, feed, streamed, [&](const imap::frame_event& e) {
    if (e.type != imap::frame_event_type::message) return false;  // nothing is streamed here
    if (imap::parse_response(e.text, resp, scratch, {}, streamed) != mailwire::errc::ok) return false;
    if (resp.type == imap::response_type::fetch) {
      ++w.fetches;
      w.items += resp.fetch.items.size();
    } else if (resp.type == imap::response_type::status && resp.tag == "A1" &&
               resp.status == imap::status_kind::ok) {
      w.completed = true;
    }
    return true;
  });
}
#endif
#if MAILWIRE_BENCH_IMAP_FRAMING
// The frame_reader over the literal answer: the BODY[] literal taken as
// chunk events (counted, never kept), the rest framed as usual.
bool mailwire_read_literal(std::string_view stream, std::size_t feed, peers::imap_work& w) {
  namespace imap = mailwire::imap;
  std::uint64_t body = 0;
  const std::vector<std::size_t>* streamed = nullptr;
  const bool ok = frame_stream(stream, feed, streamed, [&](const imap::frame_event& e) {
    if (e.type == imap::frame_event_type::literal_chunk) {
      body += e.text.size();  // a client would write these to storage
    } else if (e.type == imap::frame_event_type::literal_end) {
      ++w.items;
    } else if (e.tag == "*") {
      ++w.fetches;
    } else if (e.text.substr(0, 5) == "A1 OK") {
      w.completed = true;
    }
    return true;
  });
  return ok && body > 0;
}
#endif

// One line of a table: a time and the work done, or a note instead.
struct row {
  std::string name;
  double seconds = 0;  // best pass
  peers::imap_work work;
  std::string note;  // non-empty: no numbers
  long long peak_heap = -1;
};

row timed(std::string name, int reps, const std::function<peers::imap_work()>& run) {
  row r;
  r.name = std::move(name);
  r.seconds = bench::best_seconds(reps, [&] {
    r.work = run();
    return r.work.fetches;
  });
  return r;
}

#if MAILWIRE_BENCH_IMAP_RESPONSE || MAILWIRE_BENCH_IMAP_FRAMING
// mailwire's row: timed when `pass` calls mailwire, else a note naming
// `function`, which does not yet; with the peak heap of one more pass when
// `heap` (operator new is counted then only).
row mailwire_row(std::string name, const char* function, int reps, bool heap,
                 const std::function<bool(peers::imap_work&)>& pass) {
  peers::imap_work probe;
  if (!pass(probe)) return {std::move(name), 0, {}, fmt::format("{} does not call mailwire yet", function), -1};
  row r = timed(std::move(name), reps, [&] {
    peers::imap_work w;
    pass(w);
    return w;
  });
  if (heap) {
    bench::heap::counting = true;
    const long long before = bench::heap::live.load();
    bench::heap::reset_peak();
    peers::imap_work w;
    pass(w);
    r.peak_heap = bench::heap::peak.load() - before;
    bench::heap::counting = false;
  }
  return r;
}
#endif

// Runs `command 'FILE' REPS FEED`, which prints "result SECONDS FETCHES
// BYTES ITEMS COMPLETED" as its last such line; a note when it fails.
row external(const std::string& name, const std::string& command, const std::string& file, int reps,
             std::size_t feed) {
  row r;
  r.name = name;
  const bench::peer_output out = bench::run_peer(fmt::format("{} '{}' {} {}", command, file, reps, feed));
  double secs = 0;
  unsigned long long fetches = 0, bytes = 0, items = 0;
  int completed = 0;
  if (!out.note.empty() || std::sscanf(out.result.c_str(), "result %lf %llu %llu %llu %d", &secs, &fetches, &bytes,
                                       &items, &completed) != 5) {
    r.note = out.note.empty() ? "failed (unreadable result)" : out.note;
    return r;
  }
  r.seconds = secs;
  r.work = {fetches, items, completed != 0};
  return r;
}

void write_file(const std::string& path, std::string_view bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Prints `rows` (memcpy first): MB/s of `bytes`, FETCH responses a second
// when `per_message`, the share of memcpy's speed, the work counted (a `*`
// where it is not what `expected` says) and the peak heap where measured.
// Returns false when a row's work differs.
bool print_table(const std::vector<row>& rows, std::size_t bytes, bool per_message, const peers::imap_work& expected) {
  const double mb = static_cast<double>(bytes) / 1e6;
  fmt::print("  {:<44} {:>9} {:>11} {:>10} {:>8} {:>8} {:>16}\n", "implementation", "MB/s",
             per_message ? "FETCH/s" : "", "vs memcpy", "FETCH", "items", "peak heap bytes");
  bool all_same = true;
  for (const row& r : rows) {
    if (!r.note.empty()) {
      fmt::print("  {:<44} {}\n", r.name, r.note);
      continue;
    }
    const bool copy_row = &r == &rows[0];
    const bool same = r.work.fetches == expected.fetches && r.work.completed &&
                      (expected.items == 0 || r.work.items == expected.items);
    all_same = all_same && (copy_row || same);
    fmt::print("  {:<44} {:>9.0f} {:>11} {:>9.3f}x {:>8} {:>8} {:>16}\n", r.name, mb / r.seconds,
               per_message ? fmt::format("{:.0f}", static_cast<double>(expected.fetches) / r.seconds) : "",
               rows[0].seconds / r.seconds,
               copy_row ? "" : fmt::format("{}{}", same ? "" : "*", r.work.fetches),
               copy_row ? "" : std::to_string(r.work.items), r.peak_heap < 0 ? "" : std::to_string(r.peak_heap));
  }
  if (!all_same) {
    fmt::print("  * not every FETCH response parsed, or the items or the tagged completion differ: that row's "
               "speed is not comparable\n");
  }
  return all_same;
}

// What every table's run shares.
struct setup {
  int reps;
  std::size_t feed;
  std::vector<std::pair<std::string, std::string>> externals;  // name, command
  std::string copy;  // memcpy's destination, as large as the largest stream
};

// The rows of one stream's table: memcpy, mailwire's (made by `ours`),
// libetpan's and the external peers' (on `file`, holding the same bytes).
std::vector<row> rows_for(const std::string& stream, const std::string& file, const std::function<row()>& ours,
                          setup& s) {
  std::vector<row> rows;
  rows.push_back(timed("memcpy (same bytes)", s.reps, [&] {
    std::memcpy(&s.copy[0], stream.data(), stream.size());
    return peers::imap_work{};
  }));
  rows.push_back(ours());
#if MAILWIRE_BENCH_ETPAN
  rows.push_back(timed(peers::etpan_imap_name(), s.reps, [&] { return peers::etpan_imap_parse(stream, s.feed); }));
#else
  rows.push_back({"libetpan", 0, {}, "not built (libetpan-dev was not found at configure time)", -1});
#endif
  for (const auto& [name, command] : s.externals) rows.push_back(external(name, command, file, s.reps, s.feed));
  if (s.externals.empty()) {
    rows.push_back({"imapflow", 0, {}, "not run (benchmarks/imap_peers.sh runs it with node and the npm module)", -1});
  }
  return rows;
}

}  // namespace

int main(int argc, char** argv) {
  bench::command_line cl{10000, 5};
  cl.size_flag = "--messages";
  cl.smoke_size = 200;
  std::size_t literal_mib = 100;
  std::size_t feed = 16 * 1024;
  std::string streams_dir;
  std::vector<std::pair<std::string, std::string>> externals;
  bench::parse_command_line(
      cl, argc, argv,
      "[--messages N] [--literal-mib N] [--reps N] [--feed BYTES] [--smoke] [--write-streams DIR] "
      "[--peer NAME=COMMAND]...",
      [&](std::string_view a, int& i) {
        if (i + 1 >= argc) return false;
        const std::string v = argv[i + 1];
        if (a == "--literal-mib") {
          literal_mib = static_cast<std::size_t>(std::strtoul(v.c_str(), nullptr, 10));
        } else if (a == "--reps") {
          cl.reps = std::atoi(v.c_str());
        } else if (a == "--feed") {
          feed = static_cast<std::size_t>(std::strtoul(v.c_str(), nullptr, 10));
        } else if (a == "--write-streams") {
          streams_dir = v;
        } else if (a == "--peer" && v.find('=') != std::string::npos) {
          externals.emplace_back(v.substr(0, v.find('=')), v.substr(v.find('=') + 1));
        } else {
          return false;
        }
        ++i;
        return true;
      });
  if (cl.smoke) literal_mib = 1;
  if (feed == 0 || cl.reps < 1) {
    fmt::print(stderr, "--feed and --reps must be at least 1\n");
    return 2;
  }
  bench::heap::counting = false;  // on only for the peak-heap passes

  bench::imap_fetch_writer gen(20250603);
  const std::string fetch_stream = gen.generate(cl.size);
  const bench::imap_stream_stats& st = gen.stats;
  const std::string literal_stream = bench::imap_literal_stream(literal_mib << 20);

  std::string temp_dir;  // removed at the end
  if (streams_dir.empty() && !externals.empty()) {
    streams_dir = temp_dir = fmt::format("/tmp/mailwire-imap-streams-{}", ::getpid());
  }
  const std::string fetch_file = streams_dir + "/fetch.txt";
  const std::string literal_file = streams_dir + "/literal.txt";
  if (!streams_dir.empty()) {
    std::filesystem::create_directories(streams_dir);
    write_file(fetch_file, fetch_stream);
    write_file(literal_file, literal_stream);
  }

  setup run{cl.reps, feed, std::move(externals), std::string((std::max)(literal_stream.size(), fetch_stream.size()), '\0')};

  // -- the FETCH answer --------------------------------------------------------
  fmt::print("IMAP UID FETCH answer, {} FETCH responses, {:.1f} MB: {} single-part, {} alternative, {} mixed, "
             "{} related, {} forwarded; {} addresses, {} body parts, {} literals, {} quoted strings with escapes, "
             "{} encoded-word subjects; fed {} bytes at a time; best of {}; load average {}\n",
             st.messages, static_cast<double>(fetch_stream.size()) / 1e6, st.kinds[0], st.kinds[1], st.kinds[2],
             st.kinds[3], st.kinds[4], st.addresses, st.parts, st.literals, st.escaped, st.encoded_subjects, feed,
             cl.reps, bench::load_average());
  const auto parser_row = [&]() -> row {
#if MAILWIRE_BENCH_IMAP_RESPONSE
    return mailwire_row("mailwire imap response parser", "mailwire_parse", cl.reps, false,
                        [&](peers::imap_work& w) { return mailwire_parse(fetch_stream, feed, w); });
#else
    return {"mailwire", 0, {}, "parser not built (include/mailwire/imap/response.hpp not there yet)", -1};
#endif
  };
  bool ok = print_table(rows_for(fetch_stream, fetch_file, parser_row, run), fetch_stream.size(), true,
                        {st.messages, st.messages * 6, true});

  // -- one large literal --------------------------------------------------------
  fmt::print("\nIMAP FETCH BODY[] of one {} MiB message: a {} byte answer fed {} bytes at a time; best of {}\n",
             literal_mib, literal_stream.size(), feed, cl.reps);
  const auto reader_row = [&]() -> row {
#if MAILWIRE_BENCH_IMAP_FRAMING
    return mailwire_row("mailwire imap frame_reader", "mailwire_read_literal", cl.reps, true,
                        [&](peers::imap_work& w) { return mailwire_read_literal(literal_stream, feed, w); });
#else
    return {"mailwire", 0, {}, "frame_reader not built (include/mailwire/imap/framing.hpp not there yet)", -1};
#endif
  };
  ok = print_table(rows_for(literal_stream, literal_file, reader_row, run), literal_stream.size(), false,
                   {1, 0, true}) &&
       ok;
  fmt::print("  (peak heap: mailwire's operator new only; the peers hold the literal whole)\n");

  if (!temp_dir.empty()) std::filesystem::remove_all(temp_dir);
  return ok ? 0 : 1;
}
