// Answers of the API as handlers/api/openapi.json describes them.
const stationRef = { id: 3, name: '城关镇人民路代表联络站' }

const station = {
  id: 3, name: stationRef.name, kind: 'station', kind_label: '代表联络站', address: '城关镇人民路 18 号',
  district: '城关镇', open_hours: '每月10日 9:00–11:30', lat: 30.6, lng: 114.3, code: 'ST3CODE2',
  deputies: [{ id: 11, name: '王建国', level: 'county', level_label: '县级', code: 'K7M2QXAB' }]
}

const deputy = {
  id: 11, name: '王建国', level: 'county', level_label: '县级', code: 'K7M2QXAB', status: 'active',
  duties: '城关镇人民路社区党委书记', pledge: '每月进站接待一次，有事必回。', photo_url: '/api/v1/deputies/11/photo?v=3',
  station: stationRef, stations: [stationRef]
}

function slot(id, hhmm, remaining, capacity = 5) {
  const [h, m] = hhmm.split(':').map(Number)
  const end = `${String(h + (m === 30 ? 1 : 0)).padStart(2, '0')}:${m === 30 ? '00' : '30'}`
  return { id, start: `2026-06-10T${hhmm}:00+08:00`, end: `2026-06-10T${end}:00+08:00`, capacity, remaining, waitlisted: 0 }
}

function day(slots, extra = {}) {
  return Object.assign({
    id: 21, date: '2026-06-10', status: 'open', station: stationRef, deputies: [{ id: 11, name: '王建国', level: 'county', level_label: '县级', code: 'K7M2QXAB' }],
    slots, booking_opens_at: '2026-06-01T08:00:00+08:00', booking_closes_at: '2026-06-09T18:00:00+08:00', booking_open: true, waitlist: false
  }, extra)
}

function booking(extra = {}) {
  return Object.assign({
    id: 501, status: 'confirmed', checkin_code: 'K7M2QX', topic: '', date: '2026-06-10',
    slot: slot(101, '09:00', 4), station, created_at: '2026-06-02T10:00:00+08:00'
  }, extra)
}

function apiError(status, code, message) {
  return { status, data: { error: { code, message } } }
}

function consents(ids) {
  return { status: 200, data: { items: ids.map(id => ({ template_id: id, remaining: 0, long_term: false })), next_cursor: '' } }
}

const categories = {
  items: [
    { code: 'shenghuo', name: '生活服务', hint: '水电气暖、物业、环境卫生', fields: [] },
    { code: 'lifa', name: '立法意见', hint: '对法律法规草案的意见', fields: [{ key: 'law_name', label: '法规草案名称', hint: '例如：村民委员会组织法（修订草案）', required: true, max_len: 100 }] }
  ],
  next_cursor: ''
}

function opinion(extra = {}) {
  return Object.assign({
    id: 42, tracking_no: 'YJ20260602-0042', status: 'submitted', status_label: '已提交', category: 'shenghuo', category_name: '生活服务',
    content: '人民路小区门口下雨就积水，老人出门不方便。', anonymous: false, station: stationRef, route_reason: '您扫码的代表所在联络站',
    round: 1, accept_due_at: '2026-06-05T18:00:00+08:00', reply_due_at: '2026-06-19T18:00:00+08:00',
    created_at: '2026-06-02T10:00:00+08:00', can_rate: [],
    timeline: [{ at: '2026-06-02T10:00:00+08:00', kind: 'submitted', round: 1, text: '您提交了意见' }]
  }, extra)
}

module.exports = { stationRef, station, deputy, slot, day, booking, apiError, consents, categories, opinion }
