# What the end-to-end fetch benchmarks share (sourced, not run):
# benchmarks/imap_e2e.sh and pop3_e2e.sh (the same mailbox fetched from
# Dovecot by the mailwire fetcher and its peers, side by side), and the
# start of benchmarks/imap_server_e2e.sh (Dovecot and the mailbox).
#
# The entry point sets, before sourcing:
#   e2e_name   its file name, for messages
#   e2e_proto  imap or pop3: fetchmail's protocol, mailwire-<proto>-fetch
#   e2e_noun   what the mail is called in messages: mailbox or maildrop
#   e2e_tls    the TLS mode's name, also mailwire's flag: starttls or stls
# then calls e2e_init "$@" (or e2e_checks), adds its own contenders,
# e2e_start, its warm-up, defines run_<who> and stored_<who> for its own
# contenders and label[who] for all, and ends with e2e_rounds.
# Environment: ROUNDS SMALL LARGE LARGE_BYTES TLS WORK (see the entry
# points).
# shellcheck shell=bash disable=SC2154
# (SC2154: e2e_* are set by the entry point, the peers' variables by
# peers.env.)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
peers=$here/../tests/interop/peers
py=/usr/bin/python3
[ -x "$py" ] || py=python3
ROUNDS=${ROUNDS:-3}
SMALL=${SMALL:-2000}
LARGE=${LARGE:-4}
LARGE_BYTES=${LARGE_BYTES:-10000000}
TLS=${TLS:-$e2e_tls}

die() { echo "$e2e_name: $*" >&2; exit 1; }

e2e_checks() {
  [ "$(id -u)" = 0 ] || die "needs root (tests/interop/peers starts Dovecot)"
  case $TLS in "$e2e_tls"|none) ;; *) die "TLS must be $e2e_tls or none" ;; esac
}

# [PATH/TO/mailwire-<proto>-fetch]: e2e_checks; contenders=(mailwire) when
# the fetcher is built.
e2e_init() {
  local target=mailwire-$e2e_proto-fetch
  fetch=${1:-$here/../build/release/examples/$target}
  e2e_checks
  contenders=()
  if [ -x "$fetch" ]; then contenders+=(mailwire)
  else echo "$e2e_name: $fetch not built (cmake --preset release && cmake --build build/release --target $target); running the others" >&2; fi
}

# A work directory (WORK, or a temp one removed at exit), Dovecot started
# (stopped at exit, by PID: stop.sh), the mailbox filled: sets work, total
# and bytes, and the peers.env variables.
e2e_start() {
  work=${WORK:-$(mktemp -d "/tmp/mailwire-$e2e_proto-e2e.XXXXXX")}
  mkdir -p "$work"
  chmod 755 "$work"
  trap e2e_cleanup EXIT
  trap 'exit 130' INT TERM
  "$peers/start.sh" "$work/peers" --no-aiosmtpd >"$work/start.log" 2>&1 || { cat "$work/start.log"; die "peers did not start"; }
  set -a
  # shellcheck source=/dev/null
  . "$work/peers/peers.env"
  set +a
  read -r total bytes < <("$py" "$here/../tests/interop/pop3_fixtures.py" maildrop "$MAILDIR" "$MAIL_UID" "$MAIL_GID" \
    "$SMALL" "$LARGE" "$LARGE_BYTES") || die "could not fill the $e2e_noun"
  # the MDA fetchmail runs for each message
  cat >"$work/store" <<'SH'
#!/bin/sh
f=$(mktemp "$1/m.XXXXXXXX") && cat > "$f"
SH
  chmod 755 "$work/store"
}

# An untimed IMAP warm-up of the server on PORT: a server indexes the
# mailbox on first access, and the files come into the page cache; also
# checks the count it serves (total).
e2e_imap_warmup() {  # PORT
  "$py" - "$1" "$TEST_USER" "$TEST_PASS" "$total" <<'PY'
import imaplib, sys
c = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
c.login(sys.argv[2], sys.argv[3])
typ, data = c.select("INBOX", readonly=True)
assert int(data[0]) == int(sys.argv[4]), (data, sys.argv[4])
c.uid("FETCH", "1:*", "(BODY.PEEK[])")
c.logout()
PY
}
e2e_cleanup() {
  "$peers/stop.sh" "$work/peers" >/dev/null 2>&1
  [ -n "${WORK:-}" ] || rm -rf "$work"
}

