#!/usr/bin/env bash
# Copies the Redoc bundle that /docs serves from the npm package pinned in
# package-lock.json into assets/docs (the binary embeds it). One change is made to it:
# the sidebar's "API docs by Redocly" logo is an image on cdn.redoc.ly, which a closed
# network cannot reach and the page's CSP refuses; its address becomes `data:,`, on
# which Redoc shows the link without the image. Nothing else in the bundle names
# another host that the page would load from (tests/portal/docs.test.mjs checks).
# With --check, fails when assets/docs differs from what this script would write.
set -euo pipefail
cd "$(dirname "$0")"
[ -d node_modules/redoc ] || npm ci --no-audit --no-fund --loglevel=error
src=node_modules/redoc
dst=../../assets/docs
version=$(node -p "require('./$src/package.json').version")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

logo='https://cdn.redoc.ly/redoc/logo-mini.svg'
[ "$(grep -o "$logo" "$src/bundles/redoc.standalone.js" | wc -l)" = 1 ] ||
  { echo "redoc $version: the logo's address is not where it was; look at the bundle again"; exit 1; }
sed "s#$logo#data:,#" "$src/bundles/redoc.standalone.js" >"$tmp/redoc.standalone.js"
cp "$src/bundles/redoc.standalone.js.LICENSE.txt" "$tmp/"
cp "$src/LICENSE" "$tmp/LICENSE-redoc.txt"
echo "redoc $version" >"$tmp/VERSION"

if [ "${1:-}" = "--check" ]; then
  for f in "$tmp"/*; do
    cmp -s "$f" "$dst/$(basename "$f")" ||
      { echo "assets/docs/$(basename "$f") differs from redoc $version; run tools/api/vendor-docs.sh"; exit 1; }
  done
  echo "assets/docs is redoc $version"
else
  mkdir -p "$dst"
  cp "$tmp"/* "$dst/"
fi
