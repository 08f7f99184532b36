// The mini-program's tests: pages and components rendered by
// miniprogram-simulate in jsdom, with wx.* faked (tests/helpers/wx.js).
module.exports = {
  testEnvironment: 'jsdom',
  testMatch: ['<rootDir>/tests/**/*.test.js'],
  setupFilesAfterEnv: ['<rootDir>/tests/helpers/setup.js'],
  snapshotSerializers: ['miniprogram-simulate/jest-snapshot-plugin']
}
