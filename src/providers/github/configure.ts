import { ConfigError } from '../../errors.js'
import type { ActionConfig } from '../../config/rotation-config.js'
import type { Draft, PartReport } from '../provider.js'
import { count } from '../../wording.js'
import {
  hourlyBudgetRefusal,
  orgSecretSuggestion,
  pacingWarning,
  plannedWrites
} from './plan-advice.js'
import { scopeLabel } from './scopes.js'
import { targetsFromConfig, type SecretTarget } from './targets.js'
import { parsePublishConfig, type PublishConfig } from './config.js'
import { parseFieldMappings } from './field-mappings.js'
import { parseRepository, secretNameProblem, type RepositoryRef } from './rules.js'
import { parseDuration } from '../../duration.js'

declare module '../../config/rotation-config.js' {
  interface ProviderSlices {
    github?: {
      /** The workflow's repository (`GITHUB_REPOSITORY`): where the alert issue is opened. */
      repository?: RepositoryRef
      /** The GitHub store: the refresh token in a repository secret, the record in a variable. */
      /**
       * The GitHub store: the refresh token in a repository secret (`secretName`), the record in a
       * variable; only the record for an issuer that exchanges nothing but revokes by handle.
       */
      store?: { secretName?: string; stateVariable: string }
    }
  }
}

/** The kind of the GitHub store. */
export const GITHUB_STORE = 'github'

/** The GitHub store of a refresh token: the secret the issuer's consumed credential is kept in. */
export function configureGitHub(draft: Draft): void {
  if (draft.store !== GITHUB_STORE) return
  // The GitHub store keeps what the issuer consumes: the refresh token it exchanges each time.
  if (draft.issues?.consumesInput) storeConfig(draft)
  // An issuer that revokes what it minted by handle needs the handles from one run to the next:
  // a record without a secret, since it exchanges nothing that would have to be persisted. GitHub
  // keeps it where GitHub plays a part: a published secret, or a store or record asked for.
  else if (
    draft.issues?.revokes === 'handle' &&
    draft.issues.given !== true &&
    wantsRecord(draft)
  ) {
    recordConfig(draft)
  }
}

function wantsRecord({ raw }: Draft): boolean {
  return raw['secret-name'] !== '' || raw['state-variable'] !== '' || raw.store === GITHUB_STORE
}

/**
 * GitHub's secret targets: the value is minted, given, or read from the store, as the other
 * providers found. Where GitHub plays no part, neither github-token nor secret-name is needed.
 */
export function configureGitHubTargets(draft: Draft): void {
  const { raw, issuer, mode } = draft
  draft.fieldMappings = parseFieldMappings(raw, draft.add)
  if (draft.fieldMappings.length > 0 && !draft.document) {
    draft.add(
      'secret-fields',
      'applies to a value that is a JSON document read from its store (a sync, or a secret its store rotates, as with AWS Secrets Manager); this value is minted or given whole: publish it with secret-name, or read the document from its store'
    )
  }
  const mintedBy = draft.issues?.given || draft.valueInput ? undefined : issuer
  // GitHub writes no secret in mode verify, nor for a credential that publishes to other targets
  // only; it keeps nothing when no record or lock is GitHub's (a store that is not GitHub's may
  // still keep its lock in a GitHub variable). Without either, it plays no part.
  const keepsHere =
    draft.storeConfig?.lockVariable !== undefined ||
    (draft.keepsRecord === true && draft.storeConfig === undefined)
  const writesSecrets =
    mode !== 'verify' && (raw['secret-name'] !== '' || draft.fieldMappings.length > 0)
  const writesNone = !writesSecrets && (mode === 'verify' || draft.file.targets.length > 0)
  const noPart = writesNone && !keepsHere
  try {
    draft.publish = parsePublishConfig(raw, draft.context, {
      ...(mintedBy ? { mintedBy } : {}),
      ...(draft.valueInput ? { valueFrom: draft.valueInput } : {}),
      nameOptional: draft.fieldMappings.length > 0 || writesNone,
      valueOptional: mode !== 'rotate',
      tokenOptional: noPart
    })
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    draft.report(error.problems)
  }
  // The workflow's repository: the home of the alert issue, whatever the store.
  const workflow = draft.context.repository ? parseRepository(draft.context.repository) : undefined
  if (workflow) draft.slices.github = { ...draft.slices.github, repository: workflow }
  // A replaced value waits for its revocation in a secret named after the published one.
  const grace = parseDuration(raw['grace-period']) ?? 0
  if (
    raw['revoke-previous'].toLowerCase() === 'true' &&
    grace > 0 &&
    draft.issues?.revokes === 'value' &&
    raw['secret-name'] === ''
  ) {
    draft.add(
      'revoke-previous',
      'with a grace-period keeps the replaced value in a GitHub secret named after secret-name until it is revoked: set secret-name, or grace-period: 0'
    )
  }
  const own = draft.slices.github?.store
  const repository = draft.storeConfig?.repository
  if (
    own?.secretName !== undefined &&
    repository &&
    overwrites(draft.publish, repository, own.secretName)
  ) {
    draft.add(
      'refresh-token-secret',
      `is the same secret as secret-name in ${draft.context.repository ?? ''}: the access token would overwrite the refresh token; use two names`
    )
  }
}

