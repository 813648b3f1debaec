#!/usr/bin/env python3
"""mailwire-smtp-server (examples/smtp_server.cpp) against real SMTP clients.

    smtp_server_interop.py --server path/to/mailwire-smtp-server [-k FILTER]... [-v]

Starts the server itself (port 0, a temp Maildir, a self-signed certificate
made with `openssl req`), in five configurations:

  main      STARTTLS, AUTH (also before TLS: --auth-cleartext)
  implicit  implicit TLS (port-465 style), AUTH
  strict    STARTTLS, AUTH only after TLS, --require-auth, --max-size 4096
  lmtp      LMTP
  load      plain, for the smtp-source load test

then drives it with swaks, Python's smtplib, curl, gsasl, nodemailer (npm),
Postfix's smtp-source, and raw sockets. Every delivered Maildir file is
compared byte for byte with what the client sent (after the client's own
transformations, which each case spells out). At the end each server gets
SIGTERM and must exit 0, with nothing left in tmp/ and no sanitizer report.

Prints `PASS name`, `FAIL name: why` or `SKIP name: why` per case, then
`N passed, M failed, K skipped`; exits 1 if any case failed. A client that
is not installed (or nodemailer when npm cannot install it) skips its cases.

What the clients do to the bytes, which the expected values account for:
  * swaks 20201014 turns LF into CRLF, dot-stuffs, and always ends the data
    with CRLF before the final ".": a file without a trailing newline
    arrives as the file plus CRLF.
  * smtplib's sendmail() dot-stuffs and adds CRLF if missing; send_message()
    flattens with BytesGenerator (utf8 policy for international addresses)
    and adds SMTPUTF8 and BODY=8BITMIME to MAIL itself. Passing
    mail_options=['SMTPUTF8'] as well sends SMTPUTF8 twice, which mailwire
    refuses (501 5.5.4, a duplicate parameter) and Postfix 3.7 accepts:
    either outcome passes, and is reported as a NOTE.
  * curl sends the file as is (dot-stuffed); the file ends in CRLF.
  * nodemailer's message is built first (its stream transport), then sent
    `raw` with an explicit envelope, so the exact bytes are known.
  * smtp-source writes From/To/Date/Message-Id headers and `-l` bytes of
    numbered X lines. Its Message-Id is not unique (pid.fd.counter), so -N
    (a sequence number prepended to each recipient) tells messages apart:
    the server's log line for each delivery names the file and recipient.
  * gsasl 2.2 only authenticates (no mail). Over TLS its non-PLUS SCRAM
    client needs --no-cb: given channel-binding data it refuses before
    sending anything. Its -PLUS client uses tls-exporter (RFC 9266) on
    TLS 1.3, which is what the server offers.
"""

import argparse
import base64
import email.generator
import email.policy
import io
import json
import os
import re
import select
import shutil
import signal
import smtplib
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from suite import Skip, Suite  # noqa: E402

TIMEOUT = 15.0
USER = "user"
PASSWORD = "pencil"
FROM = "sender@example.com"
TO = "rcpt@example.org"


def sanitizer_report(text):
    for marker in ("Sanitizer", "runtime error:"):
        if marker in text:
            return text[text.index(marker):][:600]
    return None


def run(cmd, timeout=TIMEOUT, **kw):
    """Runs a client; returns CompletedProcess with text output."""
    return subprocess.run(cmd, capture_output=True, timeout=timeout, text=True, errors="replace", **kw)


def crlf(b):
    return b.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


