#!/usr/bin/env bash
# Run before `npm test` (the `pretest` script): installs the Debian packages whose commands the
# tests run (listed in system-packages.txt), or stops at once with the one command to run.
# Uses only shell builtins besides apt-get, so a PATH without apt-get really means "no apt".
set -euo pipefail

here=.
[[ "${BASH_SOURCE[0]}" == */* ]] && here="${BASH_SOURCE[0]%/*}"
# The list can be swapped for another one (the tests of this script do).
list="${SYSTEM_PACKAGES_LIST:-$here/system-packages.txt}"
missing=()
lean=()
while read -r command package flag _; do
  [[ -z "$command" || "$command" == \#* ]] && continue
  command -v "$command" >/dev/null && continue
  missing+=("$package")
  [[ "$flag" == lean ]] && lean+=("$package")
done <"$list"
((${#missing[@]} == 0)) && exit 0

install="apt-get update && apt-get install -y ${missing[*]}"
if ! command -v apt-get >/dev/null; then
  echo "The tests need ${missing[*]} (Debian packages) and this machine has no apt-get: install them, then run npm test again." >&2
  exit 1
fi
if ((EUID != 0)); then
  echo "The tests need ${missing[*]}: as root, run \`$install\`, then npm test again." >&2
  exit 1
fi

echo "Installing what the tests need: $install" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
full=()
for package in "${missing[@]}"; do
  [[ " ${lean[*]} " == *" $package "* ]] || full+=("$package")
done
((${#full[@]} == 0)) || apt-get install -y -qq "${full[@]}" >/dev/null
((${#lean[@]} == 0)) || apt-get install -y -qq --no-install-recommends "${lean[@]}" >/dev/null
