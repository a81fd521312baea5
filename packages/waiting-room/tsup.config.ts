import { defineConfig } from 'tsup'

export default defineConfig({
  entry: ['src/index.ts', 'src/board.ts'],
  // Each entry stands alone: a page loads dist/board.js as one ES module, with no chunk beside it.
  splitting: false,
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  target: 'node20',
  platform: 'node',
})
