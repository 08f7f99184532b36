// The mini-program's tests: pages and components rendered by
// miniprogram-simulate in jsdom, with wx.* faked (tests/helpers/wx.js).
// MP_SCREENSHOTS=<dir> runs only tests/screens/, which draws the pages into
// <dir> to look at (README.md, "Tests").
module.exports = {
  testEnvironment: 'jsdom',
  testMatch: process.env.MP_SCREENSHOTS ? ['<rootDir>/tests/screens/*.test.js'] : ['<rootDir>/tests/pages/*.test.js', '<rootDir>/tests/utils/*.test.js'],
  // A ceiling for a stuck test on a busy machine (CI shares 2 cores), not
  // a speed requirement; a screenshot starts Chromium.
  testTimeout: 60000,
  setupFilesAfterEnv: ['<rootDir>/tests/helpers/setup.js'],
  snapshotSerializers: ['miniprogram-simulate/jest-snapshot-plugin']
}
