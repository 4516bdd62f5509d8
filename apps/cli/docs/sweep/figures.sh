#!/usr/bin/env bash
# The CLI README's sweep figures: one sweep of 8 trials (optimizers.yaml) run locally with 1 worker process, with 2,
# and through a private Redis with 2 `opt worker` processes (--concurrency 1 each), with the load average around each.
# Run from an empty scratch directory: bash <repo>/apps/cli/docs/sweep/figures.sh [label]
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
OPT="$HERE/../../dist/main.js"
SPEC="$HERE/optimizers.yaml"
R=${1:-1}
load() { cut -d' ' -f1-3 /proc/loadavg; }
wall() { node -e "console.log(JSON.parse(require('fs').readFileSync('$1','utf8')).wallSeconds.toFixed(1))"; }
echo "load before: $(load)"
node "$OPT" sweep "$SPEC" --workers 1 --out "local1-$R" --json > "local1-$R.json" 2> "local1-$R.err"
echo "local, 1 worker process:  $(wall "local1-$R.json") s (load after $(load))"
node "$OPT" sweep "$SPEC" --workers 2 --out "local2-$R" --json > "local2-$R.json" 2> "local2-$R.err"
echo "local, 2 worker processes: $(wall "local2-$R.json") s (load after $(load))"
PORT=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
mkdir -p "redis-$R"
redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$PWD/redis-$R" > "redis-$R/log" 2>&1 &
REDIS=$!
sleep 1
# Two workers standing for two machines share this one's cores: one wasm thread each, as the local pool gives its
# two worker processes (a worker alone on its machine would take one per core).
THREADS=$(node -e "console.log(Math.max(1, Math.floor(require('os').availableParallelism() / 2)))")
for w in 1 2; do
  node "$OPT" worker --queue "redis://127.0.0.1:$PORT/0" --concurrency 1 --threads "$THREADS" --dir "workers-$R" --name "w$w" > "w$w-$R.log" 2>&1 &
  eval "W$w=\$!"
done
sleep 3 # the workers are up and waiting
node "$OPT" sweep "$SPEC" --queue "redis://127.0.0.1:$PORT/0" --out "queued-$R" --json > "queued-$R.json" 2> "queued-$R.err"
echo "Redis, 2 opt worker processes: $(wall "queued-$R.json") s (load after $(load))"
kill "$W1" "$W2"; wait "$W1" "$W2"
kill "$REDIS"; wait "$REDIS"
