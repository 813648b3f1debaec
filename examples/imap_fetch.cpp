// mailwire-imap-fetch: downloads the messages of an IMAP mailbox into a
// Maildir with mailwire's client machine, over the examples' transport.
//
//   mailwire-imap-fetch --server HOST:PORT [--starttls | --implicit-tls] [--ca FILE | --insecure]
//       --user USER (--pass PASS | --pass-file FILE) [--mech NAME | --login] [--allow-plaintext-auth]
//       [--mailbox NAME] --maildir DIR [--state FILE] [--timeout SECONDS]
//
// One session: log in, EXAMINE the mailbox (read-only: nothing on the
// server changes, not even \Seen or \Recent), list the UIDs not stored yet
// (UID FETCH n:* (UID RFC822.SIZE)), fetch their BODY.PEEK[] in batches,
// LOGOUT. Each body streams from the machine's fetch_chunk events into
// DIR/tmp, is fsynced and renamed into DIR/new; the messages completed by
// one read from the server are then made durable together: new/ fsynced
// once, and only then their UIDs appended to the state file in one write
// and one fsync. A crash at any point loses no message (at worst some are
// fetched twice). Memory stays
// flat however large a message is: only the chunk the machine hands out is
// ever held.
//
// The state file (a journal, support/journal.hpp) has three kinds of line:
//   uidvalidity V MAILBOX   the UIDs below belong to this UIDVALIDITY of MAILBOX
//   uid U                   message U is stored
//   complete N M            every message with a UID below N is stored (or was
//                           gone); M: the HIGHESTMODSEQ then (0 without CONDSTORE)
// A run whose mailbox has the same UIDVALIDITY and a UIDNEXT equal to the
// last `complete` N sends nothing after EXAMINE but LOGOUT: no new message
// can exist (a new message always gets a UID >= UIDNEXT). Otherwise only
// UIDs from N on are listed. A different UIDVALIDITY (or mailbox) starts
// over: every message is fetched again; nothing already in the Maildir is
// touched (duplicates rather than a loss).
//
// CONDSTORE and QRESYNC are ENABLEd when offered, so EXAMINE reports
// HIGHESTMODSEQ, which is recorded; the decision to skip rests on UIDNEXT
// alone (a change of mod-sequence is a flag change, which a downloader
// ignores).
//
// Everything the command line says is checked before connecting (exit 2).
// A password goes in clear (LOGIN, PLAIN, the LOGIN mechanism without TLS)
// only with --allow-plaintext-auth; with --starttls a server that does not
// offer STARTTLS, refuses it, or says PREAUTH before TLS ends the session
// before anything but CAPABILITY and STARTTLS was sent. TLS certificates
// are verified against the host name or IP address of --server unless
// --insecure. --timeout bounds every wait.
#include <mailwire/imap/client.hpp>
#include <mailwire/imap/mailbox.hpp>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fmt/format.h>
#include <optional>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "journal.hpp"
#include "maildir.hpp"
#include "program.hpp"
#include "transport.hpp"

