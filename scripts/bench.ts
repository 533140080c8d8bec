// `npm run bench`: publishing figures against the local GitHub server (see README, "Rate limits").
// Prints wall time, requests and writes per repository, the lower bound set by latency,
// concurrency and write spacing, the ratio to it, and the cold start of dist/index.js.
// Then full OAuth2 rotations through dist/index.js against the local oidc-provider and GitHub
// servers, at write intervals 0 and 1 s (the default): wall time, GitHub requests by kind, and
// how long the new refresh token lives only in memory (token request until its secret PUT ended).
// First, side by side: the cold start until run() begins as a ratio to `node -e 0`, and one OAuth2
// rotation at 100 ms added latency (both servers) as a ratio to 10 round trips, with its
// sequential requests by kind.
// `--quick` skips the long run at GitHub's default pacing (about 100 s) and takes 3 instead of
// 5 rotations at the 1 s interval. `--entry PATH` times another build's index.js in the first part
// (the rotation at 100 ms always runs dist/index.js); `--headline` prints only that first part.
import { spawn } from 'node:child_process'
import { resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { DIST_INDEX, runAction } from '../test-servers/action-runner.js'
import { startSecretsManagerServer } from '../test-servers/aws/index.js'
import {
  startGitHubServer,
  type GitHubServer,
  type RecordedRequest
} from '../test-servers/github/index.js'
import { startOAuth2Server, type OAuth2Server } from '../test-servers/oauth2/index.js'

const REPOSITORIES = 200
const LATENCY_MS = 50
const INTERVAL_MS = 100
const CONCURRENCY = 10
const TOKEN = 'bench-token'

interface Figures {
  wallMs: number
  requests: number
  writes: number
  exitCode: number
  refusedWrites: number
  maxInFlight: number
}

async function publishRun(
  inputs: Record<string, string>,
  serverOptions: { latencyMs: number; writesPerMinute?: number },
  repositories: number
): Promise<Figures> {
  const server = await startGitHubServer({
    tokens: { [TOKEN]: { secrets: 'write' } },
    ...serverOptions
  })
  try {
    server.addOrganization('bench')
    for (let i = 0; i < repositories; i++) server.addRepository(`bench/repo-${i}`)
    const started = performance.now()
    const run = await runAction({
      inputs: {
        'github-token': TOKEN,
        'secret-name': 'BENCH_TOKEN',
        value: 'bench-value',
        ...inputs
      },
      env: { GITHUB_API_URL: server.url, GITHUB_REPOSITORY: 'bench/repo-0' }
    })
    const wallMs = performance.now() - started
    if (run.exitCode !== 0)
      console.error(
        run.stdout
          .split('\n')
          .filter(l => l.startsWith('::error'))
          .join('\n')
      )
    return {
      wallMs,
      requests: server.requests.length,
      writes: server.requests.filter(r => r.method !== 'GET').length,
      exitCode: run.exitCode,
      refusedWrites: server.refusedWrites,
      maxInFlight: server.maxInFlight
    }
  } finally {
    await server.close()
  }
}

const ROTATION_RUNS = 5
const REFRESH_SECRET = 'OAUTH_REFRESH_TOKEN'
const ACCESS_SECRET = 'API_ACCESS_TOKEN'
const ROTATION_REPO = 'bench/app'

interface Rotation {
  wallMs: number
  exitCode: number
  /** From the token request reaching the OAuth2 server until the refresh token's secret PUT ended. */
  unpersistedMs: number
  /** GitHub requests of this run, by kind. */
  kinds: Record<RequestKind, number>
  tokenRequests: number
  /** Health-check requests, as the verify step reports them. */
  healthChecks: number
}

const REQUEST_KINDS = [
  'secret PUT',
  'variable POST',
  'variable PATCH',
  'variable DELETE',
  'public-key GET',
  'variable GET',
  'alert-issue GET',
  'other'
] as const
type RequestKind = (typeof REQUEST_KINDS)[number]
const WRITE_KINDS: RequestKind[] = [
  'secret PUT',
  'variable POST',
  'variable PATCH',
  'variable DELETE'
]

function requestKind(r: RecordedRequest): RequestKind {
  if (r.path.endsWith('/secrets/public-key')) return r.method === 'GET' ? 'public-key GET' : 'other'
  if (r.path.includes('/secrets/') && r.method === 'PUT') return 'secret PUT'
  if (r.path.endsWith('/issues') && r.method === 'GET') return 'alert-issue GET'
  if (r.path.includes('/variables')) {
    if (r.method === 'GET') return 'variable GET'
    if (r.method === 'POST' || r.method === 'PATCH' || r.method === 'DELETE')
      return `variable ${r.method}`
  }
  return 'other'
}

/** The local peers of an OAuth2 rotation: a grant whose first refresh token is in the secret. */
interface RotationPeers {
  github: GitHubServer
  oauth: OAuth2Server
  /** The grant's first refresh token, for isGrantAlive. */
  first: string
}

async function startRotationPeers(): Promise<RotationPeers> {
  const github = await startGitHubServer({
    tokens: { [TOKEN]: { secrets: 'write', variables: 'write', issues: 'write' } }
  })
  const oauth = await startOAuth2Server()
  github.addRepository(ROTATION_REPO)
  const first = await oauth.mintRefreshToken()
  github.seedSecret(`repos/${ROTATION_REPO}/actions/secrets/${REFRESH_SECRET}`, first)
  return { github, oauth, first }
}

/** One scheduled rotation: the job reads the secrets as they are now and runs dist/index.js. */
async function rotateOnce(
  peers: RotationPeers,
  writeInterval: string,
  runId: number
): Promise<Rotation> {
  const { github, oauth } = peers
  const secret = (name: string) =>
    github.getSecret(`repos/${ROTATION_REPO}/actions/secrets/${name}`)?.value
  const previous = secret(ACCESS_SECRET)
  const from = github.requests.length
  const tokensBefore = oauth.tokenRequests
  let mintedAt = Number.NaN
  const watch = setInterval(() => {
    if (Number.isNaN(mintedAt) && oauth.tokenRequests > tokensBefore) mintedAt = Date.now()
  }, 1)
  const started = performance.now()
  const run = await runAction({
    inputs: {
      'github-token': TOKEN,
      issuer: 'oauth2',
      'token-url': oauth.tokenUrl,
      'client-id': oauth.clients.basic.clientId,
      'client-secret': oauth.clients.basic.clientSecret,
      'refresh-token': secret(REFRESH_SECRET) ?? '',
      'refresh-token-secret': REFRESH_SECRET,
      'secret-name': ACCESS_SECRET,
      'health-check-url': oauth.resourceUrl,
      'write-interval': writeInterval,
      ...(previous === undefined ? {} : { 'previous-value': previous })
    },
    env: {
      GITHUB_API_URL: github.url,
      GITHUB_REPOSITORY: ROTATION_REPO,
      GITHUB_RUN_ID: String(runId),
      GITHUB_RUN_ATTEMPT: '1'
    }
  })
  const wallMs = performance.now() - started
  clearInterval(watch)
  const requests = github.requests.slice(from)
  const persisted = requests.find(
    r =>
      r.method === 'PUT' &&
      r.path === `/repos/${ROTATION_REPO}/actions/secrets/${REFRESH_SECRET}` &&
      r.startedAt >= mintedAt &&
      r.status < 300
  )
  const kinds = Object.fromEntries(REQUEST_KINDS.map(k => [k, 0])) as Record<RequestKind, number>
  for (const r of requests) kinds[requestKind(r)] += 1
  if (run.exitCode !== 0) console.error(run.errors.join('\n'))
  return {
    wallMs,
    exitCode: run.exitCode,
    unpersistedMs: persisted ? persisted.endedAt - mintedAt : Number.NaN,
    kinds,
    tokenRequests: oauth.tokenRequests - tokensBefore,
    healthChecks: Number(/verify: ok \(.* after (\d+) attempts?\)/.exec(run.stdout)?.[1] ?? 0)
  }
}

function printRotations(title: string, runs: Rotation[], intervalMs: number): void {
  const last = runs[runs.length - 1]
  if (!last) return
  const writes = WRITE_KINDS.reduce((sum, k) => sum + last.kinds[k], 0)
  const reads =
    last.kinds['public-key GET'] + last.kinds['variable GET'] + last.kinds['alert-issue GET']
  const total = Object.values(last.kinds).reduce((sum, n) => sum + n, 0)
  const same = runs.every(r => JSON.stringify(r.kinds) === JSON.stringify(last.kinds))
  // Only the targets' writes are paced; the store's (the re-seal, the persist, the record and the
  // lock) go out at once, so the new refresh token is never kept waiting for its turn.
  const paced = Math.max(0, last.kinds['secret PUT'] - 2)
  const bound = Math.max(0, paced - 1) * intervalMs
  const wall = median(runs.map(r => r.wallMs))
  console.log(`\n${title}`)
  console.log(
    `  wall time              median ${fmt(wall)}, min ${fmt(Math.min(...runs.map(r => r.wallMs)))}, max ${fmt(Math.max(...runs.map(r => r.wallMs)))} (exit ${[...new Set(runs.map(r => r.exitCode))].join('/')})`
  )
  console.log(
    `  GitHub requests        ${total} per rotation${same ? '' : ' (varied between runs: last shown)'}: ${writes} writes, ${reads} reads${last.kinds.other ? `, ${last.kinds.other} other` : ''}`
  )
  console.log(`    secret PUTs          ${last.kinds['secret PUT']}`)
  console.log(
    `    variable writes      ${last.kinds['variable POST'] + last.kinds['variable PATCH'] + last.kinds['variable DELETE']} (POST ${last.kinds['variable POST']}, PATCH ${last.kinds['variable PATCH']}, DELETE ${last.kinds['variable DELETE']})`
  )
  console.log(
    `    reads                ${reads} (public key ${last.kinds['public-key GET']}, variable ${last.kinds['variable GET']}, alert issue ${last.kinds['alert-issue GET']})`
  )
  console.log(`  token requests         ${last.tokenRequests} per rotation`)
  console.log(
    `  write spacing          ${fmt(bound)} = (${paced} paced target writes - 1) x ${intervalMs} ms (the store's writes are not paced); the rest ${fmt(wall - bound)}`
  )
  console.log(
    `  minted until persisted median ${median(runs.map(r => r.unpersistedMs)).toFixed(0)} ms (token request until its secret PUT ended)`
  )
}

/**
 * Time from spawning `node dist/index.js` until it logs `marker`: `run started` (run() begins) or
 * `engine assembled` (inputs read and every part built, the AWS SDK loaded when it is needed).
 */
function coldStart(
  inputs: Record<string, string> = {},
  marker = 'run started',
  extraEnv: Record<string, string> = {},
  entry = DIST_INDEX
): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      RUNNER_DEBUG: '1',
      ...extraEnv
    }
    for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value
    const child = spawn(process.execPath, [entry], {
      env,
      stdio: ['ignore', 'pipe', 'ignore']
    })
    let seen = false
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      if (!seen && chunk.includes(marker)) {
        seen = true
        resolve(performance.now() - started)
      }
    })
    child.on('error', reject)
    child.on('close', () => {
      if (!seen) reject(new Error(`${entry} never logged '${marker}'`))
    })
  })
}

