#!/usr/bin/env bash
# Measure moatdb beside its peers with the shared harness (../shared/bench): every server pinned to
# CPU 0, wrk on CPU 1, the same pre-signed workloads. Extra arguments go to peers.py, e.g.
#   bench/run.sh --workloads getitem --reps 1
set -euo pipefail
cd "$(dirname "$0")/.."
HARNESS=${HARNESS:-../shared/bench}
PORT=${MOATDB_BENCH_PORT:-5010}
DATA=$(mktemp -d /tmp/moatdb-bench.XXXXXX)
trap 'rm -rf "$DATA"' EXIT

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q -e '.[bench]'
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install -y wrk" >&2; exit 1; }
if [ ! -e "$HARNESS/node_modules/dynalite/cli.js" ] && [ ! -e /tmp/node_modules/dynalite/cli.js ]; then
    (cd /tmp && npm install --silent dynalite@4)
fi

# moatdb verifies every signature: the harness signs with a key moatdb is given (peers ignore it).
export BENCH_ACCESS_KEY=AKIABENCHMARKEXAMPLE
export BENCH_SECRET_KEY=benchmark/secret/key/not/for/anything/else
# peers.py restarts each server per run; moatdb gets a fresh data directory each time.
exec .venv/bin/python "$HARNESS/peers.py" \
    --servers "${PEERS:-dynalite,floor}" \
    --add-server "moatdb|http://127.0.0.1:$PORT|$PWD/bench/serve-fresh.sh $PORT $DATA/db" \
    --access-key "$BENCH_ACCESS_KEY" --secret-key "$BENCH_SECRET_KEY" --region us-east-1 \
    "$@"
