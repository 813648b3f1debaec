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
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
fetch=${1:-$here/../build/release/examples/mailwire-imap-fetch}
ROUNDS=${ROUNDS:-3}
SMALL=${SMALL:-2000}
LARGE=${LARGE:-4}
LARGE_BYTES=${LARGE_BYTES:-10000000}
TLS=${TLS:-starttls}
peers=$here/../tests/interop/peers
py=/usr/bin/python3
[ -x "$py" ] || py=python3

die() { echo "imap_e2e.sh: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (tests/interop/peers starts Dovecot)"
case $TLS in starttls|none) ;; *) die "TLS must be starttls or none" ;; esac
contenders=()
if [ -x "$fetch" ]; then contenders+=(mailwire)
else echo "imap_e2e.sh: $fetch not built (cmake --preset release && cmake --build build/release --target mailwire-imap-fetch); running the others" >&2; fi
command -v mbsync >/dev/null && contenders+=(mbsync)
command -v fetchmail >/dev/null && contenders+=(fetchmail_mda fetchmail_bsmtp)
[ ${#contenders[@]} -gt 0 ] || die "nothing to run (tests/interop/peers/install.sh installs isync and fetchmail)"

work=${WORK:-$(mktemp -d /tmp/mailwire-imap-e2e.XXXXXX)}
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
  "$SMALL" "$LARGE" "$LARGE_BYTES") || die "could not fill the mailbox"
# Untimed warm-up: Dovecot indexes the mailbox on first access, and the
# files come into the page cache; also checks the count Dovecot serves.
"$py" - "$IMAP_PORT" "$TEST_USER" "$TEST_PASS" "$total" <<'PY' || die "warm-up failed"
import imaplib, sys
c = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
c.login(sys.argv[2], sys.argv[3])
typ, data = c.select("INBOX", readonly=True)
assert int(data[0]) == int(sys.argv[4]), (data, sys.argv[4])
c.uid("FETCH", "1:*", "(BODY.PEEK[])")
c.logout()
PY

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
  [ "$TLS" = starttls ] && tls="sslproto 'tls1.2+' sslcertck sslcertfile \"$CA_FILE\" sslcommonname localhost"
  cat >"$home/rc" <<EOF
set no syslog
set invisible
poll 127.0.0.1 service $IMAP_PORT protocol imap auth password timeout 60:
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
  [ "$TLS" = starttls ] && tls=(--starttls --ca "$CA_FILE")
  timeout 600 "$fetch" --server "127.0.0.1:$IMAP_PORT" "${tls[@]}" --user "$TEST_USER" --pass "$TEST_PASS" \
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
run_mbsync() {
  local home=$work/mbsync.$runs
  mkdir -p "$home"
  chmod 700 "$home"
  cat >"$home/rc" <<EOF
IMAPAccount bench
Host localhost
Port $IMAP_PORT
User $TEST_USER
Pass $TEST_PASS
SSLType $([ "$TLS" = starttls ] && echo STARTTLS || echo None)
CertificateFile $CA_FILE
$([ "$TLS" = none ] && echo "AuthMechs LOGIN")

IMAPStore remote
Account bench

MaildirStore local
Path $out/
Inbox $out/

Channel bench
Far :remote:
Near :local:
Patterns INBOX
Sync Pull New
Create Near
SyncState $home/
EOF
  chmod 600 "$home/rc"
  timeout 600 mbsync -q -c "$home/rc" bench >"$work/run.out" 2>&1
}
stored_mbsync() { find "$out/new" "$out/cur" -type f | wc -l; }

declare -A label=([mailwire]="mailwire-imap-fetch" [mbsync]="mbsync (Maildir)"
                  [fetchmail_mda]="fetchmail (MDA)" [fetchmail_bsmtp]="fetchmail (BSMTP file)")
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
    "$([ "$rc" = 0 ] || echo "  EXIT $rc: $(tail -c 300 "$work/run.out" "$work/run.log" 2>/dev/null | tr '\n' ' ')")$([ "$left" = "$total" ] || echo "  MAILBOX CHANGED ($left)")"
  { [ "$rc" = 0 ] && [ "$got" = "$total" ] && [ "$left" = "$total" ]; } || failures=$((failures + 1))
  rm -rf "$out"  # keep the disk use flat
}

echo "mailbox: $total messages ($SMALL of 1-8 KB, $LARGE of ~$LARGE_BYTES B), $(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }') MB as served; TLS=$TLS; $ROUNDS rounds; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
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
[ "$failures" -eq 0 ] || { echo "$failures run(s) failed, lost messages or changed the mailbox"; exit 1; }