namespace {

namespace mw = mailwire_example;
namespace imap = mailwire::imap;
namespace sasl = mailwire::sasl;
using mailwire::errc;

// The shared options of the fetchers (support/program.hpp), and this one's own.
struct settings : mw::fetch_args {
  settings() : fetch_args("--starttls", "993", ".mailwire-imap-state") {}
  bool login_command = false;  // --login
  std::string mailbox = "INBOX";
  std::string mailbox_wire;  // modified UTF-7
};

// An empty `why`: --help, on stdout, exit 0. Otherwise a usage error: exit 2.
[[noreturn]] void usage(const std::string& why) {
  if (!why.empty()) fmt::print(stderr, "mailwire-imap-fetch: {}\n", why);
  std::FILE* to = why.empty() ? stdout : stderr;
  std::fputs(
      "usage: mailwire-imap-fetch --server HOST:PORT [--starttls | --implicit-tls] [--ca FILE | --insecure]\n"
      "       --user USER (--pass PASS | --pass-file FILE) [--mech NAME | --login] [--allow-plaintext-auth]\n"
      "       [--mailbox NAME] --maildir DIR [--state FILE] [--timeout SECONDS] [--quiet]\n"
      "       mailwire-imap-fetch --help | --version\n",
      to);
  if (!why.empty()) std::exit(2);
  const settings s;
  fmt::print(
      "\n"
      "Downloads every message of an IMAP mailbox not fetched before into a Maildir.\n"
      "\n"
      "{}"
      "  --starttls           TLS by STARTTLS, required: if the server does not offer it\n"
      "                       (or it was stripped on the way), refuses it, or says PREAUTH\n"
      "                       before TLS, the program stops before logging in\n"
      "  --mech NAME          log in by AUTHENTICATE with this SASL mechanism: PLAIN,\n"
      "                       LOGIN, CRAM-MD5, SCRAM-SHA-1 or SCRAM-SHA-256. Default: the\n"
      "                       strongest mechanism the server offers that the rules below\n"
      "                       allow, else the LOGIN command\n"
      "  --login              log in with the LOGIN command\n"
      "  --allow-plaintext-auth\n"
      "                       allow LOGIN, PLAIN and the LOGIN mechanism without TLS.\n"
      "                       WARNING: they send the password as is, for anyone on the\n"
      "                       path to read. Without this flag the program stops before\n"
      "                       sending it (exit status 1). CRAM-MD5 and SCRAM never send it\n"
      "  --mailbox NAME       the mailbox to download (UTF-8). Default: INBOX\n"
      "  --state FILE         what is stored already: the mailbox's UIDVALIDITY and the\n"
      "                       UIDs fetched, appended and fsynced after each message.\n"
      "                       Default: DIR/.mailwire-imap-state\n"
      "{}"
      "\n"
      "The mailbox is opened with EXAMINE (read-only: no flag changes on the server).\n"
      "Each message is stored as the server sends its BODY[], byte for byte: written\n"
      "to DIR/tmp, fsynced, renamed into DIR/new, and only then recorded in the state\n"
      "file. A second run fetches only messages with UIDs not stored yet; when the\n"
      "mailbox's UIDVALIDITY changed, every message is fetched again (the files\n"
      "already stored stay).\n"
      "stdout: a line per message stored, 'stored UID SIZE PATH', then\n"
      "'fetched N, skipped M, gone K' (skipped: stored before; gone: expunged before\n"
      "its turn).\n"
      "\n"
      "Exit status: 0 if every message was fetched; 1 if not, or on any failure\n"
      "after the command line was read (the session then ends with LOGOUT where\n"
      "the protocol allows); 2 for a usage error (nothing was sent).\n",
      s.help_connection(), s.help_storage());
  std::exit(0);
}

settings parse_args(int argc, char** argv) {
  settings s;
  mw::arguments args(argc, argv, usage);
  while (args.next()) {
    const std::string& a = args.current();
    if (s.take(args)) {
      continue;
    } else if (a == "--login") {
      s.login_command = true;
    } else if (a == "--mailbox") {
      s.mailbox = args.value();
    } else {
      usage("unknown option " + a);
    }
  }
  s.check(args);
  if (s.mailbox.empty() || mw::has_control(s.mailbox) || imap::mailbox_to_wire(s.mailbox, false, s.mailbox_wire) != errc::ok) {
    usage("--mailbox: not a mailbox name (UTF-8, no control characters)");
  }
  if (s.login_command && s.mechanism) usage("--login and --mech exclude each other");
  return s;
}

// ------------------------------------------------------------- state file

// What is stored, from the journal's lines (see the top of this file).
// Lines this program does not write are ignored.
class state_file {
 public:
  bool open(const std::string& path, std::string& err) {
    return journal_.open(path, "another mailwire-imap-fetch", [this](std::string_view line) { read(line); }, err);
  }

