#!/usr/bin/env bash
# The demo (`npm run demo`): install, start the servers, build, seed a small data set with planted
# faults (listed in demo/PLANTED.md), then audit it with demo/dbcheck.yml.
# The audit is expected to find those faults: its exit code 1 ("findings") is the demo working.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

step() { printf '\n== %s\n' "$*"; }

source scripts/lib/node-deps.sh
ensure_node_deps

step "services"
bash scripts/services.sh up

step "npm run build"
npm run build --silent

step "seed the demo data (Postgres dbcheck_demo, Milvus dbcheck_demo_chunks, Redis demo:*)"
npx tsx scripts/seed-demo.ts

step "node bin/dbcheck audit -c demo/dbcheck.yml"
set +e
node bin/dbcheck audit -c demo/dbcheck.yml "$@"
code=$?
set -e

echo
case $code in
  0) echo "dbcheck exited 0: no findings. The demo planted faults, so some check missed them (see demo/PLANTED.md)." ;;
  1) echo "dbcheck exited 1: findings, as expected. Compare them with demo/PLANTED.md." ;;
  2) echo "dbcheck exited 2: usage or config error (see above)." ;;
  3) echo "dbcheck exited 3: the audit is incomplete, a check errored or a store was unreachable (see above)." ;;
  *) echo "dbcheck exited $code." ;;
esac
# Findings are the expected outcome; anything else fails the demo.
if ((code == 0 || code == 1)); then exit 0; fi
exit "$code"
