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
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
fetch=${1:-$here/../build/release/examples/mailwire-pop3-fetch}
ROUNDS=${ROUNDS:-3}
SMALL=${SMALL:-2000}
LARGE=${LARGE:-4}
LARGE_BYTES=${LARGE_BYTES:-10000000}
TLS=${TLS:-stls}
peers=$here/../tests/interop/peers
py=/usr/bin/python3
[ -x "$py" ] || py=python3

die() { echo "pop3_e2e.sh: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (tests/interop/peers starts Dovecot)"
case $TLS in stls|none) ;; *) die "TLS must be stls or none" ;; esac
contenders=()
if [ -x "$fetch" ]; then contenders+=(mailwire)
else echo "pop3_e2e.sh: $fetch not built (cmake --preset release && cmake --build build/release --target mailwire-pop3-fetch); running the others" >&2; fi
command -v fetchmail >/dev/null && contenders+=(fetchmail_mda fetchmail_bsmtp)
command -v mpop >/dev/null && contenders+=(mpop)
[ ${#contenders[@]} -gt 0 ] || die "nothing to run (tests/interop/peers/install.sh installs fetchmail and mpop)"

work=${WORK:-$(mktemp -d /tmp/mailwire-pop3-e2e.XXXXXX)}
mkdir -p "$work"
chmod 755 "$work"
cleanup() {
  "$peers/stop.sh" "$work/peers" >/dev/null 2>&1
  [ -n "${WORK:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$peers/start.sh" "$work/peers" --no-aiosmtpd >"$work/start.log" 2>&1 || { cat "$work/start.log"; die "peers did not start"; }
set -a
. "$work/peers/peers.env"
set +a
read -r total bytes < <("$py" "$here/../tests/interop/pop3_fixtures.py" maildrop "$MAILDIR" "$MAIL_UID" "$MAIL_GID" \
  "$SMALL" "$LARGE" "$LARGE_BYTES") || die "could not fill the maildrop"
# Untimed warm-up: Dovecot indexes the maildrop on first access, and the
# files come into the page cache; also checks every LIST size against RETR.
PYTHONPATH=$here/../tests/interop "$py" -c '
import sys
from pop3_fixtures import served
ref = served(int(sys.argv[1]), sys.argv[2], sys.argv[3])
assert len(ref) == int(sys.argv[4]), (len(ref), sys.argv[4])
' "$POP3_PORT" "$TEST_USER" "$TEST_PASS" "$total" || die "warm-up failed"

# the MDA fetchmail runs for each message
cat >"$work/store" <<'EOF'
#!/bin/sh
f=$(mktemp "$1/m.XXXXXXXX") && cat > "$f"
EOF
chmod 755 "$work/store"

runs=0
next_dir() { runs=$((runs + 1)); out=$work/out.$runs; mkdir -p "$out"/{cur,new,tmp}; }

fetchmail_rc() {  # delivery line
  local home=$work/fetchmail.$runs
  mkdir -p "$home"
  chmod 700 "$home"
  local tls="sslproto '' no sslcertck"
  [ "$TLS" = stls ] && tls="sslproto 'tls1.2+' sslcertck sslcertfile \"$CA_FILE\" sslcommonname localhost"
  cat >"$home/rc" <<EOF
set no syslog
set invisible
poll 127.0.0.1 service $POP3_PORT protocol pop3 auth password timeout 60:
  user "$TEST_USER" there with password "$TEST_PASS" is "$(id -un)" here
  $tls
  keep fetchall no rewrite no stripcr
  $1
EOF
  chmod 600 "$home/rc"
  fc=(env FETCHMAILHOME="$home" fetchmail -f "$home/rc" -i "$home/ids")
}

run_mailwire() {
  local tls=()
  [ "$TLS" = stls ] && tls=(--stls --ca "$CA_FILE")
  timeout 600 "$fetch" --server "127.0.0.1:$POP3_PORT" "${tls[@]}" --user "$TEST_USER" --pass "$TEST_PASS" \
    --maildir "$out" --timeout 60 >"$work/run.out" 2>"$work/run.log"
}
stored_mailwire() { find "$out/new" -type f | wc -l; }
run_fetchmail_mda() {
  fetchmail_rc "mda \"$work/store $out/new\""
  timeout 600 "${fc[@]}" >"$work/run.out" 2>&1
}
stored_fetchmail_mda() { stored_mailwire; }
run_fetchmail_bsmtp() {
  fetchmail_rc "bsmtp \"$out/all.bsmtp\""
  timeout 600 "${fc[@]}" >"$work/run.out" 2>&1
}
stored_fetchmail_bsmtp() { grep -c '^DATA'$'\r''\?$' "$out/all.bsmtp" 2>/dev/null || echo 0; }
run_mpop() {
  local home=$work/mpop.$runs
  mkdir -p "$home"
  chmod 700 "$home"
  cat >"$home/rc" <<EOF
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
EOF
  chmod 600 "$home/rc"
  timeout 600 mpop -C "$home/rc" bench >"$work/run.out" 2>&1
}
stored_mpop() { stored_mailwire; }

declare -A label=([mailwire]="mailwire-pop3-fetch" [fetchmail_mda]="fetchmail (MDA)"
                  [fetchmail_bsmtp]="fetchmail (BSMTP file)" [mpop]="mpop (Maildir)")
declare -A rates mbs
failures=0

run_one() {
  local who=$1 t0 t1 rc got left rate mb
  next_dir
  t0=$(date +%s%N)
  "run_$who"  # each bounded by timeout 600
  rc=$?
  t1=$(date +%s%N)
  got=$("stored_$who")
  left=$(find "$MAILDIR/new" "$MAILDIR/cur" -type f | wc -l)
  rate=$(awk -v n="$total" -v ns=$((t1 - t0)) 'BEGIN { printf "%.0f", n / (ns / 1e9) }')
  mb=$(awk -v b="$bytes" -v ns=$((t1 - t0)) 'BEGIN { printf "%.1f", b / 1e6 / (ns / 1e9) }')
  rates[$who]+="$rate "
  mbs[$who]+="$mb "
  printf '  %-24s %7s msg/s %7s MB/s  %6.2f s  stored %s/%s%s\n' "${label[$who]}" "$rate" "$mb" \
    "$(awk -v ns=$((t1 - t0)) 'BEGIN { print ns / 1e9 }')" "$got" "$total" \
    "$([ "$rc" = 0 ] || echo "  EXIT $rc: $(tail -c 300 "$work/run.out" "$work/run.log" 2>/dev/null | tr '\n' ' ')")$([ "$left" = "$total" ] || echo "  MAILDROP CHANGED ($left)")"
  { [ "$rc" = 0 ] && [ "$got" = "$total" ] && [ "$left" = "$total" ]; } || failures=$((failures + 1))
  rm -rf "$out"  # keep the disk use flat
}

echo "maildrop: $total messages ($SMALL of 1-8 KB, $LARGE of ~$LARGE_BYTES B), $(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }') MB as served; TLS=$TLS; $ROUNDS rounds; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$ROUNDS"); do
  echo "round $round"
  for who in "${contenders[@]}"; do run_one "$who"; done
done

best_median() {  # values...
  printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { if (NR) printf "%s / %s", v[NR], v[int((NR + 1) / 2)] }'
}
echo
printf '%-26s %20s %20s\n' "(best / median)" "msg/s" "MB/s"
for who in "${contenders[@]}"; do
  # shellcheck disable=SC2086
  printf '%-26s %20s %20s\n' "${label[$who]}" "$(best_median ${rates[$who]})" "$(best_median ${mbs[$who]})"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
[ "$failures" -eq 0 ] || { echo "$failures run(s) failed, lost messages or changed the maildrop"; exit 1; }
