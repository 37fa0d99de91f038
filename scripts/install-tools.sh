#!/usr/bin/env bash
# Installs the pinned end-to-end test tools (NOT dependencies of the extension):
#   - code-server 4.100.3 (VS Code 1.100.3 workbench + server) into tools/code-server/node_modules,
#     from the committed lockfile tools/code-server/package-lock.json;
#   - checks Debian's chromium (driven by playwright-core) is present.
# Idempotent: does nothing when the pinned code-server already answers --version.
# See the team notes (shared/docs/e2e-recipe.md) (path A) for why each workaround is here.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
TOOLS="$ROOT/tools/code-server"
CS_BIN="$TOOLS/node_modules/.bin/code-server"
CS_VERSION="4.100.3"

# code-server --version writes a default config.yaml and coder-logs into the home folder
# unless XDG_* point elsewhere: keep the probe side-effect free.
cs_version() {
  local scratch rc=0
  scratch="$(mktemp -d)"
  XDG_CONFIG_HOME="$scratch/config" XDG_DATA_HOME="$scratch/data" "$CS_BIN" --version 2>/dev/null | grep -v '^\[' || rc=$?
  rm -rf "$scratch"
  return $rc
}

chromium_check() {
  if [ -x /usr/bin/chromium ]; then
    echo "install-tools: chromium present (/usr/bin/chromium)"
  else
    echo "install-tools: WARNING /usr/bin/chromium is missing; the e2e tests need it. Install with:" >&2
    echo "  apt-get update && apt-get install -y --no-install-recommends chromium ripgrep libkrb5-dev" >&2
  fi
}

if [ -x "$CS_BIN" ] && v="$(cs_version)" && grep -q "^$CS_VERSION " <<<"$v"; then
  echo "install-tools: code-server already installed: $v"
  chromium_check
  exit 0
fi

start=$(date +%s)
echo "install-tools: installing code-server $CS_VERSION into $TOOLS"

# @vscode/ripgrep 1.15.11 (inside code-server 4.100.3) downloads ripgrep from GitHub in its
# postinstall, which is unreachable here. It first looks in os.tmpdir()/vscode-ripgrep-cache-<ver>/,
# so seed that cache with Debian's rg, packed under the asset name it expects.
RG_PKG_VERSION="1.15.11"
RG_RELEASE="v13.0.0-10"
case "$(node -p process.arch)" in
  x64) RG_TARGET="x86_64-unknown-linux-musl" ;;
  arm64) RG_TARGET="aarch64-unknown-linux-musl" ;;
  *) RG_TARGET="" ;;
esac
if [ -z "$RG_TARGET" ] || [ "$(uname -s)" != "Linux" ]; then
  echo "install-tools: no ripgrep cache seeding for $(uname -s)/$(node -p process.arch); the postinstall will try to download" >&2
elif [ ! -x /usr/bin/rg ]; then
  echo "install-tools: /usr/bin/rg is missing; install it with: apt-get install -y --no-install-recommends ripgrep" >&2
  exit 1
else
  RGC="$(node -p 'require("os").tmpdir()')/vscode-ripgrep-cache-$RG_PKG_VERSION"
  ASSET="$RGC/ripgrep-$RG_RELEASE-$RG_TARGET.tar.gz"
  if [ ! -s "$ASSET" ]; then
    tmp="$(mktemp -d)"
    cp /usr/bin/rg "$tmp/rg"
    mkdir -p "$RGC"
    tar czf "$ASSET" -C "$tmp" rg
    rm -rf "$tmp"
    echo "install-tools: seeded ripgrep cache $ASSET"
  fi
fi

if ! dpkg -s libkrb5-dev >/dev/null 2>&1 && [ ! -f /usr/include/gssapi/gssapi.h ]; then
  echo "install-tools: WARNING libkrb5-dev seems missing; the kerberos native module will fail to build." >&2
  echo "  apt-get install -y --no-install-recommends libkrb5-dev" >&2
fi

# npm_config_yes: node-pty's postinstall runs `npx node-gyp` (the user npmrc may say yes=false).
# npm_config_unsafe_perm: code-server's postinstall refuses to run as root without it.
(cd "$TOOLS" && npm_config_yes=true npm_config_unsafe_perm=true npm ci --no-audit --no-fund)

v="$(cs_version)"
echo "install-tools: $v (installed in $(( $(date +%s) - start )) s)"
chromium_check
