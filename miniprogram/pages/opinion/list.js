// 我的意见: the voter's opinions, newest first; tap one for its timeline.
const api = require('../../utils/api')
const fmt = require('../../utils/format')
const { pageBehavior } = require('../../behaviors/page')

function view(o) {
  const summary = o.content.length > 40 ? `${o.content.slice(0, 40)}……` : o.content
  return Object.assign({}, o, { summary, when: fmt.dateCN(o.created_at), can_rate: o.can_rate || [] })
}

Component({
  behaviors: [pageBehavior],
  data: { opinions: [], cursor: '', loading: true },
  methods: {
    onLoad() { return this.load() },
    async load(cursor) {
      try {
        const r = await api.call('listOpinions', { query: cursor ? { cursor } : {} })
        const items = r.items.map(view)
        this.setData({ opinions: cursor ? this.data.opinions.concat(items) : items, cursor: r.next_cursor, loading: false })
      } catch (e) {
        this.setData({ loading: false })
        this.showError(e)
      }
    },
    more() { return this.load(this.data.cursor) },
    open(e) { wx.navigateTo({ url: `/pages/opinion/detail?id=${e.currentTarget.dataset.id}` }) },
    write() { wx.navigateTo({ url: '/pages/opinion/new' }) }
  }
})
