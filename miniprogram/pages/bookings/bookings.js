// 我的预约: the voter's bookings with their state, the QR the desk scans
// (an image the server renders), cancel and move.
const api = require('../../utils/api')
const fmt = require('../../utils/format')
const { pageBehavior } = require('../../behaviors/page')

const STATUS = { confirmed: '已预约', waitlisted: '排队候补', cancelled: '已取消', checked_in: '已签到', no_show: '没有到场' }

function view(b) {
  let statusLabel = STATUS[b.status] || b.status
  if (b.status === 'waitlisted') statusLabel = `排队候补第 ${b.waitlist_position} 位`
  return Object.assign({}, b, {
    when: `${fmt.dateCN(b.date)} ${fmt.weekdayCN(b.date)} ${fmt.slotCN(b.slot)}`,
    statusLabel,
    active: b.status === 'confirmed' || b.status === 'waitlisted'
  })
}

Component({
  behaviors: [pageBehavior],
  data: { bookings: [], cursor: '', qr: null, loading: true },
  methods: {
    onLoad() { return this.load() },
    onShow() {
      this.applyLarge()
      // Back from moving a booking: show the new time.
      if (this.loaded) return this.load()
      return Promise.resolve()
    },

    async load(cursor) {
      try {
        const r = await api.call('listBookings', { query: cursor ? { cursor } : {} })
        const items = r.items.map(view)
        this.setData({ bookings: cursor ? this.data.bookings.concat(items) : items, cursor: r.next_cursor, loading: false })
        this.loaded = true
      } catch (e) {
        this.setData({ loading: false })
        this.showError(e)
      }
    },

    more() { return this.load(this.data.cursor) },

    async showQR(e) {
      const { id, code } = e.currentTarget.dataset
      this.clearError()
      try {
        const r = await api.call('getBookingQR', { params: { id } })
        this.setData({ qr: { src: r.tempFilePath, code } })
      } catch (err) {
        this.showError(err)
      }
    },

    closeQR() { this.setData({ qr: null }) },

    move(e) {
      const { id, station } = e.currentTarget.dataset
      wx.navigateTo({ url: `/pages/booking/booking?station_id=${station}&move=${id}` })
    },

    cancel(e) {
      const id = e.currentTarget.dataset.id
      return new Promise(resolve => {
        wx.showModal({
          title: '取消预约',
          content: '确定要取消这次预约吗？座位会让给排队的人。',
          confirmText: '取消预约',
          cancelText: '不取消',
          success: res => resolve(res.confirm ? this.doCancel(id) : null)
        })
      })
    },

    async doCancel(id) {
      this.clearError()
      try {
        const b = await api.call('cancelBooking', { params: { id } })
        this.setData({ bookings: this.data.bookings.map(x => (x.id === b.id ? view(b) : x)) })
        wx.showToast({ title: '已取消', icon: 'success' })
      } catch (err) {
        this.showError(err)
      }
    }
  }
})
