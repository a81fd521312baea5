// Shared synth helpers: build a TicketingStack in a fresh Testing app, synthesize once, and query
// the resolved JSON by resource type.
import { AwsProvider } from '@cdktn/provider-aws/lib/provider/index.js'
import { TerraformDataSource, TerraformResource, TerraformStack, Testing } from 'cdktn'
import { TicketingStack, type TicketingStackProps } from '../src/index.js'

// biome-ignore lint/suspicious/noExplicitAny: synthesized Terraform JSON is untyped; tests index into it freely
export type Json = Record<string, any>

export const BASE_PROPS: TicketingStackProps = {
  projectName: 'ticketing',
  environment: 'dev',
  region: 'ap-northeast-2',
  availabilityZones: ['ap-northeast-2a', 'ap-northeast-2c'],
  alarmEmail: 'ops@example.com',
}

/** A stack with the AWS provider (validations demand one) and a TicketingStack in it. */
export function buildStack(props: Partial<TicketingStackProps> = {}) {
  const app = Testing.app()
  const stack = new TerraformStack(app, 'stack')
  new AwsProvider(stack, 'aws', { region: props.region ?? BASE_PROPS.region })
  const ticketing = new TicketingStack(stack, 'ticketing', { ...BASE_PROPS, ...props })
  return { app, stack, ticketing }
}

/** Synthesizes with validations (so policy violations throw) and parses the JSON. */
export function synthJson(stack: TerraformStack): Json {
  return JSON.parse(Testing.synth(stack, true))
}

export function synthTicketing(props: Partial<TicketingStackProps> = {}) {
  const built = buildStack(props)
  return { ...built, json: synthJson(built.stack) }
}

/** All resources of one type, as [name, body] pairs. */
export function resources(json: Json, type: string): [string, Json][] {
  return Object.entries(json.resource?.[type] ?? {})
}

/** The only resource of a type (fails the test when there are several). */
export function only(json: Json, type: string): Json {
  const all = resources(json, type)
  if (all.length !== 1) throw new Error(`expected exactly one ${type}, found ${all.length}`)
  return all[0]![1]
}

/** The resource of a type whose name contains `part` (CDK Terrain names are path-derived). */
export function named(json: Json, type: string, part: string): Json {
  const hits = resources(json, type).filter(([n]) => n.includes(part))
  if (hits.length !== 1)
    throw new Error(
      `expected one ${type} named *${part}*, found ${hits.map(([n]) => n).join(', ') || 'none'}`,
    )
  return hits[0]![1]
}

/** `${aws_x.name.attr}` for the named resource, to compare references. */
export function ref(json: Json, type: string, part: string, attr: string): string {
  const hits = resources(json, type).filter(([n]) => n.includes(part))
  if (hits.length !== 1) throw new Error(`expected one ${type} named *${part}*`)
  return `\${${type}.${hits[0]![0]}.${attr}}`
}

/** `${data.aws_x.name.attr}` for the data source of a type whose name contains `part`. */
export function dataRef(json: Json, type: string, part: string, attr: string): string {
  const hits = Object.keys(json.data?.[type] ?? {}).filter((n) => n.includes(part))
  if (hits.length !== 1) throw new Error(`expected one data.${type} named *${part}*`)
  return `\${data.${type}.${hits[0]}.${attr}}`
}

const TRAVERSAL = /(?<![\w.])((?:data\.)?aws_[a-z0-9_]+\.[\w-]+|var\.[\w-]+|local\.[\w-]+)/g

/**
 * Every traversal (`aws_x.name`, `data.aws_x.name`, `var.x`, `local.x`) found in any `${...}` of the
 * document that does not point at a declared resource, data source, variable or local. Each `${`
 * is read up to the next `}`; references nested in template strings (the user data) have their
 * own `${` and are found the same way.
 */
export function unresolvedReferences(json: Json): string[] {
  const declared = new Set<string>()
  for (const [type, byName] of Object.entries(json.resource ?? {})) {
    for (const name of Object.keys(byName as Json)) declared.add(`${type}.${name}`)
  }
  for (const [type, byName] of Object.entries(json.data ?? {})) {
    for (const name of Object.keys(byName as Json)) declared.add(`data.${type}.${name}`)
  }
  for (const name of Object.keys(json.variable ?? {})) declared.add(`var.${name}`)
  for (const name of Object.keys(json.locals ?? {})) declared.add(`local.${name}`)
  const missing = new Set<string>()
  const visit = (v: unknown) => {
    if (typeof v === 'string') {
      for (const m of v.matchAll(/(?<!\$)\$\{([^}]*)\}/g)) {
        // A bare `${NAME}` (a shell variable that leaked into a template) is an error in Terraform.
        if (/^\s*[A-Za-z_][\w-]*\s*$/.test(m[1]!)) missing.add(`bare \${${m[1]}}`)
        for (const t of m[1]!.matchAll(TRAVERSAL)) if (!declared.has(t[1]!)) missing.add(t[1]!)
      }
    } else if (Array.isArray(v)) v.forEach(visit)
    else if (v && typeof v === 'object') Object.values(v).forEach(visit)
  }
  visit({
    resource: json.resource,
    data: json.data,
    output: json.output,
    locals: json.locals,
    provider: json.provider,
  })
  return [...missing].sort()
}

/** Counts `${...}` expressions (so a walker test can prove it looked at something). */
export function countReferences(json: Json): number {
  return JSON.stringify(json).match(/\$\{/g)?.length ?? 0
}

/**
 * Every `${aws_x.name.attr}` whose attribute the provider class does not expose (a typo such as
 * `arn_sufix`, or an attribute of the wrong resource type): looked up on the construct itself,
 * attribute snake_case → getter camelCase.
 */
export function unknownAttributes(stack: TerraformStack, json: Json): string[] {
  const byAddress = new Map<string, object>()
  for (const c of stack.node.findAll()) {
    if (c instanceof TerraformResource) byAddress.set(`${c.terraformResourceType}.${c.friendlyUniqueId}`, c)
    else if (c instanceof TerraformDataSource)
      byAddress.set(`data.${c.terraformResourceType}.${c.friendlyUniqueId}`, c)
  }
  const bad = new Set<string>()
  const text = JSON.stringify({ resource: json.resource, data: json.data, output: json.output })
  for (const m of text.matchAll(/(?<![\w.])((?:data\.)?aws_[a-z0-9_]+\.[\w-]+)\.([a-z0-9_]+)/g)) {
    const target = byAddress.get(m[1]!)
    const getter = m[2]!.replace(/_([a-z0-9])/g, (_, ch: string) => ch.toUpperCase())
    if (!target || !(getter in target)) bad.add(`${m[1]}.${m[2]}`)
  }
  return [...bad].sort()
}
