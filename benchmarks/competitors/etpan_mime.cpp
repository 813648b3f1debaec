// libetpan as a MIME parser: mailmime_parse over the message in place, every
// single part decoded with mailmime_part_parse, Subject and From display
// names decoded with mailmime_encoded_phrase_parse.
#include <libetpan/libetpan.h>

#include <cstring>
#include <string>
#include <vector>

#include "mime_peers.hpp"

namespace peers {
namespace {

void phrase(const char* text, mime_work& w) {
  if (text == nullptr) return;
  std::size_t at = 0;
  char* out = nullptr;
  if (mailmime_encoded_phrase_parse("utf-8", text, std::strlen(text), &at, "utf-8", &out) == MAILIMF_NO_ERROR) {
    w.header_text += std::strlen(out);
    free(out);
  }
}

void headers(const mailimf_fields* fields, mime_work& w) {
  if (fields == nullptr) return;
  for (clistiter* it = clist_begin(fields->fld_list); it != nullptr; it = clist_next(it)) {
    const auto* f = static_cast<const mailimf_field*>(clist_content(it));
    if (f->fld_type == MAILIMF_FIELD_SUBJECT) {
      phrase(f->fld_data.fld_subject->sbj_value, w);
    } else if (f->fld_type == MAILIMF_FIELD_FROM && f->fld_data.fld_from->frm_mb_list != nullptr) {
      clist* list = f->fld_data.fld_from->frm_mb_list->mb_list;
      for (clistiter* m = clist_begin(list); m != nullptr; m = clist_next(m)) {
        phrase(static_cast<const mailimf_mailbox*>(clist_content(m))->mb_display_name, w);
      }
    }
  }
}

void walk(const mailmime* m, mime_work& w) {
  switch (m->mm_type) {
    case MAILMIME_SINGLE: {
      const mailmime_data* d = m->mm_data.mm_single;
      if (d == nullptr || d->dt_type != MAILMIME_DATA_TEXT) return;
      ++w.leaves;
      if (!d->dt_encoded) {
        w.decoded += d->dt_data.dt_text.dt_length;
        return;
      }
      std::size_t at = 0;
      char* out = nullptr;
      std::size_t n = 0;
      if (mailmime_part_parse(d->dt_data.dt_text.dt_data, d->dt_data.dt_text.dt_length, &at, d->dt_encoding, &out,
                              &n) == MAILIMF_NO_ERROR) {
        w.decoded += n;
        mailmime_decoded_part_free(out);
      }
      return;
    }
    case MAILMIME_MULTIPLE:
      for (clistiter* it = clist_begin(m->mm_data.mm_multipart.mm_mp_list); it != nullptr; it = clist_next(it)) {
        walk(static_cast<const mailmime*>(clist_content(it)), w);
      }
      return;
    case MAILMIME_MESSAGE:
      headers(m->mm_data.mm_message.mm_fields, w);
      if (m->mm_data.mm_message.mm_msg_mime != nullptr) walk(m->mm_data.mm_message.mm_msg_mime, w);
      return;
    default: return;
  }
}

}  // namespace

mime_peer etpan_mime(const std::vector<std::string>& corpus) {
  return {"libetpan " + std::to_string(libetpan_get_version_major()) + "." +
              std::to_string(libetpan_get_version_minor()) + " (mailmime_parse + decode)",
          [&corpus] {
            mime_work w;
            for (const std::string& msg : corpus) {
              std::size_t at = 0;
              mailmime* m = nullptr;
              if (mailmime_parse(msg.data(), msg.size(), &at, &m) != MAILIMF_NO_ERROR) continue;
              walk(m, w);
              mailmime_free(m);
            }
            return w;
          }};
}

}  // namespace peers
