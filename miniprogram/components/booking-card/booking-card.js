// One of the voter's bookings: its state (and waitlist place), the QR the
// desk scans (an image the server renders, fetched with the session), and
// cancel (after a confirm) and move.
const api = require('../../utils/api')
const fmt = require('../../utils/format')

const STATUS = { confirmed: '已预约', waitlisted: '排队候补', cancelled: '已取消', checked_in: '已签到', no_show: '没有到场' }

// bookingView is a booking with its Chinese labels.
function bookingView(b) {
  return Object.assign({}, b, {
    when: `${fmt.dateCN(b.date)} ${fmt.weekdayCN(b.date)} ${fmt.slotCN(b.slot)}`,
    statusLabel: STATUS[b.status] || b.status,
    waitLabel: b.status === 'waitlisted' ? `您排在候补第 ${b.waitlist_position} 位，有人取消时会自动给您补上。` : '',
    active: b.status === 'confirmed' || b.status === 'waitlisted'
  })
}

Component({
  properties: {
    booking: { type: Object, value: null, observer(b) { if (b) this.setData({ b: bookingView(b) }) } },
    // openQr opens the QR at once (the booking's own page).
    openQr: { type: Boolean, value: false }
  },
  data: { b: {}, qr: '', error: '' },
  lifetimes: {
    attached() {
      if (this.data.openQr && this.data.booking && this.data.booking.status === 'confirmed') this.showQR()
    }
  },
  methods: {
    async showQR() {
      this.setData({ error: '' })
      try {
        const r = await api.call('getBookingQR', { params: { id: this.data.b.id } })
        this.setData({ qr: r.tempFilePath })
      } catch (e) {
        this.setData({ error: e.message })
      }
    },

    move() {
      wx.navigateTo({ url: `/pages/booking/index?station=${this.data.b.station.id}&move=${this.data.b.id}` })
    },

    cancel() {
      return new Promise(resolve => {
        wx.showModal({
          title: '取消预约',
          content: '确定要取消这次预约吗？座位会让给排队的人。',
          confirmText: '取消预约',
          cancelText: '不取消',
          success: res => resolve(res.confirm ? this.doCancel() : null)
        })
      })
    },

    async doCancel() {
      this.setData({ error: '' })
      try {
        const b = await api.call('cancelBooking', { params: { id: this.data.b.id } })
        this.setData({ b: bookingView(b), qr: '' })
        this.triggerEvent('change', { booking: b })
        wx.showToast({ title: '已取消', icon: 'success' })
      } catch (e) {
        this.setData({ error: e.message })
      }
    }
  }
})
