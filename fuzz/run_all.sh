#!/usr/bin/env bash
# Runs every libFuzzer target for SECONDS each, JOBS at a time, on scratch
# copies of the corpora, and prints one line per target: executions, their
# rate per second of wall time and per second of CPU time (on a shared
# machine the second is the one to plan with), coverage (cov, ft), the
# corpus reached, the time 10^7 executions take on one core, crashes.
#
#   fuzz/run_all.sh [--merge-back] [--build-dir DIR] [--targets a,b] [--runs N] [SECONDS] [JOBS]
#
#   SECONDS        per target (default 60; 0: no time limit, with --runs)
#   JOBS           targets run at once (default: nproc); each is one process
#   --merge-back   afterwards, minimise fuzz/corpus/<target> together with
#                  what the run found (libFuzzer -merge=1 -use_counters=0,
#                  inputs capped at max_len) and print cov/ft before and
#                  after: every edge either covered is kept, in as few and
#                  small files as libFuzzer finds; hit-count features (ft)
#                  are not kept (they would multiply the corpus by ten, and
#                  fuzzing regains them). Without --merge-back nothing in
#                  the source tree is written.
#   --build-dir    use this existing libFuzzer build (configured with
#                  MAILWIRE_BUILD_FUZZERS=ON) as it is; by default the fuzz
#                  preset's build/fuzz is configured if needed and built
#   --targets      only these (comma-separated names)
#   --runs N       stop each target after N executions (or SECONDS, if
#                  sooner): `--runs 10000000 0` gives every target 10^7
#
# Inputs are capped at max_len from fuzz/<target>.options. Scratch corpora,
# logs and crash files go to <build>/fuzz/run_all/<target>/. Exits 1 if any
# target crashed (or leaked, timed out, ran out of memory), 2 on misuse.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
merge_back=0
build=""
only=""
runs_limit=-1
positional=()
while [ $# -gt 0 ]; do
  case "$1" in
    --merge-back) merge_back=1 ;;
    --build-dir) build=${2:?--build-dir needs a directory}; shift ;;
    --targets) only=${2:?--targets needs names}; shift ;;
    --runs) runs_limit=${2:?--runs needs a count}; shift ;;
    -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "run_all.sh: unknown option $1" >&2; exit 2 ;;
    *) positional+=("$1") ;;
  esac
  shift
