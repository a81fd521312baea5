#!/usr/bin/env bash
# Node.js 24 LTS for this repository, when the machine's own Node is older (Node 20 reached end of
# life on 2026-04-30; CI and the README's commands run on 24).
#
#   source scripts/node.sh          # this shell: Node 24 first on PATH
#   bash scripts/node.sh npm test   # one command under Node 24
#
# Where `node` is already 24 or newer it changes nothing. Otherwise it fetches the official binary
# that the npm registry ships inside the `node-<os>-<arch>` package (the registry is the only
# download this needs), unpacks it into .tools/node-<version>/ (git-ignored) and puts its bin/
# first on PATH. npm itself stays the machine's: it is a script, and runs on whichever `node` is
# first on PATH.
# NODE_VERSION pins the release; a platform whose package lacks that exact version gets the
# newest 24.x.

_ticketing_node() {
  local want_major=24 version=${NODE_VERSION:-24.22.3}
  local root
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  local have
  have=$(node -p 'process.versions.node' 2>/dev/null || echo 0)
  if [ "${have%%.*}" -ge "$want_major" ]; then return 0; fi

  local os arch
  case "$(uname -s)" in Linux) os=linux ;; Darwin) os=darwin ;; *)
    echo "node.sh: no Node $want_major package for $(uname -s); install Node $want_major yourself" >&2
    return 1
    ;;
  esac
  case "$(uname -m)" in x86_64 | amd64) arch=x64 ;; aarch64 | arm64) arch=arm64 ;; *)
    echo "node.sh: no Node $want_major package for $(uname -m); install Node $want_major yourself" >&2
    return 1
    ;;
  esac
  local dir="$root/.tools/node-$version-$os-$arch"
  if [ ! -x "$dir/bin/node" ]; then
    echo "node.sh: Node $have is older than $want_major; installing node-$os-$arch@$version into ${dir#"$root"/}" >&2
    local tmp
    tmp=$(mktemp -d)
    # npm pack checks the tarball against the registry's integrity hash.
    if ! (cd "$tmp" && npm pack --silent "node-$os-$arch@$version" >/dev/null 2>&1); then
      (cd "$tmp" && npm pack --silent "node-$os-$arch@$want_major" >/dev/null) || {
        echo "node.sh: could not fetch node-$os-$arch from the npm registry" >&2
        rm -rf "$tmp"
        return 1
      }
    fi
    mkdir -p "$dir"
    tar -xzf "$tmp"/node-*.tgz -C "$dir" --strip-components=1
    rm -rf "$tmp"
  fi
  export PATH="$dir/bin:$PATH"
  hash -r
  echo "node.sh: using Node $(node -v) from ${dir#"$root"/}" >&2
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  _ticketing_node
  if [ $# -gt 0 ]; then exec "$@"; fi
  node -v
else
  _ticketing_node
fi
