#!/usr/bin/env bash
# Prints the path of a Traefik binary for the e2e suite (TestTraefikGate),
# building it first when this machine has none. Traefik is not packaged in
# Debian and no release download is reachable here, so it is built from its
# module source on the Go module proxy (go build ./cmd/traefik in a copy of
# it) into a cache outside the repository, which later runs reuse. The first
# build compiles about 2,200 packages: tens of minutes on a small machine.
# Fails, saying why, when it cannot.
#
# v3.0.4 is the version the README's recipe is tested with. v3.7.x cannot
# be built from the proxy alone (its go.mod replaces a module with a
# directory the module zip does not ship, and about 20 of its dependencies
# answer 403).
set -euo pipefail
version=${STACKGATE_TRAEFIK_VERSION:-v3.0.4}
module=github.com/traefik/traefik/v3
cache=${XDG_CACHE_HOME:-$HOME/.cache}/stackgate-ci/traefik-$version
bin=$cache/traefik

if [ -x "$bin" ] && "$bin" version >/dev/null 2>&1; then
  echo "$bin"
  exit 0
fi

command -v go >/dev/null 2>&1 || { echo "traefik.sh: go is not installed: cannot build Traefik $version" >&2; exit 1; }
echo "traefik.sh: building Traefik $version from the Go module proxy into $cache (once per machine)" >&2
start=$(date +%s)
mkdir -p "$cache"
info=$(go mod download -json "$module@$version" 2>&1) || true
dir=$(printf '%s\n' "$info" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
if [ -z "$dir" ]; then
  echo "traefik.sh: go mod download $module@$version failed:" >&2
  printf '%s\n' "$info" | grep -E '"Error"|error|Forbidden' >&2 || printf '%s\n' "$info" >&2
  exit 1
fi
# A fixed source directory: a later build reuses the Go build cache for
# Traefik's own packages too.
src=$cache/src
rm -rf "$src"
cp -r "$dir" "$src"
chmod -R u+w "$src"
cd "$src"
if ! go mod download >"$cache/download.log" 2>&1; then
  echo "traefik.sh: Traefik $version's dependencies could not all be downloaded:" >&2
  grep -iE 'forbidden|error|not found' "$cache/download.log" | head -n 20 >&2
  exit 1
fi
if ! go build -ldflags "-X $module/pkg/version.Version=$version" -o "$bin.tmp" ./cmd/traefik >"$cache/build.log" 2>&1; then
  echo "traefik.sh: go build ./cmd/traefik failed for Traefik $version:" >&2
  tail -n 30 "$cache/build.log" >&2
  rm -f "$bin.tmp"
  exit 1
fi
mv "$bin.tmp" "$bin"
echo "traefik.sh: built $("$bin" version | sed -n 's/^Version:[[:space:]]*//p') in $(( $(date +%s) - start )) s" >&2
echo "$bin"
