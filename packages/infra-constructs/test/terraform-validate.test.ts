// Optional: `terraform init && terraform validate` on the synthesized stack (cdktf's
// toBeValidTerraform). It needs a terraform binary AND the hashicorp/aws provider available
// offline (a plugin cache or filesystem mirror); this machine has no network to download it, so
// the test is skipped, with the reason, when either is missing.
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { Testing } from 'cdktn'
import { describe, expect, it } from 'vitest'
import { buildStack } from './helpers.js'

function terraformVersion(): string | undefined {
  try {
    return execFileSync('terraform', ['version'], { stdio: 'pipe', timeout: 10_000 })
      .toString()
      .split('\n')[0]
  } catch {
    return undefined
  }
}

/** Offline plugin locations Terraform searches (plus TF_PLUGIN_CACHE_DIR). */
function awsProviderDir(): string | undefined {
  const roots = [
    process.env.TF_PLUGIN_CACHE_DIR,
    join(homedir(), '.terraform.d/plugins'),
    join(homedir(), '.local/share/terraform/plugins'),
    '/usr/local/share/terraform/plugins',
    '/usr/share/terraform/plugins',
  ].filter((d): d is string => Boolean(d))
  for (const root of roots) {
    const dir = join(root, 'registry.terraform.io/hashicorp/aws')
    if (existsSync(dir) && readdirSync(dir).length > 0) return dir
  }
  return undefined
}

const version = terraformVersion()
const provider = awsProviderDir()
const reason = !version
  ? 'no terraform binary on PATH'
  : !provider
    ? `${version} found, but no offline hashicorp/aws provider (plugin cache or mirror); providers cannot be downloaded here`
    : undefined
if (reason) console.info(`[terraform-validate] skipped: ${reason}`)

describe('terraform validate', () => {
  it.skipIf(reason !== undefined)(
    `the synthesized stack is valid Terraform${reason ? ` (skipped: ${reason})` : ''}`,
    () => {
      const { stack } = buildStack()
      const outdir = Testing.fullSynth(stack)
      expect(Testing.toBeValidTerraform(outdir)).toBe(true)
    },
  )
})
