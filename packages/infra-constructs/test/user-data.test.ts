// The launch template's user data, decoded: it must pull from the real ECR repository, build the
// connection URLs from Secrets Manager at boot, and carry no secret itself.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { checkTicketingPolicies, decodeUserData } from '../src/index.js'
import { type Json, only, ref, synthTicketing } from './helpers.js'

let json: Json
let script: string
beforeAll(() => {
  json = synthTicketing().json
  script = decodeUserData(only(json, 'aws_launch_template').user_data)
})

describe('user data', () => {
  it('is base64encode() of a bash script', () => {
    expect(only(json, 'aws_launch_template').user_data).toMatch(/^\$\{base64encode\("#!\/bin\/bash\\n/)
    expect(script.startsWith('#!/bin/bash\n')).toBe(true)
    expect(script).toContain('set -euo pipefail')
  })

  it('logs in to, and pulls from, the real ECR repository URL (the seed left it empty)', () => {
    const url = ref(json, 'aws_ecr_repository', 'repo', 'repository_url')
    expect(script).toContain(`REPOSITORY_URL="${url}"`)
    expect(script).toContain('IMAGE="$REPOSITORY_URL:v1.0.0"')
    expect(script).toMatch(
      /aws ecr get-login-password --region "\$REGION" \| docker login --username AWS --password-stdin "\$REGISTRY"/,
    )
    expect(script).toContain('docker pull "$IMAGE"')
    expect(script).toContain('-p 8080:8080')
  })

  it('reads every secret from Secrets Manager at boot, by ARN reference', () => {
    // The application user's secret, never the master user's.
    const appSecret = ref(json, 'aws_secretsmanager_secret', 'app-user', 'arn')
    expect(script).toContain(`DB_USER="$(secret '${appSecret}' | jq -r .username)"`)
    expect(script).not.toContain('master_user_secret')
    expect(script).toContain(
      `REDIS_TOKEN="$(secret '${ref(json, 'aws_secretsmanager_secret', 'auth-token', 'arn')}')"`,
    )
    expect(script).toContain(
      `JWT_SECRET="$(secret '${ref(json, 'aws_secretsmanager_secret', 'jwt-secret', 'arn')}')"`,
    )
  })

  it('gives the container the documented environment', () => {
    const env = script.slice(script.indexOf('<<ENV\n') + 6, script.indexOf('\nENV\n'))
    const lines = Object.fromEntries(
      env.split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    )
    expect(lines).toMatchObject({
      PORT: '8080',
      AUTH_MODE: 'jwt',
      JWT_SECRET: '$JWT_SECRET',
      CLOUDWATCH_NAMESPACE: 'Ticketing',
      AWS_REGION: '$REGION',
    })
    expect(script).toContain('REGION="ap-northeast-2"')
    const redis = ref(json, 'aws_elasticache_replication_group', 'redis', 'primary_endpoint_address')
    expect(lines.REDIS_URL).toBe(`rediss://:$(urlencode "$REDIS_TOKEN")@${redis}:6379`)
    const writer = ref(json, 'aws_rds_cluster', 'cluster', 'endpoint')
    expect(lines.DATABASE_URL).toBe(
      `mysql://$(urlencode "$DB_USER")@${writer}:3306/ticketing?ssl=Amazon%20RDS`,
    )
    // The password rotates: the app reads it from the secret, never from a file written at boot.
    expect(lines.DATABASE_SECRET_ID).toBe(ref(json, 'aws_secretsmanager_secret', 'app-user', 'arn'))
    expect(script).not.toContain('DB_PASSWORD')
    expect(lines.TRUST_PROXY).toBe('1')
    expect(lines.SQS_QUEUE_URL).toBe(ref(json, 'aws_sqs_queue', 'messaging_queue', 'url'))
  })

  it('contains no secret: only references and shell variables', () => {
    const secretRules = checkTicketingPolicies(json).filter((v) => v.rule === 'literal-secret')
    expect(secretRules).toEqual([])
    expect(script).not.toMatch(/password\s*[:=]\s*["']?[^"'$\s]/i)
    // Every ${...} left is a Terraform reference to a resource, never a shell variable.
    for (const m of script.matchAll(/\$\{([^}]*)\}/g)) expect(m[1]).toMatch(/^aws_[a-z0-9_]+\.[\w-]+\./)
    expect(script).not.toContain('%{')
  })

  it('is valid bash (bash -n, with the references filled in)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'userdata-'))
    const file = join(dir, 'user-data.sh')
    writeFileSync(file, script.replace(/\$\{aws_[^}]*\}/g, 'placeholder'))
    expect(() => execFileSync('bash', ['-n', file], { stdio: 'pipe' })).not.toThrow()
  })
})
