// An append-only journal of text lines for the example fetchers' state
// (not part of the library): which messages are already stored.
//
// Read whole at open, appended one line at a time (write, then fsync),
// never rewritten. A last line without its newline (a crash in the middle
// of a write) is no record: it is cut off when the file is opened (ended
// with a newline instead, it would become one: a prefix of another line).
// The file is locked (flock) while open: two fetchers on the same state do
// not interleave.
#ifndef MAILWIRE_EXAMPLES_JOURNAL_HPP
#define MAILWIRE_EXAMPLES_JOURNAL_HPP

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace mailwire_example {

class journal {
 public:
  journal() = default;
  ~journal();  // releases the lock
  journal(const journal&) = delete;
  journal& operator=(const journal&) = delete;

  /// Opens (creating, mode 0600) and locks `path`, and calls `on_line` with
  /// each complete line, without its newline (empty lines skipped). A
  /// file locked by another process: false, `err` naming `owner` ("another
  /// mailwire-pop3-fetch").
  bool open(const std::string& path, std::string_view owner, const std::function<void(std::string_view)>& on_line,
            std::string& err);

  /// One line (`line` has no newline), in one write, then fsync: on disk
  /// before the caller goes on. After a failure nothing more is appended: a
  /// line after a torn one would join it.
  bool append(std::string_view line, std::string& err) { return append_lines({std::string(line)}, err); }
  /// Several lines in one write and one fsync.
  bool append_lines(const std::vector<std::string>& lines, std::string& err);

  const std::string& path() const noexcept { return path_; }

 private:
  bool fail(std::string& err, const char* what);

  std::string path_;
  int fd_ = -1;
  bool failed_ = false;
};

}  // namespace mailwire_example

#endif  // MAILWIRE_EXAMPLES_JOURNAL_HPP
