// The Maildir++ store of mailwire-imap-server: see imap_store.hpp.
#include "imap_store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <mailwire/core/ascii.hpp>
#include <mailwire/core/utf8.hpp>
#include <mailwire/imap/mailbox.hpp>
#include <mailwire/mime/encoded_word.hpp>
#include <mailwire/mime/transfer_encoding.hpp>
#include <mailwire/mime/tree.hpp>
#include <unordered_map>
#include <utility>

namespace mailwire_example {

namespace imap = mailwire::imap;
namespace mime = mailwire::mime;
namespace ascii = mailwire::ascii;
using mailwire::errc;

// ------------------------------------------------------------ folder state

// One message as the folder knows it.
struct msg_record {
  std::uint32_t uid = 0;
  std::string base;   // file name before ":2,"
  std::string extra;  // info letters that are not ours (P, ...), kept as they are
  message_flags flags;
  std::int64_t mtime = 0;
  std::uint64_t file_size = 0;
  std::uint64_t served = unknown_size;  // RFC822.SIZE, once known
  std::uint64_t modseq = 0;
  static constexpr std::uint64_t unknown_size = ~std::uint64_t{0};
};

struct folder_state {
  std::string name;  // canonical, UTF-8
  std::string dir;
  std::uint32_t uidvalidity = 0;
  std::uint32_t uidnext = 1;
  std::vector<msg_record> records;  // ascending UID
  std::deque<std::string> keywords;  // a deque: flags handed out view these strings
  std::uint64_t modseq = 1;  // HIGHESTMODSEQ (RFC 7162), kept in the UID list
  // Expunged UIDs and the modseq of their expunge, oldest first, at most
  // max_tombstones of them (QRESYNC's VANISHED (EARLIER)). An expunge at a
  // modseq at or below vanished_floor may have been dropped (or happened
  // before modseqs were kept): a client resynchronising from such a modseq
  // is told every UID of the range that is not in the folder.
  struct tombstone {
    std::uint32_t uid;
    std::uint64_t modseq;
  };
  std::deque<tombstone> vanished;
  std::uint64_t vanished_floor = 0;
  bool scanned = false;
  bool gone = false;
  timespec cur_mtime{}, new_mtime{};
  timespec keywords_mtime{};

  std::size_t find(std::uint32_t uid) const noexcept {
    const auto it = std::lower_bound(records.begin(), records.end(), uid,
                                     [](const msg_record& r, std::uint32_t u) { return r.uid < u; });
    if (it == records.end() || it->uid != uid) return npos;
    return static_cast<std::size_t>(it - records.begin());
  }
  static constexpr std::size_t npos = ~std::size_t{0};
};

namespace {

constexpr char system_letters[] = {'R', 'F', 'T', 'S', 'D'};  // answered flagged deleted seen draft
constexpr std::uint8_t system_bits[] = {message_flags::answered, message_flags::flagged, message_flags::deleted,
                                        message_flags::seen, message_flags::draft};
constexpr imap::flag_kind system_kinds[] = {imap::flag_kind::answered, imap::flag_kind::flagged,
                                            imap::flag_kind::deleted, imap::flag_kind::seen,
                                            imap::flag_kind::draft};
constexpr std::size_t max_keywords = 26;
constexpr std::size_t chunk_size = 64 * 1024;

store_result fail(store_code c, std::string text) { return store_result{c, std::move(text)}; }
store_result sys_fail(const std::string& what) { return fail(store_code::io_error, what + ": " + std::strerror(errno)); }

bool exists_dir(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool read_small_file(const std::string& path, std::string& out, std::size_t limit = 16u * 1024 * 1024) {
  out.clear();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[8192];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || out.size() > limit) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return true;
}

bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool fsync_dir(const std::string& dir) {
  const int d = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (d < 0) return false;
  const bool ok = ::fsync(d) == 0;
  ::close(d);
  return ok;
}

// Writes `path` whole or not at all: a temporary file renamed over it.
store_result write_file_atomic(const std::string& path, std::string_view content, bool sync) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return sys_fail("create " + tmp);
  bool ok = write_all(fd, content);
  if (ok && sync) ok = ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    store_result r = sys_fail("write " + path);
    ::unlink(tmp.c_str());
    return r;
  }
  return {};
}

// Expunges kept for VANISHED (EARLIER): enough for a client that was away
// for thousands of expunges; one older than these gets the whole range.
constexpr std::size_t max_tombstones = 4096;

std::string file_name(const msg_record& r);

// Saves f's UID list, version 2:
//   "2 UIDVALIDITY NEXTUID HIGHESTMODSEQ VANISHEDFLOOR"
//   "UID MODSEQ FILENAME" per message (the name in cur/, flags included, so
//                         that flags changed while no server ran get a new
//                         modseq at the next start)
//   "-UID MODSEQ"         per tombstone, oldest first
// Version 1 ("1 UIDVALIDITY NEXTUID", then "UID BASE") still loads.
store_result save_uidlist(const folder_state& f, bool sync) {
  std::string list = "2 " + std::to_string(f.uidvalidity) + " " + std::to_string(f.uidnext) + " " +
                     std::to_string(f.modseq) + " " + std::to_string(f.vanished_floor) + "\n";
  for (const msg_record& r : f.records)
    list += std::to_string(r.uid) + " " + std::to_string(r.modseq) + " " + file_name(r) + "\n";
  for (const folder_state::tombstone& t : f.vanished)
    list += "-" + std::to_string(t.uid) + " " + std::to_string(t.modseq) + "\n";
  return write_file_atomic(f.dir + "/mailwire-uidlist", list, sync);
}

// Records the expunge of `uid` at a new modseq (the folder's list is saved
// by the caller).
void bury(folder_state& f, std::uint32_t uid) {
  f.vanished.push_back({uid, ++f.modseq});
  while (f.vanished.size() > max_tombstones) {
    f.vanished_floor = f.vanished.front().modseq;
    f.vanished.pop_front();
  }
}

std::vector<std::string_view> split_lines(std::string_view s) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    const std::size_t nl = s.find('\n');
    out.push_back(s.substr(0, nl));
    if (nl == std::string_view::npos) break;
    s.remove_prefix(nl + 1);
  }
  return out;
}

bool parse_u64(std::string_view s, std::uint64_t& out) {
  if (s.empty() || s.size() > 19) return false;
  std::uint64_t v = 0;
  for (const char c : s) {
    if (!ascii::is_digit(c)) return false;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  out = v;
  return true;
}

bool parse_u32(std::string_view s, std::uint32_t& out) {
  std::uint64_t v = 0;
  if (!parse_u64(s, v) || v > 0xFFFFFFFFu) return false;
  out = static_cast<std::uint32_t>(v);
  return true;
}

bool same_time(const timespec& a, const timespec& b) { return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec; }

// A file name in cur/: BASE[:2,LETTERS]. Splits it; false for names that
// are no message (dot files).
bool split_name(std::string_view name, std::string_view& base, std::string_view& info) {
  if (name.empty() || name.front() == '.') return false;
  const std::size_t colon = name.find(':');
  base = name.substr(0, colon);
  info = colon == std::string_view::npos ? std::string_view() : name.substr(colon + 1);
  if (info.substr(0, 2) == "2,")
    info.remove_prefix(2);
  else
    info = {};  // ":1,..." or no info: no flags we know
  return !base.empty();
}

void letters_to_flags(std::string_view info, message_flags& flags, std::string& extra) {
  flags = {};
  extra.clear();
  for (const char c : info) {
    bool known = false;
    for (std::size_t i = 0; i < 5; ++i) {
      if (c == system_letters[i]) {
        flags.system = static_cast<std::uint8_t>(flags.system | system_bits[i]);
        known = true;
      }
    }
    if (c >= 'a' && c <= 'z') {
      flags.keywords |= 1u << (c - 'a');
      known = true;
    }
    if (!known && c >= 'A' && c <= 'Z' && extra.find(c) == std::string::npos) extra.push_back(c);
  }
}

std::string file_name(const std::string& base, const message_flags& flags, const std::string& extra) {
  std::string letters = extra;
  for (std::size_t i = 0; i < 5; ++i) {
    if ((flags.system & system_bits[i]) != 0) letters.push_back(system_letters[i]);
  }
  std::sort(letters.begin(), letters.end());
  for (std::uint32_t k = 0; k < max_keywords; ++k) {
    if ((flags.keywords & (1u << k)) != 0) letters.push_back(static_cast<char>('a' + k));
  }
  return base + ":2," + letters;
}

std::string file_name(const msg_record& r) { return file_name(r.base, r.flags, r.extra); }

// ",S=n" / ",W=n" in a base name (Dovecot's sizes).
bool size_in_name(std::string_view base, std::string_view key, std::uint64_t& out) {
  const std::size_t at = base.find(key);
  if (at == std::string_view::npos) return false;
  std::string_view rest = base.substr(at + key.size());
  std::size_t n = 0;
  while (n < rest.size() && ascii::is_digit(rest[n])) ++n;
  return parse_u64(rest.substr(0, n), out);
}

// Bare LFs in `s` (an LF not after CR; `prev` is the byte before s).
std::uint64_t bare_lfs(std::string_view s, char prev) {
  std::uint64_t n = 0;
  for (const char c : s) {
    if (c == '\n' && prev != '\r') ++n;
    prev = c;
  }
  return n;
}

// The served (CRLF) size of an open file, read once.
bool served_size_of(int fd, std::uint64_t& out) {
  char buf[chunk_size];
  std::uint64_t total = 0;
  char prev = '\0';
  std::uint64_t off = 0;
  for (;;) {
    const ssize_t n = ::pread(fd, buf, sizeof buf, static_cast<off_t>(off));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) break;
    const std::string_view s(buf, static_cast<std::size_t>(n));
    total += s.size() + bare_lfs(s, prev);
    prev = s.back();
    off += s.size();
  }
  out = total;
  return true;
}

// Dovecot's rule for where a header block ends (imap::detail::header_end),
// in the loaded text; npos: no blank line.
std::size_t header_end_in(std::string_view raw) { return imap::detail::header_end(raw); }

// ------------------------------------------------------------ case folding

// Simple lower-casing of the scripts mail is mostly written in: ASCII,
// Latin-1, Latin Extended-A, Greek, Cyrillic. Not full Unicode case
// folding (Dovecot's i;unicode-casemap also decomposes): enough for SEARCH
// to find "Jürgen" by "JÜRGEN".
char32_t fold_cp(char32_t c) {
  if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 32 : c;
  if ((c >= 0xC0 && c <= 0xDE && c != 0xD7)) return c + 32;
  if (c >= 0x100 && c <= 0x17F) {
    if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) return (c % 2 == 1) ? c + 1 : c;
    if (c == 0x178) return 0xFF;
    if (c == 0x130 || c == 0x131 || c == 0x138 || c == 0x149 || c == 0x17F) return c;
    return (c % 2 == 0) ? c + 1 : c;
  }
  if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2) return c + 32;
  if (c == 0x3C2) return 0x3C3;  // final sigma
  if (c >= 0x410 && c <= 0x42F) return c + 32;
  if (c >= 0x400 && c <= 0x40F) return c + 80;
  return c;
}

std::string fold(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      out.push_back(static_cast<char>(fold_cp(b)));
      ++i;
      continue;
    }
    const mailwire::utf8::decoded d = mailwire::utf8::decode(s, i);
    if (d.length == 0) {  // not UTF-8: the byte as it is
      out.push_back(s[i]);
      ++i;
      continue;
    }
    mailwire::utf8::append(fold_cp(d.cp), out);
    i += d.length;
  }
  return out;
}

