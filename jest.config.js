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
  // A guard against hangs, not a speed check: with several workers on two cores, a file of ten
  // rotations through dist/index.js can take more than a minute on a busy machine.
  testTimeout: 120000,
  // Most of the suite waits on child processes (dist/index.js, dist/cli.js) and local servers, not
  // on the CPU: three workers on the two cores of a CI runner keep both busy.
  maxWorkers: '150%'
}
