import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto'
import type { InputName } from '../config/inputs.js'
import type { FileKey } from '../providers/provider.js'
import type { TlsKeys, TlsSettings } from './transport.js'

/**
 * The issuer's TLS keys, shared by every issuer that calls an HTTP API (OAuth2, GitLab tokens, a
 * key API): one set of objects, so the file's table lists each key once, with every provider
 * that reads it. They stand for the flat inputs `ca-certificate`, `client-certificate` and
 * `client-key`.
 */
export const ISSUER_TLS_KEYS: readonly FileKey[] = [
  { group: 'issuer', key: 'client-certificate', input: 'client-certificate', type: 'text' },
  { group: 'issuer', key: 'client-key', input: 'client-key', type: 'secret' },
  { group: 'issuer', key: 'ca-certificate', input: 'ca-certificate', type: 'text' }
]

/** The flat inputs of {@link ISSUER_TLS_KEYS}. */
export const ISSUER_TLS_INPUTS: readonly InputName[] = [
  'client-certificate',
  'client-key',
  'ca-certificate'
]

/** The TLS keys of a connection written in the file only: a store's or a target's. */
export function fileTlsKeys(group: FileKey['group']): FileKey[] {
  return [
    { group, key: 'ca-certificate', type: 'text' },
    { group, key: 'client-certificate', type: 'text' },
    { group, key: 'client-key', type: 'secret' }
  ]
}

/** One of the three TLS settings, by its key's last name. */
export type TlsKeyName = 'ca-certificate' | 'client-certificate' | 'client-key'

/** A check's outcome: the value, or what is wrong with it (never quoting it). */
export type Checked<T> = { value: T } | { problem: string }

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g

/** A PEM bundle of certificates, each parsed; their blocks joined, anything between dropped. */
export function checkCertificates(raw: string): Checked<string> {
  const blocks = raw.match(CERTIFICATE_BLOCK) ?? []
  if (blocks.length === 0) {
    return { problem: 'is not a PEM certificate (-----BEGIN CERTIFICATE----- ...)' }
  }
  for (const [index, block] of blocks.entries()) {
    try {
      new X509Certificate(block)
    } catch {
      const which = blocks.length > 1 ? `certificate ${index + 1} of ${blocks.length}` : 'it'
      return { problem: `is not a valid PEM certificate: ${which} does not parse` }
    }
  }
  return { value: blocks.join('\n') }
}

/** An unencrypted PEM private key, parsed without ever echoing it. */
export function checkPrivateKey(raw: string): Checked<{ pem: string; key: KeyObject }> {
  // OpenSSL 3 reports a missing passphrase as an interrupted operation; the PEM says it plainly.
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(raw)) {
    return {
      problem:
        'is an encrypted private key; pass it unencrypted (PKCS#8 or PKCS#1 PEM) from a secret'
    }
  }
  try {
    return { value: { pem: raw, key: createPrivateKey({ key: raw, format: 'pem' }) } }
  } catch {
    return { problem: 'is not a PEM private key (-----BEGIN PRIVATE KEY----- ...)' }
  }
}

/**
 * Why a client key does not fit its certificate (their public keys differ), or undefined. The
 * first certificate of the bundle is the client's own; any others are its chain.
 */
export function keyMismatch(certificatePem: string, key: KeyObject): string | undefined {
  return new X509Certificate(certificatePem).checkPrivateKey(key)
    ? undefined
    : 'does not belong to client-certificate (their public keys differ); pass the key the certificate was issued for'
}

/** The pair rule: mutual TLS needs both halves. */
export const PAIR_PROBLEMS: Readonly<Record<'client-certificate' | 'client-key', string>> = {
  'client-key': 'is required with client-certificate: the private key of that certificate',
  'client-certificate': 'is required with client-key: the certificate of that private key'
}

/**
 * The TLS settings of one connection from its three texts (undefined or '' when not given), checked
 * as the OAuth2 inputs are: PEM certificates that parse, an unencrypted key, both halves of a
 * client certificate, and a key that fits it. Each problem names its setting through `add`.
 */
export function parseTls(
  given: (key: TlsKeyName) => string | undefined,
  add: (key: TlsKeyName, message: string) => void
): TlsSettings {
  const text = (key: TlsKeyName): string | undefined => {
    const value = given(key)
    return value === '' ? undefined : value
  }
  const tls: TlsSettings = {}
  const ca = text('ca-certificate')
  if (ca !== undefined) {
    const checked = checkCertificates(ca)
    if ('problem' in checked) add('ca-certificate', checked.problem)
    else tls.caCertificate = checked.value
  }
  const certificateText = text('client-certificate')
  const keyText = text('client-key')
  if (certificateText !== undefined && keyText === undefined) {
    add('client-key', PAIR_PROBLEMS['client-key'])
  }
  if (keyText !== undefined && certificateText === undefined) {
    add('client-certificate', PAIR_PROBLEMS['client-certificate'])
  }
  const certificate = certificateText === undefined ? undefined : checkCertificates(certificateText)
  if (certificate && 'problem' in certificate) add('client-certificate', certificate.problem)
  const key = keyText === undefined ? undefined : checkPrivateKey(keyText)
  if (key && 'problem' in key) add('client-key', key.problem)
  if (certificate && 'value' in certificate && key && 'value' in key) {
    const mismatch = keyMismatch(certificate.value, key.value.key)
    if (mismatch) add('client-key', mismatch)
    else tls.clientCertificate = { certificatePem: certificate.value, keyPem: key.value.pem }
  }
  return tls
}

/**
 * The keys a transport's advice names for a connection whose TLS keys sit under `prefix`:
 * `issuer.` gives `issuer.ca-certificate` and `issuer.client-certificate and issuer.client-key`.
 */
export function tlsKeysAt(prefix: string): TlsKeys {
  return {
    ca: `${prefix}ca-certificate`,
    client: `${prefix}client-certificate and ${prefix}client-key`
  }
}
