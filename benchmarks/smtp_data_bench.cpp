// The SMTP DATA path: a 100 MB body with many dot-stuffed lines through the
// client's data_writer (stuffing) and the server's data_reader
// (unstuffing, smuggling checks), next to memcpy of the same bytes in the
// same run. Both directions stream through bounded buffers, as a session
// would.
//
//   mailwire-bench-smtp-data [--size MB] [--smoke]
#include <mailwire/smtp/data.hpp>

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

namespace {
namespace smtp = mailwire::smtp;

}  // namespace

int main(int argc, char** argv) {
  std::size_t mb = 100;
  int reps = 5;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--smoke") {
      mb = 1;
      reps = 1;
    } else if (a == "--size" && i + 1 < argc) {
      mb = static_cast<std::size_t>(std::strtoul(argv[++i], nullptr, 10));
    } else {
      fmt::print(stderr, "usage: {} [--size MB] [--smoke]\n", argv[0]);
      return 2;
    }
  }
  // A mail-like body: 76-column lines, one in eight starting with a dot.
  std::string body;
  body.reserve(mb * 1000000 + 100);
  for (std::size_t n = 0; body.size() < mb * 1000000; ++n) {
    if (n % 8 == 0) body += '.';
    body += "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod te\r\n";
  }

  // Client direction: the writer stuffs into an output queue the session
  // drains as it goes (64 KiB pieces in, everything consumed after each).
  std::string wire;
  const double t_write = bench::best_seconds(reps, [&] {
    mailwire::output_queue out;
    smtp::data_writer w;
    wire.clear();
    for (std::size_t at = 0; at < body.size(); at += 65536) {
      (void)w.write(std::string_view(body).substr(at, 65536), out);
      wire.append(out.pending());
      out.consume(out.size());
    }
    w.finish(out);
    wire.append(out.pending());
  });

  // Server direction: 64 KiB reads into the receive buffer, chunks out.
  std::uint64_t delivered = 0;
  const double t_read = bench::best_seconds(reps, [&] {
    mailwire::recv_buffer in(256 * 1024);
    smtp::data_reader r;
    delivered = 0;
    std::string_view rest = wire;
    bool done = false;
    while (!done) {
      rest.remove_prefix(in.feed(rest.substr(0, 65536)));
      for (;;) {
        const smtp::data_event e = r.next(in);
        if (e.what == smtp::data_event::kind::need_more) break;
        if (e.what == smtp::data_event::kind::chunk) delivered += e.bytes.size();
        if (e.what == smtp::data_event::kind::end) done = true;
      }
    }
  });
  if (delivered != body.size()) {
    fmt::print(stderr, "self-check failed: {} of {} bytes\n", delivered, body.size());
    return 1;
  }

  std::string copy(body.size(), '\0');
  const double t_copy = bench::best_seconds(reps, [&] { std::memcpy(&copy[0], body.data(), body.size()); });

  const double bytes = static_cast<double>(body.size());
  const double ref = bytes / t_copy / 1e6;
  fmt::print("SMTP DATA path, {:.0f} MB body (1 line in 8 dot-stuffed), best of {}\n", bytes / 1e6, reps);
  fmt::print("  {:<44} {:>10} {:>12}\n", "stage", "MB/s", "vs memcpy");
  for (const auto& [name, t] : {std::pair<const char*, double>{"memcpy (same bytes)", t_copy},
                                {"client: data_writer (stuff, repair line ends)", t_write},
                                {"server: data_reader (unstuff, smuggling checks)", t_read}}) {
    fmt::print("  {:<44} {:>10.0f} {:>11.3f}x\n", name, bytes / t / 1e6, bytes / t / 1e6 / ref);
  }
  return 0;
}
