// The pages against a real server: run with MP_SERVER=<address of
// `DEPUTYLINK_DEV_LOGIN=1 deputylink serve --demo`> (jest.config.js only
// picks this file up then). wx.request, wx.uploadFile and wx.downloadFile go
// over HTTP to the server; the rest of wx is the fake. The mini-program signs
// in with the development login, as in the developer tools. What it checks:
// the demo county's data render, and a booking, an opinion, a ballot and the
// public results go through with the server's real answers.
const http = require('http')
const { render, text, tap, input } = require('../helpers/render')

// httpDo makes one HTTP request with Node's http (jsdom has no fetch).
function httpDo(url, { method = 'GET', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, res => {
      const chunks = []
      res.on('data', c => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }))
    })
    req.on('error', reject)
    if (body !== undefined) req.write(body)
    req.end()
  })
}

const SERVER = process.env.MP_SERVER
// A fresh demo voter per run, so a second run does not meet its own
// booking or ballot.
const USER = `live-${Date.now().toString(36)}`

// live replaces the fake's transport with HTTP to the server, recording
// each request as the fake does (the contract check after each test reads
// them).
function live(fake) {
  const send = async (kind, opts, method) => {
    const u = new URL(opts.url)
    const query = Object.fromEntries(u.searchParams.entries())
    fake.state.requests.push({ kind, method, path: u.pathname, query, url: opts.url, header: opts.header || {}, data: opts.data, filePath: opts.filePath, name: opts.name })
    fake.state.calls.push(`${kind} ${method} ${u.pathname}`)
    fake.state.pending++
    try {
      const init = { method, headers: Object.assign({}, opts.header) }
      if (opts.data !== undefined) {
        init.headers['Content-Type'] = 'application/json'
        init.body = JSON.stringify(opts.data)
      }
      const res = await httpDo(opts.url, init)
      const body = res.body
      let data = body
      try { data = JSON.parse(body) } catch (e) { /* an image */ }
      if (kind === 'downloadFile') opts.success({ statusCode: res.status, tempFilePath: 'wxfile://tmp/live-download' })
      else opts.success({ statusCode: res.status, data })
    } catch (e) {
      if (opts.fail) opts.fail({ errMsg: `${kind}:fail ${e.message}` })
    } finally {
      fake.state.pending--
    }
  }
  fake.wx.request = opts => { send('request', opts, (opts.method || 'GET').toUpperCase()) }
  fake.wx.downloadFile = opts => { send('downloadFile', opts, 'GET') }
}

// Every page's utils/api.js reads this config (each page is loaded in its
// own module registry, so the one config object is handed to all of them).
const mockLiveConfig = { baseURL: SERVER.replace(/\/$/, ''), devLogin: true, devUser: USER }
jest.mock('../../config', () => mockLiveConfig)

beforeEach(() => live(fake))

async function json(path) {
  return JSON.parse((await httpDo(SERVER + path)).body)
}

test('a demo deputy\'s code opens their card', async () => {
  const stations = await json('/api/v1/stations')
  const st = stations.items[0]
  const full = await json(`/api/v1/stations/${st.id}`)
  const d = full.deputies[0]
  const page = render('deputy/index')
  await page.instance.onLoad({ scene: encodeURIComponent(d.code) })
  expect(page.data.error).toBe('')
  expect(text(page)).toContain(d.name)
  expect(text(page)).toContain('履职情况')
})

test('booking a seat at a demo station', async () => {
  const days = await json('/api/v1/reception-days')
  const day = days.items.find(x => x.booking_open && x.slots.some(s => s.remaining > 0))
  if (!day) throw new Error('the demo has no open reception day with a free seat')
  const slot = day.slots.find(s => s.remaining > 0)
  const page = render('booking/index')
  await page.instance.onLoad({ station: String(day.station.id) })
  await tap(page, `#slot-${slot.id}`)
  await tap(page, '#submit')
  await fake.settle()
  expect(page.data.error).toBe('')
  expect(text(page)).toMatch(/预约成功|已排队候补/)
})

test('filing an opinion and reading it back', async () => {
  const page = render('opinion/new')
  await page.instance.onLoad({})
  expect(page.data.categories.length).toBeGreaterThan(0)
  const cat = page.data.categories.find(c => !(c.fields || []).some(f => f.required))
  await tap(page, `#cat-${cat.code}`)
  await input(page, '#content', '人民路小区门口下雨就积水，老人出门不方便，请帮忙看看。')
  await tap(page, '#submit')
  await fake.settle()
  expect(page.data.error).toBe('')
  expect(page.data.done.tracking_no).toMatch(/^[A-Z]+\d{8}-\d+$/)

  const detail = render('opinion/detail')
  await detail.instance.onLoad({ id: String(page.data.done.id) })
  expect(text(detail)).toContain(page.data.done.tracking_no)
  expect(detail.data.o.steps.length).toBeGreaterThan(0)
})

test('casting the demo review\'s ballot with a slip', async () => {
  const page = render('ballot/index')
  // A slip another run used answers slip_used: try the demo's slips in turn.
  const codes = 'BCDEFGHJKMNPQRSTUVWXYZ2345678'.split('').map(c => `DEMQAAAAA${c}`)
  for (const code of codes) {
    await page.instance.onLoad({ code })
    if (page.data.canVote) break
  }
  expect(page.data.canVote).toBe(true)
  for (const s of page.data.subjects) {
    for (const d of s.dims) await tap(page, `#mark-${s.id}-${d.index}-satisfied`)
  }
  await tap(page, '#submit')
  await fake.settle()
  expect(page.data.error).toBe('')
  expect(page.data.done).not.toBe('')
})

test('the public results and their figures', async () => {
  const page = render('results/index')
  await page.instance.onLoad()
  expect(page.data.error).toBe('')
  expect(page.data.results.length).toBeGreaterThan(0)
  expect(page.data.stats.items.length).toBeGreaterThan(0)
})
