/* GMime 3 as a reader of mailwire-compose's output (tests/interop/compose_readers.py).
 *
 *   mailwire-gmime-reader FILE...
 *
 * Prints one JSON line per FILE: {"subject", "from", "to", "cc", "root"},
 * the addresses as [{"name", "address"}], and each part as {"type",
 * "charset", "disposition", "filename", "content_id", "encoding", "size",
 * "sha256", "parts", "message"} (null where a field does not apply; "size"
 * and "sha256" of the transfer-decoded content of a leaf). Strings are what
 * GMime's accessors return (decoded RFC 2047 and RFC 2231), escaped for
 * JSON byte by byte: bytes that are not UTF-8 stay as they are, so the
 * reading side sees exactly what GMime gave. Exit 1 if a file cannot be
 * read or parsed as a message. */
#include <fcntl.h>
#include <gmime/gmime.h>
#include <stdio.h>
#include <string.h>

static void json_string(GString *out, const char *s) {
  if (s == NULL) {
    g_string_append(out, "null");
    return;
  }
  g_string_append_c(out, '"');
  for (const unsigned char *p = (const unsigned char *)s; *p; ++p) {
    if (*p == '"' || *p == '\\') {
      g_string_append_c(out, '\\');
      g_string_append_c(out, (char)*p);
    } else if (*p < 0x20) {
      g_string_append_printf(out, "\\u%04x", *p);
    } else {
      g_string_append_c(out, (char)*p);
    }
  }
  g_string_append_c(out, '"');
}

static void json_addresses(GString *out, InternetAddressList *list) {
  g_string_append_c(out, '[');
  int n = list != NULL ? internet_address_list_length(list) : 0;
  int first = 1;
  for (int i = 0; i < n; ++i) {
    InternetAddress *a = internet_address_list_get_address(list, i);
    if (INTERNET_ADDRESS_IS_GROUP(a)) {
      /* Flattened: mailwire-compose writes no groups. */
      json_addresses(out, internet_address_group_get_members(INTERNET_ADDRESS_GROUP(a)));
      continue;
    }
    if (!first) g_string_append_c(out, ',');
    first = 0;
    g_string_append(out, "{\"name\":");
    json_string(out, internet_address_get_name(a));
    g_string_append(out, ",\"address\":");
    json_string(out, internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a)));
    g_string_append_c(out, '}');
  }
  g_string_append_c(out, ']');
}

static void json_message(GString *out, GMimeMessage *m);

static void json_part(GString *out, GMimeObject *o) {
  GMimeContentType *ct = g_mime_object_get_content_type(o);
  char *type = g_mime_content_type_get_mime_type(ct);
  g_string_append(out, "{\"type\":");
  json_string(out, type);
  g_free(type);
  g_string_append(out, ",\"charset\":");
  json_string(out, g_mime_content_type_get_parameter(ct, "charset"));
  g_string_append(out, ",\"disposition\":");
  json_string(out, g_mime_object_get_disposition(o));
  g_string_append(out, ",\"content_id\":");
  json_string(out, g_mime_object_get_content_id(o));
  if (GMIME_IS_MULTIPART(o)) {
    GMimeMultipart *mp = GMIME_MULTIPART(o);
    g_string_append(out, ",\"filename\":null,\"encoding\":null,\"size\":null,\"sha256\":null,\"message\":null,\"parts\":[");
    int n = g_mime_multipart_get_count(mp);
    for (int i = 0; i < n; ++i) {
      if (i != 0) g_string_append_c(out, ',');
      json_part(out, g_mime_multipart_get_part(mp, i));
    }
    g_string_append(out, "]}");
  } else if (GMIME_IS_MESSAGE_PART(o)) {
    g_string_append(out, ",\"filename\":");
    json_string(out, g_mime_object_get_content_disposition_parameter(o, "filename"));
    g_string_append(out, ",\"encoding\":null,\"size\":null,\"sha256\":null,\"parts\":null,\"message\":");
    GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(o));
    if (inner != NULL) {
      json_message(out, inner);
    } else {
      g_string_append(out, "null");
    }
    g_string_append_c(out, '}');
  } else if (GMIME_IS_PART(o)) {
    GMimePart *part = GMIME_PART(o);
    g_string_append(out, ",\"filename\":");
    json_string(out, g_mime_part_get_filename(part));
    g_string_append(out, ",\"encoding\":");
    json_string(out, g_mime_content_encoding_to_string(g_mime_part_get_content_encoding(part)));
    GByteArray *bytes = g_byte_array_new();
    GMimeStream *mem = g_mime_stream_mem_new_with_byte_array(bytes);
    g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
    GMimeDataWrapper *content = g_mime_part_get_content(part);
    if (content != NULL) g_mime_data_wrapper_write_to_stream(content, mem);
    g_object_unref(mem);
    gchar *sha = g_compute_checksum_for_data(G_CHECKSUM_SHA256, bytes->data, bytes->len);
    g_string_append_printf(out, ",\"size\":%u,\"sha256\":\"%s\",\"parts\":null,\"message\":null}", bytes->len, sha);
    g_free(sha);
    g_byte_array_free(bytes, TRUE);
  } else {
    g_string_append(out, ",\"filename\":null,\"encoding\":null,\"size\":null,\"sha256\":null,\"parts\":null,\"message\":null}");
  }
}

static void json_message(GString *out, GMimeMessage *m) {
  g_string_append(out, "{\"subject\":");
  json_string(out, g_mime_message_get_subject(m));
  g_string_append(out, ",\"from\":");
  json_addresses(out, g_mime_message_get_from(m));
  g_string_append(out, ",\"to\":");
  json_addresses(out, g_mime_message_get_to(m));
  g_string_append(out, ",\"cc\":");
  json_addresses(out, g_mime_message_get_cc(m));
  g_string_append(out, ",\"root\":");
  GMimeObject *body = g_mime_message_get_mime_part(m);
  if (body != NULL) {
    json_part(out, body);
  } else {
    g_string_append(out, "null");
  }
  g_string_append_c(out, '}');
}

int main(int argc, char **argv) {
  g_mime_init();
  int status = 0;
  for (int i = 1; i < argc; ++i) {
    GMimeStream *stream = g_mime_stream_fs_open(argv[i], O_RDONLY, 0, NULL);
    if (stream == NULL) {
      fprintf(stderr, "%s: cannot open\n", argv[i]);
      status = 1;
      continue;
    }
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    GMimeMessage *m = g_mime_parser_construct_message(parser, NULL);
    if (m == NULL) {
      fprintf(stderr, "%s: not a message\n", argv[i]);
      status = 1;
    } else {
      GString *out = g_string_new(NULL);
      json_message(out, m);
      fwrite(out->str, 1, out->len, stdout);
      fputc('\n', stdout);
      g_string_free(out, TRUE);
      g_object_unref(m);
    }
    g_object_unref(parser);
    g_object_unref(stream);
  }
  g_mime_shutdown();
  return status;
}
