import { configDefaults, defineConfig } from 'vitest/config';

// Three projects: `unit` (pure logic, no servers), `integration` (real Postgres, Redis and
// Milvus Lite on loopback, plus CLI end-to-end tests that spawn bin/dbcheck, which loads dist/), and
// `integration-milvus-real`: the Milvus-touching integration tests again, against the real Milvus
// standalone server (2.3.5, 127.0.0.1:19540), because the two servers page, count and keep
// duplicates differently (docs/milvus-paging.md). Tests assert per server via milvusFlavor().
//   npx vitest run --project unit
//   npx vitest run --project integration      (needs `npm run services:up` and `npm run build`)
//   npx vitest run --project integration-milvus-real

/** The test files that talk to Milvus and run against both servers. */
const MILVUS_TESTS = [
  'test/integration/stores/milvus.test.ts',
  'test/integration/stores/milvus-auth-tls.test.ts',
  'test/integration/checks/health.test.ts',
  'test/integration/checks/index-freshness.test.ts',
  'test/integration/checks/orphan-scan.test.ts',
  'test/integration/checks/orphan-scan-milvus.test.ts',
  'test/integration/checks/reference-integrity.test.ts',
  'test/integration/checks/rag-dynamic-fields.test.ts',
  // The CLI end to end: every check's audit leaves all three stores unchanged (~30 s on real Milvus).
  'test/reliability/read-only.test.ts',
  'test/integration/sharded-runs.test.ts',
  'test/integration/count-mismatch-fingerprint.test.ts',
];

/** Test files about what only the real server has (auth, TLS). */
const REAL_MILVUS_ONLY = ['test/integration/stores/milvus-auth-tls.test.ts'];

export default defineConfig({
  test: {
    // The machine has 2 cores, shared with the three servers: more workers only make load and
    // timing-sensitive tests compete for CPU. Applies to the whole run, all projects together.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          // Property tests run thousands of cases; on 2 cores shared with the servers the default
          // 5 s is a statement about the machine's speed, not about the code.
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts', 'test/reliability/**/*.test.ts'],
          // Needs a real Milvus with auth and TLS (Milvus Lite has neither): only in the project below.
          exclude: [...configDefaults.exclude, ...REAL_MILVUS_ONLY],
          environment: 'node',
          globalSetup: ['test/global-setup.ts'],
          // Real servers, real data: generous limits so a slow CI machine does not flake.
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration-milvus-real',
          include: MILVUS_TESTS,
          environment: 'node',
          globalSetup: ['test/global-setup.ts'],
          env: { DBCHECK_TEST_MILVUS: 'real' },
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
