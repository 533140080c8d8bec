import { describe, expect, it } from '@jest/globals'
import { generateRecoveryKeyPair, parseRecoveryPublicKey } from '../../src/recovery/recovery-key.js'

describe('parseRecoveryPublicKey', () => {
  it('accepts a generated public key, giving it back in standard base64', async () => {
    const { publicKey, privateKey } = await generateRecoveryKeyPair()
    expect(publicKey).toMatch(/^[A-Za-z0-9+/]{43}=$/)
    expect(privateKey).toMatch(/^[A-Za-z0-9+/]{43}=$/)
    expect(privateKey).not.toBe(publicKey)
    expect(parseRecoveryPublicKey(` ${publicKey}\n`)).toEqual({ ok: true, key: publicKey })
  })

  it.each([
    ['', /^is empty; make a key pair with `token-rotation recovery-keygen`/],
    ['not a key!', /^is not base64; it is the public key that recovery-keygen prints/],
    ['c2hvcnQ=', /^decodes to 5 bytes, and an X25519 public key is 32; make a key pair/],
    [
      Buffer.alloc(64, 7).toString('base64'),
      /^decodes to 64 bytes, and an X25519 public key is 32/
    ],
    ['-----BEGIN PUBLIC KEY-----', /^is not base64/]
  ])('refuses %p, naming recovery-public-key and how to make one', (text, why) => {
    const parsed = parseRecoveryPublicKey(text)
    expect(parsed).toEqual({
      ok: false,
      problem: { input: 'recovery-public-key', message: expect.stringMatching(why) }
    })
  })
})