// Wildcard match of LIST: '*' anything, '%' anything but the delimiter.
// Dynamic programming over (pattern, name) so no pattern costs more than
// their product.
bool wildcard_match(std::string_view pattern, std::string_view name) {
  std::vector<char> row(name.size() + 1, 0), next(name.size() + 1, 0);
  row[0] = 1;
  for (const char p : pattern) {
    std::fill(next.begin(), next.end(), 0);
    if (p == '*' || p == '%') {
      bool any = false;
      for (std::size_t j = 0; j <= name.size(); ++j) {
        if (j > 0 && p == '%' && name[j - 1] == imap_store::delimiter) any = false;
        any = any || row[j] != 0;
        next[j] = any ? 1 : 0;
      }
    } else {
      for (std::size_t j = 1; j <= name.size(); ++j) next[j] = (row[j - 1] != 0 && name[j - 1] == p) ? 1 : 0;
    }
    row.swap(next);
  }
  return row[name.size()] != 0;
}

std::string encode_dir_name(const std::string& canonical) {
  std::string wire;
  imap::encode_mailbox_utf7(canonical, wire);
  return wire;
}

bool remove_tree(const std::string& path, int depth) {
  DIR* d = ::opendir(path.c_str());
  if (d == nullptr) return ::unlink(path.c_str()) == 0 || errno == ENOENT;
  bool ok = true;
  while (dirent* e = ::readdir(d)) {
    const std::string_view n = e->d_name;
    if (n == "." || n == "..") continue;
    const std::string child = path + "/" + e->d_name;
    struct stat st {};
    if (::lstat(child.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      ok = depth > 0 && remove_tree(child, depth - 1) && ok;
    } else if (::unlink(child.c_str()) != 0) {
      ok = false;
    }
  }
  ::closedir(d);
  return ::rmdir(path.c_str()) == 0 && ok;
}

}  // namespace

// ------------------------------------------------------------ the store

store_result imap_store::open(const std::string& root, const store_options& options) {
  root_ = root;
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
  options_ = options;
  for (const std::string& d : {root_, root_ + "/cur", root_ + "/new", root_ + "/tmp"}) {
    if (::mkdir(d.c_str(), 0700) != 0 && errno != EEXIST) return sys_fail("mkdir " + d);
  }
  char name[256] = {};
  ::gethostname(name, sizeof name - 1);
  host_.clear();
  for (const char ch : std::string_view(name)) {
    if (ch == '/')
      host_ += "\\057";
    else if (ch == ':')
      host_ += "\\072";
    else if (ch == ',')
      host_ += "\\054";
    else
      host_ += ch;
  }
  if (host_.empty()) host_ = "localhost";
  return {};
}

std::string imap_store::unique_base() {
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  return std::to_string(now.tv_sec) + ".M" + std::to_string(now.tv_nsec / 1000) + "P" + std::to_string(::getpid()) +
         "Q" + std::to_string(++counter_) + "." + host_;
}

int imap_store::zone_at(std::int64_t unix_seconds) const {
  if (options_.zone_minutes) return *options_.zone_minutes;
  const auto t = static_cast<time_t>(unix_seconds);
  tm local{};
  if (::localtime_r(&t, &local) == nullptr) return 0;
  return static_cast<int>(local.tm_gmtoff / 60);
}

store_result imap_store::canonical_name(std::string_view utf8, bool allow_trailing_delimiter, std::string& out) {
  if (allow_trailing_delimiter && utf8.size() > 1 && utf8.back() == delimiter) utf8.remove_suffix(1);
  if (imap::check_mailbox_name(utf8, delimiter) != errc::ok) return fail(store_code::bad_name, "invalid mailbox name");
  const std::size_t dot = utf8.find(delimiter);
  const std::string_view first = utf8.substr(0, dot);
  out.assign(imap::is_inbox(first) ? std::string_view("INBOX") : first);
  if (dot != std::string_view::npos) out.append(utf8.substr(dot));
  // The directory ".NAME" (modified UTF-7) must fit in one file name.
  if (out != "INBOX" && encode_dir_name(out).size() + 1 > 255) return fail(store_code::bad_name, "name too long");
  return {};
}

std::string imap_store::dir_of(const std::string& canonical) const {
  if (canonical == "INBOX") return root_;
  return root_ + "/." + encode_dir_name(canonical);
}

store_result imap_store::new_uidvalidity(std::uint32_t& out) {
  const std::string path = root_ + "/mailwire-uidvalidity";
  std::string text;
  std::uint32_t last = 0;
  if (read_small_file(path, text)) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    parse_u32(text, last);
  }
  const auto now = static_cast<std::uint32_t>(std::time(nullptr));
  out = std::max(last + 1, now);
  if (out == 0) out = 1;
  return write_file_atomic(path, std::to_string(out) + "\n", options_.fsync);
}

store_result imap_store::folder(const std::string& canonical, bool create_missing, std::shared_ptr<folder_state>& out) {
  const auto it = folders_.find(canonical);
  if (it != folders_.end() && !it->second->gone) {
    out = it->second;
    return refresh(*out);
  }
  const std::string dir = dir_of(canonical);
  if (!exists_dir(dir + "/cur")) {
    if (!create_missing) {
      // A name that is only a parent of folders is \Noselect.
      std::vector<std::string> all;
      names(all);
      for (const std::string& n : all) {
        if (n.size() > canonical.size() && n.compare(0, canonical.size(), canonical) == 0 &&
            n[canonical.size()] == delimiter)
          return fail(store_code::noselect, "mailbox has no messages of its own");
      }
      return fail(store_code::nonexistent, "mailbox does not exist");
    }
  }
  auto f = std::make_shared<folder_state>();
  f->name = canonical;
  f->dir = dir;
  folders_[canonical] = f;
  out = f;
  return refresh(*f);
}

namespace {

// One message of the UID list as read at the first scan.
struct listed_message {
  std::uint32_t uid = 0;
  std::uint64_t modseq = 0;  // 0: not kept (version 1)
  std::string name;          // the file name in cur/ it had (version 2)
};

// Reads a UID list of version 1 or 2 (see save_uidlist) into f's
// UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ and tombstones and `listed` (by
// base name). Gives the version, or 0 when the header is not understood (a
// new UIDVALIDITY then). Lines that do not parse are skipped, and modseqs are never
// allowed above the header's HIGHESTMODSEQ (which then rises), so that a
// list edited by hand cannot make modseqs go back.
int parse_uidlist(std::string_view text, folder_state& f, std::unordered_map<std::string, listed_message>& listed) {
  const std::vector<std::string_view> lines = split_lines(text);
  if (lines.empty()) return 0;
  std::vector<std::string_view> head;
  for (std::string_view h = lines[0]; !h.empty();) {
    const std::size_t sp = h.find(' ');
    head.push_back(h.substr(0, sp));
    h = sp == std::string_view::npos ? std::string_view() : h.substr(sp + 1);
  }
  const bool v2 = head.size() == 5 && head[0] == "2";
  if (!v2 && !(head.size() == 3 && head[0] == "1")) return 0;
  std::uint32_t v = 0, n = 0;
  std::uint64_t highest = 1, floor = 0;
  if (!parse_u32(head[1], v) || !parse_u32(head[2], n) || v == 0 || n == 0) return 0;
  if (v2 && (!parse_u64(head[3], highest) || !parse_u64(head[4], floor) || highest == 0)) return 0;
  f.uidvalidity = v;
  f.uidnext = n;
  f.modseq = highest;
  f.vanished_floor = floor;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    const bool tomb = v2 && !line.empty() && line.front() == '-';
    if (tomb) line.remove_prefix(1);
    const std::size_t sp = line.find(' ');
    std::uint32_t uid = 0;
    if (sp == std::string_view::npos || !parse_u32(line.substr(0, sp), uid) || uid == 0 || uid >= n) continue;
    std::string_view rest = line.substr(sp + 1);
    listed_message m;
    m.uid = uid;
    if (v2) {
      const std::size_t sp2 = rest.find(' ');
      if (!parse_u64(rest.substr(0, sp2), m.modseq) || m.modseq == 0) continue;
      f.modseq = std::max(f.modseq, m.modseq);
      if (tomb) {
        if (sp2 == std::string_view::npos) f.vanished.push_back({uid, m.modseq});
        continue;
      }
      if (sp2 == std::string_view::npos) continue;
      rest = rest.substr(sp2 + 1);
      std::string_view base, info;
      if (!split_name(rest, base, info)) continue;
      m.name = std::string(rest);
      rest = base;
    }
    listed.emplace(std::string(rest), std::move(m));
  }
  while (f.vanished.size() > max_tombstones) {
    f.vanished_floor = std::max(f.vanished_floor, f.vanished.front().modseq);
    f.vanished.pop_front();
  }
  return v2 ? 2 : 1;
}

}  // namespace

