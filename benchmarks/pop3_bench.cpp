// The POP3 machines in memory (no sockets), next to memcpy of the same
// bytes in the same run:
//  - RETR of one large message (100 MB, every third line starting with
//    "."): through pop3::server (send_message in 64 KiB pieces, its output
//    taken as it comes) and through pop3::client (the server's stuffed
//    answer fed in 64 KiB packets, chunk events out). MB/s count the
//    message's bytes;
//  - a session listing (UIDL) and fetching 10,000 small messages,
//    pipelined: the client and server machines against each other, then
//    each alone on the bytes the other sent in that session. MB/s count
//    the messages' bytes;
// then the bytes an idle session costs, server and client, after the
// greeting and CAPA (heap counted by a global operator new hook).
//
//   mailwire-bench-pop3 [--size MB] [--messages N] [--smoke]
#include <mailwire/core/cpu.hpp>
#include <mailwire/pop3/client.hpp>
#include <mailwire/pop3/server.hpp>

#include "bench_heap.hpp"
#include "bench_idle.hpp"
#include "bench_util.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {
namespace pop3 = mailwire::pop3;
using sk = pop3::server_event_type;
using ck = pop3::client_event_type;

constexpr std::size_t piece = 64 * 1024;

// About `bytes` bytes of mail: 76-column lines, every third starting with
// "." (stuffed on the wire).
std::string dotted_message(std::size_t bytes, std::size_t first_dot = 0) {
  std::string m = "From: Alice <alice@example.com>\r\nTo: Bob <bob@example.org>\r\nSubject: a report\r\n\r\n";
  m.reserve(bytes + 100);
  for (std::size_t n = first_dot; m.size() < bytes; ++n) {
    if (n % 3 == 0) m += '.';
    m += "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod te\r\n";
  }
  return m;
}

pop3::server_options server_opts() {
  pop3::server_options o;
  o.allow_plaintext_auth = true;  // USER/PASS without TLS: no TLS in memory
  return o;
}

// The client as it comes (RETR content read leniently: bare line ends
// repaired, NUL passed), or `strict` (dot_options{}: both refused).
pop3::client_options client_opts(bool strict = false) {
  pop3::client_options o;
  if (strict) o.message = mailwire::dot_options{};
  o.tls = mailwire::tls_policy::none;
  o.method = pop3::login::user_pass;
  o.username = "alice";
  o.password = "secret";
  o.auth_policy.allow_cleartext_password = true;
  return o;
}

std::vector<pop3::message_info> listing_of(const std::vector<std::string>& messages) {
  std::vector<pop3::message_info> l;
  l.reserve(messages.size());
  for (std::size_t i = 0; i < messages.size(); ++i) l.push_back({messages[i].size(), "uid-" + std::to_string(i + 1)});
  return l;
}

// Answers a server's events from `messages` (message n is messages[n-1]),
// giving each in pieces of `piece_size`. Returns false on closed.
struct maildrop_app {
  const std::vector<std::string>& messages;
  std::size_t piece_size;
  std::string_view sending;
  std::size_t sent = 0;
  bool ended = false;  // a message was ended

  bool answer(pop3::server& s, const pop3::server_event& e) {
    switch (e.type) {
      case sk::login: (void)s.accept(); break;
      case sk::open_maildrop: (void)s.open_maildrop(listing_of(messages)); break;
      case sk::retrieve:
        sending = messages[e.message - 1];
        sent = 0;
        break;
      case sk::paused:
        if (sent < sending.size()) {
          const std::size_t n = (std::min)(piece_size, sending.size() - sent);
          (void)s.send_message(sending.substr(sent, n));
          sent += n;
        } else {
          (void)s.end_message();
          ended = true;
        }
        break;
      case sk::update: (void)s.accept(); break;
      case sk::closed: return false;
      default: break;
    }
    return true;
  }
};

