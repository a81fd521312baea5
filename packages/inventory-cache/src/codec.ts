import { DecodeError } from './errors.js'

/** A decoded L2 value. */
export interface StoredValue {
  /** Deep-frozen payload; `undefined` for a negative ("not found") entry. */
  value: object | undefined
  negative: boolean
  /** Server ms until which the value is fresh. */
  freshUntil: number
  /** Server ms until which it may be served stale. */
  graceUntil: number
  /** How long the loader took (XFetch's delta). */
  loaderMs: number
  /** The version this value reflects. */
  version: number
}

/** Freezes a JSON tree so callers cannot mutate what other callers will be handed. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const child of Object.values(value)) deepFreeze(child)
  }
  return value
}

/** Counter names the Lua side can rewrite safely (no separators of the value format). */
const COUNTER_NAME = /^[A-Za-z0-9_$.-]+$/

/**
 * Serialises a loader result: the JSON payload, plus every top-level safe integer as a counter
 * ("name:int,...") so `applyDelta` can rewrite it in place.
 */
export function encodeValue(value: object): { json: string; counters: string } {
  const json = JSON.stringify(value)
  let counters = ''
  if (!Array.isArray(value)) {
    for (const [name, v] of Object.entries(value)) {
      if (typeof v === 'number' && Number.isSafeInteger(v) && COUNTER_NAME.test(name)) {
        counters += `${counters === '' ? '' : ','}${name}:${v}`
      }
    }
  }
  return { json, counters }
}

/**
 * The value every reader sees: the JSON round trip of what the loader returned, frozen. The
 * loader's own object is never handed out, so a miss returns exactly what a later hit returns
 * (a Date becomes a string on both paths).
 */
export function normalise(json: string): object {
  return deepFreeze(JSON.parse(json) as object)
}

/** Decodes the value string (see scripts.ts for the format); `undefined` when absent. */
export function decodeValue(key: string, raw: unknown): StoredValue | undefined {
  if (raw === null || raw === undefined || raw === false) return undefined
  try {
    const s = String(raw)
    const fields: string[] = []
    let pos = 0
    for (let i = 0; i < 7; i++) {
      const bar = s.indexOf('|', pos)
      if (bar < 0) throw new Error('truncated header')
      fields.push(s.slice(pos, bar))
      pos = bar + 1
    }
    if (fields[0] !== 'IC1') throw new Error(`unknown format ${fields[0]}`)
    const freshUntil = Number(fields[1])
    const graceUntil = Number(fields[2])
    const loaderMs = Number(fields[3])
    const version = Number(fields[4])
    const negative = fields[5] === '1'
    if (negative) return { value: undefined, negative, freshUntil, graceUntil, loaderMs, version }
    const parsed = JSON.parse(s.slice(pos)) as Record<string, unknown>
    const counters = fields[6]!
    if (counters !== '') {
      for (const pair of counters.split(',')) {
        const colon = pair.lastIndexOf(':')
        parsed[pair.slice(0, colon)] = Number(pair.slice(colon + 1))
      }
    }
    return { value: deepFreeze(parsed), negative, freshUntil, graceUntil, loaderMs, version }
  } catch (error) {
    throw new DecodeError(key, error)
  }
}
