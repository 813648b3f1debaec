// IMAP responses (imap/response.hpp): the example responses of RFC 3501,
// RFC 9051 and the extension RFCs read into typed values and written back
// byte for byte; parse(write(x)) == x over generated values of every
// response type; malformed responses refused with their error and offset;
// nesting and size limits; the named leniencies; the writer's refusals.
// FETCH data is imap/fetch.hpp's (tested there).
#include <mailwire/imap/response.hpp>

#include <cstdint>
#include <deque>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "catch.hpp"

namespace imap = mailwire::imap;
using imap::code_kind;
using imap::response;
using imap::response_type;
using imap::status_kind;
using mailwire::errc;

namespace {

// What a server writes for a client that has UTF8=ACCEPT and BINARY.
imap::peer_support client_peer(bool utf8 = true) {
  imap::peer_support p;
  p.to_server = false;
  p.utf8 = utf8;
  p.binary = true;
  return p;
}

std::string written(const response& r, const imap::peer_support& p = client_peer()) {
  imap::wire w;
  const errc e = imap::write(w, r, p);
  INFO("write: " << static_cast<int>(e));
  REQUIRE(e == errc::ok);
  CHECK(w.breaks.empty());
  return w.bytes;
}

// The line without CRLF, parsed strictly.
struct parsed {
  response r;
  std::string scratch;
  std::string text;
  errc error = errc::ok;
  explicit parsed(std::string line, const imap::parse_options& o = {}) : text(std::move(line)) {
    error = imap::parse_response(text, r, scratch, o);
  }
};

// Parses `line`, requires success, and requires write() to give back the
// same bytes (+ CRLF).
void canonical(const std::string& line) {
  INFO(line);
  parsed p(line);
  INFO("error " << static_cast<int>(p.error) << " at " << p.r.error_at);
  REQUIRE(p.error == errc::ok);
  CHECK(written(p.r) == line + "\r\n");
}

imap::sequence_set set_of(std::string_view token) {
  imap::sequence_set s;
  REQUIRE(imap::parse_sequence_set(token, s) == errc::ok);
  return s;
}

imap::flag flag_of(std::string_view token) {
  imap::flag f;
  REQUIRE(imap::parse_flag(token, f, true) == errc::ok);
  return f;
}

void rejected(const std::string& line, errc e, std::size_t at, const imap::parse_options& o = {}) {
  INFO(line);
  parsed p(line, o);
  CHECK(p.error == e);
  CHECK(p.r.error_at == at);
}

}  // namespace

TEST_CASE("imap responses: RFC 3501 examples read and written back", "[imap][response]") {
  const char* lines[] = {
      // 6.1-6.4 and 7.1 (status responses, codes)
      "* OK IMAP4rev1 server ready",
      "* OK [ALERT] System shutdown in 10 minutes",
      "A001 OK LOGIN Completed",
      "* NO Disk is 98% full, please delete unnecessary data",
      "A222 OK COPY completed",
      "A223 NO COPY failed: disk is full",
      "* BAD Command line too long",
      "* BAD Empty command line",
      "* BAD Disk crash, attempting salvage to a new disk!",
      "* OK Salvage successful, no data lost",
      "A443 OK Expunge completed",
      "* PREAUTH IMAP4rev1 server logged in as Smith",
      "* BYE Autologout; idle for too long",
      "a002 OK Begin TLS negotiation now",
      "A001 OK GSSAPI authentication successful",
      "* OK [UNSEEN 12] Message 12 is first unseen",
      "* OK [UIDVALIDITY 3857529045] UIDs valid",
      "* OK [UIDNEXT 4392] Predicted next UID",
      "* OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] Limited",
      "A142 OK [READ-WRITE] SELECT completed",
      "A932 OK [READ-ONLY] EXAMINE completed",
      "A003 NO [TRYCREATE] No such mailbox",
      "+ Ready for literal data",
      ("+ YGgGCSqGSIb3EgECAgIAb1kwV6ADAgEFoQMCAQ+iSzBJoAMCAQGiQgRAtHTEuOP2BXb9sBYFR4SJlDZxmg39IxmRBOhXRKdDA0uHTCOT9Bq3"
       "OsUTXUlk0CsFLoa8j+gvGDlgHuqzWHPSQg=="),
      // 7.2-7.4 (server data)
      "* CAPABILITY IMAP4rev1 STARTTLS AUTH=GSSAPI XPIG-LATIN",
      "* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED",
      "* XPIG-LATIN ow-nay eaking-spay ig-pay atin-lay",
      "* LIST (\\Noselect) \"/\" ~/Mail/foo",
      "* LIST () \"/\" ~/Mail/meetings",
      "* LIST (\\Noselect) \"/\" \"\"",
      "* LIST (\\Noselect) \".\" #news.",
      "* LIST (\\Noselect) \"/\" /",
      "* LSUB () \".\" #news.comp.mail.misc",
      "* LSUB (\\NoSelect) \".\" #news.comp.mail",
      "* STATUS blurdybloop (MESSAGES 231 UIDNEXT 44292)",
      "* SEARCH 2 3 6",
      "* SEARCH",
      "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
      "* 23 EXISTS",
      "* 5 RECENT",
      "* 44 EXPUNGE",
  };
  for (const char* l : lines) canonical(l);

  parsed sel("* OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] Limited");
  CHECK(sel.r.type == response_type::status);
  CHECK(sel.r.tag.empty());
  CHECK(sel.r.code.kind == code_kind::permanentflags);
  using fk = imap::flag_kind;
  REQUIRE(sel.r.code.flags.size() == 3);
  CHECK(sel.r.code.flags[0].kind == fk::deleted);
  CHECK(sel.r.code.flags[1].kind == fk::seen);
  CHECK(sel.r.code.flags[2].kind == fk::wildcard);
  CHECK(sel.r.code.list.empty());
  // FLAGS: typed flags; \Recent is an IMAP4rev1 server's (RFC 3501 7.2.6).
  parsed fl("* FLAGS (\\Answered \\flagged \\Deleted \\Seen \\Draft \\Recent $Junk \\X-Ext)");
  REQUIRE(fl.error == errc::ok);
  REQUIRE(fl.r.flags.size() == 8);
  const fk kinds[] = {fk::answered, fk::flagged, fk::deleted, fk::seen, fk::draft, fk::recent, fk::keyword, fk::extension};
  for (std::size_t i = 0; i < 8; ++i) CHECK(fl.r.flags[i].kind == kinds[i]);
  CHECK(fl.r.flags[6].name == "$Junk");
  CHECK(fl.r.names.empty());
  CHECK(written(fl.r) == "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\Recent $Junk \\X-Ext)\r\n");
  CHECK(sel.r.text == "Limited");

  parsed uv("* OK [UIDVALIDITY 3857529045] UIDs valid");
  CHECK(uv.r.code.kind == code_kind::uidvalidity);
  CHECK(uv.r.code.number == 3857529045u);

  parsed tagged("A142 OK [READ-WRITE] SELECT completed");
  CHECK(tagged.r.tag == "A142");
  CHECK(tagged.r.status == status_kind::ok);
  CHECK(tagged.r.code.kind == code_kind::read_write);
  CHECK(tagged.r.code.name == "READ-WRITE");

  parsed cap("* CAPABILITY IMAP4rev1 STARTTLS AUTH=GSSAPI XPIG-LATIN");
  CHECK(cap.r.type == response_type::capability);
  CHECK(cap.r.names.size() == 4);
  CHECK(imap::has_capability(cap.r.names, "starttls"));
  CHECK_FALSE(imap::has_capability(cap.r.names, "IDLE"));
  CHECK(imap::has_auth(cap.r.names, "gssapi"));
  CHECK_FALSE(imap::has_auth(cap.r.names, "PLAIN"));

  parsed list("* LIST (\\Noselect) \"/\" ~/Mail/foo");
  CHECK(list.r.type == response_type::list);
  CHECK(list.r.names == std::vector<std::string_view>{"\\Noselect"});
  CHECK(list.r.delimiter == imap::nstring("/"));
  CHECK(list.r.mailbox == "~/Mail/foo");

  parsed st("* STATUS blurdybloop (MESSAGES 231 UIDNEXT 44292)");
  REQUIRE(st.r.status_items.size() == 2);
  CHECK(st.r.status_items[0].attr == imap::status_attr::messages);
  CHECK(st.r.status_items[0].value == std::uint64_t{231});
  CHECK(st.r.status_items[1].attr == imap::status_attr::uidnext);
  CHECK(st.r.status_items[1].value == std::uint64_t{44292});

  parsed search("* SEARCH 2 3 6");
  CHECK(search.r.numbers == std::vector<std::uint32_t>{2, 3, 6});
  CHECK_FALSE(search.r.modseq);

  parsed ex("* 23 EXISTS");
  CHECK(ex.r.type == response_type::exists);
  CHECK(ex.r.number == 23);

  parsed other("* XPIG-LATIN ow-nay eaking-spay ig-pay atin-lay");
  CHECK(other.r.type == response_type::other);
  CHECK(other.r.name == "XPIG-LATIN");
  CHECK(other.r.rest == "ow-nay eaking-spay ig-pay atin-lay");

  parsed cont("+ YGgGCSqGSIb3EgECAgIAb1kwV6ADAgEFoQMCAQ+iSzBJoAMCAQGiQgRAtHTEuOP2BXb9sBYFR4SJlDZxmg39IxmRBOhXRKdDA0uHTCOT"
              "9Bq3OsUTXUlk0CsFLoa8j+gvGDlgHuqzWHPSQg==");
  CHECK(cont.r.type == response_type::continuation);
  CHECK(imap::is_base64(cont.r.text));
  parsed ready("+ Ready for literal data");
  CHECK_FALSE(imap::is_base64(ready.r.text));
  CHECK(imap::is_base64(""));
}

