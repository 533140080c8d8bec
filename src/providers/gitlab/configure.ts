import type { ActionConfig } from '../../config/rotation-config.js'
import { isLoopbackHost } from '../../config/loopback.js'
import { DURATION_HINT, parseDuration } from '../../duration.js'
import { NO_FILE, type Draft, type PartReport } from '../provider.js'
import { count } from '../../wording.js'
import type { TlsSettings } from '../../http/transport.js'
import { parseTls, type TlsKeyName } from '../../http/tls-inputs.js'
import {
  maskProblem,
  TOKEN_FORM,
  VARIABLE_TYPES,
  variableKeyProblem,
  type VariableType
} from './rules.js'

/** The issuer kind: a GitLab personal, project or group access token. */
export const GITLAB_TOKEN = 'gitlab-token'
/** The store kind: CI/CD variables of a GitLab project. */
export const GITLAB_VARIABLE = 'gitlab-variable'
/** The key of a `publish` entry that writes a GitLab CI/CD variable. */
export const GITLAB_TARGET = 'gitlab'

/** How a token is renewed. */
export const STRATEGIES = ['create-then-revoke', 'rotate'] as const
export type Strategy = (typeof STRATEGIES)[number]

/** Whose token or variable: a project or group (by path or numeric id), or the token's user. */
export type Owner = { kind: 'project' | 'group'; path: string } | { kind: 'personal' }

/** The GitLab access token a credential renews. */
export interface TokenIssuerSettings {
  /** The instance, without `/api/v4`. */
  url: string
  owner: Owner
  /** The token's name: how it is found, since a rotated token gets a new id. */
  tokenName: string
  strategy: Strategy
  /** The new token's lifetime, in whole days (GitLab's `expires_at` is a date). */
  expiresInDays: number
  /** `issuer.ca-certificate`, `issuer.client-certificate` and `issuer.client-key`. */
  tls?: TlsSettings
}

/** One `publish: - gitlab:` entry. */
export interface VariableTargetSettings {
  url: string
  token: string
  owner: { kind: 'project' | 'group'; path: string }
  variable: string
  /** `*` unless given. */
  environmentScope: string
  /** Settings given; the others are kept from the existing variable (GitLab's defaults if new). */
  masked?: boolean
  hidden?: boolean
  protected?: boolean
  raw?: boolean
  type?: VariableType
  /** The entry's `ca-certificate`, `client-certificate` and `client-key`. */
  tls?: TlsSettings
  /** Its place in `publish`, for messages. */
  index: number
}

/** `store: { kind: gitlab-variable }`: the credential, its record and its lock in variables. */
export interface VariableStoreSettings {
  url: string
  token: string
  owner: { kind: 'project' | 'group'; path: string }
  /** The masked, hidden variable that holds the credential. */
  variable: string
  /** The variable of the write-ahead record: `<variable>_STATE` unless `state-variable` says. */
  stateVariable: string
  /** The lock's variable: `<stateVariable>_LOCK`. */
  lockVariable: string
  /** Whether the credential's variable is created protected (default true). */
  protected: boolean
  /** `store.ca-certificate`, `store.client-certificate` and `store.client-key`. */
  tls?: TlsSettings
}

declare module '../../config/rotation-config.js' {
  interface ProviderSlices {
    gitlab?: {
      issuer?: TokenIssuerSettings
      store?: VariableStoreSettings
      targets?: VariableTargetSettings[]
    }
  }
}

const DAY_MS = 86_400_000
const DEFAULT_EXPIRES_IN_DAYS = 30

/** A key path of this provider's issuer, for messages: `issuer.token-name`. */
function issuerKey(key: string): string {
  return `issuer.${key}`
}

/** The issuer's and the store's settings of one credential. */
export function configureGitLab(draft: Draft): void {
  if (draft.issuer === GITLAB_TOKEN) configureIssuer(draft)
  if (draft.store === GITLAB_VARIABLE) {
    configureStore(draft)
    // With the store playing, the registry no longer refuses the issuer's file-only keys.
    if (draft.issuer !== GITLAB_TOKEN) refuseIssuerKeys(draft)
  }
}

/** The token issuer's keys, given to another issuer. */
function refuseIssuerKeys(draft: Draft): void {
  for (const key of ISSUER_ONLY_KEYS) {
    if (Object.hasOwn(draft.file.keys, issuerKey(key))) {
      draft.report([
        {
          input: issuerKey(key),
          message: `applies to issuer: ${GITLAB_TOKEN} only; set issuer.kind: ${GITLAB_TOKEN}, or remove it`
        }
      ])
    }
  }
}

