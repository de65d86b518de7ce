// Exits 0 when a Milvus server answers GetVersion at the given address (default 127.0.0.1:19530),
// else prints why and exits 1. Used by scripts/services.sh to wait for readiness.
import { MilvusClient } from '@zilliz/milvus2-sdk-node';

const address = process.argv[2] ?? '127.0.0.1:19530';
let client;
try {
  client = new MilvusClient({ address, timeout: 5000, telemetry: { enabled: false } });
  await client.connectPromise; // must be awaited: an unawaited failure kills Node later
  const res = await client.getVersion();
  if (!res?.version) throw new Error(`GetVersion returned no version (${JSON.stringify(res?.status ?? res)})`);
  console.log(res.version);
  process.exitCode = 0;
} catch (err) {
  console.error(`milvus at ${address} does not answer: ${err?.message ?? err}`);
  process.exitCode = 1;
} finally {
  await client?.closeConnection().catch(() => {});
}
