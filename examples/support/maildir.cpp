// Delivery into a Maildir: see maildir.hpp.
#include "maildir.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <utility>

namespace mailwire_example {

bool maildir::open(const std::string& dir, std::string& err) {
  dir_ = dir;
  pid_ = ::getpid();
  for (const std::string& d : {dir, dir + "/tmp", dir + "/new", dir + "/cur"}) {
    if (::mkdir(d.c_str(), 0700) != 0 && errno != EEXIST) {
      err = d + ": " + std::strerror(errno);
      return false;
    }
  }
  char name[256] = {};
  ::gethostname(name, sizeof name - 1);
  // '/' and ':' would break the file name; the convention escapes them.
  for (const char ch : std::string_view(name)) {
    if (ch == '/')
      host_ += "\\057";
    else if (ch == ':')
      host_ += "\\072";
    else
      host_ += ch;
  }
  return true;
}

std::string maildir::unique_name() {
  return std::to_string(std::time(nullptr)) + ".P" + std::to_string(pid_) + "Q" + std::to_string(++counter_) + "." +
         host_;
}

void delivery::write(std::string_view bytes) {
  if (failed_) return;
  if (md_.sink()) {
    sinking_ = true;
    return;
  }
  if (fd_ < 0 && !create()) return;
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail("write");
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::string delivery::commit(bool sync_new) {
  if (md_.sink()) {
    sinking_ = false;
    return "#" + std::to_string(md_.sink_count());
  }
  if (!failed_ && fd_ < 0) create();  // an empty message has no chunks
  if (failed_) return {};
  if (md_.fsync() && ::fsync(fd_) != 0) {
    fail("fsync");
    return {};
  }
  ::close(fd_);
  fd_ = -1;
  if (::rename(md_.tmp_path(name_).c_str(), md_.new_path(name_).c_str()) != 0) {
    fail("rename");
    return {};
  }
  std::string done = std::move(name_);
  name_.clear();
  // The rename is an entry in new/: durable once new/ itself is flushed.
  // Too late to take the message back; say so, and the caller decides.
  if (sync_new && !md_.sync_new(error_)) {
    ::unlink(md_.new_path(done).c_str());
    return {};
  }
  return done;
}

bool maildir::sync_new(std::string& err) const {
  if (!fsync_) return true;
  const int d = ::open((dir_ + "/new").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (d < 0 || ::fsync(d) != 0) {
    err = "fsync " + dir_ + "/new: " + std::strerror(errno);
    if (d >= 0) ::close(d);
    return false;
  }
  ::close(d);
  return true;
}

void delivery::discard() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  if (!name_.empty()) ::unlink(md_.tmp_path(name_).c_str());
  name_.clear();
  failed_ = false;
  sinking_ = false;
  error_.clear();
}

bool delivery::create() {
  name_ = md_.unique_name();
  fd_ = ::open(md_.tmp_path(name_).c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd_ < 0) fail("open");
  return fd_ >= 0;
}

void delivery::fail(const char* what) {
  failed_ = true;
  error_ = std::string(what) + " " + name_ + ": " + std::strerror(errno);
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!name_.empty()) ::unlink(md_.tmp_path(name_).c_str());
  name_.clear();
}

}  // namespace mailwire_example
