// Tests for the IMAP server example's Maildir++ store
// (examples/support/imap_store.hpp), on a tree built in a temporary
// directory: folders, names refused, UIDs across re-opening, flags in file
// names, APPEND/COPY/MOVE/EXPUNGE, sessions seeing each other's changes,
// FETCH sections against expected bytes, and SEARCH for each key kind.
// A plain program (example code stays out of the library's Catch2 binary):
// prints what failed and exits non-zero.
#include "imap_store.hpp"

#include "check.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mailwire/imap/mailbox.hpp>
#include <mailwire/imap/search.hpp>
#include <mailwire/imap/section.hpp>
#include <string>
#include <vector>

namespace {

using namespace mailwire_example;
namespace imap = mailwire::imap;
using mailwire::errc;

using mailwire_example_test::failures;
#define CHECK_EQ(a, b)                                                                                 \
  do {                                                                                                 \
    const auto& va_ = (a);                                                                             \
    const auto& vb_ = (b);                                                                             \
    if (!(va_ == vb_)) {                                                                               \
      std::fprintf(stderr, "%s:%d: FAILED: %s == %s\n", __FILE__, __LINE__, #a, #b);                 \
      std::fprintf(stderr, "  left:  [%s]\n  right: [%s]\n", show(va_).c_str(), show(vb_).c_str()); \
      ++mailwire_example_test::failures;                                                              \
    }                                                                                                  \
  } while (0)

std::string show(const std::string& s) {
  std::string out;
  for (const char c : s) {
    if (c == '\r')
      out += "\\r";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}
template <class T>
std::string show(const T& v) {
  if constexpr (std::is_integral_v<T> || std::is_enum_v<T>) {
    return std::to_string(static_cast<long long>(v));
  } else {
    std::string out;
    for (const auto& x : v) out += std::to_string(x) + ",";
    return out;
  }
}

using u32s = std::vector<std::uint32_t>;

std::string crlf(std::string_view s) {
  std::string out;
  for (const char c : s) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

void write_file(const std::string& path, std::string_view content, std::int64_t mtime) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0 || ::write(fd, content.data(), content.size()) != static_cast<ssize_t>(content.size())) {
    std::fprintf(stderr, "cannot write %s\n", path.c_str());
    std::exit(2);
  }
  const timespec times[2] = {{mtime, 0}, {mtime, 0}};
  ::futimens(fd, times);
  ::close(fd);
}

std::string read_file(const std::string& path) {
  std::string out;
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  std::fclose(f);
  return out;
}

std::vector<std::string> files_in(const std::string& dir) {
  std::vector<std::string> out;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      if (e->d_name[0] != '.') out.push_back(e->d_name);
    }
    ::closedir(d);
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool is_dir(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::int64_t mtime_of(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<std::int64_t>(st.st_mtim.tv_sec) : -1;
}

// "ATTR ATTR" of a LIST entry, to compare.
std::string attrs(const list_entry& e) {
  std::string out;
  for (const auto a : e.attributes) out += std::string(imap::to_string(a)) + " ";
  return out;
}
std::string listing(const std::vector<list_entry>& v) {
  std::string out;
  for (const auto& e : v) out += e.name + "(" + attrs(e) + ") ";
  return out;
}

// Section text ("1.2.HEADER", "HEADER.FIELDS (Subject)") to imap::section.
imap::section section_of(const std::string& text, std::string& keep) {
  keep = "[" + text + "]";
  std::string scratch;
  imap::detail::scanner sc(keep, scratch);
  imap::section sec;
  if (!imap::detail::parse_section(sc, sec)) {
    std::fprintf(stderr, "bad section %s\n", text.c_str());
    std::exit(2);
  }
  return sec;
}

// BODY[section]<partial> of message `seq`, read `step` bytes at a time.
std::string fetch(mailbox_view& v, std::uint32_t seq, const std::string& section,
                  std::optional<imap::partial_range> partial = std::nullopt, std::size_t step = 7) {
  message m;
  if (!v.open(seq, m).ok()) return "<open failed>";
  std::string keep;
  const imap::section sec = section_of(section, keep);
  section_bytes b;
  if (!m.section(sec, partial, b).ok()) return "<section failed>";
  std::string out;
  while (b.done < b.size) {
    const std::size_t before = out.size();
    if (!m.read(b, out, step).ok() || out.size() == before) return "<read failed>";
  }
  if (out.size() != b.size) return "<size mismatch>";
  return out;
}

// A search program ("SEEN NOT FLAGGED") as one group key.
std::vector<std::uint32_t> search(mailbox_view& v, const std::string& program, bool by_uid = false) {
  static std::vector<std::string> keep;  // the key views this text
  keep.push_back("(" + program + ")");
  static std::string scratch;
  scratch.reserve(4096);
  imap::detail::scanner sc(keep.back(), scratch);
  imap::search_key k;
  if (!imap::detail::read_search_key(sc, k) || !sc.at_end()) {
    std::fprintf(stderr, "bad search program %s\n", program.c_str());
    std::exit(2);
  }
  std::vector<std::uint32_t> out;
  if (!v.search(k, by_uid, out).ok()) out = {0xFFFFFFFFu};
  return out;
}

// ------------------------------------------------------------------ messages
// Written with LF line ends, as an MDA delivers them.

const std::string msg_plain =
    "From: Alice Example <alice@example.org>\n"
    "To: Bob <bob@example.net>\n"
    "Subject: Lunch on Friday\n"
    "Date: Mon, 7 Dec 2020 10:00:00 +0100\n"
    "Message-ID: <one@example.org>\n"
    "\n"
    "Shall we meet at noon?\n"
    "Alice\n";

const std::string inner =
    "From: Carol <carol@example.com>\n"
    "Subject: Inner message\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/alternative; boundary=\"in\"\n"
    "\n"
    "--in\n"
    "Content-Type: text/plain; charset=us-ascii\n"
    "\n"
    "plain alternative\n"
    "--in\n"
    "Content-Type: text/html\n"
    "\n"
    "<p>html alternative</p>\n"
    "--in--\n";

const std::string msg_multi =
    "From: Bob <bob@example.net>\n"
    "To: Alice <alice@example.org>\n"
    "Cc: Dave <dave@example.com>\n"
    "Subject: Forwarded report\n"
    "Date: Tue, 8 Dec 2020 23:30:00 -0500\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/mixed; boundary=\"out\"\n"
    "\n"
    "preamble\n"
    "--out\n"
    "Content-Type: text/plain\n"
    "\n"
    "See the attached message.\n"
    "--out\n"
    "Content-Type: message/rfc822\n"
    "\n" +
    inner +
    "--out--\n";

const std::string msg_encoded =
    "From: =?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <jm@example.de>\n"
    "To: team@example.org\n"
    "Bcc: secret@example.org\n"
    "Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe_aus_M=C3=9CNCHEN?=\n"
    "Date: Wed, 9 Dec 2020 08:00:00 +0000\n"
    "X-Priority: 1\n"
    "MIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "RGllIFfDpHJtZXB1bXBlIGlzdCBrYXB1dHQu\n";  // "Die Wärmepumpe ist kaputt."

const std::string msg_crlf =
    "From: Eve <eve@example.org>\r\n"
    "Subject: stored with CRLF\r\n"
    "\r\n"
    "already CRLF\r\n";

constexpr std::int64_t day = 86400;
constexpr std::int64_t t2020_12_07 = 1607299200;  // 2020-12-07T00:00:00Z

// ------------------------------------------------------------------ the tests

void test_names(imap_store& s) {
  // Traversal and malformed names, after mUTF-7 decoding.
  const std::vector<std::string> bad = {"../x", "a/b", "a..b", ".a", "..", "", std::string("a\0b", 3),
                                       "a\x01" "b", "x..", "a.b/../../etc", "a.", "\xC2\x85x", "\xFF"};
  for (const std::string& b : bad) {
    if (b == "a.") continue;  // CREATE's trailing delimiter: allowed, checked below
    CHECK_EQ(s.create(b).code, store_code::bad_name);
    CHECK_EQ(s.rename("INBOX", b).code, store_code::bad_name);
    CHECK_EQ(s.subscribe(b).code, store_code::bad_name);
  }
  std::unique_ptr<mailbox_view> none;
  CHECK_EQ(s.select("a.", false, none).code, store_code::bad_name);
  std::string utf8;
  CHECK(imap::mailbox_from_wire("&AC4-", false, utf8) != errc::ok);  // "." hidden in a shift
  CHECK(imap::mailbox_from_wire("&AC8-", false, utf8) != errc::ok);  // "/" hidden in a shift
  std::string c;
  CHECK(imap_store::canonical_name("inbox.Sub", false, c).ok() && c == "INBOX.Sub");
  CHECK(imap_store::canonical_name("Work.", true, c).ok() && c == "Work");
  CHECK(!imap_store::canonical_name(std::string(300, 'x'), false, c).ok());
  CHECK(imap_store::canonical_name(std::string(250, 'x'), false, c).ok());
  CHECK(!imap_store::canonical_name(std::string(260, 'x'), false, c).ok());  // ".xxx" past NAME_MAX
  // Nothing was created outside the tree, nor inside.
  CHECK(!is_dir(s.root() + "/../x"));
  CHECK(!is_dir(s.root() + "/.a..b"));
}

void test_folders(imap_store& s) {
  CHECK(s.create("Sent").ok());
  CHECK_EQ(s.create("Sent").code, store_code::already_exists);
  CHECK_EQ(s.create("inbox").code, store_code::already_exists);
  CHECK(s.create("Work.2024").ok());  // no "Work" folder of its own
  CHECK(s.create("Caf\xC3\xA9").ok());
  CHECK(is_dir(s.root() + "/.Caf&AOk-/cur"));  // modified UTF-7 on disk, as Dovecot
  CHECK(is_dir(s.root() + "/.Work.2024/new"));
  CHECK(!read_file(s.root() + "/.Sent/maildirfolder").empty() || is_dir(s.root() + "/.Sent/tmp"));

  std::vector<list_entry> l;
  CHECK(s.list("", "*", false, false, l).ok());
  CHECK_EQ(listing(l),
           std::string("INBOX(\\HasNoChildren ) Caf\xC3\xA9(\\HasNoChildren ) Sent(\\HasNoChildren \\Sent ) "
                       "Work(\\Noselect \\HasChildren ) Work.2024(\\HasNoChildren ) "));
  CHECK(s.list("", "%", false, false, l).ok());
  CHECK_EQ(listing(l), std::string("INBOX(\\HasNoChildren ) Caf\xC3\xA9(\\HasNoChildren ) Sent(\\HasNoChildren \\Sent ) "
                                   "Work(\\Noselect \\HasChildren ) "));
  CHECK(s.list("Work.", "%", false, false, l).ok());
  CHECK_EQ(listing(l), std::string("Work.2024(\\HasNoChildren ) "));
  CHECK(s.list("", "inbox", false, false, l).ok());
  CHECK_EQ(listing(l), std::string("INBOX(\\HasNoChildren ) "));
  CHECK(s.list("", "S*t", false, false, l).ok());
  CHECK_EQ(listing(l), std::string("Sent(\\HasNoChildren \\Sent ) "));

  // Subscriptions: LSUB "%" gives the parent of a subscribed child \Noselect.
  CHECK(s.subscribe("Work.2024").ok());
  CHECK(s.subscribe("Sent").ok());
  CHECK(s.subscribe("Sent").ok());  // twice is once
  CHECK(s.list("", "%", true, false, l).ok());
  CHECK_EQ(listing(l), std::string("Sent() Work(\\Noselect ) "));
  CHECK(s.list("", "*", true, false, l).ok());
  CHECK_EQ(listing(l), std::string("Sent() Work.2024() "));
  CHECK(s.list("", "*", false, true, l).ok());
  CHECK(listing(l).find("Sent(\\HasNoChildren \\Subscribed \\Sent )") != std::string::npos);
  CHECK_EQ(read_file(s.root() + "/subscriptions"), std::string("Work.2024\nSent\n"));
  CHECK(s.unsubscribe("Sent").ok());
  CHECK_EQ(s.unsubscribe("Sent").code, store_code::nonexistent);
  CHECK_EQ(read_file(s.root() + "/subscriptions"), std::string("Work.2024\n"));

  // DELETE: INBOX never; a \Noselect parent with children is refused; a
  // folder with children goes and its name stays as a parent.
  CHECK_EQ(s.remove("INBOX").code, store_code::cannot);
  CHECK_EQ(s.remove("Work").code, store_code::has_children);
  CHECK_EQ(s.remove("Nope").code, store_code::nonexistent);
  CHECK(s.create("Work").ok());
  CHECK(s.remove("Work").ok());
  CHECK(!is_dir(s.root() + "/.Work") && is_dir(s.root() + "/.Work.2024"));
  CHECK(s.list("", "Work", false, false, l).ok());
  CHECK_EQ(listing(l), std::string("Work(\\Noselect \\HasChildren ) "));
  std::unique_ptr<mailbox_view> v;
  CHECK_EQ(s.select("Work", false, v).code, store_code::noselect);
  CHECK_EQ(s.select("Nope", false, v).code, store_code::nonexistent);

  // RENAME with children; into itself refused; onto an existing name refused.
  CHECK(s.create("Work").ok());
  CHECK(s.create("Work.2024.Q1").ok());
  CHECK_EQ(s.rename("Work", "Work.Sub").code, store_code::cannot);
  CHECK_EQ(s.rename("Work", "Sent").code, store_code::already_exists);
  CHECK_EQ(s.rename("Nope", "Other").code, store_code::nonexistent);
  CHECK(s.rename("Work", "Play").ok());
  CHECK(is_dir(s.root() + "/.Play") && is_dir(s.root() + "/.Play.2024") && is_dir(s.root() + "/.Play.2024.Q1"));
  CHECK(!is_dir(s.root() + "/.Work") && !is_dir(s.root() + "/.Work.2024"));
  CHECK(s.remove("Play.2024.Q1").ok());
  CHECK(s.remove("Play.2024").ok());
  CHECK(s.remove("Play").ok());
  CHECK(s.remove("Caf\xC3\xA9").ok());
  CHECK(s.list("", "*", false, false, l).ok());
  CHECK_EQ(listing(l), std::string("INBOX(\\HasNoChildren ) Sent(\\HasNoChildren \\Sent ) "));
}

void build_inbox(const std::string& root) {
  // Three deliveries into new/ (LF line ends), one file already in cur/
  // with flags from another program.
  write_file(root + "/new/1000.A.host", msg_plain, t2020_12_07 + 3600);
  write_file(root + "/new/1001.B.host", msg_multi, t2020_12_07 + day + 3600);
  write_file(root + "/new/0999.C.host", msg_encoded, t2020_12_07 + 2 * day + 3600);  // newest, name sorts first
  write_file(root + "/cur/1002.D.host:2,FS", msg_crlf, t2020_12_07 + 3 * day + 3600);
}

void test_uids_and_flags(imap_store& s) {
  std::unique_ptr<mailbox_view> v;
  CHECK(s.select("INBOX", false, v).ok());
  CHECK_EQ(v->exists(), 4u);
  CHECK(files_in(s.root() + "/new").empty());
  // Oldest first: msg_plain, msg_multi, msg_encoded, then the one in cur/
  // (not in the list: after the new ones? it is the newest by mtime).
  CHECK_EQ(v->uid(1), 1u);
  CHECK_EQ(v->uid(4), 4u);
  CHECK_EQ(v->uidnext(), 5u);
  const std::uint32_t validity = v->uidvalidity();
  CHECK(validity != 0);
  std::uint64_t size = 0;
  CHECK(v->size(1, size).ok());
  CHECK_EQ(size, static_cast<std::uint64_t>(crlf(msg_plain).size()));
  CHECK(v->size(4, size).ok());
  CHECK_EQ(size, static_cast<std::uint64_t>(msg_crlf.size()));
  imap::date_time t;
  CHECK(v->internal_date(1, t).ok());
  CHECK(t == (imap::date_time{2020, 12, 7, 1, 0, 0, 0}));
  CHECK_EQ(v->unseen(), 3u);
  CHECK_EQ(v->first_unseen(), 1u);
  std::vector<imap::flag> fl;
  CHECK(v->flags(4, fl).ok());
  CHECK(fl.size() == 2 && fl[0] == imap::flag::system(imap::flag_kind::flagged) &&
        fl[1] == imap::flag::system(imap::flag_kind::seen));
  CHECK_EQ(read_file(s.root() + "/mailwire-uidlist").substr(0, 2), std::string("2 "));

  // STORE: flags go into the file name, sorted; keywords as letters.
  std::vector<std::uint32_t> changed;
  const std::vector<imap::flag> add = {imap::flag::system(imap::flag_kind::seen),
                                       imap::flag{imap::flag_kind::keyword, "$Forwarded"},
                                       imap::flag::system(imap::flag_kind::answered),
                                       imap::flag::system(imap::flag_kind::recent)};
  CHECK(v->store({1, 2}, store_op::add, add, changed).ok());
  CHECK_EQ(changed, (u32s{1, 2}));
  std::vector<std::string> cur = files_in(s.root() + "/cur");
  CHECK(cur.size() == 4);
  CHECK(cur[1].size() > 6 && cur[1].substr(cur[1].size() - 6) == ":2,RSa");  // 1000.A.host
  CHECK_EQ(read_file(s.root() + "/dovecot-keywords"), std::string("0 $Forwarded\n"));
  CHECK(v->store({1}, store_op::remove, {imap::flag::system(imap::flag_kind::answered)}, changed).ok());
  CHECK(v->store({2}, store_op::replace, {imap::flag{imap::flag_kind::keyword, "Work"},
                                          imap::flag::system(imap::flag_kind::draft)}, changed).ok());
  CHECK(v->flags(2, fl).ok());
  CHECK(fl.size() == 2 && fl[0] == imap::flag::system(imap::flag_kind::draft) && fl[1].name == "Work");
  cur = files_in(s.root() + "/cur");
  CHECK(cur[1].substr(cur[1].size() - 5) == ":2,Sa");
  CHECK(cur[2].substr(cur[2].size() - 5) == ":2,Db");
  CHECK_EQ(v->flag_list().size(), std::size_t{7});

  // A read-only view cannot store.
  std::unique_ptr<mailbox_view> ro;
  CHECK(s.select("INBOX", true, ro).ok());
  CHECK_EQ(ro->store({1}, store_op::add, add, changed).code, store_code::cannot);

  // Re-opened by a new store (a restart): same UIDVALIDITY, UIDs, flags.
  imap_store again;
  CHECK(again.open(s.root()).ok());
  std::unique_ptr<mailbox_view> w;
  CHECK(again.select("inbox", false, w).ok());
  CHECK_EQ(w->uidvalidity(), validity);
  CHECK_EQ(w->exists(), 4u);
  for (std::uint32_t i = 1; i <= 4; ++i) CHECK_EQ(w->uid(i), v->uid(i));
  CHECK(w->flags(2, fl).ok());
  CHECK(fl.size() == 2 && fl[1].name == "Work");
  // A new delivery gets the next UID, in the old store and the new.
  write_file(s.root() + "/new/2000.E.host", msg_plain, t2020_12_07 + 10 * day);
  view_changes ch;
  CHECK(w->sync(ch).ok());
  CHECK(ch.exists_changed && ch.exists == 5);
  CHECK_EQ(w->uid(5), 5u);
  imap_store third;
  CHECK(third.open(s.root()).ok());
  std::unique_ptr<mailbox_view> x;
  CHECK(third.select("INBOX", false, x).ok());
  CHECK_EQ(x->uid(5), 5u);
  CHECK_EQ(x->uidnext(), 6u);
  // Flags changed by another process (a rename) are seen at sync.
  cur = files_in(s.root() + "/cur");
  std::string f0;
  for (const auto& n : cur) {
    if (n.rfind("2000.E.host", 0) == 0) f0 = n;
  }
  CHECK(::rename((s.root() + "/cur/" + f0).c_str(), (s.root() + "/cur/2000.E.host:2,FT").c_str()) == 0);
  CHECK(v->sync(ch).ok());  // v had not seen message 5 yet
  CHECK(ch.exists == 5 && ch.flags_changed.empty());
  CHECK(x->sync(ch).ok());
  CHECK_EQ(ch.flags_changed, (u32s{5}));
  CHECK(x->flags(5, fl).ok());
  CHECK(fl.size() == 2 && fl[0] == imap::flag::system(imap::flag_kind::flagged) &&
        fl[1] == imap::flag::system(imap::flag_kind::deleted));
}

void test_sections(imap_store& s) {
  std::unique_ptr<mailbox_view> v;
  CHECK(s.select("INBOX", true, v).ok());
  // Whole message, header, text; served with CRLF.
  CHECK_EQ(fetch(*v, 1, ""), crlf(msg_plain));
  CHECK_EQ(fetch(*v, 1, "", std::nullopt, 1), crlf(msg_plain));
  CHECK_EQ(fetch(*v, 1, "HEADER"), crlf(msg_plain.substr(0, msg_plain.find("\n\n") + 2)));
  CHECK_EQ(fetch(*v, 1, "TEXT"), crlf("Shall we meet at noon?\nAlice\n"));
  CHECK_EQ(fetch(*v, 1, "1"), crlf("Shall we meet at noon?\nAlice\n"));  // part 1 of a non-multipart
  CHECK_EQ(fetch(*v, 1, "1.MIME"), crlf(msg_plain.substr(0, msg_plain.find("\n\n") + 2)));
  CHECK_EQ(fetch(*v, 1, "2"), std::string());  // no such part
  CHECK_EQ(fetch(*v, 1, "HEADER.FIELDS (SUBJECT from)"),
           std::string("From: Alice Example <alice@example.org>\r\nSubject: Lunch on Friday\r\n\r\n"));
  CHECK_EQ(fetch(*v, 1, "HEADER.FIELDS (X-None)"), std::string("\r\n"));
  CHECK_EQ(fetch(*v, 1, "HEADER.FIELDS.NOT (Subject Date Message-ID)"),
           std::string("From: Alice Example <alice@example.org>\r\nTo: Bob <bob@example.net>\r\n\r\n"));
  // Partial: bytes of the served form; a CRLF made from LF can be split.
  const std::string whole = crlf(msg_plain);
  CHECK_EQ(fetch(*v, 1, "", imap::partial_range{0, 10}), whole.substr(0, 10));
  const std::size_t cr = whole.find('\r');
  CHECK_EQ(fetch(*v, 1, "", imap::partial_range{cr + 1, 5}), whole.substr(cr + 1, 5));
  CHECK_EQ(fetch(*v, 1, "", imap::partial_range{whole.size() - 3, 100}), whole.substr(whole.size() - 3));
  CHECK_EQ(fetch(*v, 1, "", imap::partial_range{whole.size() + 5, 100}), std::string());
  CHECK_EQ(fetch(*v, 1, "TEXT", imap::partial_range{6, 4}), std::string("we m"));
  CHECK_EQ(fetch(*v, 1, "HEADER.FIELDS (Subject)", imap::partial_range{9, 5}), std::string("Lunch"));

  // A multipart with a message/rfc822 part holding a multipart/alternative.
  // The line break before a boundary is the boundary's (RFC 2046 5.1.1)...
  CHECK_EQ(fetch(*v, 2, "1"), std::string("See the attached message."));
  CHECK_EQ(fetch(*v, 2, "1.MIME"), crlf("Content-Type: text/plain\n\n"));
  // ...except after a message/rfc822 part that ends with its own close
  // delimiter: Dovecot counts it in the part (imap/from_mime.hpp), and
  // the bytes agree with the size BODYSTRUCTURE gives.
  CHECK_EQ(fetch(*v, 2, "2"), crlf(inner));
  CHECK_EQ(fetch(*v, 2, "2.MIME"), crlf("Content-Type: message/rfc822\n\n"));
  CHECK_EQ(fetch(*v, 2, "2.HEADER"), crlf(inner.substr(0, inner.find("\n\n") + 2)));
  CHECK_EQ(fetch(*v, 2, "2.HEADER.FIELDS (Subject)"), std::string("Subject: Inner message\r\n\r\n"));
  CHECK_EQ(fetch(*v, 2, "2.TEXT"), crlf(inner.substr(inner.find("\n\n") + 2)));
  CHECK_EQ(fetch(*v, 2, "2.1"), crlf("plain alternative"));
  CHECK_EQ(fetch(*v, 2, "2.2"), crlf("<p>html alternative</p>"));
  CHECK_EQ(fetch(*v, 2, "2.2.MIME"), crlf("Content-Type: text/html\n\n"));
  CHECK_EQ(fetch(*v, 2, "2.3"), std::string());
  CHECK_EQ(fetch(*v, 2, "1.1"), std::string());  // a text part has no parts
  CHECK_EQ(fetch(*v, 2, "1.HEADER"), std::string());  // nor a header of a message
  CHECK_EQ(fetch(*v, 2, "TEXT"), crlf(msg_multi.substr(msg_multi.find("\n\n") + 2)));
  // A file stored with CRLF is served byte for byte.
  CHECK_EQ(fetch(*v, 4, ""), msg_crlf);
  CHECK_EQ(fetch(*v, 4, "TEXT"), std::string("already CRLF\r\n"));

  // ENVELOPE and BODYSTRUCTURE through imap::from_mime.
  message m;
  CHECK(v->open(2, m).ok());
  CHECK_EQ(m.size(), static_cast<std::uint64_t>(crlf(msg_multi).size()));
  imap::mime_text_store texts;
  imap::envelope e;
  CHECK(m.envelope(e, texts).ok());
  CHECK(e.subject && *e.subject == "Forwarded report");
  CHECK(e.cc.size() == 1 && e.cc[0].mailbox && *e.cc[0].mailbox == "dave");
  imap::body_structure b;
  CHECK(m.body_structure(b, texts, true).ok());
  CHECK(b.kind == imap::body_kind::multipart && b.children.size() == 2);
  CHECK(b.children.size() == 2 && b.children[1].kind == imap::body_kind::message &&
        b.children[1].children.size() == 1 && b.children[1].children[0].children.size() == 2);
  CHECK(b.children.size() == 2 && b.children[0].octets == std::string("See the attached message.").size());
  CHECK(b.children.size() == 2 && b.children[1].octets == crlf(inner).size());

  // Streaming: a large message is read in bounded pieces.
  std::string big = "Subject: big\n\n";
  for (int i = 0; i < 20000; ++i) big += "line " + std::to_string(i) + " of a long message body\n";
  std::uint32_t validity = 0, uid = 0;
  CHECK(s.append("Sent", big, {}, nullptr, validity, uid).ok());
  std::unique_ptr<mailbox_view> sent;
  CHECK(s.select("Sent", true, sent).ok());
  message bm;
  CHECK(sent->open(sent->seq(uid), bm).ok());
  section_bytes sb;
  CHECK(bm.section(imap::section{}, std::nullopt, sb).ok());
  CHECK_EQ(sb.size, static_cast<std::uint64_t>(crlf(big).size()));
  std::string got, piece;
  std::size_t largest = 0;
  while (sb.done < sb.size) {
    piece.clear();
    if (!bm.read(sb, piece, 4096).ok() || piece.empty()) break;
    largest = std::max(largest, piece.size());
    got += piece;
  }
  CHECK(got == crlf(big));
  CHECK(largest <= 4096);

  // A message that is only a header (no blank line, no body), as Dovecot
  // serves it: HEADER as stored, HEADER.FIELDS with the blank line added,
  // HEADER.FIELDS.NOT without one.
  const std::string header_only = "Subject: only a header\nX-Note: nothing follows\n";
  CHECK(s.append("Sent", header_only, {}, nullptr, validity, uid).ok());
  view_changes seen;
  CHECK(sent->sync(seen).ok());
  const std::uint32_t ho = sent->seq(uid);
  CHECK_EQ(fetch(*sent, ho, "HEADER"), crlf(header_only));
  CHECK_EQ(fetch(*sent, ho, "HEADER.FIELDS (Subject)"), std::string("Subject: only a header\r\n\r\n"));
  CHECK_EQ(fetch(*sent, ho, "HEADER.FIELDS.NOT (Subject)"), std::string("X-Note: nothing follows\r\n"));
  CHECK_EQ(fetch(*sent, ho, "HEADER.FIELDS.NOT (X-None)"), crlf(header_only));
  // With the blank line, .NOT keeps it.
  CHECK_EQ(fetch(*v, 1, "HEADER.FIELDS.NOT (X-None)"), crlf(msg_plain.substr(0, msg_plain.find("\n\n") + 2)));
}

void test_append_copy_move_expunge(imap_store& s) {
  std::uint32_t validity = 0, uid = 0;
  const imap::date_time when{2021, 3, 4, 5, 6, 7, 120};  // +0200
  CHECK_EQ(s.append("Nope", msg_crlf, {}, nullptr, validity, uid).code, store_code::trycreate);
  CHECK(s.create("Archive").ok());
  CHECK(s.append("Archive", msg_crlf, {imap::flag::system(imap::flag_kind::seen)}, &when, validity, uid).ok());
  CHECK_EQ(uid, 1u);
  std::unique_ptr<mailbox_view> a;
  CHECK(s.select("Archive", false, a).ok());
  CHECK_EQ(a->uidvalidity(), validity);
  std::vector<std::string> cur = files_in(s.root() + "/.Archive/cur");
  CHECK(cur.size() == 1 && cur[0].find(",S=" + std::to_string(msg_crlf.size()) + ",W=") != std::string::npos &&
        cur[0].substr(cur[0].size() - 4) == ":2,S");
  CHECK_EQ(mtime_of(s.root() + "/.Archive/cur/" + cur[0]), imap::to_unix_seconds(when));
  CHECK_EQ(read_file(s.root() + "/.Archive/cur/" + cur[0]), msg_crlf);  // stored as given
  // Streamed APPEND, with a keyword.
  imap_store::appender ap;
  CHECK(s.begin_append("Archive", {imap::flag{imap::flag_kind::keyword, "Later"}}, &when, ap).ok());
  CHECK(ap.write(msg_plain.substr(0, 10)).ok());
  CHECK(ap.write(msg_plain.substr(10)).ok());
  CHECK(ap.commit(validity, uid).ok());
  CHECK_EQ(uid, 2u);
  view_changes ch;
  CHECK(a->sync(ch).ok());
  CHECK(ch.exists == 2 && ch.keywords_changed);
  std::uint64_t size = 0;
  CHECK(a->size(2, size).ok());
  CHECK_EQ(size, static_cast<std::uint64_t>(crlf(msg_plain).size()));
  // An abandoned APPEND leaves nothing in tmp/.
  {
    imap_store::appender gone;
    CHECK(s.begin_append("Archive", {}, nullptr, gone).ok());
    CHECK(gone.write("partial").ok());
  }
  CHECK(files_in(s.root() + "/.Archive/tmp").empty());

  // COPY keeps flags (keywords by name) and INTERNALDATE.
  std::unique_ptr<mailbox_view> in;
  CHECK(s.select("INBOX", false, in).ok());
  copy_result cr;
  CHECK_EQ(in->copy({1}, "Nope", cr).code, store_code::trycreate);
  CHECK(in->copy({1, 2}, "Archive", cr).ok());
  CHECK_EQ(cr.uidvalidity, validity);
  CHECK_EQ(cr.source_uids, (u32s{1, 2}));
  CHECK_EQ(cr.dest_uids, (u32s{3, 4}));
  CHECK(a->sync(ch).ok());
  CHECK_EQ(ch.exists, 4u);
  std::vector<imap::flag> fl;
  CHECK(a->flags(4, fl).ok());  // INBOX 2 had \Draft Work
  CHECK(fl.size() == 2 && fl[0] == imap::flag::system(imap::flag_kind::draft) && fl[1].name == "Work");
  imap::date_time t1, t2;
  CHECK(in->internal_date(2, t1).ok() && a->internal_date(4, t2).ok() && t1 == t2);
  CHECK_EQ(fetch(*a, 4, ""), crlf(msg_multi));

  // 26 keywords fit (letters a-z); the 27th is refused and PERMANENTFLAGS
  // loses \* when the table is full.
  std::vector<std::uint32_t> stored;
  CHECK(a->can_create_keywords());
  for (int i = 0; i < 23; ++i) {  // Later, $Forwarded and Work are there already
    static std::deque<std::string> names;
    names.push_back("K" + std::to_string(i));
    CHECK(a->store({1}, store_op::add, {imap::flag{imap::flag_kind::keyword, names.back()}}, stored).ok());
  }
  CHECK(!a->can_create_keywords());
  CHECK_EQ(a->store({1}, store_op::add, {imap::flag{imap::flag_kind::keyword, "OneTooMany"}}, stored).code,
           store_code::cannot);
  CHECK(a->store({1}, store_op::add, {imap::flag{imap::flag_kind::keyword, "k22"}}, stored).ok());  // known, any case
  CHECK(a->flags(1, fl).ok());
  CHECK_EQ(fl.size(), std::size_t{24});  // \Seen and K0-K22
  cur = files_in(s.root() + "/.Archive/cur");
  CHECK(std::any_of(cur.begin(), cur.end(), [](const std::string& n) {
    return n.size() > 27 && n.substr(n.size() - 27) == ":2,Sdefghijklmnopqrstuvwxyz";
  }));

  // MOVE: copied, then expunged from the source.
  std::unique_ptr<mailbox_view> other;
  CHECK(s.select("INBOX", false, other).ok());
  CHECK(in->move({3}, "Archive", cr).ok());
  CHECK_EQ(cr.dest_uids, (u32s{5}));
  CHECK_EQ(cr.expunged, (u32s{3}));
  CHECK_EQ(in->exists(), 4u);
  CHECK_EQ(in->uid(3), 4u);
  // The other session keeps its numbers until it syncs; the moved message
  // reads as expunged meanwhile.
  CHECK_EQ(other->exists(), 5u);
  message gone;
  CHECK_EQ(other->open(3, gone).code, store_code::expunged);
  CHECK(other->sync(ch).ok());
  CHECK_EQ(ch.expunged, (u32s{3}));
  CHECK_EQ(ch.expunged_uids, (u32s{3}));
  CHECK_EQ(other->exists(), 4u);

  // EXPUNGE: numbers highest first, each valid when its response is sent.
  std::vector<std::uint32_t> changed, ex, exu;
  CHECK(s.create("Box").ok());
  for (int i = 0; i < 6; ++i) CHECK(s.append("Box", msg_crlf, {}, nullptr, validity, uid).ok());
  std::unique_ptr<mailbox_view> b1, b2;
  CHECK(s.select("Box", false, b1).ok());
  CHECK(s.select("Box", false, b2).ok());
  CHECK(b1->store({2, 3, 5, 6}, store_op::add, {imap::flag::system(imap::flag_kind::deleted)}, changed).ok());
  imap::sequence_set only;
  CHECK(imap::parse_sequence_set("5:6", only) == errc::ok);
  CHECK(b1->expunge(&only, ex, exu).ok());  // UID EXPUNGE 5:6
  CHECK_EQ(ex, (u32s{6, 5}));
  CHECK(b1->expunge(nullptr, ex, exu).ok());
  CHECK_EQ(ex, (u32s{3, 2}));
  CHECK_EQ(exu, (u32s{3, 2}));
  CHECK_EQ(b1->exists(), 2u);
  CHECK_EQ(files_in(s.root() + "/.Box/cur").size(), std::size_t{2});
  CHECK(b2->sync(ch).ok());
  CHECK_EQ(ch.expunged, (u32s{6, 5, 3, 2}));
  CHECK_EQ(ch.flags_changed, u32s{});  // the deleted ones are gone
  CHECK_EQ(b2->uid(1), 1u);
  CHECK_EQ(b2->uid(2), 4u);
  // Flags one session sets reach the other; not back to the first.
  CHECK(b1->store({2}, store_op::add, {imap::flag::system(imap::flag_kind::flagged)}, changed).ok());
  CHECK(b2->sync(ch).ok());
  CHECK_EQ(ch.flags_changed, (u32s{2}));
  CHECK(b1->sync(ch).ok());
  CHECK_EQ(ch.flags_changed, u32s{});
  // UIDs are never reused after an expunge (6 was the last), also across
  // a restart.
  imap_store again;
  CHECK(again.open(s.root()).ok());
  CHECK(again.append("Box", msg_crlf, {}, nullptr, validity, uid).ok());
  CHECK_EQ(uid, 7u);
  mailbox_status st;
  CHECK(s.status("Box", st).ok());
  CHECK_EQ(st.messages, 3u);
  CHECK_EQ(st.uidnext, 8u);
  CHECK_EQ(st.unseen, 3u);
  CHECK_EQ(st.deleted, 0u);
  CHECK_EQ(st.size, static_cast<std::uint64_t>(3 * msg_crlf.size()));
  CHECK_EQ(s.status("Nope", st).code, store_code::nonexistent);
  // A deleted folder: its sessions are told.
  CHECK(s.remove("Box").ok());
  CHECK(b2->sync(ch).ok());
  CHECK(ch.mailbox_gone);
}

void test_search(imap_store& s) {
  std::unique_ptr<mailbox_view> v;
  CHECK(s.select("INBOX", false, v).ok());
  // INBOX now: 1 plain (\Seen $Forwarded), 2 multi (\Draft Work), 3 crlf
  // (\Flagged \Seen), 4 plain copy (\Flagged \Deleted), after the MOVE of
  // the encoded one. Put the encoded one back for the text keys.
  std::uint32_t validity = 0, uid = 0;
  const imap::date_time when{2020, 12, 9, 23, 30, 0, -60};  // 10 Dec 00:30 UTC
  CHECK(s.append("INBOX", msg_encoded, {imap::flag::system(imap::flag_kind::answered)}, &when, validity, uid).ok());
  view_changes ch;
  CHECK(v->sync(ch).ok());
  CHECK_EQ(v->exists(), 5u);
  CHECK_EQ(search(*v, "ALL"), (u32s{1, 2, 3, 4, 5}));
  CHECK_EQ(search(*v, "SEEN"), (u32s{1, 3}));
  CHECK_EQ(search(*v, "UNSEEN"), (u32s{2, 4, 5}));
  CHECK_EQ(search(*v, "FLAGGED"), (u32s{3, 4}));
  CHECK_EQ(search(*v, "UNFLAGGED"), (u32s{1, 2, 5}));
  CHECK_EQ(search(*v, "DELETED"), (u32s{4}));
  CHECK_EQ(search(*v, "UNDELETED"), (u32s{1, 2, 3, 5}));
  CHECK_EQ(search(*v, "DRAFT"), (u32s{2}));
  CHECK_EQ(search(*v, "UNDRAFT"), (u32s{1, 3, 4, 5}));
  CHECK_EQ(search(*v, "ANSWERED"), (u32s{5}));
  CHECK_EQ(search(*v, "UNANSWERED"), (u32s{1, 2, 3, 4}));
  CHECK_EQ(search(*v, "KEYWORD $forwarded"), (u32s{1}));
  CHECK_EQ(search(*v, "UNKEYWORD Work"), (u32s{1, 3, 4, 5}));
  CHECK_EQ(search(*v, "KEYWORD NeverSeen"), u32s{});
  CHECK_EQ(search(*v, "RECENT"), u32s{});
  CHECK_EQ(search(*v, "NEW"), u32s{});
  CHECK_EQ(search(*v, "OLD"), (u32s{1, 2, 3, 4, 5}));
  // Sizes of the served form.
  const auto n1 = static_cast<std::uint32_t>(crlf(msg_plain).size());
  CHECK_EQ(search(*v, "LARGER " + std::to_string(n1 - 1) + " SMALLER " + std::to_string(n1 + 1)), (u32s{1, 4}));
  CHECK_EQ(search(*v, "SMALLER " + std::to_string(msg_crlf.size() + 1)), (u32s{3}));
  // Dates: INTERNALDATE's day (zone UTC here); SENT* the Date field's day.
  CHECK_EQ(search(*v, "ON 7-Dec-2020"), (u32s{1}));
  CHECK_EQ(search(*v, "BEFORE 8-Dec-2020"), (u32s{1}));
  CHECK_EQ(search(*v, "SINCE 10-Dec-2020"), (u32s{3, 4, 5}));
  CHECK_EQ(search(*v, "ON 10-Dec-2020"), (u32s{3, 5}));
  CHECK_EQ(search(*v, "SENTON 8-Dec-2020"), (u32s{2}));  // 23:30 -0500 is the 8th as written
  CHECK_EQ(search(*v, "SENTBEFORE 8-Dec-2020"), (u32s{1, 4}));
  // 3 has no Date field: its INTERNALDATE's day counts, as in Dovecot.
  CHECK_EQ(search(*v, "SENTSINCE 9-Dec-2020"), (u32s{3, 5}));
  CHECK_EQ(search(*v, "SENTON 10-Dec-2020"), (u32s{3}));
  // Sets.
  CHECK_EQ(search(*v, "2:3"), (u32s{2, 3}));
  CHECK_EQ(search(*v, "4:*"), (u32s{4, 5}));
  CHECK_EQ(search(*v, "UID 1:2", true), (u32s{1, 2}));
  CHECK_EQ(search(*v, "UID *", true), (u32s{v->uid(5)}));
  CHECK_EQ(search(*v, "UID 3"), u32s{});  // UID 3 was moved away
  // Header and text keys: substring, case-insensitive, after RFC 2047.
  CHECK_EQ(search(*v, "SUBJECT lunch"), (u32s{1, 4}));
  CHECK_EQ(search(*v, "SUBJECT \"GRÜSSE\""), u32s{});  // no ß -> SS folding (simple fold)
  CHECK_EQ(search(*v, "SUBJECT \"grüße aus münchen\""), (u32s{5}));
  CHECK_EQ(search(*v, "FROM \"JÜRGEN\""), (u32s{5}));
  CHECK_EQ(search(*v, "FROM alice@EXAMPLE.org"), (u32s{1, 4}));
  CHECK_EQ(search(*v, "TO alice"), (u32s{2}));
  CHECK_EQ(search(*v, "CC dave"), (u32s{2}));
  CHECK_EQ(search(*v, "BCC secret"), (u32s{5}));
  CHECK_EQ(search(*v, "HEADER X-Priority 1"), (u32s{5}));
  CHECK_EQ(search(*v, "HEADER Message-ID \"\""), (u32s{1, 4}));  // empty: has the field
  CHECK_EQ(search(*v, "BODY \"WÄRMEPUMPE\""), (u32s{5}));  // base64, UTF-8 body
  CHECK_EQ(search(*v, "BODY noon"), (u32s{1, 4}));
  CHECK_EQ(search(*v, "BODY \"html alternative\""), (u32s{2}));  // inside the message/rfc822 part
  CHECK_EQ(search(*v, "BODY lunch"), u32s{});                    // the subject is not the body
  CHECK_EQ(search(*v, "TEXT lunch"), (u32s{1, 4}));
  // TEXT reads the headers inside the message too (the attached
  // message's, as Dovecot does); BODY no header at all.
  CHECK_EQ(search(*v, "TEXT carol"), (u32s{2}));
  CHECK_EQ(search(*v, "TEXT \"Inner message\""), (u32s{2}));
  CHECK_EQ(search(*v, "BODY carol"), u32s{});
  CHECK_EQ(search(*v, "TEXT \"already crlf\""), (u32s{3}));
  // NOT, OR, groups.
  CHECK_EQ(search(*v, "NOT SEEN"), (u32s{2, 4, 5}));
  CHECK_EQ(search(*v, "OR DRAFT ANSWERED"), (u32s{2, 5}));
  CHECK_EQ(search(*v, "(FLAGGED SEEN) NOT DELETED"), (u32s{3}));
  CHECK_EQ(search(*v, "OR (SUBJECT lunch DELETED) 2"), (u32s{2, 4}));
  CHECK_EQ(search(*v, "NOT NOT NOT 1:4"), (u32s{5}));
  CHECK_EQ(search(*v, "YOUNGER 60"), u32s{});
  CHECK_EQ(search(*v, "OLDER 60"), (u32s{1, 2, 3, 4, 5}));
  CHECK_EQ(search(*v, "SAVEDON 1-Jan-2020"), u32s{});
}

void test_inbox_rename(imap_store& s) {
  std::unique_ptr<mailbox_view> v;
  CHECK(s.select("INBOX", false, v).ok());
  const std::uint32_t n = v->exists();
  CHECK(n > 0);
  CHECK(s.rename("INBOX", "Old").ok());
  std::unique_ptr<mailbox_view> old, inbox;
  CHECK(s.select("Old", false, old).ok());
  CHECK_EQ(old->exists(), n);
  CHECK(s.select("INBOX", false, inbox).ok());
  CHECK_EQ(inbox->exists(), 0u);
  std::vector<imap::flag> fl;
  CHECK(old->flags(1, fl).ok() && !fl.empty());  // flags moved along
  view_changes ch;
  CHECK(v->sync(ch).ok());
  CHECK_EQ(ch.expunged.size(), static_cast<std::size_t>(n));
  CHECK_EQ(v->exists(), 0u);
}


// A set as text ("1:3,7"), to compare.
std::string set_text(const imap::sequence_set& set) {
  std::string out;
  for (const imap::seq_range& r : set.ranges()) {
    if (!out.empty()) out += ",";
    out += std::to_string(r.first);
    if (r.last != r.first) out += ":" + std::to_string(r.last);
  }
  return out;
}

// CONDSTORE/QRESYNC: modseqs per message and folder, kept across restarts
// (version 2 UID list), version 1 lists still load, UNCHANGEDSINCE, and the
// expunge tombstones behind VANISHED (EARLIER), bounded.
void test_condstore(imap_store& s) {
  std::uint32_t validity = 0, uid = 0;
  CHECK(s.create("Mod").ok());
  std::unique_ptr<mailbox_view> v;
  CHECK(s.select("Mod", false, v).ok());
  const std::uint64_t h0 = v->highest_modseq();
  CHECK(h0 >= 1);
  for (int i = 0; i < 5; ++i) CHECK(s.append("Mod", msg_crlf, {}, nullptr, validity, uid).ok());
  view_changes ch;
  CHECK(v->sync(ch).ok());
  CHECK_EQ(v->exists(), 5u);
  // Each arrival takes the next modseq; HIGHESTMODSEQ is the last.
  for (std::uint32_t i = 1; i < 5; ++i) CHECK(v->modseq(i) < v->modseq(i + 1));
  CHECK(v->modseq(1) > h0);
  CHECK_EQ(v->highest_modseq(), v->modseq(5));
  CHECK_EQ(v->modseq(6), std::uint64_t{0});
  // A flag change takes a new one; storing what is already there does not.
  std::vector<std::uint32_t> changed, modified;
  const std::uint64_t before = v->highest_modseq();
  CHECK(v->store({2}, store_op::add, {imap::flag::system(imap::flag_kind::flagged)}, changed).ok());
  CHECK_EQ(v->modseq(2), before + 1);
  CHECK_EQ(v->highest_modseq(), before + 1);
  CHECK(v->store({2}, store_op::add, {imap::flag::system(imap::flag_kind::flagged)}, changed).ok());
  CHECK_EQ(v->highest_modseq(), before + 1);
  mailbox_status st;
  CHECK(s.status("Mod", st).ok());
  CHECK_EQ(st.highest_modseq, before + 1);
  // UNCHANGEDSINCE: messages changed after it are MODIFIED and untouched;
  // one whose modseq equals it passes (RFC 7162 3.1.3).
  const std::uint64_t m3 = v->modseq(3);
  CHECK(v->store_unchanged_since({1, 2, 3, 4}, store_op::add, {imap::flag::system(imap::flag_kind::seen)}, m3,
                                 changed, modified).ok());
  CHECK_EQ(modified, (u32s{2, 4}));
  CHECK_EQ(changed, (u32s{1, 3}));
  std::vector<imap::flag> fl;
  CHECK(v->flags(4, fl).ok() && fl.empty());
  CHECK(v->flags(3, fl).ok() && fl.size() == 1);
  CHECK(v->store_unchanged_since({1}, store_op::add, {}, 0, changed, modified).ok());  // 0: all modified
  CHECK_EQ(modified, (u32s{1}));
  std::unique_ptr<mailbox_view> ro;
  CHECK(s.select("Mod", true, ro).ok());
  CHECK_EQ(ro->store_unchanged_since({1}, store_op::add, {}, 99, changed, modified).code, store_code::cannot);

  // Expunges take modseqs and leave tombstones: VANISHED (EARLIER).
  const std::uint64_t before_expunge = v->highest_modseq();
  CHECK(v->vanished_since(before_expunge, nullptr).empty());
  std::vector<std::uint32_t> ex, exu;
  CHECK(v->store({2, 4}, store_op::add, {imap::flag::system(imap::flag_kind::deleted)}, changed).ok());
  const std::uint64_t after_store = v->highest_modseq();
  CHECK(v->expunge(nullptr, ex, exu).ok());
  CHECK_EQ(exu, (u32s{4, 2}));
  CHECK_EQ(v->highest_modseq(), after_store + 2);
  CHECK_EQ(set_text(v->vanished_since(before_expunge, nullptr)), std::string("2,4"));
  CHECK_EQ(set_text(v->vanished_since(after_store + 1, nullptr)), std::string("2"));  // 4 went first
  CHECK_EQ(set_text(v->vanished_since(after_store + 2, nullptr)), std::string(""));
  imap::sequence_set within;
  CHECK(imap::parse_sequence_set("3:*", within) == errc::ok);
  CHECK_EQ(set_text(v->vanished_since(before_expunge, &within)), std::string("4"));
  // The expunging view is not told of its own changes again.
  CHECK(v->sync(ch).ok());
  CHECK(ch.flags_changed.empty() && ch.expunged.empty());

  // A restart: modseqs, HIGHESTMODSEQ and tombstones are kept.
  const std::uint64_t m1 = v->modseq(1), m5 = v->modseq(3), high = v->highest_modseq();
  {
    imap_store again;
    CHECK(again.open(s.root(), s.options()).ok());
    std::unique_ptr<mailbox_view> w;
    CHECK(again.select("Mod", false, w).ok());
    CHECK_EQ(w->exists(), 3u);
    CHECK_EQ(w->modseq(1), m1);
    CHECK_EQ(w->modseq(3), m5);
    CHECK_EQ(w->highest_modseq(), high);
    CHECK_EQ(set_text(w->vanished_since(before_expunge, nullptr)), std::string("2,4"));
  }
  // Flags changed and a file removed while no server ran: new modseqs
  // above the old HIGHESTMODSEQ for them, the same for the rest. The files
  // of UIDs 1 and 5 by the list's lines "UID MODSEQ NAME".
  const std::string dir = s.root() + "/.Mod/cur/";
  const std::string list = read_file(s.root() + "/.Mod/mailwire-uidlist");
  std::string base1, base5;
  for (const std::string& n : files_in(dir)) {
    if (list.find("\n1 " + std::to_string(m1) + " " + n + "\n") != std::string::npos) base1 = n;
    if (list.find("\n5 " + std::to_string(m5) + " " + n + "\n") != std::string::npos) base5 = n;
  }
  CHECK(!base1.empty() && !base5.empty());
  CHECK(::rename((dir + base1).c_str(), (dir + base1.substr(0, base1.find(':')) + ":2,R").c_str()) == 0);
  CHECK(::unlink((dir + base5).c_str()) == 0);
  imap_store third;
  std::unique_ptr<mailbox_view> w;
  CHECK(third.open(s.root(), s.options()).ok());
  CHECK(third.select("Mod", false, w).ok());
  CHECK_EQ(w->exists(), 2u);
  CHECK_EQ(w->uid(1), 1u);
  CHECK(w->modseq(1) > high);
  CHECK_EQ(w->uid(2), 3u);
  CHECK_EQ(w->modseq(2), v->modseq(2));  // UID 3 unchanged
  CHECK(w->highest_modseq() > w->modseq(1));  // the removal took one too
  CHECK_EQ(set_text(w->vanished_since(high, nullptr)), std::string("5"));
  // The old store's view learns the removal as an expunge at its next sync.
  CHECK(v->sync(ch).ok());
  CHECK_EQ(ch.expunged_uids, (u32s{5}));

  // A version 1 list (no modseqs) loads: UIDs kept, modseqs assigned, and
  // a client's modseq from before is answered with the whole range.
  const std::string old_dir = s.root() + "/.Legacy";
  CHECK(s.create("Legacy").ok());
  write_file(old_dir + "/cur/5000.X.host:2,S", msg_crlf, t2020_12_07);
  write_file(old_dir + "/cur/5001.Y.host:2,", msg_crlf, t2020_12_07 + 1);
  write_file(old_dir + "/mailwire-uidlist", "1 777 9\n3 5000.X.host\n7 5001.Y.host\n", t2020_12_07);
  {
    imap_store fresh;
    CHECK(fresh.open(s.root(), s.options()).ok());
    std::unique_ptr<mailbox_view> l;
    CHECK(fresh.select("Legacy", false, l).ok());
    CHECK_EQ(l->uidvalidity(), 777u);
    CHECK_EQ(l->uid(1), 3u);
    CHECK_EQ(l->uid(2), 7u);
    CHECK(l->modseq(1) != 0 && l->modseq(2) != 0 && l->modseq(1) != l->modseq(2));
    CHECK_EQ(set_text(l->vanished_since(0, nullptr)), std::string("1:2,4:6,8"));
    CHECK(imap::parse_sequence_set("2:5,8:*,1", within) == errc::ok);
    CHECK_EQ(set_text(l->vanished_since(0, &within)), std::string("1:2,4:5,8"));
    CHECK_EQ(set_text(l->vanished_since(l->highest_modseq(), nullptr)), std::string(""));
  }
  CHECK_EQ(read_file(old_dir + "/mailwire-uidlist").substr(0, 6), std::string("2 777 "));

  // Tombstones are bounded: 4096 kept; one more raises the floor.
  auto tombstones = [&](std::size_t n) {
    std::string text = "2 900 20000 30000 0\n";
    for (std::size_t i = 1; i <= n; ++i) text += "-" + std::to_string(i) + " " + std::to_string(100 + i) + "\n";
    write_file(old_dir + "/mailwire-uidlist", text, t2020_12_07);
    imap_store fresh;
    CHECK(fresh.open(s.root(), s.options()).ok());
    std::unique_ptr<mailbox_view> l;
    CHECK(fresh.select("Legacy", false, l).ok());
    CHECK_EQ(l->uidvalidity(), 900u);
    return set_text(l->vanished_since(100, nullptr));
  };
  // 4096: all known exactly (the two files got UIDs 20000 and 20001).
  CHECK_EQ(tombstones(4096), std::string("1:4096"));
  // 4097: the first is dropped, so modseq 100 is below the floor: every
  // UID not in the folder.
  CHECK_EQ(tombstones(4097), std::string("1:19999"));
}

// BINARY (RFC 3516): parts decoded, whole messages and multiparts with
// their encoded leaves decoded in place (as Dovecot), UNKNOWN-CTE.
std::string binary(mailbox_view& v, std::uint32_t seq, const std::vector<std::uint32_t>& part, bool* decoded = nullptr,
                   std::optional<imap::partial_range> partial = std::nullopt, store_code* code = nullptr) {
  message m;
  if (!v.open(seq, m).ok()) return "<open failed>";
  section_bytes b;
  const store_result r = m.binary(part, partial, b, decoded);
  if (code != nullptr) *code = r.code;
  if (!r.ok()) return "<failed>";
  std::string out;
  while (b.done < b.size) {
    const std::size_t before = out.size();
    if (!m.read(b, out, 5).ok() || out.size() == before) return "<read failed>";
  }
  return out;
}

void test_binary(imap_store& s) {
  const std::string mixed =
      "Subject: bin\n"
      "MIME-Version: 1.0\n"
      "Content-Type: multipart/mixed; boundary=\"B\"\n"
      "\n"
      "--B\n"
      "Content-Type: text/plain; charset=utf-8\n"
      "Content-Transfer-Encoding: quoted-printable\n"
      "Content-Disposition: inline\n"
      "\n"
      "Gr=C3=BC=C3=9Fe=\n"
      " soft, hard\n"
      "--B\n"
      "Content-Type: application/octet-stream\n"
      "content-transfer-encoding:\n"
      " BASE64\n"
      "\n"
      "AAEC/w==\n"
      "--B\n"
      "Content-Type: text/plain\n"
      "\n"
      "plain 7bit\n"
      "--B--\n";
  const std::string uu =
      "Subject: uu\nContent-Type: text/plain\nContent-Transfer-Encoding: x-uuencode\n\nbegin 644 x\n`\nend\n";
  const std::string single = "Subject: one\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n";
  CHECK(s.create("Bin").ok());
  std::uint32_t validity = 0, uid = 0;
  CHECK(s.append("Bin", mixed, {}, nullptr, validity, uid).ok());
  CHECK(s.append("Bin", uu, {}, nullptr, validity, uid).ok());
  CHECK(s.append("Bin", single, {}, nullptr, validity, uid).ok());
  std::unique_ptr<mailbox_view> v;
  CHECK(s.select("Bin", true, v).ok());
  bool decoded = false;
  // A quoted-printable part: soft break gone, the hard one CRLF (served form).
  CHECK_EQ(binary(*v, 1, {1}, &decoded), std::string("Gr\xc3\xbc\xc3\x9f" "e soft, hard"));
  CHECK(decoded);
  // base64 with NUL and 0xFF; a folded field in another case found.
  CHECK_EQ(binary(*v, 1, {2}, &decoded), std::string("\0\1\2\xff", 4));
  CHECK(decoded);
  CHECK_EQ(binary(*v, 1, {2}, &decoded, imap::partial_range{1, 2}), std::string("\1\2"));
  CHECK_EQ(binary(*v, 1, {2}, &decoded, imap::partial_range{9, 2}), std::string());
  // 7bit: as BODY[3], nothing decoded (no literal8).
  CHECK_EQ(binary(*v, 1, {3}, &decoded), std::string("plain 7bit"));
  CHECK(!decoded);
  CHECK_EQ(binary(*v, 1, {9}, &decoded), std::string());  // no such part: as BODY[9]
  CHECK(!decoded);
  // The whole message: each encoded leaf decoded, its CTE field (folded
  // lines too) replaced by "binary" last in its header; the rest as BODY[].
  const std::string whole = binary(*v, 1, {}, &decoded);
  CHECK(decoded);
  CHECK_EQ(whole, crlf("Subject: bin\n"
                       "MIME-Version: 1.0\n"
                       "Content-Type: multipart/mixed; boundary=\"B\"\n"
                       "\n"
                       "--B\n"
                       "Content-Type: text/plain; charset=utf-8\n"
                       "Content-Disposition: inline\n"
                       "Content-Transfer-Encoding: binary\n"
                       "\n"
                       "Gr\xc3\xbc\xc3\x9f" "e soft, hard\n"
                       "--B\n"
                       "Content-Type: application/octet-stream\n"
                       "Content-Transfer-Encoding: binary\n"
                       "\n") +
                     std::string("\0\1\2\xff", 4) + crlf("\n--B\nContent-Type: text/plain\n\nplain 7bit\n--B--\n"));
  CHECK_EQ(binary(*v, 1, {}, &decoded, imap::partial_range{0, 12}), std::string("Subject: bin"));
  // x-uuencode is no RFC 2045 encoding: UNKNOWN-CTE, for the part and for
  // a whole message holding it.
  store_code code = store_code::ok;
  CHECK_EQ(binary(*v, 2, {1}, &decoded, std::nullopt, &code), std::string("<failed>"));
  CHECK_EQ(code, store_code::unknown_cte);
  CHECK_EQ(binary(*v, 2, {}, &decoded, std::nullopt, &code), std::string("<failed>"));
  CHECK_EQ(code, store_code::unknown_cte);
  // A single-part message: part 1 is its decoded body; BINARY[] rewrites it.
  CHECK_EQ(binary(*v, 3, {1}, &decoded), std::string("hello"));
  CHECK_EQ(binary(*v, 3, {}, &decoded),
           std::string("Subject: one\r\nContent-Transfer-Encoding: binary\r\n\r\nhello"));
}
}  // namespace

int main() {
  ::setenv("TZ", "UTC", 1);
  ::tzset();
  char tmpl[] = "/tmp/mailwire-imap-store-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return 2;
  const std::string root = std::string(tmpl) + "/Maildir";
  imap_store s;
  store_options o;
  o.fsync = false;
  o.zone_minutes = 0;
  if (!s.open(root, o).ok()) return 2;
  build_inbox(root);
  test_names(s);
  test_folders(s);
  test_uids_and_flags(s);
  test_sections(s);
  test_append_copy_move_expunge(s);
  test_search(s);
  test_inbox_rename(s);
  test_condstore(s);
  test_binary(s);
  if (std::getenv("KEEP") == nullptr) {
    const std::string cmd = "rm -rf '" + std::string(tmpl) + "'";
    if (std::system(cmd.c_str()) != 0) std::fprintf(stderr, "could not remove %s\n", tmpl);
  } else {
    std::fprintf(stderr, "tree kept in %s\n", tmpl);
  }
  if (failures != 0) {
    std::fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  std::puts("imap_store: all checks passed");
  return 0;
}
