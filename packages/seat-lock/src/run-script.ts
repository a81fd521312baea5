import type { Cluster, Redis } from 'ioredis'
import type { Script } from './scripts.js'

/** Per client: scripts being loaded right now, so a burst of NOSCRIPT replies loads each once. */
const loading = new WeakMap<object, Map<string, Promise<unknown>>>()

/**
 * EVALSHA; on NOSCRIPT (first use, or the server restarted), one `SCRIPT LOAD` shared by every
 * call that hit it, then EVALSHA again. Sending the script body with EVAL on every miss would
 * ship kilobytes per call when a thousand buyers arrive at once on a fresh node. Used instead of
 * `defineCommand` so that the clients we are handed are never mutated. On a Cluster, SCRIPT LOAD
 * would not reach the key's node, so it falls back to EVAL there.
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
    if ((client as Cluster).isCluster) {
      return (await client.eval(script.lua, keys.length, ...keys, ...argv)) as unknown[]
    }
    let pending = loading.get(client)
    if (!pending) {
      pending = new Map()
      loading.set(client, pending)
    }
    let load = pending.get(script.sha)
    if (!load) {
      const map = pending
      load = (client as Redis).script('LOAD', script.lua).finally(() => map.delete(script.sha))
      pending.set(script.sha, load)
    }
    await load
    return (await client.evalsha(script.sha, keys.length, ...keys, ...argv)) as unknown[]
  }
}
