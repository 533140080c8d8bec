// GitLab CI/CD variables as targets, against the local GitLab server: created masked (or hidden)
// or updated with the other settings kept, GitLab's masking and hiding rules checked before a
// write, 429 waited out, and one result per target.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import type { VariableTargetSettings } from '../../../src/providers/gitlab/configure.js'
import { VariableTargets } from '../../../src/providers/gitlab/targets.js'
import { GROUP, PROJECT, startWorld, type GitLabWorld } from './world.js'

let world: GitLabWorld

beforeEach(async () => {
  world = await startWorld()
})
afterEach(async () => {
  await world.gitlab.close()
})

const VALUE = 'glpat-new-value-0123456789'

function target(extra: Partial<VariableTargetSettings> = {}): VariableTargetSettings {
  return {
    url: world.gitlab.url,
    token: world.admin.token,
    owner: { kind: 'project', path: PROJECT },
    variable: 'DEPLOY_TOKEN',
    environmentScope: '*',
    index: 0,
    ...extra
  }
}

function targets(...settings: VariableTargetSettings[]): VariableTargets {
  return new VariableTargets(settings, t => world.client(t.token))
}

describe('GitLab variable targets', () => {
  it('creates a variable masked by default, and updates it keeping its other settings', async () => {
    const one = targets(target({ environmentScope: 'production', protected: true }))
    expect(await one.preflight()).toEqual([
      expect.objectContaining({
        scope: 'project',
        type: 'variable',
        target: 'acme/app (production)',
        name: 'DEPLOY_TOKEN',
        status: 'planned',
        detail: 'create (masked, protected)'
      })
    ])
    expect((await one.publish(VALUE)).map(r => r.status)).toEqual(['created'])
    expect(world.gitlab.variable('project', PROJECT, 'DEPLOY_TOKEN', 'production')).toMatchObject({
      value: VALUE,
      masked: true,
      protected: true,
      hidden: false
    })
    // Updated with the value only: protected stays as it was set, the description too.
    const again = targets(target({ environmentScope: 'production' }))
    expect((await again.publish(`${VALUE}-2`)).map(r => r.status)).toEqual(['updated'])
    expect(world.gitlab.variable('project', PROJECT, 'DEPLOY_TOKEN', 'production')).toMatchObject({
      value: `${VALUE}-2`,
      masked: true,
      protected: true
    })
  })

  it('creates a hidden variable hidden, and updates it without reading its value', async () => {
    const hidden = targets(target({ hidden: true }))
    expect((await hidden.publish(VALUE)).map(r => r.status)).toEqual(['created'])
    expect(world.gitlab.variable('project', PROJECT, 'DEPLOY_TOKEN')).toMatchObject({
      value: VALUE,
      masked: true,
      hidden: true
    })
    expect((await hidden.publish(`${VALUE}-2`)).map(r => r.status)).toEqual(['updated'])
    expect(world.gitlab.variable('project', PROJECT, 'DEPLOY_TOKEN')?.value).toBe(`${VALUE}-2`)
  })

  it('refuses in preflight to hide a variable that exists unhidden (GitLab hides only at creation)', async () => {
    world.gitlab.seedVariable('project', PROJECT, { key: 'DEPLOY_TOKEN', value: 'visible-1234' })
    const [result] = await targets(target({ hidden: true })).preflight()
    expect(result?.status).toBe('failed')
    expect(result?.error).toMatch(/hides a variable only when it is created/)
  })

  it('refuses a value GitLab cannot mask without writing it, and writes the others', async () => {
    const both = targets(
      target({ variable: 'MASKED' }),
      target({ variable: 'PLAIN', masked: false }),
      target({ variable: 'RAW', raw: true })
    )
    const results = await both.publish('has spaces !')
    expect(results.map(r => [r.name, r.status])).toEqual([
      ['MASKED', 'failed'],
      ['PLAIN', 'created'],
      ['RAW', 'failed']
    ])
    expect(results[0]?.error).toMatch(/whitespace/)
    expect(results[0]?.error).not.toContain('has spaces')
    expect(world.gitlab.variable('project', PROJECT, 'MASKED')).toBeUndefined()
    // Raw masks any character but whitespace: `!` is fine there.
    expect((await both.publish('no-spaces!but-raw')).map(r => r.status)).toEqual([
      'failed',
      'updated',
      'created'
    ])
  })

  it('writes group variables, and says which group a token cannot reach', async () => {
    const group = target({ owner: { kind: 'group', path: GROUP } })
    const missing = target({ owner: { kind: 'group', path: 'nobody' }, index: 1 })
    const results = await targets(group, missing).publish(VALUE)
    expect(results.map(r => [r.scope, r.target, r.status])).toEqual([
      ['group', 'acme', 'created'],
      ['group', 'nobody', 'failed']
    ])
    expect(results[1]?.error).toMatch(/404 Group Not Found.*group nobody does not exist/)
    expect(world.gitlab.variable('group', GROUP, 'DEPLOY_TOKEN')?.value).toBe(VALUE)
  })

  it("waits out GitLab's 429 as its Retry-After says", async () => {
    world.gitlab.rateLimit({ retryAfterSeconds: 7, times: 1, method: 'POST' })
    expect((await targets(target()).publish(VALUE)).map(r => r.status)).toEqual(['created'])
    expect(world.slept).toContain(7000)
    expect(world.gitlab.countRequests({ method: 'POST', status: 429 })).toBe(1)
  })

  it('names the token a target lacks, never the value', async () => {
    const reader = world.gitlab.seedPersonalToken('maria', { name: 'reader', scopes: ['read_api'] })
    const [result] = await targets(target({ token: reader.token })).publish(VALUE)
    expect(result?.status).toBe('failed')
    expect(result?.error).toMatch(/insufficient_scope|higher privileges/)
    expect(result?.error).toMatch(/api scope and the Maintainer role/)
    expect(result?.error).not.toContain(VALUE)
    expect(result?.error).not.toContain(reader.token)
  })
})
