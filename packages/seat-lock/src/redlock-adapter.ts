import { randomBytes } from 'node:crypto'
import type { Redis } from 'ioredis'
import RedlockExport from 'redlock'
import { OK } from './engine.js'
import { runScript } from './run-script.js'
import { SCRIPTS, type Script } from './scripts.js'

/**
 * redlock's CJS build sets `exports.default`; our CJS bundle imports it the way Node imports CJS
 * from ESM (default = module.exports), so there the class is one `.default` further down.
 */
const RedlockClass: typeof RedlockExport =
  (RedlockExport as unknown as { default?: typeof RedlockExport }).default ?? RedlockExport
export type Redlock = RedlockExport

export interface NodeReply {
  node: number
  sha: string
  reply: unknown[]
}

/** Per-call context the node adapters read: our ARGV per script, and every node's raw reply. */
export interface Call {
  argv: Map<string, (string | number)[]>
  replies: NodeReply[]
}

/**
 * What redlock sees as a "client". redlock's script contract is "return the number of keys on
 * success"; our scripts return richer replies (fencing token, taken seats, available units).
 * The adapter runs our script with our ARGV (looked up by the call id redlock passes as the lock
 * value), keeps the raw reply for the engine, and gives redlock the vote it expects.
 */
class NodeAdapter {
  constructor(
    readonly index: number,
    readonly client: Redis,
    readonly calls: Map<string, Call>,
  ) {}

  evalsha(sha: string, numKeys: number, args: (string | number)[]): Promise<number> {
    // Read the context synchronously: redlock may resolve (and we forget the call) before a
    // slow node answers; that node must still run the same step.
    const call = this.calls.get(String(args[numKeys]))
    const argv = call?.argv.get(sha)
    const script = BY_SHA.get(sha)
    if (!call || !argv || !script) return Promise.reject(new Error('seat-lock: unknown quorum call'))
    const keys = args.slice(0, numKeys) as string[]
    return runScript(this.client, script, keys, argv).then((reply) => {
      call.replies.push({ node: this.index, sha, reply })
      return reply[0] === OK ? numKeys : 0
    })
  }

  /** Not reached: runScript already falls back to EVAL on NOSCRIPT. */
  eval(): Promise<number> {
    return Promise.reject(new Error('seat-lock: unexpected EVAL'))
  }
}

const BY_SHA = new Map<string, Script>(Object.values(SCRIPTS).map((s) => [s.sha, s]))

/**
 * A redlock instance over the node adapters, running our scripts: `acquire` (a hold script),
 * `extend` (EXTEND or CONFIRM) and RELEASE. `value()` supplies the lock value redlock draws at
 * the start of acquire(): our call id, under which the adapters find the call's ARGV.
 */
export function createRedlock(
  nodes: Redis[],
  calls: Map<string, Call>,
  acquire: Script,
  extend: Script,
  value: () => string | undefined,
): Redlock {
  const adapters = nodes.map((c, i) => new NodeAdapter(i, c, calls)) as unknown as Redis[]
  // redlock 5.0.0-beta.2 only honours script *functions* (a plain string is silently ignored).
  const rl = new RedlockClass(
    adapters,
    { retryCount: 0 },
    {
      acquireScript: () => acquire.lua,
      extendScript: () => extend.lua,
      releaseScript: () => SCRIPTS.release.lua,
    },
  )
  ;(rl as unknown as { _random(): string })._random = () => value() ?? randomBytes(12).toString('hex')
  return rl
}
