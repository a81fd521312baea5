/**
 * A small secrets scanner: named patterns for credentials whose shape is known (AWS keys,
 * private keys, tokens, passwords in URLs and assignments), and Shannon entropy for the rest.
 * Findings are reported with file, line and rule; the allowlist below says what is exempt and why.
 */

export interface Finding {
  file: string
  line: number
  rule: string
  /** The matched text, shortened and partly masked (never print a secret whole). */
  excerpt: string
}

interface Rule {
  name: string
  pattern: RegExp
  /** Group holding the secret value, when the match has surrounding context. */
  group?: number
}

const RULES: Rule[] = [
  { name: 'aws-access-key-id', pattern: /\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b/g },
  {
    name: 'aws-secret-access-key',
    pattern: /aws_?secret_?(?:access_?)?key["']?\s*[:=]\s*["']?([A-Za-z0-9/+]{40})\b/gi,
    group: 1,
  },
  { name: 'private-key', pattern: /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY(?: BLOCK)?-----/g },
  {
    name: 'github-token',
    pattern: /\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}\b|\bgithub_pat_[A-Za-z0-9_]{40,}\b/g,
  },
  { name: 'slack-token', pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}\b/g },
  { name: 'stripe-key', pattern: /\b(?:sk|rk)_live_[A-Za-z0-9]{16,}\b/g },
  { name: 'npm-token', pattern: /\bnpm_[A-Za-z0-9]{36}\b/g },
  {
    name: 'password-in-url',
    pattern:
      /\b(?:mysql|mariadb|postgres(?:ql)?|redis|rediss|mongodb(?:\+srv)?|amqps?|https?):\/\/[^:\s/'"`@]+:([^@\s'"`/]+)@/g,
    group: 1,
  },
  {
    // password = "…", DB_PASSWORD: '…', "master_password": "…", secret_key="…" (quoted literals)
    name: 'password-literal',
    pattern:
      /\b[\w.-]*(?:password|passwd|pwd|secret|api_?key|access_?key|auth_?token|private_?key)["']?\s*[:=]\s*["'`]([^"'`\s]{6,})["'`]/gi,
    group: 1,
  },
]

