// The SMTP DATA path: a 100 MB body with many dot-stuffed lines through the
// client's dot_writer (stuffing) and the server's dot_reader
// (unstuffing, smuggling checks; core/dot_stuffing.hpp), next to memcpy of the same bytes in the
// same run. Both directions stream through bounded buffers, as a session
// would.
//
//   mailwire-bench-smtp-data [--size MB] [--smoke]
#include <mailwire/core/cpu.hpp>
#include <mailwire/core/dot_stuffing.hpp>
#include <mailwire/core/utf8.hpp>

#include "bench_util.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <vector>


int main(int argc, char** argv) {
  const auto [mb, reps] = bench::size_and_reps(argc, argv, 100, 5, "[--size MB] [--smoke]");
  // A mail-like body: 76-column lines, one in eight starting with a dot.
  std::string body;
  body.reserve(mb * 1000000 + 100);
  for (std::size_t n = 0; body.size() < mb * 1000000; ++n) {
    if (n % 8 == 0) body += '.';
    body += "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod te\r\n";
  }

  // Client direction: the writer stuffs into an output queue the session
  // drains as it goes (64 KiB pieces in, everything consumed after each).
  // The output is consumed in place, as a caller writing pending_output()
  // to its socket does: the timed loop copies nothing of its own. (Until
  // this session it appended every piece to a string, a second copy of
  // 100 MB charged to the writer: 0.43x memcpy then.) The reader's input
  // is made once, untimed, by the same writer.
  std::size_t written = 0;
  const auto write_into = [&](std::string* keep) {
    mailwire::output_queue out;
    mailwire::dot_writer w;
    written = 0;
    for (std::size_t at = 0; at < body.size(); at += 65536) {
      (void)w.write(std::string_view(body).substr(at, 65536), out);
      if (keep != nullptr) keep->append(out.pending());
      written += out.size();
      out.consume(out.size());
    }
    w.finish(out);
    if (keep != nullptr) keep->append(out.pending());
    written += out.size();
  };
  const auto write_all = [&] { write_into(nullptr); };
  std::string wire;
  write_into(&wire);

  // Server direction: 64 KiB reads into the receive buffer, chunks out.
  std::uint64_t delivered = 0;
  const auto read_all = [&] {
    mailwire::recv_buffer in(256 * 1024);
    mailwire::dot_reader r;
    delivered = 0;
    std::string_view rest = wire;
    bool done = false;
    while (!done) {
      rest.remove_prefix(in.feed(rest.substr(0, 65536)));
      for (;;) {
        const mailwire::dot_event e = r.next(in);
        if (e.type == mailwire::dot_event_type::need_more) break;
        if (e.type == mailwire::dot_event_type::chunk) delivered += e.bytes.size();
        if (e.type == mailwire::dot_event_type::end) done = true;
      }
    }
  };
  // Dispatched, then forced scalar, in the same run (the writer copies
  // whole blocks with its vector kernel; the reader searches with memchr
  // either way; utf8::invalid_at uses the vector scan).
  const double t_write = bench::best_seconds(reps, write_all);
  const double t_read = bench::best_seconds(reps, read_all);
  std::size_t valid_to = 0;
  const double t_utf8 = bench::best_seconds(reps, [&] { valid_to = mailwire::utf8::invalid_at(body); });
  // The writer's AVX2 kernel too, on a machine with AVX-512.
  double t_write_avx2 = 0;
  if (mailwire::cpu::has(mailwire::cpu::avx512) && mailwire::cpu::has(mailwire::cpu::avx2)) {
    mailwire::cpu::disable(mailwire::cpu::avx512);
    t_write_avx2 = bench::best_seconds(reps, write_all);
    mailwire::cpu::disable(0);
  }
  mailwire::cpu::force_scalar(true);
  const double t_write_scalar = bench::best_seconds(reps, write_all);
  const double t_read_scalar = bench::best_seconds(reps, read_all);
  const double t_utf8_scalar = bench::best_seconds(reps, [&] { valid_to = mailwire::utf8::invalid_at(body); });
  mailwire::cpu::force_scalar(false);
  if (delivered != body.size() || valid_to != body.size() || written != wire.size()) {
    fmt::print(stderr, "self-check failed: {} of {} bytes\n", delivered, body.size());
    return 1;
  }

  std::string copy(body.size(), '\0');
  const double t_copy = bench::best_seconds(reps, [&] { std::memcpy(&copy[0], body.data(), body.size()); });

  const double bytes = static_cast<double>(body.size());
  fmt::print("SMTP DATA path, {:.0f} MB body (1 line in 8 dot-stuffed), best of {}\n", bytes / 1e6, reps);
  const std::string level = mailwire::cpu::best_name();
  std::vector<bench::result> rows = {{"memcpy (same bytes)", bytes / t_copy / 1e6},
                                                      {"client: dot_writer, " + level, bytes / t_write / 1e6}};
  if (t_write_avx2 > 0) rows.push_back({"client: dot_writer, avx2", bytes / t_write_avx2 / 1e6});
  rows.insert(rows.end(), {{"client: dot_writer, scalar", bytes / t_write_scalar / 1e6},
                           {"server: dot_reader, " + level, bytes / t_read / 1e6},
                           {"server: dot_reader, scalar", bytes / t_read_scalar / 1e6},
                           {"utf8::invalid_at (8BITMIME check), " + level, bytes / t_utf8 / 1e6},
                           {"utf8::invalid_at, scalar", bytes / t_utf8_scalar / 1e6}});
  bench::print_rows(rows, 44, "stage");
  return 0;
}