// The server answering a client's recorded bytes (64 KiB reads), its
// output taken as it comes. Returns the bytes it wrote; `answer`, when
// given, receives its answer to the first RETR.
std::uint64_t serve(std::string_view from_client, const std::vector<std::string>& messages,
                    std::string* answer = nullptr) {
  pop3::server s(server_opts());
  maildrop_app app{messages, piece, {}, 0, false};
  std::uint64_t written = 0;
  std::string wire;  // all of it, when the answer is wanted
  std::uint64_t start = 0;
  std::uint64_t end = 0;
  const auto take_output = [&] {
    const std::string_view out = s.pending_output();
    if (answer != nullptr) wire.append(out);
    written += out.size();
    s.consume_output(out.size());
  };
  for (;;) {
    from_client.remove_prefix(s.feed(from_client.substr(0, piece)));
    for (pop3::server_event e = s.next(); e.type != sk::need_more && e.type != sk::write_output; e = s.next()) {
      if (e.type == sk::retrieve && end == 0) start = written + s.pending_output().size();
      if (!app.answer(s, e)) {
        take_output();
        if (answer != nullptr) *answer = wire.substr(start, end - start);
        return written;
      }
      if (app.ended && end == 0) end = written + s.pending_output().size();
    }
    take_output();
  }
}

// Drives `c` until it needs input or output written; `on` sees each event.
template <class On>
void drain(pop3::client& c, On&& on) {
  for (pop3::client_event e = c.next(); e.type != ck::need_more && e.type != ck::write_output; e = c.next()) {
    if (!on(e)) return;
  }
}

// The client fed the server's bytes in the packets they came in, its output
// written before each. At ready it asks what `start` asks. Returns the
// message bytes delivered (chunk events) and counts replies to RETR.
template <class Start>
std::uint64_t fetch(const std::vector<std::string_view>& packets, Start&& start, std::size_t& retrieved,
                    bool strict = false) {
  pop3::client c(client_opts(strict));
  std::uint64_t delivered = 0;
  retrieved = 0;
  bool closed = false;
  const auto on = [&](const pop3::client_event& e) {
    if (e.type == ck::ready) start(c);
    if (e.type == ck::chunk) delivered += e.bytes.size();
    if (e.type == ck::reply && e.command == pop3::verb::retr) ++retrieved;
    if (e.type == ck::closed) closed = true;
    return !closed;
  };
  for (std::string_view p : packets) {
    c.consume_output(c.pending_output().size());
    while (!p.empty() && !closed) {
      // At most 64 KiB a read, as the transport would deliver them.
      p.remove_prefix(c.feed(p.substr(0, piece)));
      drain(c, on);
    }
  }
  return delivered;
}

// The setup a server answers before the commands: greeting, CAPA, USER,
// PASS, CAPA after login (what pop3::server says, in short).
std::vector<std::string_view> setup_packets() {
  return {"+OK POP3 server ready\r\n", "+OK Capability list follows\r\nTOP\r\nUSER\r\nPIPELINING\r\nUIDL\r\n.\r\n",
          "+OK Send your password\r\n", "+OK Logged in\r\n",
          "+OK Capability list follows\r\nTOP\r\nUSER\r\nPIPELINING\r\nUIDL\r\n.\r\n"};
}

// The client against the server, fetching every message pipelined (UIDL,
// RETR 1..n, QUIT). Records what each side sent: the client's bytes as one
// stream, the server's as the packets the client took.
struct recording {
  std::string to_server;
  std::vector<std::string> to_client;
};

std::uint64_t pair_session(const std::vector<std::string>& messages, std::size_t& retrieved, recording* rec) {
  pop3::server s(server_opts());
  pop3::client c(client_opts());
  maildrop_app app{messages, piece, {}, 0, false};
  std::uint64_t delivered = 0;
  retrieved = 0;
  const auto on = [&](const pop3::client_event& e) {
    if (e.type == ck::ready) {
      (void)c.uidl();
      for (std::size_t i = 1; i <= messages.size(); ++i) (void)c.retr(static_cast<std::uint32_t>(i));
      (void)c.quit();
    }
    if (e.type == ck::chunk) delivered += e.bytes.size();
    if (e.type == ck::reply && e.command == pop3::verb::retr) ++retrieved;
    return e.type != ck::closed;
  };
  while (!(c.closed() && s.closed() && s.pending_output().empty())) {
    drain(c, on);
    for (pop3::server_event e = s.next(); e.type != sk::need_more && e.type != sk::write_output; e = s.next()) {
      if (!app.answer(s, e)) break;
    }
    const std::string_view up = c.pending_output();
    const std::size_t n = s.feed(up);
    if (rec != nullptr) rec->to_server.append(up.substr(0, n));
    c.consume_output(n);
    const std::string_view down = s.pending_output();
    const std::size_t m = c.feed(down.substr(0, piece));
    if (rec != nullptr && m != 0) rec->to_client.emplace_back(down.substr(0, m));
    s.consume_output(m);
  }
  return delivered;
}

