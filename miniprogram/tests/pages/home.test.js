// The home page's scan, and a station's page.
const { render, text, tap } = require('../helpers/render')
const fx = require('../helpers/fixtures')
const config = require('../../config')

// scan taps the home page's 扫一扫 on a code that gives result and
// returns where the page went ('' for nowhere).
async function scan(page, result) {
  fake.state.navigated = ''
  fake.state.scanResult = result
  await tap(page, '#scan')
  await fake.settle()
  return fake.state.navigated
}

test('scanning a mini-program code opens its page; a board\'s plain code opens the landing; anything else is refused', async () => {
  const page = render('index/index')
  expect(await scan(page, { path: 'pages/deputy/index?scene=K7M2QXAB', result: '' })).toBe('/pages/deputy/index?scene=K7M2QXAB')
  expect(await scan(page, { result: 'ST3CODE2' })).toBe('/pages/deputy/index?code=ST3CODE2')
  expect(await scan(page, { result: 'https://example.com/some page' })).toBe('')
  expect(text(page)).toContain('这不是代表或联络站的二维码，请换一个再扫')
})

test('scanning a slip\'s link opens its ballot; another site\'s slip link is refused', async () => {
  const page = render('index/index')
  expect(await scan(page, { result: `${config.baseURL}/b/DEMQAAAAAB` })).toBe('/pages/ballot/index?code=DEMQAAAAAB')
  expect(await scan(page, { result: 'b=DEMQAAAAAB' })).toBe('/pages/ballot/index?code=DEMQAAAAAB')
  expect(await scan(page, { result: 'https://evil.example/b/DEMQAAAAAB' })).toBe('')
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
