#!/usr/bin/env bash
# mailwire-bench-imap with imapflow's response parser (Node) in the same run
# and the same tables: npm ci of benchmarks/node into a temp dir by
# node/node_peers.sh (the version its package-lock.json pins), then two
# peers: imapflow's framing and parser alone ("parse"), and with the message
# objects ImapFlow.fetch() yields ("fetch"). Skipped with a note when node,
# npm or the registry is not there. The benchmark writes the streams to a
# temp dir for them; libetpan runs as the benchmark was built.
#
#   benchmarks/imap_peers.sh path/to/mailwire-bench-imap [--messages N] [--smoke] [...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bench=${1:?usage: imap_peers.sh path/to/mailwire-bench-imap [benchmark options]}
shift
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
. "$here/node/node_peers.sh"

peers=()
if node_peers "$work/node" "imapflow is" imap_peer.mjs; then
  v=$(node -p "require('$work/node/node_modules/imapflow/package.json').version")
  peers+=(--peer "imapflow $v (ImapStream + parser)=node '$work/node/imap_peer.mjs' parse")
  peers+=(--peer "imapflow $v (+ formatMessageResponse)=node '$work/node/imap_peer.mjs' fetch")
fi

"$bench" "${peers[@]}" "$@"
