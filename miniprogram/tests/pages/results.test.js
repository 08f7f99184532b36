// 办理结果公开 and stations near me.
const { render, text, tap, fire } = require('../helpers/render')
const fx = require('../helpers/fixtures')

const result = {
  id: 3, station: fx.stationRef, category: { id: 2, name: '城乡建设' }, summary: '人民路小区门口雨天积水。',
  result: '市政部门疏通了排水管并加装了雨水篦子，6月8日完工，回访居民表示满意。', filed_on: '2026-05-03', closed_on: '2026-05-20',
  working_days: 12, published_on: '2026-05-22', photos: [{ id: 8, url: '/api/v1/results/3/photos/8' }]
}
const stats = {
  months: 12, from: '2025-06-01', to: '2026-05-31', min_sample: 10,
  items: [
    { station_id: 3, station_name: fx.stationRef.name, filed: 40, answered: 35, solved: 30, median_working_days: 6.5, answered_rate: 87.5, solved_rate: 75 },
    { station_id: 4, station_name: '东街代表联络站', filed: 4, answered: 3, solved: 2, median_working_days: 8, answered_rate: null, solved_rate: null }
  ]
}

test('the stats show rates with their counts, and counts only under the minimum sample', async () => {
  fake.on('GET /api/v1/results/stats', { status: 200, data: stats })
  fake.on('GET /api/v1/results', { status: 200, data: { items: [result], next_cursor: '' } })
  const page = render('results/index')
  await page.instance.onLoad()
  expect(text(page)).toContain('人民路小区门口雨天积水。')
  expect(text(page)).toContain('用时12个工作日')
  await tap(page, '#tab-stats')
  const big = page.querySelector('#stats-3').dom.textContent.replace(/\s+/g, '')
  expect(big).toBe('城关镇人民路代表联络站收到40件已答复35件（87.5%）已办结30件（75%）答复用时（中位数）6.5个工作日')
  const small = page.querySelector('#stats-4').dom.textContent.replace(/\s+/g, '')
  expect(small).toBe('东街代表联络站收到4件已答复3件已办结2件答复用时（中位数）8个工作日样本较少，仅显示数量')
  expect(text(page)).toContain('6月1日至5月31日')
})

test('filtering by station and category asks the server for them', async () => {
  fake.on('GET /api/v1/results/stats', { status: 200, data: stats })
  fake.on('GET /api/v1/results', { status: 200, data: { items: [result], next_cursor: '' } })
  const page = render('results/index')
  await page.instance.onLoad()
  await fire(page, '#station-picker', 'change', { value: 2 })
  await fake.settle()
  await tap(page, '#cat-2')
  await fake.settle()
  const queries = fake.requestsTo('GET /api/v1/results').map(r => r.query)
  expect(queries).toEqual([{}, { station_id: '4' }, { station_id: '4', category_id: '2' }])
})

test('one result with its published photos', async () => {
  fake.on('GET /api/v1/results/3', { status: 200, data: result })
  const page = render('results/detail')
  await page.instance.onLoad({ id: '3' })
  expect(text(page)).toContain('5月3日收到，5月20日办结，用时12个工作日')
  expect(page.data.r.photoURLs).toEqual(['https://renda.example.gov.cn/api/v1/results/3/photos/8'])
})

test('stations near me: the location is asked after the privacy agreement and sent as lat/lng', async () => {
  fake.on('GET /api/v1/stations', req => ({ status: 200, data: { items: [Object.assign({}, fx.station, req.query.lat ? { distance_m: 850 } : {})], next_cursor: '' } }))
  const page = render('stations/index')
  await page.instance.onLoad()
  await tap(page, '#locate')
  expect(page.querySelector('#privacy >>> .privacy-box')).toBeDefined()
  await fire(page, '#privacy >>> #privacy-agree', 'agreeprivacyauthorization')
  await fake.settle()
  const [all, near] = fake.requestsTo('GET /api/v1/stations')
  expect(all.query).toEqual({})
  expect(near.query).toEqual({ lat: '30.600000', lng: '114.300000' })
  expect(text(page)).toContain('850米')
  await tap(page, '.station')
  expect(fake.state.navigated).toBe('/pages/station/index?id=3')
})
