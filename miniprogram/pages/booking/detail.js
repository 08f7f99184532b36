// One booking (pages/booking/detail?id=N): where the booking notices
// (预约结果, 接待提醒) lead, with the QR ready to show at the desk.
const api = require('../../utils/api')
const { pageBehavior } = require('../../behaviors/page')

Component({
  behaviors: [pageBehavior],
  data: { booking: null },
  methods: {
    async onLoad(query) {
      try {
        this.setData({ booking: await api.call('getBooking', { params: { id: query.id } }) })
      } catch (e) {
        this.showError(e)
      }
    },
    all() { wx.navigateTo({ url: '/pages/booking/list' }) }
  }
})
