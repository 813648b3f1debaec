#!/usr/bin/env bash
# mailwire-bench-mime with the peers that are scripts, in the same run and
# the same table: Python's email (python3) and Node's mailparser and
# postal-mime (npm ci of benchmarks/node into a temp dir; skipped with a
# note when node, npm or the registry is not there). The corpus is written
# to the temp dir for them; the C/C++ peers run as the benchmark was built.
#
#   benchmarks/mime_peers.sh path/to/mailwire-bench-mime [--size MB] [--smoke]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bench=${1:?usage: mime_peers.sh path/to/mailwire-bench-mime [benchmark options]}
shift
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

peers=()
if command -v python3 >/dev/null; then
  v=$(python3 -c 'import platform; print(platform.python_version())')
  peers+=(--peer "Python $v email (policy.default)=python3 '$here/competitors/python_email.py'")
else
  echo "note: python3 not found: Python's email is skipped" >&2
fi
if command -v node >/dev/null && command -v npm >/dev/null; then
  mkdir "$work/node"
  cp "$here/node/package.json" "$here/node/package-lock.json" "$here/node/mime_peer.mjs" "$work/node/"
  # The cache first and no long retries: offline, this fails fast.
  if timeout 120 npm ci --ignore-scripts --no-audit --no-fund --prefer-offline --fetch-retries=1 \
    --fetch-timeout=15000 --prefix "$work/node" >"$work/npm.log" 2>&1; then
    for p in mailparser postal-mime; do
      v=$(node -p "require('$work/node/node_modules/$p/package.json').version")
      peers+=(--peer "Node $p $v=node '$work/node/mime_peer.mjs' $p")
    done
  else
    echo "note: npm ci failed (offline?): Node's mailparser and postal-mime are skipped: $(tail -1 "$work/npm.log")" >&2
  fi
else
  echo "note: node or npm not found: Node's mailparser and postal-mime are skipped" >&2
fi

"$bench" --write-corpus "$work/corpus" "${peers[@]}" "$@"
