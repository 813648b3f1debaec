#!/usr/bin/env bash
# End to end on loopback: mailwire-smtp-server against Postfix's smtp-sink
# under the same smtp-source load, messages per second side by side.
#
#   benchmarks/smtp_e2e.sh [PATH/TO/mailwire-smtp-server]
#       (default: build/release/examples/mailwire-smtp-server)
#
# Contenders, each started fresh on a free 127.0.0.1 port for every run:
#   smtp-sink          Postfix's test server: reads the data, throws it away
#   mailwire --sink    the same work: accept, count, discard
#   mailwire --no-fsync  Maildir, tmp/ then rename into new/, no fsync
#   mailwire Maildir   the default: fsync before the rename and the 250
# Two loads, both `smtp-source -s SESSIONS` (concurrent sessions, one
# message each, numbered recipients with -N):
#   small  -m MESSAGES -l LENGTH        (default 2000 x 2048 bytes)
#   large  -m BIG_MESSAGES -l BIG_LENGTH (default 300 x 100 KB)
# ROUNDS rounds (default 3); within a round the contenders run back to
# back, so a busy machine hurts all of them alike. Every run checks that
# nothing was lost: smtp-sink's own message counter (-c), our log lines
# (--sink), or the files in new/ (Maildir), must equal MESSAGES.
# Prints every run, then best and median msg/s per contender and load.
# Environment: ROUNDS SESSIONS MESSAGES LENGTH BIG_MESSAGES BIG_LENGTH,
# WORK (a directory on the disk to measure; default a new one under /tmp).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
server=${1:-$here/../build/release/examples/mailwire-smtp-server}
ROUNDS=${ROUNDS:-3}
SESSIONS=${SESSIONS:-20}
MESSAGES=${MESSAGES:-2000}
LENGTH=${LENGTH:-2048}
BIG_MESSAGES=${BIG_MESSAGES:-300}
BIG_LENGTH=${BIG_LENGTH:-102400}

die() { echo "smtp_e2e.sh: $*" >&2; exit 1; }
[ -x "$server" ] || die "$server not built (cmake --preset release && cmake --build build/release --target mailwire-smtp-server)"
sink=$(command -v smtp-sink || echo /usr/sbin/smtp-sink)
source=$(command -v smtp-source || echo /usr/sbin/smtp-source)
[ -x "$sink" ] && [ -x "$source" ] || die "smtp-sink/smtp-source not found (Debian: apt-get install postfix)"

work=${WORK:-$(mktemp -d /tmp/mailwire-e2e.XXXXXX)}
mkdir -p "$work"
chmod 755 "$work"  # smtp-sink drops to nobody
pid=
cleanup() {
  if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
  [ -n "${WORK:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
accepts() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# start_CONTENDER: sets pid and port, or returns 1
start_smtp_sink() {
  local tries user=()
  [ "$(id -u)" = 0 ] && user=(-u nobody)  # it refuses to run as root
  for tries in 1 2 3; do
    port=$(free_port)
    # -c: counters (sess, quit, mesg) on stdout, rewritten after each "."
    "$sink" "${user[@]}" -c "127.0.0.1:$port" 256 >"$work/run.out" 2>&1 &
    pid=$!
    for _ in $(seq 100); do accepts "$port" && return 0; kill -0 "$pid" 2>/dev/null || break; sleep 0.02; done
    kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; pid=
  done
  return 1
}
# A new Maildir for every run, all removed at the end only: ext4 allocates
# new inodes slowly for a while after many were deleted (it skips recently
# freed ones), which would slow down the runs after a cleanup.
runs=0
next_maildir() { runs=$((runs + 1)); maildir=$work/Maildir.$runs; }
start_mailwire() {  # extra server options
  "$server" --listen 127.0.0.1:0 "$@" >"$work/run.out" 2>"$work/run.log" &
  pid=$!
  for _ in $(seq 250); do
    port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$work/run.out")
    [ -n "$port" ] && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.02
  done
  cat "$work/run.log" >&2
  return 1
}
start_mailwire_sink() { start_mailwire --sink; }
start_mailwire_nofsync() { next_maildir; start_mailwire --maildir "$maildir" --no-fsync; }
start_mailwire_maildir() { next_maildir; start_mailwire --maildir "$maildir"; }

# received_CONTENDER: how many messages the server got
received_smtp_sink() { tr '\r' '\n' <"$work/run.out" | sed -n 's/.*mesg=\([0-9]*\).*/\1/p' | tail -1; }
received_mailwire_sink() { grep -c ' discarded #' "$work/run.log"; }
received_mailwire_nofsync() { find "$maildir/new" -type f | wc -l; }
received_mailwire_maildir() { received_mailwire_nofsync; }

contenders=(smtp_sink mailwire_sink mailwire_nofsync mailwire_maildir)
declare -A label=([smtp_sink]="smtp-sink" [mailwire_sink]="mailwire --sink"
                  [mailwire_nofsync]="mailwire --no-fsync" [mailwire_maildir]="mailwire Maildir+fsync")
declare -A rates  # "load contender" -> space-separated msg/s
failures=0

run_one() {  # load contender messages length
  local load=$1 who=$2 n=$3 len=$4 t0 t1 got rate
  "start_$who" || { echo "  $load ${label[$who]}: did not start"; failures=$((failures + 1)); return; }
  t0=$(date +%s%N)
  if ! timeout 300 "$source" -s "$SESSIONS" -m "$n" -l "$len" -N -f from@example.com -t to@example.com \
      "127.0.0.1:$port" >"$work/source.log" 2>&1; then
    echo "  $load ${label[$who]}: smtp-source failed: $(tail -3 "$work/source.log")"
    failures=$((failures + 1))
  fi
  t1=$(date +%s%N)
  sleep 0.05  # smtp-sink updates its counter after the reply to "."
  kill -TERM "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  pid=
  got=$("received_$who")
  rate=$(awk -v n="$n" -v ns=$((t1 - t0)) 'BEGIN { printf "%.0f", n / (ns / 1e9) }')
  rates["$load $who"]+="$rate "
  printf '  %-6s %-24s %6s msg/s  %5.2f s  received %s/%s%s\n' "$load" "${label[$who]}" "$rate" \
    "$(awk -v ns=$((t1 - t0)) 'BEGIN { print ns / 1e9 }')" "$got" "$n" "$([ "$got" = "$n" ] || echo '  LOST')"
  [ "$got" = "$n" ] || failures=$((failures + 1))
}

echo "smtp-source -s $SESSIONS: small -m $MESSAGES -l $LENGTH, large -m $BIG_MESSAGES -l $BIG_LENGTH; $ROUNDS rounds; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$ROUNDS"); do
  echo "round $round"
  for who in "${contenders[@]}"; do run_one small "$who" "$MESSAGES" "$LENGTH"; done
  for who in "${contenders[@]}"; do run_one large "$who" "$BIG_MESSAGES" "$BIG_LENGTH"; done
done

echo
printf '%-26s %18s %18s\n' "msg/s (best / median)" "small ($LENGTH B)" "large ($BIG_LENGTH B)"
for who in "${contenders[@]}"; do
  line=$(printf '%-26s' "${label[$who]}")
  for load in small large; do
    # shellcheck disable=SC2086
    line+=$(printf ' %18s' "$(printf '%s\n' ${rates["$load $who"]} | sort -n |
      awk '{ v[NR] = $1 } END { if (NR) printf "%d / %d", v[NR], v[int((NR + 1) / 2)] }')")
  done
  echo "$line"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
[ "$failures" -eq 0 ] || { echo "$failures run(s) failed or lost messages"; exit 1; }
