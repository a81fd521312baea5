import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'

/**
 * The absolute path of a program the testkit runs (haproxy, mariadbd, …), found on PATH or in
 * the sbin folders Debian installs servers into. When it is missing the error says exactly
 * which Debian package to install, so a failing test explains itself instead of failing with
 * ENOENT from spawn.
 */
export function requireTool(program: string, debianPackage: string): string {
  const folders = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin']
  for (const folder of folders) {
    if (!folder) continue
    const candidate = join(folder, program)
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not here
    }
  }
  throw new Error(
    `${program} is not installed. Install Debian's package: apt-get install -y ${debianPackage} ` +
      `(as root; .ci/run does it when missing)`,
  )
}
