#!/usr/bin/env bash
# mailwire-bench-mime with the peers that are scripts, in the same run and
# the same table: Python's email (python3) and Node's mailparser and
# postal-mime (npm ci of benchmarks/node into a temp dir by
# node/node_peers.sh; skipped with a note when node, npm or the registry is
# not there). The corpus is written to the temp dir for them; the C/C++
# peers run as the benchmark was built.
#
#   benchmarks/mime_peers.sh path/to/mailwire-bench-mime [--size MB] [--smoke]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bench=${1:?usage: mime_peers.sh path/to/mailwire-bench-mime [benchmark options]}
shift
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
. "$here/node/node_peers.sh"

peers=()
if command -v python3 >/dev/null; then
  v=$(python3 -c 'import platform; print(platform.python_version())')
  peers+=(--peer "Python $v email (policy.default)=python3 '$here/competitors/python_email.py'")
else
  echo "note: python3 not found: Python's email is skipped" >&2
fi
if node_peers "$work/node" "Node's mailparser and postal-mime are" mime_peer.mjs; then
  for p in mailparser postal-mime; do
    v=$(node -p "require('$work/node/node_modules/$p/package.json').version")
    peers+=(--peer "Node $p $v=node '$work/node/mime_peer.mjs' $p")
  done
fi

"$bench" --write-corpus "$work/corpus" "${peers[@]}" "$@"
