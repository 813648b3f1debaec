# Sourced by benchmarks/mime_peers.sh and imap_peers.sh.
#
# node_peers DIR WHAT FILE...: when node and npm are there, copies this
# folder's package.json and package-lock.json and its FILEs (the peer
# scripts) into DIR and runs npm ci there, which installs the versions the
# lock pins (the cache first and no long retries: offline, this fails fast).
# Otherwise, or when npm ci fails, says on stderr that WHAT is skipped and
# returns 1.
node_peers() {
  local dir=$1 what=$2 here f
  shift 2
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "note: node or npm not found: $what skipped" >&2
    return 1
  fi
  mkdir -p "$dir"
  cp "$here/package.json" "$here/package-lock.json" "$dir/"
  for f in "$@"; do cp "$here/$f" "$dir/"; done
  if ! timeout 120 npm ci --ignore-scripts --no-audit --no-fund --prefer-offline --fetch-retries=1 \
    --fetch-timeout=15000 --prefix "$dir" >"$dir/npm.log" 2>&1; then
    echo "note: npm ci failed (offline?): $what skipped: $(tail -1 "$dir/npm.log")" >&2
    return 1
  fi
}
