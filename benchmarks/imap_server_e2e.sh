#!/usr/bin/env bash
# End to end on loopback: mailwire-imap-server and Dovecot serving the same
# mailbox to the same clients (imapflow and mbsync), side by side in one run
# (issue 14).
#
#   benchmarks/imap_server_e2e.sh [PATH/TO/mailwire-imap-server]
#       (default: build/release/examples/mailwire-imap-server)
#
# Needs root: Dovecot comes from tests/interop/peers (start.sh/stop.sh). The
# mailbox is benchmarks/imap_e2e.sh's (SMALL messages of 1-8 KB and LARGE of
# about LARGE_BYTES, from fixed seeds, LF files served with CRLF), written
# into Dovecot's Maildir and copied, before either server has seen it, into
# the Maildir mailwire-imap-server serves: the same files, and each server
# keeps its own index (Dovecot's) or uid list (mailwire's) next to them.
# The servers, both on 127.0.0.1, stopped by PID at the end:
#   Dovecot                tests/interop/peers' configuration: a master,
#                          imap-login, and one imap process per session
#   mailwire-imap-server   the peers' certificate, --allow-plaintext-auth
#                          (Dovecot's configuration allows it too)
# The clients, each downloading the whole INBOX in every run:
#   imapflow (Node)        EXAMINE, then UID FETCH 1:* (UID BODY.PEEK[]) as
#                          ImapFlow.fetch() with { source: true } asks, the
#                          sources counted in memory (node/imapflow_fetch.mjs;
#                          npm ci of benchmarks/node by node/node_peers.sh,
#                          skipped with a note when that fails)
#   mbsync (isync)         a one-way pull (Sync Pull New) into a fresh Maildir
# TLS=starttls (default): STARTTLS, the certificate checked by both clients;
# TLS=none: no TLS, LOGIN/PLAIN in clear.
# Per run: messages/s and MB/s (10^6 bytes as served) over the wall time, the
# server's CPU time (user + system, from /proc/PID/stat, of the server
# process and every process under it, with the children each reaped: for
# Dovecot the session's imap process counts though it has exited), and the
# server's peak RSS (the sum of VmRSS over the same processes, sampled every
# 20 ms; in brackets what they held just before the run). Every run checks
# the count the client got (imapflow: the bytes too) and that the mailbox is
# unchanged. ROUNDS rounds (default 3), every client against each server
# back to back within a round; then best and median per pair. Each run is
# bounded by `timeout 600`.
# Environment: ROUNDS SMALL LARGE LARGE_BYTES TLS WORK.
set -uo pipefail
e2e_name=imap_server_e2e.sh e2e_proto=imap e2e_noun=mailbox e2e_tls=starttls
# shellcheck source=benchmarks/e2e_common.sh
. "$(dirname "$0")/e2e_common.sh"
server=${1:-$here/../build/release/examples/mailwire-imap-server}
e2e_checks
[ -x "$server" ] || die "$server not built (cmake --preset release && cmake --build build/release --target mailwire-imap-server)"
e2e_start
usage=("$py" "$here/server_usage.py")

# mailwire-imap-server on the copy, on a port it picks (it prints it).
mw_maildir=$work/mailwire/Maildir
mkdir -p "$work/mailwire"
cp -a "$MAILDIR" "$mw_maildir" || die "could not copy the mailbox"
key=$(dirname "$CA_FILE")/key.pem
[ -f "$key" ] || die "no key next to $CA_FILE"
"$server" --listen 127.0.0.1:0 --maildir "$mw_maildir" --user "$TEST_USER:$TEST_PASS" --tls-cert "$CA_FILE" \
  --tls-key "$key" --allow-plaintext-auth >"$work/mailwire.out" 2>"$work/mailwire.log" &
mw_pid=$!
stop_mailwire() {
  kill "$mw_pid" 2>/dev/null || return 0
  for _ in $(seq 50); do kill -0 "$mw_pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$mw_pid" 2>/dev/null
}
trap 'stop_mailwire; e2e_cleanup' EXIT
mw_port=
for _ in $(seq 150); do
  mw_port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$work/mailwire.out")
  [ -n "$mw_port" ] && break
  kill -0 "$mw_pid" 2>/dev/null || break
  sleep 0.1
done
[ -n "$mw_port" ] || { tail -5 "$work/mailwire.log"; die "mailwire-imap-server did not start"; }
dovecot_pid=$(tr -d ' \n' <"$DOVECOT_PID_FILE")
declare -A port=([dovecot]=$IMAP_PORT [mailwire]=$mw_port) pid=([dovecot]=$dovecot_pid [mailwire]=$mw_pid)
label=([dovecot]="Dovecot $(dovecot --version | cut -d' ' -f1)" [mailwire]="mailwire-imap-server")
servers=(dovecot mailwire)

