// Rating the reply and answering "解决了吗？".
const { render, text, tap } = require('../helpers/render')
const fx = require('../helpers/fixtures')

const replied = fx.opinion({
  status: 'replied', status_label: '已答复', reply: '已联系市政部门疏通排水管，6月8日完工。',
  replied_at: '2026-06-09T15:20:00+08:00', can_rate: ['reply'],
  timeline: [
    { at: '2026-06-02T10:00:00+08:00', kind: 'submitted', round: 1, text: '您提交了意见' },
    { at: '2026-06-03T09:00:00+08:00', kind: 'accepted', round: 1, text: '联络站已受理' },
    { at: '2026-06-09T15:20:00+08:00', kind: 'replied', round: 1, text: '联络站已答复' }
  ]
})

test('rating the reply: consent asked first in the tap, the rating sent, the opinion shown after it', async () => {
  fake.on('GET /api/v1/opinions/42', { status: 200, data: replied })
  fake.on('GET /api/v1/subscriptions', fx.consents(['tmpl-result', 'tmpl-ask-result']))
  fake.on('POST /api/v1/subscriptions', { status: 200, data: { items: [], next_cursor: '' } })
  const after = Object.assign({}, replied, { can_rate: [], ratings: [{ round: 1, stage: 'reply', score: 'satisfied', score_label: '满意', at: '2026-06-09T16:00:00+08:00' }] })
  fake.on('POST /api/v1/opinions/42/ratings', { status: 201, data: { rating: after.ratings[0], opinion: after } })
  const page = render('opinion/detail')
  await page.instance.onLoad({ id: '42' })
  const t = text(page)
  expect(t).toContain('已联系市政部门疏通排水管，6月8日完工。')
  expect(t).toContain('6月9日15:20答复')
  expect(t).toContain('6月3日09:00联络站已受理')
  expect(t).toContain('您对这个答复满意吗？')
  expect(page.querySelector('#rate-result')).toBeUndefined()
  expect(fake.requestsTo('GET /api/v1/subscriptions')[0].query).toEqual({ moment: 'replied' })

  const before = fake.state.calls.length
  await tap(page, '#reply-satisfied')
  await fake.settle()
  expect(fake.state.calls[before]).toBe('requestSubscribeMessage')
  expect(fake.state.subscribeAsked).toEqual(['tmpl-result', 'tmpl-ask-result'])
  expect(fake.requestsTo('POST /api/v1/opinions/42/ratings')[0].data).toEqual({ stage: 'reply', score: 'satisfied' })
  expect(page.querySelector('#rate-reply')).toBeUndefined()
  expect(text(page)).toContain('谢谢您的评价')
  expect(text(page)).toContain('第1轮答复：满意')
})

test('"解决了吗？" answered "没有解决" reopens the item; a second rating is refused with the server\'s sentence', async () => {
  const asking = Object.assign({}, replied, { can_rate: ['result'], ratings: [{ round: 1, stage: 'reply', score: 'satisfied', score_label: '满意', at: '2026-06-09T16:00:00+08:00' }] })
  const reopened = Object.assign({}, asking, { status: 'reopened', status_label: '重新办理', round: 2, can_rate: [] })
  fake.on('GET /api/v1/opinions/42', { status: 200, data: asking })
  fake.on('GET /api/v1/subscriptions', fx.consents([]))
  fake.on('POST /api/v1/opinions/42/ratings', [
    { status: 201, data: { rating: { round: 1, stage: 'result', score: 'unsatisfied', score_label: '不满意', at: '2026-06-20T09:00:00+08:00' }, opinion: reopened } },
    fx.apiError(409, 'already_rated', '这一轮您已经评价过了')
  ])
  const page = render('opinion/detail')
  await page.instance.onLoad({ id: '42' })
  expect(text(page)).toContain('解决了吗？')
  expect(page.querySelector('#rate-reply')).toBeUndefined()

  await tap(page, '#result-unsatisfied')
  await fake.settle()
  expect(fake.requestsTo('POST /api/v1/opinions/42/ratings')[0].data).toEqual({ stage: 'result', score: 'unsatisfied' })
  expect(text(page)).toContain('已经记下，会再交给办理单位重新办理')
  expect(text(page)).toContain('重新办理')
  expect(page.querySelector('#rate-result')).toBeUndefined()

  // The same tap again (e.g. a second phone) is refused by the server.
  await page.instance.send('result', 'satisfied')
  expect(page.querySelector('#error').dom.textContent).toBe('这一轮您已经评价过了')
})

test('my opinions: newest first, with what waits for my rating', async () => {
  fake.on('GET /api/v1/opinions', { status: 200, data: { items: [fx.opinion({ status: 'replied', status_label: '已答复', can_rate: ['reply'] }), fx.opinion({ id: 41, tracking_no: 'YJ20260520-0007', content: '东街路灯不亮。晚上出门不安全，希望尽快修好。' })], next_cursor: '' } })
  const page = render('opinion/list')
  await page.instance.onLoad()
  const t = text(page)
  expect(t).toContain('生活服务已答复')
  expect(t).toContain('有答复了，请您评价')
  expect(t).toContain('YJ20260520-0007·6月2日提交')
  await tap(page, '.opinion')
  expect(fake.state.navigated).toBe('/pages/opinion/detail?id=42')
})
