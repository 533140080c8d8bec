/**
 * A module that exists only in the bundle: rollup.config.js builds it from package.json's version
 * and action.yml's input descriptions, so `--version` and `--help` read nothing at run time and the
 * flag descriptions have one source, action.yml.
 */
declare module 'token-rotation:metadata' {
  export const version: string
  export const inputDescriptions: Readonly<Record<string, string>>
}
