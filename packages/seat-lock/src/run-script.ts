import type { Cluster, Redis } from 'ioredis'
import type { Script } from './scripts.js'

/**
 * EVALSHA with a NOSCRIPT fallback to EVAL. Used instead of `defineCommand` so that the
 * clients we are handed are never mutated; the cost is the same (one EVALSHA round trip).
 */
export async function runScript(
  client: Redis | Cluster,
  script: Script,
  keys: readonly string[],
  argv: readonly (string | number)[],
): Promise<unknown[]> {
  try {
    return (await client.evalsha(script.sha, keys.length, ...keys, ...argv)) as unknown[]
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error
    return (await client.eval(script.lua, keys.length, ...keys, ...argv)) as unknown[]
  }
}
