#!/usr/bin/env bash
# The whole test suite, as CI runs it (`npm test`, `.ci/run`):
#   node deps -> services up -> build (dist/, which the CLI end-to-end tests spawn) -> vitest run.
# Extra arguments go to vitest, e.g. `bash scripts/test.sh --project unit` or a file filter.
# Exits with vitest's exit code; the last line is a plain "N passed, N failed[, N skipped]".
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

step() { printf '\n== %s\n' "$*"; }

# ---- node dependencies: always fresh in CI, else only when missing or the lock file moved on.
source scripts/lib/node-deps.sh
ensure_node_deps

# ---- servers. In CI, stop at the end whatever this run had to start (a dev machine keeps it).
step "services"
report=""
other_reports=() # the other Node versions' reports (below)
stop_milvus_at_exit=no
cleanup() {
  [[ -n "$report" ]] && rm -f "$report"
  for r in "${other_reports[@]:-}"; do [[ -n "$r" ]] && rm -f "$r"; done
  if [[ $stop_milvus_at_exit == yes ]]; then bash scripts/services.sh down >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT
# Both Milvus servers (Lite on 19530, the real standalone on 19540; the `integration-milvus-real`
# project runs the Milvus tests against the second).
milvus_was_running=no
[[ -f .services/milvus.pid || -f .services/milvus-real.pid ]] && milvus_was_running=yes
bash scripts/services.sh up
# The real LangChain/LlamaIndex libraries for the RAG framework tests (.venv/rag), only when missing.
bash scripts/rag-venv.sh
if [[ "${CI:-}" == true && $milvus_was_running == no && ( -f .services/milvus.pid || -f .services/milvus-real.pid ) ]]; then
  stop_milvus_at_exit=yes
fi

# ---- build: bin/dbcheck loads dist/.
step "npm run build"
if ! npm run build --silent; then
  printf '\ntest: the build failed (TypeScript errors above); the CLI tests need dist/.\n' >&2
  exit 2
fi
# The build covers src/ and checks/; this also typechecks the tests, benchmarks and scripts.
step "npm run typecheck"
if ! npm run typecheck --silent; then
  printf '\ntest: typecheck failed (errors above).\n' >&2
  exit 2
fi
# Formatting and lint (Biome, biome.jsonc): a formatting difference or a lint error fails the run;
# warnings are shown, not fatal. `npm run format` rewrites the files.
step "npm run lint"
if ! npm run lint --silent -- --diagnostic-level=error; then
  printf '\ntest: lint failed (errors above; `npm run format` fixes formatting).\n' >&2
  exit 2
fi

# ---- tests: the default reporter for people, the JSON one for the closing count line.
step "vitest run $*"
report="$(mktemp -t dbcheck-vitest.XXXXXX.json)"
set +e
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@"
vitest_code=$?
set -e

# ---- the other Node versions users run (issue 16.7): the unit and CLI end-to-end tests again on
# each, through the npm package node@N (its first download takes about a minute). The e2e tests
# spawn bin/dbcheck with process.execPath, so the CLI itself runs on that version too. Only on a
# whole run (no vitest arguments); DBCHECK_TEST_NODE_VERSIONS="" skips them.
if [[ $# -eq 0 ]]; then
  for v in ${DBCHECK_TEST_NODE_VERSIONS-22 24}; do
    step "node $v: vitest run test/unit test/e2e"
    r="$(mktemp -t dbcheck-vitest-node$v.XXXXXX.json)"
    other_reports+=("$r")
    set +e
    npx -y -p "node@$v" node node_modules/vitest/vitest.mjs run --reporter=default --reporter=json --outputFile.json="$r" test/unit test/e2e
    code=$?
    set -e
    [[ $code -ne 0 && $vitest_code -eq 0 ]] && vitest_code=$code
  done
fi

# A test file that crashed before its tests ran counts as one failure, and a run that wrote no
# report (e.g. the servers were down at global setup) as one failed run: the line never says
# "0 failed" about a run that failed.
# Counts add up over every Node version's report.
node - "$vitest_code" "$report" "${other_reports[@]:-}" <<'JS'
const fs = require('node:fs');
const [code, ...files] = process.argv.slice(2);
let passed = 0, failed = 0, skipped = 0;
for (const file of files.filter(Boolean)) {
  try {
    const r = JSON.parse(fs.readFileSync(file, 'utf8'));
    passed += r.numPassedTests ?? 0;
    failed += r.numFailedTests ?? 0;
    skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
    for (const t of r.testResults ?? []) {
      const failedInside = (t.assertionResults ?? []).some((a) => a.status === 'failed');
      if (t.status === 'failed' && !failedInside) failed += 1;
    }
  } catch {
    failed += 1; // a version whose run wrote no report failed
  }
}
if (code !== '0' && failed === 0) failed = 1;
console.log(`\n${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ''));
JS
exit "$vitest_code"
