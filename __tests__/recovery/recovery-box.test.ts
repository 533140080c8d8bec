import { describe, expect, it } from '@jest/globals'
import { ActionError } from '../../src/errors.js'
import { openRecovery, sealForRecovery } from '../../src/recovery/recovery-box.js'
import { generateRecoveryKeyPair } from '../../src/recovery/recovery-key.js'

const VALUE = 'refresh-token-4e8b1c'

/** The error a promise rejected with, checked to be a recovery-invalid ActionError. */
async function failure(promise: Promise<unknown>): Promise<ActionError> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason
  )
  expect(error).toBeInstanceOf(ActionError)
  expect(error).toMatchObject({ code: 'recovery-invalid' })
  return error as ActionError
}

describe('recovery ciphertext', () => {
  it('opens with the private key what was sealed to the public key', async () => {
    const pair = await generateRecoveryKeyPair()
    const sealed = await sealForRecovery(VALUE, pair.publicKey)
    expect(sealed).toMatch(/^[A-Za-z0-9+/]+={0,2}$/)
    expect(sealed).not.toContain(VALUE)
    expect(await openRecovery(sealed, pair.privateKey)).toBe(VALUE)
  })

  it('seals a fresh box each time, and keeps every byte of the value', async () => {
    const pair = await generateRecoveryKeyPair()
    const value = ` ünïcode\nvalue ${VALUE} `
    const [one, two] = await Promise.all([
      sealForRecovery(value, pair.publicKey),
      sealForRecovery(value, pair.publicKey)
    ])
    expect(one).not.toBe(two)
    expect(await openRecovery(two, pair.privateKey)).toBe(value)
  })

  it('ignores the line breaks and indentation a log adds', async () => {
    const pair = await generateRecoveryKeyPair()
    const sealed = await sealForRecovery(VALUE, pair.publicKey)
    const wrapped = `  ${sealed.slice(0, 30)}\n  ${sealed.slice(30)}\n`
    expect(await openRecovery(wrapped, pair.privateKey)).toBe(VALUE)
  })

  it('accepts the public key in URL-safe base64 without padding', async () => {
    const pair = await generateRecoveryKeyPair()
    const urlSafe = pair.publicKey.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
    expect(await openRecovery(await sealForRecovery(VALUE, urlSafe), pair.privateKey)).toBe(VALUE)
  })

  it('fails clearly with the wrong private key, quoting neither key nor ciphertext', async () => {
    const pair = await generateRecoveryKeyPair()
    const other = await generateRecoveryKeyPair()
    const sealed = await sealForRecovery(VALUE, pair.publicKey)
    const error = await failure(openRecovery(sealed, other.privateKey))
    expect(error.message).toMatch(/does not open with this private key/)
    for (const text of [sealed, other.privateKey, pair.privateKey, VALUE]) {
      expect(error.message).not.toContain(text)
    }
  })

  it('fails when the ciphertext was tampered with or cut short', async () => {
    const pair = await generateRecoveryKeyPair()
    const sealed = Buffer.from(await sealForRecovery(VALUE, pair.publicKey), 'base64')
    const flipped = Buffer.from(sealed)
    flipped[flipped.length - 1] = (flipped[flipped.length - 1] ?? 0) ^ 1
    expect(
      (await failure(openRecovery(flipped.toString('base64'), pair.privateKey))).message
    ).toMatch(/does not open/)
    const cut = sealed.subarray(0, sealed.length - 4).toString('base64')
    expect((await failure(openRecovery(cut, pair.privateKey))).message).toMatch(/does not open/)
    const stub = sealed.subarray(0, 20).toString('base64')
    expect((await failure(openRecovery(stub, pair.privateKey))).message).toMatch(/too short/)
  })

  it('refuses ciphertext that is not base64, or empty', async () => {
    const pair = await generateRecoveryKeyPair()
    expect((await failure(openRecovery('not base64!', pair.privateKey))).message).toMatch(
      /not standard base64/
    )
    expect((await failure(openRecovery(' \n', pair.privateKey))).message).toMatch(/is empty/)
  })

  it('names the key source and how to make a key when a key is malformed', async () => {
    const pair = await generateRecoveryKeyPair()
    const sealed = await sealForRecovery(VALUE, pair.publicKey)
    const bad = await failure(
      openRecovery(sealed, 'c2hvcnQ=', 'TOKEN_ROTATION_RECOVERY_PRIVATE_KEY')
    )
    expect(bad.message).toMatch(
      /^TOKEN_ROTATION_RECOVERY_PRIVATE_KEY decodes to 5 bytes, and an X25519 private key is 32; make a key pair with `token-rotation recovery-keygen`/
    )
    const sealing = await failure(sealForRecovery(VALUE, 'no such key'))
    expect(sealing.message).toMatch(/^recovery-public-key is not base64/)
    expect(sealing.message).not.toContain(VALUE)
  })
})
