// Booking: a station's reception days with their slots and seats left;
// pick a slot and book (or, from 我的预约, move a booking to it). The
// consent for the booking notices is asked inside the submit tap.
const api = require('../../utils/api')
const fmt = require('../../utils/format')
const consent = require('../../utils/consent')
const { Attempt } = require('../../utils/attempt')
const { pageBehavior } = require('../../behaviors/page')
const { dayView } = require('../../utils/reception')

// REFRESH are refusals after which the seats shown are out of date.
const REFRESH = ['slot_full', 'booking_closed', 'slot_not_found']

function doneView(b, moved) {
  const waitlist = b.status === 'waitlisted'
  let title = moved ? '已改好时间' : '预约成功'
  if (waitlist) title = `已排队候补，您是第 ${b.waitlist_position} 位`
  return {
    title,
    waitlist,
    code: waitlist ? '' : b.checkin_code,
    when: `${fmt.dateCN(b.date)} ${fmt.slotCN(b.slot)}`,
    station: b.station.name
  }
}

Component({
  behaviors: [pageBehavior],
  data: { days: [], selected: 0, topic: '', busy: false, done: null, moving: 0, showMine: false, loading: true },
  methods: {
    // onLoad takes ?station=ID, or ?deputy=ID (the deputy's station; the
    // official account's card links so), and ?move=<booking id>.
    onLoad(query) {
      this.stationID = Number(query.station || 0)
      this.deputyID = Number(query.deputy || 0)
      this.attempt = new Attempt()
      this.tmplIds = []
      const moving = Number(query.move || 0)
      this.setData({ moving })
      const loads = [this.loadDays()]
      if (!moving) loads.push(consent.templatesFor('booking').then(ids => { this.tmplIds = ids }))
      return Promise.all(loads)
    },

    async loadDays() {
      try {
        if (!this.stationID && this.deputyID) {
          const d = await api.call('getDeputy', { params: { id: this.deputyID } })
          this.stationID = d.station.id
        }
        const r = await api.call('listReceptionDays', { query: { station_id: this.stationID || undefined, limit: 20 } })
        this.setData({ days: r.items.map(dayView), loading: false })
      } catch (e) {
        this.setData({ loading: false })
        this.showError(e)
      }
    },

    pick(e) {
      const { id, disabled } = e.currentTarget.dataset
      if (disabled) return
      if (id !== this.data.selected) this.attempt = new Attempt()
      this.setData({ selected: id })
    },

    onTopic(e) { this.setData({ topic: e.detail.value }) },

    mine() { wx.navigateTo({ url: '/pages/booking/list' }) },

    // submit asks for consent first (WeChat allows it only here, before
    // any wait), then books.
    submit() {
      if (!this.data.selected || this.data.busy) return Promise.resolve()
      const asked = this.data.moving ? Promise.resolve([]) : consent.ask(this.tmplIds)
      return Promise.all([this.book(), asked])
    },

    async book() {
      this.setData({ busy: true, error: '', showMine: false })
      const slotID = this.data.selected
      try {
        let b
        if (this.data.moving) {
          b = await api.call('moveBooking', { params: { id: this.data.moving }, body: { slot_id: slotID } })
        } else {
          const body = { slot_id: slotID }
          if (this.data.topic.trim()) body.topic = this.data.topic.trim()
          b = await api.call('createBooking', { body, idempotencyKey: this.attempt.key() })
        }
        this.attempt.settle(null)
        this.setData({ done: doneView(b, !!this.data.moving), busy: false })
      } catch (e) {
        this.attempt.settle(e)
        this.setData({ busy: false, showMine: e.code === 'already_booked' })
        this.showError(e)
        if (REFRESH.includes(e.code)) {
          this.setData({ selected: 0 })
          await this.loadDays()
        }
      }
    }
  }
})
