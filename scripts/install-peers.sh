#!/usr/bin/env bash
# Installs the referee clients Debian 12 lacks, crane (go-containerregistry) and oras, from Debian's
# unstable suite, without adding that suite to apt's sources: apt runs with a state directory of
# its own whose one source is the system's own main archive stanza with its suite changed to sid,
# so no mirror host is written anywhere. The packages are Go binaries that need libc6 only, so
# `apt-get download` + `dpkg -i` pulls in nothing else. Idempotent; needs root.
set -euo pipefail

missing=()
for tool in crane oras; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ ${#missing[@]} -eq 0 ]; then
  echo "crane and oras are installed"
  exit 0
fi
[ "$(id -u)" = 0 ] || { echo "install-peers: needs root to install ${missing[*]}" >&2; exit 1; }

system_sources=/etc/apt/sources.list.d/debian.sources
[ -f "$system_sources" ] || { echo "install-peers: no $system_sources to take the archive from" >&2; exit 1; }

state=$(mktemp -d "${TMPDIR:-/tmp}/ferry-peers.XXXXXX")
trap 'rm -rf "$state"' EXIT
mkdir -p "$state/etc" "$state/lists/partial" "$state/cache/archives/partial"
# The first deb822 stanza is the main archive; keep its URIs and keys, ask for sid's main component.
awk 'BEGIN { RS = ""; ORS = "\n\n" } NR == 1' "$system_sources" |
  sed -E 's/^Suites:.*/Suites: sid/; s/^Components:.*/Components: main/' >"$state/etc/sid.sources"

apt_options=(
  -o Dir::Etc::SourceList=/dev/null
  -o "Dir::Etc::SourceParts=$state/etc"
  -o "Dir::State::Lists=$state/lists"
  -o "Dir::Cache=$state/cache"
  -o APT::Sandbox::User=root
)
apt-get "${apt_options[@]}" update -qq
(cd "$state" && apt-get "${apt_options[@]}" download "${missing[@]}" >/dev/null)
dpkg -i "$state"/*.deb >/dev/null
echo "installed: ${missing[*]} ($(oras version 2>/dev/null | sed -n 's/^Version: *//p'))"
