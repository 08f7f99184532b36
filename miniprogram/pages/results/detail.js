// One published result (办理结果公开), with the photos the person shown
// agreed to publish.
const api = require('../../utils/api')
const fmt = require('../../utils/format')
const { pageBehavior } = require('../../behaviors/page')

Component({
  behaviors: [pageBehavior],
  data: { r: null },
  methods: {
    async onLoad(query) {
      try {
        const r = await api.call('getResult', { params: { id: query.id } })
        this.setData({
          r: Object.assign({}, r, {
            photoURLs: (r.photos || []).map(p => api.imageURL(p.url)).filter(Boolean),
            filedLabel: fmt.dateCN(r.filed_on),
            closedLabel: fmt.dateCN(r.closed_on),
            publishedLabel: fmt.dateCN(r.published_on)
          })
        })
      } catch (e) {
        this.showError(e)
      }
    },
    preview(e) { wx.previewImage({ urls: this.data.r.photoURLs, current: e.currentTarget.dataset.url }) }
  }
})
