// MIME builder throughput: a message with a text part and one attachment
// (binary as base64, or text as quoted-printable) written by mime::builder,
// the attachment streamed in 64 KiB pieces and the output drained as it
// grows (as a program writing to a socket would), against memcpy of the
// same output bytes and, when built with it, GMime's writer
// (g_mime_object_write_to_stream) building and writing the same message,
// all in the same run. MB/s are of the message written. Then the bare
// encoders: quoted-printable (mailwire vs GMime) on the same text.
//
//   mailwire-bench-mime-builder [--size MiB] [--smoke]
#include <mailwire/mime/builder.hpp>
#include <mailwire/mime/tree.hpp>

#include "bench_util.hpp"

#include <fmt/format.h>

#include <string>
#include <string_view>
#include <vector>

#if MAILWIRE_BENCH_GMIME
namespace peers {
std::size_t gmime_write_message(const std::string& text, const std::string& attachment, bool text_attachment);
std::size_t gmime_qp_encode(const unsigned char* in, std::size_t n, char* out);
}  // namespace peers
#endif

namespace {

namespace mime = mailwire::mime;

// Prose with a line break after one word in 12.
std::string prose(std::size_t n, unsigned accented_every) { return bench::prose(n, accented_every, 12, "\r\n"); }

// The message, written by mime::builder; returns the bytes written. `sink`
// receives each drained piece (the benchmark counts them; the self-check
// keeps them).
template <class Sink>
std::size_t build(const std::string& text, const std::string& attachment, bool text_attachment, Sink&& sink) {
  mime::builder b;
  std::size_t total = 0;
  const auto drain = [&] {
    const std::string_view out = b.pending_output();
    sink(out);
    total += out.size();
    b.consume_output(out.size());
  };
  b.address_field("From", {{"Zoe", "zoe@example.org"}});
  b.address_field("To", {{"", "bob@example.org"}});
  b.field("Subject", "Quarterly report");
  b.date_field({1765000000, 60});
  b.message_id_field("0123456789abcdef", "example.org");
  b.begin_multipart("mixed", "fedcba9876543210");
  mime::part_header body;
  body.encoding = mime::transfer_encoding::quoted_printable;
  b.part(body, text);
  mime::part_header file;
  file.type = text_attachment ? "text/plain" : "application/pdf";
  file.filename = text_attachment ? "notes.txt" : "report.pdf";
  b.begin_part(file);
  constexpr std::size_t piece = 64 * 1024;
  for (std::size_t at = 0; at < attachment.size(); at += piece) {
    b.write(std::string_view(attachment).substr(at, piece));
    drain();
  }
  b.end();
  b.end();
  drain();
  return total;
}

}  // namespace

int main(int argc, char** argv) {
  const auto [mib, reps] = bench::size_and_reps(argc, argv, 32, 9);
  const std::string text = prose(16 * 1024, 20);
  std::string dst;
  for (const bool text_attachment : {false, true}) {
    const std::string attachment = text_attachment ? prose(mib << 20, 20) : bench::random_bytes(mib << 20);
    // Self-check: the message reads back with the attachment intact.
    std::string message;
    build(text, attachment, text_attachment, [&](std::string_view s) { message.append(s); });
    const mime::tree t = mime::parse_tree(message);
    if (t.attachments().size() != 1 || t.decoded_body(*t.attachments()[0]) != attachment) {
      fmt::print(stderr, "self-check failed ({})\n", text_attachment ? "text" : "binary");
      return 1;
    }
    dst.assign(message.size(), '\0');
    fmt::print("\n{} MiB {} attachment: a {}-byte message; best of {}\n", mib,
               text_attachment ? "text (quoted-printable)" : "binary (base64)", message.size(), reps);
    std::vector<bench::result> rows{bench::memcpy_row(message, dst, reps)};
    rows.push_back({"mailwire builder, 64 KiB pieces", bench::measure(message.size(), reps, [&] {
                      return build(text, attachment, text_attachment, [](std::string_view) {});
                    })});
#if MAILWIRE_BENCH_GMIME
    std::size_t gmime_size = 0;
    rows.push_back({"GMime g_mime_object_write_to_stream", bench::measure(message.size(), reps, [&] {
                      return gmime_size = peers::gmime_write_message(text, attachment, text_attachment);
                    })});
    fmt::print("  (GMime wrote {} bytes)\n", gmime_size);
#endif
    bench::table("message writing", rows, 44);
  }

  // The quoted-printable encoder alone, on the same text.
  const std::string qp_text = prose(mib << 20, 4);
  std::string qp;
  dst.assign(qp_text.size() * 3 + 4096, '\0');
  fmt::print("\nquoted-printable encode: {} bytes of text, one word in 4 non-ASCII; best of {}\n", qp_text.size(),
             reps);
  std::vector<bench::result> q{bench::memcpy_row(qp_text, dst, reps)};
  q.push_back({"mailwire qp_encoder", bench::measure(qp_text.size(), reps, [&] {
                 qp.clear();
                 mime::qp_encoder e;
                 e.encode(qp_text, qp);
                 e.finish(qp);
                 return qp.size();
               })});
#if MAILWIRE_BENCH_GMIME
  q.push_back({"GMime g_mime_encoding_quoted_encode_step", bench::measure(qp_text.size(), reps, [&] {
                 return peers::gmime_qp_encode(reinterpret_cast<const unsigned char*>(qp_text.data()),
                                               qp_text.size(), &dst[0]);
               })});
#endif
  bench::table("quoted-printable encode", q, 44);
  return 0;
}
