#!/usr/bin/env bash
# Installs the system packages Lineclose's tests and demo use, on Debian as root.
# Elsewhere it says what is missing; the suites that need it then skip with a reason.
set -euo pipefail

packages=(postgresql osmo-hlr kannel kannel-extras fonts-wqy-microhei poppler-utils chromium libzbar0 curl redis-server)

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Kannel and osmo-hlr ship services; policy-rc.d keeps them from starting on their
  # default ports: the tests start their own on loopback.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "not root on Debian: missing system packages ${missing[*]}; the suites needing them will skip"
fi
