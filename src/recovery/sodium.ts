import type Sodium from 'libsodium-wrappers'

/**
 * libsodium, ready to use. Loaded on first use, not at start-up: its WebAssembly takes longer to
 * load than everything a run does before its first request. The module loader keeps the one
 * instance, so every caller after the first gets it at once.
 */
export async function loadSodium(): Promise<typeof Sodium> {
  const { default: sodium } = await import('libsodium-wrappers')
  await sodium.ready
  return sodium
}
