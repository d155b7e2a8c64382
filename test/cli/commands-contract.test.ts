/**
 * The command map of the endpoint table (each row's `command`), checked against the compiled commands as
 * oclif sees them (the same manifest that drives help and completion).
 */
import {Plugin} from '@oclif/core'
import {beforeAll, describe, expect, it} from 'vitest'

import {endpoints} from '../../src/api/endpoints.js'
import {pathParams} from '../../src/api/paths.js'
import {flagName, takesBody} from '../../src/cli/endpoint-input.js'
import {ROOT} from '../helpers/cli.js'

type CachedCommand = {
  id: string
  endpointId?: string
  summary?: string
  description?: string
  examples?: string[]
  args: Record<string, {required?: boolean}>
  flags: Record<string, {type: string; multiple?: boolean; allowNo?: boolean; options?: string[]}>
}

let commands: CachedCommand[] = []

beforeAll(async () => {
  const plugin = new Plugin({root: ROOT, type: 'core', ignoreManifest: true, errorOnManifestCreate: true})
  await plugin.load()
  commands = Object.values(plugin.manifest.commands) as unknown as CachedCommand[]
})

describe('every documented endpoint has its command', () => {
  it('exactly one command per endpoint, named as its row says', () => {
    expect(commands.filter((command) => command.endpointId)).toHaveLength(endpoints.length)
    for (const target of endpoints) {
      const bound = commands.filter((command) => command.endpointId === target.id)
      expect(
        bound.map((command) => command.id),
        target.id,
      ).toEqual([target.command.replaceAll(' ', ':')])
    }
    const known = new Set<string>(endpoints.map((target) => target.id))
    for (const command of commands) if (command.endpointId) expect(known.has(command.endpointId), command.id).toBe(true)
  })

  it("each command's flags and arguments cover the endpoint's documented parameters", () => {
    for (const target of endpoints) {
      const command = commands.find((candidate) => candidate.endpointId === target.id)!
      expect(Object.keys(command.args), target.id).toEqual(pathParams(target))
      for (const name of pathParams(target)) expect(command.args[name].required, `${target.id} ${name}`).toBe(true)
      for (const param of target.params) {
        const flag = command.flags[flagName(param)]
        expect(flag, `${command.id} --${flagName(param)} for ${param.name}`).toBeDefined()
        if (param.type === 'boolean') expect(flag.allowNo, `${command.id} --${flagName(param)}`).toBe(true)
        if (param.type === 'array') expect(flag.multiple, `${command.id} --${flagName(param)}`).toBe(true)
        if (param.enum) expect(flag.options, `${command.id} --${flagName(param)}`).toEqual([...param.enum])
      }
    }
  })

  it('flags follow the reference in kebab-case', () => {
    const create = commands.find((command) => command.id === 'purchases:create')!
    for (const flag of [
      'brand-id',
      'email',
      'product',
      'currency',
      'success-redirect',
      'failure-redirect',
      'success-callback',
      'skip-capture',
      'force-recurring',
      'send-receipt',
      'recurring-token',
    ]) {
      expect(create.flags[flag], flag).toBeDefined()
    }
    expect(commands.find((command) => command.id === 'templates:create')!.flags['subscription-period-units'].options).toEqual([
      'days',
      'weeks',
      'months',
      'years',
    ])
    expect(commands.find((command) => command.id === 'invoices:send')!.flags['client-id'].multiple).toBe(true)
  })

  it('creates and updates take --data, POSTs take --idempotency-key, lists page, destructive verbs take --yes', () => {
    for (const target of endpoints) {
      const {flags, id} = commands.find((command) => command.endpointId === target.id)!
      expect(Boolean(flags.data), `${id} --data`).toBe(takesBody(target))
      expect(Boolean(flags['idempotency-key']), `${id} --idempotency-key`).toBe(target.method === 'POST')
      expect(Boolean(flags.limit && flags.all), `${id} --limit/--all`).toBe(Boolean(target.list))
      expect(Boolean(flags.yes), `${id} --yes`).toBe(Boolean(target.destructive))
      expect(Boolean(flags['dry-run']), `${id} --dry-run`).toBe(target.method !== 'GET')
    }
    const destructive = endpoints.filter((target) => target.destructive).map((target) => target.command)
    expect(destructive.sort()).toEqual(
      [
        'clients delete',
        'clients tokens delete',
        'purchases cancel',
        'purchases delete-recurring-token',
        'purchases refund',
        'purchases release',
        'statements cancel',
        'templates delete',
        'webhooks delete',
      ].sort(),
    )
  })

  it('every command has a summary, a description and a runnable example', () => {
    for (const command of commands) {
      if (command.id === 'help' || command.id.startsWith('autocomplete')) continue
      expect(command.summary, command.id).toBeTruthy()
      expect(command.description, command.id).toBeTruthy()
      expect(command.examples?.length, command.id).toBeGreaterThan(0)
      for (const example of command.examples ?? []) expect(example, command.id).toContain(`<%= config.bin %> ${command.id.replaceAll(':', ' ')}`)
    }
  })

  it('the shortcuts beyond the endpoints exist', () => {
    const ids = new Set(commands.map((command) => command.id))
    for (const id of ['templates:subscribers:pause', 'templates:subscribers:resume', 'statements:download']) expect(ids.has(id), id).toBe(true)
  })
})
