// The scan landing: a live code, a retired deputy's code, a ballot slip.
const { render, text, tap } = require('../helpers/render')
const fx = require('../helpers/fixtures')

test('a live deputy code opens the deputy card with pledge, this year and the next reception day', async () => {
  fake.on('GET /api/v1/codes/K7M2QXAB', { status: 200, data: { code: 'K7M2QXAB', kind: 'deputy', deputy: fx.deputy, station: fx.station } })
  fake.on('GET /api/v1/deputies/11', {
    status: 200,
    data: Object.assign({}, fx.deputy, {
      activities: { year: 2026, counts: [{ type: 'reception', label: '接待选民', count: 4 }, { type: 'meeting', label: '出席会议', count: 2 }] },
      reviews: [{ id: 9, title: '2025年县人大代表述职评议', date: '2025-12-20', ballots: 36, counts: [{ dimension: '联系群众', satisfied: 30, fair: 5, unsatisfied: 1 }, { dimension: '总体评价', satisfied: 28, fair: 6, unsatisfied: 2 }] }]
    })
  })
  fake.on('GET /api/v1/reception-days', { status: 200, data: { items: [fx.day([])], next_cursor: '' } })
  const page = render('deputy/index')
  await page.instance.onLoad({ scene: encodeURIComponent('K7M2QXAB') })
  const t = text(page)
  expect(t).toContain('王建国')
  expect(t).toContain('县级代表')
  expect(t).toContain('城关镇人民路社区党委书记')
  expect(t).toContain('每月进站接待一次，有事必回。')
  expect(t).toContain('2026年履职情况接待选民4次出席会议2次')
  expect(t).toContain('下次接待日6月10日周三')
  expect(page.querySelector('#notice')).toBeUndefined()
  expect(page.querySelector('.photo')).toBeDefined()
  expect(page.data.deputy.photo).toBe('https://renda.example.gov.cn/api/v1/deputies/11/photo?v=3')
  expect(fake.requestsTo('GET /api/v1/reception-days')[0].query).toEqual({ station_id: '3', limit: '10' })
  // Public reads need no sign-in.
  expect(fake.state.calls).not.toContain('login')

  // The published review: 58 of 72 marks 满意, beside the number of ballots.
  expect(t).toContain('述职评议结果2025年县人大代表述职评议满意80.6%，36张票')
  await tap(page, '#review-9')
  expect(fake.state.navigated).toBe('/pages/review/result?id=9')

  await tap(page, '#book')
  expect(fake.state.navigated).toBe('/pages/booking/index?station=3')
  await tap(page, '#write')
  expect(fake.state.navigated).toBe(`/pages/opinion/new?code=K7M2QXAB&name=${encodeURIComponent(fx.station.name)}`)
})

test('a retired deputy\'s code opens the station card with the notice', async () => {
  const retired = Object.assign({}, fx.deputy, { status: 'retired' })
  fake.on('GET /api/v1/codes/K7M2QXAB', {
    status: 200,
    data: { code: 'K7M2QXAB', kind: 'station', deputy: retired, station: fx.station, notice: '王建国代表已不再担任代表职务，您可以联系城关镇人民路代表联络站的其他代表。' }
  })
  fake.on('GET /api/v1/reception-days', { status: 200, data: { items: [], next_cursor: '' } })
  const page = render('deputy/index')
  await page.instance.onLoad({ scene: 'K7M2QXAB' })
  const t = text(page)
  expect(page.querySelector('#notice')).toBeDefined()
  expect(t).toContain('王建国代表已不再担任代表职务')
  expect(page.querySelector('#deputy')).toBeUndefined()
  expect(t).toContain('城关镇人民路代表联络站代表联络站')
  expect(t).toContain('地址：城关镇人民路18号')
  expect(t).toContain('近期还没有安排接待日')
  expect(fake.requestsTo('GET /api/v1/deputies/11')).toHaveLength(0)
  await tap(page, '#book')
  expect(fake.state.navigated).toBe('/pages/booking/index?station=3')
})

test('an unknown or revoked code shows the server\'s sentence', async () => {
  fake.on('GET /api/v1/codes/ZZZZZZZZ', fx.apiError(404, 'code_not_found', '没有找到这个二维码，它可能已经停用'))
  const page = render('deputy/index')
  await page.instance.onLoad({ scene: 'ZZZZZZZZ' })
  expect(page.querySelector('#error').dom.textContent).toBe('没有找到这个二维码，它可能已经停用')
  expect(page.querySelector('#book')).toBeUndefined()
})

test('a ballot slip\'s scene opens the ballot', async () => {
  const page = render('deputy/index')
  await page.instance.onLoad({ scene: encodeURIComponent('b=BS7Q2K9M4X') })
  expect(fake.state.navigated).toBe('/pages/ballot/index?code=BS7Q2K9M4X')
  expect(fake.state.requests).toHaveLength(0)
})
