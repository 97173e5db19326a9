#!/usr/bin/env bash
# A start on a Node below the engines range (issue 22): the packed bin, run by that real Node, must print exactly
# one line on stderr, nothing on stdout, and exit 2, before anything native (better-sqlite3, workerd) loads.
#   scripts/package-test/unsupported-node.sh <path to node> <blastwall tarball>
set -euo pipefail
node_bin=$1 tarball=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
tar xzf "$tarball" -C "$dir"
status=0
"$node_bin" "$dir/package/bin/blastwall.js" --help >"$dir/out" 2>"$dir/err" || status=$?
version=$("$node_bin" --version)
echo "  $version: exit $status, stderr: $(cat "$dir/err")"
lines=$(wc -l <"$dir/err")
if [ "$status" -ne 2 ] || [ -s "$dir/out" ] || [ "$lines" -ne 1 ] ||
  ! grep -q "^error: blastwall needs Node.js .* (this is $version); fix: " "$dir/err"; then
  echo "  ✗ expected exit 2, no stdout and one 'error: blastwall needs Node.js …' line on $version" >&2
  exit 1
fi
