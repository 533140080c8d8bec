/**
 * A local create/revoke key API shaped like Capgo's public API: keys created, listed and deleted
 * by id, an endpoint that needs a working key, a choice of which credential may create keys, and
 * the kernel's faults (the lost-answer case: a create whose answer is dropped after the key
 * exists).
 */
export { startKeyApiServer } from './server.js'
export type {
  KeyApiServer,
  KeyApiServerOptions,
  KeyCreationPolicy,
  KeyMode,
  KeySeed,
  KeyView
} from './types.js'
