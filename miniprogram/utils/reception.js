// Reception days as the pages show them.
const api = require('./api')
const fmt = require('./format')

// dayView is a reception day with its Chinese labels and its slots'.
function dayView(day) {
  return {
    id: day.id,
    date: day.date,
    label: `${fmt.dateCN(day.date)} ${fmt.weekdayCN(day.date)}`,
    station: day.station,
    deputies: (day.deputies || []).map(d => d.name).join('、'),
    bookingOpen: day.booking_open,
    opensLabel: fmt.dateTimeCN(day.booking_opens_at),
    slots: (day.slots || []).map(s => slotView(s, day))
  }
}

function slotView(s, day) {
  const full = s.remaining <= 0
  let seats = `剩余 ${s.remaining} 个座位`
  if (full) seats = day.waitlist ? '已约满，可以排队候补' : '已约满'
  return {
    id: s.id,
    time: fmt.slotCN(s),
    seats,
    full,
    disabled: !day.booking_open || (full && !day.waitlist)
  }
}

// nextDay is the first reception day of a station still to come (and,
// for a deputy, the first they are on duty at, if any), or null.
async function nextDay(stationID, deputyID) {
  const r = await api.call('listReceptionDays', { query: { station_id: stationID, limit: 10 } })
  const days = r.items || []
  const own = deputyID ? days.find(d => (d.deputies || []).some(p => p.id === deputyID)) : null
  const day = own || days[0]
  return day ? dayView(day) : null
}

module.exports = { dayView, nextDay }
