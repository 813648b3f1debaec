// mailwire-demo: what the library can do so far, with no network.
//
// It plays a peer that sends a pipelined burst split into awkward packets,
// including an SMTP smuggling attempt, reads it with the line reader, and
// streams a MIME base64 attachment through the decoder 7 bytes at a time.
#include <mailwire/fmt.hpp>
#include <mailwire/mailwire.hpp>

#include <fmt/format.h>

#include <cstdio>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "support/cli.hpp"

namespace {

std::string visible(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\r') out += "\\r";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

void lines_demo() {
  fmt::print("-- line reader: a pipelined burst, in packets cut anywhere --\n");
  const std::vector<std::string_view> packets = {
      "EHLO client.exa", "mple\r\nMAIL FROM:<alice@example.org>\r\nRCPT TO:<bo",
      "b@example.net>\r\nDATA\r\nSubject: hi\r\n\r\nhello\n.\nMAIL FROM:<mallory@evil>\r\n",
      ".\r\nQUIT\r\n"};
  mailwire::recv_buffer in(mailwire::limits::max_buffered);
  mailwire::line_reader reader({mailwire::limits::smtp_command_line});
  for (std::string_view packet : packets) {
    fmt::print("packet \"{}\"\n", visible(packet));
    while (!packet.empty()) {
      packet.remove_prefix(in.feed(packet));
      for (;;) {
        const mailwire::line_result r = reader.next(in);
        if (r.state == mailwire::line_result::status::need_more) break;
        if (r.state == mailwire::line_result::status::line) {
          fmt::print("  line   @{:<4} \"{}\"\n", r.offset, r.text);
        } else {
          fmt::print("  REFUSE @{:<4} {} ({:n})\n", r.offset, r.error, r.error);
        }
      }
    }
  }
  fmt::print("The bare-LF \"\\n.\\n\" never ends the data: no smuggled MAIL FROM.\n\n");
}

void base64_demo() {
  fmt::print("-- base64: a 76-column MIME body streamed 7 bytes at a time --\n");
  std::string attachment;
  for (int i = 0; i < 40; ++i) attachment += fmt::format("line {} of a text attachment\n", i);
  const std::string body = mailwire::base64::encode(attachment, 76);
  fmt::print("encoded {} bytes into {} ({} lines of 76)\n", attachment.size(), body.size(),
             (body.size() + 2) / 78);

  mailwire::base64::decoder dec(mailwire::base64::mode::mime);
  std::string out;
  char buf[mailwire::base64::decoded_size_max(7)];
  for (std::size_t at = 0; at < body.size(); at += 7) {
    const auto r = dec.update(std::string_view(body).substr(at, 7), buf);
    out.append(buf, r.written);
  }
  const auto end = dec.finish(buf);
  out.append(buf, end.written);
  fmt::print("decoded {} bytes, identical: {}\n", out.size(), out == attachment);

  std::string sasl;
  for (std::string_view challenge : {"dXNlcgBwYXNz", "Zm9v\r\nYmFy", "Zh=="}) {
    const auto r = mailwire::base64::decode(challenge, sasl, mailwire::base64::mode::strict);
    if (r) {
      fmt::print("strict \"{}\" -> {} bytes\n", visible(challenge), sasl.size());
    } else {
      fmt::print("strict \"{}\" -> refused at offset {}: {}\n", visible(challenge), r.error_offset, r.error);
    }
  }
  fmt::print("\n");
}

// Both ends of a SCRAM-SHA-256 login in memory, framed the way SMTP AUTH
// frames it, with the server holding only derived keys, never the password.
void sasl_demo() {
  namespace sasl = mailwire::sasl;
  fmt::print("-- SASL: choosing a mechanism, then SCRAM-SHA-256 both ways --\n");
  const auto offered = sasl::mechanism_set::parse("PLAIN LOGIN CRAM-MD5 SCRAM-SHA-256");
  sasl::client_policy cleartext;  // no TLS yet
  cleartext.have_nonce = true;     // SCRAM's nonce: below, from the caller's random source
  fmt::print("server offers PLAIN LOGIN CRAM-MD5 SCRAM-SHA-256; without TLS we pick {}\n",
             sasl::to_string(*sasl::choose(offered, cleartext)));
  const auto weak = sasl::mechanism_set::parse("PLAIN LOGIN");
  fmt::print("a server offering only PLAIN LOGIN gets: {}\n\n",
             sasl::choose(weak, cleartext) ? "a password in clear" : "nothing: no password without TLS");

  sasl::client_credentials cred;
  cred.username = "alice";
  cred.password = "correct horse battery staple";
  cred.nonce = "rOprNGfwEbeRWgbNEkqO";  // from the caller's random source
  sasl::server_options so;
  so.nonce = "hvYDpWUa2RaTCAfuxFIlj";
  sasl::scram_keys stored;  // what the server's user database holds
  if (sasl::make_scram_keys(sasl::mechanism::scram_sha_256, cred.password, "per-user-salt", 4096, stored) !=
      mailwire::errc::ok) {
    return;
  }

  sasl::client client(sasl::mechanism::scram_sha_256, cred);
  sasl::server server(sasl::mechanism::scram_sha_256, so);
  auto c = client.start();
  fmt::print("C: AUTH SCRAM-SHA-256 {}\n", mailwire::base64::encode(c.response));
  auto s = server.start(c.response);
  for (;;) {
    if (s.state == sasl::server_step::status::check) {
      fmt::print("   (server application: keys for user \"{}\" please)\n", server.request().username);
      s = server.provide_scram(stored);
    } else if (s.state == sasl::server_step::status::challenge) {
      fmt::print("S: 334 {}\n", mailwire::base64::encode(s.data));
      c = client.challenge(s.data);
      fmt::print("C: {}\n", mailwire::base64::encode(c.response));
      s = server.respond(c.response);
    } else {
      break;
    }
  }
  if (s.state == sasl::server_step::status::success) {
    fmt::print("S: 334 {}\n", mailwire::base64::encode(s.data));
    client.challenge(s.data);  // checks the server's signature
    fmt::print("C: \nS: 235 2.7.0 Authentication successful\n");
    fmt::print("client: {}\n\n", client.success().state == sasl::client_step::status::done
                                       ? "done, and the server proved it knows the password"
                                       : "FAILED");
  } else {
    fmt::print("S: 535 {}\n\n", s.error);
  }
}

// An SMTP client and server machine talking in memory, no sockets: the
// client pipelines, the server refuses a smuggling attempt inside DATA and
// accepts the next message.
void smtp_demo() {
  namespace smtp = mailwire::smtp;
  fmt::print("-- SMTP: client and server machines talking in memory --\n");
  smtp::client client;
  smtp::server_options so;
  so.chunking = false;  // DATA, to show the dot-stuffing (with CHUNKING the client sends BDAT)
  smtp::server server(so);
  const std::string bodies[] = {"Subject: hi\r\n\r\nhello\n.\r\nMAIL FROM:<mallory@evil.example>\r\n",
                                "Subject: hi\r\n\r\n.a line starting with a dot\r\n"};
  std::size_t sent = 0;
  auto show = [](const char* who, std::string_view bytes) {
    while (!bytes.empty()) {
      const std::size_t end = bytes.find("\r\n");
      fmt::print("{}: {}\n", who, visible(bytes.substr(0, end)));
      bytes.remove_prefix(end == std::string_view::npos ? bytes.size() : end + 2);
    }
  };
  for (int round = 0; round < 50 && !client.closed(); ++round) {
    const std::string s_out(server.pending_output());
    server.consume_output(s_out.size());
    if (!s_out.empty()) show("S", s_out);
    client.feed(s_out);
    for (auto e = client.next(); e.type != smtp::client_event_type::need_more && e.type != smtp::client_event_type::write_output; e = client.next()) {
      using k = smtp::client_event_type;
      if (e.type == k::closed) break;
      if (e.type == k::ready || (e.type == k::message && ++sent < 2)) {
        if (e.type == k::message) fmt::print("   (client: message 1 -> {} {})\n", e.code, e.text);
        client.mail(smtp::path::mailbox("alice", "example.com"));
        client.rcpt(smtp::path::mailbox("bob", "example.org"));
        client.data();
      } else if (e.type == k::message) {
        fmt::print("   (client: message 2 -> {} {})\n", e.code, e.text);
        client.quit();
      } else if (e.type == k::body) {
        client.write_body(bodies[sent]);
        client.end_body();
      }
    }
    const std::string c_out(client.pending_output());
    client.consume_output(c_out.size());
    if (!c_out.empty()) show("C", c_out);
    server.feed(c_out);
    for (auto e = server.next(); e.type != smtp::server_event_type::need_more && e.type != smtp::server_event_type::write_output; e = server.next()) {
      using k = smtp::server_event_type;
      if (e.type == k::paused) break;
      if (e.type == k::mail || e.type == k::rcpt) server.accept();
      if (e.type == k::message && e.error == mailwire::errc::ok) server.accept();
      if (e.type == k::closed) break;
    }
  }
  fmt::print("The client repaired the bare LF and stuffed the dot, so message 1 arrived\n"
             "whole; a raw \"\\n.\\r\\n\" from a hostile client would have been refused.\n\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1) {
    mailwire_example::version_option(argv[1], argv[0]);
    const bool help = argc == 2 && (std::string_view(argv[1]) == "--help" || std::string_view(argv[1]) == "-h");
    std::fputs("usage: mailwire-demo\n"
               "       mailwire-demo --help | --version\n",
               help ? stdout : stderr);
    if (!help) return 2;
    std::fputs("\n"
               "Shows what the library does, with no network and no files: a pipelined burst\n"
               "with an SMTP smuggling attempt read by the line reader, a base64 attachment\n"
               "streamed through the decoder 7 bytes at a time, a SASL exchange, and an SMTP\n"
               "client and server talking to each other in memory.\n"
               "\n"
               "Exit status: 0 after the demo; 2 for a usage error (any argument).\n",
               stdout);
    return 0;
  }
  fmt::print("mailwire {} — Sans-I/O email wire formats\n\n", mailwire::version.string);
  lines_demo();
  base64_demo();
  sasl_demo();
  smtp_demo();
  const std::error_code ec = mailwire::errc::line_too_long;
  fmt::print("errors are std::error_code values: {}: {}\n", ec.category().name(), ec.message());
  return 0;
}