TEST_CASE("imap responses: RFC 9051 and extension examples", "[imap][response]") {
  const char* lines[] = {
      // RFC 9051 7.1 codes and their RFCs (4315, 5530, 7162, 4978, 4469, 3516, 5182, 8474)
      "A003 OK [APPENDUID 38505 3955] APPEND completed",
      "A004 OK [COPYUID 38505 304,319:320 3956:3958] Done",
      "A005 OK [UIDNOTSTICKY] Non-persistent UIDs",
      "a NO [UNAVAILABLE] User's backend down for maintenance",
      "b NO [AUTHENTICATIONFAILED] Authentication failed",
      "c1 NO [AUTHORIZATIONFAILED] No such authorization-ID",
      "d NO [EXPIRED] That password isn't valid any more",
      "d NO [PRIVACYREQUIRED] Connection offers no privacy",
      "f NO [NOPERM] Access denied",
      "g NO [INUSE] Mailbox in use",
      "h OK [EXPUNGEISSUED] Search completed",
      "i NO [CORRUPTION] Cannot open mailbox",
      "j NO [SERVERBUG] This should not happen",
      "k2 OK [CLIENTBUG] Done",
      "l NO [CANNOT] Adjacent slashes are not supported",
      "m NO [LIMIT] At most 32 flags in one mailbox supported",
      "n1 NO [OVERQUOTA] Sorry",
      "o NO [ALREADYEXISTS] Mailbox \"that\" already exists",
      "p NO [NONEXISTENT] No such mailbox",
      "e OK [CONTACTADMIN] ",
      "* OK [HIGHESTMODSEQ 715194045007] Highest",
      "* OK [NOMODSEQ] Sorry, this mailbox format doesn't support modsequences",
      "d105 OK [MODIFIED 7,9] Conditional STORE failed",
      "* OK [CLOSED] Previous mailbox closed",
      "a NO [COMPRESSIONACTIVE] DEFLATE active via TLS",
      "A003 NO [TOOBIG] Message too big",
      "A004 NO [BADURL imap://joe@example.com/INBOX;UIDVALIDITY=385759045/;UID=20] No such message",
      "a NO [UNKNOWN-CTE] Can't decode message",
      "a NO [NOTSAVED] Can't save search results",
      "a NO [HASCHILDREN] Has children",
      "3 OK [MAILBOXID (F2212ea87-6097-4256-9d51-71338625)] Completed",
      "a NO [BADCHARSET] unsupported",
      "* OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR LOGIN-REFERRALS ID ENABLE IDLE AUTH=PLAIN] Dovecot ready.",
      "a OK [METADATA LONGENTRIES 2199] GETMETADATA complete",
      "a NO [METADATA MAXSIZE 1024] Annotation too large",
      "a NO [METADATA TOOMANY] Too many annotations",
      "a NO [METADATA NOPRIVATE] Private annotations not supported",
      "a OK [XUNKNOWN-CODE some args] ok",
      "a OK [XFOO] ok",
      // RFC 9051 7.2-7.5 data
      "* ENABLED CONDSTORE QRESYNC",
      ("* ID (\"name\" \"Cyrus\" \"version\" \"1.5\" \"os\" \"sunos\" \"os-version\" \"5.5\" \"support-url\" "
       "\"mailto:cyrus-bugs+@andrew.cmu.edu\")"),
      "* ID NIL",
      "* ID ()",
      "* LIST () \"/\" INBOX",
      "* LIST () \"/\" NewMailbox (\"OLDNAME\" (OldMailbox))",
      "* LIST (\\HasNoChildren) NIL Flat",
      ("* STATUS blurdybloop (MESSAGES 231 UIDNEXT 44292 UIDVALIDITY 1 UNSEEN 0 DELETED 3 SIZE 44421 "
       "HIGHESTMODSEQ 7011231777 APPENDLIMIT NIL)"),
      "* STATUS INBOX (APPENDLIMIT 257890 DELETED-STORAGE 12 X-OTHER 5 X-NIL NIL MAILBOXID (F123))",
      "* STATUS INBOX ()",
      "* ESEARCH (TAG \"A282\") MIN 2 COUNT 3",
      "* ESEARCH (TAG \"A283\") ALL 2,10:11",
      "* ESEARCH (TAG \"A284\") MIN 4",
      "* ESEARCH (TAG \"A285\") UID MIN 7 MAX 3800",
      "* ESEARCH (TAG \"A286\") COUNT 15",
      "* ESEARCH (TAG \"a\") UID ALL 1:* MODSEQ 917162500",
      "* ESEARCH (TAG \"a\") UID PARTIAL (-1:-100 200:250,252:300)",
      "* ESEARCH",
      "* ESEARCH UID COUNT 0",
      "* SEARCH 2 5 6 7 11 12 18 19 20 23 (MODSEQ 917162500)",
      "* SORT 2 84 882",
      "* SORT 5 3 4 1 2 (MODSEQ 1236)",
      "* THREAD (2)(3 6 (4 23)(44 7 96))",
      "* THREAD ((3)(5))",
      "* THREAD",
      "* NAMESPACE ((\"\" \"/\")) NIL NIL",
      "* NAMESPACE NIL NIL ((\"\" \".\"))",
      ("* NAMESPACE ((\"\" \"/\")) ((\"~\" \"/\")) ((\"#shared/\" \"/\")(\"#public/\" \"/\")(\"#ftp/\" \"/\")"
       "(\"#news.\" \".\"))"),
      "* NAMESPACE ((\"\" \"/\" \"X-PARAM\" (\"FLAG1\" \"FLAG2\"))) NIL NIL",
      "* QUOTA \"\" (STORAGE 10 512)",
      "* QUOTA \"\" (STORAGE 10 512 MESSAGE 4 10)",
      "* QUOTAROOT INBOX \"\"",
      "* QUOTAROOT comp.mail.mime",
      "* METADATA \"\" (/shared/comment \"My comment\")",
      "* METADATA INBOX (/private/comment \"My own comment\" /shared/comment NIL)",
      "* METADATA INBOX /shared/comment /private/comment",
      "* VANISHED 405,407,410:420",
      "* VANISHED (EARLIER) 41,43:116,118,120:211,214:540",
      "* 12 XUNKNOWN with a number",
      "* XNOREST",
      // Names typed only with a number, or only without, are unknown otherwise.
      "* 5 CAPABILITY IMAP4rev1",
      "* 5 OK done",
      "* FETCH (FLAGS ())",
      "* EXISTS",
      // An item named UID where it cannot be the UID flag.
      "* ESEARCH MIN 1 UID 5",
      "* ESEARCH UID UID 5",
  };
  for (const char* l : lines) canonical(l);
  // Examples whose strings the writer puts in another (equal) form.
  const std::pair<const char*, const char*> forms[] = {
      {"a NO [BADCHARSET (US-ASCII \"UTF-8\")] unsupported", "a NO [BADCHARSET (US-ASCII UTF-8)] unsupported"},
      {"* LIST (\\Marked \\NoInferiors) \"/\" \"inbox\"", "* LIST (\\Marked \\NoInferiors) \"/\" inbox"},
      {"* LIST () \"/\" \"Fruit/Peach\" (\"CHILDINFO\" (\"SUBSCRIBED\"))",
       "* LIST () \"/\" Fruit/Peach (\"CHILDINFO\" (\"SUBSCRIBED\"))"},
      {"* LIST () \"/\" NewMailbox (OLDNAME (OldMailbox))", "* LIST () \"/\" NewMailbox (\"OLDNAME\" (OldMailbox))"},
      {"* QUOTA \"!partition/sda4\" (STORAGE 104 10923847)", "* QUOTA !partition/sda4 (STORAGE 104 10923847)"},
      {"* esearch (tag \"x\") uid min 1", "* ESEARCH (TAG \"x\") UID MIN 1"},
      {"* 3 exists", "* 3 EXISTS"},
      {"a1 ok [read-only] x", "a1 OK [READ-ONLY] x"},
  };
  for (const auto& f : forms) {
    INFO(f.first);
    parsed a(f.first);
    REQUIRE(a.error == errc::ok);
    CHECK(written(a.r) == std::string(f.second) + "\r\n");
    CHECK(parsed(f.second).r == a.r);
  }

  parsed cu("A004 OK [COPYUID 38505 304,319:320 3956:3958] Done");
  CHECK(cu.r.code.kind == code_kind::copyuid);
  CHECK(cu.r.code.number == 38505);
  CHECK(cu.r.code.set.ranges() == std::vector<imap::seq_range>{{304, 304}, {319, 320}});
  CHECK(cu.r.code.set2.ranges() == std::vector<imap::seq_range>{{3956, 3958}});

  parsed md("a OK [METADATA LONGENTRIES 2199] GETMETADATA complete");
  CHECK(md.r.code.kind == code_kind::metadata_longentries);
  CHECK(md.r.code.name == "METADATA");
  CHECK(md.r.code.number == 2199);

  parsed unk("a OK [XUNKNOWN-CODE some args] ok");
  CHECK(unk.r.code.kind == code_kind::other);
  CHECK(unk.r.code.name == "XUNKNOWN-CODE");
  CHECK(unk.r.code.text == "some args");

  parsed id("* ID (\"name\" \"Cyrus\" \"version\" NIL)");
  REQUIRE(id.error == errc::ok);
  REQUIRE(id.r.pairs.size() == 2);
  CHECK(id.r.pairs[0].name == "name");
  CHECK(id.r.pairs[0].value == imap::nstring("Cyrus"));
  CHECK_FALSE(id.r.pairs[1].value);
  CHECK(parsed("* ID NIL").r.id_nil);

  parsed ext("* LIST (\\Subscribed) \".\" \"Foo.Bar\" (\"CHILDINFO\" (\"SUBSCRIBED\") \"OLDNAME\" (Old) X-EXT (1 (a b)))");
  CHECK(ext.r.childinfo == std::vector<std::string_view>{"SUBSCRIBED"});
  CHECK(ext.r.oldname == imap::nstring("Old"));
  REQUIRE(ext.r.extended.size() == 1);
  CHECK(ext.r.extended[0].tag == "X-EXT");
  CHECK(ext.r.extended[0].value == "(1 (a b))");
  CHECK_FALSE(parsed("* LIST (\\HasNoChildren) NIL Flat").r.delimiter);

  parsed es("* ESEARCH (TAG \"a\") UID ALL 1:* MODSEQ 917162500");
  CHECK(es.r.esearch_tag == imap::nstring("a"));
  CHECK(es.r.uid);
  REQUIRE(es.r.esearch.size() == 2);
  CHECK(es.r.esearch[0].kind == imap::esearch_kind::all);
  CHECK(es.r.esearch[0].set.ranges() == std::vector<imap::seq_range>{{1, imap::seq_star}});
  CHECK(es.r.esearch[1].kind == imap::esearch_kind::modseq);
  CHECK(es.r.esearch[1].number == 917162500u);

  parsed ms("* SEARCH 2 5 6 7 11 12 18 19 20 23 (MODSEQ 917162500)");
  CHECK(ms.r.numbers.size() == 10);
  CHECK(ms.r.modseq == std::uint64_t{917162500});

  parsed th("* THREAD (2)(3 6 (4 23)(44 7 96))");
  const std::vector<imap::thread_node> expect = {{2, 0}, {3, 1}, {6, 2}, {4, 1}, {23, 0}, {44, 1}, {7, 1}, {96, 0}};
  CHECK(th.r.thread == expect);
  parsed th2("* THREAD ((3)(5))");
  CHECK(th2.r.thread == std::vector<imap::thread_node>{{0, 2}, {3, 0}, {5, 0}});

  parsed ns("* NAMESPACE ((\"\" \"/\" \"X-PARAM\" (\"FLAG1\" \"FLAG2\"))) NIL ((\"#shared/\" \"/\"))");
  REQUIRE(ns.r.namespaces.size() == 2);
  CHECK(ns.r.namespaces[0].group == 0);
  CHECK(ns.r.namespaces[1].group == 2);
  CHECK(ns.r.namespaces[1].prefix == "#shared/");
  REQUIRE(ns.r.namespaces[0].ext_count == 1);
  CHECK(ns.r.namespace_exts[0].name == "X-PARAM");
  CHECK(ns.r.namespace_exts[0].value_count == 2);
  CHECK(ns.r.names[1] == "FLAG2");

  parsed q("* QUOTA \"\" (STORAGE 10 512 MESSAGE 4 10)");
  REQUIRE(q.r.quota.size() == 2);
  CHECK(q.r.quota[1].name == "MESSAGE");
  CHECK(q.r.quota[1].usage == 4);
  CHECK(q.r.quota[1].limit == 10);

  parsed meta("* METADATA INBOX /shared/comment /private/comment");
  CHECK(meta.r.entry_list);
  CHECK(meta.r.pairs.size() == 2);

  parsed van("* VANISHED (EARLIER) 41,43:116");
  CHECK(van.r.earlier);
  CHECK(van.r.set.ranges() == std::vector<imap::seq_range>{{41, 41}, {43, 116}});

  parsed num("* 12 XUNKNOWN with a number");
  CHECK(num.r.type == response_type::other);
  CHECK(num.r.has_number);
  CHECK(num.r.number == 12);
  CHECK(num.r.name == "XUNKNOWN");
}

