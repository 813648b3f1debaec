// mailwire-demo: what the library can do so far, with no network.
//
// It plays a peer that sends a pipelined burst split into awkward packets,
// including an SMTP smuggling attempt, reads it with the line reader, and
// streams a MIME base64 attachment through the decoder 7 bytes at a time.
#include <mailwire/fmt.hpp>
#include <mailwire/mailwire.hpp>

#include <fmt/format.h>

#include <string>
#include <string_view>
#include <system_error>
#include <vector>

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

}  // namespace

int main() {
  fmt::print("mailwire {} — Sans-I/O email wire formats\n\n", mailwire::version.string);
  lines_demo();
  base64_demo();
  sasl_demo();
  const std::error_code ec = mailwire::errc::line_too_long;
  fmt::print("errors are std::error_code values: {}: {}\n", ec.category().name(), ec.message());
  return 0;
}
