/** Small shared pieces of the reliability suite: config files, reports, plugins, Milvus fixtures. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { builtinChecks } from '../../checks/index.js';
import type { Report } from '../../src/engine/result.js';
import type { CliRun } from '../helpers/cli.js';

export const REPO = path.resolve(import.meta.dirname, '../..');

/** Parses the JSON report on stdout, with the CLI's stderr in the error if it is not JSON. */
export function jsonReport(r: CliRun): Report {
  try {
    return JSON.parse(r.stdout) as Report;
  } catch {
    throw new Error(`stdout is not a JSON report (exit ${r.code}).\nstdout: ${r.stdout.slice(0, 2000)}\nstderr: ${r.stderr.slice(0, 2000)}`);
  }
}

export function checkOf(report: Report, id: string) {
  const c = report.checks.find((x) => x.id === id);
  if (!c) throw new Error(`no result for check ${id} in ${report.checks.map((x) => x.id).join(', ')}`);
  return c;
}

/** No stack trace: no "    at fn (file:line)" lines, no node internals. */
export const STACK_TRACE = /^\s+at .+(\(|:\d+:\d+)|node:internal|\.ts:\d+:\d+|\.js:\d+:\d+/m;

export const builtinIds = () => builtinChecks.map((c) => c.meta.id);

/**
 * The --plugin path of a built-in check that exists in checks/<id>/ (and in dist/) but is not yet
 * listed in checks/index.ts: it is loaded like a plugin so the suite covers it anyway.
 * Undefined when the check is registered (no plugin needed) or does not exist.
 */
export function unregisteredCheckPlugin(id: string): string | undefined {
  if (builtinIds().includes(id)) return undefined;
  if (!existsSync(path.join(REPO, 'checks', id, 'index.ts'))) return undefined;
  const built = path.join(REPO, 'dist', 'checks', id, 'index.js');
  if (!existsSync(built)) throw new Error(`checks/${id}/index.ts exists but ${built} does not: run npm run build`);
  return built;
}

/** True when the check exists in this tree (registered or not). */
export function checkExists(id: string): boolean {
  return builtinIds().includes(id) || existsSync(path.join(REPO, 'checks', id, 'index.ts'));
}

type AnyMilvusClient = {
  createCollection(a: object): Promise<unknown>;
  createIndex(a: object): Promise<unknown>;
  loadCollectionSync(a: object): Promise<unknown>;
  insert(a: object): Promise<unknown>;
};

/** Creates, indexes, loads and fills a collection with a 4-dim vector field `vec`. */
export async function createMilvusCollection(client: unknown, collection: string, fields: object[], rows: object[]): Promise<void> {
  const c = client as AnyMilvusClient;
  const { DataType } = await import('@zilliz/milvus2-sdk-node');
  const ok = (r: unknown, what: string) => {
    const x = r as { error_code?: string; status?: { error_code?: string } };
    const code = x?.error_code ?? x?.status?.error_code;
    if (code !== 'Success') throw new Error(`${what} failed: ${JSON.stringify(r)}`);
  };
  ok(await c.createCollection({ collection_name: collection, fields: [...fields, { name: 'vec', data_type: DataType.FloatVector, dim: 4 }] }), 'createCollection');
  ok(await c.createIndex({ collection_name: collection, field_name: 'vec', index_type: 'FLAT', metric_type: 'L2' }), 'createIndex');
  ok(await c.loadCollectionSync({ collection_name: collection }), 'loadCollection');
  for (let i = 0; i < rows.length; i += 5000) {
    const data = rows.slice(i, i + 5000).map((r) => ({ vec: [0.1, 0.2, 0.3, 0.4], ...r }));
    ok(await c.insert({ collection_name: collection, data }), 'insert');
  }
}

/**
 * A writable Milvus client and a unique collection name (like createMilvusCollectionName in
 * test/helpers/stores.ts, but with the SDK's logging off: under vitest it logs every RPC).
 */
export async function milvusFixture(base: string) {
  const { MilvusClient } = await import('@zilliz/milvus2-sdk-node');
  const { MILVUS_ADDRESS, uniqueName } = await import('../helpers/stores.js');
  const client = new MilvusClient({ address: MILVUS_ADDRESS, telemetry: { enabled: false }, logLevel: 'error' } as ConstructorParameters<typeof MilvusClient>[0]);
  await client.connectPromise;
  const collection = uniqueName(base);
  return {
    collection,
    client,
    async cleanup() {
      try {
        await client.dropCollection({ collection_name: collection });
      } finally {
        await client.closeConnection();
      }
    },
  };
}