done
seconds=${positional[0]:-60}
jobs=${positional[1]:-$(nproc)}
if ! [[ "$seconds" =~ ^[0-9]+$ && "$jobs" =~ ^[1-9][0-9]*$ && "$runs_limit" =~ ^(-1|[1-9][0-9]*)$ ]] ||
   [ ${#positional[@]} -gt 2 ] || { [ "$seconds" = 0 ] && [ "$runs_limit" = -1 ]; }; then
  echo "usage: fuzz/run_all.sh [--merge-back] [--build-dir DIR] [--targets a,b] [--runs N] [SECONDS] [JOBS]" >&2
  exit 2
fi

if [ -z "$build" ]; then
  build="$root/build/fuzz"
  if [ ! -f "$build/CMakeCache.txt" ]; then
    (cd "$root" && cmake --preset fuzz) || exit 2
  fi
  (cd "$root" && cmake --build --preset fuzz -j "$jobs") || exit 2
fi
build=$(cd "$build" && pwd) || exit 2

# max_len from fuzz/<target>.options.
max_len_of() { sed -n 's/^max_len *= *\([0-9][0-9]*\) *$/\1/p' "$root/fuzz/$1.options"; }
# "N files/K KiB" of a corpus directory (file sizes, not disk blocks).
corpus_size() { find "$1" -type f -printf '%s\n' | awk '{n++; s+=$1} END {printf "%d files/%d KiB", n, (s+1023)/1024}'; }

targets=()
for options in "$root"/fuzz/*.options; do
  t=$(basename "$options" .options)
  if [ -n "$only" ] && [[ ",$only," != *",$t,"* ]]; then continue; fi
  if [ ! -x "$build/fuzz/fuzz_$t" ]; then
    echo "run_all.sh: $build/fuzz/fuzz_$t is missing (not a libFuzzer build?)" >&2
    exit 2
  fi
  targets+=("$t")
done
if [ ${#targets[@]} -eq 0 ]; then
  echo "run_all.sh: no targets" >&2
  exit 2
fi

runs="$build/fuzz/run_all"

# One target: a fresh scratch copy of its corpus, then libFuzzer.
run_one() {
  local t=$1 work="$runs/$1"
  rm -rf "$work"
  mkdir -p "$work/corpus" "$work/artifacts"
  cp -R "$root/fuzz/corpus/$t/." "$work/corpus/"
  "$build/fuzz/fuzz_$t" -max_len="$(max_len_of "$t")" -max_total_time="$seconds" -runs="$runs_limit" \
    -timeout=30 -print_final_stats=1 -artifact_prefix="$work/artifacts/" "$work/corpus" >"$work/log" 2>&1
  echo $? >"$work/rc"
  # CPU seconds of this subshell's children (the fuzzer): "1m2.5s 0m0.3s".
  # (times itself, not in a pipeline: that would be another subshell's.)
  times >"$work/times"
  sed -n 2p "$work/times" | awk '{ for (i = 1; i <= 2; ++i) { split($i, t, /[ms]/); s += t[1] * 60 + t[2] } } END { printf "%.1f\n", s }' >"$work/cpu"
}

# "cov: C ft: F" of a corpus directory, from a run over it and nothing more.
coverage_of() {
  "$build/fuzz/fuzz_$1" -runs=0 -max_len="$(max_len_of "$1")" "$2" 2>&1 |
    sed -n 's/.*INITED cov: \([0-9]*\) ft: \([0-9]*\).*/cov: \1 ft: \2/p'
}

limits="${seconds} s"
[ "$seconds" = 0 ] && limits="no time limit"
[ "$runs_limit" != -1 ] && limits="$limits, $runs_limit executions"
echo "fuzzing ${#targets[@]} targets ($limits each), $jobs at a time; logs in $runs/<target>/log"
running=0
for t in "${targets[@]}"; do
  if [ "$running" -ge "$jobs" ]; then
    wait -n
    running=$((running - 1))
  fi
  run_one "$t" &
  running=$((running + 1))
done
wait

# The table. cov/ft: the last status line libFuzzer printed.
status=0
printf '%-17s %10s %7s %6s %10s %5s %6s %18s %10s  %s\n' target executions exec/s cpu-s exec/cpu-s cov ft corpus "1e7 1 core" crashes
for t in "${targets[@]}"; do
  work="$runs/$t"
  log="$work/log"
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  last=$(grep -E '^#[0-9]+.*cov: [0-9]+' "$log" | tail -1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  if [ -z "$execs" ]; then execs=$(sed -n 's/^#\([0-9]*\).*/\1/p' <<<"$last"); fi
  cpu=$(cat "$work/cpu")
  cpu_rate=$(awk -v e="${execs:-0}" -v c="$cpu" 'BEGIN { if (c > 0 && e > 0) printf "%d", e / c; else print "-" }')
  # 10^7 executions at the CPU rate, in minutes rounded up.
  need=$(awk -v r="$cpu_rate" 'BEGIN { if (r > 0) { m = int((1e7 / r + 59) / 60); printf "%dh%02dm", m / 60, m % 60 } else print "-" }')
  crash=$(find "$work/artifacts" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | head -1)
  if [ -n "$crash" ] || [ "$(cat "$work/rc")" != 0 ]; then
    status=1
    [ -z "$crash" ] && crash="exit $(cat "$work/rc"), see $log"
  else
    crash=0
  fi
  printf '%-17s %10s %7s %6s %10s %5s %6s %18s %10s  %s\n' "$t" "${execs:--}" "${rate:--}" "$cpu" "$cpu_rate" \
    "${cov:--}" "${ft:--}" "$(corpus_size "$work/corpus")" "$need" "$crash"
done

if [ "$merge_back" = 1 ]; then
  echo "merging back into fuzz/corpus/ (libFuzzer -merge=1 -use_counters=0)"
  for t in "${targets[@]}"; do
    work="$runs/$t"
    rm -rf "$work/merged"
    mkdir -p "$work/merged"
    # Into an empty directory, so the tree's corpus is minimised too; crash
    # files are not corpus and stay in artifacts/.
    before="$(coverage_of "$t" "$root/fuzz/corpus/$t"), $(corpus_size "$root/fuzz/corpus/$t")"
    if "$build/fuzz/fuzz_$t" -merge=1 -use_counters=0 -max_len="$(max_len_of "$t")" -timeout=30 \
         -artifact_prefix="$work/artifacts/" "$work/merged" "$root/fuzz/corpus/$t" "$work/corpus" \
         >"$work/merge.log" 2>&1 && [ -n "$(ls -A "$work/merged")" ]; then
      rm -rf "$root/fuzz/corpus/$t"
      cp -R "$work/merged" "$root/fuzz/corpus/$t"
      echo "  $t: before $before; after $(coverage_of "$t" "$root/fuzz/corpus/$t"), $(corpus_size "$root/fuzz/corpus/$t")"
    else
      echo "  $t: merge failed, fuzz/corpus/$t left as it was (see $work/merge.log)" >&2
      status=1
    fi
  done
fi
exit $status
