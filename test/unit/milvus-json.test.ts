/**
 * The exact JSON decoder is patched into the Milvus SDK; if the SDK's layout changes, dbcheck must
 * refuse to connect instead of reading int64 inside JSON with lossy JSON.parse.
 */
import { describe, expect, it } from 'vitest';
import { installExactJsonDecoding, patchScalarDecoder, type SdkDataUtils } from '../../src/stores/milvus/json.js';
import { connectMilvus } from '../../src/stores/milvus/connector.js';

/** A module shaped like the SDK's utils/Data.js: buildFieldDataMap calls processScalarData through its exports (or not). */
function fakeSdk(callsThroughExports: boolean): SdkDataUtils {
  const processScalarData = (item: any) =>
    item.scalars.json_data.data.map((b: Buffer) => (b.length ? JSON.parse(b.toString()) : null)) as unknown[];
  const mod: SdkDataUtils = { processScalarData };
  mod.buildFieldDataMap = (fields: any[]) =>
    new Map(fields.map((f) => [f.field_name, callsThroughExports ? mod.processScalarData!(f) : processScalarData(f)]));
  return mod;
}

const jsonField = (text: string) => [{ field_name: 'meta', scalars: { data: 'json_data', json_data: { data: [Buffer.from(text)] } } }];

describe('the exact JSON decoder in the Milvus SDK', () => {
  it('when the SDK layout changed: connecting fails with one clear line, before any network call', async () => {
    const failure = installExactJsonDecoding(() => {
      throw new Error("Cannot find module '@zilliz/milvus2-sdk-node/dist/milvus/utils/Data.js'");
    });
    expect(failure).toMatch(/JSON decoder cannot be made exact: .*cannot be loaded \(Cannot find module/);
    // Idempotent: the first answer stands for the whole process.
    expect(installExactJsonDecoding()).toBe(failure);
    const err = await connectMilvus({ address: '127.0.0.1:9', connectTimeoutMs: 500 }).catch((e) => e);
    expect(err).toMatchObject({ code: 'STORE_ERROR' });
    expect(err.message).toMatch(/^Milvus at 127\.0\.0\.1:9: the Milvus SDK's JSON decoder cannot be made exact: .*npm ci\)$/);
  });

  it('patches a decoder reached through the exports and proves it on a probe value', () => {
    const sdk = fakeSdk(true);
    expect(patchScalarDecoder(sdk)).toBeUndefined();
    expect(sdk.buildFieldDataMap!(jsonField('{"doc": 9007199254740993, "n": 2}')).get('meta')).toEqual([{ doc: '9007199254740993', n: 2 }]);
  });

  it('reports a missing hook, and a hook the decoder no longer calls (the probe comes back rounded)', () => {
    expect(patchScalarDecoder({})).toMatch(/no processScalarData export/);
    expect(patchScalarDecoder({ processScalarData: () => [] })).toMatch(/no buildFieldDataMap export/);
    expect(patchScalarDecoder(fakeSdk(false))).toMatch(/returned 9007199254740992 for the JSON integer 9007199254740993/);
  });

  it('the real SDK (the locked version) takes the patch', async () => {
    const { createRequire } = await import('node:module');
    const sdk = createRequire(import.meta.url)('@zilliz/milvus2-sdk-node/dist/milvus/utils/Data.js') as SdkDataUtils;
    const original = { ...sdk };
    try {
      expect(patchScalarDecoder(sdk)).toBeUndefined();
      expect(sdk.buildFieldDataMap!(jsonField('{"k": -9223372036854775808}')).get('meta')).toEqual([{ k: '-9223372036854775808' }]);
    } finally {
      Object.assign(sdk, original);
    }
  });
});
