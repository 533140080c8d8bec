/** The groups of a credential whose keys are objects; `publish` is a list, described apart. */
const CREDENTIAL_GROUPS = [
    'issuer',
    'store',
    'health-check',
    'schedule',
    'retire',
    'alerts'
];
/** The file slice of a run of flat inputs. */
const NO_FILE = Object.freeze({
    keys: Object.freeze({}),
    sections: Object.freeze({}),
    objects: Object.freeze({}),
    targets: Object.freeze([])
});

export { CREDENTIAL_GROUPS as C, NO_FILE as N };