/** The token issuer's keys that only the configuration file has. */
const ISSUER_ONLY_KEYS = [
  'url',
  'project',
  'group',
  'personal',
  'token-name',
  'strategy',
  'expires-in'
] as const

/**
 * The store in CI/CD variables: the credential the issuer exchanges in a masked, hidden variable,
 * the record and the lock beside it. Written in the configuration file only (a flat run has no
 * inputs for it); it needs nothing of GitHub's.
 */
function configureStore(draft: Draft): void {
  const keys = draft.file.keys
  const key = (name: string): string | undefined => {
    const value = keys[`store.${name}`]
    return value === undefined || value === '' ? undefined : value
  }
  const problem = (name: string, message: string) => {
    draft.report([{ input: `store.${name}`, message }])
  }
  draft.keepsRecord = true
  if (draft.issues && !draft.issues.consumesInput) {
    draft.add(
      'store',
      `${GITLAB_VARIABLE} keeps a credential the issuer exchanges (an OAuth2 refresh token, a GitLab token it rotates); issuer ${draft.issuer ?? ''} exchanges none: use store: github for the record of what it minted`
    )
    return
  }
  if (draft.file === NO_FILE) {
    draft.add(
      'store',
      `${GITLAB_VARIABLE} is set in a configuration file (store: { kind: ${GITLAB_VARIABLE}, url, token, project, variable }): it has no flat inputs`
    )
    return
  }
  const url = instanceUrl(key('url'), message => {
    problem('url', message)
  })
  const token = key('token')
  if (token === undefined) {
    problem(
      'token',
      'is required: { env: NAME } of a GitLab token with the api scope and the Maintainer role, which writes the variables'
    )
  }
  const owner = ownerOf(
    { project: key('project'), group: key('group'), personal: false },
    false,
    message => {
      problem('project', message)
    }
  )
  const variable = key('variable')
  if (variable === undefined) {
    problem('variable', 'is required: the CI/CD variable that holds the refresh token')
  } else {
    const why = variableKeyProblem(variable)
    if (why) problem('variable', why)
  }
  const tls = tlsOf(key, problem)
  const stateVariable = draft.raw['state-variable'] || (variable ? `${variable}_STATE` : '')
  const stateWhy = stateVariable === '' ? undefined : variableKeyProblem(`${stateVariable}_LOCK`)
  if (stateWhy) problem('state-variable', stateWhy)
  const protectedKey = key('protected')
  if (
    url === undefined ||
    token === undefined ||
    owner === undefined ||
    owner.kind === 'personal' ||
    variable === undefined ||
    stateWhy !== undefined
  )
    return
  draft.slices.gitlab = {
    ...draft.slices.gitlab,
    store: {
      url,
      token,
      owner,
      variable,
      stateVariable,
      lockVariable: `${stateVariable}_LOCK`,
      protected: protectedKey !== 'false',
      ...tls
    }
  }
  draft.storeConfig = {
    kind: GITLAB_VARIABLE,
    subject: variable,
    // GitLab finds a project or group whatever the case of its path; a variable's key is exact.
    record: {
      where: `variable ${stateVariable} of ${owner.kind} ${owner.path.toLowerCase()} at ${url}`,
      key: 'state-variable'
    }
  }
}

