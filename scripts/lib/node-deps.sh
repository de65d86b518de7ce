# Sourced by scripts/test.sh and scripts/demo.sh (from the repo root): installs the node
# dependencies with `npm ci` when CI=true, when node_modules is missing, or when
# package-lock.json is newer than the last install (npm writes node_modules/.package-lock.json).
# One retry: a registry hiccup should not fail a whole CI run.
ensure_node_deps() {
  if [[ "${CI:-}" == true || ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
    printf '\n== npm ci\n'
    npm ci --no-audit --no-fund || { echo "npm ci failed; retrying once in 10 s" >&2; sleep 10; npm ci --no-audit --no-fund; }
  fi
}
