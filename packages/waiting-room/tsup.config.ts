import { defineConfig } from 'tsup'

export default defineConfig({
  entry: ['src/index.ts', 'src/board.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  target: 'node20',
  platform: 'node',
})
