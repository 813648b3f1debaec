#!/usr/bin/env bash
# stop.sh DIR
#
# Stops the servers that start.sh DIR started, by the PID files in DIR/run
# (never by process name): TERM to the Postfix and Dovecot masters and the
# aiosmtpd sink, each with its process group, then waits (up to 10 s) until
# they and every process left in their groups have exited, and KILLs what is
# left after that. Keeps DIR (mail, logs). Safe to call twice, or on a DIR
# where start.sh failed.
# Exit status 1 if something could not be stopped.
set -uo pipefail
[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
[ -d "$1" ] || exit 0
DIR=$(cd "$1" && pwd)
RUN=$DIR/run
T0=$(date +%s%N)

# A process that has exited but is not yet reaped (a zombie: its parent,
# often init after a daemon detached, reaps it later) counts as gone.
alive() {
  local line
  { read -r line < "/proc/$1/stat"; } 2>/dev/null || return 1
  line=${line##*) }              # after "pid (comm) ": state ppid pgrp ...
  case $line in Z*|X*) return 1 ;; esac
}

pids=()    # masters we signalled
groups=()  # their process groups (when the master leads its own group)
names=()

signal_service() { # NAME EXE-GLOB PIDFILE...: TERM the first live PID that runs EXE
  local name=$1 exe_glob=$2 f pid exe pgrp line
  shift 2
  for f in "$@"; do
    [ -f "$f" ] || continue
    pid=$(tr -d ' \n' < "$f")
    case $pid in ''|*[!0-9]*) continue ;; esac
    alive "$pid" || continue
    exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || continue
    # shellcheck disable=SC2254
    case $exe in $exe_glob) ;; *) echo "stop.sh: $f: pid $pid is $exe, not $name; left alone" >&2; continue ;; esac
    read -r line < "/proc/$pid/stat" || continue
    line=${line##*) }
    pgrp=$(set -- $line; echo "$3")
    # a master that leads its own process group (all three do: the daemons
    # and the sink call setsid) gets TERM together with its children; Dovecot
    # takes ~1 s to shut down when only its master is signalled
    if [ "$pgrp" = "$pid" ]; then
      kill -TERM -- "-$pid" 2>/dev/null || continue
      groups+=("$pgrp")
    else
      kill -TERM "$pid" 2>/dev/null || continue
    fi
    pids+=("$pid"); names+=("$name")
    return 0
  done
}

signal_service aiosmtpd '*/python3*' "$RUN/aiosmtpd.pid"
signal_service postfix '*/master' "$RUN/postfix.pid" "$DIR/postfix/spool/pid/master.pid"
signal_service dovecot '*/dovecot' "$RUN/dovecot.pid" "$DIR/dovecot/run/master.pid"

remaining() { # prints the live (not zombie) masters and members of their groups
  ps -e -o pid=,pgid=,stat= | awk -v pids=" ${pids[*]} " -v groups=" ${groups[*]} " \
    '$3 !~ /^[ZX]/ && (index(pids, " " $1 " ") || index(groups, " " $2 " ")) { print $1 }'
}

left=
if [ ${#pids[@]} -gt 0 ]; then
  deadline=$(( $(date +%s%N) + 10000000000 ))
  while left=$(remaining | sort -u | tr '\n' ' '); [ -n "$left" ]; do
    [ "$(date +%s%N)" -ge $deadline ] && break
    sleep 0.05
  done
  if [ -n "$left" ]; then
    echo "stop.sh: still running after 10 s, sending KILL: $left" >&2
    for g in "${groups[@]}"; do kill -KILL -- "-$g" 2>/dev/null; done
    for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
    sleep 0.5
    left=$(remaining | sort -u | tr '\n' ' ')
  fi
fi

rm -f "$RUN"/*.pid
# the short symlink start.sh made for a long DIR (the link only, not DIR)
link_dir=$(cat "$RUN/short-link" 2>/dev/null)
case $link_dir in
  /tmp/mailwire-peers.*) rm -f "$link_dir/d"; rmdir "$link_dir" 2>/dev/null ;;
esac
rm -f "$RUN/short-link"

T1=$(date +%s%N)
if [ ${#pids[@]} -gt 0 ]; then
  echo "stopped ${names[*]} in $(( (T1 - T0) / 1000000 )) ms"
fi
if [ -n "$left" ]; then
  echo "stop.sh: could not stop: $left" >&2
  exit 1
fi
exit 0
