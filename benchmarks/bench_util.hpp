// What every benchmark here shares: best-of-N timing, reproducible data, the
// command line (--smoke, a size) and the MB/s tables.
#ifndef MAILWIRE_BENCHMARKS_BENCH_UTIL_HPP
#define MAILWIRE_BENCHMARKS_BENCH_UTIL_HPP

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

// The peers the build found (benchmarks/CMakeLists.txt defines each to 1).
#ifndef MAILWIRE_BENCH_GMIME
#define MAILWIRE_BENCH_GMIME 0
#endif
#ifndef MAILWIRE_BENCH_MIMETIC
#define MAILWIRE_BENCH_MIMETIC 0
#endif
#ifndef MAILWIRE_BENCH_VMIME
#define MAILWIRE_BENCH_VMIME 0
#endif
#ifndef MAILWIRE_BENCH_ETPAN
#define MAILWIRE_BENCH_ETPAN 0
#endif

namespace bench {

// Best time of `reps` runs of `fn`, in seconds: the run least disturbed by
// the rest of the machine. A result `fn` returns is kept alive in a
// volatile sink so the work cannot be optimised away.
template <class F>
double best_seconds(int reps, F&& fn) {
  double best = 1e300;
  volatile std::size_t sink = 0;
  for (int i = 0; i < reps; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    if constexpr (std::is_void_v<decltype(fn())>) {
      fn();
    } else {
      sink = sink + static_cast<std::size_t>(fn());
    }
    const std::chrono::duration<double> dt = std::chrono::steady_clock::now() - t0;
    best = (std::min)(best, dt.count());
  }
  return best;
}

// MB/s of the best of `reps` runs of `fn` over `bytes` bytes.
template <class F>
double measure(std::size_t bytes, int reps, F&& fn) {
  return static_cast<double>(bytes) / best_seconds(reps, fn) / 1e6;
}

// `n` pseudo-random bytes, the same in every run.
inline std::string random_bytes(std::size_t n) {
  std::string data(n, '\0');
  std::mt19937_64 rng(42);
  for (std::size_t i = 0; i + 8 <= data.size(); i += 8) {
    const std::uint64_t v = rng();
    std::memcpy(&data[i], &v, 8);
  }
  return data;
}

// `n` bytes of prose, the same in every run: words with one in
// `accented_every` non-ASCII (UTF-8; 20 is English with names and
// typography, 4 French-like), and `line_end` after one word in
// `line_every`.
inline std::string prose(std::size_t n, unsigned accented_every, unsigned line_every, std::string_view line_end) {
  static const char* const ascii[] = {"the", "message", "was", "sent", "to", "all",  "of",  "us", "and",
                                      "we",  "read",    "it",  "together", "with", "a", "long", "morning"};
  static const char* const accented[] = {"café", "déjà", "über", "naïve", "coût", "€", "Grüße", "Zürich", "—"};
  std::mt19937 rng(2045);
  std::string s;
  while (s.size() < n) {
    s += rng() % accented_every == 0 ? accented[rng() % (sizeof accented / sizeof *accented)]
                                     : ascii[rng() % (sizeof ascii / sizeof *ascii)];
    if (rng() % line_every == 0) {
      s += line_end;
    } else {
      s += ' ';
    }
  }
  return s;
}

// The load average ("1.37 0.98 1.47"), for a title line: the machine may
// be shared, and a busy one slows every row.
inline std::string load_average() {
  std::ifstream f("/proc/loadavg");
  std::string a, b, c;
  f >> a >> b >> c;
  return a.empty() ? "unknown" : a + " " + b + " " + c;
}

// What an external peer (a script run with popen) printed: its last line
// starting with "result ", or a note to print instead of numbers.
struct peer_output {
  std::string result;
  std::string note;  // non-empty: it could not start, failed or printed no result
};

inline peer_output run_peer(const std::string& command) {
  peer_output out;
  FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) {
    out.note = "could not start";
    return out;
  }
  char line[512];
  while (std::fgets(line, sizeof line, p) != nullptr) {
    if (std::string_view(line).substr(0, 7) == "result ") out.result = line;
  }
  const int status = ::pclose(p);
  if (status != 0 || out.result.empty()) out.note = fmt::format("failed (exit status {})", status);
  return out;
}

// One row of a throughput table.
struct result {
  std::string name;
  double mb_per_s;
};

// The rows under a header line, each also relative to the first (memcpy).
inline void print_rows(const std::vector<result>& rows, int width, const char* first_column) {
  const double ref = rows.front().mb_per_s;
  fmt::print("  {:<{}} {:>10} {:>12}\n", first_column, width, "MB/s", "vs memcpy");
  for (const result& r : rows) {
    fmt::print("  {:<{}} {:>10.0f} {:>11.3f}x\n", r.name, width, r.mb_per_s, r.mb_per_s / ref);
  }
}

// A titled table of implementations, memcpy first.
inline void table(const std::string& title, const std::vector<result>& rows, int width = 40) {
  fmt::print("\n{}\n", title);
  print_rows(rows, width, "implementation");
}

// memcpy of `src` into `dst` (at least as large): the ceiling of a table.
inline result memcpy_row(std::string_view src, std::string& dst, int reps) {
  return {"memcpy (same bytes)", measure(src.size(), reps, [&] {
            std::memcpy(&dst[0], src.data(), src.size());
            return dst.size();
          })};
}

// The command line every benchmark understands: `size_flag N` (the input
// size, in the unit its usage line names) and --smoke (a run of a second
// that only shows the benchmark still works: `smoke_size`, one rep).
struct command_line {
  std::size_t size;
  int reps;
  std::size_t smoke_size = 1;
  const char* size_flag = "--size";
  bool smoke = false;
};

// Parses argv into `c`; `more(arg, i)` takes the benchmark's own flags
// (advancing `i` past their values) and returns false for an unknown one,
// which prints `usage` and exits with 2.
template <class More>
void parse_command_line(command_line& c, int argc, char** argv, const char* usage, More&& more) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--smoke") {
      c.smoke = true;
      c.size = c.smoke_size;
      c.reps = 1;
    } else if (a == c.size_flag && i + 1 < argc) {
      c.size = static_cast<std::size_t>(std::strtoul(argv[++i], nullptr, 10));
    } else if (!more(a, i)) {
      fmt::print(stderr, "usage: {} {}\n", argv[0], usage);
      std::exit(2);
    }
  }
}

inline void parse_command_line(command_line& c, int argc, char** argv, const char* usage) {
  parse_command_line(c, argc, argv, usage, [](std::string_view, int&) { return false; });
}

// The common case, `--size N` and --smoke alone: {size, reps}.
inline std::pair<std::size_t, int> size_and_reps(int argc, char** argv, std::size_t size, int reps,
                                                 const char* usage = "[--size MiB] [--smoke]") {
  command_line c{size, reps};
  parse_command_line(c, argc, argv, usage);
  return {c.size, c.reps};
}

}  // namespace bench

#endif  // MAILWIRE_BENCHMARKS_BENCH_UTIL_HPP
