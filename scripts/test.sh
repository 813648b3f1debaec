#!/usr/bin/env bash
# Quick start, command 2: install what is missing, then build and run every
# test in every configuration CI checks:
#   dev          g++, C++17, warnings as errors: unit tests, transcripts,
#                header self-containment, consumers (find_package,
#                FetchContent, add_subdirectory, vcpkg port), fuzz corpus
#                replays, examples and a benchmark smoke run
#   asan-ubsan   the same under AddressSanitizer + UndefinedBehaviorSanitizer
#   clang-cxx20  clang++ in C++20
#   noexcept     g++ with -fno-exceptions
#   fuzz         clang libFuzzer targets, a short run each
# Ends with one line "total: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh test || exit 1

passed=0
failed=0
status=0
for preset in dev asan-ubsan clang-cxx20 noexcept fuzz; do
  echo "=== $preset ==="
  log=$(mktemp)
  cmake --workflow --preset "$preset" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  # ctest's summary: "100% tests passed, 0 tests failed out of 42"
  summary=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -1)
  rm -f "$log"
  if [ -n "$summary" ]; then
    total=$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$summary")
    bad=$(sed -E 's/.*passed, ([0-9]+) tests? failed.*/\1/' <<<"$summary")
    passed=$((passed + total - bad))
    failed=$((failed + bad))
  fi
  if [ "$rc" -ne 0 ]; then
    echo "=== $preset FAILED ($rc) ==="
    status=1
    [ -z "$summary" ] && failed=$((failed + 1))  # a build that failed before testing
  fi
done
echo "total: $passed passed, $failed failed"
exit $status
