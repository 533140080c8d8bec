/**
 * libsodium, ready to use. Loaded on first use, not at start-up: its WebAssembly takes longer to
 * load than everything a run does before its first request. The module loader keeps the one
 * instance, so every caller after the first gets it at once.
 */
async function loadSodium() {
    const { default: sodium } = await import('./libsodium-wrappers-4E7gHV0n.js');
    await sodium.ready;
    return sodium;
}

export { loadSodium as l };
