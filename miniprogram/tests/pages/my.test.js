// 我的: large type kept in storage and applied to every page; my community;
// deleting my personal data after a confirm.
const { render, text, tap, fire, input, declineThenConfirm } = require('../helpers/render')

test('the large-type switch is kept and every page opens in large type', async () => {
  fake.on('GET /api/v1/me', { status: 200, data: { id: 7, phone_masked: '138****5678', community: { id: 5, name: '人民路社区' } } })
  const me = render('my/index')
  await me.instance.onLoad()
  expect(text(me)).toContain('人民路社区')
  expect(text(me)).toContain('138****5678')
  expect(me.data.large).toBe(false)
  await fire(me, '#large', 'change', { value: true })
  expect(fake.state.storage.largeType).toBe(true)
  expect(me.querySelector('.page').dom.className).toContain('large')

  const other = render('my/privacy')
  expect(other.data.large).toBe(true)
  expect(other.querySelector('.page').dom.className).toContain('large')
})

test('deleting my data: nothing without the confirm; then DELETE /api/v1/me and the session forgotten', async () => {
  fake.on('GET /api/v1/me', { status: 200, data: { id: 7, phone_masked: '138****5678', community: null } })
  fake.on('DELETE /api/v1/me', { status: 204, data: '' })
  const me = render('my/index')
  await me.instance.onLoad()
  const asked = await declineThenConfirm(me, '#delete', 'DELETE /api/v1/me')
  expect(asked).toBe('删除后不能恢复。还没到的预约会被取消。确定删除吗？')
  expect(fake.state.storage.session).toBeUndefined()
  expect(text(me)).toContain('您的个人信息已经删除')
})

test('declaring my community: search, pick, saved', async () => {
  fake.on('GET /api/v1/communities', { status: 200, data: { items: [{ id: 5, name: '人民路社区', district: '城关镇' }] } })
  fake.on('PUT /api/v1/me/community', { status: 200, data: { id: 7, phone_masked: '', community: { id: 5, name: '人民路社区' } } })
  const page = render('my/community')
  await tap(page, '#search')
  expect(page.querySelector('#error').dom.textContent).toBe('请先输入村或社区的名字')
  await input(page, '#q', '人民路')
  await tap(page, '#search')
  await fake.settle()
  expect(fake.requestsTo('GET /api/v1/communities')[0].query).toEqual({ q: '人民路' })
  await tap(page, '#community-5')
  await fake.settle()
  expect(fake.requestsTo('PUT /api/v1/me/community')[0].data).toEqual({ community_id: 5 })
  expect(fake.state.calls).toContain('navigateBack')
})
