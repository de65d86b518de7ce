/** Small shared pieces of the reliability suite: reports, check ids, Milvus fixtures. */
import { builtinChecks } from '../../checks/index.js';
import type { Report } from '../../src/engine/result.js';
import type { CliRun } from '../helpers/cli.js';

/** Parses the JSON report on stdout, with the CLI's stderr in the error if it is not JSON. */
export function jsonReport(r: CliRun): Report {
  try {
    return JSON.parse(r.stdout) as Report;
  } catch {
    throw new Error(
      `stdout is not a JSON report (exit ${r.code}).\nstdout: ${r.stdout.slice(0, 2000)}\nstderr: ${r.stderr.slice(0, 2000)}`,
    );
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
  ok(
    await c.createCollection({
      collection_name: collection,
      fields: [...fields, { name: 'vec', data_type: DataType.FloatVector, dim: 4 }],
    }),
    'createCollection',
  );
  ok(await c.createIndex({ collection_name: collection, field_name: 'vec', index_type: 'FLAT', metric_type: 'L2' }), 'createIndex');
  ok(await c.loadCollectionSync({ collection_name: collection }), 'loadCollection');
  for (let i = 0; i < rows.length; i += 5000) {
    const data = rows.slice(i, i + 5000).map((r) => ({ vec: [0.1, 0.2, 0.3, 0.4], ...r }));
    ok(await c.insert({ collection_name: collection, data }), 'insert');
  }
}