/**
 * Time from spawning a Node process that does nothing but print a line until the line arrives:
 * `node -e 0` measured as the entry is, up to its first output (its exit would add the teardown
 * that the marker of the entry leaves out).
 */
function bareNode(): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(process.execPath, ['-e', 'console.log(0)'], {
      stdio: ['ignore', 'pipe', 'ignore']
    })
    let seen = false
    child.stdout.on('data', () => {
      if (!seen) {
        seen = true
        resolve(performance.now() - started)
      }
    })
    child.on('error', reject)
    child.on('close', () => {
      if (!seen) reject(new Error('node -e printed nothing'))
    })
  })
}

const LATENCY_ROTATION_MS = 100
const ESSENTIAL_REQUESTS = 10
const STARTS = 15

/**
 * The headline figures, side by side. Cold start: spawning `node <entry>` until it logs
 * `token-rotation-action: run started` (the first line of run(), a debug line), and until
 * `engine assembled` (inputs validated and every part built: the moment before the first request),
 * each as a ratio to a Node process that only prints a line; interleaved, medians of 15.
 * Rotation: one OAuth2 rotation through dist/index.js, both servers adding 100 ms to every request,
 * from spawn to exit, as a ratio to 10 round trips (a round trip: one request at 100 ms added
 * latency; 10 is the number of requests a rotation cannot do without).
 */
