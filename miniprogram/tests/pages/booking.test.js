// Booking: success, a full slot, already booked; the consent request is
// made inside the submit tap, for exactly the templates the API lists.
const { render, text, tap, input } = require('../helpers/render')
const fx = require('../helpers/fixtures')

const TEMPLATES = ['tmpl-booking-result', 'tmpl-reception-reminder']

function prepare(slots) {
  fake.on('GET /api/v1/reception-days', { status: 200, data: { items: [fx.day(slots)], next_cursor: '' } })
  fake.on('GET /api/v1/subscriptions', fx.consents(TEMPLATES))
  fake.on('POST /api/v1/subscriptions', { status: 200, data: { items: [], next_cursor: '' } })
}

async function open() {
  const page = render('booking/index')
  await page.instance.onLoad({ station: '3' })
  return page
}

test('booking a slot: seats shown, consent asked first inside the tap, then booked with an Idempotency-Key', async () => {
  prepare([fx.slot(101, '09:00', 4), fx.slot(102, '09:30', 0)])
  fake.on('POST /api/v1/bookings', { status: 201, data: fx.booking() })
  const page = await open()
  expect(text(page)).toContain('6月10日周三')
  expect(text(page)).toContain('09:00–09:30剩余4个座位')
  expect(text(page)).toContain('09:30–10:00已约满')
  expect(fake.requestsTo('GET /api/v1/subscriptions')[0].query).toEqual({ moment: 'booking' })

  await tap(page, '#slot-101')
  await input(page, '#topic', '小区门口积水')
  const before = fake.state.calls.length
  await tap(page, '#submit')
  await fake.settle()

  const inTap = fake.state.calls.slice(before)
  // The consent sheet comes first, before any request of the tap.
  expect(inTap[0]).toBe('requestSubscribeMessage')
  expect(inTap).toContain('request POST /api/v1/bookings')
  expect(fake.state.subscribeAsked).toEqual(TEMPLATES)
  const [req] = fake.requestsTo('POST /api/v1/bookings')
  expect(req.data).toEqual({ slot_id: 101, topic: '小区门口积水' })
  expect(req.header['Idempotency-Key']).toMatch(/^[A-Za-z0-9_-]{8,64}$/)
  expect(req.header.Authorization).toBe('Bearer token-for-wx-code-1')
  expect(fake.requestsTo('POST /api/v1/subscriptions')[0].data).toEqual({ template_ids: TEMPLATES })
  expect(page.querySelector('#done').dom.textContent.replace(/\s+/g, '')).toBe('预约成功6月10日09:00–09:30，城关镇人民路代表联络站预约码：K7M2QX（到站时出示）')
})

test('a full slot answers slot_full: the sentence is shown and the seats are read again', async () => {
  prepare([fx.slot(101, '09:00', 1)])
  fake.on('POST /api/v1/bookings', fx.apiError(409, 'slot_full', '这个时段已经约满了，请选别的时段'))
  const page = await open()
  fake.on('GET /api/v1/reception-days', { status: 200, data: { items: [fx.day([fx.slot(101, '09:00', 0)])], next_cursor: '' } })
  await tap(page, '#slot-101')
  await tap(page, '#submit')
  await fake.settle()
  expect(page.querySelector('#error').dom.textContent).toBe('这个时段已经约满了，请选别的时段')
  expect(page.querySelector('#done')).toBeUndefined()
  expect(fake.requestsTo('GET /api/v1/reception-days')).toHaveLength(2)
  expect(text(page)).toContain('09:00–09:30已约满')
  expect(page.data.selected).toBe(0)
})

test('already booked that day: the sentence and a way to my bookings', async () => {
  prepare([fx.slot(101, '09:00', 3)])
  fake.on('POST /api/v1/bookings', fx.apiError(409, 'already_booked', '您这一天已经有一个预约了，一天只能预约一次'))
  const page = await open()
  expect(page.querySelector('#mine')).toBeUndefined()
  await tap(page, '#slot-101')
  await tap(page, '#submit')
  await fake.settle()
  expect(page.querySelector('#error').dom.textContent).toBe('您这一天已经有一个预约了，一天只能预约一次')
  await tap(page, '#mine')
  expect(fake.state.navigated).toBe('/pages/booking/list')
})

test('a full slot with a waitlist takes a waitlist place', async () => {
  fake.on('GET /api/v1/reception-days', { status: 200, data: { items: [fx.day([fx.slot(101, '09:00', 0)], { waitlist: true })], next_cursor: '' } })
  fake.on('GET /api/v1/subscriptions', fx.consents([]))
  fake.on('POST /api/v1/bookings', { status: 201, data: fx.booking({ status: 'waitlisted', waitlist_position: 2 }) })
  const page = await open()
  expect(text(page)).toContain('已约满，可以排队候补')
  await tap(page, '#slot-101')
  await tap(page, '#submit')
  await fake.settle()
  // No template configured: no consent sheet at all.
  expect(fake.state.calls).not.toContain('requestSubscribeMessage')
  expect(text(page)).toContain('已排队候补，您是第2位')
  expect(text(page)).not.toContain('预约码')
})

test('opened from the official account\'s card (?deputy=ID) it shows the deputy\'s station\'s days', async () => {
  prepare([fx.slot(101, '09:00', 4)])
  fake.on('GET /api/v1/deputies/11', { status: 200, data: fx.deputy })
  const page = render('booking/index')
  await page.instance.onLoad({ deputy: '11' })
  expect(fake.requestsTo('GET /api/v1/reception-days')[0].query).toEqual({ station_id: '3', limit: '20' })
  expect(text(page)).toContain('09:00–09:30剩余4个座位')
})