store_result imap_store::refresh(folder_state& f) {
  struct stat cur {}, nw {};
  if (::stat((f.dir + "/cur").c_str(), &cur) != 0 || ::stat((f.dir + "/new").c_str(), &nw) != 0) {
    f.gone = true;
    const auto it = folders_.find(f.name);
    if (it != folders_.end() && it->second.get() == &f) folders_.erase(it);
    return fail(store_code::nonexistent, "mailbox does not exist");
  }
  // Keywords (another process may have added some).
  struct stat kst {};
  const std::string kpath = f.dir + "/dovecot-keywords";
  if (::stat(kpath.c_str(), &kst) == 0 && !same_time(kst.st_mtim, f.keywords_mtime)) {
    f.keywords_mtime = kst.st_mtim;
    std::string text;
    if (read_small_file(kpath, text, 64 * 1024)) {
      std::vector<std::string> table(f.keywords.begin(), f.keywords.end());
      for (const std::string_view line : split_lines(text)) {
        const std::size_t sp = line.find(' ');
        std::uint32_t idx = 0;
        if (sp == std::string_view::npos || !parse_u32(line.substr(0, sp), idx) || idx >= max_keywords) continue;
        const std::string_view kw = line.substr(sp + 1);
        if (!imap::is_keyword(kw)) continue;
        if (table.size() <= idx) table.resize(idx + 1);
        if (table[idx].empty()) table[idx] = std::string(kw);
      }
      // Only append (existing indices keep their strings: views point at them).
      for (std::size_t i = 0; i < table.size(); ++i) {
        if (i < f.keywords.size()) continue;
        f.keywords.push_back(table[i].empty() ? "$Unnamed" + std::to_string(i) : table[i]);
      }
    }
  }
  // A directory whose mtime has not moved holds what it held, unless the
  // change is so recent that the next one may share its timestamp (the
  // kernel's clock for mtimes is coarse): then look anyway.
  const std::time_t now = std::time(nullptr);
  if (f.scanned && same_time(cur.st_mtim, f.cur_mtime) && same_time(nw.st_mtim, f.new_mtime) &&
      now - cur.st_mtim.tv_sec > 2 && now - nw.st_mtim.tv_sec > 2)
    return {};

  // The UID list, at the first scan.
  std::unordered_map<std::string, listed_message> listed;
  bool rewrite = false;
  bool had_modseqs = true;
  if (!f.scanned) {
    std::string text;
    int version = 0;
    if (read_small_file(f.dir + "/mailwire-uidlist", text, 1u << 30)) version = parse_uidlist(text, f, listed);
    const bool have = version != 0;
    had_modseqs = version == 2;
    if (!have) {
      if (store_result r = new_uidvalidity(f.uidvalidity); !r.ok()) return r;
      f.uidnext = 1;
      rewrite = true;
    }
  }

  // new/ -> cur/, oldest first (the order their UIDs follow).
  struct fresh {
    std::int64_t mtime;
    std::string name;
  };
  std::vector<fresh> arrived;
  if (DIR* d = ::opendir((f.dir + "/new").c_str())) {
    while (dirent* e = ::readdir(d)) {
      if (e->d_name[0] == '.') continue;
      struct stat st {};
      if (::stat((f.dir + "/new/" + e->d_name).c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
      arrived.push_back({static_cast<std::int64_t>(st.st_mtim.tv_sec), e->d_name});
    }
    ::closedir(d);
  }
  std::sort(arrived.begin(), arrived.end(),
            [](const fresh& a, const fresh& b) { return a.mtime != b.mtime ? a.mtime < b.mtime : a.name < b.name; });
  for (const fresh& a : arrived) {
    const std::string to = a.name.find(':') == std::string::npos ? a.name + ":2," : a.name;
    if (::rename((f.dir + "/new/" + a.name).c_str(), (f.dir + "/cur/" + to).c_str()) != 0 && errno != ENOENT)
      return sys_fail("rename " + f.dir + "/new/" + a.name);
  }

  // cur/ as it is now.
  std::unordered_map<std::string, std::string> on_disk;  // base -> info letters
  if (::stat((f.dir + "/cur").c_str(), &cur) != 0) return sys_fail("stat " + f.dir + "/cur");
  if (::stat((f.dir + "/new").c_str(), &nw) != 0) return sys_fail("stat " + f.dir + "/new");
  DIR* d = ::opendir((f.dir + "/cur").c_str());
  if (d == nullptr) return sys_fail("opendir " + f.dir + "/cur");
  while (dirent* e = ::readdir(d)) {
    std::string_view base, info;
    if (!split_name(e->d_name, base, info)) continue;
    on_disk[std::string(base)] = std::string(info);
  }
  ::closedir(d);
  f.cur_mtime = cur.st_mtim;
  f.new_mtime = nw.st_mtim;

  // Known messages: vanished, or flags changed by someone else.
  std::vector<msg_record> kept;
  kept.reserve(f.records.size());
  for (msg_record& r : f.records) {
    const auto it = on_disk.find(r.base);
    if (it == on_disk.end()) {  // expunged by another process
      bury(f, r.uid);
      rewrite = true;
      continue;
    }
    message_flags fl;
    std::string extra;
    letters_to_flags(it->second, fl, extra);
    if (fl != r.flags || extra != r.extra) {
      r.flags = fl;
      r.extra = extra;
      r.modseq = ++f.modseq;
      rewrite = true;  // the new modseq must survive a restart
    }
    on_disk.erase(it);
    kept.push_back(std::move(r));
  }
  // Unknown files: UIDs from the list, else the next ones, oldest first.
  std::vector<msg_record> added;
  for (auto& [base, info] : on_disk) {
    msg_record r;
    r.base = base;
    letters_to_flags(info, r.flags, r.extra);
    struct stat st {};
    if (::stat((f.dir + "/cur/" + file_name(r)).c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    r.mtime = static_cast<std::int64_t>(st.st_mtim.tv_sec);
    r.file_size = static_cast<std::uint64_t>(st.st_size);
    std::uint64_t s = 0, w = 0;
    if (size_in_name(base, ",W=", w) && size_in_name(base, ",S=", s) && s == r.file_size) r.served = w;
    const auto l = listed.find(base);
    if (l != listed.end()) {
      r.uid = l->second.uid;
      // Its modseq as listed, unless its flags changed while no server ran.
      r.modseq = l->second.modseq != 0 && l->second.name == file_name(r) ? l->second.modseq : 0;
    }
    if (r.modseq == 0) {
      r.modseq = ++f.modseq;
      rewrite = true;
    }
    added.push_back(std::move(r));
  }
  std::sort(added.begin(), added.end(), [](const msg_record& a, const msg_record& b) {
    if ((a.uid == 0) != (b.uid == 0)) return a.uid != 0;
    if (a.uid != b.uid) return a.uid < b.uid;
    return a.mtime != b.mtime ? a.mtime < b.mtime : a.base < b.base;
  });
  for (msg_record& r : added) {
    if (r.uid == 0) {
      if (f.uidnext == 0xFFFFFFFFu) return fail(store_code::cannot, "UIDs exhausted");
      r.uid = f.uidnext++;
      rewrite = true;
    }
    kept.push_back(std::move(r));
  }
  std::sort(kept.begin(), kept.end(), [](const msg_record& a, const msg_record& b) { return a.uid < b.uid; });
  // A list that named the same UID twice (edited by hand): keep the first.
  kept.erase(std::unique(kept.begin(), kept.end(),
                         [](const msg_record& a, const msg_record& b) { return a.uid == b.uid; }),
             kept.end());
  f.records = std::move(kept);
  if (!f.scanned) {
    // Listed messages whose files went while no server ran: expunged now.
    for (const auto& [base, l] : listed) {
      if (f.find(l.uid) == folder_state::npos) bury(f, l.uid);
    }
    if (listed.size() != f.records.size()) rewrite = true;
    // Without kept modseqs nothing is known about earlier expunges.
    if (!had_modseqs) f.vanished_floor = f.modseq;
  }
  f.scanned = true;
  if (!rewrite) return {};
  return save_uidlist(f, options_.fsync);
}

namespace {

// Keyword index of `name` in f (creating it when `create`); -1 when it
// cannot be kept.
int keyword_index(folder_state& f, std::string_view name, bool create, bool sync) {
  for (std::size_t i = 0; i < f.keywords.size(); ++i) {
    if (ascii::iequals(f.keywords[i], name)) return static_cast<int>(i);
  }
  if (!create || f.keywords.size() >= max_keywords) return -1;
  f.keywords.emplace_back(name);
  std::string text;
  for (std::size_t i = 0; i < f.keywords.size(); ++i) text += std::to_string(i) + " " + f.keywords[i] + "\n";
  const std::string path = f.dir + "/dovecot-keywords";
  if (!write_file_atomic(path, text, sync).ok()) return -1;
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) f.keywords_mtime = st.st_mtim;
  return static_cast<int>(f.keywords.size() - 1);
}

store_result to_bits(folder_state& f, const std::vector<imap::flag>& flags, bool create, bool sync,
                     message_flags& out) {
  out = {};
  for (const imap::flag& fl : flags) {
    for (std::size_t i = 0; i < 5; ++i) {
      if (fl.kind == system_kinds[i]) out.system = static_cast<std::uint8_t>(out.system | system_bits[i]);
    }
    if (fl.kind != imap::flag_kind::keyword) continue;  // \Recent and extensions are not kept
    const int k = keyword_index(f, fl.name, create, sync);
    if (k < 0) {
      if (create) return fail(store_code::cannot, "too many keywords in this mailbox");
      continue;  // removing a keyword the folder never had
    }
    out.keywords |= 1u << k;
  }
  return {};
}

void to_flags(const folder_state& f, const message_flags& bits, std::vector<imap::flag>& out) {
  out.clear();
  for (std::size_t i = 0; i < 5; ++i) {
    if ((bits.system & system_bits[i]) != 0) out.push_back(imap::flag::system(system_kinds[i]));
  }
  for (std::size_t k = 0; k < f.keywords.size(); ++k) {
    if ((bits.keywords & (1u << k)) != 0) out.push_back(imap::flag{imap::flag_kind::keyword, f.keywords[k]});
  }
}

}  // namespace

store_result imap_store::names(std::vector<std::string>& out) const {
  out.clear();
  out.push_back("INBOX");
  DIR* d = ::opendir(root_.c_str());
  if (d == nullptr) return sys_fail("opendir " + root_);
  while (dirent* e = ::readdir(d)) {
    const std::string_view n = e->d_name;
    if (n.size() < 2 || n[0] != '.' || n == "..") continue;
    std::string utf8;
    if (imap::decode_mailbox_utf7(n.substr(1), utf8) != errc::ok) continue;
    std::string canonical;
    if (!canonical_name(utf8, false, canonical).ok() || canonical != utf8 || canonical == "INBOX") continue;
    if (!exists_dir(root_ + "/" + e->d_name + "/cur")) continue;
    out.push_back(std::move(canonical));
  }
  ::closedir(d);
  std::sort(out.begin() + 1, out.end());
  return {};
}

store_result imap_store::read_subscriptions(std::vector<std::string>& out) const {
  out.clear();
  std::string text;
  if (!read_small_file(root_ + "/subscriptions", text, 4u * 1024 * 1024)) return {};
  for (std::string_view line : split_lines(text)) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.substr(0, 2) == "V\t") continue;  // Dovecot's version 2 header
    std::string wire(line);
    std::replace(wire.begin(), wire.end(), '\t', delimiter);  // version 2 separates with TAB
    std::string utf8, canonical;
    if (imap::decode_mailbox_utf7(wire, utf8) != errc::ok || !canonical_name(utf8, false, canonical).ok()) continue;
    if (std::find(out.begin(), out.end(), canonical) == out.end()) out.push_back(std::move(canonical));
  }
  return {};
}

store_result imap_store::write_subscriptions(const std::vector<std::string>& list) {
  std::string text;
  for (const std::string& n : list) text += encode_dir_name(n) + "\n";
  return write_file_atomic(root_ + "/subscriptions", text, options_.fsync);
}

store_result imap_store::subscribe(const std::string& name) {
  std::string c;
  if (store_result r = canonical_name(name, false, c); !r.ok()) return r;
  std::vector<std::string> subs;
  read_subscriptions(subs);
  if (std::find(subs.begin(), subs.end(), c) != subs.end()) return {};
  subs.push_back(c);
  return write_subscriptions(subs);
}

store_result imap_store::unsubscribe(const std::string& name) {
  std::string c;
  if (store_result r = canonical_name(name, false, c); !r.ok()) return r;
  std::vector<std::string> subs;
  read_subscriptions(subs);
  const auto it = std::find(subs.begin(), subs.end(), c);
  if (it == subs.end()) return fail(store_code::nonexistent, "not subscribed");
  subs.erase(it);
  return write_subscriptions(subs);
}

store_result imap_store::list(std::string_view reference, std::string_view pattern, bool subscribed_only,
                              bool mark_subscribed, std::vector<list_entry>& out) {
  out.clear();
  std::string pat(reference);
  pat.append(pattern);
  // INBOX is case-insensitive in patterns too ("inbox", "Inbox.%").
  const std::size_t first_end = std::min(pat.find(delimiter), pat.size());
  if (imap::is_inbox(std::string_view(pat).substr(0, first_end))) pat.replace(0, first_end, "INBOX");
  std::vector<std::string> existing, subs;
  if (store_result r = names(existing); !r.ok()) return r;
  read_subscriptions(subs);
  // Every name to consider: folders, and the parents they imply.
  std::vector<std::string> all = existing;
  for (const std::string& n : existing) {
    for (std::size_t at = n.find(delimiter); at != std::string::npos; at = n.find(delimiter, at + 1))
      all.push_back(n.substr(0, at));
  }
  std::sort(all.begin() + 1, all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  const auto has = [](const std::vector<std::string>& v, const std::string& n) {
    return std::find(v.begin(), v.end(), n) != v.end();
  };
  const auto children = [&](const std::string& n) {
    for (const std::string& o : all) {
      if (o.size() > n.size() && o.compare(0, n.size(), n) == 0 && o[n.size()] == delimiter) return true;
    }
    return false;
  };
  const auto special = [](const std::string& n, std::vector<imap::mailbox_attribute>& a) {
    static const std::pair<std::string_view, imap::mailbox_attribute> uses[] = {
        {"Sent", imap::mailbox_attribute::sent},   {"Drafts", imap::mailbox_attribute::drafts},
        {"Trash", imap::mailbox_attribute::trash}, {"Junk", imap::mailbox_attribute::junk},
        {"Archive", imap::mailbox_attribute::archive}};
    for (const auto& u : uses) {
      if (ascii::iequals(n, u.first)) a.push_back(u.second);
    }
  };
  if (!subscribed_only) {
    for (const std::string& n : all) {
      if (!wildcard_match(pat, n)) continue;
      list_entry e;
      e.name = n;
      const bool real = has(existing, n);
      if (!real) e.attributes.push_back(imap::mailbox_attribute::noselect);
      e.attributes.push_back(children(n) ? imap::mailbox_attribute::haschildren
                                         : imap::mailbox_attribute::hasnochildren);
      if (mark_subscribed && has(subs, n)) e.attributes.push_back(imap::mailbox_attribute::subscribed);
      if (real) special(n, e.attributes);
      out.push_back(std::move(e));
    }
    return {};
  }
  // LSUB: subscribed names; a parent of one that "%" stops at comes back
  // \Noselect (RFC 3501 6.3.9) unless it is subscribed itself.
  std::sort(subs.begin(), subs.end(), [](const std::string& a, const std::string& b) {
    if ((a == "INBOX") != (b == "INBOX")) return a == "INBOX";
    return a < b;
  });
  std::vector<std::string> parents;
  for (const std::string& n : subs) {
    if (wildcard_match(pat, n)) {
      list_entry e;
      e.name = n;
      if (!has(existing, n)) e.attributes.push_back(imap::mailbox_attribute::noselect);
      out.push_back(std::move(e));
      continue;
    }
    for (std::size_t at = n.find(delimiter); at != std::string::npos; at = n.find(delimiter, at + 1)) {
      std::string p = n.substr(0, at);
      if (wildcard_match(pat, p) && !has(subs, p) && !has(parents, p)) parents.push_back(std::move(p));
    }
  }
  for (std::string& p : parents) out.push_back(list_entry{std::move(p), {imap::mailbox_attribute::noselect}});
  return {};
}

store_result imap_store::create(const std::string& name) {
  std::string c;
  if (store_result r = canonical_name(name, true, c); !r.ok()) return r;
  const std::string dir = dir_of(c);
  if (c == "INBOX" || exists_dir(dir)) return fail(store_code::already_exists, "mailbox already exists");
  if (::mkdir(dir.c_str(), 0700) != 0) {
    if (errno == EEXIST) return fail(store_code::already_exists, "mailbox already exists");
    return sys_fail("mkdir " + dir);
  }
  for (const char* sub : {"/tmp", "/new", "/cur"}) {
    if (::mkdir((dir + sub).c_str(), 0700) != 0 && errno != EEXIST) return sys_fail("mkdir " + dir + sub);
  }
  const int fd = ::open((dir + "/maildirfolder").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd >= 0) ::close(fd);
  folders_.erase(c);  // a state of an earlier folder of that name is stale
  std::shared_ptr<folder_state> f;
  return folder(c, true, f);  // fixes its UIDVALIDITY now
}

store_result imap_store::remove(const std::string& name) {
  std::string c;
  if (store_result r = canonical_name(name, false, c); !r.ok()) return r;
  if (c == "INBOX") return fail(store_code::cannot, "INBOX cannot be deleted");
  const std::string dir = dir_of(c);
  if (!exists_dir(dir)) {
    std::shared_ptr<folder_state> f;
    store_result r = folder(c, false, f);
    if (r.code == store_code::noselect) return fail(store_code::has_children, "mailbox has children");
    return fail(store_code::nonexistent, "mailbox does not exist");
  }
  // Out of sight first (a name with ".." is never listed), then removed.
  const std::string trash = root_ + "/..mailwire-deleted." + unique_base();
  if (::rename(dir.c_str(), trash.c_str()) != 0) return sys_fail("rename " + dir);
  const auto it = folders_.find(c);
  if (it != folders_.end()) {
    it->second->gone = true;
    folders_.erase(it);
  }
  if (!remove_tree(trash, 2)) return sys_fail("remove " + trash);
  return {};
}

store_result imap_store::rename(const std::string& from, const std::string& to) {
  std::string a, b;
  if (store_result r = canonical_name(from, false, a); !r.ok()) return r;
  if (store_result r = canonical_name(to, true, b); !r.ok()) return r;
  if (b == "INBOX" || exists_dir(dir_of(b))) return fail(store_code::already_exists, "mailbox already exists");
  if (b.size() > a.size() && b.compare(0, a.size(), a) == 0 && b[a.size()] == delimiter)
    return fail(store_code::cannot, "cannot rename a mailbox into itself");
  if (a == "INBOX") {
    // RFC 9051 6.3.6: INBOX's messages move to the new folder; INBOX stays.
    std::shared_ptr<folder_state> src;
    if (store_result r = folder(a, false, src); !r.ok()) return r;
    if (store_result r = create(b); !r.ok()) return r;
    const std::string dest = dir_of(b);
    for (const msg_record& m : src->records) {
      const std::string n = file_name(m);
      if (::rename((src->dir + "/cur/" + n).c_str(), (dest + "/cur/" + n).c_str()) != 0 && errno != ENOENT)
        return sys_fail("rename " + n);
    }
    refresh(*src);
    std::shared_ptr<folder_state> f;
    return folder(b, false, f);
  }
  std::vector<std::string> all;
  if (store_result r = names(all); !r.ok()) return r;
  std::vector<std::string> moving;  // a and its children
  for (const std::string& n : all) {
    if (n == a || (n.size() > a.size() && n.compare(0, a.size(), a) == 0 && n[a.size()] == delimiter))
      moving.push_back(n);
  }
  if (moving.empty()) return fail(store_code::nonexistent, "mailbox does not exist");
  for (const std::string& n : moving) {
    if (exists_dir(dir_of(b + n.substr(a.size())))) return fail(store_code::already_exists, "a child name exists");
    std::string check;
    if (!canonical_name(b + n.substr(a.size()), false, check).ok()) return fail(store_code::bad_name, "name too long");
  }
  for (const std::string& n : moving) {
    const std::string nn = b + n.substr(a.size());
    if (::rename(dir_of(n).c_str(), dir_of(nn).c_str()) != 0) return sys_fail("rename " + dir_of(n));
    const auto it = folders_.find(n);
    if (it != folders_.end()) {
      std::shared_ptr<folder_state> f = it->second;
      folders_.erase(it);
      f->name = nn;
      f->dir = dir_of(nn);
      folders_[nn] = f;
    }
  }
  return {};
}

store_result imap_store::status(const std::string& name, mailbox_status& out) {
  std::string c;
  if (store_result r = canonical_name(name, false, c); !r.ok()) return r;
  std::shared_ptr<folder_state> f;
  if (store_result r = folder(c, false, f); !r.ok()) return r;
  out = {};
  out.messages = static_cast<std::uint32_t>(f->records.size());
  out.uidnext = f->uidnext;
  out.uidvalidity = f->uidvalidity;
  out.highest_modseq = f->modseq;
  for (msg_record& m : f->records) {
    if ((m.flags.system & message_flags::seen) == 0) ++out.unseen;
    if ((m.flags.system & message_flags::deleted) != 0) ++out.deleted;
    if (m.served == msg_record::unknown_size) {
      const int fd = ::open((f->dir + "/cur/" + file_name(m)).c_str(), O_RDONLY | O_CLOEXEC);
      std::uint64_t s = m.file_size;
      if (fd >= 0 && served_size_of(fd, s)) m.served = s;
      if (fd >= 0) ::close(fd);
    }
    out.size += m.served == msg_record::unknown_size ? m.file_size : m.served;
  }
  return {};
}

store_result imap_store::select(const std::string& name, bool read_only, std::unique_ptr<mailbox_view>& out) {
  std::string c;
  if (store_result r = canonical_name(name, false, c); !r.ok()) return r;
  std::shared_ptr<folder_state> f;
  if (store_result r = folder(c, false, f); !r.ok()) return r;
  out.reset(new mailbox_view(*this, f, read_only));
  return {};
}

// ------------------------------------------------------------ APPEND

imap_store::appender::~appender() {
  if (fd_ >= 0) ::close(fd_);
  if (!tmp_.empty()) ::unlink(tmp_.c_str());
}

store_result imap_store::begin_append(const std::string& name, const std::vector<imap::flag>& flags,
                                      const imap::date_time* date, appender& out) {
  std::string c;
  if (store_result r = canonical_name(name, false, c); !r.ok()) return r;
  std::shared_ptr<folder_state> f;
  if (store_result r = folder(c, false, f); !r.ok()) {
    if (r.code == store_code::nonexistent) r.code = store_code::trycreate;
    return r;
  }
  if (store_result r = to_bits(*f, flags, true, options_.fsync, out.flags_); !r.ok()) return r;
  out.store_ = this;
  out.f_ = f;
  out.mtime_ = date != nullptr ? imap::to_unix_seconds(*date) : static_cast<std::int64_t>(std::time(nullptr));
  out.tmp_ = f->dir + "/tmp/" + unique_base();
  out.fd_ = ::open(out.tmp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (out.fd_ < 0) {
    store_result r = sys_fail("create " + out.tmp_);
    out.tmp_.clear();
    return r;
  }
  return {};
}

store_result imap_store::appender::write(std::string_view bytes) {
  if (!error_.ok()) return error_;
  if (fd_ < 0) return fail(store_code::cannot, "no append under way");
  served_ += bytes.size() + bare_lfs(bytes, last_cr_ ? '\r' : '\0');
  if (!bytes.empty()) last_cr_ = bytes.back() == '\r';
  size_ += bytes.size();
  if (!write_all(fd_, bytes)) error_ = sys_fail("write " + tmp_);
  return error_;
}

store_result imap_store::appender::commit(std::uint32_t& uidvalidity, std::uint32_t& uid) {
  if (!error_.ok()) return error_;
  if (fd_ < 0) return fail(store_code::cannot, "no append under way");
  const bool sync = store_->options_.fsync;
  timespec times[2] = {{mtime_, 0}, {mtime_, 0}};
  if ((sync && ::fsync(fd_) != 0) || ::futimens(fd_, times) != 0) return error_ = sys_fail("fsync " + tmp_);
  ::close(fd_);
  fd_ = -1;
  folder_state& f = *f_;
  if (f.gone) return error_ = fail(store_code::trycreate, "mailbox was deleted");
  // Others' changes first, so that this message's UID is the next one.
  store_result r = store_->refresh(f);
  if (!r.ok()) return error_ = r;
  msg_record m;
  m.base = store_->unique_base() + ",S=" + std::to_string(size_) + ",W=" + std::to_string(served_);
  m.flags = flags_;
  m.mtime = mtime_;
  m.file_size = size_;
  m.served = served_;
  const std::string dest = f.dir + "/cur/" + file_name(m);
  if (::rename(tmp_.c_str(), dest.c_str()) != 0) return error_ = sys_fail("rename " + tmp_);
  tmp_.clear();
  if (sync) fsync_dir(f.dir + "/cur");
  if (f.uidnext == 0xFFFFFFFFu) return error_ = fail(store_code::cannot, "UIDs exhausted");
  m.uid = f.uidnext++;
  m.modseq = ++f.modseq;
  f.records.push_back(std::move(m));
  if (store_result w = save_uidlist(f, sync); !w.ok()) return error_ = w;
  uidvalidity = f.uidvalidity;
  uid = f.records.back().uid;
  return {};
}

store_result imap_store::append(const std::string& name, std::string_view bytes, const std::vector<imap::flag>& flags,
                                const imap::date_time* date, std::uint32_t& uidvalidity, std::uint32_t& uid) {
  appender a;
  if (store_result r = begin_append(name, flags, date, a); !r.ok()) return r;
  if (store_result r = a.write(bytes); !r.ok()) return r;
  return a.commit(uidvalidity, uid);
}


// ------------------------------------------------------------ messages

namespace {

// `s` with every bare LF made CRLF (`prev`: the byte before s).
std::string to_crlf(std::string_view s, char prev) {
  std::string out;
  out.reserve(s.size() + s.size() / 32);
  for (const char c : s) {
    if (c == '\n' && prev != '\r') out.push_back('\r');
    out.push_back(c);
    prev = c;
  }
  return out;
}

// The header fields of `header` (raw, folded lines kept, each with its line
// end) whose names are (or, with `invert`, are not) in `names`, then a
// blank line: BODY[HEADER.FIELDS (...)] (RFC 9051 6.4.5). Fields split as
// Dovecot splits them (imap::detail::for_each_field's rule). As Dovecot:
// HEADER.FIELDS always ends with the blank line (it adds a missing one),
// HEADER.FIELDS.NOT only when the header has one (a message that is only
// a header ends without).
std::string header_fields(std::string_view header, const std::vector<std::string_view>& names, bool invert) {
  std::string out;
  std::size_t at = 0;
  while (at < header.size()) {
    std::size_t end = at;
    for (;;) {
      const std::size_t lf = header.find('\n', end);
      end = lf == std::string_view::npos ? header.size() : lf + 1;
      if (end >= header.size() || (header[end] != ' ' && header[end] != '\t')) break;
    }
    const std::string_view field = header.substr(at, end - at);
    at = end;
    const std::size_t colon = field.find(':');
    const std::size_t lf = field.find('\n');
    if (colon == std::string_view::npos || (lf != std::string_view::npos && colon > lf)) continue;  // blank line too
    std::string_view name = field.substr(0, colon);
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
    bool listed = false;
    for (const std::string_view n : names) listed = listed || ascii::iequals(n, name);
    if (listed == invert) continue;
    out.append(field);
    if (out.back() != '\n') out.append("\r\n");
  }
  out = to_crlf(out, '\0');
  const bool blank_line = header.empty() || header == "\n" || header == "\r\n" ||
                          (header.size() >= 2 && header.substr(header.size() - 2) == "\n\n") ||
                          (header.size() >= 3 && header.substr(header.size() - 3) == "\n\r\n");
  if (!invert || blank_line) out.append("\r\n");
  return out;
}

void cut(section_bytes& out, const std::optional<imap::partial_range>& partial) {
  if (!partial) return;
  out.skip = std::min<std::uint64_t>(partial->origin, out.size);
  out.size = std::min<std::uint64_t>(partial->count, out.size - out.skip);
  if (!out.from_file) {
    out.memory = out.memory.substr(static_cast<std::size_t>(out.skip), static_cast<std::size_t>(out.size));
    out.skip = 0;
  }
}

// The line break after a message/rfc822 part `n` that Dovecot counts in the
// part where mailwire's MIME parser gives it to the boundary after it: when
// the enclosed message is all header, or ends with its own multipart's
// close delimiter (the rule imap/from_mime.hpp applies to the part's
// size, so that the bytes served agree with BODYSTRUCTURE). 0, 1 or 2.
std::uint64_t rfc822_tail(const mime::tree& t, const mime::node& n) {
  if (n.info.kind != mime::part_kind::message) return 0;
  const std::string_view after = t.source.substr(std::min<std::size_t>(t.source.size(), n.info.end));
  const std::uint64_t tail = after.substr(0, 4) == "\r\n--" ? 2 : after.substr(0, 3) == "\n--" ? 1 : 0;
  if (tail == 0) return 0;
  const std::string_view body = t.raw_body(n);
  if (imap::detail::header_end(body) == std::string_view::npos) return tail;
  if (n.children.empty()) return 0;
  const mime::node& inner = t.nodes[n.children.front()];
  const std::string* b = inner.info.type.find("boundary");
  if (inner.info.kind != mime::part_kind::multipart || b == nullptr) return 0;
  const std::string close = "--" + *b + "--";
  return body.size() >= close.size() && body.substr(body.size() - close.size()) == close ? tail : 0;
}

// The entity a section's part numbers name (RFC 9051 6.4.5), or null.
const mime::node* resolve_part(const mime::tree& t, const std::vector<std::uint32_t>& part) {
  const mime::node* cur = &t.root();
  bool at_message = true;  // cur is a message (the top one, or one inside message/rfc822)
  for (std::size_t i = 0; i < part.size(); ++i) {
    const std::uint32_t k = part[i];
    if (cur->info.kind == mime::part_kind::multipart) {
      if (k > cur->children.size()) return nullptr;
      cur = &t.nodes[cur->children[k - 1]];
    } else if (k == 1 && at_message) {
      // part 1 of a non-multipart message is its body: the entity itself
    } else {
      return nullptr;
    }
    at_message = false;
    if (i + 1 < part.size() && cur->info.kind == mime::part_kind::message) {
      if (cur->children.empty()) return nullptr;
      cur = &t.nodes[cur->children.front()];
      at_message = true;
    }
  }
  return cur;
}

}  // namespace

message::~message() {
  if (fd_ >= 0) ::close(fd_);
}

message::message(message&& o) noexcept
    : fd_(o.fd_),
      file_size_(o.file_size_),
      size_(o.size_),
      max_parse_(o.max_parse_),
      data_(std::move(o.data_)),
      tree_(std::move(o.tree_)) {
  o.fd_ = -1;
}

message& message::operator=(message&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    o.fd_ = -1;
    file_size_ = o.file_size_;
    size_ = o.size_;
    max_parse_ = o.max_parse_;
    data_ = std::move(o.data_);
    tree_ = std::move(o.tree_);
  }
  return *this;
}

store_result message::load(std::string_view& out) {
  if (fd_ < 0) return fail(store_code::cannot, "no message open");
  if (!data_) {
    if (file_size_ > max_parse_) return fail(store_code::too_big, "message too large to parse");
    auto d = std::make_unique<std::string>(static_cast<std::size_t>(file_size_), '\0');
    std::size_t got = 0;
    while (got < d->size()) {
      const ssize_t n = ::pread(fd_, &(*d)[got], d->size() - got, static_cast<off_t>(got));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return sys_fail("read message");
      got += static_cast<std::size_t>(n);
    }
    data_ = std::move(d);
  }
  out = *data_;
  return {};
}

store_result message::parsed(const mime::tree*& out) {
  if (!tree_) {
    std::string_view text;
    if (store_result r = load(text); !r.ok()) return r;
    tree_ = std::make_unique<mime::tree>(mime::parse_tree(text));
  }
  out = tree_.get();
  return {};
}

store_result message::header_end(std::uint64_t& he, std::uint64_t& served) {
  char buf[chunk_size];
  std::uint64_t off = 0, line_start = 0, bare = 0;
  char first = '\0', prev = '\0';
  while (off < file_size_) {
    const ssize_t n = ::pread(fd_, buf, sizeof buf, static_cast<off_t>(off));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return sys_fail("read message");
    for (ssize_t i = 0; i < n; ++i, ++off) {
      const char c = buf[i];
      if (off == line_start) first = c;
      if (c == '\n') {
        if (prev != '\r') ++bare;
        if (off == line_start || (off == line_start + 1 && first == '\r')) {
          he = off + 1;
          served = he + bare;
          return {};
        }
        line_start = off + 1;
      }
      prev = c;
    }
  }
  he = file_size_;  // no blank line: all header (as Dovecot reads it)
  served = size_;
  return {};
}

store_result message::section(const imap::section& sec, std::optional<imap::partial_range> partial,
                              section_bytes& out) {
  out = section_bytes{};
  if (fd_ < 0) return fail(store_code::cannot, "no message open");
  const bool fields = sec.text == imap::section_text::header_fields || sec.text == imap::section_text::header_fields_not;
  if (sec.part.empty()) {
    if (sec.text == imap::section_text::none) {
      out.from_file = true;
      out.file_length = file_size_;
      out.size = size_;
      cut(out, partial);
      return {};
    }
    std::uint64_t he = 0, served = 0;
    if (store_result r = header_end(he, served); !r.ok()) return r;
    if (fields) {
      if (he > max_parse_) return fail(store_code::too_big, "header too large");
      std::string header(static_cast<std::size_t>(he), '\0');
      std::size_t got = 0;
      while (got < header.size()) {
        const ssize_t n = ::pread(fd_, &header[got], header.size() - got, static_cast<off_t>(got));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return sys_fail("read message");
        got += static_cast<std::size_t>(n);
      }
      out.memory = header_fields(header, sec.fields, sec.text == imap::section_text::header_fields_not);
      out.size = out.memory.size();
    } else {
      out.from_file = true;
      const bool text = sec.text == imap::section_text::text;
      out.file_offset = text ? he : 0;
      out.file_length = text ? file_size_ - he : he;
      out.size = text ? size_ - served : served;
    }
    cut(out, partial);
    return {};
  }
  const mime::tree* t = nullptr;
  if (store_result r = parsed(t); !r.ok()) return r;
  const mime::node* n = resolve_part(*t, sec.part);
  const std::string_view all = t->source;
  // [begin, end) of the file, to serve (nothing when the part is missing).
  std::uint64_t begin = 0, end = 0;
  if (n != nullptr) {
    if (sec.text == imap::section_text::none || sec.text == imap::section_text::mime) {
      const std::string_view raw = t->raw(*n);
      const std::size_t h = header_end_in(raw);
      const std::uint64_t body = h == std::string_view::npos ? n->info.end : n->info.offset + h;
      begin = sec.text == imap::section_text::none ? body : n->info.offset;
      end = sec.text == imap::section_text::none ? n->info.end + rfc822_tail(*t, *n) : body;
    } else if (n->info.kind == mime::part_kind::message && !n->children.empty()) {
      // HEADER, TEXT, HEADER.FIELDS of the message a message/rfc822 part holds
      const mime::node& m = t->nodes[n->children.front()];
      const std::string_view raw = t->raw(m);
      const std::size_t h = header_end_in(raw);
      const std::uint64_t body = h == std::string_view::npos ? m.info.end : m.info.offset + h;
      const bool text = sec.text == imap::section_text::text;
      begin = text ? body : m.info.offset;
      end = text ? std::max(m.info.end, n->info.end) + rfc822_tail(*t, *n) : body;
    }
  }
  end = std::min<std::uint64_t>(end, all.size());
  begin = std::min(begin, end);
  const std::string_view bytes = all.substr(static_cast<std::size_t>(begin), static_cast<std::size_t>(end - begin));
  const char prev = begin > 0 ? all[static_cast<std::size_t>(begin - 1)] : '\0';
  if (fields) {
    out.memory = n == nullptr || bytes.empty()
                     ? std::string()
                     : header_fields(bytes, sec.fields, sec.text == imap::section_text::header_fields_not);
    out.size = out.memory.size();
  } else {
    out.from_file = true;
    out.file_offset = begin;
    out.file_length = end - begin;
    out.size = bytes.size() + bare_lfs(bytes, prev);
    out.pending_cr = prev == '\r';
  }
  cut(out, partial);
  return {};
}

store_result message::read(section_bytes& s, std::string& chunk, std::size_t max) {
  if (!s.from_file) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(max, s.size - s.done));
    chunk.append(s.memory, static_cast<std::size_t>(s.done), n);
    s.done += n;
    return {};
  }
  if (fd_ < 0) return fail(store_code::cannot, "no message open");
  char buf[chunk_size];
  std::size_t added = 0;
  const auto emit = [&](char x) {
    if (s.skip > 0) {
      --s.skip;
    } else if (s.done < s.size) {
      chunk.push_back(x);
      ++s.done;
      ++added;
    }
  };
  if (s.lf_pending && max > 0) {
    emit('\n');
    s.lf_pending = false;
    s.pending_cr = false;
    ++s.file_pos;
  }
  while (s.done < s.size && added < max) {
    const std::uint64_t left = s.file_length - s.file_pos;
    if (left == 0) return fail(store_code::io_error, "message file shorter than expected");
    const ssize_t n = ::pread(fd_, buf, static_cast<std::size_t>(std::min<std::uint64_t>(sizeof buf, left)),
                              static_cast<off_t>(s.file_offset + s.file_pos));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return sys_fail("read message");
    for (ssize_t i = 0; i < n && s.done < s.size && added < max; ++i) {
      const char c = buf[i];
      if (c == '\n' && !s.pending_cr) {
        emit('\r');
        if (added == max && s.done < s.size) {  // no room for its LF: next time
          s.lf_pending = true;
          return {};
        }
      }
      emit(c);
      s.pending_cr = c == '\r';
      ++s.file_pos;
    }
  }
  return {};
}

