// MIME parsing throughput (issue 5): every message of a generated corpus
// (mime_corpus.hpp: text, HTML alternatives, base64 attachments up to
// several MB, QP bodies, encoded-word headers, nested messages) parsed and
// every leaf part transfer-decoded, by mailwire's mime::parser (fed 64 KiB
// at a time) and, in the same run on the same bytes, by the peers that are
// installed: GMime 3, mimetic, vmime, libetpan, and any external command
// given with --peer (benchmarks/mime_peers.sh adds Python's email and
// Node's mailparser and postal-mime). memcpy of the corpus is the ceiling.
// MB/s are of the raw messages.
//
// --peak-memory feeds a message with a 1 GB base64 attachment, generated as
// it is fed (never held whole), through the parser in 64 KiB chunks, and
// the same message with a 1 MB attachment, each in a fresh child process:
// their peak RSS and the parser's own peak heap.
//
// --attachments N parses a different corpus: N messages (the issue's
// realistic mailbox: 2000), 80% of them multipart/mixed with base64
// attachments, and mailwire decodes every header field's value as well.
//
// --no-peers times mailwire alone (and memcpy), for profiling it.
//
//   mailwire-bench-mime [--size MB] [--reps N] [--smoke] [--write-corpus DIR]
//                       [--peer NAME=COMMAND]... [--peak-memory] [--attachments N] [--no-peers]
#include <mailwire/core/ascii.hpp>
#include <mailwire/mime/address.hpp>
#include <mailwire/mime/encoded_word.hpp>
#include <mailwire/mime/parser.hpp>

#include "bench_heap.hpp"
#include "bench_util.hpp"
#include "mime_corpus.hpp"

#include <fmt/format.h>

#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "competitors/mime_peers.hpp"