TEST_CASE("imap responses: strings in every form read to the same value", "[imap][response]") {
  // Keywords in any case, mailbox names quoted or as literals.
  parsed a("* list (\\noselect) \"/\" {8}\r\nfoo\r\nbar");
  REQUIRE(a.error == errc::ok);
  CHECK(a.r.mailbox == "foo\r\nbar");
  CHECK(written(a.r) == "* LIST (\\noselect) \"/\" {8}\r\nfoo\r\nbar\r\n");
  parsed b("* LIST (\\Noselect) \"/\" \"a \\\"q\\\" \\\\\"");
  REQUIRE(b.error == errc::ok);
  CHECK(b.r.mailbox == "a \"q\" \\");
  parsed c("* STATUS \"NIL\" (messages 1)");
  REQUIRE(c.error == errc::ok);
  CHECK(written(c.r) == "* STATUS \"NIL\" (MESSAGES 1)\r\n");
  // METADATA values may be literal8 (RFC 5464), NUL included.
  parsed m(std::string("* METADATA INBOX (/shared/x ~{3}\r\na\0b)", 38));
  REQUIRE(m.error == errc::ok);
  CHECK(m.r.pairs[0].value == imap::nstring(std::string_view("a\0b", 3)));
  CHECK(written(m.r) == std::string("* METADATA INBOX (/shared/x ~{3}\r\na\0b)\r\n", 40));
  // A string literal may not hold NUL.
  rejected(std::string("* ID (\"a\" {1}\r\n\0)", 18), errc::nul_byte, 10);
  // A streamed literal where the string must be in memory.
  {
    const std::string line = "* LIST () \"/\" {100000}\r\n";
    const std::vector<std::size_t> streamed = {14};
    response r;
    std::string scratch;
    CHECK(imap::parse_response(line, r, scratch, {}, &streamed) == errc::imap_literal_too_big);
    CHECK(r.error_at == 14);
    const std::string other = "* XFOO {100000}\r\n";
    const std::vector<std::size_t> streamed2 = {7};
    CHECK(imap::parse_response(other, r, scratch, {}, &streamed2) == errc::imap_literal_too_big);
    CHECK(r.error_at == 7);
  }
  // Unknown responses keep their literals.
  parsed x("* XFOO (a {3}\r\nb\r\n c)");
  REQUIRE(x.error == errc::ok);
  CHECK(x.r.rest == "(a {3}\r\nb\r\n c)");
  CHECK(written(x.r) == "* XFOO (a {3}\r\nb\r\n c)\r\n");
}

