#!/usr/bin/env bash
# End to end on loopback: the same maildrop fetched from Dovecot by
# mailwire-pop3-fetch, fetchmail and mpop, side by side in one run.
#
#   benchmarks/pop3_e2e.sh [PATH/TO/mailwire-pop3-fetch]
#       (default: build/release/examples/mailwire-pop3-fetch; when it is not
#       built, the other contenders still run)
#
# Needs root: Dovecot comes from tests/interop/peers (start.sh/stop.sh).
# The maildrop: SMALL messages of 1-8 KB and LARGE of about LARGE_BYTES,
# generated from fixed seeds (tests/interop/pop3_fixtures.py), LF files that
# Dovecot serves with CRLF. Every contender keeps the mail (the maildrop is
# the same for every run) and stores into a fresh directory each run:
#   mailwire-pop3-fetch  Maildir (tmp/, fsync, new/; state file fsynced per
#                        message), pipelined
#   fetchmail (MDA)      one `sh` + `cat` per message into a directory: how
#                        fetchmail stores locally (it has no Maildir writer);
#                        keep + fetchall, so RETR one message at a time
#   fetchmail (BSMTP)    the same session, all messages appended to one
#                        BSMTP file: fetchmail without the per-message fork
#   mpop                 its own Maildir delivery, pipelined
# TLS=stls (default): STLS with the certificate checked, each client's
# default login (mailwire and mpop: SCRAM-SHA-256 after TLS; mpop picks the
# same; fetchmail: USER/PASS). TLS=none: no TLS; mailwire and mpop use
# SCRAM-SHA-256, fetchmail USER/PASS.
# ROUNDS rounds (default 3); within a round the contenders run back to back.
# Every run checks the count stored (and that the maildrop is unchanged).
# Prints every run, then best and median msg/s and MB/s (10^6 bytes as
# served, CRLF) per contender.
# Environment: ROUNDS SMALL LARGE LARGE_BYTES TLS WORK.
# The part it shares with the other fetch benchmarks is benchmarks/e2e_common.sh.
set -uo pipefail
e2e_name=pop3_e2e.sh e2e_proto=pop3 e2e_noun=maildrop e2e_tls=stls
# shellcheck source=benchmarks/e2e_common.sh
. "$(dirname "$0")/e2e_common.sh"
e2e_init "$@"
command -v fetchmail >/dev/null && contenders+=(fetchmail_mda fetchmail_bsmtp)
command -v mpop >/dev/null && contenders+=(mpop)
[ ${#contenders[@]} -gt 0 ] || die "nothing to run (tests/interop/peers/install.sh installs fetchmail and mpop)"
e2e_start
# Untimed warm-up: Dovecot indexes the maildrop on first access, and the
# files come into the page cache; also checks every LIST size against RETR.
PYTHONPATH=$here/../tests/interop "$py" -c '
import sys
from pop3_fixtures import served
ref = served(int(sys.argv[1]), sys.argv[2], sys.argv[3])
assert len(ref) == int(sys.argv[4]), (len(ref), sys.argv[4])
' "$POP3_PORT" "$TEST_USER" "$TEST_PASS" "$total" || die "warm-up failed"

run_mpop() {
  local home=$work/mpop.$runs
  mkdir -p "$home"
  chmod 700 "$home"
  cat >"$home/rc" <<EOF2
account bench
host 127.0.0.1
port $POP3_PORT
user $TEST_USER
password $TEST_PASS
tls $([ "$TLS" = stls ] && echo on || echo off)
tls_trust_file $CA_FILE
tls_host_override localhost
auth $([ "$TLS" = stls ] && echo on || echo scram-sha-256)
timeout 60
keep on
only_new off
received_header off
uidls_file $home/uidls
delivery maildir $out
EOF2
  chmod 600 "$home/rc"
  timeout 600 mpop -C "$home/rc" bench >"$work/run.out" 2>&1
}
stored_mpop() { stored_mailwire; }

label=([mailwire]="mailwire-pop3-fetch" [fetchmail_mda]="fetchmail (MDA)"
       [fetchmail_bsmtp]="fetchmail (BSMTP file)" [mpop]="mpop (Maildir)")
e2e_rounds
