// Filing an opinion: photos compressed then uploaded, their ids in the
// body; a retry after a network failure reuses the Idempotency-Key; the
// consent request is made first inside the submit tap.
const { render, text, tap, input, fire } = require('../helpers/render')
const fx = require('../helpers/fixtures')

const TEMPLATES = ['tmpl-accepted', 'tmpl-result', 'tmpl-ask-result']

function prepare() {
  fake.on('GET /api/v1/categories', { status: 200, data: fx.categories })
  fake.on('GET /api/v1/subscriptions', fx.consents(TEMPLATES))
  fake.on('POST /api/v1/subscriptions', { status: 200, data: { items: [], next_cursor: '' } })
  fake.on('GET /api/v1/me', { status: 200, data: { id: 7, phone_masked: '', community: null } })
  let n = 0
  fake.on('POST /api/v1/uploads', () => ({ status: 201, data: { id: 900 + (++n), url: `/api/v1/uploads/${900 + n}` } }))
}

async function open(query = { code: 'K7M2QXAB', name: encodeURIComponent('城关镇人民路代表联络站') }) {
  const page = render('opinion/new')
  await page.instance.onLoad(query)
  return page
}

async function fill(page) {
  await tap(page, '#cat-shenghuo')
  await input(page, '#content', '人民路小区门口下雨就积水，老人出门不方便。')
}

test('filing with photos: privacy agreed in the popup, each photo compressed then uploaded, the ids in the body, the tracking number shown', async () => {
  prepare()
  fake.state.media = [{ tempFilePath: 'wxfile://tmp/a.jpg' }, { tempFilePath: 'wxfile://tmp/b.jpg' }]
  fake.on('POST /api/v1/opinions', { status: 201, data: fx.opinion() })
  const page = await open()
  expect(text(page)).toContain('您的意见会交给城关镇人民路代表联络站。')
  await fill(page)

  // The first privacy API opens the popup; nothing is chosen until agreed.
  await tap(page, '#add-photo')
  expect(fake.state.calls).toContain('needPrivacyAuthorization')
  expect(fake.state.calls).not.toContain('compressImage')
  const popup = page.querySelector('#privacy')
  expect(popup.dom.textContent).toContain('《人大代表联络站小程序隐私保护指引》')
  await fire(page, '#privacy >>> #privacy-agree', 'agreeprivacyauthorization')
  await fake.settle()
  expect(page.data.photos.map(p => p.path)).toEqual(['wxfile://tmp/a-compressed.jpg', 'wxfile://tmp/b-compressed.jpg'])

  await tap(page, '#place')
  await fake.settle()
  expect(text(page)).toContain('地点：城关镇人民路')

  const before = fake.state.calls.length
  await tap(page, '#submit')
  await fake.settle()
  const inTap = fake.state.calls.slice(before)
  expect(inTap[0]).toBe('requestSubscribeMessage')
  expect(fake.state.subscribeAsked).toEqual(TEMPLATES)
  expect(inTap.filter(c => c.startsWith('uploadFile'))).toHaveLength(2)

  const uploads = fake.requestsTo('POST /api/v1/uploads')
  expect(uploads.map(u => u.filePath)).toEqual(['wxfile://tmp/a-compressed.jpg', 'wxfile://tmp/b-compressed.jpg'])
  expect(uploads[0].name).toBe('file')
  const compressed = fake.state.calls.indexOf('compressImage')
  expect(compressed).toBeGreaterThan(-1)
  expect(compressed).toBeLessThan(fake.state.calls.indexOf('uploadFile POST /api/v1/uploads'))

  const [filed] = fake.requestsTo('POST /api/v1/opinions')
  expect(filed.data).toEqual({
    content: '人民路小区门口下雨就积水，老人出门不方便。', category: 'shenghuo', anonymous: false,
    code: 'K7M2QXAB', lat: 30.61, lng: 114.31, photo_ids: [901, 902]
  })
  expect(text(page)).toContain('办理编号：YJ20260602-0042')
  expect(text(page)).toContain('6月19日前会有答复')
})

