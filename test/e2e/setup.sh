#!/usr/bin/env bash
# Installs everything the Flowdeck end-to-end tests need: Debian packages (chromium, kerberos headers,
# ripgrep) and code-server 4.100.3 (= VS Code 1.100.3) from the npm registry with its native modules
# rebuilt locally (its postinstall downloads ripgrep from the internet, which cannot work here).
#
# Idempotent and cached: a second run checks a marker file + the binary and exits in about a second.
# Works non-interactively (CI=true, no stdin). Downloads only from the npm registry and Debian apt.
#
# Env:
#   FLOWDECK_E2E_CACHE   cache root (default: $HOME/.cache/flowdeck-e2e)
#   FLOWDECK_E2E_FORCE=1 rebuild code-server even if the marker is present
# Prints the code-server install dir on the last line of stdout as CODE_SERVER_DIR=...
set -euo pipefail

START_TS=$(date +%s)
CS_VERSION="${FLOWDECK_E2E_CODE_SERVER:-4.100.3}"
CACHE_ROOT="${FLOWDECK_E2E_CACHE:-$HOME/.cache/flowdeck-e2e}"
CS_DIR="$CACHE_ROOT/code-server-$CS_VERSION"
MARKER="$CS_DIR/.flowdeck-e2e-ready"
CS_ENTRY="$CS_DIR/node_modules/code-server/out/node/entry.js"
APT_PACKAGES=(chromium libkrb5-dev ripgrep build-essential python3 pkg-config fonts-liberation fonts-noto-color-emoji ca-certificates)

export DEBIAN_FRONTEND=noninteractive
export npm_config_yes=true npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
export npm_config_loglevel="${npm_config_loglevel:-warn}"

log() { printf '[e2e-setup +%ss] %s\n' "$(( $(date +%s) - START_TS ))" "$*" >&2; }
finish() { log "done in $(( $(date +%s) - START_TS ))s"; echo "CODE_SERVER_DIR=$CS_DIR/node_modules/code-server"; }

SUDO=()
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=(sudo -n); else log "warning: not root and no sudo; apt steps may fail"; fi
fi

mkdir -p "$CACHE_ROOT"
exec 9>"$CACHE_ROOT/.setup.lock"
flock 9   # parallel runs wait for each other instead of installing twice

# ---------------------------------------------------------------------------------------------- apt
pkg_installed() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]; }
missing=()
for p in "${APT_PACKAGES[@]}"; do pkg_installed "$p" || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  log "apt: installing ${missing[*]}"
  "${SUDO[@]}" apt-get -o DPkg::Lock::Timeout=300 update -q </dev/null
  "${SUDO[@]}" apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends "${missing[@]}" </dev/null
else
  log "apt: all packages present (${APT_PACKAGES[*]})"
fi
command -v rg >/dev/null || { log "ripgrep (rg) missing after apt"; exit 1; }
[ -x /usr/bin/chromium ] || { log "/usr/bin/chromium missing after apt"; exit 1; }

# ------------------------------------------------------------------------------------- code-server
is_ready() {
  [ -f "$MARKER" ] && grep -qx "code-server@$CS_VERSION node@$(node --version)" "$MARKER" \
    && [ -f "$CS_ENTRY" ] \
    && grep -q "^$CS_VERSION " <<<"$(cs_version)"
}
# code-server writes a default config file on first start (and prints a log line about it), so point it
# at one inside the cache instead of ~/.config/code-server/config.yaml.
cs_version() { node "$CS_ENTRY" --config "$CS_DIR/config.yaml" --version 2>/dev/null; }

if [ "${FLOWDECK_E2E_FORCE:-0}" != 1 ] && is_ready; then
  log "code-server $CS_VERSION already installed in $CS_DIR"
  finish; exit 0
fi

# Node headers for node-gyp: never download them (no internet); use the ones that ship with node
# (Debian's/NodeSource's node puts them in /usr/include/node).
NODEDIR="${npm_config_nodedir:-}"
if [ -z "$NODEDIR" ]; then
  for d in "$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")" /usr /usr/local; do
    if [ -f "$d/include/node/node.h" ]; then NODEDIR="$d"; break; fi
  done
fi
[ -n "$NODEDIR" ] || log "warning: no local node headers found; node-gyp will try to download them"
log "node-gyp nodedir: ${NODEDIR:-<default>}"