  std::uint32_t uidvalidity() const noexcept { return uidvalidity_; }
  const std::string& mailbox() const noexcept { return mailbox_; }
  bool contains(std::uint32_t uid) const { return uids_.count(uid) != 0; }
  std::uint32_t complete() const noexcept { return complete_; }  // 0: no complete run yet

  // A new UIDVALIDITY (or mailbox): what was recorded before is forgotten.
  bool start(std::uint32_t uidvalidity, const std::string& mailbox, std::string& err) {
    if (!journal_.append(fmt::format("uidvalidity {} {}", uidvalidity, mailbox), err)) return false;
    reset(uidvalidity, mailbox);
    return true;
  }
  // Several UIDs in one write and one fsync.
  bool stored(const std::vector<std::uint32_t>& uids, std::string& err) {
    std::vector<std::string> lines;
    for (const std::uint32_t u : uids) lines.push_back(fmt::format("uid {}", u));
    if (!journal_.append_lines(lines, err)) return false;
    uids_.insert(uids.begin(), uids.end());
    return true;
  }
  bool mark_complete(std::uint32_t uidnext, std::uint64_t modseq, std::string& err) {
    if (!journal_.append(fmt::format("complete {} {}", uidnext, modseq), err)) return false;
    complete_ = uidnext;
    return true;
  }

 private:
  static std::optional<std::uint64_t> number(std::string_view& rest) {
    const std::size_t sp = rest.find(' ');
    const auto n = mw::parse_number(rest.substr(0, sp), 0, UINT64_MAX);
    rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp + 1);
    return n;
  }

  void reset(std::uint32_t uidvalidity, std::string_view mailbox) {
    uidvalidity_ = uidvalidity;
    mailbox_ = std::string(mailbox);
    uids_.clear();
    complete_ = 0;
  }

  void read(std::string_view line) {
    const std::size_t sp = line.find(' ');
    if (sp == std::string_view::npos) return;
    const std::string_view word = line.substr(0, sp);
    std::string_view rest = line.substr(sp + 1);
    const auto n = number(rest);
    if (!n || *n > UINT32_MAX) return;
    const auto v = static_cast<std::uint32_t>(*n);
    if (word == "uidvalidity") {
      reset(v, rest);
    } else if (word == "uid") {
      uids_.insert(v);
    } else if (word == "complete") {
      complete_ = v;
    }
  }

  mw::journal journal_;
  std::uint32_t uidvalidity_ = 0;
  std::string mailbox_;
  std::unordered_set<std::uint32_t> uids_;
  std::uint32_t complete_ = 0;
};

// ----------------------------------------------------------------- session

// UIDs per UID FETCH BODY.PEEK[] command, and such commands in flight:
// enough to keep the connection busy with small messages, few enough that
// a command line stays short.
constexpr std::size_t batch_size = 64;
constexpr std::size_t batches_in_flight = 2;

class fetch_session final : public mw::machine_session<imap::client> {
 public:
  fetch_session(const settings& s, imap::client_options o, SSL_CTX* tls_ctx, mw::maildir& box, state_file& state)
      : machine_session(s.timeout, std::move(o)), settings_(s), tls_ctx_(tls_ctx), message_(box), box_(box),
        state_(state), bar_(s.quiet) {}

  std::size_t fetched() const noexcept { return fetched_; }
  std::size_t skipped() const noexcept { return skipped_; }
  std::size_t gone() const noexcept { return gone_; }
  bool all_done() const noexcept { return failures_ == 0 && logout_ok_; }

  void on_close(mw::connection& c, std::string_view why) override {
    message_.discard();  // a message cut off: nothing of it stays
    record_stored();
    bar_.clear();
    client_session::on_close(c, why);
  }

 private:
  using kind = imap::client_event_type;

  // The events, then the messages they completed recorded as a group.
  void drain(mw::connection& c) override {
    drain_events(c);
    record_stored();
  }

