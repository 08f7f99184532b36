const { render, text, tap } = require('../helpers/render')

const station = { id: 3, name: '城关镇人民路代表联络站', kind: 'station', kind_label: '代表联络站', address: '城关镇人民路 18 号', district: '城关镇', open_hours: '每月10日 9:00–11:30', lat: 30.6, lng: 114.3, code: 'ST3CODE2', deputies: [{ id: 11, name: '王建国', level: 'county', level_label: '县级', code: 'K7M2QXAB' }] }
const deputy = { id: 11, name: '王建国', level: 'county', level_label: '县级', code: 'K7M2QXAB', status: 'active', duties: '城关镇人民路社区党委书记', pledge: '每月进站接待一次，有事必回。', photo_url: '/api/v1/deputies/11/photo?v=3', station: { id: 3, name: station.name }, stations: [{ id: 3, name: station.name }] }
const day = { id: 21, date: '2026-06-10', status: 'open', station: { id: 3, name: station.name }, deputies: [{ id: 11, name: '王建国' }], slots: [], booking_opens_at: '2026-06-01T08:00:00+08:00', booking_closes_at: '2026-06-09T18:00:00+08:00', booking_open: true, waitlist: true }

test('a live deputy code opens the deputy card with pledge, this year and the next reception day', async () => {
  fake.on('GET /api/v1/codes/K7M2QXAB', { status: 200, data: { code: 'K7M2QXAB', kind: 'deputy', deputy, station } })
  fake.on('GET /api/v1/deputies/11', { status: 200, data: Object.assign({}, deputy, { activities: { year: 2026, counts: [{ type: 'reception', label: '接待选民', count: 4 }, { type: 'meeting', label: '出席会议', count: 2 }] } }) })
  fake.on('GET /api/v1/reception-days', { status: 200, data: { items: [day], next_cursor: '' } })
  const page = render('landing')
  await page.instance.onLoad({ scene: encodeURIComponent('K7M2QXAB') })
  const t = text(page)
  expect(t).toContain('王建国')
  expect(t).toContain('县级代表')
  expect(t).toContain('每月进站接待一次，有事必回。')
  expect(t).toContain('2026年履职情况')
  expect(t).toContain('接待选民4次')
  expect(t).toContain('6月10日周三')
  expect(page.querySelector('#notice')).toBeUndefined()
  expect(page.querySelector('.photo')).toBeDefined()
  expect(page.data.deputy.photo).toBe('https://renda.example.gov.cn/api/v1/deputies/11/photo?v=3')
  expect(fake.requestsTo('GET /api/v1/reception-days')[0].query).toEqual({ station_id: '3', limit: '10' })
  await tap(page, '#book')
  expect(fake.state.navigated).toBe('/pages/booking/booking?station_id=3')
})
