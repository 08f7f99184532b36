// Reading a slip's QR (utils/slip.js): its scene, this site's links, and
// nothing else.
const { slipOf, slipOfQuery } = require('../../utils/slip')

test('the scene and this site\'s links are slips; other links are foreign; other text is not a slip', () => {
  expect(slipOf('b=BS7Q2K9M4X')).toEqual({ code: 'BS7Q2K9M4X' })
  expect(slipOf(' B=bs7q2k9m4x ')).toEqual({ code: 'bs7q2k9m4x' })
  expect(slipOf('https://renda.example.gov.cn/b/BS7Q2K9M4X')).toEqual({ code: 'BS7Q2K9M4X' })
  expect(slipOf('https://Renda.Example.GOV.cn/b/BS7Q2K9M4X?from=print#x')).toEqual({ code: 'BS7Q2K9M4X' })
  for (const foreign of [
    'https://renda.example.gov.cn/B/BS7Q2K9M4X', 'https://renda.example.gov.cn/b/', 'https://renda.example.gov.cn/b/x/BS7Q2K9M4X',
    'http://renda.example.gov.cn/b/BS7Q2K9M4X', 'https://renda.example.gov.cn:8443/b/BS7Q2K9M4X', 'https://evil.example/b/BS7Q2K9M4X'
  ]) expect([foreign, slipOf(foreign)]).toEqual([foreign, { foreign: true }])
  for (const other of ['', 'BS7Q2K9M4X', 'ST3CODE2', 'weixin://dl/business/?t=x']) expect(slipOf(other)).toBeNull()
})

test('the page\'s query: q (decoded once), scene or code', () => {
  const link = 'https://renda.example.gov.cn/b/BS7Q2K9M4X'
  expect(slipOfQuery({ q: encodeURIComponent(link), scancode_time: '1766217600' })).toEqual({ code: 'BS7Q2K9M4X' })
  // Decoded once only: a link encoded twice is not a link.
  expect(slipOfQuery({ q: encodeURIComponent(encodeURIComponent(link)) })).toEqual({ foreign: true })
  expect(slipOfQuery({ q: encodeURIComponent('BS7Q2K9M4X') })).toEqual({ foreign: true })
  expect(slipOfQuery({ scene: encodeURIComponent('b=BS7Q2K9M4X') })).toEqual({ code: 'BS7Q2K9M4X' })
  expect(slipOfQuery({ code: 'BS7Q2-K9M4X' })).toEqual({ code: 'BS7Q2-K9M4X' })
  expect(slipOfQuery({})).toEqual({ code: '' })
  expect(slipOfQuery(undefined)).toEqual({ code: '' })
  expect(slipOfQuery({ code: '%E0%A4%A' })).toEqual({ foreign: true })
})

test('a site under a path: only links under <baseURL>/b/ are its slips', () => {
  jest.isolateModules(() => {
    jest.doMock('../../config', () => ({ baseURL: 'https://www.example.gov.cn/renda/' }))
    const slip = require('../../utils/slip')
    expect(slip.slipOf('https://www.example.gov.cn/renda/b/BS7Q2K9M4X')).toEqual({ code: 'BS7Q2K9M4X' })
    expect(slip.slipOf('https://www.example.gov.cn/b/BS7Q2K9M4X')).toEqual({ foreign: true })
    expect(slip.slipOf('https://www.example.gov.cn/rendab/b/BS7Q2K9M4X')).toEqual({ foreign: true })
  })
})