store_result message::envelope(imap::envelope& out, imap::mime_text_store& store) {
  const mime::tree* t = nullptr;
  if (store_result r = parsed(t); !r.ok()) return r;
  imap::envelope_from_mime(*t, out, store);
  return {};
}

store_result message::body_structure(imap::body_structure& out, imap::mime_text_store& store, bool extensible) {
  const mime::tree* t = nullptr;
  if (store_result r = parsed(t); !r.ok()) return r;
  imap::bodystructure_from_mime(*t, out, store, extensible);
  return {};
}

// ------------------------------------------------------------ a selected mailbox

mailbox_view::mailbox_view(imap_store& s, std::shared_ptr<folder_state> f, bool read_only)
    : store_(s), f_(std::move(f)), read_only_(read_only) {
  uids_.reserve(f_->records.size());
  for (const msg_record& r : f_->records) uids_.push_back(r.uid);
  modseq_ = f_->modseq;
  keywords_ = f_->keywords.size();
}

mailbox_view::~mailbox_view() = default;

const std::string& mailbox_view::name() const noexcept { return f_->name; }
std::uint32_t mailbox_view::uidvalidity() const noexcept { return f_->uidvalidity; }
std::uint32_t mailbox_view::uidnext() const noexcept { return f_->uidnext; }

