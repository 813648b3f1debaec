#include "journal.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace mailwire_example {

journal::~journal() {
  if (fd_ >= 0) ::close(fd_);
}

bool journal::fail(std::string& err, const char* what) {
  err = std::string(what) + " " + path_ + ": " + std::strerror(errno);
  return false;
}

bool journal::open(const std::string& path, std::string_view owner,
                   const std::function<void(std::string_view)>& on_line, std::string& err) {
  path_ = path;
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd_ < 0) return fail(err, "open");
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      err = path + ": in use by " + std::string(owner);
      return false;
    }
    return fail(err, "flock");
  }
  std::string line;
  off_t offset = 0, complete = 0;  // complete: the end of the last whole line
  char buf[64 * 1024];
  for (;;) {
    const ssize_t n = ::pread(fd_, buf, sizeof buf, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(err, "read");
    if (n == 0) break;
    for (ssize_t i = 0; i < n; ++i) {
      if (buf[i] != '\n') {
        line += buf[i];
        continue;
      }
      if (!line.empty()) on_line(line);
      line.clear();
      complete = offset + i + 1;
    }
    offset += n;
  }
  if (complete != offset && (::ftruncate(fd_, complete) != 0 || ::fsync(fd_) != 0)) return fail(err, "truncate");
  return true;
}

bool journal::append_lines(const std::vector<std::string>& lines, std::string& err) {
  if (failed_) {
    err = path_ + ": not written since an earlier failure";
    return false;
  }
  failed_ = true;  // until this line is on disk
  std::string whole;
  for (const std::string& line : lines) {
    whole += line;
    whole += '\n';
  }
  std::string_view rest = whole;
  while (!rest.empty()) {
    const ssize_t n = ::write(fd_, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail(err, "write");
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
  if (::fsync(fd_) != 0) return fail(err, "fsync");
  failed_ = false;
  return true;
}

}  // namespace mailwire_example
