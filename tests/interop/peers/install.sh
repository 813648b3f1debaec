#!/usr/bin/env bash
# Installs the Debian packages in packages.txt that are missing.
#   install.sh           install (as root), or print the apt-get line (non-root)
#   install.sh --check   exit 0 if all are installed, 1 otherwise (no changes)
# Non-interactive: Postfix's debconf question is preseeded ("No configuration")
# and no system daemon is started by the install (a temporary policy-rc.d
# returning 101 is created if the machine has none, and removed afterwards).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mapfile -t pkgs < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$here/packages.txt" | grep -v '^$')

# one dpkg-query for all (it exits 1 when it knows a name not at all)
installed=" $(dpkg-query -W -f='${Package}:${Status}\n' "${pkgs[@]}" 2>/dev/null |
  sed -n 's/:install ok installed$//p' | tr '\n' ' ' || true) "
missing=()
for p in "${pkgs[@]}"; do
  case $installed in *" $p "*) ;; *) missing+=("$p") ;; esac
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "peers: all ${#pkgs[@]} packages installed"
  exit 0
fi
[ "${1:-}" = --check ] && { echo "peers: missing: ${missing[*]}"; exit 1; }

line="DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" != 0 ]; then
  echo "peers: missing packages; as root run:" >&2
  echo "  echo 'postfix postfix/main_mailer_type select No configuration' | debconf-set-selections" >&2
  echo "  $line" >&2
  exit 1
fi

policy=/usr/sbin/policy-rc.d
created_policy=
cleanup() { if [ -n "$created_policy" ]; then rm -f "$policy"; fi; }
trap cleanup EXIT
trap "exit 130" INT TERM
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\n# temporary, from mailwire tests/interop/peers/install.sh\nexit 101\n' > "$policy"
  chmod 755 "$policy"
  created_policy=1
fi

echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
export DEBIAN_FRONTEND=noninteractive
# the package lists may be missing (fresh image) or stale: update once, and
# again if the install fails
if ! ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1; then apt-get update -q; fi
echo "peers: $line"
apt-get install -y -q --no-install-recommends "${missing[@]}" ||
  { apt-get update -q && apt-get install -y -q --no-install-recommends "${missing[@]}"; }
