/**
 * The Milvus key-read floor of issue 13: `item_id > last` pages of 16384, key field only, Strong,
 * trusting the server's order (no sort, no count) — the least work that reads every key once.
 * One copy for every benchmark that measures against it.
 *
 * `pinned`: the same pages read at one server timestamp taken first (AllocTimestamp, consistency
 * Customized), the read guarantee dbcheck's scan gives on real Milvus: every write before the scan
 * visible, without Strong's wait for a fresh time tick on every query.
 */
import * as sdk from '@zilliz/milvus2-sdk-node';
import { MilvusClient } from '@zilliz/milvus2-sdk-node';
import { allocTimestampOf } from '../../src/stores/milvus/driver.js';
import { MILVUS_ADDRESS } from '../../test/helpers/stores.js';

/** Reads every key of `collection`; `onPage` runs after each page. Returns the number of keys read. */
export async function readEveryKey(
  collection: string,
  hooks: { connected?(): void; onPage?(): void } = {},
  pinned = false,
): Promise<number> {
  const client = new MilvusClient({ address: MILVUS_ADDRESS, telemetry: { enabled: false }, logLevel: 'error', timeout: 600_000 } as any);
  await client.connectPromise;
  if (hooks.connected) {
    await client.getVersion(); // a first call, so the caller's baseline includes a live connection
    hooks.connected();
  }
  let rows = 0;
  let last: string | undefined;
  const readAt = pinned ? { consistency_level: 4, guarantee_timestamp: await allocTimestamp(client) } : { consistency_level: 'Strong' };
  try {
    for (;;) {
      const r: any = await client.query({
        collection_name: collection,
        filter: last === undefined ? '' : `item_id > ${last}`,
        output_fields: ['item_id'],
        limit: 16_384,
        ...readAt,
      } as any);
      if (r.status?.error_code !== 'Success') throw new Error(JSON.stringify(r.status));
      if (r.data.length === 0) break;
      rows += r.data.length;
      last = String(r.data[r.data.length - 1].item_id);
      hooks.onPage?.();
    }
  } finally {
    await client.closeConnection();
  }
  return rows;
}

/** A read timestamp from the server's clock: the connector's own call (src/stores/milvus/driver.ts). */
export async function allocTimestamp(client: MilvusClient): Promise<string> {
  const ts = await allocTimestampOf(sdk, client, 10_000);
  if (!ts) throw new Error('AllocTimestamp gave no timestamp (Milvus Lite has none: the pinned floor is for real Milvus)');
  return ts;
}