std::size_t mailbox_view::record(std::uint32_t seq) const noexcept {
  if (seq == 0 || seq > uids_.size()) return folder_state::npos;
  return f_->find(uids_[seq - 1]);
}

std::uint32_t mailbox_view::uid(std::uint32_t seq) const noexcept {
  return seq == 0 || seq > uids_.size() ? 0 : uids_[seq - 1];
}

std::uint32_t mailbox_view::seq(std::uint32_t u) const noexcept {
  const auto it = std::lower_bound(uids_.begin(), uids_.end(), u);
  return it == uids_.end() || *it != u ? 0 : static_cast<std::uint32_t>(it - uids_.begin() + 1);
}

std::uint32_t mailbox_view::unseen() const {
  std::uint32_t n = 0;
  for (std::uint32_t s = 1; s <= exists(); ++s) {
    const std::size_t r = record(s);
    if (r != folder_state::npos && (f_->records[r].flags.system & message_flags::seen) == 0) ++n;
  }
  return n;
}

std::uint32_t mailbox_view::first_unseen() const {
  for (std::uint32_t s = 1; s <= exists(); ++s) {
    const std::size_t r = record(s);
    if (r != folder_state::npos && (f_->records[r].flags.system & message_flags::seen) == 0) return s;
  }
  return 0;
}