function storeConfig(draft: Draft): void {
  const { raw, context, add } = draft
  draft.keepsRecord = true
  const secretName = raw['refresh-token-secret']
  if (secretName === '') {
    add(
      'refresh-token-secret',
      `is required with issuer: ${draft.issuer ?? ''}: the repository secret the rotated refresh token is written back to (the one refresh-token reads)`
    )
    return
  }
  const why = secretNameProblem(secretName)
  if (why) {
    add('refresh-token-secret', why)
    return
  }
  const stateVariable = raw['state-variable'] || `${secretName}_STATE`
  const stateWhy = secretNameProblem(stateVariable)
  if (stateWhy) add('state-variable', stateWhy.replace(/secret/g, 'variable'))
  const repository = context.repository ? parseRepository(context.repository) : undefined
  if (!repository) {
    add(
      'refresh-token-secret',
      'needs GITHUB_REPOSITORY: the refresh token lives in a secret of the repository running the workflow'
    )
    return
  }
  draft.slices.github = {
    ...draft.slices.github,
    store: { secretName: secretName.toUpperCase(), stateVariable: stateVariable.toUpperCase() }
  }
  draft.storeConfig = {
    kind: GITHUB_STORE,
    repository,
    subject: secretName.toUpperCase(),
    lockVariable: `${stateVariable.toUpperCase()}_LOCK`,
    record: {
      where: `variable ${stateVariable.toUpperCase()} of ${repository.owner}/${repository.repo}`,
      key: 'state-variable'
    }
  }
}

/**
 * The record of an issuer that revokes by handle: a variable named after the published secret
 * (or `state-variable`), with its lock beside it. No secret: nothing is persisted.
 */
function recordConfig(draft: Draft): void {
  const { raw, context, add } = draft
  draft.keepsRecord = true
  if (raw['refresh-token-secret'] !== '') {
    add(
      'refresh-token-secret',
      `applies to an issuer that exchanges its credential; issuer: ${draft.issuer ?? ''} keeps only a record (the ids of the values it minted) in a variable: remove it, and set state-variable to name that variable`
    )
  }
  const published = raw['secret-name'].toUpperCase()
  const stateVariable = (
    raw['state-variable'] || (published === '' ? '' : `${published}_STATE`)
  ).toUpperCase()
  if (stateVariable === '') {
    add(
      'state-variable',
      `is required with issuer: ${draft.issuer ?? ''} when no GitHub secret is published: the repository variable that keeps the rotation record (the ids of the values to revoke)`
    )
    return
  }
  const why = secretNameProblem(stateVariable)
  if (why) {
    add('state-variable', why.replace(/secret/g, 'variable'))
    return
  }
  const repository = context.repository ? parseRepository(context.repository) : undefined
  if (!repository) {
    add(
      'state-variable',
      'needs GITHUB_REPOSITORY: the rotation record is a variable of the repository running the workflow'
    )
    return
  }
  draft.slices.github = { ...draft.slices.github, store: { stateVariable } }
  draft.storeConfig = {
    kind: GITHUB_STORE,
    repository,
    subject: published === '' ? stateVariable : published,
    lockVariable: `${stateVariable}_LOCK`,
    record: {
      where: `variable ${stateVariable} of ${repository.owner}/${repository.repo}`,
      key: 'state-variable'
    }
  }
}