test('a retried filing after a network failure sends the same Idempotency-Key and does not upload again', async () => {
  prepare()
  fake.on('POST /api/v1/opinions', [{ fail: 'network' }, { status: 201, data: fx.opinion() }])
  const page = await open()
  await fill(page)
  fake.state.privacyAgreed = true
  await tap(page, '#add-photo')
  await fake.settle()

  await tap(page, '#submit')
  await fake.settle()
  expect(page.querySelector('#error').dom.textContent).toBe('网络不好，请稍后再试')
  expect(page.querySelector('#submit').dom.textContent).toBe('重新提交')

  await tap(page, '#submit')
  await fake.settle()
  const tries = fake.requestsTo('POST /api/v1/opinions')
  expect(tries).toHaveLength(2)
  expect(tries[0].header['Idempotency-Key']).toBeTruthy()
  expect(tries[1].header['Idempotency-Key']).toBe(tries[0].header['Idempotency-Key'])
  expect(tries[1].data).toEqual(tries[0].data)
  expect(fake.requestsTo('POST /api/v1/uploads')).toHaveLength(1)
  expect(text(page)).toContain('YJ20260602-0042')
})

test('after a definite answer the next filing gets a new key', async () => {
  prepare()
  fake.on('POST /api/v1/opinions', [fx.apiError(400, 'invalid_content', '意见内容太长了，请不超过 2000 字'), { status: 201, data: fx.opinion() }])
  const page = await open({})
  await fill(page)
  await tap(page, '#submit')
  await fake.settle()
  expect(page.querySelector('#error').dom.textContent).toBe('意见内容太长了，请不超过 2000 字')
  expect(page.querySelector('#submit').dom.textContent).toBe('提交')
  await tap(page, '#submit')
  await fake.settle()
  const tries = fake.requestsTo('POST /api/v1/opinions')
  expect(tries[1].header['Idempotency-Key']).not.toBe(tries[0].header['Idempotency-Key'])
})

test('the form says what is missing before sending anything', async () => {
  prepare()
  const page = await open({})
  await tap(page, '#submit')
  expect(page.querySelector('#error').dom.textContent).toBe('请先选择是哪方面的事')
  await tap(page, '#cat-lifa')
  await input(page, '#content', '建议把农村自建房纳入安全监管。')
  await tap(page, '#submit')
  expect(page.querySelector('#error').dom.textContent).toBe('请填写法规草案名称')
  await tap(page, '#cat-shenghuo')
  await input(page, '#content', '太短')
  await tap(page, '#submit')
  expect(page.querySelector('#error').dom.textContent).toBe('请至少写 10 个字，把事情说清楚')
  expect(fake.requestsTo('POST /api/v1/opinions')).toHaveLength(0)
  expect(fake.state.calls).not.toContain('requestSubscribeMessage')
})

test('refusing the privacy guide keeps the form usable without photos', async () => {
  prepare()
  const page = await open({})
  await tap(page, '#add-photo')
  await tap(page, '#privacy >>> #privacy-disagree')
  await fake.settle()
  expect(page.data.photos).toEqual([])
  expect(page.querySelector('#error').dom.textContent).toBe('没有选到照片。如果要加照片，请同意隐私保护指引后再试')
  expect(fake.state.calls).not.toContain('compressImage')
})

test('the phone number, when the voter gives it, is bound with the button\'s code and shown masked', async () => {
  prepare()
  fake.on('POST /api/v1/me/phone', { status: 200, data: { id: 7, phone_masked: '138****5678', community: null } })
  const page = await open({})
  expect(page.querySelector('#phone')).toBeDefined()
  await fire(page, '#phone', 'getphonenumber', { errMsg: 'getPhoneNumber:fail user deny' })
  await fake.settle()
  expect(fake.requestsTo('POST /api/v1/me/phone')).toHaveLength(0)
  await fire(page, '#phone', 'getphonenumber', { code: 'phone-code-1' })
  await fake.settle()
  expect(fake.requestsTo('POST /api/v1/me/phone')[0].data).toEqual({ code: 'phone-code-1' })
  expect(text(page)).toContain('已留电话：138****5678')
  expect(page.querySelector('#phone')).toBeUndefined()
})
