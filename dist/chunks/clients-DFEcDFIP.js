/**
 * The clients of one run, kept by key: made once, shared by every credential of the run. One per
 * run, never module-wide: two runs in one process (tests, the CLI) share nothing.
 */
function createClientCache() {
    const clients = new Map();
    return {
        get(key, make) {
            if (!clients.has(key))
                clients.set(key, make());
            // Each key is made by one provider, with one type: what it stored is what it reads back.
            return clients.get(key);
        }
    };
}

export { createClientCache as c };