  void drain_events(mw::connection& c) {
    for (auto e = client_.next(); e.type != kind::need_more && e.type != kind::write_output; e = client_.next()) {
      if (e.type != kind::fetch_chunk) {
        progress();  // a complete response (or what follows one)
      } else {
        moved(e.bytes.size());
      }
      switch (e.type) {
        case kind::starttls:
          if (!c.start_tls_client(tls_ctx_, settings_.server.host)) ++failures_;
          return;
        case kind::ready: examine(); break;
        case kind::untagged: on_untagged(*e.resp); break;
        case kind::fetch_chunk: on_chunk(e); break;
        case kind::fetch_chunk_end: on_chunk_end(e); break;
        case kind::completed: on_completed(e); break;
        case kind::error:
          bar_.clear();
          fmt::print(stderr, "error: {}{}\n", explain(e.error), server_text(e.resp));
          ++failures_;
          break;
        case kind::closed:
          finished_ = true;
          c.close();
          return;
        case kind::continuation:  // only for command_type::other, never sent here
        case kind::body_wanted:   // APPEND only
        case kind::idle_started:
        case kind::compress:
        case kind::need_more:
        case kind::write_output: break;
      }
    }
  }

  // The server's words, escaped: it chooses them.
  static std::string server_text(const imap::response* r) {
    if (r == nullptr || r->text.empty()) return {};
    return fmt::format(" (server: {})", mw::text_escape(r->text));
  }

  // What an error means for the person at the keyboard.
  std::string explain(errc e) const {
    switch (e) {
      case errc::sasl_insecure:
        return "logging in would send the password in clear (no TLS): not sent. --starttls or --implicit-tls "
               "protects it; --allow-plaintext-auth sends it anyway";
      case errc::tls_unavailable:
        return "--starttls: the server does not offer STARTTLS (or it was removed on the way), refused it, or "
               "said PREAUTH without TLS; the password was not sent";
      case errc::data_after_starttls:
        return "bytes came after the server's STARTTLS OK, before TLS: an injection; the session was ended";
      case errc::extension_missing: return "the server says LOGINDISABLED: --login cannot be used";
      case errc::sasl_unknown_mechanism:
        return settings_.mechanism ? fmt::format("the server does not offer --mech {}", sasl::to_string(*settings_.mechanism))
                                   : std::string("the server offers no login method this program can use");
      case errc::sasl_auth_failed: return "login refused";
      case errc::invalid_argument: return "the user name or password cannot be sent";
      default: return std::string(mailwire::to_string(e));
    }
  }

  void submit(imap::command c, std::string* tag) {
    const imap::command_type type = c.type;
    if (const errc e = client_.submit(std::move(c), tag); e != errc::ok) {
      bar_.clear();
      fmt::print(stderr, "error: cannot send {}: {}\n", imap::to_string(type), mailwire::to_string(e));
      ++failures_;
      logout();
    }
  }

  void logout() {
    if (std::exchange(logout_sent_, true)) return;
    (void)client_.logout(&logout_tag_);
  }

  void examine() {
    imap::command c;
    c.type = imap::command_type::examine;
    c.args = imap::select_args{settings_.mailbox_wire, false, std::nullopt, {}};
    submit(std::move(c), &examine_tag_);
  }

  // UID FETCH from:* (UID RFC822.SIZE): which messages there are.
  void list(std::uint32_t from) {
    listing_from_ = from;
    imap::fetch_args f;
    (void)f.set.add(imap::seq_range{from, imap::seq_star});
    imap::fetch_attribute uid, size;
    uid.kind = imap::fetch_attribute_kind::uid;
    size.kind = imap::fetch_attribute_kind::rfc822_size;
    f.attributes = {uid, size};
    f.attribute_list = true;
    imap::command c;
    c.type = imap::command_type::fetch;
    c.uid = true;
    c.args = std::move(f);
    submit(std::move(c), &listing_tag_);
  }

