#!/usr/bin/env bash
# Start moatdb on PORT with an empty data directory DIR (the harness restarts servers per run).
set -euo pipefail
port=$1 dir=$2
rm -rf "$dir"
exec "$(dirname "$0")/../.venv/bin/moatdb" serve --port "$port" --data-dir "$dir" --log-level warning
