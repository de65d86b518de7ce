/**
 * The part of the Milvus SDK the connector uses, behind one function (like kysely's `Driver`): the
 * connector is written against `MilvusClientLike`, so a unit test can hand it a fake that stalls or
 * answers like something that is not Milvus (test/unit/store-drivers.test.ts).
 */
import type { MilvusClient } from '@zilliz/milvus2-sdk-node';

/** The SDK calls the connector makes (and `timeout`, the per-call deadline it sets after connecting). */
export type MilvusClientLike = Pick<
  MilvusClient,
  | 'connectPromise'
  | 'getVersion'
  | 'checkHealth'
  | 'showCollections'
  | 'describeCollection'
  | 'getLoadState'
  | 'query'
  | 'search'
  | 'closeConnection'
  | 'timeout'
>;

/**
 * A read timestamp from the server's clock (its AllocTimestamp call), or undefined when the server
 * does not give one (Milvus Lite answers `{}`). The SDK has no method for it: the call goes through
 * the SDK's own channel pool (`promisify`), so an SDK that changes those internals yields undefined
 * (then scans fall back to Strong consistency per query) rather than a wrong timestamp.
 */
export type AllocTimestamp = (timeoutMs: number) => Promise<string | undefined>;

/** ConsistencyLevelEnum.Strong of the SDK, without loading the SDK to read it. */
export const STRONG_CONSISTENCY = 0;
/** ConsistencyLevelEnum.Customized: the request's guarantee_timestamp is used as given. */
export const CUSTOMIZED_CONSISTENCY = 4;

export type MilvusClientOptions = ConstructorParameters<typeof MilvusClient>[0];

/** Makes a client; the connector awaits `connectPromise` itself, within its deadline. */
export type MilvusDriver = (options: MilvusClientOptions) => Promise<MilvusClientLike & { allocTimestamp?: AllocTimestamp }>;

/** The real driver: the SDK, loaded on first use (gRPC and protobuf are heavy). */
export const sdkDriver: MilvusDriver = async (options) => {
  const sdk = await import('@zilliz/milvus2-sdk-node');
  const client = new sdk.MilvusClient(options);
  return Object.assign(client, { allocTimestamp: (timeoutMs: number) => allocTimestampOf(sdk, client, timeoutMs) });
};

/** The AllocTimestamp call of `client`, through the SDK's channel pool (see AllocTimestamp). */
export async function allocTimestampOf(
  sdk: typeof import('@zilliz/milvus2-sdk-node'),
  client: MilvusClient,
  timeoutMs: number,
): Promise<string | undefined> {
  const pool = (client as unknown as { channelPool?: unknown }).channelPool;
  if (!pool || typeof sdk.promisify !== 'function') return undefined;
  const res = (await sdk.promisify(pool as never, 'AllocTimestamp', {}, timeoutMs)) as {
    status?: { code?: number; error_code?: unknown };
    timestamp?: unknown;
  };
  const ok = res?.status && (res.status.code === 0 || res.status.error_code === 'Success');
  const ts = String(res?.timestamp ?? '');
  return ok && /^[1-9]\d{0,19}$/.test(ts) ? ts : undefined;
}
