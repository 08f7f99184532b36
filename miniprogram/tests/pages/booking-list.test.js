// 我的预约 and one booking: states, the QR the desk scans, cancel with a
// confirm, move.
const { render, text, tap, find, declineThenConfirm } = require('../helpers/render')
const fx = require('../helpers/fixtures')

function prepare() {
  fake.on('GET /api/v1/bookings', { status: 200, data: { items: [fx.booking(), fx.booking({ id: 502, status: 'waitlisted', waitlist_position: 3, checkin_code: 'P3Q4R5', slot: fx.slot(102, '09:30', 0) }), fx.booking({ id: 400, status: 'checked_in', date: '2026-05-11' })], next_cursor: '' } })
}

test('my bookings: states, waitlist place, the QR image from the server', async () => {
  prepare()
  fake.on('GET /api/v1/bookings/501/qr.png', { status: 200 })
  const page = render('booking/list')
  await page.instance.onLoad()
  await fake.settle()
  const t = text(page)
  expect(t).toContain('6月10日周三09:00–09:30已预约')
  expect(t).toContain('排队候补')
  expect(t).toContain('您排在候补第3位，有人取消时会自动给您补上。')
  expect(t).toContain('5月11日周一09:00–09:30已签到')
  expect(page.querySelector('#booking-502').querySelector('#show-502')).toBeUndefined()
  expect(page.querySelector('#booking-400').querySelector('#cancel-400')).toBeUndefined()

  await tap(page, '#booking-501 >>> #show-501')
  await fake.settle()
  const [dl] = fake.requestsTo('GET /api/v1/bookings/501/qr.png')
  expect(dl.kind).toBe('downloadFile')
  expect(dl.header.Authorization).toBe('Bearer token-for-wx-code-1')
  const card = find(page, '#booking-501')
  expect(card.instance.data.qr).toBe('wxfile://tmp/download-3.png')
  expect(card.dom.textContent).toContain('请把这个码给工作人员扫')
})

test('cancel asks first, then cancels; move opens the booking page for that booking', async () => {
  prepare()
  fake.on('DELETE /api/v1/bookings/501', { status: 200, data: fx.booking({ status: 'cancelled', cancelled_at: '2026-06-03T08:00:00+08:00' }) })
  const page = render('booking/list')
  await page.instance.onLoad()
  await fake.settle()
  const asked = await declineThenConfirm(page, '#booking-501 >>> #cancel-501', 'DELETE /api/v1/bookings/501')
  expect(asked).toBe('确定要取消这次预约吗？座位会让给排队的人。')
  expect(find(page, '#booking-501').dom.textContent.replace(/\s+/g, '')).toContain('6月10日周三09:00–09:30已取消')
  expect(find(page, '#booking-501').querySelector('#cancel-501')).toBeUndefined()

  await tap(page, '#booking-502 >>> #move-502')
  expect(fake.state.navigated).toBe('/pages/booking/index?station=3&move=502')
})

test('a booking notice opens the booking with its QR ready', async () => {
  fake.on('GET /api/v1/bookings/501', { status: 200, data: fx.booking() })
  fake.on('GET /api/v1/bookings/501/qr.png', { status: 200 })
  const page = render('booking/detail')
  await page.instance.onLoad({ id: '501' })
  await fake.settle()
  expect(fake.requestsTo('GET /api/v1/bookings/501/qr.png')).toHaveLength(1)
  expect(find(page, '#booking').dom.textContent).toContain('请把这个码给工作人员扫')
  expect(find(page, '#booking').querySelector('#show-501')).toBeUndefined()
})

test('a QR the server refuses (the booking was cancelled meanwhile) shows the server\'s sentence', async () => {
  fake.on('GET /api/v1/bookings/501', { status: 200, data: fx.booking() })
  fake.on('GET /api/v1/bookings/501/qr.png', fx.apiError(404, 'booking_not_active', '这个预约已经取消，没有预约码'))
  const page = render('booking/detail')
  await page.instance.onLoad({ id: '501' })
  await fake.settle()
  expect(find(page, '#booking').dom.textContent).toContain('这个预约已经取消，没有预约码')
  expect(find(page, '#booking').instance.data.qr).toBe('')
})

test('moving a booking sends PATCH with the new slot and asks no consent', async () => {
  fake.on('GET /api/v1/reception-days', { status: 200, data: { items: [fx.day([fx.slot(101, '09:00', 2), fx.slot(103, '10:00', 2)])], next_cursor: '' } })
  fake.on('PATCH /api/v1/bookings/502', { status: 200, data: fx.booking({ id: 502, slot: fx.slot(103, '10:00', 1) }) })
  const page = render('booking/index')
  await page.instance.onLoad({ station: '3', move: '502' })
  expect(text(page)).toContain('请选一个新的时间')
  await tap(page, '#slot-103')
  await tap(page, '#submit')
  await fake.settle()
  expect(fake.requestsTo('PATCH /api/v1/bookings/502')[0].data).toEqual({ slot_id: 103 })
  expect(fake.state.calls).not.toContain('requestSubscribeMessage')
  expect(fake.requestsTo('GET /api/v1/subscriptions')).toHaveLength(0)
  expect(text(page)).toContain('已改好时间6月10日10:00–10:30')
})
