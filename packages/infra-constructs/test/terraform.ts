// Finds a Terraform binary and an offline hashicorp/aws provider (a filesystem mirror or plugin
// directory) on this machine, and runs `terraform validate` on synthesized JSON against it. No
// provider is ever downloaded: init reads only the mirror found here, through a CLI config of its own.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'

const AWS = 'registry.terraform.io/hashicorp/aws'
const PLATFORM = `${process.platform}_${process.arch === 'x64' ? 'amd64' : process.arch}`

/** A provider mirror that holds hashicorp/aws for this platform, and the newest version it has. */
export interface ProviderMirror {
  readonly path: string
  readonly version: string
}

function terraformBinary(): string | undefined {
  const fromEnv = process.env.TERRAFORM_BINARY
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : undefined
  const r = spawnSync('sh', ['-c', 'command -v terraform'], { encoding: 'utf8' })
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : undefined
}

/** `path = "..."` of filesystem_mirror blocks and plugin_cache_dir in a CLI config file. */
function pathsInCliConfig(file: string): string[] {
  if (!existsSync(file)) return []
  const text = readFileSync(file, 'utf8')
  const out: string[] = []
  for (const m of text.matchAll(/filesystem_mirror\s*\{[^}]*?path\s*=\s*"([^"]+)"/g)) out.push(m[1]!)
  for (const m of text.matchAll(/plugin_cache_dir\s*=\s*"([^"]+)"/g)) out.push(m[1]!)
  return out.map((p) => p.replace(/^~(?=\/)/, homedir()))
}

/** Versions of hashicorp/aws for this platform in a mirror, unpacked or packed layout. */
function awsVersions(root: string): string[] {
  const dir = join(root, AWS)
  if (!existsSync(dir)) return []
  const versions = new Set<string>()
  for (const entry of readdirSync(dir)) {
    if (/^\d+\.\d+\.\d+$/.test(entry) && existsSync(join(dir, entry, PLATFORM))) versions.add(entry)
    const packed = new RegExp(`^terraform-provider-aws_(\\d+\\.\\d+\\.\\d+)_${PLATFORM}\\.zip$`).exec(entry)
    if (packed) versions.add(packed[1]!)
  }
  const num = (v: string) => v.split('.').map(Number)
  return [...versions].sort((a, b) => {
    const [x, y] = [num(a), num(b)]
    return x[0]! - y[0]! || x[1]! - y[1]! || x[2]! - y[2]!
  })
}

/**
 * Every place Terraform reads providers from without a network, in its own order: the CLI config
 * (TF_CLI_CONFIG_FILE, ~/.terraformrc) mirrors and plugin cache, TF_PLUGIN_CACHE_DIR, the implied
 * local mirror directories, then /opt/<dir> trees laid out as a mirror (where images put one
 * without a CLI config). TF_PROVIDER_MIRROR names one explicitly.
 */
export function findAwsProviderMirror(): ProviderMirror | undefined {
  const home = homedir()
  const xdg = (process.env.XDG_DATA_DIRS ?? '/usr/local/share:/usr/share').split(':')
  const opt = existsSync('/opt') ? readdirSync('/opt').map((d) => join('/opt', d)) : []
  const roots = [
    process.env.TF_PROVIDER_MIRROR,
    ...pathsInCliConfig(process.env.TF_CLI_CONFIG_FILE ?? ''),
    ...pathsInCliConfig(join(home, '.terraformrc')),
    process.env.TF_PLUGIN_CACHE_DIR,
    join(home, '.terraform.d/plugins'),
    join(home, '.local/share/terraform/plugins'),
    ...xdg.map((d) => join(d, 'terraform/plugins')),
    ...opt,
  ].filter((d): d is string => Boolean(d))
  for (const path of roots) {
    const versions = awsVersions(path)
    if (versions.length > 0) return { path, version: versions.at(-1)! }
  }
  return undefined
}

/** What the validation runs with, or why it cannot run here. */
export type TerraformSetup =
  | { readonly binary: string; readonly version: string; readonly mirror: ProviderMirror }
  | { readonly reason: string }

export function findTerraformSetup(): TerraformSetup {
  const binary = terraformBinary()
  if (!binary) return { reason: 'no terraform binary on PATH (or TERRAFORM_BINARY)' }
  // A TF_CLI_CONFIG_FILE that does not exist only makes `terraform version` warn: leave it out.
  const cliConfig = process.env.TF_CLI_CONFIG_FILE
  const env = { ...process.env }
  if (cliConfig && !existsSync(cliConfig)) delete env.TF_CLI_CONFIG_FILE
  const version = execFileSync(binary, ['version'], {
    encoding: 'utf8',
    timeout: 30_000,
    env,
    stdio: 'pipe',
  }).split('\n')[0]!
  const mirror = findAwsProviderMirror()
  if (!mirror) {
    return {
      reason: `${version} found, but no offline hashicorp/aws provider for ${PLATFORM} (CLI-config mirror, plugin dirs, /opt); providers cannot be downloaded here`,
    }
  }
  return { binary, version, mirror }
}

/**
 * A Terraform working directory initialised once from the mirror only, with the provider pinned to
 * the mirror's version; `validate(json)` writes one synthesized stack into it and returns
 * `terraform validate -json`'s verdict.
 */
export function terraformValidator(setup: { binary: string; mirror: ProviderMirror }) {
  const dir = mkdtempSync(join(tmpdir(), 'tf-validate-'))
  const cli = join(dir, 'cli.tfrc')
  writeFileSync(
    cli,
    `provider_installation {\n  filesystem_mirror {\n    path    = ${JSON.stringify(setup.mirror.path)}\n    include = ["${AWS}"]\n  }\n}\n`,
  )
  const work = join(dir, 'stack')
  mkdirSync(work)
  const env = {
    ...process.env,
    TF_CLI_CONFIG_FILE: cli,
    TF_IN_AUTOMATION: '1',
    TF_INPUT: '0',
    CHECKPOINT_DISABLE: '1',
    TF_PLUGIN_CACHE_DIR: '',
  }
  const tf = (args: string[]) =>
    spawnSync(setup.binary, args, { cwd: work, env, encoding: 'utf8', timeout: 300_000 })
  let initialised = false

  return (json: Record<string, unknown>) => {
    const pinned = structuredClone(json) as { terraform?: Record<string, unknown> }
    pinned.terraform = {
      ...pinned.terraform,
      required_providers: { aws: { source: 'hashicorp/aws', version: setup.mirror.version } },
    }
    delete pinned.terraform.backend
    writeFileSync(join(work, 'cdk.tf.json'), JSON.stringify(pinned, null, 2))
    if (!initialised) {
      const init = tf(['init', '-backend=false', '-input=false', '-no-color'])
      if (init.status !== 0) throw new Error(`terraform init failed:\n${init.stdout}\n${init.stderr}`)
      initialised = true
    }
    const run = tf(['validate', '-json', '-no-color'])
    const report = JSON.parse(run.stdout) as {
      valid: boolean
      diagnostics: { severity: string; summary: string; detail?: string; address?: string }[]
    }
    return {
      valid: report.valid,
      errors: report.diagnostics
        .filter((d) => d.severity === 'error')
        .map((d) => `${d.address ?? ''} ${d.summary}: ${d.detail ?? ''}`.trim()),
    }
  }
}
