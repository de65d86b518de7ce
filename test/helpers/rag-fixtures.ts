/**
 * Runs the Python fixture scripts of test/fixtures/rag/ with .venv/rag (scripts/rag-venv.sh): data
 * written by the real LangChain and LlamaIndex libraries into the test Postgres and Milvus, with
 * drift planted. Each script prints one JSON line saying what it planted.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { MILVUS_ADDRESS, PG_HOST, PG_PORT } from './stores.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
export const RAG_PYTHON = path.join(ROOT, '.venv/rag/bin/python');

/** The frameworks write through the network and wait for Milvus to flush: generous, not a speed claim. */
const FIXTURE_TIMEOUT_MS = 240_000;

export type RagFixtureScript = 'langchain_index.py' | 'llamaindex_index.py' | 'langchain_freshness.py' | 'llamaindex_freshness.py';

/** Runs one script against `target`; `extra` are further arguments (the freshness scripts' `--step`). */
export async function runRagFixture(
  script: RagFixtureScript,
  target: { schema: string; collection: string },
  extra: string[] = [],
): Promise<Record<string, unknown>> {
  if (!existsSync(RAG_PYTHON)) {
    throw new Error(`${RAG_PYTHON} is missing: run \`bash scripts/rag-venv.sh\` (scripts/test.sh does)`);
  }
  const args = [
    path.join(ROOT, 'test/fixtures/rag', script),
    '--milvus',
    `http://${MILVUS_ADDRESS}`,
    '--schema',
    target.schema,
    '--collection',
    target.collection,
    '--pg-host',
    PG_HOST,
    '--pg-port',
    String(PG_PORT),
    ...extra,
  ];
  try {
    const { stdout } = await promisify(execFile)(RAG_PYTHON, args, { timeout: FIXTURE_TIMEOUT_MS, maxBuffer: 16 << 20 });
    return JSON.parse(stdout.trim().split('\n').at(-1)!);
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${script} failed: ${e.message}\n${(e.stderr ?? '').split('\n').slice(-15).join('\n')}`);
  }
}
