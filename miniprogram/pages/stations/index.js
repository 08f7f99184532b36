// Stations near me: the list, nearest first once the voter lets us use
// their location (wx.getLocation, after the privacy agreement).
const api = require('../../utils/api')
const fmt = require('../../utils/format')
const { pageBehavior } = require('../../behaviors/page')

function view(s) {
  return Object.assign({}, s, { distance: fmt.distanceCN(s.distance_m) })
}

Component({
  behaviors: [pageBehavior],
  data: { stations: [], cursor: '', located: false, loading: true },
  methods: {
    onLoad() { return this.load({}) },

    async load(query, append) {
      this.clearError()
      try {
        const r = await api.call('listStations', { query })
        const items = r.items.map(view)
        this.setData({ stations: append ? this.data.stations.concat(items) : items, cursor: r.next_cursor, loading: false })
        this.query = query
      } catch (e) {
        this.setData({ loading: false })
        this.showError(e)
      }
    },

    locate() {
      return new Promise(resolve => {
        wx.getLocation({
          type: 'gcj02',
          success: res => {
            this.setData({ located: true })
            resolve(this.load({ lat: res.latitude.toFixed(6), lng: res.longitude.toFixed(6) }))
          },
          fail: () => {
            this.showError('没有拿到您的位置，下面是全部联络站')
            resolve()
          }
        })
      })
    },

    more() { return this.load(Object.assign({}, this.query, { cursor: this.data.cursor }), true) },

    open(e) { wx.navigateTo({ url: `/pages/station/index?id=${e.currentTarget.dataset.id}` }) }
  }
})
