/**
 * Throwaway TLS material made in-process: a CA, a server certificate for 127.0.0.1, ::1 and
 * localhost, and client certificates, all EC P-256 and signed with ECDSA-SHA256. The committed
 * fixtures of test-servers/oauth2 were made once with OpenSSL; these are made fresh per server, so
 * no key is ever committed and nothing needs an `openssl` binary (Node can sign but has no API to
 * build a certificate, hence the small DER encoder below).
 */
import { X509Certificate, createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { isIP } from 'node:net'

/** PEM text of a certificate and its private key. */
export interface CertificateAndKey {
  certificate: string
  /** PKCS#8 PEM. */
  key: string
}

/**
 * One test PKI. Field names match test-servers/oauth2's `TlsFixtures`, so code written against
 * the committed fixtures takes fresh material unchanged.
 */
export interface TlsMaterial {
  /** The CA that issued the server and client certificates (PEM). */
  ca: string
  /** A CA that issued nothing here: trusting only it makes the server's certificate untrusted. */
  otherCa: string
  /** For 127.0.0.1, ::1 and localhost (or the `hosts` asked for). */
  serverCertificate: string
  serverKey: string
  /** Subject `CN=<clientCommonName>` (default `test-client`), issued by {@link TlsMaterial.ca}. */
  clientCertificate: string
  clientKey: string
  /** A client certificate issued by {@link TlsMaterial.otherCa}: an mTLS server must refuse it. */
  untrustedClientCertificate: string
  untrustedClientKey: string
  /** Issues one more client certificate from {@link TlsMaterial.ca}. */
  issueClientCertificate(commonName: string): CertificateAndKey
}

/** Options of {@link generateTlsMaterial}. */
export interface TlsMaterialOptions {
  /** Names and addresses the server certificate is valid for (default 127.0.0.1, ::1, localhost). */
  hosts?: string[]
  /** Common name of the default client certificate (default `test-client`). */
  clientCommonName?: string
}

// --- DER, just the forms a certificate needs -------------------------------------------------

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n])
  const bytes: number[] = []
  for (let rest = n; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256)
  return Buffer.from([0x80 | bytes.length, ...bytes])
}

function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), length(content.length), content])
}

const sequence = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items))
const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items))
const octetString = (content: Buffer): Buffer => tlv(0x04, content)
const utf8String = (text: string): Buffer => tlv(0x0c, Buffer.from(text, 'utf8'))
const explicit = (n: number, content: Buffer): Buffer => tlv(0xa0 + n, content)
const booleanTrue = (): Buffer => Buffer.from([0x01, 0x01, 0xff])

/** A BIT STRING whose content is whole bytes (signatures, key identifiers). */
function bitString(content: Buffer, unusedBits = 0): Buffer {
  return tlv(0x03, Buffer.concat([Buffer.from([unusedBits]), content]))
}

function unsignedInteger(bytes: Buffer): Buffer {
  // A set top bit would make the INTEGER negative: DER wants a leading zero byte then.
  const first = bytes[0] ?? 0
  return tlv(0x02, first >= 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes)
}

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number)
  const [a = 0, b = 0, ...rest] = parts
  const bytes = [40 * a + b]
  for (const part of rest) {
    const chunk = [part % 128]
    for (let value = Math.floor(part / 128); value > 0; value = Math.floor(value / 128)) {
      chunk.unshift(0x80 | (value % 128))
    }
    bytes.push(...chunk)
  }
  return tlv(0x06, Buffer.from(bytes))
}

/** UTCTime until 2049, GeneralizedTime after, as RFC 5280 section 4.1.2.5 asks. */
function time(date: Date): Buffer {
  const iso = date.toISOString()
  const digits = iso.slice(0, 19).replace(/[-T:]/g, '')
  return date.getUTCFullYear() < 2050
    ? tlv(0x17, Buffer.from(`${digits.slice(2)}Z`, 'ascii'))
    : tlv(0x18, Buffer.from(`${digits}Z`, 'ascii'))
}

const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2'
} as const

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical
    ? sequence(oid(id), booleanTrue(), octetString(value))
    : sequence(oid(id), octetString(value))
}

function name(commonName: string): Buffer {
  return sequence(set(sequence(oid(OID.commonName), utf8String(commonName))))
}

function ipBytes(address: string): Buffer {
  if (isIP(address) === 4) return Buffer.from(address.split('.').map(Number))
  // IPv6: expand '::' then write eight 16-bit groups.
  const [head = '', tail = ''] = address.split('::')
  const headGroups = head === '' ? [] : head.split(':')
  const tailGroups = tail === '' ? [] : tail.split(':')
  const groups = address.includes('::')
    ? [
        ...headGroups,
        ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'),
        ...tailGroups
      ]
    : headGroups
  const bytes = Buffer.alloc(16)
  groups.forEach((group, index) => {
    bytes.writeUInt16BE(parseInt(group, 16), index * 2)
  })
  return bytes
}

function subjectAltName(hosts: readonly string[]): Buffer {
  const names = hosts.map(host =>
    isIP(host) === 0 ? tlv(0x82, Buffer.from(host, 'ascii')) : tlv(0x87, ipBytes(host))
  )
  return sequence(...names)
}

interface KeyPair {
  privateKey: KeyObject
  publicKey: KeyObject
}

function newKeyPair(): KeyPair {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' })
}

