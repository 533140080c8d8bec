import { describe, expect, it } from '@jest/globals'
import { formEncodeCredential } from '../../src/http/form-credential.js'
import { REDACTED, Redactor, redactSecrets } from '../../src/redaction.js'

const SECRET = 'sEcr3t-value_with.dots~and/slash+plus=eq "q" \\b|p é'
const CLIENT_ID = 'rotation-client'

/** The forms a client sends: raw, percent-encoded, form-encoded (both flavours). */
function wire(value: string): string[] {
  return [
    value,
    encodeURIComponent(value),
    new URLSearchParams([['', value]]).toString().slice(1),
    encodeURIComponent(value).replace(/[-_.!~*'()]|%20/g, c =>
      c === '%20' ? '+' : `%${c.charCodeAt(0).toString(16).toUpperCase()}`
    )
  ]
}

function redactor(...secrets: string[]): Redactor {
  const r = new Redactor()
  for (const secret of secrets) r.add(secret)
  return r
}

describe('Redactor', () => {
  it('removes every wire form of a secret, and each JSON-escaped', () => {
    const r = redactor(SECRET)
    for (const form of wire(SECRET)) {
      expect(r.redact(`before ${form} after`)).toBe(`before ${REDACTED} after`)
      const json = JSON.stringify({ quoted: form })
      expect(r.redact(json)).toBe(JSON.stringify({ quoted: REDACTED }))
    }
  })

  it('removes the lower-case percent-escapes a server may re-encode with', () => {
    const lower = encodeURIComponent(SECRET).replace(/%[0-9A-F]{2}/g, e => e.toLowerCase())
    expect(redactor(SECRET).redact(`x=${lower}`)).toBe(`x=${REDACTED}`)
  })

  it.each([
    ['raw', (v: string) => v],
    ['percent-encoded', encodeURIComponent],
    ['form-encoded by oauth4webapi', (v: string) => wire(v)[3] ?? '']
  ])(
    'leaves nothing of the secret in the Basic credentials of any client id (%s)',
    (_name, encode) => {
      const r = redactor(SECRET)
      for (const id of [CLIENT_ID, 'a', 'ab', 'abc', '0b9f1c2e-7d4a-4f5b-9c3e-2a1b0c9d8e7f']) {
        const pair = `${encode(id)}:${encode(SECRET)}`
        for (const encoding of ['base64', 'base64url'] as const) {
          const basic = Buffer.from(pair).toString(encoding)
          const clean = r.redact(`authorization: Basic ${basic}`)
          expect(clean).toContain(REDACTED)
          // What is left are the client id's characters and at most 3 mixed at each edge.
          const left = clean.replace('authorization: Basic ', '').split(REDACTED).join('')
          expect(left.length).toBeLessThanOrEqual(Math.ceil(((encode(id).length + 1) * 4) / 3) + 6)
        }
      }
    }
  )

  it("leaves nothing of a secret with !'()* in the Basic credentials our client sends", () => {
    // Our client_secret_basic keeps -._~ and encodes !'()*: a form neither encodeURIComponent nor
    // oauth4webapi gives for such a secret.
    for (const secret of ['s3cr3t*value-2026', "it's-(a)!secret~x"]) {
      const r = redactor(secret)
      const pair = `${formEncodeCredential(CLIENT_ID)}:${formEncodeCredential(secret)}`
      const basic = Buffer.from(pair).toString('base64')
      const clean = r.redact(`authorization: Basic ${basic}`)
      const left = clean.replace('authorization: Basic ', '').split(REDACTED).join('')
      expect(left.length).toBeLessThanOrEqual(Math.ceil(((CLIENT_ID.length + 1) * 4) / 3) + 6)
      expect(r.redact(`secret=${formEncodeCredential(secret)}`)).toBe(`secret=${REDACTED}`)
    }
  })

  it('registers each line of a multi-line value, at CR LF, LF and a lone CR', () => {
    const r = new Redactor()
    const forMask = r.add('line-one-AAAA\rline-two-BBBB\r\nline-three-CCCC\nline-four-DDDD')
    for (const line of ['line-one-AAAA', 'line-two-BBBB', 'line-three-CCCC', 'line-four-DDDD']) {
      expect(forMask).toContain(line)
      expect(r.redact(`got ${line}.`)).toBe(`got ${REDACTED}.`)
    }
  })

  it("masks a PEM key's lines but not its armour, which every key shares", () => {
    const r = new Redactor()
    const body = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7'
    const forMask = r.add(`-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----\n`)
    expect(forMask).toContain(body)
    expect(forMask).not.toContain('-----BEGIN PRIVATE KEY-----')
    expect(r.redact('-----BEGIN PRIVATE KEY-----')).toBe('-----BEGIN PRIVATE KEY-----')
    expect(r.redact(`key ${body}`)).toBe(`key ${REDACTED}`)
  })

  it('asks the runner to mask the form encodings it does not derive itself', () => {
    const forMask = new Redactor().add('basic-client-secret')
    expect(forMask).toEqual(['basic-client-secret', 'basic%2Dclient%2Dsecret'])
  })

  it('leaves text alone when no secret is known, and ignores values too short to be secrets', () => {
    expect(new Redactor().redact('nothing to hide')).toBe('nothing to hide')
    expect(redactor('abc').redact('abc abc')).toBe('abc abc')
    // The runner is still told: it masks whatever it is given.
    expect(new Redactor().add('abc\nxy')).toEqual(['abc\nxy', 'abc%0Axy', 'abc', 'xy'])
  })

  it('redactSecrets cleans one text with secrets known only there', () => {
    expect(redactSecrets(`token=${encodeURIComponent(SECRET)}`, [SECRET])).toBe(`token=${REDACTED}`)
  })
})