  void on_completed(const imap::client_event& e) {
    const bool ok = e.status == imap::status_kind::ok;
    if (e.tag == examine_tag_) return opened(e);
    if (e.tag == listing_tag_) return listed(e);
    if (e.tag == logout_tag_) {
      logout_ok_ = ok;
      return;
    }
    // A batch of bodies.
    --batches_;
    if (!ok) {
      bar_.clear();
      fmt::print(stderr, "UID FETCH BODY.PEEK[] refused{}\n", server_text(e.resp));
      ++failures_;
    }
    fill();
  }

  void opened(const imap::client_event& e) {
    if (e.status != imap::status_kind::ok) {
      bar_.clear();
      fmt::print(stderr, "EXAMINE {} refused{}\n", mw::text_escape(settings_.mailbox), server_text(e.resp));
      ++failures_;
      return logout();
    }
    const imap::selected_mailbox& m = client_.mailbox();
    exists_ = m.exists;
    uidnext_ = m.uidnext;
    modseq_ = m.highest_modseq;
    std::string err;
    if (m.uidvalidity == 0) {
      fmt::print(stderr, "the server gave no UIDVALIDITY: UIDs cannot tell new messages from old; nothing fetched\n");
      ++failures_;
      return logout();
    }
    if (state_.uidvalidity() != m.uidvalidity || state_.mailbox() != settings_.mailbox) {
      if (state_.uidvalidity() != 0) {
        fmt::print(stderr,
                   "{} {}: UIDVALIDITY {} (was {} for {}): the UIDs recorded mean nothing now; fetching every "
                   "message again (the files stored before stay)\n",
                   state_.mailbox() == settings_.mailbox ? "mailbox" : "new mailbox",
                   mw::text_escape(settings_.mailbox), m.uidvalidity, state_.uidvalidity(),
                   mw::text_escape(state_.mailbox()));
      }
      if (!state_.start(m.uidvalidity, settings_.mailbox, err)) {
        fmt::print(stderr, "state file: {}\n", err);
        ++failures_;
        return logout();
      }
    }
    if (state_.complete() != 0 && uidnext_ != 0 && uidnext_ == state_.complete()) {  // nothing new
      skipped_ = exists_;
      return logout();
    }
    if (m.exists == 0) return done_listing();
    list(state_.complete() != 0 ? state_.complete() : 1);
  }

  void on_untagged(const imap::response& r) {
    if (r.type != imap::response_type::fetch) return;
    const imap::fetch_item* uid = r.fetch.find(imap::fetch_item_kind::uid);
    const imap::fetch_item* body = r.fetch.find(imap::fetch_item_kind::body_section);
    if (whole_body(body)) return received(r, uid, *body);
    if (!listing_ || uid == nullptr) return;  // a flag update, or not ours
    // n:* names at least the last message, whatever n: below `from` it was
    // not asked for.
    const auto u = static_cast<std::uint32_t>(uid->number);
    if (u < listing_from_) return;
    max_uid_ = std::max(max_uid_, u);
    if (state_.contains(u)) return;
    const imap::fetch_item* size = r.fetch.find(imap::fetch_item_kind::rfc822_size);
    total_bytes_ += size != nullptr ? size->number : 0;
    wanted_.push_back(u);
  }

  void listed(const imap::client_event& e) {
    listing_ = false;
    if (e.status != imap::status_kind::ok) {
      bar_.clear();
      fmt::print(stderr, "UID FETCH (UID RFC822.SIZE) refused{}\n", server_text(e.resp));
      ++failures_;
      return logout();
    }
    std::sort(wanted_.begin(), wanted_.end());
    wanted_.erase(std::unique(wanted_.begin(), wanted_.end()), wanted_.end());
    skipped_ = exists_ > wanted_.size() ? exists_ - wanted_.size() : 0;
    bar_.set_total(wanted_.size(), total_bytes_);
    bar_.update(0, 0, true);
    fill();
  }

