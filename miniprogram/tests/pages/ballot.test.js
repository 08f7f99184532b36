// The ballot of a review: anonymous wording, every subject × dimension as
// buttons, the ballot cast once; cast again, it is refused.
const { render, text, tap, input } = require('../helpers/render')
const fx = require('../helpers/fixtures')

const review = {
  id: 9, kind: 'deputies', title: '2026年县人大代表述职评议', date: '2026-12-20', place: '城关镇代表之家',
  status: 'open', opens_at: '2026-12-20T09:00:00+08:00', closes_at: '2026-12-20T12:00:00+08:00',
  dimensions: ['联系群众', '依法履职'],
  subjects: [
    { id: 11, name: '王建国', duties: '城关镇人民路社区党委书记', photo_url: '' },
    { id: 12, name: '李秀英', duties: '县第一中学教师', photo_url: 'https://cdn.example.gov.cn/li.jpg' }
  ]
}

async function open(code = 'BS7Q2K9M4X') {
  const page = render('ballot/index')
  await page.instance.onLoad({ code })
  return page
}

async function markAll(page) {
  await tap(page, '#mark-11-0-satisfied')
  await tap(page, '#mark-11-1-fair')
  await tap(page, '#mark-12-0-satisfied')
  await tap(page, '#mark-12-1-unsatisfied')
}

test('a ballot: anonymous wording, all marks as buttons, cast once', async () => {
  fake.on('POST /api/v1/ballot-slips/open', { status: 200, data: { review, already_voted: false } })
  fake.on('POST /api/v1/ballots', { status: 201, data: { message: '投票成功，谢谢您参加评议' } })
  const page = await open()
  const t = text(page)
  expect(t).toContain('本次评议为匿名投票，系统不记录您是谁。')
  expect(t).toContain('2026年县人大代表述职评议')
  expect(t).toContain('12月20日·城关镇代表之家')
  expect(t).toContain('王建国')
  expect(t).toContain('李秀英')
  expect(fake.requestsTo('POST /api/v1/ballot-slips/open')[0].data).toEqual({ code: 'BS7Q2K9M4X' })

  await tap(page, '#mark-11-0-satisfied')
  await tap(page, '#submit')
  expect(page.querySelector('#error').dom.textContent).toBe('还有 3 项没有选，请每一项都选一个')
  expect(fake.requestsTo('POST /api/v1/ballots')).toHaveLength(0)

  await markAll(page)
  expect(page.querySelector('#mark-11-1-fair').dom.className).toContain('on')
  await tap(page, '#submit')
  await fake.settle()
  const [cast] = fake.requestsTo('POST /api/v1/ballots')
  expect(cast.data).toEqual({
    code: 'BS7Q2K9M4X',
    marks: [
      { subject_id: 11, dimension: 0, rating: 'satisfied' }, { subject_id: 11, dimension: 1, rating: 'fair' },
      { subject_id: 12, dimension: 0, rating: 'satisfied' }, { subject_id: 12, dimension: 1, rating: 'unsatisfied' }
    ],
    comments: []
  })
  expect(cast.header['Idempotency-Key']).toBeTruthy()
  expect(page.querySelector('#done').dom.textContent).toBe('投票成功，谢谢您参加评议')
  expect(page.querySelector('#submit')).toBeUndefined()
})

test('cast twice: the second cast is refused with the server\'s sentence and the slip cannot vote again', async () => {
  fake.on('POST /api/v1/ballot-slips/open', { status: 200, data: { review, already_voted: false } })
  fake.on('POST /api/v1/ballots', fx.apiError(409, 'already_voted', '您已经在本次评议中投过票了，每人只能投一次'))
  const page = await open()
  await markAll(page)
  await tap(page, '#submit')
  await fake.settle()
  expect(page.querySelector('#error').dom.textContent).toBe('您已经在本次评议中投过票了，每人只能投一次')
  expect(page.querySelector('#submit')).toBeUndefined()
  expect(page.querySelector('#done')).toBeUndefined()
})

test('a used slip scanned again is refused on opening', async () => {
  fake.on('POST /api/v1/ballot-slips/open', fx.apiError(409, 'slip_used', '这张评议票已经用过了，每张票只能投一次'))
  const page = await open()
  expect(page.querySelector('#error').dom.textContent).toBe('这张评议票已经用过了，每张票只能投一次')
  expect(page.querySelector('#submit')).toBeUndefined()
})

test('a voter who voted already is told so; a review not started says when it starts', async () => {
  fake.on('POST /api/v1/ballot-slips/open', [
    { status: 200, data: { review, already_voted: true } },
    { status: 200, data: { review: Object.assign({}, review, { status: 'scheduled' }), already_voted: false } }
  ])
  let page = await open()
  expect(text(page)).toContain('您已经在本次评议中投过票了，每人只能投一次。')
  expect(page.querySelector('#submit')).toBeUndefined()
  page = await open()
  expect(text(page)).toContain('评议还没有开始，12月20日09:00开始投票')
  expect(page.querySelector('#submit')).toBeUndefined()
})

