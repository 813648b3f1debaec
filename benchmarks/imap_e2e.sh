#!/usr/bin/env bash
# End to end on loopback: the same IMAP mailbox downloaded from Dovecot by
# mailwire-imap-fetch, mbsync and fetchmail, side by side in one run.
#
#   benchmarks/imap_e2e.sh [PATH/TO/mailwire-imap-fetch]
#       (default: build/release/examples/mailwire-imap-fetch; when it is not
#       built, the other contenders still run)
#
# Needs root: Dovecot comes from tests/interop/peers (start.sh/stop.sh).
# The mailbox: SMALL messages of 1-8 KB and LARGE of about LARGE_BYTES,
# generated from fixed seeds (tests/interop/pop3_fixtures.py), LF files that
# Dovecot serves with CRLF. Every contender leaves the mailbox as it is and
# stores into a fresh directory each run:
#   mailwire-imap-fetch  Maildir (tmp/, fsync, new/; state file fsynced per
#                        message), EXAMINE, UID FETCH BODY.PEEK[] in batches
#   mbsync (isync)       a one-way pull (Sync Pull New) into a Maildir, its
#                        sync state in a directory of its own (fsync on:
#                        its default)
#   fetchmail (MDA)      one `sh` + `cat` per message into a directory: how
#                        fetchmail stores locally (it has no Maildir writer);
#                        keep + fetchall
#   fetchmail (BSMTP)    the same session, all messages appended to one
#                        BSMTP file: fetchmail without the per-message fork
# TLS=starttls (default): STARTTLS with the certificate checked, each
# client's default login (mailwire: SCRAM-SHA-256; mbsync: its choice among
# Dovecot's; fetchmail: LOGIN). TLS=none: no TLS (mailwire: SCRAM-SHA-256;
# mbsync and fetchmail: LOGIN).
# ROUNDS rounds (default 3); within a round the contenders run back to back.
# Every run checks the count stored (and that the mailbox is unchanged).
# Prints every run, then best and median msg/s and MB/s (10^6 bytes as
# served, CRLF) per contender.
# Environment: ROUNDS SMALL LARGE LARGE_BYTES TLS WORK.
# The part it shares with the other fetch benchmarks is benchmarks/e2e_common.sh.
set -uo pipefail
e2e_name=imap_e2e.sh e2e_proto=imap e2e_noun=mailbox e2e_tls=starttls
# shellcheck source=benchmarks/e2e_common.sh
. "$(dirname "$0")/e2e_common.sh"
e2e_init "$@"
command -v mbsync >/dev/null && contenders+=(mbsync)
command -v fetchmail >/dev/null && contenders+=(fetchmail_mda fetchmail_bsmtp)
[ ${#contenders[@]} -gt 0 ] || die "nothing to run (tests/interop/peers/install.sh installs isync and fetchmail)"
e2e_start
# Untimed warm-up: Dovecot indexes the mailbox on first access, and the
# files come into the page cache; also checks the count Dovecot serves.
e2e_imap_warmup "$IMAP_PORT" || die "warm-up failed"

label=([mailwire]="mailwire-imap-fetch" [mbsync]="mbsync (Maildir)"
       [fetchmail_mda]="fetchmail (MDA)" [fetchmail_bsmtp]="fetchmail (BSMTP file)")
e2e_rounds
