"""Fixtures shared by the POP3 interop drivers and benchmarks/pop3_e2e.sh.

    pop3_server_interop.py   mailwire-pop3-server against real POP3 clients
    pop3_fetch_interop.py    mailwire-pop3-fetch against Dovecot
    benchmarks/pop3_e2e.sh   fetchers side by side (calls `maildrop` below)

What is here:
  * the test messages (`sample_messages`, `bench_messages`): LF line ends,
    as Postfix and most MDAs store them, deterministic;
  * `Maildir`: put messages into one (tmp/ then rename into new/, owned by a
    given uid:gid: Dovecot refuses to serve root's mail), list and clear it;
  * `Pop3`: a raw POP3 client on a socket that gives the exact bytes of a
    RETR/TOP payload (dot-unstuffed by hand, CRLF kept, any line length), so
    the reference is not Python poplib's idea of a line;
  * `Proxy`: a TCP relay in front of a POP3 server that records what the
    client sent and can hide capabilities (SASL, STLS) from it, optionally
    ending TLS itself: how a fetcher's USER/PASS path and its refusals are
    tested against Dovecot, which always offers SASL;
  * `Peers`: tests/interop/peers/start.sh and stop.sh as a context manager;
  * `make_cert`: a self-signed certificate for CN=localhost (SAN localhost,
    127.0.0.1).

Run it as a script for the benchmark's maildrop:
    pop3_fixtures.py maildrop DIR UID GID SMALL LARGE LARGE_BYTES
puts SMALL small and LARGE large messages into the Maildir DIR and prints
`COUNT BYTES` (BYTES: their size as a POP3 server serves them, CRLF).
"""

import os
import random
import re
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PEERS = os.path.join(HERE, "peers")
TIMEOUT = 15.0
MB = 1000 * 1000


def crlf(data):
    """The bytes a POP3 server sends for a file with LF line ends."""
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def lf(data):
    return data.replace(b"\r\n", b"\n")


# ---------------------------------------------------------------- messages

def _header(subject, n):
    return (f"From: Sender <sender@example.com>\nTo: <testuser@test.example>\n"
            f"Subject: {subject}\nMessage-ID: <{n}.{subject.replace(' ', '-')}@mailwire.test>\n"
            f"Date: Mon, 7 Dec 2026 10:00:00 +0000\n").encode()


def _filler_lines(rng, count, width=76, dots=True):
    """`count` printable lines of `width` bytes at most; with `dots`, every
    tenth starts with '.', every 37th is a lone '.'."""
    alphabet = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ,;:-_+=()"
    # A 64 KiB pool drawn once, sliced per line: fast for 50 MB, still varied.
    pool = bytes(rng.choice(alphabet) for _ in range(65536))
    out = []
    for i in range(count):
        start = rng.randrange(0, len(pool) - width)
        line = pool[start:start + rng.randrange(20, width + 1)].rstrip(b" ")
        if dots and i % 37 == 36:
            line = b"."
        elif dots and i % 10 == 3:
            line = b"." + line
        out.append(line)
    return b"\n".join(out) + b"\n"


