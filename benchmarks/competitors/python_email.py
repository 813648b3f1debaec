#!/usr/bin/env python3
"""Python's email package as a peer of mailwire-bench-mime.

    python_email.py CORPUS_DIR REPS

Reads every *.eml of CORPUS_DIR into memory, then, REPS times, parses each
with email.message_from_bytes(policy=email.policy.default), walks it
(message/rfc822 parts included) and decodes every leaf part's content to
bytes (get_payload(decode=True)), and Subject and the From display names
(the policy's header objects). Prints the best pass as
    result SECONDS MESSAGES BYTES LEAVES DECODED HEADER_TEXT
"""

import email
import email.policy
import os
import sys
import time


def one_pass(messages):
    leaves = decoded = text = 0
    for raw in messages:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        for part in msg.walk():
            subject = part.get("subject")
            if subject is not None:
                text += len(str(subject).encode())
            sender = part.get("from")
            if sender is not None:
                text += sum(len(a.display_name.encode()) for a in sender.addresses)
            if part.is_multipart():  # multiparts, and message/rfc822 (walk() goes inside)
                continue
            leaves += 1
            payload = part.get_payload(decode=True)
            decoded += len(payload) if payload else 0
    return leaves, decoded, text


def main():
    directory, reps = sys.argv[1], int(sys.argv[2])
    names = sorted(n for n in os.listdir(directory) if n.endswith(".eml"))
    messages = []
    for n in names:
        with open(os.path.join(directory, n), "rb") as f:
            messages.append(f.read())
    best, work = None, None
    for _ in range(reps):
        t0 = time.perf_counter()
        work = one_pass(messages)
        dt = time.perf_counter() - t0
        best = dt if best is None else min(best, dt)
    print("result %.6f %d %d %d %d %d" % ((best, len(messages), sum(map(len, messages))) + work))


if __name__ == "__main__":
    main()
