// Drives a mime::parser over one chunking of an input and writes its events
// as a text log that does not depend on the chunking: between two
// structural events (header, part_begin, part_end), the body, preamble or
// epilogue chunks are joined, and the diagnostics raised there are listed
// after them in offset order. Used by the parser tests (with
// grind) and the parser fuzz target.
#ifndef MAILWIRE_TESTS_SUPPORT_MIME_EVENTS_HPP
#define MAILWIRE_TESTS_SUPPORT_MIME_EVENTS_HPP

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include <mailwire/mime/parser.hpp>

#include "quote.hpp"

namespace mailwire_test {

/// Feeds `chunks` in order (then finish()) and calls `on(event)` for every
/// event but need_more and end. Returns the number of events.
template <class Chunks, class F>
std::size_t drive_parser(mailwire::mime::parser& p, const Chunks& input, F&& on) {
  using mailwire::mime::event_type;
  std::size_t n = 0;
  for (std::string_view c : input) {
    while (!c.empty()) {
      c.remove_prefix(p.feed(c));
      for (auto e = p.next(); e.type != event_type::need_more; e = p.next()) {
        on(e);
        ++n;
      }
    }
  }
  p.finish();
  for (auto e = p.next(); e.type != event_type::end; e = p.next()) {
    on(e);
    ++n;
  }
  return n;
}

/// The chunking-independent log of a parser's events.
class mime_event_log {
 public:
  void on(const mailwire::mime::event& e) {
    using mailwire::mime::event_type;
    const char kind = e.type == event_type::body       ? 'D'
                      : e.type == event_type::preamble ? 'P'
                      : e.type == event_type::epilogue ? 'E'
                                                       : 0;
    if (e.type == event_type::diagnostic) {
      run_diags_.push_back(e.diag);
      return;
    }
    // A run starts without a flush: diagnostics raised before its first
    // chunk belong to it (a decoded chunk may be empty, so no event).
    const bool starts_run = kind != 0 && run_kind_ == 0;
    if (!starts_run && (kind == 0 || kind != run_kind_ || e.entity->index != run_index_)) flush_run();
    switch (e.type) {
      case event_type::header:
        line("H " + std::to_string(e.entity->index) + " " + quote(e.field.raw) + " @" +
             std::to_string(e.field.offset) + "-" + std::to_string(e.field.end));
        break;
      case event_type::part_begin: {
        const mailwire::mime::part& p = *e.entity;
        line("B " + std::to_string(p.index) + " parent=" + std::to_string(p.parent) + " depth=" +
             std::to_string(p.depth) + " " + p.type.type + "/" + p.type.subtype + " kind=" +
             std::to_string(static_cast<int>(p.kind)) + " enc=" + std::to_string(static_cast<int>(p.encoding)) +
             " @" + std::to_string(p.offset) + " body@" + std::to_string(p.body_offset));
        break;
      }
      case event_type::part_end: {
        const mailwire::mime::part& p = *e.entity;
        line("/ " + std::to_string(p.index) + " end=" + std::to_string(p.end) + " size=" + std::to_string(p.size) +
             (p.closed ? " closed" : ""));
        break;
      }
      default:
        if (kind != 0) {
          if (run_kind_ == 0) run_offset_ = e.offset;
          run_kind_ = kind;
          run_index_ = e.entity->index;
          run_.append(e.data);
        }
        break;
    }
  }

  /// The log so far (call after the last event).
  const std::string& text() {
    flush_run();
    return text_;
  }

 private:
  void line(const std::string& s) {
    text_ += s;
    text_ += '\n';
  }
  void flush_run() {
    if (run_kind_ != 0) {
      // A decoded body's first chunk may be empty (no event), so only
      // preambles and epilogues, which are raw, show where they start.
      const std::string at = run_kind_ == 'D' ? "" : " @" + std::to_string(run_offset_);
      line(std::string(1, run_kind_) + " " + std::to_string(run_index_) + at + " " + quote(run_));
    }
    run_.clear();
    run_kind_ = 0;
    std::stable_sort(run_diags_.begin(), run_diags_.end(),
                     [](const auto& a, const auto& b) { return a.offset < b.offset; });
    for (const auto& x : run_diags_) {
      line("! " + std::string(mailwire::to_name(x.code)) + " @" + std::to_string(x.offset));
    }
    run_diags_.clear();
  }

  std::string text_;
  std::string run_;
  char run_kind_ = 0;
  std::uint32_t run_index_ = 0;
  std::uint64_t run_offset_ = 0;
  std::vector<mailwire::mime::diagnostic> run_diags_;
};

/// The log of parsing `chunks` with `options`.
template <class Chunks>
std::string mime_log(const Chunks& input, const mailwire::mime::parser_options& options = {}) {
  mailwire::mime::parser p(options);
  mime_event_log log;
  drive_parser(p, input, [&](const mailwire::mime::event& e) { log.on(e); });
  return log.text();
}

}  // namespace mailwire_test

#endif  // MAILWIRE_TESTS_SUPPORT_MIME_EVENTS_HPP
