// `npm run bench`: publishing figures against the local GitHub server (see README, "Rate limits").
// Prints wall time, requests and writes per repository, the lower bound set by latency,
// concurrency and write spacing, the ratio to it, and the cold start of dist/index.js.
// `--quick` skips the long run at GitHub's default pacing (about 100 s).
import { spawn } from 'node:child_process'
import { performance } from 'node:perf_hooks'
import { DIST_INDEX, runAction } from '../test-servers/action-runner.js'
import { startGitHubServer } from '../test-servers/github/index.js'

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

/** Time from spawning `node dist/index.js` until run() logs its first line. */
function coldStart(): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(process.execPath, [DIST_INDEX], {
      env: { PATH: process.env.PATH ?? '', RUNNER_DEBUG: '1' },
      stdio: ['ignore', 'pipe', 'ignore']
    })
    let seen = false
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      if (!seen && chunk.includes('run started')) {
        seen = true
        resolve(performance.now() - started)
      }
    })
    child.on('error', reject)
    child.on('close', () => {
      if (!seen) reject(new Error('dist/index.js never reported run() starting'))
    })
  })
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? NaN
}

const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick')
  const names = Array.from({ length: REPOSITORIES }, (_, i) => `bench/repo-${i}`)
  console.log(
    `node ${process.version}; ${REPOSITORIES} repositories, ${LATENCY_MS} ms added per request, write interval ${INTERVAL_MS} ms, max-concurrency ${CONCURRENCY}\n`
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

  const starts: number[] = []
  for (let i = 0; i < 15; i++) starts.push(await coldStart())
  console.log('\nCold start of node dist/index.js until run() begins (15 runs)')
  console.log(
    `  median ${median(starts).toFixed(0)} ms, min ${Math.min(...starts).toFixed(0)} ms, max ${Math.max(...starts).toFixed(0)} ms`
  )

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
