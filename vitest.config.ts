import { defineConfig } from 'vitest/config'

// One project per package (each has its own vitest.config.ts), plus repo-wide tests in test/.
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
          testTimeout: 120_000,
        },
      },
    ],
  },
})
