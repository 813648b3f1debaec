#!/usr/bin/env python3
"""mailwire-mime-dump over hostile messages: its JSON must parse, be UTF-8,
and stay small in output and memory whatever the input.

    mime_dump_hostile.py --dump path/to/mailwire-mime-dump [-v]

Cases (each message is generated here, as bytes):
  8bit_headers     raw 8-bit bytes that are not UTF-8 (and NUL, controls) in
                   Content-ID, Message-ID, Subject, display names, file
                   names, charset and type parameters, also inside a nested
                   message/rfc822: every string must come out as UTF-8, 8-bit
                   bytes read as windows-1252 like the header functions do.
  hostile_names    file names with paths, NUL and '/' (RFC 2231), device
                   names, bidi overrides, 300 bytes: "filename" is the raw
                   name, "safe_filename" the safe one, and each changed name
                   is reported as mime_unsafe_filename.
  to_bomb          1,000 To fields of 60 KB (2,400 addresses each): the
                   address list is capped (1,000 kept, "to_truncated" counts
                   the rest), the output stays under 1 MB and the peak RSS
                   under 64 MB (it was 115 MB of JSON and 400 MB of RSS).
  long_names       20 To fields holding one address with a 60 KB display
                   name each: the 256 KiB JSON cap of a list holds.
For each: exit status 0, the output decodes as strict UTF-8, json.loads
takes it, and every string in it encodes as UTF-8 (no lone surrogates).
Peak RSS is the child's own (os.wait4). Prints `N cases passed` or the
failures, and exits 1 on any failure.
"""

import argparse
import json
import os
import sys
import tempfile
import time

MAX_RSS_KB = 64 * 1024
MAX_OUTPUT = 1024 * 1024


def crlf(lines):
    return b"".join(line + b"\r\n" for line in lines)


def msg_8bit(f):
    inner = crlf([
        b"Subject: inner \xe9t\xe9",
        b"Message-ID: <inner\xff\xfe@example.com>",
        b"Content-Type: application/octet-stream; name=\"inner\xe9.bin\"",
        b"Content-ID: <\xe9\x00\x01\x7f@inner>",
        b"",
        b"x",
    ])
    f.write(crlf([
        b"From: \"J\xf6rg \x80\" <j@example.com>",
        b"To: \xe9l\xe8ve <\xe9l\xe8ve@example.com>, plain@example.com",
        b"Subject: caf\xe9 \x93quoted\x94 \xff",
        b"Message-ID: <\xe9t\xe9\xff@example.com>",
        b"Date: Mon, 2 Jan 2023 10:00:00 +0100",
        b"Content-Type: multipart/mixed; boundary=\"b\"; x-note=\"\xe9\xff\"",
        b"",
        b"--b",
        b"Content-Type: text/plain; charset=\"iso-8859-1\xe9\"; format=fl\xf6wed",
        b"Content-ID: <\xe9t\xe9@example.com>",
        b"",
        b"text",
        b"--b",
        b"Content-Type: image/png; name=\"\xe9t\xe9.png\"",
        b"Content-Disposition: inl\xefne; filename=\"r\xe9sum\xe9\x00.png\"",
        b"Content-ID: \xff\xfe\xfd",
        b"Content-Transfer-Encoding: base64",
        b"",
        b"iVBORw==",
        b"--b",
        b"Content-Type: message/rfc822",
        b"",
    ]) + inner + b"\r\n--b--\r\n")


def check_8bit(out, fail):
    root = out["root"]
    if out["message_id"] != "\u00e9t\u00e9\u00ff@example.com":
        fail(f"message_id {out['message_id']!r}")
    parts = root["parts"]
    if len(parts) != 3:
        fail(f"{len(parts)} parts")
        return
    if parts[0]["content_id"] != "\u00e9t\u00e9@example.com":
        fail(f"content_id {parts[0]['content_id']!r}")
    if parts[1]["content_id"] != "\u00ff\u00fe\u00fd":
        fail(f"content_id {parts[1]['content_id']!r}")
    if parts[1]["filename"] != "r\u00e9sum\u00e9\u0000.png":
        fail(f"filename {parts[1]['filename']!r}")
    if parts[1]["safe_filename"] != "r\u00e9sum\u00e9.png":
        fail(f"safe_filename {parts[1]['safe_filename']!r}")
    nested = parts[2]["message"]
    if nested is None or nested["root"]["content_id"] != "\u00e9\u0000\u0001\u007f@inner":
        fail(f"nested content_id {nested and nested['root']['content_id']!r}")


def msg_names(f):
    names = [
        b"filename=\"../../evil/x.sh\"",
        b"filename*=utf-8''a%00b%2F..%2Fcon.txt",
        b"filename=\"CON\"",
        b"filename=\"evil\xe2\x80\xaefdp.exe\"",
        b"filename=\"" + b"n" * 300 + b".pdf\"",
        b"filename=\"..\"",
        b"filename=\"ok.txt\"",
    ]
    lines = [b"Content-Type: multipart/mixed; boundary=b", b""]
    for n in names:
        lines += [b"--b", b"Content-Type: application/octet-stream", b"Content-Disposition: attachment; " + n, b"",
                  b"data"]
    f.write(crlf(lines + [b"--b--"]))