def big_message(size, seed=1, subject="big"):
    """A message of about `size` bytes (LF), lines under 80 bytes, some
    beginning with a dot."""
    rng = random.Random(seed)
    head = _header(subject, seed) + b"\n"
    body = _filler_lines(rng, max(1, (size - len(head)) // 48))
    return head + body


def sample_messages(big=5 * MB):
    """(name, LF bytes) of the messages every case works with."""
    msgs = [
        ("plain", _header("plain", 1) + b"\nHello from the POP3 interop test.\nSecond line.\n"),
        ("dots", _header("dots", 2) + b"\n.leading dot\n..two dots\n.\n. space\n...\nnot a dot.\n"
                 b".\n..\nend\n"),
        # headers and the blank line, no body at all
        ("empty-body", _header("empty body", 3) + b"\n"),
        ("eight-bit", _header("eight bit", 4)
         + b"MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
           b"Content-Transfer-Encoding: 8bit\n\n"
         + "Grüße, 你好, ½ € — ünïcödé\n".encode() + b"latin-1: \xe9\xe8\xff\n.\xc3\xa9 after a dot\n"),
        ("long-line", _header("long line", 5) + b"\n" + b"x" * 1500 + b"\nshort\n"),
    ]
    if big:
        msgs.append(("big", big_message(big, seed=6, subject="big")))
    return msgs


def bench_messages(small, large, large_bytes):
    """The benchmark's maildrop: `small` messages of 1-8 KB and `large` of
    about `large_bytes`, all from fixed seeds."""
    sizes = random.Random(20261207)
    for i in range(small):
        n = sizes.randrange(1000, 8000)
        head = _header(f"bench {i}", i) + b"\n"
        yield f"small-{i:05d}", head + _filler_lines(random.Random(i), max(1, (n - len(head)) // 48))
    for i in range(large):
        yield f"large-{i:02d}", big_message(large_bytes, seed=1000 + i, subject=f"large {i}")


# ---------------------------------------------------------------- Maildir

class Maildir:
    """A Maildir whose message files the tests put, list and remove."""

    _seq = 0

    def __init__(self, path, uid=None, gid=None):
        self.path, self.uid, self.gid = path, uid, gid
        for sub in ("tmp", "new", "cur"):
            os.makedirs(os.path.join(path, sub), exist_ok=True)
            self._own(os.path.join(path, sub))
        self._own(path)

    def _own(self, path):
        if self.uid is not None and os.geteuid() == 0:
            os.chown(path, self.uid, self.gid)

    def clear(self):
        for sub in ("tmp", "new", "cur"):
            d = os.path.join(self.path, sub)
            for name in os.listdir(d):
                os.unlink(os.path.join(d, name))

    def put(self, messages, sub="new"):
        """Writes each (name, bytes) as one file; returns [(unique, bytes)]
        in the order given. `unique` is the file name up to any ':' (what
        mailwire-pop3-server gives as UIDL). In cur/ the name gets ':2,'."""
        out = []
        for name, data in messages:
            Maildir._seq += 1
            unique = f"{int(time.time())}.M{Maildir._seq}P{os.getpid()}.{re.sub(r'[^A-Za-z0-9-]', '-', name)}"
            tmp = os.path.join(self.path, "tmp", unique)
            with open(tmp, "wb") as f:
                f.write(data)
            self._own(tmp)
            os.rename(tmp, os.path.join(self.path, sub, unique + (":2," if sub == "cur" else "")))
            out.append((unique, data))
        return out

    def files(self):
        """{unique: bytes} of every message in new/ and cur/."""
        out = {}
        for sub in ("new", "cur"):
            d = os.path.join(self.path, sub)
            for name in os.listdir(d):
                with open(os.path.join(d, name), "rb") as f:
                    out[name.split(":", 1)[0]] = f.read()
        return out

    def count(self):
        return sum(len(os.listdir(os.path.join(self.path, sub))) for sub in ("new", "cur"))


def maildir_messages(path, sub="new"):
    """The bytes of every file in path/sub (a client's output Maildir)."""
    d = os.path.join(path, sub)
    out = []
    for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        with open(os.path.join(d, name), "rb") as f:
            out.append(f.read())
    return out


def same_messages(got, want, what="messages"):
    """Raises unless the two lists hold the same messages in any order,
    naming the first difference."""
    if sorted(got) == sorted(want):
        return
    missing = [w for w in want if w not in got]
    extra = [g for g in got if g not in want]
    detail = f"{len(got)} {what}, expected {len(want)}"
    if missing and extra:
        a, b = extra[0], missing[0]
        i = next((k for k in range(min(len(a), len(b))) if a[k] != b[k]), min(len(a), len(b)))
        detail += (f"; first difference at byte {i} of a {len(b)}-byte message: "
                   f"got {a[max(0, i - 40):i + 40]!r}, want {b[max(0, i - 40):i + 40]!r}")
    elif missing:
        detail += f"; missing one starting {missing[0][:120]!r}"
    elif extra:
        detail += f"; unexpected one starting {extra[0][:120]!r}"
    raise AssertionError(detail)


# ---------------------------------------------------------------- raw POP3

class Pop3Error(Exception):
    """An -ERR reply (the text is the whole line)."""


class Pop3:
    """A POP3 client on a raw socket. Multi-line payloads come back exactly:
    the bytes between the status line and the terminating '.', dot-unstuffed,
    line ends as sent."""

    def __init__(self, port, host="127.0.0.1", tls=None, timeout=TIMEOUT):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        if tls is not None:
            self.sock = tls.wrap_socket(self.sock, server_hostname="localhost")
        self.buf = b""
        self.greeting = self.line()

    def line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                out, self.buf = self.buf[:i], self.buf[i + 2:]
                return out
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise ConnectionError(f"connection closed; unread {self.buf[:200]!r}")
            self.buf += chunk

    def send(self, data):
        self.sock.sendall(data)

    def status(self):
        line = self.line()
        if line.startswith(b"+OK"):
            return line
        raise Pop3Error(line.decode("utf-8", "replace"))

    def cmd(self, text):
        self.send(text.encode() + b"\r\n")
        return self.status()

    def payload(self):
        """The multi-line body after a +OK: exact bytes, dot-unstuffed."""
        if self.buf.startswith(b".\r\n"):
            self.buf = self.buf[3:]
            return b""
        data = bytearray(self.buf)
        searched = 0
        while True:
            # the terminator is a line that is exactly "."; a stuffed line
            # ("..", "..x") never matches CRLF "." CRLF
            i = data.find(b"\r\n.\r\n", max(0, searched - 4))
            if i >= 0:
                break
            searched = len(data)
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise ConnectionError("connection closed inside a multi-line response")
            data += chunk
        body, self.buf = bytes(data[:i + 2]), bytes(data[i + 5:])
        if body.startswith(b".."):
            body = body[1:]
        return body.replace(b"\r\n..", b"\r\n.")

    def multi(self, text):
        self.cmd(text)
        return self.payload()

    def stls(self, ctx):
        self.cmd("STLS")
        if self.buf:
            raise AssertionError(f"bytes after +OK to STLS: {self.buf!r}")
        self.sock = ctx.wrap_socket(self.sock, server_hostname="localhost")

    def capa(self):
        return self.multi("CAPA").decode("utf-8", "replace").split("\r\n")[:-1]

    def login(self, user, password):
        self.cmd(f"USER {user}")
        return self.cmd(f"PASS {password}")

    def apop(self, user, password):
        import hashlib
        m = re.search(rb"<[^<>]*>", self.greeting)
        if not m:
            raise AssertionError(f"no APOP timestamp in {self.greeting!r}")
        digest = hashlib.md5(m.group(0) + password.encode()).hexdigest()
        return self.cmd(f"APOP {user} {digest}")

    def listing(self, command):
        """{number: second field} of LIST or UIDL."""
        out = {}
        for line in self.multi(command).decode().split("\r\n")[:-1]:
            n, value = line.split(" ", 1)
            out[int(n)] = value
        return out

    def retr(self, n):
        return self.multi(f"RETR {n}")

    def quit(self):
        try:
            return self.cmd("QUIT")
        finally:
            self.sock.close()

    def abort(self):
        """Drops the connection without QUIT (RST, as a killed client)."""
        import struct
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.sock.close()


def served(port, user, password, tls=None, stls=None, host="127.0.0.1"):
    """{uidl: exact RETR payload} of every message in a maildrop: the
    reference a fetcher's files must equal. Checks LIST sizes against the
    payloads on the way."""
    c = Pop3(port, host, tls)
    if stls is not None:
        c.stls(stls)
    c.login(user, password)
    sizes = {n: int(v) for n, v in c.listing("LIST").items()}
    uidls = c.listing("UIDL")
    out = {}
    for n in sorted(sizes):
        data = c.retr(n)
        if len(data) != sizes[n]:
            raise AssertionError(f"message {n}: LIST says {sizes[n]} octets, RETR gave {len(data)}")
        out[uidls[n]] = data
    c.quit()
    return out


def wait_for_login(port, user, password, tls=None, deadline=10.0):
    """Logs in and out again as soon as the maildrop is free (a session that
    just ended may still hold its lock for a moment); raises after
    `deadline` seconds."""
    end = time.monotonic() + deadline
    while True:
        try:
            c = Pop3(port, tls=tls, timeout=max(1.0, end - time.monotonic()) + 12)
            c.login(user, password)
            c.quit()
            return
        except (Pop3Error, OSError) as e:
            if time.monotonic() > end:
                raise AssertionError(f"could not log in within {deadline} s: {e}") from None
            time.sleep(0.1)


# ---------------------------------------------------------------- proxy

class Proxy:
    """Relays 127.0.0.1:self.port to a POP3 server at upstream_port, one
    thread per direction, and records the client's bytes (self.sent, all
    connections). Until the client sends its first transaction command
    (STAT, LIST, UIDL, RETR, TOP, DELE, ...), lines of the server's replies
    that name a hidden capability are dropped: `hide` is a set of b"SASL",
    b"STLS", b"USER" (no message data can arrive before such a command, so
    only greetings and CAPA answers are touched). With `plain_greeting` the
    greeting loses its APOP <timestamp>. With `tls` (a server ssl.SSLContext)
    the client side is implicit TLS and the server side plain text."""

    TRANSACTION = (b"STAT", b"LIST", b"UIDL", b"RETR", b"TOP", b"DELE", b"NOOP", b"RSET", b"LAST")

    def __init__(self, upstream_port, hide=(), tls=None, plain_greeting=False):
        self.upstream_port, self.hide, self.tls = upstream_port, set(hide), tls
        self.plain_greeting = plain_greeting
        self.sent = b""
        self.lock = threading.Lock()
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.stopping = False
        self.threads = []
        self.errors = []
        t = threading.Thread(target=self._accept, daemon=True)
        t.start()
        self.threads.append(t)

    def _accept(self):
        while not self.stopping:
            try:
                client, _ = self.listener.accept()
            except (socket.timeout, OSError):
                continue
            t = threading.Thread(target=self._session, args=(client,), daemon=True)
            t.start()
            self.threads.append(t)

    def _session(self, client):
        try:
            client.settimeout(TIMEOUT * 4)
            if self.tls is not None:
                client = self.tls.wrap_socket(client, server_side=True)
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=TIMEOUT * 4)
        except OSError as e:
            self.errors.append(f"proxy: {e}")
            client.close()
            return
        state = {"filtering": bool(self.hide) or self.plain_greeting, "greeting": True}

        def up():
            try:
                while True:
                    data = client.recv(1 << 16)
                    if not data:
                        break
                    with self.lock:
                        self.sent += data
                    if state["filtering"] and any(
                            line.upper().startswith(self.TRANSACTION) for line in data.split(b"\r\n")):
                        state["filtering"] = False
                    upstream.sendall(data)
            except OSError:
                pass
            finally:
                try:
                    upstream.shutdown(socket.SHUT_WR)
                except OSError:
                    pass

        t = threading.Thread(target=up, daemon=True)
        t.start()
        pending = b""
        try:
            while True:
                data = upstream.recv(1 << 16)
                if not data:
                    break
                if state["filtering"]:
                    pending += data
                    lines = pending.split(b"\r\n")
                    pending = lines.pop()
                    if lines and state["greeting"]:
                        state["greeting"] = False
                        if self.plain_greeting:
                            lines[0] = re.sub(rb" ?<[^<>]*>", b"", lines[0])
                    keep = [ln for ln in lines if not self._hidden(ln)]
                    data = b"".join(ln + b"\r\n" for ln in keep)
                    if not state["filtering"]:
                        data += pending
                        pending = b""
                elif pending:
                    data, pending = pending + data, b""
                if data:
                    client.sendall(data)
            if pending:
                client.sendall(pending)
        except OSError:
            pass
        finally:
            t.join(TIMEOUT)
            for s in (client, upstream):
                try:
                    s.close()
                except OSError:
                    pass

    def _hidden(self, line):
        if not self.hide:
            return False
        word = line.split(b" ", 1)[0].upper()
        return word in self.hide

    def client_commands(self):
        """The command words the client sent (AUTH continuation lines are
        base64 and come out as such)."""
        with self.lock:
            return [ln.split(b" ", 1)[0].decode("latin-1").upper() for ln in self.sent.split(b"\r\n") if ln]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self.stopping = True
        self.listener.close()
        for t in self.threads:
            t.join(TIMEOUT)


# ---------------------------------------------------------------- peers

class Peers:
    """tests/interop/peers started in DIR (start.sh), stopped at exit
    (stop.sh). self.env holds peers.env."""

    def __init__(self, work):
        self.dir = os.path.join(work, "peers")
        os.makedirs(self.dir, exist_ok=True)
        os.chmod(work, 0o755)  # the daemons run as other users and must enter it
        p = subprocess.run(["bash", os.path.join(PEERS, "start.sh"), self.dir, "--no-aiosmtpd"],
                           capture_output=True, text=True, timeout=90)
        if p.returncode != 0:
            self.stop()
            raise RuntimeError("peers did not start: " + (p.stdout + p.stderr)[-1500:])
        self.env = {}
        with open(os.path.join(self.dir, "peers.env")) as f:
            for line in f:
                m = re.match(r"([A-Z0-9_]+)=(.*)$", line.strip())
                if m:
                    v = m.group(2)
                    self.env[m.group(1)] = v[1:-1] if v.startswith("'") else v
        e = self.env
        self.user, self.password = e["TEST_USER"], e["TEST_PASS"]
        self.pop3_port, self.pop3s_port = int(e["POP3_PORT"]), int(e["POP3S_PORT"])
        self.ca_file = e["CA_FILE"]
        self.maildir = Maildir(e["MAILDIR"], int(e["MAIL_UID"]), int(e["MAIL_GID"]))
        self.log_path = e["DOVECOT_LOG"]

    def log_size(self):
        return os.path.getsize(self.log_path)

    def logins_since(self, offset):
        """The `method=` of each Dovecot login logged after byte `offset`."""
        with open(self.log_path, "rb") as f:
            f.seek(offset)
            text = f.read().decode("utf-8", "replace")
        return re.findall(r"pop3-login: Info: Login: user=<[^>]*>, method=([A-Z0-9-]+)", text)

    def stop(self):
        subprocess.run(["bash", os.path.join(PEERS, "stop.sh"), self.dir], capture_output=True, timeout=60)


def finish_suite(suite, work, keep):
    """The summary line; `work` kept (and named) with `keep` or after a
    failure, removed otherwise. Returns the exit status."""
    rc = suite.summary()
    if keep or suite.failed:
        print(f"work directory (peers' logs, fetched Maildirs): {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return rc


def root_or_skip():
    return os.geteuid() == 0


# ---------------------------------------------------------------- TLS

def make_cert(work):
    """A self-signed certificate and key (P-256) in `work`: CN=localhost,
    SAN DNS:localhost and IP:127.0.0.1."""
    cert, key = os.path.join(work, "cert.pem"), os.path.join(work, "key.pem")
    p = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-nodes", "-days", "2", "-subj", "/CN=localhost",
                        "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key, "-out", cert],
                       capture_output=True, text=True, timeout=30)
    if p.returncode != 0:
        raise RuntimeError("openssl req: " + p.stderr[-500:])
    os.chmod(cert, 0o644)
    return cert, key


def client_context(cafile):
    return ssl.create_default_context(cafile=cafile)


def server_context(cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def which(tool):
    return shutil.which(tool) or next(
        (p for p in (f"/usr/sbin/{tool}", f"/usr/bin/{tool}") if os.access(p, os.X_OK)), None)


def main(argv):
    if len(argv) == 8 and argv[1] == "maildrop":
        path, uid, gid, small, large, large_bytes = argv[2], int(argv[3]), int(argv[4]), *map(int, argv[5:8])
        md = Maildir(path, uid, gid)
        total = count = 0
        for unique, data in md.put(bench_messages(small, large, large_bytes)):
            count += 1
            total += len(crlf(data))
        print(count, total)
        return 0
    print(__doc__.split("Run it as a script")[1].strip(), file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