/** RFC 5280 method 1: SHA-1 of the subjectPublicKey bits. */
function keyIdentifier(publicKey: KeyObject): Buffer {
  const spki = publicKey.export({ type: 'spki', format: 'der' })
  // The SPKI of a P-256 key ends with the 65-byte uncompressed point.
  return createHash('sha1')
    .update(spki.subarray(spki.length - 65))
    .digest()
}

interface CertificateRequest {
  subject: string
  subjectKey: KeyObject
  issuer: string
  issuerKeyPair: KeyPair
  ca: boolean
  usage?: 'server' | 'client'
  hosts?: readonly string[]
}

function issue(request: CertificateRequest): string {
  const now = Date.now()
  // An hour back for a client whose clock lags; ten years ahead is past any test run.
  const validity = sequence(
    time(new Date(now - 3_600_000)),
    time(new Date(now + 10 * 365 * 86_400_000))
  )
  const serial = randomBytes(16)
  serial[0] = (serial[0] ?? 0) & 0x7f
  const extensions: Buffer[] = [
    extension(OID.basicConstraints, true, request.ca ? sequence(booleanTrue()) : sequence()),
    // keyCertSign + cRLSign for a CA (bits 5 and 6), digitalSignature (bit 0) otherwise.
    extension(
      OID.keyUsage,
      true,
      request.ca ? bitString(Buffer.from([0x06]), 1) : bitString(Buffer.from([0x80]), 7)
    ),
    extension(OID.subjectKeyIdentifier, false, octetString(keyIdentifier(request.subjectKey))),
    extension(
      OID.authorityKeyIdentifier,
      false,
      sequence(tlv(0x80, keyIdentifier(request.issuerKeyPair.publicKey)))
    )
  ]
  if (request.usage !== undefined) {
    const purpose = request.usage === 'server' ? OID.serverAuth : OID.clientAuth
    extensions.push(extension(OID.extKeyUsage, false, sequence(oid(purpose))))
  }
  if (request.hosts !== undefined && request.hosts.length > 0) {
    extensions.push(extension(OID.subjectAltName, false, subjectAltName(request.hosts)))
  }
  const algorithm = sequence(oid(OID.ecdsaWithSha256))
  const tbs = sequence(
    explicit(0, unsignedInteger(Buffer.from([2]))),
    unsignedInteger(serial),
    algorithm,
    name(request.issuer),
    validity,
    name(request.subject),
    request.subjectKey.export({ type: 'spki', format: 'der' }),
    explicit(3, sequence(...extensions))
  )
  const signature = sign('sha256', tbs, request.issuerKeyPair.privateKey)
  const der = sequence(tbs, algorithm, bitString(signature))
  const base64 = der.toString('base64').replace(/.{64}/g, '$&\n')
  return `-----BEGIN CERTIFICATE-----\n${base64.trimEnd()}\n-----END CERTIFICATE-----\n`
}

function privatePem(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }).toString()
}

function selfSignedCa(commonName: string): { pem: string; keys: KeyPair } {
  const keys = newKeyPair()
  const pem = issue({
    subject: commonName,
    subjectKey: keys.publicKey,
    issuer: commonName,
    issuerKeyPair: keys,
    ca: true
  })
  return { pem, keys }
}

function clientCertificate(
  ca: { pem: string; keys: KeyPair },
  caName: string,
  commonName: string
): CertificateAndKey {
  const keys = newKeyPair()
  const certificate = issue({
    subject: commonName,
    subjectKey: keys.publicKey,
    issuer: caName,
    issuerKeyPair: ca.keys,
    ca: false,
    usage: 'client'
  })
  return { certificate, key: privatePem(keys.privateKey) }
}

/**
 * Makes a fresh CA, a server certificate and client certificates (a few milliseconds). The CA's
 * private key never leaves this function's closure; only {@link TlsMaterial.issueClientCertificate}
 * can use it.
 */
export function generateTlsMaterial(options: TlsMaterialOptions = {}): TlsMaterial {
  const caName = 'token-rotation-action throwaway test CA'
  const otherCaName = 'token-rotation-action unrelated test CA'
  const ca = selfSignedCa(caName)
  const otherCa = selfSignedCa(otherCaName)
  const serverKeys = newKeyPair()
  const hosts = options.hosts ?? ['127.0.0.1', '::1', 'localhost']
  const serverCertificate = issue({
    subject: hosts[0] ?? 'localhost',
    subjectKey: serverKeys.publicKey,
    issuer: caName,
    issuerKeyPair: ca.keys,
    ca: false,
    usage: 'server',
    hosts
  })
  const client = clientCertificate(ca, caName, options.clientCommonName ?? 'test-client')
  const untrusted = clientCertificate(otherCa, otherCaName, 'untrusted-client')
  return {
    ca: ca.pem,
    otherCa: otherCa.pem,
    serverCertificate,
    serverKey: privatePem(serverKeys.privateKey),
    clientCertificate: client.certificate,
    clientKey: client.key,
    untrustedClientCertificate: untrusted.certificate,
    untrustedClientKey: untrusted.key,
    issueClientCertificate: (commonName: string) => clientCertificate(ca, caName, commonName)
  }
}

/** True when `certificate` (PEM) was signed by `caCertificate` (PEM). */
export function issuedBy(certificate: string, caCertificate: string): boolean {
  return new X509Certificate(certificate).verify(new X509Certificate(caCertificate).publicKey)
}
