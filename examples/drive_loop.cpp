// The loop every caller of a mailwire machine writes, shown whole in
// docs/drive-loop.md: smtp::client sends one message over a blocking POSIX
// socket, without TLS, to a server on 127.0.0.1 (usage: drive_loop PORT).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <system_error>

#include <mailwire/smtp.hpp>

namespace smtp = mailwire::smtp;

// Writes everything the machine has queued (blocking).
static bool write_pending(int fd, smtp::client& c) {
  while (!c.pending_output().empty()) {
    const ssize_t n = send(fd, c.pending_output().data(), c.pending_output().size(), MSG_NOSIGNAL);
    if (n < 0) return false;
    c.consume_output(static_cast<std::size_t>(n));
  }
  return true;
}

int main(int argc, char** argv) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(std::atoi(argc > 1 ? argv[1] : "25")));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0 || connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) return 1;
  const timeval timeout{600, 0};  // the longest wait RFC 5321 4.5.3.2 allows (for the reply to ".")
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);

  smtp::client_options options;
  options.tls = smtp::tls_policy::none;  // no TLS in this example
  smtp::client c(options);
  char buf[4096];
  std::string_view unfed;  // received but not yet taken by feed()
  bool sent = false;
  for (;;) {
    const smtp::client_event e = c.next();
    switch (e.type) {
      case smtp::client_event_type::write_output:  // output first, always
        if (!write_pending(fd, c)) return 1;
        break;
      case smtp::client_event_type::need_more:
        if (unfed.empty()) {
          const ssize_t n = recv(fd, buf, sizeof buf, 0);
          if (n < 0) return 1;     // an error, or the timeout
          if (n == 0) c.finish();  // the server closed its side
          unfed = std::string_view(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
        }
        unfed.remove_prefix(c.feed(unfed));  // it may take less: the rest after the events
        break;
      case smtp::client_event_type::ready:  // greeting and EHLO are done
        c.mail(smtp::path::mailbox("alice", "example.com"));
        c.rcpt(smtp::path::mailbox("bob", "example.org"));
        c.data();
        break;
      case smtp::client_event_type::body:
        c.write_body("Subject: hello\r\n\r\nHi Bob.\r\n");
        c.end_body();
        break;
      case smtp::client_event_type::message:
        sent = e.ok();
        c.quit();
        break;
      case smtp::client_event_type::error:
        std::fprintf(stderr, "error: %s at byte %llu\n", std::error_code(e.error).message().c_str(),
                     static_cast<unsigned long long>(e.offset));
        break;
      case smtp::client_event_type::closed:
        write_pending(fd, c);
        close(fd);
        return sent ? 0 : 1;
      default:  // starttls, authenticated, mail, rcpt, reset: nothing to do here
        break;
    }
  }
}
