// smtp::address: a path that owns its text.
#include <mailwire/smtp/client.hpp>
#include <mailwire/smtp/path.hpp>

#include <optional>
#include <string>

#include "catch.hpp"

namespace smtp = mailwire::smtp;

TEST_CASE("smtp::address owns its text: built from a plain string, copied, moved", "[smtp][path]") {
  mailwire::errc why = mailwire::errc::ok;
  CHECK_FALSE(smtp::address::parse("no-at-sign", smtp::path_role::forward, true, &why));
  CHECK(why == mailwire::errc::smtp_bad_path);
  CHECK_FALSE(smtp::address::parse("a@b.org> SIZE=1"));  // nothing may follow
  CHECK_FALSE(smtp::address::parse("<>", smtp::path_role::forward));
  CHECK_FALSE(smtp::address::parse("ünï@example.org", smtp::path_role::forward, false, &why));
  CHECK(why == mailwire::errc::smtp_utf8_not_allowed);
  REQUIRE(smtp::address::parse("<>", smtp::path_role::reverse));
  CHECK(smtp::address::parse("<>", smtp::path_role::reverse)->get().kind == smtp::path_kind::null);
  // Short (in-place) and long (heap) texts, so both ways a string moves.
  for (const std::string& text : {std::string("a@b.c"), std::string(60, 'x') + "@" + std::string(60, 'y') + ".org",
                                 std::string("\"quoted local\"@example.org")}) {
    std::optional<smtp::address> a = smtp::address::parse(text);
    REQUIRE(a);
    const smtp::path want = a->get();
    CHECK(a->text() == "<" + text + ">");
    smtp::address copy = *a;
    smtp::address moved = std::move(*a);
    a.reset();  // the original's text is gone: the others own theirs
    for (const smtp::address* x : {&copy, &moved}) {
      const smtp::path& p = *x;
      CHECK(p.local_part.data() >= x->text().data());
      CHECK(p.local_part.data() < x->text().data() + x->text().size());
      CHECK(std::string(p.domain) == text.substr(text.rfind('@') + 1));
    }
    smtp::address assigned = *smtp::address::parse("z@z.z");
    assigned = copy;
    CHECK(assigned.get() == copy.get());
    assigned = std::move(moved);
    CHECK(assigned.get() == copy.get());
    (void)want;
    // Wherever a path is taken: here before the session is ready.
    smtp::client c;
    CHECK(c.mail(copy) == mailwire::errc::invalid_state);
  }
}
