#!/usr/bin/env bash
# Start moatdb on PORT with an empty data directory DIR (the harness restarts servers per run), with
# an IAM user `bench` owning the access key the harness signs with (BENCH_ACCESS_KEY / BENCH_SECRET_KEY).
set -euo pipefail
port=$1 dir=$2
moatdb="$(dirname "$0")/../.venv/bin/moatdb"
rm -rf "$dir"
# Authorized as any caller is: the user may do what AWS's AmazonDynamoDBFullAccess allows.
"$moatdb" users create bench --policy arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess --data-dir "$dir" >/dev/null
echo "$BENCH_SECRET_KEY" | "$moatdb" keys import --user bench --access-key-id "$BENCH_ACCESS_KEY" --data-dir "$dir" >/dev/null
exec "$moatdb" serve --port "$port" --data-dir "$dir" --log-level warning
