#!/usr/bin/env bash
# Set-up for a fresh Debian 12 machine: the packages darkscope builds and is
# tested with, and a real GeoIP country database (pinned and checksummed).
# Idempotent: a second run installs nothing new.
set -euo pipefail
cd "$(dirname "$0")/.."

# libclang-rt-14-dev: clang's sanitizer and libFuzzer runtimes (clang only
# recommends it, and recommendations are not installed)
PKGS=(build-essential clang libclang-rt-14-dev clang-format pkg-config libpcap-dev libmaxminddb-dev
      libzstd-dev zlib1g-dev libsqlite3-dev libxxhash-dev sqlite3 tshark tcpdump wireshark-common mmdb-bin iso-codes
      nfdump zstd gzip jq time procps libmaxmind-db-writer-perl libcairo2-dev fonts-dejavu-core
      poppler-utils chromium)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
command -v npm >/dev/null || missing+=(npm)   # nodejs images bring their own npm
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The country database: ip-location-db's geo-whois-asn-country (CC0, built
# from NRO statistics), from the npm registry at a pinned version.
GEO_PKG=@ip-location-db/geo-whois-asn-country-mmdb
GEO_VER=2.3.2026061719
GEO_TGZ_SHA256=91757a1b06cdcd1955f292e4c4cfc54e091204f998e159a3187f7a2ef3724be0
GEO_MMDB_SHA256=c5f7c0e9bd6a6ccb5a2e9634764544a0d08bd0bd8788b8aedfac87bea184c652
GEO_DIR=var/geo
if ! echo "$GEO_MMDB_SHA256  $GEO_DIR/country.mmdb" | sha256sum -c --status 2>/dev/null; then
  mkdir -p "$GEO_DIR"
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "$GEO_PKG@$GEO_VER" >/dev/null 2>&1)
  tgz=$(ls "$tmp"/*.tgz)
  echo "$GEO_TGZ_SHA256  $tgz" | sha256sum -c --status || { echo "setup: $tgz: checksum mismatch" >&2; exit 1; }
  tar xzf "$tgz" -C "$tmp"
  cp "$tmp/package/geo-whois-asn-country.mmdb" "$GEO_DIR/country.mmdb"
  cp "$tmp/package/NRO_LICENSE" "$GEO_DIR/NRO_LICENSE"
  rm -rf "$tmp"
  echo "$GEO_MMDB_SHA256  $GEO_DIR/country.mmdb" | sha256sum -c --status || { echo "setup: country.mmdb: checksum mismatch" >&2; exit 1; }
  echo "setup: GeoIP database in $GEO_DIR/country.mmdb ($GEO_PKG $GEO_VER)"
fi

make -j"$(nproc)" >/dev/null
echo "setup: built build/darkscope"