test('the published result, and the sentence before it is published', async () => {
  fake.on('GET /api/v1/reviews/9/result', [
    fx.apiError(409, 'result_not_published', '评议结果还没有公布'),
    { status: 200, data: { review: Object.assign({}, review, { status: 'closed' }), ballots: 36, subjects: [{ subject: review.subjects[0], counts: [{ dimension: '联系群众', satisfied: 30, fair: 5, unsatisfied: 1 }] }] } }
  ])
  let page = render('review/result')
  await page.instance.onLoad({ id: '9' })
  expect(page.querySelector('#error').dom.textContent).toBe('评议结果还没有公布')
  page = render('review/result')
  await page.instance.onLoad({ id: '9' })
  expect(text(page)).toContain('共收回评议票36张')
  expect(text(page)).toContain('联系群众满意30基本满意5不满意1')
})

test('without a code the page asks for one: typed from the slip, or scanned ("b=<code>")', async () => {
  fake.on('POST /api/v1/ballot-slips/open', [fx.apiError(404, 'slip_unknown', '没有找到这张评议票，请核对票上的二维码'), { status: 200, data: { review, already_voted: false } }])
  const page = render('ballot/index')
  await page.instance.onLoad({})
  expect(fake.state.requests).toHaveLength(0)
  expect(text(page)).toContain('请扫评议票上的二维码，或输入票上的编号')
  await input(page, '#code', 'DEMQA-AAAAX')
  await tap(page, '#open')
  await fake.settle()
  expect(page.querySelector('#error').dom.textContent).toBe('没有找到这张评议票，请核对票上的二维码')
  expect(page.querySelector('#enter')).toBeDefined()

  fake.state.scanResult = { result: 'b=DEMQAAAAAB' }
  await tap(page, '#scan')
  await fake.settle()
  const opens = fake.requestsTo('POST /api/v1/ballot-slips/open')
  expect(opens.map(r => r.data.code)).toEqual(['DEMQA-AAAAX', 'DEMQAAAAAB'])
  // Opening a slip needs the voter's session (one ballot per voter).
  expect(opens[0].header.Authorization).toBe('Bearer token-for-wx-code-1')
  expect(page.querySelector('#enter')).toBeUndefined()
  expect(text(page)).toContain('王建国')
})

test('the home page\'s scan of a slip opens the ballot', async () => {
  const home = render('index/index')
  fake.state.scanResult = { result: 'b=DEMQAAAAAB' }
  await tap(home, '#scan')
  await fake.settle()
  expect(fake.state.navigated).toBe('/pages/ballot/index?code=DEMQAAAAAB')
})

// A slip's QR holds its link <baseURL>/b/<code> when the server has a
// public address: WeChat's 扫一扫 opens the ballot page with query.q, the
// link URI-encoded once, and query.scancode_time.
const config = require('../../config')
const slipLink = code => `${config.baseURL}/b/${code}`

test('WeChat\'s 扫一扫 of a slip\'s link opens its ballot with the code after /b/', async () => {
  fake.on('POST /api/v1/ballot-slips/open', { status: 200, data: { review, already_voted: false } })
  const page = render('ballot/index')
  await page.instance.onLoad({ q: encodeURIComponent(slipLink('BS7Q2K9M4X')), scancode_time: '1766217600' })
  expect(fake.requestsTo('POST /api/v1/ballot-slips/open').map(r => r.data)).toEqual([{ code: 'BS7Q2K9M4X' }])
  expect(text(page)).toContain('王建国')
  expect(page.querySelector('#enter')).toBeUndefined()
  expect(page.querySelector('#error')).toBeUndefined()
})

test('a link of another host is refused in Chinese and sends nothing; the page asks for a slip', async () => {
  const refused = '这不是本站评议票的二维码，请扫会场发的评议票，或者输入票上的编号'
  for (const q of [
    'https://renda.example.gov.cn.evil.example/b/BS7Q2K9M4X', 'http://evil.example/b/BS7Q2K9M4X',
    'https://evil.example/?next=https://renda.example.gov.cn/b/BS7Q2K9M4X', `${config.baseURL}/c/BS7Q2K9M4X`, '%E0%A4%A'
  ]) {
    const page = render('ballot/index')
    await page.instance.onLoad({ q: q.startsWith('%') ? q : encodeURIComponent(q) })
    expect(page.querySelector('#error').dom.textContent).toBe(refused)
    expect(page.querySelector('#enter')).toBeDefined()
  }
  expect(fake.state.requests.filter(r => !r.url.endsWith('/api/v1/session'))).toHaveLength(0)

  // Scanned with the page's own button: another site's link is refused
  // the same way, this site's opens.
  fake.on('POST /api/v1/ballot-slips/open', { status: 200, data: { review, already_voted: false } })
  const page = render('ballot/index')
  await page.instance.onLoad({})
  fake.state.scanResult = { result: 'https://evil.example/b/DEMQAAAAAB' }
  await tap(page, '#scan')
  await fake.settle()
  expect(page.querySelector('#error').dom.textContent).toBe(refused)
  expect(fake.requestsTo('POST /api/v1/ballot-slips/open')).toHaveLength(0)
  fake.state.scanResult = { result: 'HTTPS://RENDA.EXAMPLE.GOV.CN/b/DEMQAAAAAB' }
  await tap(page, '#scan')
  await fake.settle()
  expect(fake.requestsTo('POST /api/v1/ballot-slips/open').map(r => r.data.code)).toEqual(['DEMQAAAAAB'])
  expect(text(page)).toContain('王建国')
})