/** Whether the published secret is the store's own: the access token would replace the refresh token. */
function overwrites(
  publish: PublishConfig | undefined,
  repository: { owner: string; repo: string },
  secretName: string
): boolean {
  const same = publish?.repositories.some(
    ref =>
      ref.owner.toLowerCase() === repository.owner.toLowerCase() &&
      ref.repo.toLowerCase() === repository.repo.toLowerCase()
  )
  return (
    same === true &&
    publish?.environments.length === 0 &&
    publish.secretName.toUpperCase() === secretName.toUpperCase()
  )
}

/** The plan's lines about the GitHub store and the lock, the targets, and GitHub's advice. */
export function describeGitHub(config: ActionConfig): PartReport {
  const store = config.store
  const repository = store?.repository ? `${store.repository.owner}/${store.repository.repo}` : ''
  const own = config.slices.github?.store
  const publish = config.publish
  const writes = plannedWrites(config)
  const targets = publish.token === '' ? [] : targetsFromConfig(publish)
  const lines = [
    ...(store && own
      ? [
          own.secretName !== undefined
            ? `Refresh token in secret ${own.secretName} of ${repository}; record in variable ${own.stateVariable}.`
            : `Record (the ids of the values to revoke, never a value) in variable ${own.stateVariable} of ${repository}.`
        ]
      : []),
    ...(store?.lockVariable !== undefined
      ? [`One-writer lock: variable ${store.lockVariable} of ${repository}.`]
      : [])
  ]
  const targetLines: string[] = []
  if (config.mode !== 'verify' && writes > 0) {
    if (publish.secretName !== '') {
      targetLines.push(
        `Secret ${publish.secretName} (${publish.secretType}) to ${count(targets.length, 'target')}:`,
        ...targets.map(target => `  - ${describeTarget(target)}`)
      )
    }
    for (const mapping of config.fieldMappings) {
      targetLines.push(
        `Secret ${mapping.name} (${publish.secretType}) from field ${mapping.field}, to ${count(targets.length, 'target')}.`
      )
    }
    targetLines.push(
      `Pacing: at most ${publish.maxConcurrency} requests at once, writes at least ${publish.writeIntervalMs} ms apart.`
    )
  }
  const cheaper = writes > 0 ? orgSecretSuggestion(publish) : undefined
  const pacing = pacingWarning(publish, writes)
  return {
    lines,
    targetLines,
    names: [publish.secretName, ...config.fieldMappings.map(m => m.name)].filter(n => n !== ''),
    writes,
    ...(cheaper ? { notices: [{ title: 'Cheaper plan available', message: cheaper }] } : {}),
    ...(pacing ? { warnings: [{ title: 'GitHub rate limits ahead', message: pacing }] } : {})
  }
}

/**
 * Credentials that together write more secrets than the token's hourly budget: GitHub would
 * refuse the rest halfway through. The credentials of a run share its one token.
 */
export function refuseGitHub(configs: readonly ActionConfig[]): string | undefined {
  const writes = configs.reduce((sum, config) => sum + plannedWrites(config), 0)
  const first = configs[0]
  return first && hourlyBudgetRefusal(first.publish, writes)
}

function describeTarget(target: SecretTarget): string {
  const scope = target.scope
  if (scope.kind !== 'organization') return `${scope.kind} secret of ${scopeLabel(scope)}`
  const access = target.access
  const visibility = access?.visibility ?? 'kept from the existing secret (private if new)'
  const selected = access?.selectedRepositories
    ? `, ${count(access.selectedRepositories.length, 'selected repository', 'selected repositories')}`
    : ''
  return `organization secret of ${scope.org} (visibility ${visibility}${selected})`
}