std::vector<imap::flag> mailbox_view::flag_list() const {
  std::vector<imap::flag> out;
  for (const imap::flag_kind k : system_kinds) out.push_back(imap::flag::system(k));
  for (const std::string& k : f_->keywords) out.push_back(imap::flag{imap::flag_kind::keyword, k});
  return out;
}

bool mailbox_view::can_create_keywords() const { return f_->keywords.size() < max_keywords; }

std::vector<std::uint32_t> mailbox_view::resolve(const imap::sequence_set& set, bool by_uid) const {
  std::vector<std::uint32_t> out;
  if (set.is_saved_result() || uids_.empty()) return out;
  std::vector<char> mark(uids_.size(), 0);
  const std::uint32_t largest = by_uid ? uids_.back() : exists();
  for (const imap::seq_range& r : set.ranges()) {
    std::uint32_t a = r.first == imap::seq_star ? largest : r.first;
    std::uint32_t b = r.last == imap::seq_star ? largest : r.last;
    if (a > b) std::swap(a, b);
    if (by_uid) {
      auto it = std::lower_bound(uids_.begin(), uids_.end(), a);
      for (; it != uids_.end() && *it <= b; ++it) mark[static_cast<std::size_t>(it - uids_.begin())] = 1;
    } else {
      for (std::uint32_t s = std::max<std::uint32_t>(a, 1); s <= std::min(b, largest); ++s) mark[s - 1] = 1;
    }
  }
  for (std::size_t i = 0; i < mark.size(); ++i) {
    if (mark[i] != 0) out.push_back(static_cast<std::uint32_t>(i + 1));
  }
  return out;
}

store_result mailbox_view::flags(std::uint32_t s, std::vector<imap::flag>& out) const {
  const std::size_t r = record(s);
  if (r == folder_state::npos) return fail(store_code::expunged, "message was expunged");
  to_flags(*f_, f_->records[r].flags, out);
  return {};
}

store_result mailbox_view::internal_date(std::uint32_t s, imap::date_time& out) const {
  const std::size_t r = record(s);
  if (r == folder_state::npos) return fail(store_code::expunged, "message was expunged");
  const std::int64_t t = f_->records[r].mtime;
  if (imap::from_unix_seconds(t, store_.zone_at(t), out) != errc::ok) imap::from_unix_seconds(0, 0, out);
  return {};
}

store_result mailbox_view::size(std::uint32_t s, std::uint64_t& out) {
  const std::size_t r = record(s);
  if (r == folder_state::npos) return fail(store_code::expunged, "message was expunged");
  if (f_->records[r].served == msg_record::unknown_size) {
    message m;
    if (store_result x = open(s, m); !x.ok()) return x;
  }
  const std::size_t again = record(s);
  if (again == folder_state::npos) return fail(store_code::expunged, "message was expunged");
  out = f_->records[again].served;
  return {};
}

std::uint64_t mailbox_view::modseq(std::uint32_t s) const noexcept {
  const std::size_t r = record(s);
  return r == folder_state::npos ? 0 : f_->records[r].modseq;
}

store_result mailbox_view::open(std::uint32_t s, message& out) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    const std::size_t r = record(s);
    if (r == folder_state::npos) return fail(store_code::expunged, "message was expunged");
    msg_record& m = f_->records[r];
    const int fd = ::open((f_->dir + "/cur/" + file_name(m)).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno != ENOENT) return sys_fail("open message");
      // Renamed (flags) or removed by another process: look again.
      f_->cur_mtime = {};
      store_.refresh(*f_);
      continue;
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      ::close(fd);
      return sys_fail("stat message");
    }
    m.file_size = static_cast<std::uint64_t>(st.st_size);
    if (m.served == msg_record::unknown_size && !served_size_of(fd, m.served)) {
      m.served = msg_record::unknown_size;
      ::close(fd);
      return sys_fail("read message");
    }
    out = message();
    out.fd_ = fd;
    out.file_size_ = m.file_size;
    out.size_ = m.served;
    out.max_parse_ = store_.options().max_parse;
    return {};
  }
  return fail(store_code::expunged, "message was expunged");
}

store_result mailbox_view::sync(view_changes& out) {
  out = view_changes{};
  store_result r = store_.refresh(*f_);
  if (f_->gone) {
    out.mailbox_gone = true;
    return {};
  }
  if (!r.ok()) return r;
  // Every arrival, flag change and expunge takes a modseq: none since this
  // view's last report means nothing to report, without walking the
  // folder (a client such as mbsync sends one command per message, and
  // each is followed by a sync).
  if (f_->modseq == modseq_ && f_->keywords.size() == keywords_) return {};
  // Expunged: in this view, no longer in the folder. Highest first.
  std::vector<std::uint32_t> kept;
  kept.reserve(uids_.size());
  for (std::size_t i = 0; i < uids_.size(); ++i) {
    if (f_->find(uids_[i]) == folder_state::npos) {
      out.expunged.push_back(static_cast<std::uint32_t>(i + 1));
      out.expunged_uids.push_back(uids_[i]);
    } else {
      kept.push_back(uids_[i]);
    }
  }
  std::reverse(out.expunged.begin(), out.expunged.end());
  std::reverse(out.expunged_uids.begin(), out.expunged_uids.end());
  const std::uint32_t last = kept.empty() ? 0 : kept.back();
  const std::size_t before = uids_.size();
  uids_ = std::move(kept);
  for (const msg_record& m : f_->records) {
    if (m.uid > last) uids_.push_back(m.uid);
  }
  out.exists = exists();
  out.exists_changed = uids_.size() != before - out.expunged.size() || !out.expunged.empty();
  for (std::uint32_t s = 1; s <= exists(); ++s) {
    const std::size_t i = record(s);
    const msg_record& m = f_->records[i];
    if (m.modseq > modseq_ && m.uid <= last) out.flags_changed.push_back(s);
  }
  out.keywords_changed = f_->keywords.size() != keywords_;
  keywords_ = f_->keywords.size();
  modseq_ = f_->modseq;
  return {};
}

store_result mailbox_view::store(const std::vector<std::uint32_t>& seqs, store_op op,
                                 const std::vector<imap::flag>& flags, std::vector<std::uint32_t>& changed) {
  changed.clear();
  if (read_only_) return fail(store_code::cannot, "mailbox is read-only");
  message_flags bits;
  if (store_result r = to_bits(*f_, flags, op != store_op::remove, store_.options().fsync, bits); !r.ok()) return r;
  const bool current = modseq_ == f_->modseq;  // nothing unreported: this view's changes need no report
  bool renamed = false;
  for (const std::uint32_t s : seqs) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      const std::size_t r = record(s);
      if (r == folder_state::npos) break;
      msg_record& m = f_->records[r];
      message_flags next = m.flags;
      if (op == store_op::replace) next = bits;
      if (op == store_op::add) {
        next.system = static_cast<std::uint8_t>(next.system | bits.system);
        next.keywords |= bits.keywords;
      }
      if (op == store_op::remove) {
        next.system = static_cast<std::uint8_t>(next.system & ~bits.system);
        next.keywords &= ~bits.keywords;
      }
      if (next == m.flags) {
        changed.push_back(s);
        break;
      }
      const std::string from = f_->dir + "/cur/" + file_name(m);
      const std::string to = f_->dir + "/cur/" + file_name(m.base, next, m.extra);
      if (::rename(from.c_str(), to.c_str()) != 0) {
        if (errno != ENOENT || attempt == 1) return sys_fail("rename " + from);
        f_->cur_mtime = {};
        store_.refresh(*f_);  // renamed by another process: take its name, try again
        continue;
      }
      m.flags = next;
      m.modseq = ++f_->modseq;
      changed.push_back(s);
      renamed = true;
      break;
    }
  }
  if (current) modseq_ = f_->modseq;
  // The new modseqs are kept (CONDSTORE clients compare them after a restart).
  return renamed ? save_uidlist(*f_, store_.options().fsync) : store_result{};
}