async function headline(entry: string, oauth2Inputs: Record<string, string>): Promise<void> {
  const bare: number[] = []
  const toRun: number[] = []
  const toEngine: number[] = []
  for (let i = 0; i < STARTS; i++) {
    bare.push(await bareNode())
    toRun.push(await coldStart({}, 'run started', {}, entry))
    toEngine.push(
      await coldStart(oauth2Inputs, 'engine assembled', { GITHUB_REPOSITORY: ROTATION_REPO }, entry)
    )
  }
  const floor = median(bare)
  const ratio = (xs: number[]) => median(xs) / floor
  const startRatio = ratio(toRun)
  console.log(
    `Cold start of node ${entry === DIST_INDEX ? 'dist/index.js' : entry} (${STARTS} runs each, interleaved, medians)`
  )
  console.log(
    `  ${"node -e 0 (until node -e 'console.log(0)' prints)".padEnd(52)} ${floor.toFixed(0)} ms`
  )
  console.log(
    `  ${"until run() begins ('run started')".padEnd(52)} ${median(toRun).toFixed(0)} ms = ${startRatio.toFixed(2)}x node -e 0 (target <= 2.5) ${startRatio <= 2.5 ? 'OK' : 'MISSED'}`
  )
  console.log(
    `  ${'until the first request is due'.padEnd(52)} ${median(toEngine).toFixed(0)} ms = ${ratio(toEngine).toFixed(2)}x node -e 0 ('engine assembled', OAuth2 + GitHub inputs)`
  )

  const github = await startGitHubServer({
    tokens: { [TOKEN]: { secrets: 'write', variables: 'write', issues: 'write' } }
  })
  const oauth = await startOAuth2Server({ latencyMs: LATENCY_ROTATION_MS })
  github.addRepository(ROTATION_REPO)
  const first = await oauth.mintRefreshToken()
  github.seedSecret(`repos/${ROTATION_REPO}/actions/secrets/${REFRESH_SECRET}`, first)
  const peers = { github, oauth, first }
  try {
    // The first rotation creates the record and the lock's first value: not the steady state.
    await rotateOnce(peers, '0', 1)
    const runs: LatencyRotation[] = []
    for (let i = 0; i < 3; i++) runs.push(await latencyRotation(peers, 2 + i))
    const last = runs.at(-1)
    if (!last) return
    const bound = ESSENTIAL_REQUESTS * LATENCY_ROTATION_MS
    const wall = median(runs.map(r => r.wallMs))
    const rotationRatio = wall / bound
    console.log(
      `\nOne OAuth2 rotation at ${LATENCY_ROTATION_MS} ms added latency (GitHub and OAuth2 servers), through dist/index.js (median of ${runs.length}, exits ${runs.map(r => r.exitCode).join(',')})`
    )
    console.log(
      `  a round trip: one request at ${LATENCY_ROTATION_MS} ms added latency; ${ESSENTIAL_REQUESTS} round trips = ${fmt(bound)} (the requests a rotation cannot do without)`
    )
    console.log(
      `  wall time, spawn to exit                  ${fmt(wall)} = ${rotationRatio.toFixed(2)}x ${ESSENTIAL_REQUESTS} round trips (target <= 1.3) ${rotationRatio <= 1.3 ? 'OK' : 'MISSED'}`
    )
    console.log(
      `  first request until the last answer       ${fmt(median(runs.map(r => r.networkMs)))}`
    )
    console.log(
      `  sequential requests                       ${last.sequence.length} (${last.requests} in all): ${last.sequence.join(', ')}`
    )
    for (const [kind, n] of Object.entries(countKinds(last.sequence))) {
      console.log(`    ${kind.padEnd(39)} ${n}`)
    }
    console.log(
      `  grant alive                               ${(await oauth.isGrantAlive(first)) ? 'yes' : 'NO'}`
    )
  } finally {
    await oauth.close()
    await github.close()
  }
}

