#!/usr/bin/python3
"""SMTP sink for the interop tests, on Debian's python3-aiosmtpd.

    aiosmtpd_sink.py PORT INBOX CERT KEY USER PASS READY_FILE

Run it with /usr/bin/python3: that is the interpreter the Debian package
installs aiosmtpd for. Listens on 127.0.0.1:PORT only. EHLO offers STARTTLS,
SMTPUTF8 and, after STARTTLS, AUTH PLAIN/LOGIN for USER/PASS. Each message is
saved as INBOX/NNNNNN.eml (the DATA bytes as received, dot-unstuffed) with
INBOX/NNNNNN.json beside it (envelope, ESMTP parameters, AUTH login). Once
it listens it writes its PID to READY_FILE. It starts a new session (setsid)
so it has its own process group; SIGTERM ends it.
"""
import asyncio
import json
import os
import signal
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Inbox:
    def __init__(self, path):
        self.path = path
        self.count = sum(1 for name in os.listdir(path) if name.endswith(".eml"))

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        stem = os.path.join(self.path, "%06d" % self.count)
        meta = {
            "mail_from": envelope.mail_from,
            "mail_options": envelope.mail_options,
            "rcpt_tos": envelope.rcpt_tos,
            "rcpt_options": envelope.rcpt_options,
            "auth_login": session.login_data.decode("utf-8", "replace")
            if isinstance(session.login_data, bytes) else session.login_data,
            "tls": session.ssl is not None,
        }
        # .json first: a test that waits for the .eml finds both
        with open(stem + ".json", "w") as f:
            json.dump(meta, f, indent=1)
        data = envelope.original_content
        if data is None:
            data = envelope.content if isinstance(envelope.content, bytes) else envelope.content.encode()
        with open(stem + ".eml.tmp", "wb") as f:
            f.write(data)
        os.rename(stem + ".eml.tmp", stem + ".eml")
        return "250 2.0.0 Ok: saved as %06d" % self.count


def main():
    if len(sys.argv) != 8:
        sys.exit(__doc__)
    port, inbox, cert, key, user, password, ready = sys.argv[1:]
    try:
        os.setsid()
    except PermissionError:  # already a process group leader
        pass
    os.makedirs(inbox, exist_ok=True)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    handler = Inbox(inbox)

    def authenticator(server, session, envelope, mechanism, data):
        ok = (isinstance(data, LoginPassword) and data.login == user.encode()
              and data.password == password.encode())
        return AuthResult(success=ok, handled=False)

    def factory():
        return SMTP(handler, hostname="sink.test.example", tls_context=tls,
                    authenticator=authenticator, auth_require_tls=True,
                    decode_data=False, enable_SMTPUTF8=True, timeout=60)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    server = loop.run_until_complete(loop.create_server(factory, host="127.0.0.1", port=int(port)))
    with open(ready + ".tmp", "w") as f:
        f.write("%d\n" % os.getpid())
    os.rename(ready + ".tmp", ready)
    print("aiosmtpd sink on 127.0.0.1:%s, inbox %s" % (port, inbox), flush=True)
    loop.run_until_complete(stop)
    server.close()
    loop.run_until_complete(server.wait_closed())


if __name__ == "__main__":
    main()
