// Chinese dates and times for the voter. The API's times are RFC 3339 in
// the deployment's own offset (Asia/Shanghai), so the wall-clock digits are
// read from the string itself and never shifted to the phone's zone.
const WEEKDAYS = '日一二三四五六'

function parts(s) {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?/.exec(s || '')
  if (!m) return null
  return { y: +m[1], mo: +m[2], d: +m[3], hh: m[4] || '', mm: m[5] || '' }
}

// dateCN: "2026-05-10" or an RFC 3339 time → "5月10日".
function dateCN(s) {
  const p = parts(s)
  return p ? `${p.mo}月${p.d}日` : ''
}

// weekdayCN: "2026-05-10" → "周日".
function weekdayCN(s) {
  const p = parts(s)
  if (!p) return ''
  return '周' + WEEKDAYS[new Date(Date.UTC(p.y, p.mo - 1, p.d)).getUTCDay()]
}

// timeHM: "2026-05-10T09:30:00+08:00" → "09:30".
function timeHM(s) {
  const p = parts(s)
  return p && p.hh ? `${p.hh}:${p.mm}` : ''
}

// dateTimeCN: "2026-05-10T09:30:00+08:00" → "5月10日 09:30".
function dateTimeCN(s) {
  const p = parts(s)
  if (!p) return ''
  return p.hh ? `${p.mo}月${p.d}日 ${p.hh}:${p.mm}` : `${p.mo}月${p.d}日`
}

// slotCN: a slot's time span, "09:00–09:30".
function slotCN(slot) {
  return `${timeHM(slot.start)}–${timeHM(slot.end)}`
}

// distanceCN: metres → "320米" or "1.2公里".
function distanceCN(m) {
  if (m === undefined || m === null) return ''
  if (m < 1000) return `${m}米`
  return `${(m / 1000).toFixed(1)}公里`
}

// percentCN: a rate in percent (87.5) → "87.5%".
function percentCN(r) {
  return `${Math.round(r * 10) / 10}%`
}

module.exports = { dateCN, weekdayCN, timeHM, dateTimeCN, slotCN, distanceCN, percentCN }
