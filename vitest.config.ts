import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 30_000 } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          globalSetup: ['test/setup/infra.ts'],
          testTimeout: 600_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'cluster',
          // The exactly-once test runs on the cluster as well as on the single broker.
          include: ['test/cluster/**/*.test.ts', 'test/integration/transactional.test.ts'],
          // After the other projects: two sets of brokers under test at once would starve this 2-core machine.
          sequence: { groupOrder: 1 },
          globalSetup: ['test/setup/cluster.ts'],
          testTimeout: 600_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