store_result mailbox_view::remove(const std::vector<std::uint32_t>& seqs, std::vector<std::uint32_t>& expunged,
                                  std::vector<std::uint32_t>& expunged_uids) {
  expunged.clear();
  expunged_uids.clear();
  std::vector<std::uint32_t> gone;  // seqs actually removed, ascending
  for (const std::uint32_t s : seqs) {
    const std::size_t r = record(s);
    if (r == folder_state::npos) continue;
    const std::string path = f_->dir + "/cur/" + file_name(f_->records[r]);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return sys_fail("unlink " + path);
    gone.push_back(s);
  }
  if (gone.empty()) return {};
  const bool current = modseq_ == f_->modseq;  // as in store(): its own expunges need no report
  for (auto it = gone.rbegin(); it != gone.rend(); ++it) {
    const std::uint32_t u = uids_[*it - 1];
    const std::size_t r = f_->find(u);
    if (r != folder_state::npos) {
      f_->records.erase(f_->records.begin() + static_cast<std::ptrdiff_t>(r));
      bury(*f_, u);
    }
    uids_.erase(uids_.begin() + static_cast<std::ptrdiff_t>(*it - 1));
    expunged.push_back(*it);
    expunged_uids.push_back(u);
  }
  if (current) modseq_ = f_->modseq;
  return save_uidlist(*f_, store_.options().fsync);
}

store_result mailbox_view::expunge(const imap::sequence_set* uid_filter, std::vector<std::uint32_t>& expunged,
                                   std::vector<std::uint32_t>& expunged_uids) {
  expunged.clear();
  expunged_uids.clear();
  if (read_only_) return fail(store_code::cannot, "mailbox is read-only");
  std::vector<std::uint32_t> seqs;
  const std::uint32_t largest = uids_.empty() ? 0 : uids_.back();
  for (std::uint32_t s = 1; s <= exists(); ++s) {
    const std::size_t r = record(s);
    if (r == folder_state::npos || (f_->records[r].flags.system & message_flags::deleted) == 0) continue;
    if (uid_filter != nullptr && !uid_filter->contains(uids_[s - 1], largest)) continue;
    seqs.push_back(s);
  }
  return remove(seqs, expunged, expunged_uids);
}

store_result mailbox_view::copy(const std::vector<std::uint32_t>& seqs, const std::string& dest, copy_result& out) {
  out = copy_result{};
  std::string c;
  if (store_result r = imap_store::canonical_name(dest, false, c); !r.ok()) return r;
  std::shared_ptr<folder_state> d;
  if (store_result r = store_.folder(c, false, d); !r.ok()) {
    if (r.code == store_code::nonexistent || r.code == store_code::noselect) r.code = store_code::trycreate;
    return r;
  }
  const bool sync = store_.options().fsync;
  for (const std::uint32_t s : seqs) {
    std::uint64_t served = 0;
    if (!size(s, served).ok()) continue;  // expunged meanwhile
    const msg_record src = f_->records[record(s)];
    std::vector<imap::flag> named;
    to_flags(*f_, src.flags, named);
    msg_record m;
    if (store_result r = to_bits(*d, named, true, sync, m.flags); !r.ok()) return r;
    m.extra = src.extra;
    m.base = store_.unique_base() + ",S=" + std::to_string(src.file_size) + ",W=" + std::to_string(served);
    m.mtime = src.mtime;
    m.file_size = src.file_size;
    m.served = served;
    const std::string from = f_->dir + "/cur/" + file_name(src);
    const std::string to = d->dir + "/cur/" + file_name(m);
    if (::link(from.c_str(), to.c_str()) != 0) {
      // Another file system, or no hard links: copy the bytes.
      const std::string tmp = d->dir + "/tmp/" + m.base;
      const int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
      const int o = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
      bool ok = in >= 0 && o >= 0;
      char buf[chunk_size];
      while (ok) {
        const ssize_t n = ::read(in, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
          ok = n == 0;
          break;
        }
        ok = write_all(o, std::string_view(buf, static_cast<std::size_t>(n)));
      }
      const timespec times[2] = {{src.mtime, 0}, {src.mtime, 0}};
      ok = ok && ::futimens(o, times) == 0 && (!sync || ::fsync(o) == 0);
      if (in >= 0) ::close(in);
      if (o >= 0) ::close(o);
      if (!ok || ::rename(tmp.c_str(), to.c_str()) != 0) {
        store_result r = sys_fail("copy " + from);
        ::unlink(tmp.c_str());
        return r;
      }
    }
    if (d->uidnext == 0xFFFFFFFFu) return fail(store_code::cannot, "UIDs exhausted");
    m.uid = d->uidnext++;
    m.modseq = ++d->modseq;
    out.source_uids.push_back(src.uid);
    out.dest_uids.push_back(m.uid);
    d->records.push_back(std::move(m));
  }
  if (sync) fsync_dir(d->dir + "/cur");
  out.uidvalidity = d->uidvalidity;
  return save_uidlist(*d, sync);
}

store_result mailbox_view::move(const std::vector<std::uint32_t>& seqs, const std::string& dest, copy_result& out) {
  if (read_only_) return fail(store_code::cannot, "mailbox is read-only");
  if (store_result r = copy(seqs, dest, out); !r.ok()) return r;
  std::vector<std::uint32_t> moved;
  for (const std::uint32_t u : out.source_uids) moved.push_back(seq(u));
  std::sort(moved.begin(), moved.end());
  return remove(moved, out.expunged, out.expunged_uids);
}

// ------------------------------------------------------------ BINARY

namespace {

// Whether BINARY undoes `e` (RFC 3516: the RFC 2045 encodings; x-uuencode
// is none of them): 1 yes, 0 nothing to undo, -1 cannot (UNKNOWN-CTE).
int decodes(mime::transfer_encoding e) {
  switch (e) {
    case mime::transfer_encoding::seven_bit:
    case mime::transfer_encoding::eight_bit:
    case mime::transfer_encoding::binary: return 0;
    case mime::transfer_encoding::quoted_printable:
    case mime::transfer_encoding::base64: return 1;
    default: return -1;
  }
}

// The first byte of entity n's body in t's source (its end when it has no
// blank line), as section() finds it.
std::uint64_t body_start(const mime::tree& t, const mime::node& n) {
  const std::size_t h = header_end_in(t.raw(n));
  return h == std::string_view::npos ? n.info.end : n.info.offset + h;
}

// The decoded body of leaf n (served bytes, then the encoding undone).
std::string decoded_body(const mime::tree& t, const mime::node& n) {
  const std::uint64_t b = body_start(t, n);
  const std::string_view all = t.source;
  const std::string served = to_crlf(all.substr(static_cast<std::size_t>(b), static_cast<std::size_t>(n.info.end - b)),
                                     b > 0 ? all[static_cast<std::size_t>(b - 1)] : '\0');
  std::string out;
  mime::body_decoder d(n.info.encoding);
  d.decode(served, out, nullptr);
  d.finish(out, nullptr);
  return out;
}

// Leaf n's header with its Content-Transfer-Encoding field(s) (and their
// folded lines) dropped and "Content-Transfer-Encoding: binary" last, then
// the blank line: what Dovecot writes for a decoded part inside BINARY[].
std::string binary_header(const mime::tree& t, const mime::node& n) {
  const std::string_view all = t.source;
  const std::uint64_t b = body_start(t, n);
  const std::string header =
      to_crlf(all.substr(static_cast<std::size_t>(n.info.offset), static_cast<std::size_t>(b - n.info.offset)),
              n.info.offset > 0 ? all[static_cast<std::size_t>(n.info.offset - 1)] : '\0');
  std::string out;
  bool dropping = false;
  for (std::size_t pos = 0; pos < header.size();) {
    std::size_t eol = header.find("\r\n", pos);
    eol = eol == std::string::npos ? header.size() : eol + 2;
    const std::string_view line(header.data() + pos, eol - pos);
    pos = eol;
    if (line == "\r\n") break;  // the blank line: written after the new field
    if (line.front() != ' ' && line.front() != '\t') {
      std::string_view name = line.substr(0, line.find(':'));
      while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
      dropping = ascii::iequals(name, "Content-Transfer-Encoding");
    }
    if (!dropping) out += line;
  }
  return out + "Content-Transfer-Encoding: binary\r\n\r\n";
}

}  // namespace

store_result message::binary(const std::vector<std::uint32_t>& part, std::optional<imap::partial_range> partial,
                             section_bytes& out, bool* decoded) {
  out = section_bytes{};
  if (decoded != nullptr) *decoded = false;
  imap::section sec;
  sec.part = part;
  if (fd_ < 0) return fail(store_code::cannot, "no message open");
  const mime::tree* t = nullptr;
  if (store_result r = parsed(t); !r.ok()) return r;
  const mime::node* n = part.empty() ? &t->root() : resolve_part(*t, part);
  if (n == nullptr) return section(sec, partial, out);  // no such part: as BODY[part]
  const std::string_view all = t->source;
  if (!part.empty() && n->info.kind == mime::part_kind::leaf) {
    // One part: its content decoded.
    const int how = decodes(n->info.encoding);
    if (how < 0) return fail(store_code::unknown_cte, "unknown Content-Transfer-Encoding");
    if (how == 0) return section(sec, partial, out);
    out.memory = decoded_body(*t, *n);
  } else {
    // The whole message, a multipart's body or an attached message: every
    // encoded leaf in it decoded in place, its header saying "binary" (as
    // Dovecot); the rest served as BODY[part] serves it.
    std::uint64_t begin = 0, end = all.size();
    const mime::node* top = n;
    if (!part.empty()) {
      begin = body_start(*t, *n);
      end = std::min<std::uint64_t>(n->info.end + rfc822_tail(*t, *n), all.size());
      if (n->info.kind == mime::part_kind::message && !n->children.empty()) top = &t->nodes[n->children.front()];
    }
    // Leaves in document order (an explicit stack: nesting is bounded by
    // the parser, but not small).
    std::vector<std::pair<const mime::node*, std::size_t>> stack{{top, 0}};
    std::uint64_t pos = begin;
    bool any = false;
    while (!stack.empty()) {
      auto& [cur, next] = stack.back();
      if (cur->info.kind != mime::part_kind::leaf) {
        if (next < cur->children.size()) {
          const mime::node* child = &t->nodes[cur->children[next++]];
          stack.push_back({child, 0});
        } else {
          stack.pop_back();
        }
        continue;
      }
      const mime::node& leaf = *cur;
      stack.pop_back();
      const int how = decodes(leaf.info.encoding);
      if (how < 0) return fail(store_code::unknown_cte, "unknown Content-Transfer-Encoding");
      if (how == 0 || leaf.info.offset < pos || leaf.info.end > end) continue;
      const char prev = pos > 0 ? all[static_cast<std::size_t>(pos - 1)] : '\0';
      out.memory += to_crlf(all.substr(static_cast<std::size_t>(pos), static_cast<std::size_t>(leaf.info.offset - pos)), prev);
      out.memory += binary_header(*t, leaf);
      out.memory += decoded_body(*t, leaf);
      pos = leaf.info.end;
      any = true;
    }
    if (!any) return section(sec, partial, out);  // nothing encoded: as BODY[part]
    const char prev = pos > 0 ? all[static_cast<std::size_t>(pos - 1)] : '\0';
    out.memory += to_crlf(all.substr(static_cast<std::size_t>(pos), static_cast<std::size_t>(end - pos)), prev);
  }
  if (decoded != nullptr) *decoded = true;
  out.size = out.memory.size();
  cut(out, partial);
  return {};
}

