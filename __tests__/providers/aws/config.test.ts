// parseActionConfig for the AWS Secrets Manager inputs: which store the inputs pick, which inputs
// apply to it, and the lock variable made from the secret's name. Every problem names its input.
import { describe, expect, it } from '@jest/globals'
import { readInputs } from '../../../src/config/inputs.js'
import {
  parseActionConfig,
  reportParts,
  type ActionConfig,
  type ActionContext
} from '../../../src/config/rotation-config.js'
import { ConfigError } from '../../../src/errors.js'
import { OAUTH2_INPUTS, type Inputs } from '../../support/action-inputs.js'

const context: ActionContext = {
  repository: 'octo/app',
  apiUrl: 'https://api.github.com'
}

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbC123'

/** A sync: issuer none publishes what the secret holds. */
const SYNC: Inputs = {
  'github-token': 'ghp_test',
  'secret-name': 'DB_SECRET',
  'store-secret-id': 'prod/db'
}

/** AWS rotates the secret with its rotation Lambda. */
const LAMBDA: Inputs = { ...SYNC, issuer: 'aws-secrets-manager' }

/** An OAuth2 rotation whose refresh token lives in Secrets Manager. */
const OAUTH2_IN_AWS: Inputs = {
  ...OAUTH2_INPUTS,
  'refresh-token': '',
  'refresh-token-secret': '',
  'store-secret-id': 'prod/oauth'
}

/** An OAuth2 rotation with the refresh token in a GitHub secret. */
const OAUTH2_IN_GITHUB: Inputs = { ...OAUTH2_INPUTS, 'store-secret-id': '' }

function parse(inputs: Inputs, ctx: ActionContext = context): ActionConfig {
  return parseActionConfig(
    readInputs(name => inputs[name] ?? ''),
    ctx
  )
}

function problems(inputs: Inputs, ctx: ActionContext = context): Array<[string, string]> {
  try {
    parse(inputs, ctx)
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map(p => [p.input, p.message])
    throw error
  }
  throw new Error('expected a ConfigError')
}

/** The lock variable the inputs lead to. */
function lockOf(inputs: Inputs): string | undefined {
  return parse(inputs).store?.lockVariable
}

describe('the store the inputs pick', () => {
  it('is AWS Secrets Manager whenever store-secret-id is set and store is empty', () => {
    const sync = parse(SYNC)
    expect(sync.issuer).toBe('none')
    // A sync only reads: it has the secret, and no store (nothing to lock or record).
    expect(sync.slices.aws?.secret).toEqual({ secretId: 'prod/db', rotationTimeoutMs: 10 * 60_000 })
    expect(sync.store).toBeUndefined()

    const oauth2 = parse(OAUTH2_IN_AWS)
    expect(oauth2.store).toEqual({
      kind: 'aws-secrets-manager',
      repository: { owner: 'octo', repo: 'app' },
      lockVariable: 'TOKEN_ROTATION_PROD_OAUTH_LOCK',
      subject: 'prod/oauth',
      record: { where: 'AWS Secrets Manager secret prod/oauth', key: 'store-secret-id' },
      lockTtlMs: 30 * 60_000
    })
    expect(oauth2.slices.aws?.versions).toBe('action')
    // The refresh token is a field of a JSON secret unless store-field names another.
    expect(oauth2.slices.aws?.secret).toEqual({
      secretId: 'prod/oauth',
      field: 'refresh_token',
      rotationTimeoutMs: 10 * 60_000
    })
    expect(oauth2.refreshToken).toBe('')
  })

  it('is GitHub without store-secret-id', () => {
    const config = parse(OAUTH2_IN_GITHUB)
    expect(config.store?.kind).toBe('github')
    expect(config.slices.aws?.secret).toBeUndefined()
  })

  it('is AWS for issuer aws-secrets-manager, whose versions the rotation Lambda moves', () => {
    const config = parse(LAMBDA)
    expect(config.store).toMatchObject({ kind: 'aws-secrets-manager', subject: 'prod/db' })
    expect(config.slices.aws?.versions).toBe('rotation-lambda')
    // Without store-secret-id the store is still AWS, so the secret is asked for.
    expect(problems({ ...LAMBDA, 'store-secret-id': '' })).toEqual([
      ['store-secret-id', expect.stringContaining('is required with store: aws-secrets-manager')]
    ])
  })

  it('refuses store: github with issuer aws-secrets-manager', () => {
    const found = problems({ ...LAMBDA, store: 'github' })
    expect(found).toContainEqual([
      'store',
      expect.stringContaining('must be aws-secrets-manager with issuer: aws-secrets-manager')
    ])
  })

  // With store: github, AWS still mints the value: no second problem about an empty `value`.
  it('reports only the store when issuer aws-secrets-manager is given store: github', () => {
    expect(problems({ ...LAMBDA, store: 'github' })).toEqual([
      ['store', expect.stringContaining('must be aws-secrets-manager')]
    ])
  })

  it('asks for store-secret-id when store: aws-secrets-manager is set alone', () => {
    expect(
      problems({ ...OAUTH2_IN_AWS, 'store-secret-id': '', store: 'aws-secrets-manager' })
    ).toEqual([
      ['store-secret-id', expect.stringContaining('the name or ARN of the Secrets Manager secret')]
    ])
  })

  it('names an unknown store', () => {
    expect(problems({ ...SYNC, store: 'nowhere' })).toContainEqual([
      'store',
      "'nowhere' is not a store; use github, aws-secrets-manager or vault-kv"
    ])
  })
})

