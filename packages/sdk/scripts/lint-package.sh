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
# What `pnpm publish` would send, without sending it: `publish:dry-run` names a closed local
# port as the registry, so nothing can reach (or publish to) a real one.
pnpm run --silent publish:dry-run 2>&1 | grep -E "^npm notice (name|version|total files):|^\+ " 