// ------------------------------------------------------------ CONDSTORE / QRESYNC

std::uint64_t mailbox_view::highest_modseq() const noexcept { return f_->modseq; }

store_result mailbox_view::store_unchanged_since(const std::vector<std::uint32_t>& seqs, store_op op,
                                                 const std::vector<imap::flag>& flags, std::uint64_t unchanged_since,
                                                 std::vector<std::uint32_t>& changed,
                                                 std::vector<std::uint32_t>& modified) {
  changed.clear();
  modified.clear();
  if (read_only_) return fail(store_code::cannot, "mailbox is read-only");
  std::vector<std::uint32_t> pass;
  for (const std::uint32_t s : seqs) {
    const std::size_t r = record(s);
    if (r == folder_state::npos) continue;  // expunged meanwhile: neither stored nor modified
    (f_->records[r].modseq > unchanged_since ? modified : pass).push_back(s);
  }
  return store(pass, op, flags, changed);
}

imap::sequence_set mailbox_view::vanished_since(std::uint64_t since, const imap::sequence_set* within) const {
  const std::uint32_t largest = f_->uidnext > 1 ? f_->uidnext - 1 : 0;
  std::vector<imap::seq_range> runs;  // ascending, adjacent ones joined
  auto run = [&runs](std::uint32_t a, std::uint32_t b) {
    if (!runs.empty() && runs.back().last + 1 == a) {
      runs.back().last = b;
    } else {
      runs.push_back({a, b});
    }
  };
  if (largest == 0 || since >= f_->modseq) {
    // Nothing expunged since.
  } else if (since >= f_->vanished_floor) {
    std::vector<std::uint32_t> uids;
    for (const folder_state::tombstone& t : f_->vanished) {
      if (t.modseq > since && (within == nullptr || within->contains(t.uid, largest))) uids.push_back(t.uid);
    }
    std::sort(uids.begin(), uids.end());
    uids.erase(std::unique(uids.begin(), uids.end()), uids.end());
    for (const std::uint32_t u : uids) run(u, u);
  } else {
    // Expunges that old may be forgotten: every UID of the range not in
    // the folder (RFC 7162 3.2.5.1 lets a client ignore UIDs it never
    // had), as ranges, so that the answer is bounded by the folder and the
    // client's set, not by the UID space.
    std::vector<imap::seq_range> ranges;
    if (within == nullptr) ranges.push_back({1, largest});
    for (imap::seq_range r : within != nullptr ? within->ranges() : std::vector<imap::seq_range>{}) {
      if (r.first == imap::seq_star) r.first = largest;
      if (r.last == imap::seq_star) r.last = largest;
      if (r.first > r.last) std::swap(r.first, r.last);
      if (r.first > largest) continue;
      r.last = std::min(r.last, largest);
      ranges.push_back(r);
    }
    std::sort(ranges.begin(), ranges.end(),
              [](const imap::seq_range& x, const imap::seq_range& y) { return x.first < y.first; });
    std::uint32_t from = 1;  // UIDs below it are done (largest < 2^32 - 1: no overflow)
    std::size_t k = 0;       // records below `from` are past
    for (const imap::seq_range& r : ranges) {
      for (std::uint32_t a = std::max(r.first, from); a <= r.last;) {
        while (k < f_->records.size() && f_->records[k].uid < a) ++k;
        const std::uint32_t stop = k < f_->records.size() ? std::min(f_->records[k].uid, r.last + 1) : r.last + 1;
        if (stop > a) run(a, stop - 1);
        a = stop + 1;  // past the message present at `stop` (or past the range)
        from = std::max(from, stop == r.last + 1 ? stop : a);
      }
    }
  }
  imap::sequence_set out;
  for (const imap::seq_range& r : runs) (void)out.add(r);
  return out;
}

// ------------------------------------------------------------ SEARCH

struct search_context {
  search_context(mailbox_view& view, const std::vector<std::uint32_t>* saved_uids) : v(view), saved(saved_uids) {}
  mailbox_view& v;
  const std::vector<std::uint32_t>* saved;
  std::int64_t now = 0;
  std::uint32_t s = 0;  // the message
  const msg_record* rec = nullptr;
  message msg;
  const mime::tree* tree = nullptr;
  bool tried = false;

  const mime::tree* content() {
    if (!tried) {
      tried = true;
      if (!v.open(s, msg).ok() || !msg.parsed(tree).ok()) tree = nullptr;
    }
    return tree;
  }

  static bool contains(std::string_view hay, std::string_view folded_needle) {
    return fold(hay).find(folded_needle) != std::string::npos;
  }

  bool header_has(std::string_view name, std::string_view needle) {
    const mime::tree* t = content();
    if (t == nullptr) return false;
    const std::string f = fold(needle);
    for (const mime::field& x : t->root().fields) {
      if (ascii::iequals(x.name, name) && contains(mime::decode_unstructured(x.value), f)) return true;
    }
    return false;
  }

  bool body_has(std::string_view needle, bool with_header) {
    const mime::tree* t = content();
    if (t == nullptr) return false;
    const std::string f = fold(needle);
    // TEXT searches every header, as Dovecot does: the message's, and
    // those inside it (an attached message/rfc822's, the parts' MIME
    // headers), which Dovecot's search reads as it walks the parts.
    if (with_header) {
      for (const mime::node& n : t->nodes) {
        for (const mime::field& x : n.fields) {
          if (contains(std::string(x.name) + ": " + mime::decode_unstructured(x.value), f)) return true;
        }
      }
    }
    for (const mime::node& n : t->nodes) {
      if (n.info.kind != mime::part_kind::leaf || n.info.type.type != "text") continue;
      if (contains(t->text(n), f)) return true;
    }
    return false;
  }

  // INTERNALDATE's day, in the server's zone at that time.
  bool internal_day(imap::date& d) const {
    return imap::from_unix_seconds(rec->mtime, v.store_.zone_at(rec->mtime), d) == errc::ok;
  }

  static int compare(const imap::date& a, const imap::date& b) {
    if (a.year != b.year) return a.year < b.year ? -1 : 1;
    if (a.month != b.month) return a.month < b.month ? -1 : 1;
    if (a.day != b.day) return a.day < b.day ? -1 : 1;
    return 0;
  }

  bool match(const imap::search_key& k) {
    using T = imap::search_key_type;
    const std::uint8_t sys = rec->flags.system;
    switch (k.type) {
      case T::all: return true;
      case T::answered: return (sys & message_flags::answered) != 0;
      case T::deleted: return (sys & message_flags::deleted) != 0;
      case T::draft: return (sys & message_flags::draft) != 0;
      case T::flagged: return (sys & message_flags::flagged) != 0;
      case T::seen: return (sys & message_flags::seen) != 0;
      case T::unanswered: return (sys & message_flags::answered) == 0;
      case T::undeleted: return (sys & message_flags::deleted) == 0;
      case T::undraft: return (sys & message_flags::draft) == 0;
      case T::unflagged: return (sys & message_flags::flagged) == 0;
      case T::unseen: return (sys & message_flags::seen) == 0;
      case T::new_:
      case T::recent: return false;  // \Recent is not kept
      case T::old: return true;
      case T::savedatesupported: return false;
      case T::bcc: return header_has("Bcc", k.text);
      case T::cc: return header_has("Cc", k.text);
      case T::from: return header_has("From", k.text);
      case T::subject: return header_has("Subject", k.text);
      case T::to: return header_has("To", k.text);
      case T::header: return header_has(k.field, k.text);
      case T::body: return body_has(k.text, false);
      case T::text: return body_has(k.text, true);
      case T::emailid:
      case T::threadid:
      case T::filter: return false;
      case T::keyword:
      case T::unkeyword: {
        int idx = -1;
        for (std::size_t i = 0; i < v.f_->keywords.size(); ++i) {
          if (ascii::iequals(v.f_->keywords[i], k.keyword.name)) idx = static_cast<int>(i);
        }
        const bool has = idx >= 0 && (rec->flags.keywords & (1u << idx)) != 0;
        return k.type == T::keyword ? has : !has;
      }
      case T::before:
      case T::on:
      case T::since: {
        imap::date d;
        if (!internal_day(d)) return false;
        const int c = compare(d, k.day);
        return k.type == T::before ? c < 0 : k.type == T::on ? c == 0 : c >= 0;
      }
      case T::sentbefore:
      case T::senton:
      case T::sentsince: {
        // The Date field's own day; without a valid one, INTERNALDATE's
        // (RFC 9051 6.4.4 leaves it open; Dovecot falls back so).
        const mime::tree* t = content();
        const mime::date_time dt = t != nullptr ? t->root().date() : mime::date_time{};
        imap::date d{dt.year, dt.month, dt.day};
        if (!dt.valid && !internal_day(d)) return false;
        const int c = compare(d, k.day);
        return k.type == T::sentbefore ? c < 0 : k.type == T::senton ? c == 0 : c >= 0;
      }
      case T::savedbefore:
      case T::savedon:
      case T::savedsince: return false;
      case T::larger:
      case T::smaller: {
        std::uint64_t n = 0;
        if (!v.size(s, n).ok()) return false;
        return k.type == T::larger ? n > k.number : n < k.number;
      }
      case T::older: return now - rec->mtime >= static_cast<std::int64_t>(k.number);
      case T::younger: return now - rec->mtime <= static_cast<std::int64_t>(k.number);
      case T::modseq: return rec->modseq >= k.number;
      case T::sequence_set:
        if (k.set.is_saved_result())
          return saved != nullptr && std::find(saved->begin(), saved->end(), rec->uid) != saved->end();
        return k.set.contains(s, v.exists());
      case T::uid:
        if (k.set.is_saved_result())
          return saved != nullptr && std::find(saved->begin(), saved->end(), rec->uid) != saved->end();
        return k.set.contains(rec->uid, v.uids_.empty() ? 0 : v.uids_.back());
      case T::not_: return k.children.size() == 1 && !match(k.children[0]);
      case T::or_: return k.children.size() == 2 && (match(k.children[0]) || match(k.children[1]));
      case T::fuzzy: return k.children.size() == 1 && match(k.children[0]);
      case T::group:
        for (const imap::search_key& c : k.children) {
          if (!match(c)) return false;
        }
        return true;
    }
    return false;
  }
};

store_result mailbox_view::search(const imap::search_key& key, bool by_uid, std::vector<std::uint32_t>& out,
                                  const std::vector<std::uint32_t>* saved) {
  out.clear();
  const auto now = static_cast<std::int64_t>(std::time(nullptr));
  for (std::uint32_t s = 1; s <= exists(); ++s) {
    const std::size_t r = record(s);
    if (r == folder_state::npos) continue;  // expunged by another session
    search_context c(*this, saved);
    c.now = now;
    c.s = s;
    c.rec = &f_->records[r];
    if (c.match(key)) out.push_back(by_uid ? uids_[s - 1] : s);
  }
  return {};
}

}  // namespace mailwire_example
