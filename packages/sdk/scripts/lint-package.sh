#!/usr/bin/env bash
# Checks the package as npm would publish it: packs it with pnpm (which rewrites catalog:
# and workspace: ranges), then runs publint and arethetypeswrong on the tarball.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
pnpm pack --pack-destination "$out" >/dev/null
tarball=$(ls "$out"/*.tgz)
publint run --strict "$tarball"
attw "$tarball" --profile node16 --format table-flipped