interface LatencyRotation {
  wallMs: number
  /** From the first GitHub request's arrival until the last one's answer. */
  networkMs: number
  exitCode: number
  /** One entry per round of requests that waited for the one before; concurrent ones joined by +. */
  sequence: string[]
  /** Every request of the run, GitHub and OAuth2. */
  requests: number
}

/** One rotation with latency added on the GitHub server too, by a fault that delays everything. */
async function latencyRotation(peers: RotationPeers, runId: number): Promise<LatencyRotation> {
  const { github, oauth } = peers
  const delay = github.faults.add({ delayMs: LATENCY_ROTATION_MS })
  const from = github.requests.length
  const tokensBefore = oauth.tokenRequests
  try {
    const rotation = await rotateOnce(peers, '0', runId)
    const requests = github.requests.slice(from)
    const tokens = oauth.tokenRequests - tokensBefore
    const rounds = sequentialRounds(requests)
    // The OAuth2 requests (the token request after the minting mark and the lease's check, the
    // health check after the publication) wait for the GitHub request before them and the next
    // waits for them.
    const sequence = rounds.map(round => round.join(' + '))
    const marked = sequence.findIndex(s => s === 'record PATCH')
    const minting = sequence.findIndex((s, i) => i > marked && s === 'lock GET') + 1
    for (let i = 0; i < tokens; i++) sequence.splice(minting, 0, 'token POST')
    const published = sequence.findIndex(s => s === 'target secret PUT') + 1
    for (let i = 0; i < rotation.healthChecks; i++)
      sequence.splice(published, 0, 'health-check GET')
    const first = requests[0]?.startedAt ?? 0
    const lastEnd = Math.max(...requests.map(r => r.endedAt))
    return {
      wallMs: rotation.wallMs,
      networkMs: lastEnd - first,
      exitCode: rotation.exitCode,
      sequence,
      requests: requests.length + tokens + rotation.healthChecks
    }
  } finally {
    delay.remove()
  }
}

