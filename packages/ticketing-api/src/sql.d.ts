/** Plain SQL migration files, bundled as text (tsup: esbuild text loader; vitest: Vite `?raw`). */
declare module '*.sql?raw' {
  const text: string
  export default text
}