TEST_CASE("imap responses: malformed responses are refused with the error and offset", "[imap][response]") {
  struct bad {
    const char* line;
    errc e;
    std::size_t at;
  };
  const bad cases[] = {
      {"", errc::syntax_error, 0},
      {"*", errc::syntax_error, 1},
      {"*OK", errc::syntax_error, 1},
      {"* OK", errc::syntax_error, 4},           // no SP (strict; see the leniency)
      {"a1 OK", errc::syntax_error, 5},
      {"a1 PREAUTH hi", errc::syntax_error, 3},  // PREAUTH and BYE are never tagged
      {"a1 BYE hi", errc::syntax_error, 3},
      {"a+1 OK hi", errc::syntax_error, 1},      // "+" is not a tag char
      {"a1  OK hi", errc::syntax_error, 3},
      {"* OK [ALERT]", errc::syntax_error, 12},  // SP after the code (strict)
      {"* OK [ALERT]x", errc::syntax_error, 12},
      {"* OK [ALERT", errc::syntax_error, 11},
      {"* OK [XFOO ] x", errc::syntax_error, 11},  // generic code: text after SP is 1*
      {"* OK [] x", errc::syntax_error, 6},
      {"* OK [BADURL ] x", errc::syntax_error, 13},
      {"* OK text\x01\x7f is fine but CR is not\r", errc::syntax_error, 33},
      {"* CAPABILITY IMAP4rev1 ", errc::syntax_error, 22},  // trailing SP (strict)
      {"* CAPABILITY IMAP4rev1  IDLE", errc::syntax_error, 23},
      {"* CAPABILITY (IMAP4rev1)", errc::syntax_error, 13},
      {"* 0 EXPUNGE", errc::syntax_error, 11},
      {"* 4294967296 EXISTS", errc::syntax_error, 12},
      {"* 12", errc::syntax_error, 4},
      {"* 12 EXISTS x", errc::syntax_error, 11},
      {"* FLAGS (\\Seen \\*)", errc::syntax_error, 15},  // \* only in PERMANENTFLAGS
      {"* FLAGS (\\Seen )", errc::syntax_error, 15},
      {"* FLAGS \\Seen", errc::syntax_error, 8},
      {"* LIST (Noselect) \"/\" x", errc::syntax_error, 8},  // attributes are \atom
      {"* LIST () \"//\" x", errc::syntax_error, 10},        // one-character delimiter
      {"* LIST () / x", errc::syntax_error, 10},
      {"* LIST () \"/\"", errc::syntax_error, 13},
      {"* LIST () \"/\" x ()x", errc::syntax_error, 18},
      {"* LIST () \"/\" x (\"OLDNAME\" (a) \"OLDNAME\" (b))", errc::syntax_error, 41},
      {"* LSUB () \"/\" x (\"CHILDINFO\" (\"SUBSCRIBED\"))", errc::syntax_error, 15},
      {"* STATUS x (MESSAGES)", errc::syntax_error, 20},
      {"* STATUS x (UIDNEXT 0)", errc::syntax_error, 20},
      {"* STATUS x (MESSAGES NIL)", errc::syntax_error, 21},
      {"* STATUS x (MESSAGES 4294967296)", errc::syntax_error, 31},
      {"* SEARCH 0", errc::syntax_error, 9},
      {"* SEARCH 1 x", errc::syntax_error, 11},
      {"* SEARCH 1 (MODSEQ 5) 2", errc::syntax_error, 21},
      {"* SEARCH (MODSEQ)", errc::syntax_error, 16},
      {"* ESEARCH MIN 0", errc::syntax_error, 14},
      {"* ESEARCH COUNT", errc::syntax_error, 15},
      {"* ESEARCH (TAG a b)", errc::syntax_error, 16},
      {"* THREAD (3 (4))", errc::syntax_error, 15},  // thread-nested is 2*thread-list
      {"* THREAD ((4))", errc::syntax_error, 13},
      {"* THREAD (3)(", errc::syntax_error, 13},
      {"* THREAD (3) (4)", errc::syntax_error, 12},
      {"* THREAD ()", errc::syntax_error, 10},
      {"* NAMESPACE NIL NIL", errc::syntax_error, 19},
      {"* NAMESPACE () NIL NIL", errc::syntax_error, 13},
      {"* NAMESPACE ((\"\" \"/\" \"X\" ())) NIL NIL", errc::syntax_error, 26},
      {"* QUOTA \"\" (STORAGE 10)", errc::syntax_error, 22},
      {"* QUOTAROOT", errc::syntax_error, 11},
      {"* METADATA INBOX ()", errc::syntax_error, 18},
      {"* ID (\"a\")", errc::syntax_error, 9},
      {"* ID", errc::syntax_error, 4},
      {"* VANISHED 1:*:2", errc::syntax_error, 11},
      {"* VANISHED 1:*", errc::syntax_error, 11},  // known-uids: no "*" (RFC 7162)
      {"* VANISHED $", errc::syntax_error, 11},
      {"* ESEARCH ALL 1,*,", errc::syntax_error, 14},
      {"* ESEARCH ALL $", errc::syntax_error, 14},
      {"* LIST (\\Noselect \\*) \"/\" x", errc::syntax_error, 18},
      {"* VANISHED (LATER) 1", errc::syntax_error, 12},
      {"* VANISHED 0", errc::syntax_error, 11},
      {"* XFOO ", errc::syntax_error, 6},
      {"* XFOO a\rb", errc::syntax_error, 7},
      {"+", errc::syntax_error, 1},
      {"+x", errc::syntax_error, 1},
      {"* OK [UIDNEXT 1] a\nb", errc::syntax_error, 18},
      {"* LIST () \"/\" {5}\r\nab", errc::truncated, 14},
      {"* LIST () \"/\" {5x}\r\nabcde", errc::imap_bad_literal, 14},
  };
  for (const bad& c : cases) rejected(c.line, c.e, c.at);
  // A known code whose arguments do not fit reads as the generic form.
  parsed g("* OK [UIDNEXT 0] x");
  REQUIRE(g.error == errc::ok);
  CHECK(g.r.code.kind == code_kind::other);
  CHECK(g.r.code.name == "UIDNEXT");
  CHECK(g.r.code.text == "0");
  CHECK(written(g.r) == "* OK [UIDNEXT 0] x\r\n");
  // So do sets the code does not allow: "*" in a uid-set, "$" anywhere.
  for (const char* l : {"* OK [APPENDUID 1 2:*] x", "* OK [COPYUID 1 2 *] x", "* OK [APPENDUID 1 $] x",
                        "* OK [MODIFIED $] x", "* OK [MODIFIED 1,] x", "* OK [PERMANENTFLAGS (\\Seen a\\b)] x"}) {
    INFO(l);
    parsed p(l);
    REQUIRE(p.error == errc::ok);
    CHECK(p.r.code.kind == code_kind::other);
    CHECK(p.r.code.set.empty());
    CHECK(p.r.code.flags.empty());
  }
}

