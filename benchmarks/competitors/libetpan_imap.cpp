// libetpan as an IMAP response parser: the parser mailimap_parse_response
// runs (mailimap_response_parse_with_context, with a FETCH handler so that
// each FETCH's attributes are handed over and freed as they are parsed, as
// libetpan's own fetch with a msg_att handler does) over a mailstream whose
// low-level driver reads from memory, `read_size` bytes at a time as a
// socket would hand them over.
//
// mailimap_parse_response itself is not called: it needs the tagged
// completion's tag to be the session's own numeric tag ("1", "2", ...),
// and the stream is the answer to "A1 UID FETCH". The parser it calls is
// exported by libetpan.so but declared in a header Debian does not install
// (mailimap_parser.h), so its prototype is repeated here.
#include <libetpan/libetpan.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>

#include "imap_peers.hpp"

extern "C" int mailimap_response_parse_with_context(mailstream* fd, MMAPString* buffer,
                                                    struct mailimap_parser_context* parser_ctx, size_t* indx,
                                                    struct mailimap_response** result,
                                                    mailprogress_function* body_progr_fun,
                                                    mailprogress_function* items_progr_fun, void* context,
                                                    mailimap_msg_att_handler* msg_att_handler,
                                                    void* msg_att_context);

namespace peers {
namespace {

// The memory the driver reads from.
struct source {
  const char* at;
  std::size_t left;
  std::size_t read_size;
};

ssize_t memory_read(mailstream_low* s, void* buf, size_t count) {
  auto* src = static_cast<source*>(s->data);
  const std::size_t n = std::min({count, src->left, src->read_size});
  std::memcpy(buf, src->at, n);
  src->at += n;
  src->left -= n;
  return static_cast<ssize_t>(n);
}
ssize_t memory_write(mailstream_low*, const void*, size_t count) { return static_cast<ssize_t>(count); }
int memory_close(mailstream_low*) { return 0; }
int memory_get_fd(mailstream_low*) { return -1; }
void memory_free(mailstream_low* s) { free(s); }  // the source is the caller's
void memory_cancel(mailstream_low*) {}
struct mailstream_cancel* memory_get_cancel(mailstream_low*) { return nullptr; }

mailstream_low_driver memory_driver = {memory_read,   memory_write,      memory_close, memory_get_fd,
                                       memory_free,   memory_cancel,     memory_get_cancel,
                                       nullptr,       nullptr,           nullptr,      nullptr};

void on_fetch(struct mailimap_msg_att* att, void* context) {
  auto* w = static_cast<imap_work*>(context);
  ++w->fetches;
  for (clistiter* it = clist_begin(att->att_list); it != nullptr; it = clist_next(it)) ++w->items;
}

// A session only for the parser context (its server workarounds, all off).
mailimap* session() {
  static mailimap* s = mailimap_new(0, nullptr);
  return s;
}

}  // namespace

std::string etpan_imap_name() {
  return "libetpan " + std::to_string(libetpan_get_version_major()) + "." +
         std::to_string(libetpan_get_version_minor()) + " (mailimap response parser)";
}

imap_work etpan_imap_parse(std::string_view stream, std::size_t read_size) {
  imap_work w;
  source src{stream.data(), stream.size(), read_size};
  mailstream* fd = mailstream_new(mailstream_low_new(&src, &memory_driver), read_size);
  MMAPString* buffer = mmap_string_new("");
  struct mailimap_parser_context* ctx = mailimap_parser_context_new(session());
  // mailimap_read_line, then mailimap_parse_response's parse.
  if (mailstream_read_line(fd, buffer) != nullptr) {
    std::size_t indx = 0;
    struct mailimap_response* response = nullptr;
    if (mailimap_response_parse_with_context(fd, buffer, ctx, &indx, &response, nullptr, nullptr, nullptr, on_fetch,
                                             &w) == MAILIMAP_NO_ERROR) {
      const auto* done = response->rsp_resp_done;
      w.completed = done->rsp_type == MAILIMAP_RESP_DONE_TYPE_TAGGED &&
                    std::strcmp(done->rsp_data.rsp_tagged->rsp_tag, "A1") == 0 &&
                    done->rsp_data.rsp_tagged->rsp_cond_state->rsp_type == MAILIMAP_RESP_COND_STATE_OK;
      mailimap_response_free(response);
    }
  }
  mailimap_parser_context_free(ctx);
  mmap_string_free(buffer);
  mailstream_close(fd);  // frees the stream and its low-level part
  return w;
}

}  // namespace peers
