/** The committed test certificates; fixtures/README.md says how they were made. */
import { readFileSync } from 'node:fs'
import type { TlsFixtures } from './types.js'

const read = (name: string): string =>
  readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')

/** Reads the fixture certificates and keys as PEM text. */
export function loadTlsFixtures(): TlsFixtures {
  return {
    ca: read('ca.pem'),
    otherCa: read('other-ca.pem'),
    serverCertificate: read('server.pem'),
    serverKey: read('server-key.pem'),
    clientCertificate: read('client.pem'),
    clientKey: read('client-key.pem')
  }
}