TEST_CASE("imap responses: leniencies for named servers, off by default", "[imap][response]") {
  imap::parse_options missing;
  missing.allow_missing_text_space = true;
  imap::parse_options trailing;
  trailing.allow_trailing_space = true;
  // iCloud "* BYE", Gmail "[HIGHESTMODSEQ n]" with nothing after, RFC 5530's
  // "e OK [CONTACTADMIN]", public-inbox-imapd's "+" (and RFC 3501's example).
  const char* missing_space[] = {"* BYE", "* OK [HIGHESTMODSEQ 5]", "e OK [CONTACTADMIN]", "+"};
  for (const char* l : missing_space) {
    INFO(l);
    rejected(l, errc::syntax_error, std::string_view(l).size());
    parsed p(l, missing);
    REQUIRE(p.error == errc::ok);
    CHECK(p.r.text.empty());
    // Written back with the SP (RFC 9051 erratum 7343), read strictly.
    const std::string w = written(p.r);
    CHECK(w == std::string(l) + " \r\n");
    CHECK(parsed(w.substr(0, w.size() - 2)).r == p.r);
  }
  // qq.com and iCloud CAPABILITY, global-mail.cn SEARCH, Exchange STATUS.
  const char* trailing_space[] = {"* CAPABILITY IMAP4 IMAP4rev1 ", "* SEARCH ", "* SEARCH 1 2 ",
                                  "* STATUS INBOX (MESSAGES 0) ", "* ENABLED ", "* THREAD ",
                                  "* QUOTAROOT INBOX ", "* 3 EXISTS "};
  for (const char* l : trailing_space) {
    INFO(l);
    const std::string_view v(l);
    rejected(l, errc::syntax_error, v.size() - 1);
    parsed p(l, trailing);
    REQUIRE(p.error == errc::ok);
    CHECK(written(p.r) == std::string(v.substr(0, v.size() - 1)) + "\r\n");
  }
  // One space only, and never inside a list or before the end of a status.
  rejected("* SEARCH 1  ", errc::syntax_error, 11, trailing);
  rejected("* FLAGS (\\Seen )", errc::syntax_error, 15, trailing);
  parsed ok_text("a OK done ", trailing);
  CHECK(ok_text.r.text == "done ");
}

TEST_CASE("imap responses: 8-bit text and quoted strings, strict and lenient", "[imap][response]") {
  // UTF-8 is valid IMAP4rev2 text and quoted content; Latin-1 is not.
  parsed utf("* LIST () \"/\" \"caf\xc3\xa9\"");
  REQUIRE(utf.error == errc::ok);
  CHECK(utf.r.mailbox == "caf\xc3\xa9");
  rejected("* LIST () \"/\" \"caf\xe9\"", errc::syntax_error, 14);
  rejected("* OK caf\xe9", errc::syntax_error, 8);
  rejected("* OK [XFOO caf\xe9] x", errc::syntax_error, 14);
  imap::parse_options latin;
  latin.allow_8bit_quoted = true;
  parsed l1("* LIST () \"/\" \"caf\xe9\"", latin);
  REQUIRE(l1.error == errc::ok);
  CHECK(l1.r.mailbox == "caf\xe9");
  parsed l2("* OK caf\xe9", latin);
  REQUIRE(l2.error == errc::ok);
  CHECK(l2.r.text == "caf\xe9");
  // The writer never sends what a strict reader refuses: Latin-1 goes in a
  // literal as a mailbox, and cannot be human text at all.
  CHECK(written(l1.r) == "* LIST () \"/\" {4}\r\ncaf\xe9\r\n");
  imap::wire w;
  CHECK(imap::write(w, l2.r, client_peer()) == errc::invalid_argument);
  // UTF-8 text only to a client that has enabled UTF8=ACCEPT.
  CHECK(imap::write(w, utf.r, client_peer(false)) == errc::ok);
  CHECK(w.bytes == "* LIST () \"/\" {5}\r\ncaf\xc3\xa9\r\n");
  w.clear();
  parsed t("* OK caf\xc3\xa9");
  CHECK(imap::write(w, t.r, client_peer(false)) == errc::invalid_argument);
  CHECK(w.bytes.empty());
}

TEST_CASE("imap responses: nesting and size limits", "[imap][response]") {
  // A THREAD of paren depth d: T(1) = "(1)", T(k) = "(" T(k-1) "(1))".
  auto thread = [](std::size_t d) {
    std::string t = "(1)";
    for (std::size_t k = 1; k < d; ++k) t = "(" + t + "(1))";
    return "* THREAD " + t;
  };
  const std::size_t max = mailwire::limits::imap_depth;
  parsed at(thread(max));
  REQUIRE(at.error == errc::ok);
  CHECK(at.r.thread.size() == 2 * max - 1);
  CHECK(written(at.r) == thread(max) + "\r\n");
  rejected(thread(max + 1), errc::imap_too_deep, 9 + max);
  imap::parse_options shallow;
  shallow.max_depth = 3;
  CHECK(parsed(thread(3), shallow).error == errc::ok);
  rejected(thread(4), errc::imap_too_deep, 12, shallow);
  // Long chains nest no parentheses: 10^5 members in one thread.
  std::string chain = "* THREAD (1";
  for (std::uint32_t i = 2; i <= 100000; ++i) chain += " " + std::to_string(i);
  chain += ")";
  parsed ch(chain);
  REQUIRE(ch.error == errc::ok);
  CHECK(ch.r.thread.size() == 100000);
  CHECK(written(ch.r) == chain + "\r\n");
  // A SEARCH response with 10^5 numbers.
  std::string search = "* SEARCH";
  for (std::uint32_t i = 1; i <= 100000; ++i) search += " " + std::to_string(i * 7);
  parsed s(search);
  REQUIRE(s.error == errc::ok);
  CHECK(s.r.numbers.size() == 100000);
  CHECK(s.r.numbers.back() == 700000);
  CHECK(written(s.r) == search + "\r\n");
  // Numbers at the edges of their ranges.
  canonical("* SEARCH 4294967295");
  rejected("* SEARCH 4294967296", errc::syntax_error, 19);  // the scanner reports overflow after the digits
  canonical("* OK [HIGHESTMODSEQ 9223372036854775807] max");
  parsed big("* OK [HIGHESTMODSEQ 9223372036854775808] over");
  CHECK(big.r.code.kind == code_kind::other);  // not a mod-sequence: the generic form
  canonical("* STATUS x (SIZE 9223372036854775807)");
  rejected("* STATUS x (SIZE 9223372036854775808)", errc::syntax_error, 17);
  // Depth inside LIST extended data and ESEARCH values is bounded too.
  std::string deep = "* LIST () \"/\" x (X (";
  for (std::size_t i = 0; i < max; ++i) deep += "(";
  rejected(deep, errc::imap_too_deep, 19 + max - 1);
}

