// A station's page: its card (address, hours, next reception day, its
// deputies) and the two actions.
const api = require('../../utils/api')
const { pageBehavior } = require('../../behaviors/page')
const { nextDay } = require('../../utils/reception')

Component({
  behaviors: [pageBehavior],
  data: { station: null, next: null },
  methods: {
    async onLoad(query) {
      try {
        const station = await api.call('getStation', { params: { id: query.id } })
        const next = await nextDay(station.id, 0)
        this.setData({ station, next })
      } catch (e) {
        this.showError(e)
      }
    },
    book() { wx.navigateTo({ url: `/pages/booking/index?station=${this.data.station.id}` }) },
    write() {
      const s = this.data.station
      wx.navigateTo({ url: `/pages/opinion/new?station=${s.id}&name=${encodeURIComponent(s.name)}` })
    }
  }
})