function configureIssuer(draft: Draft): void {
  const keys = draft.file.keys
  const problem = (key: string, message: string) => {
    draft.report([{ input: issuerKey(key), message }])
  }
  const url = instanceUrl(keys[issuerKey('url')], message => {
    problem('url', message)
  })
  const owner = ownerOf(
    {
      project: keys[issuerKey('project')],
      group: keys[issuerKey('group')],
      personal: keys[issuerKey('personal')] === 'true'
    },
    true,
    message => {
      problem('project', message)
    }
  )
  const tokenName = keys[issuerKey('token-name')] ?? ''
  if (tokenName === '') {
    problem(
      'token-name',
      `is required with issuer.kind: ${GITLAB_TOKEN}: the name of the token to renew (it is found by name, since a rotated token gets a new id)`
    )
  }
  // The issuer's TLS keys are the flat inputs OAuth2 has too: they are read from there.
  const tls = tlsOf(name => draft.raw[name], draft.add)
  const strategy = (keys[issuerKey('strategy')] ?? 'create-then-revoke') as Strategy
  let expiresInDays = DEFAULT_EXPIRES_IN_DAYS
  const expiresIn = keys[issuerKey('expires-in')]
  if (expiresIn !== undefined) {
    const ms = parseDuration(expiresIn)
    if (ms === undefined)
      problem('expires-in', `'${expiresIn}' is not a duration; use ${DURATION_HINT}`)
    else if (ms < DAY_MS) {
      problem('expires-in', 'must be at least 1d: GitLab gives a token an expiry date, not a time')
    } else expiresInDays = Math.ceil(ms / DAY_MS)
  }
  const { raw, mode } = draft
  if (strategy === 'rotate') {
    // GitLab revokes the old token the moment it answers a rotate: between that answer and the
    // store's write, the new token exists only in the runner's memory. The ciphertext in the log
    // is its only other copy, so a rotation without one could lose the only working token.
    if (mode === 'rotate' && raw['recovery-public-key'] === '') {
      draft.add(
        'recovery-public-key',
        `is required with issuer.strategy: rotate: GitLab revokes the old token at once, so the new one is sealed to this key the moment it arrives (its only other copy if the runner dies before the store is written). Make a key pair with token-rotation recovery-keygen, or use strategy: create-then-revoke`
      )
    }
    if (raw['revoke-previous'].toLowerCase() === 'true') {
      draft.add(
        'revoke-previous',
        'does not apply to issuer.strategy: rotate: GitLab revokes the old token itself as it rotates; remove it, or use strategy: create-then-revoke'
      )
    }
  } else if (raw['recovery-public-key'] !== '') {
    draft.add(
      'recovery-public-key',
      'applies to issuer.strategy: rotate; with create-then-revoke the admin token is never consumed, and a new token is published only after it was kept: remove it'
    )
  }
  if (url === undefined || owner === undefined || tokenName === '') return
  draft.slices.gitlab = {
    ...draft.slices.gitlab,
    issuer: { url, owner, tokenName, strategy, expiresInDays, ...tls }
  }
}

/**
 * GitLab's CI/CD variable targets: one per `publish: - gitlab:` entry, each checked against
 * GitLab's rules before anything is minted.
 */
export function configureGitLabTargets(draft: Draft): void {
  const entries = draft.file.targets.filter(target => target.key === GITLAB_TARGET)
  if (entries.length === 0) return
  const targets: VariableTargetSettings[] = []
  for (const { index, entry } of entries) {
    const at = (key: string) => `publish[${String(index)}].${GITLAB_TARGET}.${key}`
    const problem = (key: string, message: string) => {
      draft.report([{ input: at(key), message }])
    }
    const text = (key: string): string | undefined => {
      const value = entry[key]
      return typeof value === 'string' && value !== '' ? value : undefined
    }
    const flag = (key: string): boolean | undefined => {
      const value = entry[key]
      return typeof value === 'boolean' ? value : undefined
    }
    const url = instanceUrl(text('url'), message => {
      problem('url', message)
    })
    const token = text('token')
    if (token === undefined) {
      problem(
        'token',
        'is required: { env: NAME } of a GitLab token with the api scope and the Maintainer role'
      )
    }
    const owner = ownerOf(
      { project: text('project'), group: text('group'), personal: false },
      false,
      message => {
        problem('project', message)
      }
    )
    const variable = text('variable')
    if (variable === undefined) problem('variable', 'is required: the CI/CD variable to write')
    else {
      const why = variableKeyProblem(variable)
      if (why) problem('variable', why)
    }
    const tls = tlsOf(text, problem)
    const settings = {
      masked: flag('masked'),
      hidden: flag('hidden'),
      protected: flag('protected'),
      raw: flag('raw')
    }
    if (settings.hidden === true && settings.masked === false) {
      problem('hidden', 'needs masked: GitLab hides only masked variables; remove masked: false')
    }
    const type = text('type') as VariableType | undefined
    if (type !== undefined && !VARIABLE_TYPES.includes(type)) {
      problem('type', `'${type}' is not a variable type; use env_var or file`)
    }
    // A value known before anything is minted is checked now: a given value, or the form of a
    // GitLab token.
    const masked = settings.masked ?? settings.hidden ?? true
    const known = knownValue(draft)
    if (masked && known !== undefined) {
      const why = maskProblem(known.value, settings.raw ?? false)
      if (why) {
        problem(
          settings.masked === undefined ? 'variable' : 'masked',
          `GitLab cannot mask ${known.what}: ${why}. Set masked: false, or publish a value GitLab can mask`
        )
      }
    }
    if (
      url === undefined ||
      token === undefined ||
      owner?.kind === 'personal' ||
      owner === undefined ||
      variable === undefined
    )
      continue
    targets.push({
      url,
      token,
      owner,
      variable,
      environmentScope: text('environment-scope') ?? '*',
      ...definedOnly(settings),
      ...(type !== undefined ? { type } : {}),
      ...tls,
      index
    })
  }
  draft.slices.gitlab = { ...draft.slices.gitlab, targets }
}

