// The scan landing: a code's scene (or ?code= from a list) opens the
// deputy's or the station's card; a retired deputy's code opens their
// station's card with a notice; a ballot slip (scene "b=<code>") opens the
// ballot.
const api = require('../../utils/api')
const { pageBehavior } = require('../../behaviors/page')
const { nextDay } = require('../../utils/reception')

// sceneOf reads what opened the page: the mini-program code's scene
// (URL-encoded by WeChat) or a code passed by another page.
function sceneOf(query) {
  const scene = query.scene ? decodeURIComponent(query.scene) : ''
  const m = /^([a-z])=(.+)$/.exec(scene)
  if (m) return { kind: m[1], code: m[2] }
  return { kind: 'c', code: scene || query.code || '' }
}

// reviewView is one published review of the deputy: its title and the
// share of 满意 over all marks, with the number of ballots beside it.
function reviewView(r) {
  let yes = 0
  let all = 0
  r.counts.forEach(c => { yes += c.satisfied; all += c.satisfied + c.fair + c.unsatisfied })
  const share = all ? `满意 ${Math.round((yes / all) * 1000) / 10}%，` : ''
  return { id: r.id, title: r.title, summary: `${share}${r.ballots} 张票` }
}

Component({
  behaviors: [pageBehavior],
  data: { loading: true, deputy: null, station: null, activities: [], year: 0, next: null, notice: '', code: '', reviews: [] },
  methods: {
    onLoad(query) {
      const { kind, code } = sceneOf(query || {})
      if (kind === 'b') {
        wx.redirectTo({ url: `/pages/ballot/index?code=${encodeURIComponent(code)}` })
        return Promise.resolve()
      }
      return this.open(code)
    },

    async open(code) {
      this.setData({ code })
      try {
        if (!code) throw new Error('没有读到二维码上的编号，请重新扫码')
        const v = await api.call('resolveCode', { params: { code } })
        const data = { station: v.station, notice: v.notice || '', deputy: null, activities: [] }
        let deputyID = 0
        if (v.kind === 'deputy' && v.deputy) {
          const d = await api.call('getDeputy', { params: { id: v.deputy.id } })
          deputyID = d.id
          data.deputy = Object.assign({}, d, { photo: api.imageURL(d.photo_url) })
          data.activities = (d.activities && d.activities.counts) || []
          data.year = (d.activities && d.activities.year) || new Date().getFullYear()
          data.reviews = (d.reviews || []).map(reviewView)
        }
        data.next = await nextDay(v.station.id, deputyID)
        data.loading = false
        this.setData(data)
      } catch (e) {
        this.setData({ loading: false })
        this.showError(e)
      }
    },

    openReview(e) {
      wx.navigateTo({ url: `/pages/review/result?id=${e.currentTarget.dataset.id}` })
    },

    book() {
      wx.navigateTo({ url: `/pages/booking/index?station=${this.data.station.id}` })
    },

    write() {
      wx.navigateTo({ url: `/pages/opinion/new?code=${encodeURIComponent(this.data.code)}&name=${encodeURIComponent(this.data.station.name)}` })
    }
  }
})
