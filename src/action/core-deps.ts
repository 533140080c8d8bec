import * as core from '@actions/core'
import { safeLogger } from '../logger.js'
import type { RunDeps } from '../main.js'
import { Redactor } from '../redaction.js'

/**
 * The real collaborators of a run on a GitHub runner: @actions/core for inputs, masks, outputs,
 * annotations, groups and the job summary; the process environment. One redactor learns every
 * secret the run masks and cleans every log line, output and the summary on their way out.
 */
export function coreDeps(env: NodeJS.ProcessEnv): RunDeps {
  const redactor = new Redactor()
  const redact = (text: string) => redactor.redact(text)
  return {
    readInput: name => core.getInput(name, { trimWhitespace: false }),
    env,
    log: safeLogger(
      {
        debug: message => {
          core.debug(message)
        },
        info: message => {
          core.info(message)
        },
        notice: (message, properties) => {
          core.notice(message, properties)
        },
        warning: (message, properties) => {
          core.warning(message, properties)
        },
        error: (message, properties) => {
          core.error(message, properties)
        },
        group: (name, fn) => core.group(name, fn)
      },
      redact,
      true
    ),
    mask: secret => {
      for (const form of redactor.add(secret)) core.setSecret(form)
    },
    redact,
    setOutput: (name, value) => {
      core.setOutput(name, redact(value))
    },
    writeSummary: async markdown => {
      // Outside a runner (a local run) there is no summary file: print nothing rather than fail.
      if (!env.GITHUB_STEP_SUMMARY) return
      await core.summary.addRaw(redact(markdown), true).write()
    },
    markFailed: () => {
      process.exitCode = 1
    },
    // Only a job with `id-token: write` has the request URL; elsewhere a login asking for a token
    // gets none and says which permission to add.
    ...(env.ACTIONS_ID_TOKEN_REQUEST_URL
      ? {
          idToken: async (audience: string) => {
            const { requestIdToken } = await import('./id-token.js')
            const token = await requestIdToken(
              {
                url: env.ACTIONS_ID_TOKEN_REQUEST_URL ?? '',
                bearer: env.ACTIONS_ID_TOKEN_REQUEST_TOKEN ?? ''
              },
              audience
            )
            // A bearer credential: masked before anyone can print it, as core.getIDToken does.
            for (const form of redactor.add(token)) core.setSecret(form)
            return token
          }
        }
      : {})
  }
}
