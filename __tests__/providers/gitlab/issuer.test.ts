// The gitlab-token issuer against the local GitLab server: create-then-revoke copies the current
// token's scopes and role and revokes by id; rotate lets the token rotate itself, never presents a
// revoked token to the rotate endpoint, and never sends a rotate again once it may have landed.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { ActionError } from '../../../src/errors.js'
import type { TokenIssuerSettings } from '../../../src/providers/gitlab/configure.js'
import { GitLabTokenIssuer } from '../../../src/providers/gitlab/issuer.js'
import { PROJECT, startWorld, type GitLabWorld } from './world.js'

let world: GitLabWorld
let masked: string[]

beforeEach(async () => {
  world = await startWorld()
  masked = []
})
afterEach(async () => {
  await world.gitlab.close()
})

const MINUTE = 60_000
const DAY = 24 * 60 * MINUTE

function issuer(token: string, extra: Partial<TokenIssuerSettings> = {}): GitLabTokenIssuer {
  return new GitLabTokenIssuer(
    {
      url: world.gitlab.url,
      owner: { kind: 'project', path: PROJECT },
      tokenName: 'deploy-bot',
      strategy: 'create-then-revoke',
      expiresInDays: 30,
      ...extra
    },
    { client: t => world.client(t), token, mask: secret => masked.push(secret) }
  )
}

async function failure(promise: Promise<unknown>): Promise<ActionError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof ActionError) return error
    throw error
  }
  throw new Error('expected a failure')
}

/** GitLab's clock as its Date header says it: to the second. */
function gitlabNow(): Date {
  return new Date(Math.floor(world.gitlab.clock.now().getTime() / 1000) * 1000)
}

function utcDate(at: Date, days: number): string {
  return new Date(at.getTime() + days * DAY).toISOString().slice(0, 10)
}

describe('gitlab-token, create-then-revoke', () => {
  it('creates a token with the same name, scopes and role, and a new expiry; the old one lives on', async () => {
    const old = world.gitlab.seedResourceToken('project', PROJECT, {
      name: 'deploy-bot',
      scopes: ['read_api', 'read_registry'],
      accessLevel: 'developer'
    })
    const minted = await issuer(world.admin.token).mint(world.admin.token)
    expect(minted.rotated).toBe(false)
    expect(minted.next).toBe(world.admin.token)
    expect(masked).toEqual([minted.value])
    const made = world.gitlab.tokenByValue(minted.value)
    expect(made).toMatchObject({
      name: 'deploy-bot',
      scopes: ['read_api', 'read_registry'],
      accessLevel: 30,
      active: true,
      expiresAt: utcDate(world.gitlab.clock.now(), 30)
    })
    expect(minted.handle).toBe(String(made?.id))
    expect(minted.expiresAt?.toISOString()).toBe(
      `${utcDate(world.gitlab.clock.now(), 30)}T00:00:00.000Z`
    )
    expect(world.gitlab.tokenById(old.id)?.active).toBe(true)
  })

  it('revokes the old token by id, and a second revocation is no error', async () => {
    const old = world.gitlab.seedResourceToken('project', PROJECT, {
      name: 'deploy-bot',
      scopes: ['api']
    })
    const gitlab = issuer(world.admin.token)
    await gitlab.revoke({ by: 'handle', handle: String(old.id), fingerprint: '0'.repeat(16) })
    expect(world.gitlab.tokenById(old.id)?.revoked).toBe(true)
    await gitlab.revoke({ by: 'handle', handle: String(old.id), fingerprint: '0'.repeat(16) })
    await gitlab.revoke({ by: 'handle', handle: '999999', fingerprint: '0'.repeat(16) })
  })

  it("tells when the old token was last used, on GitLab's clock", async () => {
    const old = world.gitlab.seedResourceToken('project', PROJECT, {
      name: 'deploy-bot',
      scopes: ['api']
    })
    const gitlab = issuer(world.admin.token)
    expect(await gitlab.lastUsed(String(old.id))).toEqual({ now: gitlabNow() })
    await world.client(old.token).send({ method: 'GET', path: '/user' })
    const usedAt = world.gitlab.clock.now()
    world.gitlab.clock.advance(20 * MINUTE)
    expect(await gitlab.lastUsed(String(old.id))).toEqual({
      lastUsedAt: usedAt,
      now: gitlabNow()
    })
    // Revoked: no one can use it any more.
    world.gitlab.revokeToken(old.id)
    expect(await gitlab.lastUsed(String(old.id))).toEqual({ now: gitlabNow() })
  })

  it('refuses a lifetime over the instance maximum with GitLab’s message, creating nothing', async () => {
    world.gitlab.seedResourceToken('project', PROJECT, { name: 'deploy-bot', scopes: ['api'] })
    const error = await failure(
      issuer(world.admin.token, { expiresInDays: 400 }).mint(world.admin.token)
    )
    expect(error.code).toBe('issuer-rejected')
    expect(error.message).toMatch(/Expires at must be before .*issuer\.expires-in/)
    expect(world.gitlab.tokens({ name: 'deploy-bot' })).toHaveLength(1)
  })

  it('needs a live token of that name to copy', async () => {
    const error = await failure(issuer(world.admin.token).mint(world.admin.token))
    expect(error.code).toBe('issuer-rejected')
    expect(error.message).toMatch(/No live token named deploy-bot in acme\/app/)
  })

  it('reports a lost create answer as unknown, and does not send it again', async () => {
    world.gitlab.seedResourceToken('project', PROJECT, { name: 'deploy-bot', scopes: ['api'] })
    world.gitlab.faults.add({ method: 'POST', path: /access_tokens$/, drop: 'after', times: 1 })
    const error = await failure(issuer(world.admin.token).mint(world.admin.token))
    expect(error.code).toBe('issuer-outcome-unknown')
    expect(world.gitlab.countRequests({ method: 'POST' })).toBe(1)
    expect(world.gitlab.activeTokens('deploy-bot')).toHaveLength(2)
  })
})