// Runs `c` on `in` and writes its output.
void client_reads(pop3::client& c, std::string_view in) {
  c.feed(in);
  drain(c, [](const pop3::client_event&) { return true; });
  c.consume_output(c.pending_output().size());
}

void idle_sessions() {
  const long long buffers = bench::two_buffers("CAPA\r\n", "+OK POP3 server ready\r\n");
  // Server: constructed (greeting queued), greeting written, CAPA read and
  // answered, answer written.
  {
    const long long base = bench::heap::live.load();
    auto* s = new pop3::server();
    const long long constructed = bench::heap_since(base);
    s->consume_output(s->pending_output().size());
    s->feed("CAPA\r\n");
    const long long fed = bench::heap_since(base);
    for (auto t = s->next().type; t != sk::need_more && t != sk::write_output; t = s->next().type) {
    }
    s->consume_output(s->pending_output().size());
    const long long total = bench::heap_since(base);
    const long long object = static_cast<long long>(sizeof(pop3::server));
    fmt::print("\nidle server session after greeting and CAPA: {} bytes (object {} + heap {}); beyond its two "
               "buffers ({}): {}\n",
               total, object, total - object, buffers, total - buffers);
    fmt::print("  object: server_options copy {}, recv_buffer {}, output_queue {}, line_reader {}, dot_writer {}, "
               "the rest (listing, deletion marks, user, strike counters, state) {}\n",
               sizeof(pop3::server_options), sizeof(mailwire::recv_buffer), sizeof(mailwire::output_queue),
               sizeof(mailwire::line_reader), sizeof(mailwire::dot_writer),
               sizeof(pop3::server) - sizeof(pop3::server_options) - sizeof(mailwire::recv_buffer) -
                   sizeof(mailwire::output_queue) - sizeof(mailwire::line_reader) - sizeof(mailwire::dot_writer));
    fmt::print("  heap: at construction {} (output buffer with the greeting, the greeting option's string), receive "
               "buffer {}, answering CAPA {}\n",
               constructed - object, fed - constructed, total - fed);
    delete s;
  }
  // Client: constructed, greeting read (CAPA written), CAPA answer read
  // (USER written); then logged in and idle.
  {
    const long long base = bench::heap::live.load();
    auto* c = new pop3::client(client_opts());
    const long long constructed = bench::heap_since(base);
    client_reads(*c, "+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n");
    const long long greeted = bench::heap_since(base);
    client_reads(*c, "+OK Capability list follows\r\nTOP\r\nUSER\r\nSASL PLAIN SCRAM-SHA-256\r\nRESP-CODES\r\n"
                     "PIPELINING\r\nUIDL\r\nIMPLEMENTATION mailwire\r\n.\r\n");
    const long long total = bench::heap_since(base);
    const long long object = static_cast<long long>(sizeof(pop3::client));
    fmt::print("idle client session after greeting and CAPA: {} bytes (object {} + heap {}); beyond its two buffers: "
               "{}\n",
               total, object, total - object, total - buffers);
    fmt::print("  object: capabilities {}, recv_buffer {}, output_queue {}, line_reader {}, dot_reader {}, the rest "
               "(three fifos, greeting timestamp, language, strings of the response being read, state) {}\n",
               sizeof(pop3::capabilities), sizeof(mailwire::recv_buffer), sizeof(mailwire::output_queue),
               sizeof(mailwire::line_reader), sizeof(mailwire::dot_reader),
               sizeof(pop3::client) - sizeof(pop3::capabilities) - sizeof(mailwire::recv_buffer) -
                   sizeof(mailwire::output_queue) - sizeof(mailwire::line_reader) - sizeof(mailwire::dot_reader));
    fmt::print("  heap: at construction {} (the credentials, kept until login, the SASL engine ({} bytes) only during "
               "the exchange; the greeting awaited), greeting {} (the buffers, the APOP timestamp, CAPA awaited), CAPA {} "
               "(capabilities' strings, USER awaited)\n",
               constructed - object, sizeof(mailwire::sasl::client), greeted - constructed, total - greeted);
    for (const char* in : {"+OK\r\n", "+OK Logged in\r\n", "+OK\r\nTOP\r\nUSER\r\nPIPELINING\r\nUIDL\r\n.\r\n"}) {
      client_reads(*c, in);
    }
    const long long ready = bench::heap_since(base);
    fmt::print("idle client session logged in (credentials dropped): {} bytes (object {} + heap {}); beyond its two "
               "buffers: {}\n",
               ready, object, ready - object, ready - buffers);
    delete c;
  }
}
}  // namespace