namespace {

namespace mime = mailwire::mime;

constexpr std::size_t chunk_size = 64 * 1024;

// Parses one message fed in 64 KiB chunks, pulling every event: leaf bodies
// are transfer-decoded by the parser, Subject and From decoded here (as
// the peers do when they build their message objects), and with
// `all_headers` every other field value too, as unstructured text.
void mailwire_parse(std::string_view message, peers::mime_work& w, std::uint64_t& touch, bool all_headers) {
  mime::parser p;
  std::string text;
  const auto on = [&](const mime::event& e) {
    if (e.type == mime::event_type::body) {
      if (!e.data.empty()) touch += static_cast<unsigned char>(e.data.back());
      w.decoded += e.data.size();
    } else if (e.type == mime::event_type::part_begin) {
      if (e.entity->kind == mime::part_kind::leaf) ++w.leaves;
    } else if (e.type == mime::event_type::header) {
      if (mailwire::ascii::iequals(e.field.name, "subject")) {
        text.clear();  // one buffer for every value: the appending form allocates nothing then
        mime::decode_unstructured(e.field.value, text);
        w.header_text += text.size();
      } else if (mailwire::ascii::iequals(e.field.name, "from")) {
        for (const mime::mailbox& m : mime::parse_address_list(e.field.value)) w.header_text += m.name.size();
      } else if (all_headers) {
        text.clear();
        mime::decode_unstructured(e.field.value, text);
        touch += text.size();  // not in header_text, which the peers' rows are compared on
      }
    }
  };
  for (std::size_t at = 0; at < message.size(); at += chunk_size) {
    std::string_view c = message.substr(at, chunk_size);
    while (!c.empty()) {
      c.remove_prefix(p.feed(c));
      for (auto e = p.next(); e.type != mime::event_type::need_more; e = p.next()) on(e);
    }
  }
  p.finish();
  for (auto e = p.next(); e.type != mime::event_type::end; e = p.next()) on(e);
}

struct row {
  std::string name;
  double seconds = 0;  // best pass over the corpus
  peers::mime_work work;
  std::string note;
};

// Runs `peer` `reps` times; the best time.
row timed(std::string name, int reps, const std::function<peers::mime_work()>& run) {
  row r;
  r.name = std::move(name);
  r.seconds = bench::best_seconds(reps, [&] {
    r.work = run();
    return r.work.decoded;
  });
  return r;
}

// Runs `command DIR REPS`, which prints "result SECONDS MESSAGES BYTES
// LEAVES DECODED [HEADER_TEXT]" as its last such line; a note when it fails.
row external(const std::string& name, const std::string& command, const std::string& dir, int reps) {
  row r;
  r.name = name;
  const bench::peer_output out = bench::run_peer(command + " '" + dir + "' " + std::to_string(reps));
  double secs = 0;
  unsigned long long msgs = 0, bytes = 0, leaves = 0, decoded = 0, text = 0;
  if (!out.note.empty() || std::sscanf(out.result.c_str(), "result %lf %llu %llu %llu %llu %llu", &secs, &msgs,
                                       &bytes, &leaves, &decoded, &text) < 5) {
    r.note = out.note.empty() ? "failed (unreadable result)" : out.note;
    return r;
  }
  r.seconds = secs;
  r.work = {leaves, decoded, text};
  return r;
}

void write_corpus(const std::vector<std::string>& corpus, const std::string& dir) {
  std::filesystem::create_directories(dir);
  for (std::size_t i = 0; i < corpus.size(); ++i) {
    std::ofstream f(fmt::format("{}/{:05}.eml", dir, i), std::ios::binary);
    f.write(corpus[i].data(), static_cast<std::streamsize>(corpus[i].size()));
  }
}

// -- peak memory -------------------------------------------------------------

// A message whose attachment is `raw_bytes` of base64, fed in 64 KiB
// chunks as it is generated: a block of encoded lines is repeated, so the
// message is never held.
int peak_memory_child(std::uint64_t raw_bytes) {
  const std::string raw = bench::random_bytes(57 * 1024);  // 1,024 lines of 76
  const std::string block = mailwire::base64::encode(raw, 76) + "\r\n";
  const std::string head =
      "From: Alice <alice@example.com>\r\nTo: bob@example.org\r\nSubject: a large file\r\n"
      "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\n"
      "Content-Type: text/plain\r\n\r\nSee the attachment.\r\n--b1\r\nContent-Type: application/octet-stream\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\n";
  const std::uint64_t blocks = raw_bytes / raw.size();
  const std::string tail = "--b1--\r\n";
  constexpr std::uint64_t text_part = 19;

  std::string chunk;
  chunk.reserve(chunk_size);
  const long long heap_before = bench::heap::live.load();
  bench::heap::reset_peak();
  std::uint64_t fed = 0;
  std::uint64_t decoded = 0;
  {
    mime::parser p;
    const auto drain = [&](std::string_view c) {
      fed += c.size();
      while (!c.empty()) {
        c.remove_prefix(p.feed(c));
        for (auto e = p.next(); e.type != mime::event_type::need_more; e = p.next()) {
          if (e.type == mime::event_type::body) decoded += e.data.size();
        }
      }
    };
    // The message as a sequence of pieces, cut into 64 KiB chunks.
    std::uint64_t block_index = 0;
    std::size_t in_piece = 0;
    int piece = 0;  // 0 head, 1 blocks, 2 tail
    while (piece < 3) {
      const std::string& s = piece == 0 ? head : piece == 1 ? block : tail;
      if (piece == 1 && block_index == blocks) {
        ++piece;
        continue;
      }
      const std::size_t n = std::min(chunk_size - chunk.size(), s.size() - in_piece);
      chunk.append(s, in_piece, n);
      in_piece += n;
      if (in_piece == s.size()) {
        in_piece = 0;
        if (piece == 1) {
          ++block_index;
        } else {
          ++piece;
        }
      }
      if (chunk.size() == chunk_size) {
        drain(chunk);
        chunk.clear();
      }
    }
    drain(chunk);
    p.finish();
    for (auto e = p.next(); e.type != mime::event_type::end; e = p.next()) {
      if (e.type == mime::event_type::body) decoded += e.data.size();
    }
  }
  const long long parser_heap = bench::heap::peak.load() - heap_before;
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  // The text part's 19 bytes besides the attachment (the line break before
  // a boundary is the boundary's).
  if (decoded != blocks * raw.size() + text_part) {
    fmt::print(stderr, "self-check failed: {} bytes decoded\n", decoded);
    return 1;
  }
  fmt::print("peak {} {} {} {}\n", ru.ru_maxrss, parser_heap, fed, decoded - text_part);
  return 0;
}

int peak_memory(const std::vector<std::uint64_t>& sizes) {
  char self[4096];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return 1;
  self[n] = '\0';
  fmt::print("peak memory: one message fed to mime::parser in {} KiB chunks, each size in a fresh process\n",
             chunk_size / 1024);
  fmt::print("  {:<26} {:>16} {:>14} {:>18}\n", "base64 attachment", "message bytes", "peak RSS KiB",
             "parser peak heap");
  for (const std::uint64_t size : sizes) {
    std::fflush(stdout);
    FILE* p = ::popen(fmt::format("'{}' --peak-memory-child {}", self, size).c_str(), "r");
    if (p == nullptr) return 1;
    char line[256] = {};
    long rss = 0;
    long long heap = 0;
    unsigned long long fed = 0, decoded = 0;
    const bool ok = std::fgets(line, sizeof line, p) != nullptr &&
                    std::sscanf(line, "peak %ld %lld %llu %llu", &rss, &heap, &fed, &decoded) == 4;
    if (::pclose(p) != 0 || !ok) {
      fmt::print(stderr, "peak-memory child failed for {}\n", size);
      return 1;
    }
    fmt::print("  {:<26} {:>16} {:>14} {:>18}\n", fmt::format("{} bytes decoded", decoded), fed, rss, heap);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  bench::command_line cl{64, 5};
  std::string corpus_dir;
  std::vector<std::pair<std::string, std::string>> externals;
  bool peak = false;
  bool no_peers = false;
  long long peak_child = -1;
  std::size_t attachments = 0;  // messages of the attachment-heavy corpus; 0: the default corpus
  bench::parse_command_line(
      cl, argc, argv, "[--size MB] [--reps N] [--smoke] [--write-corpus DIR] [--peer NAME=COMMAND]... [--peak-memory] "
      "[--attachments N] [--no-peers]",
      [&](std::string_view a, int& i) {
        if (a == "--peak-memory") return peak = true;
        if (a == "--no-peers") return no_peers = true;
        if (i + 1 >= argc) return false;
        const std::string v = argv[i + 1];
        if (a == "--write-corpus") {
          corpus_dir = v;
        } else if (a == "--peer" && v.find('=') != std::string::npos) {
          externals.emplace_back(v.substr(0, v.find('=')), v.substr(v.find('=') + 1));
        } else if (a == "--attachments") {
          attachments = static_cast<std::size_t>(std::atoll(v.c_str()));
        } else if (a == "--reps") {
          cl.reps = std::atoi(v.c_str());
        } else if (a == "--peak-memory-child") {
          peak_child = std::atoll(v.c_str());
        } else {
          return false;
        }
        ++i;
        return true;
      });
  if (peak_child >= 0) return peak_memory_child(static_cast<std::uint64_t>(peak_child));
  bench::heap::counting = false;  // not needed below: no atomics in the timings
  if (peak) return peak_memory(cl.smoke ? std::vector<std::uint64_t>{1000000, 8000000}
                                        : std::vector<std::uint64_t>{1000000, 1000000000});

  const std::size_t target = cl.size * 1000000;
  bench::corpus_writer gen(20230314, attachments != 0 ? 300000 : target / 10 < 6000000 ? target / 10 : 6000000);
  const std::vector<std::string> corpus =
      attachments != 0 ? gen.generate_messages(attachments, 80) : gen.generate(target);
  const bench::corpus_stats& st = gen.stats;
  if (!corpus_dir.empty()) write_corpus(corpus, corpus_dir);
  std::string temp_dir;  // removed at the end
  if (!externals.empty() && corpus_dir.empty()) {
    corpus_dir = temp_dir = fmt::format("/tmp/mailwire-mime-corpus-{}", ::getpid());
    write_corpus(corpus, corpus_dir);
  }

  // The ceiling: copying every message once.
  std::string copy(st.largest_message, '\0');
  std::vector<row> rows;
  rows.push_back(timed("memcpy (same bytes)", cl.reps, [&] {
    for (const std::string& m : corpus) std::memcpy(&copy[0], m.data(), m.size());
    return peers::mime_work{};
  }));
  std::uint64_t touch = 0;
  rows.push_back(timed("mailwire mime::parser, 64 KiB chunks", cl.reps, [&] {
    peers::mime_work w;
    for (const std::string& m : corpus) mailwire_parse(m, w, touch, attachments != 0);
    return w;
  }));
  std::vector<peers::mime_peer> libs;
  if (no_peers) externals.clear();
#if MAILWIRE_BENCH_GMIME
  libs.push_back(peers::gmime_mime(corpus));
#endif
#if MAILWIRE_BENCH_MIMETIC
  libs.push_back(peers::mimetic_mime(corpus));
#endif
#if MAILWIRE_BENCH_VMIME
  libs.push_back(peers::vmime_mime(corpus));
#endif
#if MAILWIRE_BENCH_ETPAN
  libs.push_back(peers::etpan_mime(corpus));
#endif
  if (no_peers) libs.clear();
  for (const peers::mime_peer& p : libs) rows.push_back(timed(p.name, cl.reps, p.run));
  for (const auto& [name, command] : externals) rows.push_back(external(name, command, corpus_dir, cl.reps));

  const double mb = static_cast<double>(st.bytes) / 1e6;
  const double n = static_cast<double>(corpus.size());
  fmt::print("MIME parse + transfer-decode every leaf part: {} messages, {:.1f} MB (largest {:.1f} MB); "
             "{} plain, {} alternative, {} mixed ({} base64 attachments in all), {} forwarded, {} related; "
             "best of {}; load average {}{}\n",
             corpus.size(), mb, static_cast<double>(st.largest_message) / 1e6, st.kinds[0], st.kinds[1],
             st.kinds[2], st.attachments, st.kinds[3], st.kinds[4], cl.reps, bench::load_average(),
             attachments != 0 ? "; mailwire also decodes every other header field" : "");
  fmt::print("  {:<40} {:>9} {:>11} {:>12} {:>10} {:>8} {:>11} {:>11}\n", "implementation", "MB/s", "messages/s",
             "vs mailwire", "vs memcpy", "leaves", "decoded MB", "header txt");
  const row& ours = rows[1];
  const double ceiling = rows[0].seconds;
  bool differ = false;
  for (const row& r : rows) {
    if (!r.note.empty()) {
      fmt::print("  {:<40} {}\n", r.name, r.note);
      continue;
    }
    const bool copy_row = &r == &rows[0];
    const bool same = r.work.leaves == ours.work.leaves && r.work.decoded == ours.work.decoded;
    differ = differ || (!copy_row && !same);
    fmt::print("  {:<40} {:>9.0f} {:>11.0f} {:>11.3f}x {:>9.3f}x {:>8} {:>11} {:>11}\n", r.name, mb / r.seconds,
               n / r.seconds, ours.seconds / r.seconds, ceiling / r.seconds,
               copy_row ? "" : std::to_string(r.work.leaves),
               copy_row ? "" : fmt::format("{}{:.2f}", same ? "" : "*", static_cast<double>(r.work.decoded) / 1e6),
               copy_row ? "" : std::to_string(r.work.header_text));
  }
  if (differ) {
    fmt::print("  * leaves or decoded bytes differ from mailwire's: the peer counts parts differently (Node's "
               "parsers give text as strings, a nested message as one attachment)\n");
  }
  if (libs.empty() && !no_peers) fmt::print("  (built without the C/C++ peers: none of their libraries was found)\n");
  fmt::print("wrapped base64 and QP decoding alone: mailwire-bench-mime-codecs\n");
  if (!temp_dir.empty()) std::filesystem::remove_all(temp_dir);
  volatile std::uint64_t sink = touch;  // the decoded bytes were read
  (void)sink;
  return 0;
}
