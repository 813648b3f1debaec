#!/usr/bin/env bash
# Quick start, command 1: install what is missing, build the examples in
# release mode and run the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh demo
cmake --preset release >/dev/null
cmake --build --preset release --target mailwire-demo
exec build/release/examples/mailwire-demo