/** The requests grouped into rounds: a request that starts before the round's first ended joins it. */
function sequentialRounds(requests: readonly RecordedRequest[]): string[][] {
  const rounds: { end: number; kinds: string[] }[] = []
  for (const r of [...requests].sort((a, b) => a.startedAt - b.startedAt)) {
    const current = rounds.at(-1)
    if (current && r.startedAt < current.end) {
      current.kinds.push(storeKind(r))
      current.end = Math.max(current.end, r.endedAt)
    } else {
      rounds.push({ end: r.endedAt, kinds: [storeKind(r)] })
    }
  }
  return rounds.map(round => round.kinds)
}

/** What a request of a rotation is for, named by what it touches. */
function storeKind(r: RecordedRequest): string {
  const lock = r.path.endsWith(`_LOCK`)
  if (r.path.endsWith('/secrets/public-key')) return 'public-key GET'
  if (r.path.endsWith(`/secrets/${REFRESH_SECRET}`)) return `refresh-token secret ${r.method}`
  if (r.path.includes('/secrets/')) return `target secret ${r.method}`
  if (r.path.endsWith('/actions/variables')) return 'lock POST'
  if (r.path.includes('/variables/')) return `${lock ? 'lock' : 'record'} ${r.method}`
  if (r.path.includes('/issues')) return `alert-issue ${r.method}`
  return `${r.method} ${r.path}`
}

