/** The Milvus store: config section, defaults (MILVUS_ADDRESS, MILVUS_TOKEN), and connect (the Milvus SDK). */
import { z } from 'zod';
import { durationSchema } from '../../duration.js';
import { defineStore, yamlText } from '../descriptor.js';
import { displayMilvusAddress } from './address.js';
import type { MilvusStoreConfig } from './connector.js';

export const milvusConfigSchema = z
  .object({
    address: z.string(),
    token: z.string().optional(),
    username: z.string().optional(),
    password: z.string().optional(),
    database: z.string().optional(),
    ssl: z.boolean().optional(),
    /** TLS with a private CA / mutual TLS (PEM files); see docs/config.md. */
    caFile: z.string().min(1).optional(),
    certFile: z.string().min(1).optional(),
    keyFile: z.string().min(1).optional(),
    serverName: z.string().min(1).optional(),
    callTimeout: durationSchema.optional(),
    connectTimeout: durationSchema.optional(),
  })
  .strict();

export const milvus = defineStore({
  kind: 'milvus',
  label: 'Milvus',
  configSchema: milvusConfigSchema,
  toConfig({ callTimeout, connectTimeout, ...rest }): MilvusStoreConfig {
    return { ...rest, callTimeoutMs: callTimeout, connectTimeoutMs: connectTimeout };
  },
  environmentDefaults(env, read) {
    return {
      address: read('stores.milvus.address', 'MILVUS_ADDRESS', '127.0.0.1:19530'),
      ...(env.MILVUS_TOKEN ? { token: env.MILVUS_TOKEN } : {}),
    };
  },
  async connect(config, opts) {
    // The Milvus SDK is heavy (gRPC, protobuf): loaded only when a check needs Milvus.
    const { connectMilvus } = await import('./connector.js');
    return connectMilvus(config, opts);
  },
  probe: {
    ping: (m) => m.version(),
    version: (m) => m.version(),
  },
  describe(milvus) {
    const fields = [
      `address: ${yamlText(displayMilvusAddress(milvus.address))}`,
      milvus.database && milvus.database !== 'default' ? `database: ${yamlText(milvus.database)}` : '',
      milvus.ssl ? 'ssl: true' : '',
      milvus.caFile ? `caFile: ${yamlText(milvus.caFile)}` : '',
    ].filter(Boolean);
    const used = milvus.token || milvus.password || /@/.test(milvus.address);
    return { fields, secretHint: used ? 'token: ${MILVUS_TOKEN}   (credentials were used: keep them in the environment)' : undefined };
  },
});
