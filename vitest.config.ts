import { defineConfig } from 'vitest/config'

// One project per package (each has its own vitest.config.ts), repo-wide tests in test/, and the
// fault suite in test/faults/ (its quick subset runs in `npm test`; `npm run test:faults` sets
// FAULTS=full for every scenario at full length).
export default defineConfig({
  test: {
    projects: [
      'packages/*/vitest.config.ts',
      'examples/*/vitest.config.ts',
      'benchmarks/vitest.config.ts',
      {
        test: {
          name: 'repo',
          include: ['test/**/*.test.ts'],
          exclude: ['test/faults/**'],
          testTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
          passWithNoTests: true,
        },
      },
    ],
  },
})
