#!/usr/bin/env bash
# Runs the service for development on a fresh machine: installs what is missing, starts
# FerretDB + Mailpit on free loopback ports, then the server in watch mode. Ctrl-C stops all.
source "$(dirname "$0")/lib.sh"
exec pnpm dev
