// Runs before every test file: a fresh fake wx and app per test, the app's
// launch (which registers the privacy handler), and after each test the
// check that every request it made is one of the endpoint table's.
const { createFake } = require('./wx')
const { endpointOf } = require('./contract')

let app = null
global.App = options => { app = options }
global.getApp = () => app
global.getCurrentPages = () => []
require('../../app')

beforeEach(() => {
  global.fake = createFake()
  global.wx = global.fake.wx
  app.privacyPopup = null
  app.onLaunch()
  // A sign-in answers by default; a test may change it.
  global.fake.on('POST /api/v1/session', req => ({
    status: 200,
    data: { token: `token-for-${req.data.code}`, expires_at: '2026-12-01T09:00:00+08:00', voter: { id: 7, phone_masked: '' } }
  }))
})

afterEach(() => {
  for (const req of global.fake.state.requests) endpointOf(req)
})