describe('store-secret-id', () => {
  it.each([
    'prod/db',
    'my_secret+v2=x.y@corp-1',
    ARN,
    // An ARN without its random suffix (a partial ARN) and one of another partition.
    'arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db',
    'arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:my-secret-xY9zQ1'
  ])('accepts %s', secretId => {
    expect(parse({ ...LAMBDA, 'store-secret-id': secretId }).slices.aws?.secret.secretId).toBe(
      secretId
    )
  })

  it.each([
    ['a space and a !', 'bad name!'],
    ['a space', 'prod db'],
    ['an ARN of another service', 'arn:aws:s3:::bucket'],
    ['an ARN with a short account', 'arn:aws:secretsmanager:us-east-1:12345:secret:prod/db'],
    ['a name of 513 characters', 'x'.repeat(513)]
  ])('refuses %s, naming the input', (_what, secretId) => {
    expect(problems({ ...LAMBDA, 'store-secret-id': secretId })).toEqual([
      ['store-secret-id', expect.stringContaining('is neither a secret name')]
    ])
  })
})

describe('aws-region', () => {
  it.each(['us-east-1', 'eu-central-1', 'ap-southeast-2', 'us-gov-west-1'])(
    'accepts %s',
    region => {
      expect(parse({ ...LAMBDA, 'aws-region': region }).slices.aws?.secret.region).toBe(region)
    }
  )

  it('is left to the SDK when empty', () => {
    expect(parse(LAMBDA).slices.aws?.secret).not.toHaveProperty('region')
  })

  it.each(['US_EAST_1', 'us-east', 'useast1', 'us-east-1a', 'eu central 1'])(
    'refuses %s, naming the input',
    region => {
      expect(problems({ ...LAMBDA, 'aws-region': region })).toEqual([
        ['aws-region', `'${region}' is not an AWS region; write it as e.g. us-east-1`]
      ])
    }
  )
})

describe('the OAuth2 inputs that the AWS store replaces', () => {
  it('refuses refresh-token: the refresh token is read from AWSCURRENT', () => {
    expect(problems({ ...OAUTH2_IN_AWS, 'refresh-token': 'rt-current' })).toEqual([
      ['refresh-token', expect.stringContaining('is read from store: aws-secrets-manager')]
    ])
  })

  it('refuses refresh-token-secret: it applies to the GitHub store', () => {
    expect(problems({ ...OAUTH2_IN_AWS, 'refresh-token-secret': 'OAUTH_REFRESH_TOKEN' })).toEqual([
      ['refresh-token-secret', expect.stringContaining('applies to the GitHub store')]
    ])
  })

  it('keeps store-field for the refresh token', () => {
    const config = parse({ ...OAUTH2_IN_AWS, 'store-field': 'token' })
    expect(config.slices.aws?.secret.field).toBe('token')
  })
})