describe('gitlab-token, rotate', () => {
  it('lets the token rotate itself: the old one is dead at once, the new one works', async () => {
    const old = world.gitlab.seedResourceToken('project', PROJECT, {
      name: 'deploy-bot',
      scopes: ['api', 'self_rotate']
    })
    const minted = await issuer(old.token, { strategy: 'rotate', expiresInDays: 7 }).mint(old.token)
    expect(minted.rotated).toBe(true)
    expect(minted.next).toBe(minted.value)
    expect(masked).toEqual([minted.value])
    expect(world.gitlab.tokenById(old.id)?.revoked).toBe(true)
    const made = world.gitlab.tokenByValue(minted.value)
    expect(made).toMatchObject({
      active: true,
      previousId: old.id,
      expiresAt: utcDate(world.gitlab.clock.now(), 7)
    })
    expect(minted.handle).toBe(String(made?.id))
  })

  it('rotates a personal access token itself', async () => {
    const own = world.gitlab.seedPersonalToken('maria', {
      name: 'deploy-bot',
      scopes: ['self_rotate', 'read_api']
    })
    const minted = await issuer(own.token, {
      strategy: 'rotate',
      owner: { kind: 'personal' }
    }).mint(own.token)
    expect(world.gitlab.tokenById(own.id)?.revoked).toBe(true)
    expect(world.gitlab.tokenByValue(minted.value)?.active).toBe(true)
  })

  it('never presents a revoked token to the rotate endpoint: the family lives', async () => {
    const old = world.gitlab.seedResourceToken('project', PROJECT, {
      name: 'deploy-bot',
      scopes: ['api']
    })
    // An earlier rotation whose answer was lost: GitLab made a successor the run never saw.
    const lost = await issuer(old.token, { strategy: 'rotate' }).mint(old.token)
    const error = await failure(issuer(old.token, { strategy: 'rotate' }).mint(old.token))
    expect(error.code).toBe('reauthorization-needed')
    expect(error.message).toMatch(/not presented to the rotate endpoint/)
    expect(world.gitlab.countRequests({ path: /\/rotate$/ })).toBe(1)
    expect(world.gitlab.tokenByValue(lost.value)?.active).toBe(true)
  })

  it('does not send a rotate again whose answer was lost', async () => {
    const old = world.gitlab.seedResourceToken('project', PROJECT, {
      name: 'deploy-bot',
      scopes: ['api']
    })
    world.gitlab.faults.add({ method: 'POST', path: /\/rotate$/, drop: 'after', times: 1 })
    const error = await failure(issuer(old.token, { strategy: 'rotate' }).mint(old.token))
    expect(error.code).toBe('issuer-outcome-unknown')
    expect(error.retryable).toBe(false)
    expect(world.gitlab.countRequests({ path: /\/rotate$/ })).toBe(1)
    // GitLab did rotate: the successor lives, the old token is dead.
    expect(world.gitlab.activeTokens('deploy-bot')).toHaveLength(1)
    expect(world.gitlab.tokenById(old.id)?.revoked).toBe(true)
  })

  it('sends a rotate again that GitLab throttled (a 429 proves it was not acted on)', async () => {
    const old = world.gitlab.seedResourceToken('project', PROJECT, {
      name: 'deploy-bot',
      scopes: ['api']
    })
    world.gitlab.rateLimit({ path: /\/rotate$/, retryAfterSeconds: 3 })
    const minted = await issuer(old.token, { strategy: 'rotate' }).mint(old.token)
    expect(world.gitlab.tokenByValue(minted.value)?.active).toBe(true)
    expect(world.slept).toContain(3000)
  })

  it('refuses a token of another name, rotating nothing', async () => {
    const other = world.gitlab.seedResourceToken('project', PROJECT, {
      name: 'other',
      scopes: ['api']
    })
    const error = await failure(issuer(other.token, { strategy: 'rotate' }).mint(other.token))
    expect(error.code).toBe('invalid-input')
    expect(world.gitlab.tokenById(other.id)?.active).toBe(true)
  })
})
