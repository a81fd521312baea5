import { readFile } from 'node:fs/promises'
import { defineConfig } from 'tsup'

export default defineConfig({
  entry: ['src/index.ts', 'src/server.ts', 'src/migrate.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  target: 'node20',
  platform: 'node',
  // The seat-map page (plain HTML/CSS/JS): src/web/public → dist/public, served at `/`.
  publicDir: 'src/web',
  esbuildPlugins: [
    {
      // SQL migrations stay plain .sql files; `import x from './a.sql?raw'` inlines their text
      // (Vite, used by vitest, understands `?raw` natively).
      name: 'raw-sql',
      setup(build) {
        build.onResolve({ filter: /\.sql\?raw$/ }, (args) => ({
          path: new URL(args.path.replace(/\?raw$/, ''), `file://${args.resolveDir}/`).pathname,
          namespace: 'raw-sql',
        }))
        build.onLoad({ filter: /.*/, namespace: 'raw-sql' }, async (args) => ({
          contents: await readFile(args.path, 'utf8'),
          loader: 'text',
        }))
      },
    },
  ],
})