  // The next batches of UID FETCH BODY.PEEK[], while fewer than
  // batches_in_flight are; after the last one, LOGOUT.
  void fill() {
    while (batches_ < batches_in_flight && next_ < wanted_.size() && !logout_sent_) {
      imap::fetch_args f;
      const std::size_t end = std::min(wanted_.size(), next_ + batch_size);
      for (std::size_t i = next_; i < end;) {  // runs of consecutive UIDs as ranges
        std::size_t j = i + 1;
        while (j < end && wanted_[j] == wanted_[j - 1] + 1) ++j;
        (void)f.set.add(imap::seq_range{wanted_[i], wanted_[j - 1]});
        i = j;
      }
      for (std::size_t i = next_; i < end; ++i) asked_.insert(wanted_[i]);
      next_ = end;
      imap::fetch_attribute body;
      body.kind = imap::fetch_attribute_kind::body_section;
      body.peek = true;
      f.attributes = {body};
      imap::command c;
      c.type = imap::command_type::fetch;
      c.uid = true;
      c.args = std::move(f);
      ++batches_;
      submit(std::move(c), nullptr);
    }
    if (batches_ == 0 && next_ >= wanted_.size()) done_listing();
  }

  // Every message listed was fetched (or failed, or was gone).
  void done_listing() {
    if (logout_sent_) return;
    record_stored();  // before `complete`, which vouches for them
    gone_ = asked_.size();  // what is left of them came back with no body
    for (const std::uint32_t u : asked_) {
      bar_.clear();
      fmt::print(stderr, "message UID {}: gone from the server before it was fetched\n", u);
    }
    if (failures_ == 0) {
      // Everything below UIDNEXT (as EXAMINE said it) is stored now; a
      // message that came later has a UID >= it and is listed next time.
      std::uint32_t mark = uidnext_;
      if (mark == 0) mark = max_uid_ != 0 ? max_uid_ + 1 : listing_from_;  // the server gave no UIDNEXT
      std::string err;
      if (mark != 0 && !state_.mark_complete(mark, modseq_, err)) {
        fmt::print(stderr, "state file: {}\n", err);
        ++failures_;
      }
    }
    logout();
  }

  void on_chunk(const imap::client_event& e) {
    if (!whole_body(e.item)) return;
    message_.write(e.bytes);
    body_bytes_ += e.bytes.size();
    bar_.update(fetched_, done_bytes_ + body_bytes_);
  }
  void on_chunk_end(const imap::client_event& e) {
    if (whole_body(e.item)) body_complete_ = true;
  }
  static bool whole_body(const imap::fetch_item* it) {
    return it != nullptr && it->kind == imap::fetch_item_kind::body_section && it->sect.part.empty() &&
           it->sect.text == imap::section_text::none && !it->origin;
  }

  // The untagged FETCH with a BODY[]: its chunks (if any) are in tmp/.
  void received(const imap::response& r, const imap::fetch_item* uid_item, const imap::fetch_item& body) {
    const bool streamed = body.content && body.content->streamed && std::exchange(body_complete_, false);
    const std::uint64_t size = std::exchange(body_bytes_, 0);
    const std::uint32_t uid = uid_item != nullptr ? static_cast<std::uint32_t>(uid_item->number) : 0;
    if (uid == 0 || asked_.erase(uid) == 0) {
      message_.discard();  // not one this program asked for (or a server without UID in UID FETCH)
      bar_.clear();
      fmt::print(stderr, "message {}: a BODY[] not asked for (UID {}): ignored\n", r.fetch.seq, uid);
      return;
    }
    if (!streamed) {
      message_.discard();
      bar_.clear();
      fmt::print(stderr, "message UID {}: the server sent no body (BODY[] {})\n", uid, body.content ? "in a string" : "NIL");
      ++failures_;
    } else if (std::string name = message_.commit(false); name.empty()) {
      bar_.clear();
      fmt::print(stderr, "message UID {}: not stored: {}\n", uid, message_.error());
      message_.discard();
      ++failures_;
    } else {
      unrecorded_.push_back({uid, size, std::move(name)});
    }
  }