/** Values that are obviously not secrets: placeholders, references, and documented test fixtures. */
export const VALUE_ALLOWLIST: Array<{ pattern: RegExp; why: string }> = [
  {
    pattern: /^\\?\$\{|^\$\(|^\$[A-Z_]+$|^<.*>$|^%s$|^\{\{.*\}\}$/,
    why: 'a shell / template / Terraform reference (escaped or not), not a value',
  },
  {
    pattern: /^(?:pass|password|secret|pwd|passwd|changeme)$/i,
    why: 'a placeholder word in documentation URLs',
  },
  { pattern: /^AWS\/[A-Za-z0-9]+\//, why: 'a CloudWatch namespace / metric name' },
  {
    // Planted on purpose by the tests of the infra secret policy, which must catch them.
    pattern: /YourSecurePassword123|^pw1234$/,
    why: "the seed's published example password and a short fixture, planted by the secret-policy tests",
  },
  { pattern: /^(?:process\.env|env\.|config\.|options\.|e\.)/, why: 'a reference to configuration' },
  {
    pattern:
      /(?:^|[-_.])(?:test|tests|example|examples|placeholder|changeme|dummy|fake|sample|redacted|not-a-secret|xxx+)(?:$|[-_.0-9])/i,
    why: 'a value named as a test / example placeholder',
  },
  { pattern: /^\*+$|^x+$|^\.\.\.$/i, why: 'masked' },
]

/** Files that are exempt, each with the reason. */
export const FILE_ALLOWLIST: Array<{ pattern: RegExp; why: string }> = [
  {
    pattern: /(?:^|\/)package-lock\.json$/,
    why: 'lockfile: sha512 integrity hashes are high-entropy by design',
  },
  { pattern: /\.(?:png|jpe?g|gif|ico|woff2?|ttf|pdf|zip|gz|tgz)$/, why: 'binary' },
  {
    pattern: /^test\/faults\/harness\/secrets\.ts$/,
    why: 'this scanner: its own patterns and documented examples',
  },
]

/** Shannon entropy in bits per character. */
export function entropy(text: string): number {
  const counts = new Map<string, number>()
  for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1)
  let h = 0
  for (const n of counts.values()) {
    const p = n / text.length
    h -= p * Math.log2(p)
  }
  return h
}

// Candidate tokens for the entropy check: long runs of base64/hex alphabet, not paths or words.
const TOKEN = /[A-Za-z0-9+/=_-]{32,}/g
const HEX = /^[0-9a-f]+$/i

/**
 * A high-entropy token that looks like key material: base64-ish with ≥ 4.5 bits/char (random
 * base64 is ~6; English identifiers stay under ~4), mixing upper, lower and digits. Hex strings
 * are hashes (commits, integrity, test vectors) far more often than keys in this repository, so
 * they are left to the named rules.
 */
export function looksRandom(token: string): boolean {
  if (HEX.test(token)) return false
  if (!/[A-Z]/.test(token) || !/[a-z]/.test(token) || !/[0-9]/.test(token)) return false
  if (/^[A-Za-z]+(?:[-_][A-Za-z0-9]+)+$/.test(token)) return false // kebab/snake identifiers
  return entropy(token) >= 4.5
}

function mask(value: string): string {
  return value.length <= 8 ? '***' : `${value.slice(0, 4)}…${value.slice(-2)} (${value.length} chars)`
}

const allowedValue = (value: string) => VALUE_ALLOWLIST.some((a) => a.pattern.test(value))

/** Scans one text; `file` is used for the report and the file allowlist. */
export function scanText(file: string, text: string): Finding[] {
  if (FILE_ALLOWLIST.some((a) => a.pattern.test(file))) return []
  const findings: Finding[] = []
  const lines = text.split('\n')
  lines.forEach((line, index) => {
    if (line.length > 5000) line = line.slice(0, 5000)
    for (const rule of RULES) {
      for (const m of line.matchAll(rule.pattern)) {
        const value = rule.group ? (m[rule.group] ?? '') : m[0]
        if (rule.group && allowedValue(value)) continue
        findings.push({ file, line: index + 1, rule: rule.name, excerpt: mask(value) })
      }
    }
    for (const m of line.matchAll(TOKEN)) {
      const token = m[0]
      if (looksRandom(token) && !allowedValue(token)) {
        findings.push({ file, line: index + 1, rule: 'high-entropy', excerpt: mask(token) })
      }
    }
  })
  return findings
}

/**
 * Walks a synthesized Terraform JSON document: scans it as text, and decodes every user data
 * field (base64 in `user_data` / `user_data_base64`, or a `${base64encode("…")}` literal) to scan
 * the script the instances run.
 */
export function scanTerraform(file: string, json: unknown): Finding[] {
  const findings = scanText(file, JSON.stringify(json, null, 1))
  const visit = (node: unknown, path: string) => {
    if (Array.isArray(node)) {
      node.forEach((n, i) => {
        visit(n, `${path}[${i}]`)
      })
    } else if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) {
        const here = `${path}.${k}`
        if (/user_data/i.test(k) && typeof v === 'string') {
          findings.push(...scanText(`${file}:${here} (decoded)`, decodeUserData(v)))
        } else visit(v, here)
      }
    }
  }
  visit(json, '$')
  return findings
}

/** The script behind a user data value: base64-decoded when it is base64, else as written. */
export function decodeUserData(value: string): string {
  const literal = /^\$\{base64encode\("([\s\S]*)"\)\}$/.exec(value)
  if (literal) {
    try {
      return JSON.parse(`"${literal[1]}"`) as string
    } catch {
      return literal[1]!
    }
  }
  const compact = value.replace(/\s+/g, '')
  if (/^[A-Za-z0-9+/]+=*$/.test(compact) && compact.length % 4 === 0) {
    return Buffer.from(compact, 'base64').toString('utf8')
  }
  return value
}