runs=0
next_dir() { runs=$((runs + 1)); out=$work/out.$runs; mkdir -p "$out"/{cur,new,tmp}; }
e2e_port() { if [ "$e2e_proto" = imap ]; then echo "$IMAP_PORT"; else echo "$POP3_PORT"; fi; }

fetchmail_rc() {  # delivery line
  local home=$work/fetchmail.$runs
  mkdir -p "$home"
  chmod 700 "$home"
  local tls="sslproto '' no sslcertck"
  [ "$TLS" = "$e2e_tls" ] && tls="sslproto 'tls1.2+' sslcertck sslcertfile \"$CA_FILE\" sslcommonname localhost"
  cat >"$home/rc" <<EOF2
set no syslog
set invisible
poll 127.0.0.1 service $(e2e_port) protocol $e2e_proto auth password timeout 60:
  user "$TEST_USER" there with password "$TEST_PASS" is "$(id -un)" here
  $tls
  keep fetchall no rewrite no stripcr
  $1
EOF2
  chmod 600 "$home/rc"
  fc=(env FETCHMAILHOME="$home" fetchmail -f "$home/rc" -i "$home/ids")
}

run_mailwire() {
  local tls=()
  [ "$TLS" = "$e2e_tls" ] && tls=("--$e2e_tls" --ca "$CA_FILE")
  timeout 600 "$fetch" --server "127.0.0.1:$(e2e_port)" "${tls[@]}" --user "$TEST_USER" --pass "$TEST_PASS" \
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

# mbsync (isync): a one-way pull (Sync Pull New) of INBOX into a Maildir.
run_mbsync() {  # [PORT] (default: e2e_port)
  local home=$work/mbsync.$runs
  mkdir -p "$home"
  chmod 700 "$home"
  cat >"$home/rc" <<EOF2
IMAPAccount bench
Host localhost
Port ${1:-$(e2e_port)}
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
EOF2
  chmod 600 "$home/rc"
  timeout 600 mbsync -q -c "$home/rc" bench >"$work/run.out" 2>&1
}
stored_mbsync() { find "$out/new" "$out/cur" -type f | wc -l; }

declare -A label rates mbs
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
    "$([ "$rc" = 0 ] || echo "  EXIT $rc: $(tail -c 300 "$work/run.out" "$work/run.log" 2>/dev/null | tr '\n' ' ')")$([ "$left" = "$total" ] || echo "  ${e2e_noun^^} CHANGED ($left)")"
  { [ "$rc" = 0 ] && [ "$got" = "$total" ] && [ "$left" = "$total" ]; } || failures=$((failures + 1))
  rm -rf "$out"  # keep the disk use flat
}

best_median() {  # values...
  printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { if (NR) printf "%s / %s", v[NR], v[int((NR + 1) / 2)] }'
}
least_median() {  # values...
  printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { if (NR) printf "%s / %s", v[1], v[int((NR + 1) / 2)] }'
}

e2e_header() {
  echo "$e2e_noun: $total messages ($SMALL of 1-8 KB, $LARGE of ~$LARGE_BYTES B), $(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }') MB as served; TLS=$TLS; $ROUNDS rounds; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
}

# Every contender ROUNDS times, back to back within a round; then best and
# median per contender; exit 1 when a run failed.
e2e_rounds() {
  e2e_header
  for round in $(seq "$ROUNDS"); do
    echo "round $round"
    for who in "${contenders[@]}"; do run_one "$who"; done
  done
  echo
  printf '%-26s %20s %20s\n' "(best / median)" "msg/s" "MB/s"
  for who in "${contenders[@]}"; do
    # shellcheck disable=SC2086
    printf '%-26s %20s %20s\n' "${label[$who]}" "$(best_median ${rates[$who]})" "$(best_median ${mbs[$who]})"
  done
  echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
  [ "$failures" -eq 0 ] || { echo "$failures run(s) failed, lost messages or changed the $e2e_noun"; exit 1; }
}
