import { defineConfig } from 'vitest/config';

// Two projects: `unit` (pure logic, no servers) and `integration` (real Postgres, Redis and
// Milvus Lite on loopback, plus CLI end-to-end tests that spawn bin/dbcheck, which loads dist/).
//   npx vitest run --project unit
//   npx vitest run --project integration      (needs `npm run services:up` and `npm run build`)
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
          environment: 'node',
          globalSetup: ['test/global-setup.ts'],
          // Real servers, real data: generous limits so a slow CI machine does not flake.
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
