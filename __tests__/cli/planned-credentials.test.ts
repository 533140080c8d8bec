// How many credentials a plan of a configuration file read, for the CLI's JSON (its outputs name
// only the due ones): counted from the file as the run selects them.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { plannedCredentials } from '../../src/cli/planned-credentials.js'

const FILE = `version: 1
credentials:
  api:
    issuer: { kind: none, value: { env: API_VALUE } }
  web:
    issuer: { kind: none, value: { env: WEB_VALUE } }
  ops:
    issuer: { kind: none, value: { env: OPS_VALUE } }
`

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'planned-'))
  await writeFile(join(dir, 'rotation.yml'), FILE)
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('plannedCredentials', () => {
  it('counts every credential of a file read from the working directory', async () => {
    await expect(plannedCredentials('rotation.yml', '', dir)).resolves.toBe(3)
  })

  it('counts those the credentials input names, each once, as the run selects them', async () => {
    await expect(plannedCredentials('rotation.yml', 'api, ops\napi', dir)).resolves.toBe(2)
  })

  it('reads YAML given inline, as the config input may be', async () => {
    await expect(plannedCredentials(FILE, 'web', '/nonexistent')).resolves.toBe(1)
  })

  it('gives no count when the file cannot be read again or has no credentials', async () => {
    await expect(plannedCredentials('missing.yml', '', dir)).resolves.toBeUndefined()
    await expect(plannedCredentials('version: 1\nx: 1\n', '', dir)).resolves.toBeUndefined()
  })
})
