#!/usr/bin/env bash
# Every check, as CI runs it (`pnpm check`, after lib.sh installed what is missing):
#   1. turbo, cached: typecheck, lint, build, the SDK's check:dts and lint:package;
#   2. turbo, one at a time, never cached: check:load (10 s load test), check:bench (smoke);
#   3. test:ci: unit and integration tests against a real FerretDB and Mailpit, with a
#      coverage report, closing on one "N passed, N failed, N skipped" line.
# A second run replays step 1 from turbo's cache for what did not change.
source "$(dirname "$0")/lib.sh"

# Headless Chromium for the email screenshot test: Debian's package, installed when missing.
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> chromium (Debian package), for the email screenshot test"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "error: the tests need chromium (Debian: apt-get install chromium, as root)" >&2
    exit 1
  fi
fi
exec pnpm check