int main(int argc, char** argv) {
  bench::command_line cl{100, 5, 1, "--size"};
  std::size_t message_count = 10000;
  bench::parse_command_line(cl, argc, argv, "[--size MB] [--messages N] [--smoke]", [&](std::string_view a, int& i) {
    if (a != "--messages" || i + 1 >= argc) return false;
    message_count = static_cast<std::size_t>(std::strtoul(argv[++i], nullptr, 10));
    return true;
  });
  if (cl.smoke) message_count = 100;
  const int reps = cl.reps;
  bench::heap::counting = false;

  // --- RETR of one large message -----------------------------------------
  const std::vector<std::string> big{dotted_message(cl.size * 1000000)};
  const std::string_view body = big[0];
  const std::string retr_session = "USER alice\r\nPASS secret\r\nRETR 1\r\nQUIT\r\n";
  std::string answer;  // the server's answer to RETR 1: "+OK", stuffed lines, "."
  serve(retr_session, big, &answer);
  const double t_server = bench::best_seconds(reps, [&] { return serve(retr_session, big); });

  std::vector<std::string_view> packets = setup_packets();
  for (std::size_t at = 0; at < answer.size(); at += piece) packets.push_back(std::string_view(answer).substr(at, piece));
  packets.emplace_back("+OK bye\r\n");
  std::size_t retrieved = 0;
  std::uint64_t delivered = 0;
  const auto ask_retr = [](pop3::client& c) {
    (void)c.retr(1);
    (void)c.quit();
  };
  const double t_client = bench::best_seconds(reps, [&] { return delivered = fetch(packets, ask_retr, retrieved); });
  std::uint64_t delivered_strict = 0;
  const double t_client_strict =
      bench::best_seconds(reps, [&] { return delivered_strict = fetch(packets, ask_retr, retrieved, true); });
  if (delivered != body.size() || delivered_strict != body.size() || retrieved != 1) {
    fmt::print(stderr, "self-check failed: RETR delivered {} of {} bytes\n", delivered, body.size());
    return 1;
  }
  // The same three forced scalar (the dot_writer and line-rule kernels
  // off), in the same run.
  mailwire::cpu::force_scalar(true);
  const double t_server_scalar = bench::best_seconds(reps, [&] { return serve(retr_session, big); });
  const double t_client_scalar = bench::best_seconds(reps, [&] { return fetch(packets, ask_retr, retrieved); });
  const double t_client_strict_scalar =
      bench::best_seconds(reps, [&] { return fetch(packets, ask_retr, retrieved, true); });
  mailwire::cpu::force_scalar(false);
  std::string copy(body.size(), '\0');
  const double t_copy = bench::best_seconds(reps, [&] { std::memcpy(&copy[0], body.data(), body.size()); });
  const double bytes = static_cast<double>(body.size());
  const std::string level = std::string(", ") + mailwire::cpu::best_name();
  fmt::print("POP3 RETR of one {:.0f} MB message (1 line in 3 dot-stuffed, {:.0f} MB on the wire), 64 KiB pieces, "
             "best of {}\n",
             bytes / 1e6, static_cast<double>(answer.size()) / 1e6, reps);
  bench::print_rows({{"memcpy (same bytes)", bytes / t_copy / 1e6},
                     {"server: send_message -> pending_output" + level, bytes / t_server / 1e6},
                     {"server: send_message, scalar", bytes / t_server_scalar / 1e6},
                     {"client: feed -> chunk events" + level, bytes / t_client / 1e6},
                     {"client: feed -> chunk events, scalar", bytes / t_client_scalar / 1e6},
                     {"client, strict line rules" + level, bytes / t_client_strict / 1e6},
                     {"client, strict line rules, scalar", bytes / t_client_strict_scalar / 1e6}},
                    48, "direction");

  // --- a session fetching many small messages ------------------------------
  std::vector<std::string> messages;
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < message_count; ++i) {
    messages.push_back(dotted_message(600 + (i * 7919) % 2400, i));
    total += messages.back().size();
  }
  recording rec;
  pair_session(messages, retrieved, &rec);
  if (retrieved != message_count) {
    fmt::print(stderr, "self-check failed: {} of {} messages\n", retrieved, message_count);
    return 1;
  }
  std::uint64_t got = 0;
  const double t_pair = bench::best_seconds(reps, [&] { return got = pair_session(messages, retrieved, nullptr); });
  const double t_alone_server = bench::best_seconds(reps, [&] { return serve(rec.to_server, messages); });
  std::vector<std::string_view> recorded(rec.to_client.begin(), rec.to_client.end());
  std::uint64_t got_alone = 0;
  const auto ask_all = [&](pop3::client& c) {
    (void)c.uidl();
    for (std::size_t i = 1; i <= message_count; ++i) (void)c.retr(static_cast<std::uint32_t>(i));
    (void)c.quit();
  };
  const double t_alone_client = bench::best_seconds(reps, [&] { return got_alone = fetch(recorded, ask_all, retrieved); });
  std::uint64_t got_strict = 0;
  const double t_alone_strict =
      bench::best_seconds(reps, [&] { return got_strict = fetch(recorded, ask_all, retrieved, true); });
  if (got != total || got_alone != total || got_strict != total || retrieved != message_count) {
    fmt::print(stderr, "self-check failed: {} / {} / {} of {} bytes\n", got, got_alone, got_strict, total);
    return 1;
  }
  std::string all;
  for (const std::string& m : messages) all += m;
  std::string all_copy(all.size(), '\0');
  const double t_all_copy = bench::best_seconds(reps, [&] { std::memcpy(&all_copy[0], all.data(), all.size()); });
  std::uint64_t down = 0;
  for (const std::string& p : rec.to_client) down += p.size();
  const double mb = static_cast<double>(total) / 1e6;
  const double n = static_cast<double>(message_count);
  fmt::print("\nPOP3 session: UIDL then RETR of {} messages (600-3000 bytes, 1 line in 3 stuffed), pipelined, "
             "{:.1f} MB of messages ({:.1f} MB down, {:.2f} MB up), best of {}\n",
             message_count, mb, static_cast<double>(down) / 1e6, static_cast<double>(rec.to_server.size()) / 1e6, reps);
  fmt::print("  {:<40} {:>10} {:>12} {:>12}\n", "", "MB/s", "messages/s", "vs memcpy");
  fmt::print("  {:<40} {:>10.0f} {:>12} {:>12}\n", "memcpy (the messages' bytes)", mb / t_all_copy, "", "1.000x");
  const std::pair<const char*, double> rows[] = {{"client and server machines together", t_pair},
                                                 {"server alone (recorded commands)", t_alone_server},
                                                 {"client alone (recorded answers)", t_alone_client},
                                                 {"client alone, strict line rules", t_alone_strict}};
  for (const auto& [name, t] : rows) {
    fmt::print("  {:<40} {:>10.0f} {:>12.0f} {:>11.3f}x\n", name, mb / t, n / t, t_all_copy / t);
  }

  // --- idle sessions ----------------------------------------------------------
  bench::heap::counting = true;
  idle_sessions();
  return 0;
}
