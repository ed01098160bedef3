// One jest config for the whole workspace: @swc/jest reads .swcrc (paths, decorator metadata).
// Suites: unit specs next to the code (*.spec.ts), integration/e2e specs under */test/.
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testMatch: ['<rootDir>/apps/**/*.spec.ts', '<rootDir>/libs/**/*.spec.ts', '<rootDir>/tools/**/*.spec.ts', '<rootDir>/deploy/**/*.spec.ts', '<rootDir>/helm/**/*.spec.ts', '<rootDir>/e2e/**/*.spec.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  setupFiles: ['reflect-metadata'],
  testTimeout: 30000,
};
