// 我的预约: the voter's bookings, newest first (each a booking-card).
const api = require('../../utils/api')
const { pageBehavior } = require('../../behaviors/page')

Component({
  behaviors: [pageBehavior],
  data: { bookings: [], cursor: '', loading: true },
  methods: {
    onLoad() { return this.load() },
    onShow() {
      this.applyLarge()
      // Back from moving a booking: show the new time.
      return this.loaded ? this.load() : Promise.resolve()
    },

    async load(cursor) {
      try {
        const r = await api.call('listBookings', { query: cursor ? { cursor } : {} })
        this.setData({ bookings: cursor ? this.data.bookings.concat(r.items) : r.items, cursor: r.next_cursor, loading: false })
        this.loaded = true
      } catch (e) {
        this.setData({ loading: false })
        this.showError(e)
      }
    },

    more() { return this.load(this.data.cursor) }
  }
})
