// 办理结果公开: summaries of closed items the staff published (no personal
// data), by station and category, and each station's counts over the last
// 12 months. Rates are shown only where the server gives them (enough
// items); under the minimum sample the page says so and shows the counts.
const api = require('../../utils/api')
const fmt = require('../../utils/format')
const { pageBehavior } = require('../../behaviors/page')

const ALL = { id: 0, name: '全部类别' }

function resultView(r) {
  return Object.assign({}, r, {
    resultShort: r.result.length > 60 ? `${r.result.slice(0, 60)}……` : r.result,
    filedLabel: fmt.dateCN(r.filed_on),
    closedLabel: fmt.dateCN(r.closed_on)
  })
}

function statsView(s) {
  return Object.assign({}, s, {
    window: `${fmt.dateCN(s.from)}至${fmt.dateCN(s.to)}`,
    items: s.items.map(i => Object.assign({}, i, {
      answeredRate: i.answered_rate === null ? '' : `（${fmt.percentCN(i.answered_rate)}）`,
      solvedRate: i.solved_rate === null ? '' : `（${fmt.percentCN(i.solved_rate)}）`,
      median: i.median_working_days === null ? '' : `${i.median_working_days} 个工作日`,
      small: i.answered_rate === null || i.solved_rate === null
    }))
  })
}

Component({
  behaviors: [pageBehavior],
  data: {
    tab: 'list', results: [], cursor: '', loading: true, stats: null,
    stationNames: ['全部联络站'], stationIndex: 0, categories: [ALL], categoryID: 0
  },
  methods: {
    onLoad() {
      this.stationIDs = [0]
      return Promise.all([this.loadStats(), this.load()])
    },

    async loadStats() {
      try {
        const s = await api.call('getResultStats')
        this.stationIDs = [0].concat(s.items.map(i => i.station_id))
        this.setData({ stats: statsView(s), stationNames: ['全部联络站'].concat(s.items.map(i => i.station_name)) })
      } catch (e) {
        this.showError(e)
      }
    },

    async load(cursor) {
      const query = {}
      const station = this.stationIDs[this.data.stationIndex]
      if (station) query.station_id = station
      if (this.data.categoryID) query.category_id = this.data.categoryID
      if (cursor) query.cursor = cursor
      try {
        const r = await api.call('listResults', { query })
        const items = r.items.map(resultView)
        this.setData({ results: cursor ? this.data.results.concat(items) : items, cursor: r.next_cursor, loading: false })
        this.learnCategories(r.items)
      } catch (e) {
        this.setData({ loading: false })
        this.showError(e)
      }
    },

    // learnCategories offers, as filters, the categories of the results
    // seen so far (the results name their category by id).
    learnCategories(items) {
      const known = this.data.categories.slice()
      items.forEach(r => { if (!known.some(c => c.id === r.category.id)) known.push(r.category) })
      if (known.length !== this.data.categories.length) this.setData({ categories: known })
    },

    switchTo(e) { this.setData({ tab: e.currentTarget.dataset.tab }) },
    pickStation(e) {
      this.setData({ stationIndex: Number(e.detail.value) })
      return this.load()
    },
    pickCategory(e) {
      this.setData({ categoryID: e.currentTarget.dataset.id })
      return this.load()
    },
    more() { return this.load(this.data.cursor) },
    open(e) { wx.navigateTo({ url: `/pages/results/detail?id=${e.currentTarget.dataset.id}` }) }
  }
})
