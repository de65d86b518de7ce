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

/** ConsistencyLevelEnum.Strong of the SDK, without loading the SDK to read it. */
export const STRONG_CONSISTENCY = 0;

export type MilvusClientOptions = ConstructorParameters<typeof MilvusClient>[0];

/** Makes a client; the connector awaits `connectPromise` itself, within its deadline. */
export type MilvusDriver = (options: MilvusClientOptions) => Promise<MilvusClientLike>;

/** The real driver: the SDK, loaded on first use (gRPC and protobuf are heavy). */
export const sdkDriver: MilvusDriver = async (options) => {
  const sdk = await import('@zilliz/milvus2-sdk-node');
  return new sdk.MilvusClient(options);
};
