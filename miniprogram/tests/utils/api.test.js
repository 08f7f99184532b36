// The API module: sign-in, renewal on 401, the development login, the
// voter's sentences for failures, and the endpoint table as a gate.
const api = require('../../utils/api')
const config = require('../../config')
const { endpointOf } = require('../helpers/contract')
const fx = require('../helpers/fixtures')

const me = { status: 200, data: { id: 7, phone_masked: '', community: null } }

test('an authenticated call signs in with wx.login first and keeps the token', async () => {
  fake.on('GET /api/v1/me', me)
  await api.call('getMe')
  await api.call('getMe')
  expect(fake.state.calls.filter(c => c === 'login')).toHaveLength(1)
  expect(fake.requestsTo('POST /api/v1/session')[0].data).toEqual({ code: 'wx-code-1' })
  expect(fake.state.storage.session.token).toBe('token-for-wx-code-1')
  expect(fake.requestsTo('GET /api/v1/me').map(r => r.header.Authorization)).toEqual(['Bearer token-for-wx-code-1', 'Bearer token-for-wx-code-1'])
})

test('a 401 signs in again once and repeats the request with the same Idempotency-Key', async () => {
  fake.state.storage.session = { token: 'old-token' }
  fake.on('POST /api/v1/bookings', [fx.apiError(401, 'unauthorized', '登录已过期，请重新进入小程序'), { status: 201, data: fx.booking() }])
  await api.call('createBooking', { body: { slot_id: 101 }, idempotencyKey: 'key-1' })
  const tries = fake.requestsTo('POST /api/v1/bookings')
  expect(tries.map(r => r.header.Authorization)).toEqual(['Bearer old-token', 'Bearer token-for-wx-code-1'])
  expect(tries.map(r => r.header['Idempotency-Key'])).toEqual(['key-1', 'key-1'])
})

test('two requests needing a session share one sign-in', async () => {
  fake.on('GET /api/v1/me', me)
  fake.on('GET /api/v1/bookings', { status: 200, data: { items: [], next_cursor: '' } })
  await Promise.all([api.call('getMe'), api.call('listBookings')])
  expect(fake.requestsTo('POST /api/v1/session')).toHaveLength(1)
})

test('the development login signs in by name without wx.login', async () => {
  config.devLogin = true
  try {
    fake.on('POST /api/v1/session/dev', { status: 200, data: { token: 'dev-token', expires_at: '2026-12-01T09:00:00+08:00', voter: { id: 3, phone_masked: '' } } })
    fake.on('GET /api/v1/me', me)
    await api.call('getMe')
    expect(fake.state.calls).not.toContain('login')
    expect(fake.requestsTo('POST /api/v1/session/dev')[0].data).toEqual({ user: 'demo-1' })
    expect(fake.requestsTo('GET /api/v1/me')[0].header.Authorization).toBe('Bearer dev-token')
  } finally {
    config.devLogin = false
  }
})

test('failures become the voter\'s sentences', async () => {
  fake.on('GET /api/v1/categories', [
    { fail: 'network' }, { fail: 'timeout' },
    { status: 502, data: '<html>Bad Gateway</html>' },
    { status: 429, data: '' },
    fx.apiError(503, 'uploads_busy', '上传的人太多了，请过一会儿再试')
  ])
  const got = []
  for (let i = 0; i < 5; i++) {
    await api.call('listCategories').catch(e => got.push([e.code, e.message, e.network]))
  }
  expect(got).toEqual([
    ['network', '网络不好，请稍后再试', true],
    ['timeout', '网络超时，请稍后再试', true],
    ['http_502', '服务暂时出了点问题，请稍后再试', false],
    ['http_429', '操作太频繁了，请稍等一会儿再试', false],
    ['uploads_busy', '上传的人太多了，请过一会儿再试', false]
  ])
})

test('a name, body field or query key outside the endpoint table is refused before sending', async () => {
  await expect(api.call('listEverything')).rejects.toThrow('no endpoint listEverything')
  await expect(api.call('createBooking', { body: { slot_id: 1, seats: 2 } })).rejects.toThrow('has no body field seats')
  await expect(api.call('listStations', { query: { near: 'me' } })).rejects.toThrow('has no query key near')
  expect(fake.state.requests).toHaveLength(0)
})

test('the contract check names what does not fit the table', () => {
  const req = { kind: 'request', method: 'POST', path: '/api/v1/bookings', query: {}, header: {}, data: { slot_id: 1 } }
  expect(endpointOf(req)).toBe('createBooking')
  expect(() => endpointOf(Object.assign({}, req, { data: { slot: 1 } }))).toThrow('createBooking: body field slot')
  expect(() => endpointOf(Object.assign({}, req, { path: '/api/v1/booking' }))).toThrow('POST /api/v1/booking is in no entry')
  expect(() => endpointOf(Object.assign({}, req, { method: 'GET', path: '/api/v1/me', header: { 'Idempotency-Key': 'k' } }))).toThrow('an Idempotency-Key header')
  expect(() => endpointOf({ kind: 'request', method: 'GET', path: '/api/v1/results', query: { q: 'x' }, header: {} })).toThrow('query key q')
  expect(() => endpointOf({ kind: 'request', method: 'GET', path: '/api/v1/bookings/5/qr.png', query: {}, header: {} })).toThrow('made with wx.request')
})
