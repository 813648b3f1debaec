// Delivery into a Maildir for mailwire's example programs (not part of the
// library): the SMTP server stores what it accepts, the POP3 fetcher what
// it downloads.
//
// A Maildir (https://cr.yp.to/proto/maildir.html): a message is written to
// tmp/<unique>, then renamed to new/<unique>. rename() is atomic, so readers
// of new/ only ever see complete messages. With fsync (the default) the
// file is flushed before the rename and new/ after it: a message that
// commit() returned survives a crash or a power loss.
#ifndef MAILWIRE_EXAMPLES_MAILDIR_HPP
#define MAILWIRE_EXAMPLES_MAILDIR_HPP

#include <sys/types.h>

#include <string>
#include <string_view>

namespace mailwire_example {

class maildir {
 public:
  // --sink: nothing is stored (open() is not called); --no-fsync.
  void set_mode(bool sink, bool fsync) {
    sink_ = sink;
    fsync_ = fsync;
  }
  bool sink() const noexcept { return sink_; }
  bool fsync() const noexcept { return fsync_; }
  // In sink mode: how many messages were accepted (and discarded).
  unsigned long sink_count() { return ++counter_; }

  /// Creates DIR, DIR/tmp, DIR/new and DIR/cur where missing.
  bool open(const std::string& dir, std::string& err);

  /// time.PpidQcounter.host: unique for this process, one delivery at a
  /// time per name, whatever the clock does within a second.
  std::string unique_name();
  std::string tmp_path(const std::string& name) const { return dir_ + "/tmp/" + name; }
  std::string new_path(const std::string& name) const { return dir_ + "/new/" + name; }
  const std::string& dir() const noexcept { return dir_; }
  /// Flushes new/ (with fsync on): the renames into it are durable after
  /// this. False with `err` set.
  bool sync_new(std::string& err) const;

 private:
  std::string dir_;
  std::string host_;
  unsigned long counter_ = 0;
  pid_t pid_ = 0;
  bool sink_ = false;
  bool fsync_ = true;
};

/// One message on its way into the Maildir.
class delivery {
 public:
  explicit delivery(maildir& md) : md_(md) {}
  ~delivery() { discard(); }
  delivery(const delivery&) = delete;
  delivery& operator=(const delivery&) = delete;

  bool active() const noexcept { return fd_ >= 0 || failed_ || sinking_; }

  /// Appends message bytes, creating tmp/<unique> on the first call. After
  /// a failure the rest is dropped and commit() fails.
  void write(std::string_view bytes);

  /// The message is complete: flush it to disk, then make it visible.
  /// Returns the file name in new/, or an empty string (see error()).
  /// With `sync_new` false, new/ itself is not flushed: the message is not
  /// durable until the caller's maildir::sync_new() (one flush for many
  /// messages).
  std::string commit(bool sync_new = true);

  /// Drops the message (refused, or the peer went away): nothing stays in tmp/.
  void discard();

  const std::string& error() const noexcept { return error_; }

 private:
  bool create();
  void fail(const char* what);

  maildir& md_;
  int fd_ = -1;
  std::string name_;
  bool failed_ = false;
  bool sinking_ = false;  // --sink: a message is under way
  std::string error_;
};

}  // namespace mailwire_example

#endif  // MAILWIRE_EXAMPLES_MAILDIR_HPP
