// How the providers' parts are put together: one run's engine from one validated configuration.
// No request is sent here: building the parts makes clients, it does not call them.
import { describe, expect, it } from '@jest/globals'
import { createClientCache } from '../../src/action/clients.js'
import { assembleEngine, type AssemblyDeps } from '../../src/action/assemble.js'
import { readInputs } from '../../src/config/inputs.js'
import { parseActionConfig, type ActionConfig } from '../../src/config/rotation-config.js'
import { MemoryAudit, MemoryClock, MemorySleep } from '../support/engine-ports.js'
import { MemoryLogger } from '../support/memory-logger.js'
import { OAUTH2_INPUTS, type Inputs } from '../support/action-inputs.js'

const context = { repository: 'octo/app', apiUrl: 'https://api.github.com', runId: '7' }

function configOf(inputs: Inputs): ActionConfig {
  return parseActionConfig(
    readInputs(name => inputs[name] ?? ''),
    context
  )
}

function deps(): AssemblyDeps {
  const clock = new MemoryClock()
  return {
    log: new MemoryLogger(),
    mask: () => undefined,
    clock,
    sleep: new MemorySleep(clock).sleep,
    audit: new MemoryAudit(),
    onRecoveryCiphertext: () => undefined,
    clients: createClientCache()
  }
}

describe('assembleEngine', () => {
  it('gives the engine the store with its lock, from the providers that play each role', async () => {
    const engine = await assembleEngine(configOf(OAUTH2_INPUTS), deps())
    expect(engine.issuer.kind).toBe('oauth2')
    expect(engine.store?.kind).toBe('github')
    expect(engine.lock?.description).toContain('OAUTH_REFRESH_TOKEN_STATE_LOCK')
  })

  it('refuses a store without its lock rather than run without the one-writer rule', async () => {
    const config = configOf(OAUTH2_INPUTS)
    const store = config.store
    if (!store) throw new Error('expected a store')
    const withoutLock = { ...store }
    delete withoutLock.lockVariable
    await expect(assembleEngine({ ...config, store: withoutLock }, deps())).rejects.toMatchObject({
      code: 'internal',
      message: expect.stringContaining('the lock of store github')
    })
  })

  it('refuses a record asked for with no provider to keep it, rather than lose what is minted', async () => {
    const config = configOf(OAUTH2_INPUTS)
    const store = config.store
    if (!store) throw new Error('expected a store')
    await expect(
      assembleEngine({ ...config, store: { ...store, kind: 'nowhere' }, slices: {} }, deps())
    ).rejects.toMatchObject({ code: 'internal' })
  })
})
