#!/usr/bin/env bash
# Installs the Debian packages that shipped scenarios read text from, if any is missing: the
# fortune files of scenarios/comigs-languages.yaml (English, German, Italian, Spanish).
set -euo pipefail
packages=(fortunes fortunes-de fortunes-it fortunes-es)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing: ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