class Server:
    def __init__(self, exe, work, name, args):
        self.name = name
        self.maildir = os.path.join(work, "maildir-" + name)
        self.log_path = os.path.join(work, "server-" + name + ".log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [exe, "--listen", "127.0.0.1:0", "--maildir", self.maildir, "--hostname", "mx.test"] + args,
            stdout=subprocess.PIPE, stderr=self.log, text=True)
        ready, _, _ = select.select([self.proc.stdout], [], [], TIMEOUT)
        line = self.proc.stdout.readline() if ready else ""
        m = re.match(r"listening on 127\.0\.0\.1:(\d+)$", line.strip())
        if not m:
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError(f"server {name} did not start: {line!r} {self.stderr()[-500:]}")
        self.port = int(m.group(1))

    def stderr(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def files(self, sub="new"):
        return set(os.listdir(os.path.join(self.maildir, sub)))

    def read(self, name):
        with open(os.path.join(self.maildir, "new", name), "rb") as f:
            return f.read()

    def stop(self):
        """SIGTERM by PID; returns the exit code (None if it had to be killed)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            rc = None
        self.proc.stdout.close()
        self.log.close()
        return rc


class Delivery:
    """Checks that a block delivers exactly the expected messages."""

    def __init__(self, server, *expected):
        self.server, self.expected = server, list(expected)

    def __enter__(self):
        self.before = self.server.files()
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            return False
        new = sorted(self.server.files() - self.before)
        got = sorted(self.server.read(n) for n in new)
        want = sorted(self.expected)
        if got != want:
            detail = "" if len(got) != len(want) else f": got {got[0][:300]!r}, want {want[0][:300]!r}"
            raise AssertionError(f"delivered {len(got)} message(s), expected {len(want)}{detail}")
        return False


class Raw:
    """A raw SMTP/LMTP client socket, reading whole replies."""

    def __init__(self, port, tls_context=None):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        if tls_context is not None:
            self.sock = tls_context.wrap_socket(self.sock, server_hostname="localhost")
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def reply(self):
        lines = []
        while True:
            while b"\r\n" not in self.buf:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise AssertionError(f"connection closed, read so far {lines!r} {self.buf!r}")
                self.buf += chunk
            line, self.buf = self.buf.split(b"\r\n", 1)
            lines.append(line.decode("utf-8", "replace"))
            if len(line) < 4 or line[3:4] != b"-":
                return int(line[:3]), "\n".join(lines)

    def expect(self, code, data=None):
        if data is not None:
            self.send(data)
        got, text = self.reply()
        if got != code:
            raise AssertionError(f"after {data!r}: expected {code}, got {text!r}")
        return text

    def starttls(self, ctx):
        self.expect(220, b"STARTTLS\r\n")
        self.sock = ctx.wrap_socket(self.sock, server_hostname="localhost")

    def close(self):
        self.sock.close()


def need(tool):
    path = shutil.which(tool) or (f"/usr/sbin/{tool}" if os.access(f"/usr/sbin/{tool}", os.X_OK) else None)
    if not path:
        raise Skip(f"{tool} not installed")
    return path


def check_rc(p, what):
    if p.returncode != 0:
        raise AssertionError(f"{what} exit {p.returncode}: {(p.stdout + p.stderr)[-800:]}")


# ---------------------------------------------------------------- swaks

def swaks(server, *extra, data=None):
    cmd = [need("swaks"), "--server", "127.0.0.1", "--port", str(server.port), "--from", FROM, "--to", TO,
           "--timeout", "10", "--helo", "client.test"]
    if data is not None:
        cmd += ["--data", data]
    p = run(cmd + list(extra))
    check_rc(p, "swaks")
    return p.stdout


def swaks_case(env, server, body, *extra):
    path = os.path.join(env.work, "swaks-%d.eml" % time.monotonic_ns())
    with open(path, "wb") as f:
        f.write(body)  # LF, no trailing newline: see the module docstring
    with Delivery(server, crlf(body) + b"\r\n"):
        return swaks(server, *extra, data=path)


def plain_body(subject):
    return f"From: <{FROM}>\nTo: <{TO}>\nSubject: {subject}\n\nHello from the interop test.\nSecond line".encode()


def swaks_pipelining(env):
    out = swaks_case(env, env.main, plain_body("pipelining"), "--pipeline")
    if "PIPELINING" not in out:
        raise AssertionError("PIPELINING not advertised")
    # swaks sends MAIL, RCPT and DATA in one write when pipelining.
    if not re.search(r"-> MAIL FROM:.*\n\s*-> RCPT TO:.*\n\s*-> DATA", out):
        raise AssertionError("MAIL/RCPT/DATA were not pipelined:\n" + out[-600:])


def swaks_auth(env, mech):
    out = swaks_case(env, env.main, plain_body("auth " + mech), "--tls", "--auth", mech,
                     "--auth-user", USER, "--auth-password", PASSWORD)
    if "235 " not in out:
        raise AssertionError("no 235 in the transcript")


DOTS = (b"From: <sender@example.com>\nSubject: dots\n\n.leading dot\n..two dots\n.\n. space\n"
        b"...\nnot a dot.\nend")  # a last "." line would be swaks' terminator


# ---------------------------------------------------------------- smtplib

def tls_client_context(env):
    return ssl.create_default_context(cafile=env.cert)


def smtplib_message(subject):
    return (f"From: <{FROM}>\r\nTo: <{TO}>\r\nSubject: {subject}\r\n\r\n"
            ".a line starting with a dot\r\nbody\r\n").encode()


def smtplib_auth(env, mech, tls):
    msg = smtplib_message("smtplib " + mech)
    with Delivery(env.main, msg), smtplib.SMTP("127.0.0.1", env.main.port, timeout=TIMEOUT) as s:
        if tls:
            s.starttls(context=tls_client_context(env))
        s.ehlo()
        s.user, s.password = USER, PASSWORD
        obj = {"PLAIN": s.auth_plain, "LOGIN": s.auth_login, "CRAM-MD5": s.auth_cram_md5}[mech]
        code, _ = s.auth(mech, obj, initial_response_ok=mech != "CRAM-MD5")
        if code != 235:
            raise AssertionError(f"AUTH {mech}: {code}")
        if s.sendmail(FROM, [TO], msg):
            raise AssertionError("recipients refused")


def smtplib_wrong_password(env):
    # One wrong password through one mechanism: 535, and the session goes on.
    with Delivery(env.main), smtplib.SMTP("127.0.0.1", env.main.port, timeout=TIMEOUT) as s:
        s.starttls(context=tls_client_context(env))
        s.ehlo()
        s.user, s.password = USER, "wrong"
        try:
            s.auth("PLAIN", s.auth_plain)
        except smtplib.SMTPAuthenticationError as e:
            if e.smtp_code != 535:
                raise AssertionError(f"expected 535, got {e.smtp_code}")
        else:
            raise AssertionError("login with a wrong password succeeded")
        if s.noop()[0] != 250:
            raise AssertionError("session did not go on after 535")
    # smtplib's login() tries every mechanism both sides have (CRAM-MD5,
    # PLAIN, LOGIN): three failures are the server's limit on password
    # guessing (max_auth_failures, 3), so the session ends with a 421.
    with Delivery(env.main), smtplib.SMTP("127.0.0.1", env.main.port, timeout=TIMEOUT) as s:
        s.starttls(context=tls_client_context(env))
        try:
            s.login(USER, "wrong")
        except smtplib.SMTPAuthenticationError as e:
            if e.smtp_code != 535:
                raise AssertionError(f"expected 535, got {e.smtp_code}")
        else:
            raise AssertionError("login with a wrong password succeeded")
        try:
            code = s.noop()[0]
        except smtplib.SMTPServerDisconnected:
            code = 421
        if code != 421:
            raise AssertionError(f"a third failure should close the session with 421, got {code}")


def smtplib_smtputf8(env):
    m = EmailMessage()
    m["From"] = "δοκιμή@παράδειγμα.example"
    m["To"] = "пользователь@example.org"
    m["Subject"] = "SMTPUTF8 ünïcödé"
    m.set_content("Grüße, 你好\n.dot line\n")
    buf = io.BytesIO()
    email.generator.BytesGenerator(buf, policy=m.policy.clone(utf8=True)).flatten(m, linesep="\r\n")
    expected = buf.getvalue()
    raw = "From: <δοκιμή@παράδειγμα.example>\r\nSubject: raw\r\n\r\nüber\r\n".encode()
    with Delivery(env.main, expected, raw), smtplib.SMTP("127.0.0.1", env.main.port, timeout=TIMEOUT) as s:
        s.send_message(m)  # adds SMTPUTF8 BODY=8BITMIME itself
        s.sendmail("δοκιμή@παράδειγμα.example", ["пользователь@example.org"], raw,
                   mail_options=["SMTPUTF8", "BODY=8BITMIME"])
    # With mail_options=['SMTPUTF8'] as well, smtplib sends "SMTPUTF8
    # SMTPUTF8 BODY=8BITMIME". Postfix 3.7 accepts that; mailwire refuses
    # duplicate parameters. Either way is checked, and reported.
    before = env.main.files()
    with smtplib.SMTP("127.0.0.1", env.main.port, timeout=TIMEOUT) as s:
        try:
            s.send_message(m, mail_options=["SMTPUTF8"])
            outcome, want = "accepted", [expected]
        except smtplib.SMTPSenderRefused as e:
            outcome, want = f"refused {e.smtp_code} {e.smtp_error.decode(errors='replace')}", []
        if s.noop()[0] != 250:
            raise AssertionError("the session did not go on")
    got = [env.main.read(n) for n in env.main.files() - before]
    if got != want:
        raise AssertionError(f"duplicate SMTPUTF8 {outcome}, but {len(got)} message(s) delivered")
    env.notes.append(f"smtplib send_message(mail_options=['SMTPUTF8']) sends SMTPUTF8 twice: {outcome}")


def smtplib_multi(env):
    msg = smtplib_message("three recipients")
    rcpts = ["a@example.org", "b@example.net", "c@example.com"]
    with Delivery(env.main, msg), smtplib.SMTP("127.0.0.1", env.main.port, timeout=TIMEOUT) as s:
        if s.sendmail(FROM, rcpts, msg):
            raise AssertionError("recipients refused")
    if "to=<a@example.org>,<b@example.net>,<c@example.com>" not in env.main.stderr():
        raise AssertionError("the log line does not list the three recipients")


def smtplib_smtps(env):
    msg = smtplib_message("smtps")
    with Delivery(env.implicit, msg), smtplib.SMTP_SSL("127.0.0.1", env.implicit.port, timeout=TIMEOUT,
                                                       context=tls_client_context(env)) as s:
        s.login(USER, PASSWORD)
        s.sendmail(FROM, [TO], msg)


# ---------------------------------------------------------------- curl

def curl_case(env, server, url, *extra):
    msg = (f"From: <{FROM}>\r\nTo: <{TO}>\r\nSubject: curl {url.split(':')[0]}\r\n\r\n"
           ".dot\r\nbody line\r\n").encode()
    path = os.path.join(env.work, "curl-%d.eml" % time.monotonic_ns())
    with open(path, "wb") as f:
        f.write(msg)
    with Delivery(server, msg):
        p = run([need("curl"), "-sS", "--max-time", "10", url % server.port, "--mail-from", FROM,
                 "--mail-rcpt", TO, "-T", path] + list(extra))
        check_rc(p, "curl")


# ---------------------------------------------------------------- gsasl

def gsasl_case(env, mech, tls, password=PASSWORD, extra=()):
    cmd = [need("gsasl"), "--connect", f"127.0.0.1:{env.main.port}", "--smtp", "--mechanism", mech,
           "--authentication-id", USER, "--password", password, "-d", "--quiet"]
    cmd += ["--x509-ca-file", env.cert] if tls else ["--no-starttls"]
    p = run(cmd + list(extra), stdin=subprocess.DEVNULL)
    log = env.main.stderr()
    if password == PASSWORD:
        check_rc(p, "gsasl")
        if not re.search(rf"authenticated {USER} \({re.escape(mech)}\)", log):
            raise AssertionError("the server did not log the authentication")
    elif p.returncode == 0:
        raise AssertionError("gsasl succeeded with a wrong password")
    elif f"authentication failed for {USER} ({mech})" not in log and "535" not in p.stdout + p.stderr:
        raise AssertionError("no 535: " + (p.stdout + p.stderr)[-400:])


# ---------------------------------------------------------------- nodemailer

NODE_SCRIPT = r"""
const [modules, mode, port, ca, user, pass, out] = process.argv.slice(1);
const nodemailer = require(modules + '/nodemailer');
const fs = require('fs');
(async () => {
  const envelope = {from: 'sender@example.com', to: ['rcpt@example.org']};
  let raw;
  if (mode === 'starttls') {
    // Let nodemailer generate a MIME message (its stream transport hands
    // it back; CRLF, as the SMTP transport would make it), then send
    // exactly those bytes.
    const built = await nodemailer.createTransport({streamTransport: true, buffer: true, newline: 'windows'}).sendMail({
      from: 'Sender <sender@example.com>', to: 'rcpt@example.org', subject: 'nodemailer ü',
      text: 'Hello\n.dot line\n', html: '<p>Hello</p>',
      attachments: [{filename: 'a.bin', content: Buffer.from([0, 1, 2, 255, 46, 13, 10, 46])}],
    });
    raw = built.message;
  } else {
    raw = Buffer.from('From: <sender@example.com>\r\nSubject: nodemailer smtps\r\n\r\n.dot\r\n..dots\r\nend\r\n');
  }
  fs.writeFileSync(out, raw);
  const t = nodemailer.createTransport({
    host: '127.0.0.1', port: Number(port), secure: mode === 'implicit', requireTLS: mode === 'starttls',
    auth: {user, pass}, authMethod: 'PLAIN', tls: {ca: fs.readFileSync(ca), servername: 'localhost'},
    connectionTimeout: 10000, greetingTimeout: 10000, socketTimeout: 10000,
  });
  const info = await t.sendMail({envelope, raw});
  console.log(JSON.stringify(info));
})().catch((e) => { console.error(String(e && e.stack || e)); process.exit(1); });
"""


def node_setup(env):
    if env.node_modules is None:
        node, npm = shutil.which("node"), shutil.which("npm")
        if not node or not npm:
            env.node_modules = "node or npm not installed"
            raise Skip(env.node_modules)
        here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "node")
        dest = os.path.join(env.work, "node")
        os.makedirs(dest)
        for f in ("package.json", "package-lock.json"):
            shutil.copy(os.path.join(here, f), dest)
        try:
            # The cache first, and no long retries: offline, this fails fast.
            p = run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline",
                     "--fetch-retries=1", "--fetch-timeout=15000", "--prefix", dest], timeout=45)
            ok = p.returncode == 0
            why = (p.stdout + p.stderr).strip().splitlines()[-1:] if not ok else []
        except subprocess.TimeoutExpired:
            ok, why = False, ["timed out"]
        env.node_modules = os.path.join(dest, "node_modules") if ok else "npm ci failed (offline?): " + " ".join(why)
    if not os.path.isdir(env.node_modules):
        raise Skip(env.node_modules)
    return env.node_modules


def node_case(env, server, mode):
    modules = node_setup(env)
    out = os.path.join(env.work, f"node-{mode}.eml")
    before = server.files()
    p = run(["node", "-e", NODE_SCRIPT, modules, mode, str(server.port), env.cert, USER, PASSWORD, out])
    check_rc(p, "node")
    with open(out, "rb") as f:
        sent = f.read()
    new = sorted(server.files() - before)
    if len(new) != 1:
        raise AssertionError(f"{len(new)} messages delivered")
    got = server.read(new[0])
    # nodemailer ends the data with CRLF before the final "." if missing.
    want = sent if sent.endswith(b"\r\n") else sent + b"\r\n"
    if got != want:
        raise AssertionError(f"bytes differ: got {got[:200]!r} want {want[:200]!r}")
    if json.loads(p.stdout.strip().splitlines()[-1]).get("accepted") != [TO]:
        raise AssertionError("nodemailer did not report the recipient accepted: " + p.stdout)


# ---------------------------------------------------------------- raw sockets

def smuggling(env):
    s = env.main
    tails = [b"\n.\n", b"\r\n.\n", b"\n.\r\n", b"\r.\r\n"]
    good = b"Subject: after\r\n\r\nclean message\r\n"
    with Delivery(s, good):
        r = Raw(s.port)
        r.expect(220)
        r.expect(250, b"EHLO client.test\r\n")
        for tail in tails:
            r.expect(250, b"MAIL FROM:<sender@example.com>\r\n")
            r.expect(250, b"RCPT TO:<rcpt@example.org>\r\n")
            r.expect(354, b"DATA\r\n")
            # One write: the smuggled transaction rides in the same packet.
            r.send(b"Subject: smuggle\r\n\r\nhello" + tail + b"MAIL FROM:<evil@example.net>\r\n"
                   b"RCPT TO:<victim@example.org>\r\nDATA\r\nSubject: smuggled\r\n\r\nevil\r\n.\r\n")
            code, text = r.reply()
            if code != 550:
                raise AssertionError(f"{tail!r}: expected 550, got {text!r}")
        r.expect(250, b"NOOP\r\n")  # the session goes on, in sync
        r.expect(250, b"MAIL FROM:<sender@example.com>\r\n")
        r.expect(250, b"RCPT TO:<rcpt@example.org>\r\n")
        r.expect(354, b"DATA\r\n")
        r.expect(250, good + b".\r\n")
        r.expect(221, b"QUIT\r\n")
        r.close()
    if s.files("tmp"):
        raise AssertionError("refused messages left in tmp/")


def bdat(env):
    s = env.main
    parts = [b"Subject: bdat\r\n\r\n", b"binary\x00-free chunk\r\n.\r\n", b"last\r\n"]
    with Delivery(s, b"".join(parts)):
        r = Raw(s.port)
        r.expect(220)
        r.expect(250, b"EHLO client.test\r\n")
        r.expect(250, b"MAIL FROM:<sender@example.com> BODY=BINARYMIME\r\n")
        r.expect(250, b"RCPT TO:<rcpt@example.org>\r\n")
        r.expect(250, b"BDAT %d\r\n" % len(parts[0]) + parts[0])
        r.expect(250, b"BDAT %d\r\n" % len(parts[1]) + parts[1])
        r.expect(250, b"BDAT %d LAST\r\n" % len(parts[2]) + parts[2])
        # A BDAT message abandoned with RSET must not leak into the next one.
        r.expect(250, b"MAIL FROM:<sender@example.com>\r\nRCPT TO:<rcpt@example.org>\r\n")
        r.expect(250)
        r.expect(250, b"BDAT 9\r\nabandoned")
        r.expect(250, b"RSET\r\n")
        r.expect(221, b"QUIT\r\n")
        r.close()


def strict_before_tls(env):
    s = env.strict
    with Delivery(s):
        r = Raw(s.port)
        r.expect(220)
        ehlo = r.expect(250, b"EHLO client.test\r\n")
        if "AUTH" in ehlo or "STARTTLS" not in ehlo or "SIZE 4096" not in ehlo:
            raise AssertionError("EHLO before TLS: " + ehlo)
        r.expect(530, b"MAIL FROM:<sender@example.com>\r\n")
        r.expect(504, b"AUTH PLAIN " + base64.b64encode(b"\0user\0pencil") + b"\r\n")
        r.starttls(tls_client_context(env))
        ehlo = r.expect(250, b"EHLO client.test\r\n")
        if "AUTH PLAIN" not in ehlo or "SCRAM-SHA-256-PLUS" not in ehlo:
            raise AssertionError("EHLO after TLS: " + ehlo)
        r.expect(235, b"AUTH PLAIN " + base64.b64encode(b"\0user\0pencil") + b"\r\n")
        r.expect(221, b"QUIT\r\n")
        r.close()


def strict_size(env):
    s = env.strict
    small = b"Subject: small\r\n\r\n" + b"x" * 1000 + b"\r\n"
    with Delivery(s, small), smtplib.SMTP("127.0.0.1", s.port, timeout=TIMEOUT) as c:
        c.starttls(context=tls_client_context(env))
        c.login(USER, PASSWORD)
        # MAIL without SIZE=, so the limit bites during DATA.
        for data, want in ((b"Subject: big\r\n\r\n" + b"y" * 5000 + b"\r\n", 552), (small, 250)):
            if c.mail(FROM)[0] != 250 or c.rcpt(TO)[0] != 250:
                raise AssertionError("MAIL/RCPT refused")
            code, text = c.data(data)
            if code != want:
                raise AssertionError(f"DATA of {len(data)} bytes: expected {want}, got {code} {text!r}")
        try:
            c.sendmail(FROM, [TO], b"z" * 5000)  # SIZE=5000 announced: refused at MAIL
            raise AssertionError("SIZE=5000 accepted")
        except smtplib.SMTPSenderRefused as e:
            if e.smtp_code != 552:
                raise AssertionError(f"SIZE=5000: expected 552, got {e.smtp_code}") from None
    if s.files("tmp"):
        raise AssertionError("the refused message is still in tmp/")


def lmtp(env):
    s = env.lmtp
    msg = b"Subject: lmtp\r\n\r\n..dot-stuffed line\r\n"
    with Delivery(s, msg.replace(b"\r\n..", b"\r\n.")):
        r = Raw(s.port)
        r.expect(220)
        r.expect(500, b"EHLO client.test\r\n")
        r.expect(250, b"LHLO client.test\r\n")
        r.expect(250, b"MAIL FROM:<sender@example.com>\r\n")
        r.expect(250, b"RCPT TO:<one@example.org>\r\n")
        r.expect(250, b"RCPT TO:<two@example.org>\r\n")
        r.expect(354, b"DATA\r\n")
        r.expect(250, msg + b".\r\n")  # one reply per recipient
        r.expect(250)
        r.expect(221, b"QUIT\r\n")
        r.close()


# ---------------------------------------------------------------- load

SOURCE_HEADERS = re.compile(rb"From: <from@example\.com>\r\nTo: <to@example\.com>\r\nDate: [^\r\n]+\r\n"
                            rb"Message-Id: <[0-9a-f.]+@[^>\r\n]+>\r\n\r\n")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def smtp_source(port, sessions, messages, length, extra=()):
    cmd = [need("smtp-source"), "-s", str(sessions), "-m", str(messages), "-l", str(length),
           "-f", "from@example.com", "-t", "to@example.com"] + list(extra) + [f"127.0.0.1:{port}"]
    t0 = time.monotonic()
    p = run(cmd, timeout=120)
    elapsed = time.monotonic() - t0
    check_rc(p, "smtp-source")
    return elapsed


def load(env, sessions=20, messages=500, length=2048):
    s = env.load
    elapsed = smtp_source(s.port, sessions, messages, length, ["-N"])
    files = sorted(s.files())
    if len(files) != messages:
        raise AssertionError(f"{len(files)} messages in new/, expected {messages}")
    bodies = set()
    for name in files:
        data = s.read(name)
        m = SOURCE_HEADERS.match(data)
        if not m:
            raise AssertionError(f"{name}: not smtp-source's headers: {data[:200]!r}")
        bodies.add(data[m.end():])
    body = bodies.pop()
    if bodies or len(body) != length + 2 or not body.endswith(b"X\r\n"):
        raise AssertionError(f"bodies differ or have the wrong size ({len(body)}, expected {length + 2})")
    # Each delivery's log line names its file and its -N recipient: every
    # recipient once, every file once.
    seen = {}
    for m in re.finditer(r"to=<(\d+)to@example\.com> size=\d+ .* delivered (\S+)", s.stderr()):
        if m.group(1) in seen:
            raise AssertionError(f"recipient {m.group(1)} delivered twice")
        seen[m.group(1)] = m.group(2)
    if sorted(seen.values()) != files or sorted(map(int, seen)) != list(range(1, messages + 1)):
        raise AssertionError(f"log and Maildir disagree: {len(seen)} logged, {len(files)} files")
    env.rates["mailwire-smtp-server (Maildir, fsync)"] = messages / elapsed

    # The same load against Postfix's smtp-sink, which discards everything.
    sink = need("smtp-sink")
    port = free_port()
    cmd = [sink, "-c", f"127.0.0.1:{port}", "100"]
    if os.geteuid() == 0:
        cmd[1:1] = ["-u", "nobody"]  # it refuses to run as root otherwise
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 5
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if p.poll() is not None or time.monotonic() > deadline:
                    raise Skip("smtp-sink did not start: " + (p.stderr.read() if p.poll() is not None else "")) from None
                time.sleep(0.05)
        env.rates["smtp-sink (discards)"] = messages / smtp_source(port, sessions, messages, length)
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


# ---------------------------------------------------------------- main

class Env:
    pass


def make_cert(work):
    cert, key = os.path.join(work, "cert.pem"), os.path.join(work, "key.pem")
    p = run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
             "-keyout", key, "-out", cert])
    check_rc(p, "openssl req")
    return cert, key


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--server", required=True)
    ap.add_argument("-k", action="append", help="run only cases whose name contains this")
    ap.add_argument("-v", action="store_true", help="print timings and keep the work directory")
    args = ap.parse_args()
    if not os.access(args.server, os.X_OK):
        print(f"SKIPPED: {args.server} not built")
        return 0

    env = Env()
    env.work = tempfile.mkdtemp(prefix="mailwire-smtp-server-")
    env.cert, env.key = make_cert(env.work)
    env.rates, env.node_modules = {}, None
    suite = Suite(args.k, timings=args.v)
    env.notes = suite.notes
    tls = ["--tls-cert", env.cert, "--tls-key", env.key]
    auth = ["--auth", f"{USER}:{PASSWORD}"]
    servers = []
    try:
        for name, extra in (("main", tls + auth + ["--auth-cleartext"]),
                            ("implicit", tls + auth + ["--implicit-tls"]),
                            ("strict", tls + auth + ["--require-auth", "--max-size", "4096"]),
                            ("lmtp", ["--lmtp"]),
                            ("load", [])):
            srv = Server(args.server, env.work, name, extra)
            servers.append(srv)
            setattr(env, name, srv)

        c = suite.case
        c("swaks.plain", swaks_case, env, env.main, plain_body("plain"))
        c("swaks.starttls", swaks_case, env, env.main, plain_body("starttls"), "--tls")
        c("swaks.starttls_auth_plain", swaks_auth, env, "PLAIN")
        c("swaks.starttls_auth_login", swaks_auth, env, "LOGIN")
        c("swaks.pipelining", swaks_pipelining, env)
        c("swaks.dot_stuffing", swaks_case, env, env.main, DOTS)
        c("swaks.implicit_tls_auth", swaks_case, env, env.implicit, plain_body("tls on connect"),
          "--tls-on-connect", "--auth", "LOGIN", "--auth-user", USER, "--auth-password", PASSWORD)

        c("smtplib.starttls_auth_plain", smtplib_auth, env, "PLAIN", True)
        c("smtplib.starttls_auth_login", smtplib_auth, env, "LOGIN", True)
        c("smtplib.cleartext_auth_cram_md5", smtplib_auth, env, "CRAM-MD5", False)
        c("smtplib.wrong_password_535", smtplib_wrong_password, env)
        c("smtplib.smtputf8", smtplib_smtputf8, env)
        c("smtplib.multiple_recipients", smtplib_multi, env)
        c("smtplib.smtps_login", smtplib_smtps, env)

        c("curl.smtp_plain", curl_case, env, env.main, "smtp://127.0.0.1:%d")
        c("curl.smtp_starttls_auth", curl_case, env, env.main, "smtp://127.0.0.1:%d", "--ssl-reqd",
          "--cacert", env.cert, "-u", f"{USER}:{PASSWORD}")
        c("curl.smtps_auth", curl_case, env, env.implicit, "smtps://127.0.0.1:%d", "--cacert", env.cert,
          "-u", f"{USER}:{PASSWORD}")

        for mech in ("SCRAM-SHA-256", "SCRAM-SHA-1"):
            c(f"gsasl.{mech}.cleartext", gsasl_case, env, mech, False)
            c(f"gsasl.{mech}.starttls_no_cb", gsasl_case, env, mech, True, PASSWORD, ["--no-cb"])
            c(f"gsasl.{mech}-PLUS.starttls_tls13_exporter", gsasl_case, env, mech + "-PLUS", True)
        c("gsasl.SCRAM-SHA-256.wrong_password", gsasl_case, env, "SCRAM-SHA-256", False, "wrong")

        c("nodemailer.starttls_auth_plain", node_case, env, env.main, "starttls")
        c("nodemailer.implicit_tls_auth_plain", node_case, env, env.implicit, "implicit")

        c("raw.smuggling_refused", smuggling, env)
        c("raw.bdat_chunks", bdat, env)
        c("raw.strict_auth_only_after_tls", strict_before_tls, env)
        c("raw.strict_size_limit", strict_size, env)
        c("raw.lmtp_reply_per_recipient", lmtp, env)

        c("load.smtp_source_20x500", load, env)
    finally:
        for srv in servers:
            def stop(srv=srv):
                rc = srv.stop()
                report = sanitizer_report(srv.stderr())
                if report:
                    raise AssertionError("sanitizer: " + report)
                if rc != 0:
                    raise AssertionError(f"exit code {rc} after SIGTERM")
                if srv.files("tmp"):
                    raise AssertionError(f"left in tmp/: {sorted(srv.files('tmp'))}")
            # Not filtered by -k: every server started must stop cleanly.
            only, suite.only = suite.only, None
            suite.case(f"shutdown.{srv.name}", stop)
            suite.only = only

    for note in suite.notes:
        print("NOTE " + note)
    if env.rates:
        print("smtp-source -s 20 -m 500 -l 2048: " +
              ", ".join(f"{name} {rate:.0f} msg/s" for name, rate in env.rates.items()))
    print(f"{suite.passed} passed, {suite.failed} failed, {suite.skipped} skipped")
    if args.v or suite.failed:
        print(f"work directory (server logs, Maildirs): {env.work}")
    else:
        shutil.rmtree(env.work, ignore_errors=True)
    return 1 if suite.failed else 0


if __name__ == "__main__":
    sys.exit(main())
