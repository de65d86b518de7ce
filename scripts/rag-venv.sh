#!/usr/bin/env bash
# Builds .venv/rag from scripts/rag-requirements.txt: the real LangChain and LlamaIndex libraries
# (pinned with their dependencies) that test/fixtures/rag/*.py write data through, for
# test/integration/rag-frameworks.test.ts (issue 14.7). Only when the venv is missing or the pinned
# requirements changed; otherwise it returns at once. Called by scripts/test.sh.
#
# A separate venv, not .venv/milvus: llama-index-vector-stores-milvus 1.2.0 needs pymilvus < 3,
# Milvus Lite's venv has pymilvus 3. pymilvus 2.6.7 speaks to Milvus Lite 3.2 and to Milvus 2.3.5.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv/rag"
REQUIREMENTS="$ROOT/scripts/rag-requirements.txt"
STAMP="$VENV/.requirements.sha256"
LOG="$ROOT/.services/rag-pip.log"

want="$({ cat "$REQUIREMENTS"; python3 --version; } | sha256sum | cut -d' ' -f1)"
if [[ -x "$VENV/bin/python" && -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]]; then
  exit 0
fi
printf 'rag: building .venv/rag from scripts/rag-requirements.txt (first run: several minutes)\n'
rm -rf "$VENV"
mkdir -p "$(dirname "$VENV")" "$(dirname "$LOG")"
python3 -m venv "$VENV"
pip_install=("$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQUIREMENTS")
# One retry: a registry hiccup should not fail a whole CI run.
if ! "${pip_install[@]}" >"$LOG" 2>&1 && ! { sleep 10; "${pip_install[@]}" >>"$LOG" 2>&1; }; then
  tail -n 30 "$LOG" >&2
  rm -rf "$VENV"
  printf 'rag: pip install -r scripts/rag-requirements.txt failed (log: %s)\n' "$LOG" >&2
  exit 1
fi
printf '%s\n' "$want" >"$STAMP"
printf 'rag: .venv/rag ready\n'
