// Scenario 9: no secret in the repository, in the synthesized Terraform, or in the instances'
// user data. Runs in the quick subset (it needs no servers).
import { execFile, execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { recordResult } from './harness/report.js'
import { decodeUserData, type Finding, scanTerraform, scanText } from './harness/secrets.js'

const run = promisify(execFile)
const root = join(dirname(fileURLToPath(import.meta.url)), '../..')
const deployMain = join(root, 'examples/deploy/main.ts')

// Planted samples, assembled at run time so that this file holds no secret-shaped literal.
const j = (...parts: string[]) => parts.join('')
const planted = {
  awsKeyId: j('AKIA', 'Q3EGRZ7XJ2', 'PLMN4T'),
  awsSecret: j('aws_secret_access_key = "', 'wJalrXUtnFEMIK7MDENGb', 'PxRfiCYzQ8vN3kTq1LmZ', '"'),
  privateKey: j('-----BEGIN RSA ', 'PRIVATE KEY-----'),
  dbUrl: j('mysql://admin:', 'S3cr3tPassw0rd', '@db.internal:3306/app'),
  password: j('db_password = "', 'hunter2hunter2', '"'),
  random: j('token: ', 'q8Zr2Lx0Vb7NwK', '4mPe9TfYc1Hs6GdJ', 'uA3oRi5E'),
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? walk(join(dir, d.name)) : [join(dir, d.name)],
  )
}

const describeFindings = (findings: Finding[]) =>
  findings.map((f) => `${f.file}:${f.line} ${f.rule} ${f.excerpt}`).join('\n')

describe('scenario 9: secrets', () => {
  it('the scanner finds each kind of planted secret (so a clean result means something)', () => {
    for (const [kind, text] of Object.entries(planted)) {
      expect(scanText(`planted/${kind}`, `const x = 1\n${text}\n`), kind).not.toEqual([])
    }
    // …and leaves references and placeholders alone.
    const clean = [
      `DATABASE_URL: mysql://ticketing:${'$'}{MYSQL_PASSWORD:?set MYSQL_PASSWORD}@mysql:3306/ticketing`,
      "password: process.env.DB_PASSWORD ?? ''",
      'const eventName = "Summer concert 2024 main stage"',
      "integrity: 'sha512-0123456789abcdef0123456789abcdef0123456789abcdef'",
    ].join('\n')
    expect(scanText('clean.ts', clean)).toEqual([])
    expect(decodeUserData(Buffer.from('#!/bin/bash\necho hi\n').toString('base64'))).toContain('echo hi')
  })

  it('no tracked file in the repository holds a secret', async () => {
    const files = execFileSync('git', ['ls-files'], { cwd: root }).toString().trim().split('\n')
    const findings: Finding[] = []
    let scanned = 0
    for (const file of files) {
      const path = join(root, file)
      if (!existsSync(path) || statSync(path).size > 5_000_000) continue
      const text = readFileSync(path, 'utf8')
      if (text.includes('\u0000')) continue // binary
      scanned++
      findings.push(...scanText(file, text))
    }
    expect(scanned).toBeGreaterThan(20)
    expect(findings, describeFindings(findings)).toEqual([])
    await recordResult({
      id: '9-secrets',
      title: '9. Secrets scan',
      requestsPerSecond: 0,
      faults: [`${scanned} tracked files scanned`],
      acknowledged: 0,
      lost: 0,
      oversold: 0,
      recoverySeconds: null,
      notes: `${findings.length} findings`,
    })
  })

  // The deploy example synthesizes plain Terraform; until it exists there is nothing to scan.
  it.skipIf(!existsSync(deployMain))(
    'the synthesized Terraform and the decoded user data hold no secret',
    async () => {
      const out = await mkdtemp(join(tmpdir(), 'faults-synth-'))
      try {
        await run(process.execPath, ['--import', 'tsx', deployMain], {
          cwd: dirname(deployMain),
          env: { ...process.env, CDKTF_OUTDIR: out },
          timeout: 240_000,
          maxBuffer: 64 * 1024 * 1024,
        })
        const docs = walk(out).filter((f) => f.endsWith('.tf.json'))
        expect(docs.length, `no *.tf.json under ${out}`).toBeGreaterThan(0)
        const findings: Finding[] = []
        let userData = 0
        for (const doc of docs) {
          const text = readFileSync(doc, 'utf8')
          userData += (text.match(/"user_data(?:_base64)?"/g) ?? []).length
          findings.push(...scanTerraform(relative(out, doc), JSON.parse(text)))
        }
        // The launch template's user data must have been found and decoded, or the check is empty.
        expect(userData, 'no user_data in the synthesized stack').toBeGreaterThan(0)
        expect(findings, describeFindings(findings)).toEqual([])
      } finally {
        await rm(out, { recursive: true, force: true })
      }
    },
  )
})