# npm's bundled node-gyp (npx would try to fetch one and ask for confirmation).
NODE_GYP_JS="$(npm root -g)/npm/node_modules/node-gyp/bin/node-gyp.js"
node_gyp() {
  local args=("$@"); [ -n "$NODEDIR" ] && args+=("--nodedir=$NODEDIR")
  if [ -f "$NODE_GYP_JS" ]; then node "$NODE_GYP_JS" "${args[@]}"; else npm exec --yes -- node-gyp "${args[@]}"; fi
}

# Build in a scratch dir and move it into place at the end, so a failed run leaves nothing half-done.
WORK="$CS_DIR.partial"
rm -rf "$WORK" "$CS_DIR"
mkdir -p "$WORK/logs"
cd "$WORK"
printf '{ "name": "flowdeck-e2e-code-server", "private": true }\n' > package.json

log "npm install --ignore-scripts code-server@$CS_VERSION"
npm install --ignore-scripts --no-save --no-package-lock "code-server@$CS_VERSION" </dev/null
wanted_major=$(node -p 'require("./node_modules/code-server/package.json").engines?.node ?? ""')
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ -z "$wanted_major" ] || [ "$node_major" = "$wanted_major" ] || log "warning: code-server $CS_VERSION declares Node $wanted_major, this is Node $(node --version)"
log "npm rebuild argon2"
# argon2's install script (node-pre-gyp) fails to download a prebuilt binary and falls back to a build.
if [ -n "$NODEDIR" ]; then npm_config_nodedir="$NODEDIR" npm rebuild argon2 </dev/null; else npm rebuild argon2 </dev/null; fi

VS="$WORK/node_modules/code-server/lib/vscode"
cd "$VS"
# Some VS Code releases (1.106) take @parcel/watcher from a commit on GitHub, which cannot be fetched here: the registry's
# release stands in (its native module is rebuilt below like the others).
if grep -q '"@parcel/watcher": "parcel-bundler/watcher#' package.json; then
  log "lib/vscode: @parcel/watcher from the npm registry instead of GitHub"
  node -e '
    const fs = require("fs");
    const edit = (file, change) => { const j = JSON.parse(fs.readFileSync(file, "utf8")); change(j); fs.writeFileSync(file, JSON.stringify(j, null, 2)); };
    edit("package.json", (p) => { p.dependencies["@parcel/watcher"] = "^2.5.1"; });
    edit("npm-shrinkwrap.json", (w) => { delete w.packages["node_modules/@parcel/watcher"]; w.packages[""].dependencies["@parcel/watcher"] = "^2.5.1"; });'
fi
log "lib/vscode: npm install --omit=dev --ignore-scripts"
npm install --omit=dev --ignore-scripts </dev/null

log "lib/vscode: ripgrep from /usr/bin/rg"
mkdir -p node_modules/@vscode/ripgrep/bin
cp "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
chmod +x node_modules/@vscode/ripgrep/bin/rg

for m in kerberos node-pty @parcel/watcher @vscode/spdlog native-watchdog @vscode/deviceid; do
  if [ -f "node_modules/$m/binding.gyp" ]; then
    log "node-gyp rebuild $m"
    (cd "node_modules/$m" && node_gyp rebuild -j "$(nproc)" </dev/null >"$WORK/logs/gyp-${m//\//_}.log" 2>&1) \
      || { tail -n 40 "$WORK/logs/gyp-${m//\//_}.log" >&2; log "node-gyp rebuild $m failed"; exit 1; }
  else
    log "skip $m (not present)"
  fi
done

# What the package's own postinstall.sh does besides npm install.
ln -sfn node_modules node_modules.asar
(cd bin/remote-cli && ln -sfn code-linux.sh code-server)
(cd bin/helpers && ln -sfn browser-linux.sh browser.sh)

log "lib/vscode/extensions: npm install --omit=dev --ignore-scripts"
(cd extensions && npm install --omit=dev --ignore-scripts </dev/null)

cd "$CACHE_ROOT"
mv "$WORK" "$CS_DIR"
# Native modules were built in $WORK; node-gyp outputs hold no absolute paths needed at run time.
echo "code-server@$CS_VERSION node@$(node --version)" > "$MARKER"
is_ready || { log "code-server does not run after install"; rm -f "$MARKER"; exit 1; }
log "installed code-server $(grep "^$CS_VERSION " <<<"$(cs_version)")"
finish
