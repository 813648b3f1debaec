#!/usr/bin/env bash
# Installs what building and testing mailwire needs, from Debian's archive.
# Sourced by scripts/demo.sh and scripts/test.sh; safe to run again.
#   scripts/deps.sh [demo|test]     (default: test)
set -euo pipefail

what=${1:-test}
# Compiler, build tools, the test framework, fmt (examples, benchmarks),
# OpenSSL (the examples' TLS), GMime, mimetic, vmime and libetpan (the
# benchmarks' MIME peers; libetpan is the IMAP one too), clang for the
# clang build and the fuzzers, and pkg-config for the consumer tests. The
# interop peers (Postfix, Dovecot, swaks, gsasl...) come from
# tests/interop/peers/install.sh, which knows how to install them quietly.
packages=(g++ cmake ninja-build pkg-config libfmt-dev libssl-dev)
if [ "$what" = test ]; then
  packages+=(catch2 clang libclang-rt-dev libgmime-3.0-dev libmimetic-dev libvmime-dev libetpan-dev)
  # Doxygen for the API reference (the docs target, docs.api_reference) and
  # matplotlib for the benchmark chart (benchmarks/chart.py).
  packages+=(doxygen python3-matplotlib)
  # The optional Asio layer's tests and examples, with both Asios: standalone
  # and Boost's (header-only, Boost.System too since 1.69: no
  # libboost-system-dev).
  packages+=(libasio-dev libboost-dev)
  # Node.js and npm for the interop tests against nodemailer's smtp-server
  # and mailparser (npm modules, installed by the tests into a temp dir).
  # A machine that has node and npm already (from NodeSource, say) keeps them.
  command -v node >/dev/null && command -v npm >/dev/null || packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
peers() { [ "$what" != test ] || "$(dirname "$0")/../tests/interop/peers/install.sh"; }
[ ${#missing[@]} -eq 0 ] && { peers; exit; }

if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  sudo=(sudo)
else
  echo "mailwire needs these Debian packages: ${missing[*]}" >&2
  echo "install them with:  sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
peers