def check_names(out, fail):
    want = [
        ("../../evil/x.sh", "x.sh"),
        ("a\u0000b/../con.txt", "_con.txt"),
        ("CON", "_CON"),
        ("evil\u202efdp.exe", "evilfdp.exe"),
        ("n" * 300 + ".pdf", "n" * 251 + ".pdf"),
        ("..", "attachment"),
        ("ok.txt", "ok.txt"),
    ]
    parts = out["root"]["parts"]
    got = [(p["filename"], p["safe_filename"]) for p in parts]
    if got != want:
        fail(f"names {got!r}")
    for _, safe in got:
        if any(c in safe for c in "/\\\0<>:\"|?*") or len(safe.encode()) > 255 or safe.startswith("."):
            fail(f"unsafe safe_filename {safe!r}")
    unsafe = [d["offset"] for d in out["diagnostics"] if d["code"] == "mime_unsafe_filename"]
    if len(unsafe) != 6:
        fail(f"{len(unsafe)} mime_unsafe_filename diagnostics, want 6")


FIELDS = 1000
PER_FIELD = 2400


def msg_to_bomb(f):
    field = b"To: " + b",\r\n ".join(b"user%05d@example.com" % i for i in range(PER_FIELD))
    assert len(field) == 60000
    f.write(b"From: a@example.com\r\nSubject: bomb\r\n")
    for _ in range(FIELDS):
        f.write(field + b"\r\n")
    f.write(b"\r\nbody\r\n")


def check_to_bomb(out, fail):
    # The parser reports 1,000 fields per entity: From, Subject, 998 To.
    total = (FIELDS - 2) * PER_FIELD
    if len(out["to"]) != 1000 or out.get("to_truncated") != total - 1000:
        fail(f"to: {len(out['to'])} kept, {out.get('to_truncated')} truncated")
    if out["to"][999]["address"] != "user00999@example.com":
        fail(f"to[999] {out['to'][999]!r}")
    if "from_truncated" in out or len(out["from"]) != 1:
        fail("from truncated")
    if not any(d["code"] == "mime_too_many_fields" for d in out["diagnostics"]):
        fail("no mime_too_many_fields")


LONG_FIELDS = 20


def msg_long_names(f):
    field = b"To: \"" + b"N" * 59900 + b"\" <someone@example.com>"
    f.write(b"Subject: names\r\n")
    for _ in range(LONG_FIELDS):
        f.write(field + b"\r\n")
    f.write(b"\r\nbody\r\n")


def check_long_names(out, fail):
    kept = len(out["to"])
    if not 1 <= kept <= 5 or out.get("to_truncated") != LONG_FIELDS - kept:
        fail(f"to: {kept} kept, {out.get('to_truncated')} truncated")
    if len(json.dumps(out["to"])) > 256 * 1024:
        fail("to list over 256 KiB")


CASES = [
    ("8bit_headers", msg_8bit, check_8bit),
    ("hostile_names", msg_names, check_names),
    ("to_bomb", msg_to_bomb, check_to_bomb),
    ("long_names", msg_long_names, check_long_names),
]


def strings(v):
    if isinstance(v, str):
        yield v
    elif isinstance(v, dict):
        for k, x in v.items():
            yield k
            yield from strings(x)
    elif isinstance(v, list):
        for x in v:
            yield from strings(x)


def run(dump, make, tmp):
    """Writes the message with `make` and runs the dump over it; returns
    (status, input size, output path, output size, peak RSS in KiB,
    seconds). The message goes straight to a file and the child is forked
    (not vforked): a child's peak RSS counts its parent's memory up to its
    exec, so this process stays small."""
    src = os.path.join(tmp, "in.eml")
    dst = os.path.join(tmp, "out.json")
    with open(src, "wb") as f:
        make(f)
    env = dict(os.environ)
    # Under AddressSanitizer, freed memory is held back (256 MB by default)
    # and would count as the program's: keep that small.
    env["ASAN_OPTIONS"] = (env.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=16").lstrip(":")
    start = time.monotonic()
    out = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    pid = os.fork()
    if pid == 0:  # the child: stdout to the file, then the dump
        try:
            os.dup2(out, 1)
            os.execve(dump, [dump, src], env)
        finally:
            os._exit(127)
    os.close(out)
    _, status, usage = os.wait4(pid, 0)  # this child's own peak RSS
    return (os.waitstatus_to_exitcode(status), os.path.getsize(src), dst, os.path.getsize(dst), usage.ru_maxrss,
            time.monotonic() - start)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dump", required=True)
    ap.add_argument("-v", action="store_true")
    args = ap.parse_args()
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, make, check in CASES:
            def fail(what, name=name):
                failures.append(f"{name}: {what}")
            status, size_in, dst, size_out, rss, seconds = run(args.dump, make, tmp)
            if args.v:
                print(f"{name}: {size_in} bytes in, {size_out} bytes out, peak RSS {rss} KiB, {seconds:.1f} s")
            if status != 0:
                fail(f"exit status {status}")
            if rss > MAX_RSS_KB:
                fail(f"peak RSS {rss} KiB (at most {MAX_RSS_KB})")
            if size_out > MAX_OUTPUT:
                fail(f"{size_out} bytes of output (at most {MAX_OUTPUT})")
                continue  # not read: it could be hundreds of megabytes
            with open(dst, "rb") as f:
                data = f.read()
            try:
                text = data.decode("utf-8")  # strict
            except UnicodeDecodeError as e:
                fail(f"output is not UTF-8: {e}")
                continue
            try:
                out = json.loads(text)
            except ValueError as e:
                fail(f"output is not JSON: {e}")
                continue
            for s in strings(out):
                try:
                    s.encode("utf-8")
                except UnicodeEncodeError:
                    fail(f"a string that is not UTF-8: {s!r}")
            try:
                check(out, fail)
            except (KeyError, IndexError, TypeError) as e:
                fail(f"unexpected shape: {e!r}")
    for f in failures:
        print("FAIL", f)
    print(f"{len(CASES)} cases, {len(failures)} failures" if failures else f"{len(CASES)} cases passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
