// The SMTP server machine on a recorded pipelined session of 10,000
// transactions, fed from memory in 64 KiB reads (no sockets): MB/s and
// transactions/s, next to memcpy of the same bytes in the same run. Then
// the memory an idle session costs, client and server, counted by a global
// operator new hook.
//
//   mailwire-bench-smtp-session [--transactions N] [--smoke]
#include <mailwire/smtp/client.hpp>
#include <mailwire/smtp/server.hpp>

#include "bench_heap.hpp"
#include "bench_util.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

namespace {
namespace smtp = mailwire::smtp;

std::string recorded_session(std::size_t transactions) {
  std::string s = "EHLO client.example.org\r\n";
  const std::string body =
      "From: Alice <alice@example.com>\r\nTo: Bob <bob@example.org>\r\nSubject: a report\r\n"
      "Message-ID: <1234@example.com>\r\n\r\n" +
      [] {
        std::string b;
        for (int i = 0; i < 12; ++i) b += (i % 4 == 0 ? ".." : "") + std::string(70, 'x') + "\r\n";
        return b;
      }();
  for (std::size_t t = 0; t < transactions; ++t) {
    s += "MAIL FROM:<alice@example.com> SIZE=1024 BODY=8BITMIME\r\nRCPT TO:<bob@example.org>\r\n"
         "RCPT TO:<carol@example.org>\r\nDATA\r\n";
    s += body;
    s += ".\r\n";
  }
  return s + "QUIT\r\n";
}

// One run: returns the number of messages accepted.
std::size_t serve(const std::string& session, std::uint64_t& delivered) {
  smtp::server s;
  std::size_t messages = 0;
  delivered = 0;
  std::string_view rest = session;
  bool closed = false;
  while (!closed) {
    rest.remove_prefix(s.feed(rest.substr(0, 65536)));
    for (auto e = s.next(); e.type != smtp::server_event_type::need_more && e.type != smtp::server_event_type::write_output; e = s.next()) {
      using k = smtp::server_event_type;
      if (e.type == k::mail || e.type == k::rcpt) (void)s.accept();
      if (e.type == k::data_chunk) delivered += e.bytes.size();
      if (e.type == k::message) {
        ++messages;
        (void)s.accept();
      }
      if (e.type == k::closed) {
        closed = true;
        break;
      }
    }
    s.consume_output(s.pending_output().size());  // the "socket" takes every reply
  }
  return messages;
}
}  // namespace

int main(int argc, char** argv) {
  bench::command_line cl{10000, 7, 100, "--transactions"};
  bench::parse_command_line(cl, argc, argv, "[--transactions N] [--smoke]");
  const std::size_t transactions = cl.size;
  const int reps = cl.reps;
  const std::string session = recorded_session(transactions);
  std::uint64_t delivered = 0;
  std::size_t accepted = 0;
  const double best = bench::best_seconds(reps, [&] { accepted = serve(session, delivered); });
  if (accepted != transactions) {
    fmt::print(stderr, "self-check failed: {} of {} messages\n", accepted, transactions);
    return 1;
  }
  std::string copy(session.size(), '\0');
  const double best_copy = bench::best_seconds(reps, [&] { std::memcpy(&copy[0], session.data(), session.size()); });
  const double mb = static_cast<double>(session.size()) / 1e6;
  fmt::print("SMTP server machine, recorded pipelined session: {} transactions (2 RCPT each), {:.1f} MB, best of {}\n",
             transactions, mb, reps);
  fmt::print("  {:<34} {:>10} {:>14} {:>12}\n", "", "MB/s", "transactions/s", "vs memcpy");
  fmt::print("  {:<34} {:>10.0f} {:>14} {:>12}\n", "memcpy (same bytes)", mb / best_copy, "", "1.000x");
  fmt::print("  {:<34} {:>10.0f} {:>14.0f} {:>11.3f}x\n", "smtp::server (events answered)", mb / best,
             static_cast<double>(transactions) / best, best_copy / best);

  // Idle sessions: constructed, greeted, EHLO answered, output written.
  const long long before_server = bench::heap::live.load();
  {
    auto* s = new smtp::server();
    s->feed("EHLO client.example.org\r\n");
    for (auto t = s->next().type; t != smtp::server_event_type::need_more && t != smtp::server_event_type::write_output; t = s->next().type) {
    }
    s->consume_output(s->pending_output().size());
    const long long server_heap = bench::heap::live.load() - before_server;
    fmt::print("\nidle server session after EHLO: {} bytes (object {} + heap {}); receive buffer limit {}\n",
               server_heap, sizeof(smtp::server), server_heap - static_cast<long long>(sizeof(smtp::server)),
               mailwire::limits::max_buffered);
    delete s;
  }
  const long long before_client = bench::heap::live.load();
  {
    auto* c = new smtp::client();
    // The greeting, then (once EHLO is written) its reply: a reply that
    // arrived before EHLO was written would be an injection.
    for (const char* in : {"220 mx.example.org ESMTP\r\n", "250-mx.example.org\r\n250-PIPELINING\r\n250 CHUNKING\r\n"}) {
      c->feed(in);
      for (auto t = c->next().type; t != smtp::client_event_type::need_more && t != smtp::client_event_type::write_output;
           t = c->next().type) {
      }
      c->consume_output(c->pending_output().size());
    }
    const long long client_heap = bench::heap::live.load() - before_client;
    fmt::print("idle client session after EHLO: {} bytes (object {} + heap {})\n", client_heap, sizeof(smtp::client),
               client_heap - static_cast<long long>(sizeof(smtp::client)));
    delete c;
  }
  return 0;
}
