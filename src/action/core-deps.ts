import * as core from '@actions/core'
import type { RunDeps } from '../main.js'

/**
 * The real collaborators of a run on a GitHub runner: @actions/core for inputs, masks, outputs,
 * annotations, groups and the job summary; the process environment.
 */
export function coreDeps(env: NodeJS.ProcessEnv): RunDeps {
  return {
    readInput: name => core.getInput(name, { trimWhitespace: false }),
    env,
    log: {
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
    mask: secret => {
      core.setSecret(secret)
    },
    setOutput: (name, value) => {
      core.setOutput(name, value)
    },
    writeSummary: async markdown => {
      // Outside a runner (a local run) there is no summary file: print nothing rather than fail.
      if (!env.GITHUB_STEP_SUMMARY) return
      await core.summary.addRaw(markdown, true).write()
    },
    markFailed: () => {
      process.exitCode = 1
    }
  }
}