  // The messages in new/ since the last call: new/ flushed once, then their
  // UIDs appended to the state file in one write and one fsync (a UID is
  // never recorded before its file is durable), then said on stdout.
  void record_stored() {
    if (unrecorded_.empty()) return;
    std::string err;
    std::vector<std::uint32_t> uids;
    for (const stored_message& m : unrecorded_) uids.push_back(m.uid);
    bar_.clear();
    if (!box_.sync_new(err) || !state_.stored(uids, err)) {
      // In new/ but not recorded: the next run fetches them again.
      for (const stored_message& m : unrecorded_) {
        fmt::print(stderr, "message UID {}: in {}, but not recorded: {}\n", m.uid, box_.new_path(m.name), err);
        ++failures_;
      }
    } else {
      for (const stored_message& m : unrecorded_) {
        fmt::print("stored {} {} {}\n", m.uid, m.size, box_.new_path(m.name));
        ++fetched_;
        done_bytes_ += m.size;
      }
      std::fflush(stdout);
      bar_.update(fetched_, done_bytes_, true);
    }
    unrecorded_.clear();
  }

  const settings& settings_;
  SSL_CTX* tls_ctx_;
  mw::delivery message_;  // the body being received
  mw::maildir& box_;
  state_file& state_;
  mw::progress_line bar_;  // on stderr, when it is a terminal
  struct stored_message {
    std::uint32_t uid;
    std::uint64_t size;
    std::string name;  // in new/
  };
  std::vector<stored_message> unrecorded_;  // in new/, UID not in the state file yet
  std::string examine_tag_, listing_tag_, logout_tag_;
  bool listing_ = true;  // until the listing completes
  std::uint32_t listing_from_ = 1;
  std::uint32_t exists_ = 0, uidnext_ = 0;
  std::uint64_t modseq_ = 0;
  std::uint32_t max_uid_ = 0;
  std::vector<std::uint32_t> wanted_;      // listed, not stored: in UID order
  std::size_t next_ = 0;                   // wanted_[next_] is the first not asked for
  std::unordered_set<std::uint32_t> asked_;  // asked for, no body yet
  std::size_t batches_ = 0;                // UID FETCH BODY.PEEK[] in flight
  bool body_complete_ = false;             // fetch_chunk_end seen for the body in progress
  std::uint64_t body_bytes_ = 0;           // of the body in progress
  std::uint64_t total_bytes_ = 0, done_bytes_ = 0;
  std::size_t fetched_ = 0, skipped_ = 0, gone_ = 0;
  bool logout_sent_ = false;
  bool logout_ok_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  const settings s = parse_args(argc, argv);

  mw::maildir box;
  mw::tls_context tls;
  if (!mw::open_fetch_target(s.maildir, s.starttls || s.implicit_tls, s.ca_file, s.insecure, box, tls)) return 1;
  std::string err;
  state_file state;
  if (!state.open(s.state, err)) {
    fmt::print(stderr, "state file: {}\n", err);
    return 1;
  }

  imap::client_options o;
  o.tls = s.implicit_tls ? mailwire::tls_policy::implicit
                         : s.starttls ? mailwire::tls_policy::required : mailwire::tls_policy::none;
  o.username = s.user;
  o.password = s.password;
  o.nonce = mw::random_nonce();
  o.method = s.login_command ? imap::login_choice::login
                             : s.mechanism ? imap::login_choice::sasl : imap::login_choice::automatic;
  o.mechanism = s.mechanism;
  o.allow_cleartext_login = s.allow_plaintext_auth;
  o.enable_condstore = true;
  o.enable_qresync = true;
  fetch_session session(s, std::move(o), tls.get(), box, state);
  const int timeout_ms = static_cast<int>(s.timeout * 1000);
  const bool connected = mw::run_client(s.server.host, s.server.port, session, s.implicit_tls ? tls.get() : nullptr,
                                        err, timeout_ms);
  if (!connected) fmt::print(stderr, "connect: {}\n", err);
  fmt::print("fetched {}, skipped {}, gone {}\n", session.fetched(), session.skipped(), session.gone());
  return connected && session.all_done() ? 0 : 1;
}
