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

/**
 * Serialises a loader result: the JSON payload, plus every top-level safe integer as its own
 * hash field (`f:<name>`) so `applyDelta` can HINCRBY it in place.
 */
export function encodeValue(value: object): { json: string; counters: string[] } {
  const json = JSON.stringify(value)
  const counters: string[] = []
  if (!Array.isArray(value)) {
    for (const [name, v] of Object.entries(value)) {
      if (typeof v === 'number' && Number.isSafeInteger(v)) counters.push(`f:${name}`, String(v))
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

/** Decodes the flat HGETALL reply of the value hash; `undefined` when the hash is absent. */
export function decodeHash(key: string, flat: unknown): StoredValue | undefined {
  if (!Array.isArray(flat) || flat.length === 0) return undefined
  try {
    let json: string | undefined
    let freshUntil = 0
    let graceUntil = 0
    let loaderMs = 0
    let version = 0
    let negative = false
    let counters: Array<[string, number]> | undefined
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const field = String(flat[i])
      const raw = String(flat[i + 1])
      switch (field) {
        case 'd':
          json = raw
          break
        case 'e':
          freshUntil = Number(raw)
          break
        case 'g':
          graceUntil = Number(raw)
          break
        case 'c':
          loaderMs = Number(raw)
          break
        case 'r':
          version = Number(raw)
          break
        case 'n':
          negative = raw === '1'
          break
        default:
          if (field.startsWith('f:')) {
            counters ??= []
            counters.push([field.slice(2), Number(raw)])
          }
      }
    }
    if (negative) return { value: undefined, negative, freshUntil, graceUntil, loaderMs, version }
    if (json === undefined) throw new Error('no payload field')
    const parsed = JSON.parse(json) as Record<string, unknown>
    if (counters) for (const [name, n] of counters) parsed[name] = n
    return { value: deepFreeze(parsed), negative, freshUntil, graceUntil, loaderMs, version }
  } catch (error) {
    throw new DecodeError(key, error)
  }
}