function countKinds(sequence: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const round of sequence) {
    for (const kind of round.split(' + ')) counts[kind] = (counts[kind] ?? 0) + 1
  }
  return counts
}

/**
 * Full OAuth2 rotations with the refresh token in AWS Secrets Manager (the local server, the real
 * SDK through AWS_ENDPOINT_URL_SECRETS_MANAGER): wall time, requests by operation, and the time
 * from the token request until AWSPENDING was staged.
 */
async function awsRotations(runs: number): Promise<void> {
  const github = await startGitHubServer({
    tokens: { [TOKEN]: { secrets: 'write', variables: 'write', issues: 'write' } }
  })
  const oauth = await startOAuth2Server()
  const aws = await startSecretsManagerServer()
  github.addRepository(ROTATION_REPO)
  const first = await oauth.mintRefreshToken()
  aws.seedSecret('bench/oauth', { secretString: JSON.stringify({ refresh_token: first }) })
  const rotate = async (runId: number) => {
    const fromAws = aws.requests.length
    const fromGitHub = github.requests.length
    const tokensBefore = oauth.tokenRequests
    let mintedAt = Number.NaN
    const watch = setInterval(() => {
      if (Number.isNaN(mintedAt) && oauth.tokenRequests > tokensBefore) mintedAt = Date.now()
    }, 1)
    const started = performance.now()
    const run = await runAction({
      inputs: {
        'github-token': TOKEN,
        issuer: 'oauth2',
        'store-secret-id': 'bench/oauth',
        'token-url': oauth.tokenUrl,
        'client-id': oauth.clients.basic.clientId,
        'client-secret': oauth.clients.basic.clientSecret,
        'secret-name': ACCESS_SECRET,
        'health-check-url': oauth.resourceUrl,
        'write-interval': '0'
      },
      env: {
        GITHUB_API_URL: github.url,
        GITHUB_REPOSITORY: ROTATION_REPO,
        GITHUB_RUN_ID: String(runId),
        GITHUB_RUN_ATTEMPT: '1',
        AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.url,
        AWS_REGION: aws.region,
        AWS_ACCESS_KEY_ID: aws.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: aws.credentials.secretAccessKey,
        AWS_EC2_METADATA_DISABLED: 'true'
      }
    })
    const wallMs = performance.now() - started
    clearInterval(watch)
    if (run.exitCode !== 0) console.error(run.errors.join('\n'))
    const requests = aws.requests.slice(fromAws)
    const staged = requests.find(
      r => r.operation === 'PutSecretValue' && r.time >= mintedAt && r.status === 200
    )
    const operations: Record<string, number> = {}
    for (const r of requests) operations[r.operation] = (operations[r.operation] ?? 0) + 1
    return {
      wallMs,
      exitCode: run.exitCode,
      operations,
      github: github.requests.length - fromGitHub,
      // The request log has arrival times: the staging request arrived this long after the mint.
      unstagedMs: staged ? staged.time - mintedAt : Number.NaN
    }
  }
  try {
    await rotate(1)
    const results = []
    for (let i = 0; i < runs; i++) results.push(await rotate(10 + i))
    const last = results.at(-1)
    console.log(
      `\nOAuth2 rotations with the refresh token in AWS Secrets Manager (local server, real SDK; ${runs} after a first one)`
    )
    console.log(
      `  wall time              median ${fmt(median(results.map(r => r.wallMs)))} (exits ${results.map(r => r.exitCode).join(',')})`
    )
    console.log(
      `  AWS requests           ${Object.entries(last?.operations ?? {})
        .map(([op, n]) => `${op} ${n}`)
        .join(', ')}`
    )
    console.log(`  GitHub requests        ${last?.github ?? 0} (lock, target public key and PUT)`)
    console.log(
      `  minted until staged    median ${median(results.map(r => r.unstagedMs)).toFixed(0)} ms (token request until PutSecretValue of AWSPENDING arrived)`
    )
    console.log(`  grant alive            ${(await oauth.isGrantAlive(first)) ? 'yes' : 'NO'}`)
  } finally {
    await aws.close()
    await oauth.close()
    await github.close()
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? NaN
}

const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick')
  const entryAt = process.argv.indexOf('--entry')
  const entry = entryAt > 0 ? resolve(process.argv[entryAt + 1] ?? '') : DIST_INDEX
  const names = Array.from({ length: REPOSITORIES }, (_, i) => `bench/repo-${i}`)
  console.log(`node ${process.version}\n`)
  await headline(entry, {
    'github-token': TOKEN,
    'secret-name': ACCESS_SECRET,
    issuer: 'oauth2',
    'token-url': 'http://127.0.0.1:9/token',
    'client-id': 'bench',
    'client-secret': 'bench-secret',
    'refresh-token': 'bench-refresh',
    'refresh-token-secret': REFRESH_SECRET
  })
  if (process.argv.includes('--headline')) return
  console.log(
    `\n${REPOSITORIES} repositories, ${LATENCY_MS} ms added per request, write interval ${INTERVAL_MS} ms, max-concurrency ${CONCURRENCY}`
  )

  const repo = await publishRun(
    {
      repositories: names.join('\n'),
      'write-interval': `${INTERVAL_MS}ms`,
      'max-concurrency': String(CONCURRENCY)
    },
    { latencyMs: LATENCY_MS },
    REPOSITORIES
  )
  const bound = Math.max((repo.requests * LATENCY_MS) / CONCURRENCY, repo.writes * INTERVAL_MS)
  const perRepo = repo.requests / REPOSITORIES
  const ratio = repo.wallMs / bound
  console.log('Repository secrets, one per repository')
  console.log(`  wall time              ${fmt(repo.wallMs)} (exit ${repo.exitCode})`)
  console.log(
    `  requests               ${repo.requests} (${perRepo.toFixed(2)} per repository; target <= 2)`
  )
  console.log(
    `  writes                 ${repo.writes} (${(repo.writes / REPOSITORIES).toFixed(2)} per repository)`
  )
  console.log(`  most in flight         ${repo.maxInFlight}`)
  console.log(
    `  lower bound            ${fmt(bound)} = max(${repo.requests} x ${LATENCY_MS} ms / ${CONCURRENCY}, ${repo.writes} x ${INTERVAL_MS} ms)`
  )
  console.log(
    `  ratio to lower bound   ${ratio.toFixed(3)} (target <= 1.15) ${ratio <= 1.15 && perRepo <= 2 ? 'OK' : 'MISSED'}`
  )

  const org = await publishRun(
    {
      org: 'bench',
      'selected-repositories': names.join('\n'),
      'write-interval': `${INTERVAL_MS}ms`
    },
    { latencyMs: LATENCY_MS },
    REPOSITORIES
  )
  console.log('\nThe same repositories as one organization secret with selected repositories')
  console.log(`  wall time              ${fmt(org.wallMs)} (exit ${org.exitCode})`)
  console.log(`  requests               ${org.requests} (writes ${org.writes})`)

  // The OAuth2 inputs change nothing before run(): run() logs its first line before reading an
  // input, and only a Secrets Manager secret loads the AWS SDK's chunk. Measured interleaved.
  const oauth2Inputs = {
    'github-token': TOKEN,
    'secret-name': ACCESS_SECRET,
    issuer: 'oauth2',
    'token-url': 'http://127.0.0.1:9/token',
    'client-id': 'bench',
    'client-secret': 'bench-secret',
    'refresh-token': 'bench-refresh',
    'refresh-token-secret': REFRESH_SECRET
  }
  const awsInputs = {
    'github-token': TOKEN,
    'secret-name': ACCESS_SECRET,
    issuer: 'oauth2',
    'token-url': 'http://127.0.0.1:9/token',
    'client-id': 'bench',
    'client-secret': 'bench-secret',
    'store-secret-id': 'bench/oauth'
  }
  const awsEnv = { GITHUB_REPOSITORY: ROTATION_REPO, AWS_REGION: 'us-east-1' }
  const starts: number[] = []
  const oauth2Starts: number[] = []
  const oauth2Assembled: number[] = []
  const awsAssembled: number[] = []
  for (let i = 0; i < 15; i++) {
    starts.push(await coldStart())
    oauth2Starts.push(await coldStart(oauth2Inputs))
    oauth2Assembled.push(
      await coldStart(oauth2Inputs, 'engine assembled', { GITHUB_REPOSITORY: ROTATION_REPO })
    )
    awsAssembled.push(await coldStart(awsInputs, 'engine assembled', awsEnv))
  }
  const spread = (xs: number[]) =>
    `median ${median(xs).toFixed(0)} ms, min ${Math.min(...xs).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms`
  console.log('\nCold start of node dist/index.js (15 runs each, interleaved)')
  console.log(`  until run() begins, no inputs              ${spread(starts)}`)
  console.log(`  until run() begins, OAuth2 inputs          ${spread(oauth2Starts)}`)
  console.log(`  until the engine is built, OAuth2 + GitHub ${spread(oauth2Assembled)}`)
  console.log(
    `  until the engine is built, OAuth2 + AWS    ${spread(awsAssembled)} (AWS SDK loaded: +${(median(awsAssembled) - median(oauth2Assembled)).toFixed(0)} ms)`
  )

  const peers = await startRotationPeers()
  try {
    const oneSecondRuns = quick ? 3 : ROTATION_RUNS
    console.log(
      '\nFull OAuth2 rotations through dist/index.js: local oidc-provider (rotating refresh tokens) and GitHub server, no added latency; one repository secret published, health check at the protected resource'
    )
    // The first rotation also creates the record variable: left out of the figures.
    const warmUp = await rotateOnce(peers, '0', 1)
    if (warmUp.exitCode !== 0) throw new Error('the first OAuth2 rotation failed')
    const immediate: Rotation[] = []
    for (let i = 0; i < ROTATION_RUNS; i++) immediate.push(await rotateOnce(peers, '0', 10 + i))
    printRotations(
      `OAuth2 rotation, write-interval 0 (${ROTATION_RUNS} rotations after a first one)`,
      immediate,
      0
    )
    const paced: Rotation[] = []
    for (let i = 0; i < oneSecondRuns; i++) paced.push(await rotateOnce(peers, '1s', 20 + i))
    printRotations(
      `OAuth2 rotation, write-interval 1s, the default (${oneSecondRuns} rotations)`,
      paced,
      1000
    )
    console.log(
      `\nGrant alive after ${1 + ROTATION_RUNS + oneSecondRuns} rotations: ${(await peers.oauth.isGrantAlive(peers.first)) ? 'yes' : 'NO'}`
    )
  } finally {
    await peers.oauth.close()
    await peers.github.close()
  }

  await awsRotations(quick ? 3 : ROTATION_RUNS)

  if (quick) return
  const paced = await publishRun(
    { repositories: names.slice(0, 100).join('\n') },
    { latencyMs: LATENCY_MS, writesPerMinute: 80 },
    100
  )
  console.log(
    '\n100 repositories at the default write interval (1 s), server enforcing 80 writes a minute'
  )
  console.log(`  wall time              ${fmt(paced.wallMs)} (exit ${paced.exitCode})`)
  console.log(
    `  writes                 ${paced.writes}, refused by the limit ${paced.refusedWrites} (target 0) ${paced.refusedWrites === 0 && paced.exitCode === 0 ? 'OK' : 'MISSED'}`
  )
}

await main()
