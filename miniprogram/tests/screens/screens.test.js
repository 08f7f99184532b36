// Pictures of the pages, to look at them: run with MP_SCREENSHOTS=<dir>
// (jest.config.js only picks this file up then). Each page is rendered by
// miniprogram-simulate as in the tests, its DOM and styles (app.wxss
// included, as WeChat applies it) written to <dir>/<name>.html and shot by
// headless Chromium at a phone's width (750 px: 375 pt at 2x, 1rpx = 1px).
// Built-in components show as WeChat draws them only roughly (images and
// inputs as boxes).
const fs = require('fs')
const path = require('path')
const { execFileSync } = require('child_process')
const wxss = require('miniprogram-simulate/src/wxss')
const { transformRpx } = require('miniprogram-simulate/src/utils')
const { render, tap, input, fire, ROOT } = require('../helpers/render')
const fx = require('../helpers/fixtures')

const OUT = process.env.MP_SCREENSHOTS
const TAGS = ['main', 'station-card', 'booking-card', 'privacy-popup', 'mp-cells', 'mp-cell']

// Roughly WeChat's own look of the built-in components.
const BUILTIN = `
body { margin: 0; background: #f2f2f2; color: #111; font-family: "WenQuanYi Micro Hei", sans-serif; width: 750px; }
wx-view, wx-button, wx-picker, wx-scroll-view, wx-form { display: block; }
wx-button { font-size: 36px; border-radius: 10px; text-align: center; }
wx-image { display: inline-block; background: #ccc; }
wx-input { display: block; height: 48px; }
wx-textarea { display: block; }
wx-switch { display: inline-block; width: 104px; height: 64px; border-radius: 32px; background: #ccc; }
wx-switch[checked], .on-switch { background: #07c160; }
`