TEST_CASE("imap responses: the writer refuses what would not read back", "[imap][response]") {
  auto refused = [](const response& r) {
    imap::wire w;
    w.bytes = "kept";
    w.breaks.push_back(imap::wire_break{});
    const errc e = imap::write(w, r, client_peer());
    CHECK(e == errc::invalid_argument);
    CHECK(w.bytes == "kept");
    CHECK(w.breaks.size() == 1);
  };
  response r;
  r.type = response_type::status;
  r.tag = "a+b";
  refused(r);
  r.tag = "a1";
  r.status = status_kind::bye;
  refused(r);
  r.status = status_kind::ok;
  r.text = "line\r\nbreak";
  refused(r);
  r.text = "[ALERT] not a code";
  refused(r);
  r.text = "fine";
  r.code.kind = code_kind::other;
  r.code.name = "ALERT";  // would read back as ALERT
  refused(r);
  r.code.name = "UIDNEXT";
  r.code.text = "5";
  refused(r);
  r.code.text = "x]y";
  r.code.name = "XFOO";
  refused(r);
  r.code.kind = code_kind::uidnext;
  r.code.number = 0;
  refused(r);
  r.code.kind = code_kind::appenduid;
  r.code.number = 1;
  r.code.set = set_of("1:*");  // uid-set has no "*"
  refused(r);
  r.code.set = set_of("1");
  CHECK(written(r) == "a1 OK [APPENDUID 1 1] fine\r\n");
  r.code.set = imap::sequence_set::saved_result();  // "$" is a command's
  refused(r);
  r.code.set.clear();  // empty
  refused(r);
  r.code.kind = code_kind::copyuid;
  r.code.set = set_of("1:2");
  r.code.set2 = set_of("5:*");
  refused(r);
  r.code.kind = code_kind::modified;
  r.code.set = set_of("1:*");
  CHECK(written(r) == "a1 OK [MODIFIED 1:*] fine\r\n");
  r.code.set = imap::sequence_set::saved_result();
  refused(r);
  r.code.kind = code_kind::permanentflags;
  r.code.flags = {flag_of("\\Seen"), imap::flag{imap::flag_kind::keyword, "bad flag"}};
  refused(r);
  r.code.flags = {flag_of("\\Seen"), flag_of("\\*")};
  CHECK(written(r) == "a1 OK [PERMANENTFLAGS (\\Seen \\*)] fine\r\n");
  r.code.clear();
  CHECK(written(r) == "a1 OK fine\r\n");

  response f;
  f.type = response_type::flags;
  f.flags = {flag_of("\\*")};  // \* is PERMANENTFLAGS' only
  refused(f);
  f.flags = {imap::flag{imap::flag_kind::extension, "\\a]"}};
  refused(f);
  response v;
  v.type = response_type::vanished;
  v.set = set_of("3:*");  // known-uids has no "*" (RFC 7162)
  refused(v);
  v.set.clear();
  refused(v);
  response l;
  l.type = response_type::list;
  l.mailbox = "x";
  l.delimiter = "ab";
  refused(l);
  l.delimiter.reset();
  l.names = {"Noselect"};  // attributes are "\" atom
  refused(l);
  l.names.clear();
  l.delimiter.reset();
  l.extended.push_back({"X", "(unbalanced"});
  refused(l);
  l.extended = {{"CHILDINFO", "(\"SUBSCRIBED\")"}};  // typed, not an extended item
  refused(l);
  response t;
  t.type = response_type::thread;
  t.thread = {{3, 1}, {0, 2}, {1, 0}, {2, 0}};  // a lone missing-parent child
  refused(t);
  t.thread = {{0, 1}, {1, 0}};
  refused(t);
  t.thread = {{1, 2}, {2, 0}};  // children missing
  refused(t);
  response o;
  o.type = response_type::other;
  o.name = "SEARCH";
  refused(o);
  o.name = "XFOO";
  o.rest = "a\rb";
  refused(o);
  o.rest = "{5}\r\nab";
  refused(o);
  response n;
  n.type = response_type::expunge;
  n.number = 0;
  refused(n);
  response st;
  st.type = response_type::status_data;
  st.mailbox = "x";
  st.status_items.push_back({imap::status_attr::other, "MESSAGES", 1, {}});
  refused(st);
  response es;
  es.type = response_type::esearch;
  es.esearch.push_back({imap::esearch_kind::other, "MIN", 0, "1", {}});
  refused(es);
  es.esearch = {{imap::esearch_kind::other, "uid", 0, "1", {}}};  // would read as the UID flag
  refused(es);
  o.name = "CAPABILITY";
  o.rest = {};
  refused(o);
  o.has_number = true;
  o.number = 5;
  o.name = "EXISTS";
  refused(o);
  response ns;
  ns.type = response_type::namespace_;
  ns.namespaces.push_back({2, "", {}, 0, 0});
  ns.namespaces.push_back({0, "", {}, 0, 0});  // groups out of order
  refused(ns);
  response md;
  md.type = response_type::metadata;
  md.mailbox = "x";
  refused(md);

  imap::wire w;
  CHECK(imap::write_status(w, "", status_kind::bye, "Logging out", client_peer()) == errc::ok);
  CHECK(imap::write_status(w, "A1", status_kind::no, "[x", client_peer()) == errc::invalid_argument);
  CHECK(w.bytes == "* BYE Logging out\r\n");
}

namespace {

// Values for the generator: strings of every form (atom, quoted with
// escapes, literal with CR LF, empty, "NIL", UTF-8), flags, sets.
const std::string_view strings[] = {"INBOX", "a", "NIL", "", "two words", "q\"uote\\d", "line\r\nbreak",
                                    "caf\xc3\xa9", "Fruit/Peach", "[x]", "%*", "~/Mail/foo", "{3}"};
const std::string_view atoms[] = {"IMAP4rev1", "IDLE", "AUTH=PLAIN", "LITERAL+", "X-ONE", "a.b"};
const std::string_view flags[] = {"\\Seen", "\\Answered", "$Forwarded", "Junk", "\\X-Custom", "\\Recent", "\\dRAFT"};
const std::string_view attrs[] = {"\\Noselect", "\\HasChildren", "\\Marked", "\\Subscribed", "\\X"};
const std::string_view sets[] = {"1", "1:*", "2,10:11", "4294967295", "*", "1,3:5,7:9,11"};
const std::string_view uid_sets[] = {"1", "304,319:320", "3956:3958", "4294967295"};
const std::string_view texts[] = {"", "Completed", "a b  c", "tab\there", "caf\xc3\xa9 ok", "x]y"};
const std::string_view ext_vals[] = {"1", "1:*", "()", "(a b)", "(a (b \"c d\") {2}\r\nxy)", "123456789012"};

struct generator {
  std::mt19937 rng;
  explicit generator(std::uint32_t seed) : rng(seed) {}
  std::uint32_t below(std::uint32_t n) { return std::uniform_int_distribution<std::uint32_t>(0, n - 1)(rng); }
  bool coin() { return below(2) == 0; }
  template <class T, std::size_t N>
  std::string_view pick(const T (&a)[N]) {
    return a[below(static_cast<std::uint32_t>(N))];
  }
  std::uint32_t nz() { return coin() ? 1 + below(100) : 0xFFFFFFFFu - below(3); }
  std::uint64_t n64() { return coin() ? below(1000) : 0x7FFFFFFFFFFFFFFFull - below(3); }
  std::string_view text() {
    // Human text may not start with "[" without a code; the pool has none.
    std::string_view t = pick(texts);
    return t == "x]y" ? std::string_view("y") : t;
  }