clients=()
# shellcheck source=benchmarks/node/node_peers.sh
. "$here/node/node_peers.sh"
if node_peers "$work/node" "imapflow is" imapflow_fetch.mjs; then
  clients+=(imapflow)
  label[imapflow]="imapflow $(node -p "require('$work/node/node_modules/imapflow/package.json').version")"
fi
if command -v mbsync >/dev/null; then
  clients+=(mbsync)
  label[mbsync]="$(mbsync --version | head -1)"
fi
[ ${#clients[@]} -gt 0 ] || die "no client to run (node and npm for imapflow; tests/interop/peers/install.sh installs isync)"

# Untimed warm-up of both servers (mailwire-imap-server writes its uid
# list on first access, as Dovecot its index).
for s in "${servers[@]}"; do
  e2e_imap_warmup "${port[$s]}" || die "warm-up of ${label[$s]} failed"
done

run_imapflow() {  # PORT
  (cd "$work/node" && timeout 600 node imapflow_fetch.mjs "$1" "$TEST_USER" "$TEST_PASS" "$TLS" "$CA_FILE") \
    >"$work/run.out" 2>&1
}
# The count when the bytes are all there too, else what it got.
stored_imapflow() {
  awk -v b="$bytes" '/^result / { print ($3 == b ? $2 : $2 " (" $3 " bytes)"); found = 1 } END { if (!found) print 0 }' "$work/run.out"
}

declare -A cpus peaks
run_pair() {  # client server
  local client=$1 s=$2 t0 t1 rc got left cpu0 cpu1 idle sampler ns rate mb cpu peak key=$1:$2
  next_dir
  idle=$("${usage[@]}" rss "${pid[$s]}")
  cpu0=$("${usage[@]}" cpu "${pid[$s]}")
  "${usage[@]}" peak "${pid[$s]}" "$work/peak" &
  sampler=$!
  t0=$(date +%s%N)
  "run_$client" "${port[$s]}"  # bounded by timeout 600
  rc=$?
  t1=$(date +%s%N)
  kill "$sampler"
  wait "$sampler"
  cpu1=$("${usage[@]}" cpu "${pid[$s]}")
  got=$("stored_$client")
  left=$(find "$MAILDIR/new" "$MAILDIR/cur" -type f | wc -l)
  ns=$((t1 - t0))
  rate=$(awk -v n="$total" -v ns="$ns" 'BEGIN { printf "%.0f", n / (ns / 1e9) }')
  mb=$(awk -v b="$bytes" -v ns="$ns" 'BEGIN { printf "%.1f", b / 1e6 / (ns / 1e9) }')
  cpu=$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { printf "%.2f", b - a }')
  peak=$(awk '{ printf "%.1f", $1 / 1024 }' "$work/peak")
  rates[$key]+="$rate " mbs[$key]+="$mb " cpus[$key]+="$cpu " peaks[$key]+="$peak "
  printf '  %-16s <- %-22s %6s msg/s %6s MB/s %6.2f s  server CPU %5s s  peak RSS %6s MB (%s)  got %s/%s%s\n' \
    "${label[$client]}" "${label[$s]}" "$rate" "$mb" "$(awk -v ns="$ns" 'BEGIN { print ns / 1e9 }')" "$cpu" "$peak" \
    "$(awk -v k="$idle" 'BEGIN { printf "%.1f", k / 1024 }')" "$got" "$total" \
    "$([ "$rc" = 0 ] || echo "  EXIT $rc: $(tail -c 300 "$work/run.out" 2>/dev/null | tr '\n' ' ')")$([ "$left" = "$total" ] || echo "  MAILBOX CHANGED ($left)")"
  { [ "$rc" = 0 ] && [ "$got" = "$total" ] && [ "$left" = "$total" ]; } || failures=$((failures + 1))
  rm -rf "$out"  # keep the disk use flat
}

e2e_header
for round in $(seq "$ROUNDS"); do
  echo "round $round"
  for c in "${clients[@]}"; do
    for s in "${servers[@]}"; do run_pair "$c" "$s"; done
  done
done

echo
printf '%-42s %15s %15s %15s %15s\n' "(best / median; CPU: least / median)" "msg/s" "MB/s" "server CPU s" "peak RSS MB"
for c in "${clients[@]}"; do
  for s in "${servers[@]}"; do
    k=$c:$s
    # shellcheck disable=SC2086
    printf '%-42s %15s %15s %15s %15s\n' "${label[$c]} <- ${label[$s]}" "$(best_median ${rates[$k]})" \
      "$(best_median ${mbs[$k]})" "$(least_median ${cpus[$k]})" "$(printf '%s\n' ${peaks[$k]} | sort -n | tail -1)"
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
[ "$failures" -eq 0 ] || { echo "$failures run(s) failed, lost messages or changed the mailbox"; exit 1; }
