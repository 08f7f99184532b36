// The home page's scan, and a station's page.
const { render, text, tap } = require('../helpers/render')
const fx = require('../helpers/fixtures')

test('scanning a mini-program code opens its page; a board\'s plain code opens the landing; anything else is refused', async () => {
  const page = render('index/index')
  fake.state.scanResult = { path: 'pages/deputy/index?scene=K7M2QXAB', result: '' }
  await tap(page, '#scan')
  await fake.settle()
  expect(fake.state.navigated).toBe('/pages/deputy/index?scene=K7M2QXAB')
  fake.state.scanResult = { result: 'ST3CODE2' }
  await tap(page, '#scan')
  await fake.settle()
  expect(fake.state.navigated).toBe('/pages/deputy/index?code=ST3CODE2')
  fake.state.navigated = ''
  fake.state.scanResult = { result: 'https://example.com/some page' }
  await tap(page, '#scan')
  await fake.settle()
  expect(fake.state.navigated).toBe('')
  expect(text(page)).toContain('这不是代表或联络站的二维码，请换一个再扫')
})

test('a station\'s page: its card, deputies and the two actions', async () => {
  fake.on('GET /api/v1/stations/3', { status: 200, data: fx.station })
  fake.on('GET /api/v1/reception-days', { status: 200, data: { items: [fx.day([])], next_cursor: '' } })
  const page = render('station/index')
  await page.instance.onLoad({ id: '3' })
  expect(text(page)).toContain('下次接待日6月10日周三，王建国代表接待')
  await tap(page, '#card >>> .deputy')
  expect(fake.state.navigated).toBe('/pages/deputy/index?code=K7M2QXAB')
  await tap(page, '#write')
  expect(fake.state.navigated).toBe(`/pages/opinion/new?station=3&name=${encodeURIComponent(fx.station.name)}`)
})