describe('secret-fields', () => {
  it('parses NAME=field entries, by commas or lines, upper-casing each name', () => {
    const config = parse({
      ...SYNC,
      'secret-fields': 'db_user=username\nDB_PASSWORD = password , DB_HOST=host name'
    })
    expect(config.fieldMappings).toEqual([
      { name: 'DB_USER', field: 'username' },
      { name: 'DB_PASSWORD', field: 'password' },
      { name: 'DB_HOST', field: 'host name' }
    ])
    expect(config.publish.secretName).toBe('DB_SECRET')
  })

  it('makes secret-name optional, and only then', () => {
    const config = parse({ ...SYNC, 'secret-name': '', 'secret-fields': 'DB_USER=username' })
    expect(config.publish.secretName).toBe('')
    expect(config.fieldMappings).toEqual([{ name: 'DB_USER', field: 'username' }])
    expect(problems({ ...SYNC, 'secret-name': '' })).toEqual([
      ['secret-name', 'is empty; give the name of the secret to write']
    ])
  })

  it('refuses a name written twice, also when it is secret-name, whatever its case', () => {
    expect(
      problems({ ...SYNC, 'secret-fields': 'DB_USER=username, db_user=login, db_secret=password' })
    ).toEqual([
      ['secret-fields', 'db_user is written twice; give each secret one field'],
      ['secret-fields', 'db_secret is written twice; give each secret one field']
    ])
  })

  it('refuses entries that are not NAME=field, and invalid secret names', () => {
    expect(
      problems({ ...SYNC, 'secret-fields': 'username, 1DB=user, GITHUB_DB=user, DB-USER=user' })
    ).toEqual([
      ['secret-fields', "'username' is not NAME=field (e.g. DB_PASSWORD=password)"],
      ['secret-fields', expect.stringContaining("'1DB' is not a valid secret name")],
      ['secret-fields', expect.stringContaining("'GITHUB_DB' starts with GITHUB_")],
      ['secret-fields', expect.stringContaining("'DB-USER' is not a valid secret name")]
    ])
  })

  it('applies to issuer aws-secrets-manager too', () => {
    expect(parse({ ...LAMBDA, 'secret-fields': 'DB_PASSWORD=password' }).fieldMappings).toEqual([
      { name: 'DB_PASSWORD', field: 'password' }
    ])
  })

  it('is refused for issuer oauth2, whose value is an access token', () => {
    expect(problems({ ...OAUTH2_IN_AWS, 'secret-fields': 'DB_USER=username' })).toEqual([
      ['secret-fields', expect.stringContaining('applies to a value that is a JSON document')]
    ])
  })

  it('is refused without store-secret-id', () => {
    const found = problems({
      'github-token': 'ghp_test',
      'secret-name': 'API_TOKEN',
      value: 'v',
      'secret-fields': 'DB_USER=username'
    })
    expect(found).toEqual([
      ['secret-fields', expect.stringContaining('applies to a value that is a JSON document')]
    ])
  })
})

describe('the value read from AWS', () => {
  it('refuses value, which AWSCURRENT replaces', () => {
    expect(problems({ ...SYNC, value: 'v' })).toEqual([
      [
        'value',
        'is read from store-secret-id; remove value, or remove store-secret-id to publish it'
      ]
    ])
    expect(problems({ ...LAMBDA, value: 'v' })).toContainEqual([
      'value',
      expect.stringContaining('is read from store-secret-id')
    ])
  })

  it('refuses previous-value, which AWSPREVIOUS replaces', () => {
    expect(problems({ ...SYNC, 'previous-value': 'old' })).toEqual([
      ['previous-value', expect.stringContaining('is read from store-secret-id')]
    ])
    expect(problems({ ...LAMBDA, 'previous-value': 'old' })).toEqual([
      ['previous-value', expect.stringContaining('is read from store-secret-id')]
    ])
  })

  it('needs no previous-value to verify a sync', () => {
    const config = parse({
      ...SYNC,
      mode: 'verify',
      'health-check-url': 'https://api.example.com/me'
    })
    expect(config.mode).toBe('verify')
    // The engine then checks what AWSCURRENT holds: no empty value stands in for it.
    expect(config).not.toHaveProperty('previousValue')
  })

  it('refuses recovery-public-key for issuer aws-secrets-manager', () => {
    const found = problems({ ...LAMBDA, 'recovery-public-key': 'x' })
    expect(found).toContainEqual([
      'recovery-public-key',
      expect.stringContaining('applies to issuer: oauth2')
    ])
  })
})

