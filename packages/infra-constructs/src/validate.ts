import { Token } from 'cdktn'
import { InvalidPropsError } from './errors.js'

/** A parsed IPv4 CIDR block. */
export interface Ipv4Cidr {
  /** The network address as an unsigned 32-bit integer. */
  readonly base: number
  readonly prefix: number
}

/** Retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
]

const CIDR_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/

/** Parses `a.b.c.d/p`; returns undefined when it is not a canonical IPv4 CIDR (host bits must be zero). */
export function parseCidr(cidr: string): Ipv4Cidr | undefined {
  const m = CIDR_RE.exec(cidr)
  if (!m) return undefined
  const octets = m.slice(1, 5).map(Number)
  const prefix = Number(m[5])
  if (octets.some((o) => o > 255) || prefix > 32) return undefined
  const base = octets.reduce((acc, o) => acc * 256 + o, 0)
  const size = 2 ** (32 - prefix)
  if (base % size !== 0) return undefined
  return { base, prefix }
}

/** Formats a network address + prefix back to `a.b.c.d/p`. */
export function formatCidr(base: number, prefix: number): string {
  const octets = [24, 16, 8, 0].map((shift) => Math.floor(base / 2 ** shift) % 256)
  return `${octets.join('.')}/${prefix}`
}

/** Terraform's `cidrsubnet(prefix, newbits, netnum)`, evaluated at synth time. */
export function cidrSubnet(cidr: Ipv4Cidr, newBits: number, netNum: number): string {
  const prefix = cidr.prefix + newBits
  if (prefix > 32 || netNum >= 2 ** newBits) throw new RangeError('cidrSubnet: out of range')
  return formatCidr(cidr.base + netNum * 2 ** (32 - prefix), prefix)
}

/** Small assertion helpers bound to one construct name, so every message says where it came from. */
export function validator(construct: string) {
  const fail = (prop: string, message: string): never => {
    throw new InvalidPropsError(construct, prop, message)
  }
  return {
    fail,
    /** An integer within [min, max]; tokens (values known only at apply time) are let through. */
    int(prop: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
      if (Token.isUnresolved(value)) return value
      if (!Number.isInteger(value) || value < min || value > max) {
        fail(prop, `expected an integer in [${min}, ${max}], got ${value}`)
      }
      return value
    },
    number(prop: string, value: number, min: number, max: number): number {
      if (Token.isUnresolved(value)) return value
      if (!Number.isFinite(value) || value < min || value > max) {
        fail(prop, `expected a number in [${min}, ${max}], got ${value}`)
      }
      return value
    },
    oneOf<T extends string>(prop: string, value: T, allowed: readonly T[]): T {
      if (!allowed.includes(value)) fail(prop, `expected one of ${allowed.join(', ')}, got "${value}"`)
      return value
    },
    /** A resource name prefix: lowercase letters, digits and hyphens, starting with a letter. */
    name(prop: string, value: string, maxLength: number): string {
      if (!/^[a-z][a-z0-9-]*$/.test(value) || value.endsWith('-') || value.includes('--')) {
        fail(prop, `"${value}" must be lowercase letters, digits and single hyphens, starting with a letter`)
      }
      if (value.length > maxLength) fail(prop, `"${value}" is longer than ${maxLength} characters`)
      return value
    },
    cidr(prop: string, value: string, minPrefix = 16, maxPrefix = 28): Ipv4Cidr {
      const parsed = parseCidr(value)
      if (!parsed)
        return fail(prop, `"${value}" is not a valid IPv4 CIDR block (a.b.c.d/n with zero host bits)`)
      if (parsed.prefix < minPrefix || parsed.prefix > maxPrefix) {
        fail(prop, `"${value}" must have a prefix between /${minPrefix} and /${maxPrefix}`)
      }
      return parsed
    },
    /** At least two distinct availability zones, the point of the whole stack. */
    azs(prop: string, value: readonly string[]): string[] {
      if (value.length < 2)
        fail(prop, `need at least 2 availability zones for high availability, got ${value.length}`)
      if (new Set(value).size !== value.length)
        fail(prop, `availability zones must be distinct: ${value.join(', ')}`)
      for (const az of value) {
        if (!Token.isUnresolved(az) && !/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/.test(az)) {
          fail(prop, `"${az}" does not look like an availability zone name (e.g. ap-northeast-2a)`)
        }
      }
      return [...value]
    },
    /** CloudWatch Logs accepts only these retention periods; anything else fails at apply. */
    retention(prop: string, value: number): number {
      if (!LOG_RETENTION_DAYS.includes(value)) {
        fail(prop, `${value} is not a CloudWatch Logs retention; use one of ${LOG_RETENTION_DAYS.join(', ')}`)
      }
      return value
    },
    nonEmpty(prop: string, value: string | undefined): string {
      if (value === undefined || value.trim() === '') return fail(prop, 'must be a non-empty string')
      return value
    },
  }
}
