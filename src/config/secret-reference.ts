import * as z from 'zod'

/** An environment variable's name, as POSIX shells accept it. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/** What a secret-valued key takes: the name of the environment variable that holds the secret. */
export const secretReference = z.strictObject(
  {
    env: z
      .string()
      .regex(ENV_NAME, 'an environment variable name: letters, digits and _, not first a digit')
  },
  {
    // A missing one is worded as every missing key is: "is required".
    error: issue =>
      issue.input === undefined
        ? undefined
        : 'a secret must be { env: NAME }: secrets are never written in the file'
  }
)

export type SecretReference = z.infer<typeof secretReference>