describe('mode rollback', () => {
  it('moves AWSCURRENT back for a sync and for issuer aws-secrets-manager', () => {
    const sync = parse({ ...SYNC, mode: 'rollback' })
    expect(sync.store).toMatchObject({
      kind: 'aws-secrets-manager',
      lockVariable: 'TOKEN_ROTATION_PROD_DB_LOCK'
    })
    expect(sync.slices.aws?.versions).toBe('rotation-lambda')
    expect(parse({ ...LAMBDA, mode: 'rollback' }).mode).toBe('rollback')
  })

  it('is refused for issuer oauth2, whose AWSPREVIOUS is a consumed refresh token', () => {
    expect(problems({ ...OAUTH2_IN_AWS, mode: 'rollback' })).toEqual([
      ['mode', expect.stringContaining('rollback does not apply to issuer: oauth2')]
    ])
    expect(problems({ ...OAUTH2_IN_GITHUB, mode: 'rollback' })).toEqual([
      ['mode', expect.stringContaining('rollback does not apply to issuer: oauth2')]
    ])
  })

  it('is refused without AWS', () => {
    expect(
      problems({
        'github-token': 'ghp_test',
        'secret-name': 'API_TOKEN',
        value: 'v',
        mode: 'rollback'
      })
    ).toEqual([['mode', expect.stringContaining('rollback needs store: aws-secrets-manager')]])
  })
})

describe('the AWS-only inputs', () => {
  const PLAIN: Inputs = { 'github-token': 'ghp_test', 'secret-name': 'API_TOKEN', value: 'v' }

  it('are refused without store-secret-id, each by name', () => {
    expect(
      problems({
        ...PLAIN,
        'aws-region': 'us-east-1',
        'store-field': 'password',
        'rotation-timeout': '5m'
      })
    ).toEqual([
      ['aws-region', expect.stringContaining('applies to store: aws-secrets-manager only')],
      ['store-field', expect.stringContaining('applies to store: aws-secrets-manager only')],
      ['rotation-timeout', expect.stringContaining('applies to store: aws-secrets-manager only')]
    ])
  })

  it('are refused for an OAuth2 rotation with the GitHub store', () => {
    expect(problems({ ...OAUTH2_IN_GITHUB, 'store-field': 'refresh_token' })).toEqual([
      ['store-field', expect.stringContaining('set store-secret-id, or remove it')]
    ])
  })

  it('leave rotation-timeout at its default unremarked', () => {
    expect(parse({ ...PLAIN, 'rotation-timeout': '10m' }).slices.aws?.secret).toBeUndefined()
  })
})

describe('the lock variable', () => {
  it('is made from a secret name', () => {
    expect(lockOf(LAMBDA)).toBe('TOKEN_ROTATION_PROD_DB_LOCK')
    expect(lockOf({ ...LAMBDA, 'store-secret-id': 'team.a/api+key@v2' })).toBe(
      'TOKEN_ROTATION_TEAM_A_API_KEY_V2_LOCK'
    )
    expect(lockOf({ ...LAMBDA, 'store-secret-id': '/leading/and/trailing/' })).toBe(
      'TOKEN_ROTATION_LEADING_AND_TRAILING_LOCK'
    )
  })

  it('keeps a name that merely ends like an ARN suffix', () => {
    // Only an ARN carries AWS's random suffix; a name's last six characters are its own.
    expect(lockOf({ ...LAMBDA, 'store-secret-id': 'prod/db-AbC123' })).toBe(
      'TOKEN_ROTATION_PROD_DB_ABC123_LOCK'
    )
  })

  it('is made from an ARN without its random 6-character suffix: the same as by name', () => {
    expect(lockOf({ ...LAMBDA, 'store-secret-id': ARN })).toBe('TOKEN_ROTATION_PROD_DB_LOCK')
    expect(lockOf({ ...LAMBDA, 'store-secret-id': 'prod/db' })).toBe(
      lockOf({ ...LAMBDA, 'store-secret-id': ARN })
    )
    // A name that itself ends like a suffix, by its full ARN.
    expect(
      lockOf({
        ...LAMBDA,
        'store-secret-id':
          'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbC123-XyZ789'
      })
    ).toBe('TOKEN_ROTATION_PROD_DB_ABC123_LOCK')
  })

  it('is state-variable with _LOCK appended, upper-cased, when given', () => {
    expect(lockOf({ ...LAMBDA, 'state-variable': 'db_rotation' })).toBe('DB_ROTATION_LOCK')
    expect(lockOf({ ...OAUTH2_IN_AWS, 'state-variable': 'OAUTH' })).toBe('OAUTH_LOCK')
  })

  it('refuses a state-variable that is no variable name', () => {
    expect(problems({ ...LAMBDA, 'state-variable': 'github_lock' })).toEqual([
      ['state-variable', expect.stringContaining('starts with GITHUB_')]
    ])
    expect(problems({ ...LAMBDA, 'state-variable': 'my-lock' })).toEqual([
      ['state-variable', expect.stringContaining('is not a valid variable name')]
    ])
  })

  it('refuses state-variable for a sync, which has no store', () => {
    expect(problems({ ...SYNC, 'state-variable': 'DB_LOCK' })).toEqual([
      ['state-variable', expect.stringContaining('applies to a rotation with a store')]
    ])
  })

  it('needs GITHUB_REPOSITORY, where the lock lives', () => {
    expect(problems(LAMBDA, { apiUrl: 'https://api.github.com' })).toContainEqual([
      'store-secret-id',
      expect.stringContaining('needs GITHUB_REPOSITORY')
    ])
  })
})

