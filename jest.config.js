// ts-jest in ESM mode; run with NODE_OPTIONS=--experimental-vm-modules (see package.json).
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }]
  },
  roots: ['<rootDir>/__tests__'],
  testMatch: ['**/*.test.ts'],
  collectCoverageFrom: ['src/**/*.ts'],
  coverageReporters: ['text-summary', 'lcov'],
  // A guard against hangs, not a speed check: with a worker per core, a file of ten rotations
  // through dist/index.js can take two minutes on a busy machine.
  testTimeout: 300000,
  // One worker per core: each scenario starts dist/index.js or dist/cli.js and local servers, which
  // need the CPU too. With more workers than cores (three on a runner's two), the Vault and GitLab
  // scenario files starved the others until their health checks and timeouts ran out.
  maxWorkers: '100%'
}
