// The mini-program's tests: pages and components rendered by
// miniprogram-simulate in jsdom, with wx.* faked (tests/helpers/wx.js).
// MP_SCREENSHOTS=<dir> runs only tests/screens/, which draws the pages into
// <dir> to look at; MP_SERVER=<address> only tests/live/, the pages against
// a running `serve --demo` (README.md, "Tests").
function only() {
  if (process.env.MP_SCREENSHOTS) return ['<rootDir>/tests/screens/*.test.js']
  if (process.env.MP_SERVER) return ['<rootDir>/tests/live/*.test.js']
  return null
}

module.exports = {
  testEnvironment: 'jsdom',
  testMatch: only() || ['<rootDir>/tests/pages/*.test.js', '<rootDir>/tests/utils/*.test.js'],
  // A ceiling for a stuck test on a busy machine (CI shares 2 cores), not
  // a speed requirement; a screenshot starts Chromium.
  testTimeout: 60000,
  setupFilesAfterEnv: ['<rootDir>/tests/helpers/setup.js'],
  snapshotSerializers: ['miniprogram-simulate/jest-snapshot-plugin']
}
