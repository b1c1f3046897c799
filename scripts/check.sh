#!/usr/bin/env bash
# Every check, as CI runs it: typecheck, lint, build (with the SDK's .d.ts check), then unit
# and integration tests (against a real FerretDB and Mailpit) with a coverage report.
source "$(dirname "$0")/lib.sh"
exec pnpm check