describe('rotation-timeout', () => {
  it('is 10 minutes by default and read as a duration', () => {
    expect(parse(LAMBDA).slices.aws?.secret.rotationTimeoutMs).toBe(10 * 60_000)
    expect(
      parse({ ...LAMBDA, 'rotation-timeout': '90s' }).slices.aws?.secret.rotationTimeoutMs
    ).toBe(90_000)
  })

  it.each(['soon', '-5m'])('refuses %s, naming the input', timeout => {
    expect(problems({ ...LAMBDA, 'rotation-timeout': timeout })).toEqual([
      ['rotation-timeout', expect.stringContaining(`'${timeout}' is not a duration`)]
    ])
  })

  it('refuses 0, saying why', () => {
    expect(problems({ ...LAMBDA, 'rotation-timeout': '0' })).toEqual([
      ['rotation-timeout', expect.stringContaining('must be longer than 0')]
    ])
  })

  it('is part of the time the lock must outlast, for issuer aws-secrets-manager only', () => {
    // 2 × 2m health-check-timeout (default) + 3m + 2m persist-timeout + 5m = 14m.
    expect(
      problems({
        ...LAMBDA,
        'health-check-url': 'https://api.example.com/me',
        'rotation-timeout': '3m',
        'lock-expires-after': '13m'
      })
    ).toEqual([
      [
        'lock-expires-after',
        expect.stringContaining(
          'must be at least 14m (twice health-check-timeout, plus rotation-timeout'
        )
      ]
    ])
    expect(
      parse({
        ...OAUTH2_IN_AWS,
        'health-check-url': 'https://api.example.com/me',
        'rotation-timeout': '3m',
        'lock-expires-after': '11m'
      }).store?.lockTtlMs
    ).toBe(11 * 60_000)
  })
})

describe('github-token', () => {
  const verify = { 'health-check-url': 'https://api.example.com/me', mode: 'verify' }
  it('is not needed when GitHub plays no part: a verify of the value AWS holds', () => {
    const config = parse({ ...SYNC, ...verify, 'github-token': '', 'secret-name': '' })
    expect(config.publish.token).toBe('')
    expect(config.store).toBeUndefined()
  })

  it('is needed as soon as GitHub keeps something: the lock of a store, or a secret to write', () => {
    const token = ['github-token', expect.stringContaining('is required')]
    expect(problems({ ...LAMBDA, ...verify, 'github-token': '' })).toEqual([token])
    expect(problems({ ...SYNC, 'github-token': '' })).toEqual([token])
  })
})

describe('the plan in the log', () => {
  it('says where the value is kept before where it is published', () => {
    const lines = reportParts(parse(OAUTH2_IN_AWS)).lines
    const kept = lines.findIndex(line => line.startsWith('Refresh token in AWS Secrets Manager'))
    const published = lines.findIndex(line => line.startsWith('Secret '))
    expect(kept).toBeGreaterThanOrEqual(0)
    expect(published).toBeGreaterThan(kept)
    expect(lines.at(-1)).toMatch(/^Pacing: /)
  })
})