  void code(imap::resp_code& c) {
    static constexpr code_kind kinds[] = {
        code_kind::none, code_kind::alert, code_kind::badcharset, code_kind::capability, code_kind::permanentflags,
        code_kind::uidnext, code_kind::unseen, code_kind::appenduid, code_kind::copyuid, code_kind::highestmodseq,
        code_kind::modified, code_kind::badurl, code_kind::mailboxid, code_kind::metadata_maxsize,
        code_kind::metadata_toomany, code_kind::overquota, code_kind::other};
    c.clear();
    c.kind = kinds[below(sizeof kinds / sizeof kinds[0])];
    if (c.kind == code_kind::none) return;
    c.name = imap::detail::find_kind(imap::detail::code_table, c.kind) ? imap::detail::find_kind(imap::detail::code_table, c.kind)->name : "XCODE";
    switch (c.kind) {
      case code_kind::badcharset:
        for (std::uint32_t i = below(3); i > 0; --i) c.list.push_back(coin() ? "UTF-8" : "with space");
        break;
      case code_kind::capability:
        for (std::uint32_t i = below(4); i > 0; --i) c.list.push_back(pick(atoms));
        break;
      case code_kind::permanentflags:
        for (std::uint32_t i = below(4); i > 0; --i) c.flags.push_back(flag_of(below(4) == 0 ? "\\*" : pick(flags)));
        break;
      case code_kind::uidnext:
      case code_kind::unseen: c.number = nz(); break;
      case code_kind::highestmodseq: c.number = n64(); break;
      case code_kind::metadata_maxsize: c.number = below(5000); break;
      case code_kind::appenduid:
      case code_kind::copyuid:
        c.number = nz();
        c.set = set_of(pick(uid_sets));
        if (c.kind == code_kind::copyuid) c.set2 = set_of(pick(uid_sets));
        break;
      case code_kind::modified: c.set = set_of(pick(sets)); break;
      case code_kind::badurl: c.text = "imap://h/INBOX;UID=2"; break;
      case code_kind::mailboxid: c.text = "F2212ea87-6097"; break;
      case code_kind::other:
        c.name = coin() ? "XCODE" : "X-Y.Z";
        c.text = coin() ? std::string_view{} : std::string_view("some 1 (text)");
        break;
      default: break;
    }
  }

  void thread(std::vector<imap::thread_node>& t, std::uint32_t depth) {
    // One thread-list's tree, with at most `depth` levels of parentheses.
    const std::uint32_t shape = depth > 1 ? below(4) : 0;
    if (shape == 1) {  // a missing parent
      const std::size_t at = t.size();
      t.push_back({0, 0});
      const std::uint32_t n = 2 + below(2);
      for (std::uint32_t i = 0; i < n; ++i) thread(t, depth - 1);
      t[at].children = n;
      return;
    }
    std::uint32_t chain = 1 + below(3);
    for (; chain > 1; --chain) t.push_back({nz(), 1});
    t.push_back({nz(), 0});
    if (shape >= 2) {
      const std::uint32_t n = 2 + below(2);
      t.back().children = n;
      for (std::uint32_t i = 0; i < n; ++i) thread(t, depth - 1);
    }
  }

  void make(response& r) {
    r.clear();
    r.type = static_cast<response_type>(below(static_cast<std::uint32_t>(response_type::other) + 1));
    if (r.type == response_type::fetch) r.type = response_type::other;  // imap/fetch.hpp's
    switch (r.type) {
      case response_type::continuation:
        if (coin()) code(r.code);
        r.text = coin() ? std::string_view("dGVzdA==") : text();
        break;
      case response_type::status:
        r.tag = coin() ? std::string_view{} : coin() ? std::string_view("A001") : std::string_view("x]");
        r.status = static_cast<status_kind>(below(r.tag.empty() ? 5 : 3));
        code(r.code);
        r.text = text();
        break;
      case response_type::capability:
      case response_type::enabled:
        for (std::uint32_t i = below(5); i > 0; --i) r.names.push_back(pick(atoms));
        break;
      case response_type::id:
        r.id_nil = below(4) == 0;
        for (std::uint32_t i = r.id_nil ? 0 : below(4); i > 0; --i) {
          r.pairs.push_back({pick(strings), coin() ? imap::nstring() : imap::nstring(pick(strings))});
        }
        break;
      case response_type::flags:
        for (std::uint32_t i = below(5); i > 0; --i) r.flags.push_back(flag_of(pick(flags)));
        break;
      case response_type::exists:
      case response_type::recent: r.number = coin() ? 0 : nz(); break;
      case response_type::expunge: r.number = nz(); break;
      case response_type::vanished:
        r.earlier = coin();
        r.set = set_of(pick(uid_sets));
        break;
      case response_type::list:
      case response_type::lsub:
        for (std::uint32_t i = below(3); i > 0; --i) r.names.push_back(pick(attrs));
        if (coin()) r.delimiter = coin() ? std::string_view("/") : std::string_view("\\");
        else if (coin()) r.delimiter = std::string_view("\xc3\xa9");
        r.mailbox = pick(strings);
        if (r.type == response_type::list && coin()) {
          if (coin()) r.childinfo = {"SUBSCRIBED"};
          if (coin()) r.oldname = pick(strings);
          for (std::uint32_t i = below(3); i > 0; --i) r.extended.push_back({coin() ? "X-A" : "x b", pick(ext_vals)});
        }
        break;
      case response_type::status_data:
        r.mailbox = pick(strings);
        for (std::uint32_t i = below(6); i > 0; --i) {
          imap::status_item it;
          const std::uint32_t which = below(11);
          if (which < 10) {
            const auto& info = imap::detail::status_attr_table[which];
            it.attr = info.kind;
            it.name = info.name;
            if (info.nil && coin()) {
              it.value.reset();
            } else {
              it.value = info.nonzero ? nz() : info.bits32 ? below(1000) : n64();
            }
          } else {
            it.name = "X-ITEM";
            const std::uint32_t form = below(3);
            if (form == 0) it.value = n64();
            if (form == 2) it.raw = "(F12 3)";
          }
          r.status_items.push_back(it);
        }
        break;
      case response_type::search:
      case response_type::sort:
        for (std::uint32_t i = below(6); i > 0; --i) r.numbers.push_back(nz());
        if (coin()) r.modseq = n64();
        break;
      case response_type::esearch:
        if (coin()) r.esearch_tag = pick(strings);
        r.uid = coin();
        for (std::uint32_t i = below(5); i > 0; --i) {
          imap::esearch_item it;
          it.kind = static_cast<imap::esearch_kind>(below(6));
          it.name = it.kind == imap::esearch_kind::other ? std::string_view("PARTIAL")
                                                         : imap::detail::esearch_names[static_cast<std::size_t>(it.kind)];
          switch (it.kind) {
            case imap::esearch_kind::min:
            case imap::esearch_kind::max: it.number = nz(); break;
            case imap::esearch_kind::count: it.number = below(100); break;
            case imap::esearch_kind::modseq: it.number = n64(); break;
            case imap::esearch_kind::all: it.set = set_of(pick(sets)); break;
            case imap::esearch_kind::other: it.value = pick(ext_vals); break;
          }
          r.esearch.push_back(it);
        }
        break;
      case response_type::thread:
        for (std::uint32_t i = below(4); i > 0; --i) thread(r.thread, 1 + below(6));
        break;
      case response_type::namespace_:
        for (std::uint8_t g = 0; g < 3; ++g) {
          for (std::uint32_t i = below(3); i > 0; --i) {
            imap::namespace_descr d;
            d.group = g;
            d.prefix = pick(strings);
            if (coin()) d.delimiter = std::string_view(".");
            d.ext_first = static_cast<std::uint32_t>(r.namespace_exts.size());
            for (std::uint32_t e = below(3); e > 0; --e) {
              imap::namespace_ext x;
              x.name = pick(strings);
              x.value_first = static_cast<std::uint32_t>(r.names.size());
              for (std::uint32_t v = 1 + below(3); v > 0; --v) r.names.push_back(pick(strings));
              x.value_count = static_cast<std::uint32_t>(r.names.size()) - x.value_first;
              r.namespace_exts.push_back(x);
              ++d.ext_count;
            }
            r.namespaces.push_back(d);
          }
        }
        break;
      case response_type::quota:
        r.mailbox = pick(strings);
        for (std::uint32_t i = below(3); i > 0; --i) r.quota.push_back({coin() ? "STORAGE" : "MESSAGE", n64(), n64()});
        break;
      case response_type::quotaroot:
        r.mailbox = pick(strings);
        for (std::uint32_t i = below(3); i > 0; --i) r.names.push_back(pick(strings));
        break;
      case response_type::metadata:
        r.mailbox = pick(strings);
        r.entry_list = coin();
        for (std::uint32_t i = 1 + below(3); i > 0; --i) {
          imap::string_pair p;
          p.name = coin() ? std::string_view("/shared/comment") : pick(strings);
          if (!r.entry_list && coin()) p.value = coin() ? pick(strings) : std::string_view("a\0b", 3);
          r.pairs.push_back(p);
        }
        break;
      case response_type::other:
      case response_type::fetch:
        r.type = response_type::other;
        r.has_number = coin();
        r.number = r.has_number ? nz() : 0;
        r.name = coin() ? "XFOO" : "X-BAR.2";
        r.rest = coin() ? std::string_view{} : coin() ? std::string_view("a (b) {3}\r\nc\r\n") : text();
        break;
    }
  }
};

}  // namespace