/** The value the targets get, when it is known before anything is minted. */
function knownValue(draft: Draft): { value: string; what: string } | undefined {
  if (draft.issuer === GITLAB_TOKEN) return { value: TOKEN_FORM, what: 'a GitLab token' }
  if (draft.issues?.given && draft.valueFrom === 'issuer' && draft.raw.value !== '') {
    return { value: draft.raw.value, what: 'the value' }
  }
  return undefined
}

function definedOnly<T extends Record<string, boolean | undefined>>(
  settings: T
): Partial<Record<keyof T, boolean>> {
  return Object.fromEntries(
    Object.entries(settings).filter(([, value]) => value !== undefined)
  ) as Partial<Record<keyof T, boolean>>
}

/**
 * A connection's TLS settings from its three keys, checked; `{ tls }` only when one is set, so a
 * connection without them stays as it was.
 */
function tlsOf(
  text: (key: TlsKeyName) => string | undefined,
  problem: (key: TlsKeyName, message: string) => void
): { tls?: TlsSettings } {
  const tls = parseTls(text, problem)
  return Object.keys(tls).length > 0 ? { tls } : {}
}

/** The instance's URL: https, or http to this machine only (local servers). */
function instanceUrl(
  text: string | undefined,
  problem: (message: string) => void
): string | undefined {
  if (text === undefined || text === '') {
    problem('is required: the GitLab instance, such as https://gitlab.com')
    return undefined
  }
  let url: URL
  try {
    url = new URL(text)
  } catch {
    problem("is not a URL; use the instance's address, such as https://gitlab.com")
    return undefined
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    problem('must be an https URL: a token sent over plain http travels in clear text')
    return undefined
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    problem('must be the instance address alone, without credentials, query or fragment')
    return undefined
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '').replace(/\/api\/v4$/, '')}`
}

/** Exactly one of project, group and (for tokens) personal. */
function ownerOf(
  given: { project: string | undefined; group: string | undefined; personal: boolean },
  personalAllowed: boolean,
  problem: (message: string) => void
): Owner | undefined {
  const set = [given.project, given.group, given.personal ? 'personal' : undefined].filter(
    value => value !== undefined && value !== ''
  )
  const choices = personalAllowed ? 'project, group or personal: true' : 'project or group'
  if (set.length !== 1) {
    problem(
      set.length === 0
        ? `names no owner: set one of ${choices} (a path such as acme/app, or a numeric id)`
        : `names more than one owner: set only one of ${choices}`
    )
    return undefined
  }
  if (given.project) return { kind: 'project', path: given.project }
  if (given.group) return { kind: 'group', path: given.group }
  return { kind: 'personal' }
}

/** `acme/app`, `group acme`, or `the token's user`. */
export function ownerLabel(owner: Owner): string {
  if (owner.kind === 'personal') return "the token's user"
  return owner.kind === 'project' ? owner.path : `group ${owner.path}`
}

/** The plan's lines about the token and the variables. */
export function describeGitLab(config: ActionConfig): PartReport {
  const own = config.slices.gitlab
  if (!own) return {}
  const lines: string[] = []
  const issuer = own.issuer
  if (issuer) {
    const kind = issuer.owner.kind === 'personal' ? 'personal' : issuer.owner.kind
    lines.push(
      `GitLab ${kind} access token ${issuer.tokenName} of ${ownerLabel(issuer.owner)} at ${issuer.url}: ${issuer.strategy === 'rotate' ? 'rotated by GitLab (the old one dies at once)' : 'a new one created, the old one revoked by id after the grace period'}; new tokens expire in ${count(issuer.expiresInDays, 'day')}.`
    )
  }
  const store = own.store
  if (store) {
    lines.push(
      `Refresh token in the masked, hidden variable ${store.variable} of ${store.owner.kind} ${store.owner.path} at ${store.url}; record in variable ${store.stateVariable}; one-writer lock: variable ${store.lockVariable}.`
    )
  }
  const targets = own.targets ?? []
  const targetLines =
    targets.length === 0 || config.mode === 'verify'
      ? []
      : [
          `GitLab CI/CD variables (${count(targets.length, 'target')}):`,
          ...targets.map(target => `  - ${describeTarget(target)}`)
        ]
  return {
    lines,
    targetLines,
    names: targets.map(target => target.variable),
    writes: 0
  }
}

function describeTarget(target: VariableTargetSettings): string {
  const flags = (['masked', 'hidden', 'protected', 'raw'] as const)
    .filter(flag => target[flag] === true)
    .join(', ')
  return `${target.variable} of ${target.owner.kind} ${target.owner.path} (${target.environmentScope === '*' ? 'all environments' : target.environmentScope})${flags ? `, ${flags}` : ''}`
}