function styles() {
  const weui = path.join(ROOT, 'node_modules', 'weui-miniprogram', 'miniprogram_dist', 'weui-wxss', 'dist', 'style', 'weui.wxss')
  const app = fs.readFileSync(path.join(ROOT, 'app.wxss'), 'utf8')
    .replace(/^@import "\/miniprogram_npm\/weui-miniprogram\/[^"]+";$/m, () => fs.readFileSync(weui, 'utf8'))
    .replace(/(^|[^-\w.])page(?=\s*[{,[])/g, '$1body')
  const prefixed = TAGS.map(t => wxss.compile(app, { prefix: t })).join('\n')
  return BUILTIN + transformRpx(prefixed)
}

async function shoot(name, page) {
  await fake.settle()
  const head = Array.from(document.head.querySelectorAll('style')).map(s => s.innerHTML).join('\n')
  const html = `<!doctype html><html><head><meta charset="utf-8"><style>${styles()}\n${head}</style></head><body>${page.dom.outerHTML}</body></html>`
  const file = path.join(OUT, `${name}.html`)
  fs.writeFileSync(file, html)
  const bin = process.env.DEPUTYLINK_CHROMIUM || 'chromium'
  execFileSync(bin, ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', `--screenshot=${path.join(OUT, `${name}.png`)}`, '--window-size=750,1700', `file://${file}`], { stdio: 'ignore' })
}

describe('screenshots', () => {
  beforeAll(() => fs.mkdirSync(OUT, { recursive: true }))

  test('home', async () => {
    await shoot('index', render('index/index'))
  })

  test('landing', async () => {
    fake.on('GET /api/v1/codes/K7M2QXAB', { status: 200, data: { code: 'K7M2QXAB', kind: 'deputy', deputy: fx.deputy, station: fx.station } })
    fake.on('GET /api/v1/deputies/11', { status: 200, data: Object.assign({}, fx.deputy, { activities: { year: 2026, counts: [{ type: 'reception', label: '接待选民', count: 4 }, { type: 'meeting', label: '出席会议', count: 2 }, { type: 'inspection', label: '视察活动', count: 1 }] } }) })
    fake.on('GET /api/v1/reception-days', { status: 200, data: { items: [fx.day([])], next_cursor: '' } })
    const page = render('deputy/index')
    await page.instance.onLoad({ scene: 'K7M2QXAB' })
    await shoot('landing', page)
  })

  test('landing retired', async () => {
    fake.on('GET /api/v1/codes/K7M2QXAB', { status: 200, data: { code: 'K7M2QXAB', kind: 'station', deputy: fx.deputy, station: Object.assign({}, fx.station, { phone: '0712-1234567' }), notice: '王建国代表已不再担任代表职务，您可以联系城关镇人民路代表联络站的其他代表。' } })
    fake.on('GET /api/v1/reception-days', { status: 200, data: { items: [fx.day([])], next_cursor: '' } })
    const page = render('deputy/index')
    await page.instance.onLoad({ scene: 'K7M2QXAB' })
    await shoot('landing-retired', page)
  })

  test('booking', async () => {
    fake.on('GET /api/v1/reception-days', { status: 200, data: { items: [fx.day([fx.slot(101, '09:00', 4), fx.slot(102, '09:30', 0), fx.slot(103, '10:00', 2)])], next_cursor: '' } })
    fake.on('GET /api/v1/subscriptions', fx.consents(['a']))
    fake.on('POST /api/v1/bookings', fx.apiError(409, 'slot_full', '这个时段已经约满了，请选别的时段'))
    const page = render('booking/index')
    await page.instance.onLoad({ station: '3' })
    await tap(page, '#slot-103')
    await shoot('booking', page)
    fake.on('POST /api/v1/bookings', { status: 201, data: fx.booking() })
    await tap(page, '#submit')
    await shoot('booking-done', page)
  })

  test('bookings', async () => {
    fake.on('GET /api/v1/bookings', { status: 200, data: { items: [fx.booking(), fx.booking({ id: 502, status: 'waitlisted', waitlist_position: 3 })], next_cursor: '' } })
    const page = render('booking/list')
    await page.instance.onLoad()
    await shoot('bookings', page)
  })

  test('opinion-new', async () => {
    fake.on('GET /api/v1/categories', { status: 200, data: fx.categories })
    fake.on('GET /api/v1/subscriptions', fx.consents([]))
    fake.on('GET /api/v1/me', { status: 200, data: { id: 7, phone_masked: '', community: null } })
    const page = render('opinion/new')
    await page.instance.onLoad({ name: encodeURIComponent('城关镇人民路代表联络站') })
    await tap(page, '#cat-lifa')
    await input(page, '#content', '建议把农村自建房纳入安全监管，定期检查。')
    await tap(page, '#add-photo')
    await shoot('opinion-new-privacy', page)
    await fire(page, '#privacy >>> #privacy-agree', 'agreeprivacyauthorization')
    await shoot('opinion-new', page)
  })

  test('opinion', async () => {
    fake.on('GET /api/v1/opinions/42', { status: 200, data: fx.opinion({ status: 'replied', status_label: '已答复', reply: '已联系市政部门疏通排水管，6月8日完工。', replied_at: '2026-06-09T15:20:00+08:00', can_rate: ['result'], timeline: [{ at: '2026-06-02T10:00:00+08:00', kind: 'submitted', round: 1, text: '您提交了意见' }, { at: '2026-06-03T09:00:00+08:00', kind: 'accepted', round: 1, text: '联络站已受理' }, { at: '2026-06-09T15:20:00+08:00', kind: 'replied', round: 1, text: '联络站已答复' }] }) })
    fake.on('GET /api/v1/subscriptions', fx.consents([]))
    const page = render('opinion/detail')
    await page.instance.onLoad({ id: '42' })
    await shoot('opinion', page)
  })

  test('ballot', async () => {
    fake.on('POST /api/v1/ballot-slips/open', { status: 200, data: { already_voted: false, review: { id: 9, kind: 'deputies', title: '2026年县人大代表述职评议', date: '2026-12-20', place: '城关镇代表之家', status: 'open', opens_at: '2026-12-20T09:00:00+08:00', closes_at: '2026-12-20T12:00:00+08:00', dimensions: ['联系群众', '依法履职', '总体评价'], subjects: [{ id: 11, name: '王建国', duties: '城关镇人民路社区党委书记', photo_url: '' }, { id: 12, name: '李秀英', duties: '县第一中学教师', photo_url: '' }] } } })
    const page = render('ballot/index')
    await page.instance.onLoad({ code: 'BS7Q2K9M4X' })
    await tap(page, '#mark-11-0-satisfied')
    await tap(page, '#mark-11-1-fair')
    await shoot('ballot', page)
  })

  test('ballot-foreign-link', async () => {
    const page = render('ballot/index')
    await page.instance.onLoad({ q: encodeURIComponent('https://evil.example/b/BS7Q2K9M4X') })
    await shoot('ballot-foreign-link', page)
  })

  test('results', async () => {
    fake.on('GET /api/v1/results/stats', { status: 200, data: { months: 12, from: '2025-06-01', to: '2026-05-31', min_sample: 10, items: [{ station_id: 3, station_name: '城关镇人民路代表联络站', filed: 40, answered: 35, solved: 30, median_working_days: 6.5, answered_rate: 87.5, solved_rate: 75 }, { station_id: 4, station_name: '东街代表联络站', filed: 4, answered: 3, solved: 2, median_working_days: 8, answered_rate: null, solved_rate: null }] } })
    fake.on('GET /api/v1/results', { status: 200, data: { items: [{ id: 3, station: fx.stationRef, category: { id: 2, name: '城乡建设' }, summary: '人民路小区门口雨天积水，老人出行不便。', result: '市政部门疏通了排水管并加装了雨水篦子，6月8日完工，回访居民表示满意。', filed_on: '2026-05-03', closed_on: '2026-05-20', working_days: 12, published_on: '2026-05-22', photos: [] }], next_cursor: '' } })
    const page = render('results/index')
    await page.instance.onLoad()
    await shoot('results', page)
    await tap(page, '#tab-stats')
    await shoot('results-stats', page)
  })

  test('me in large type', async () => {
    fake.state.storage.largeType = true
    fake.on('GET /api/v1/me', { status: 200, data: { id: 7, phone_masked: '138****5678', community: { id: 5, name: '人民路社区' } } })
    const page = render('my/index')
    await page.instance.onLoad()
    await shoot('me-large', page)
  })
})