TEST_CASE("imap responses: parse(write(x)) == x over generated values", "[imap][response]") {
  generator g(20240611);
  response x;
  response y;
  std::string scratch;
  imap::wire w;
  std::size_t per_type[static_cast<std::size_t>(response_type::other) + 1] = {};
  for (int i = 0; i < 30000; ++i) {
    g.make(x);
    w.clear();
    const errc e = imap::write(w, x, client_peer());
    INFO("type " << static_cast<int>(x.type) << " error " << static_cast<int>(e));
    REQUIRE(e == errc::ok);
    REQUIRE(w.bytes.size() >= 2);
    REQUIRE(w.bytes.compare(w.bytes.size() - 2, 2, "\r\n") == 0);
    const std::string_view message(w.bytes.data(), w.bytes.size() - 2);
    INFO(std::string(message));
    const errc p = imap::parse_response(message, y, scratch);
    INFO("parse error " << static_cast<int>(p) << " at " << y.error_at);
    REQUIRE(p == errc::ok);
    REQUIRE(y == x);
    // Written again, the bytes are the same (write is a function of the value).
    imap::wire again;
    REQUIRE(imap::write(again, y, client_peer()) == errc::ok);
    REQUIRE(again.bytes == w.bytes);
    ++per_type[static_cast<std::size_t>(x.type)];
  }
  for (std::size_t t = 0; t <= static_cast<std::size_t>(response_type::other); ++t) {
    if (t == static_cast<std::size_t>(response_type::fetch)) continue;
    INFO("type " << t);
    CHECK(per_type[t] > 100);
  }
}

TEST_CASE("imap responses: n FETCH goes to imap/fetch.hpp with its number", "[imap][response]") {
  // The seam only: FETCH data itself is tested in imap_fetch_test.cpp.
  parsed f("* 23 FETCH (FLAGS (\\Seen) UID 4827313)");
  REQUIRE(f.error == errc::ok);
  CHECK(f.r.type == response_type::fetch);
  CHECK(f.r.fetch.seq == 23);
  CHECK(f.r.number == 0);
  CHECK(f.r.fetch.items.size() == 2);
  CHECK(written(f.r) == "* 23 FETCH (FLAGS (\\Seen) UID 4827313)\r\n");
  rejected("* 0 FETCH (UID 1)", errc::syntax_error, 9);
  rejected("* 1 FETCH (UID 1) x", errc::syntax_error, 17);
}

TEST_CASE("imap responses: one object reused keeps its capacity", "[imap][response]") {
  response r;
  std::string scratch;
  const std::string big = "* CAPABILITY A B C D E F G H I J";
  REQUIRE(imap::parse_response(big, r, scratch) == errc::ok);
  const std::size_t cap = r.names.capacity();
  REQUIRE(imap::parse_response("* 3 EXISTS", r, scratch) == errc::ok);
  CHECK(r.names.empty());
  CHECK(r.names.capacity() == cap);
  CHECK(r.type == response_type::exists);
  REQUIRE(imap::parse_response("* FLAGS (\\Seen)", r, scratch) == errc::ok);
  CHECK(r.names.capacity() == cap);
  CHECK(r.number == 0);
  // Typed flags and sequence sets are reused the same way.
  REQUIRE(imap::parse_response("* FLAGS (\\Seen \\Answered \\Recent a b c d e)", r, scratch) == errc::ok);
  CHECK(r.flags.size() == 8);
  CHECK(r.names.empty());
  const imap::flag* flag_buffer = r.flags.data();
  REQUIRE(imap::parse_response("* VANISHED 1,2,3,4,5,6,7,8", r, scratch) == errc::ok);
  CHECK(r.flags.empty());
  const imap::seq_range* uids = r.set.ranges().data();
  REQUIRE(imap::parse_response("a OK [COPYUID 1 1,2,3,4,5 6,7,8,9,10] done", r, scratch) == errc::ok);
  CHECK(r.set.empty());
  const imap::seq_range* from = r.code.set.ranges().data();
  const imap::seq_range* to = r.code.set2.ranges().data();
  REQUIRE(imap::parse_response("* FLAGS (\\Deleted)", r, scratch) == errc::ok);
  CHECK(r.flags.data() == flag_buffer);
  CHECK(r.flags[0].kind == imap::flag_kind::deleted);
  REQUIRE(imap::parse_response("* VANISHED (EARLIER) 9:10", r, scratch) == errc::ok);
  CHECK(r.set.ranges().data() == uids);
  CHECK(r.set == set_of("9:10"));
  REQUIRE(imap::parse_response("a OK [COPYUID 1 3 4] done", r, scratch) == errc::ok);
  CHECK(r.code.set.ranges().data() == from);
  CHECK(r.code.set2.ranges().data() == to);
  CHECK(r.code.set2 == imap::sequence_set(4));
}

TEST_CASE("imap responses: FETCH items are reused across other responses", "[imap][response]") {
  imap::response r;
  std::string scratch;
  REQUIRE(imap::parse_response("* 1 FETCH (FLAGS (\\Seen \\Draft $Junk))", r, scratch) == mailwire::errc::ok);
  REQUIRE(r.fetch.items.size() == 1);
  const imap::flag* flags_buffer = r.fetch.items[0].flags.data();
  REQUIRE(imap::parse_response("* 3 EXISTS", r, scratch) == mailwire::errc::ok);
  CHECK(r.type == imap::response_type::exists);
  CHECK(r.fetch.items.empty());  // members of other types are empty
  REQUIRE(imap::parse_response("* 2 FETCH (FLAGS (\\Seen))", r, scratch) == mailwire::errc::ok);
  REQUIRE(r.fetch.items.size() == 1);
  CHECK(r.fetch.items[0].flags.size() == 1);
  CHECK(r.fetch.items[0].flags.data() == flags_buffer);  // no new allocation
}
