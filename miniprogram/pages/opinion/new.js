// Writing an opinion (我要留言), opened with ?code= (a scanned code; the
// official account's links too), or ?station=ID, and ?name= to say where
// it goes: category, text, up to 3 photos (compressed
// on the phone, then uploaded), a place, a phone number if the voter wants;
// the tracking number on success. A retry after a network failure sends
// the same Idempotency-Key (and does not upload the photos again), so the
// opinion is filed once.
const api = require('../../utils/api')
const fmt = require('../../utils/format')
const consent = require('../../utils/consent')
const { Attempt } = require('../../utils/attempt')
const { pageBehavior } = require('../../behaviors/page')

const MAX_PHOTOS = 3

function choose(fn, opts) {
  return new Promise((resolve, reject) => fn(Object.assign({}, opts, { success: resolve, fail: reject })))
}

Component({
  behaviors: [pageBehavior],
  data: {
    categories: [], category: '', hint: '', fields: [], content: '', photos: [], place: null,
    phone: '', anonymous: false, busy: false, retry: false, done: null, stationName: ''
  },
  methods: {
    onLoad(query) {
      this.code = query.code || ''
      this.stationID = Number(query.station || 0)
      this.extra = {}
      this.uploaded = {}
      this.attempt = new Attempt()
      this.tmplIds = []
      this.setData({ stationName: query.name ? decodeURIComponent(query.name) : '' })
      return Promise.all([
        this.loadCategories(),
        consent.templatesFor('filing').then(ids => { this.tmplIds = ids }),
        api.call('getMe').then(me => this.setData({ phone: me.phone_masked || '' }), () => {})
      ])
    },

    async loadCategories() {
      try {
        const r = await api.call('listCategories')
        this.setData({ categories: r.items })
      } catch (e) {
        this.showError(e)
      }
    },

    pickCategory(e) {
      const c = this.data.categories.find(x => x.code === e.currentTarget.dataset.code)
      this.extra = {}
      this.setData({ category: c.code, hint: c.hint, fields: c.fields || [] })
    },
    onExtra(e) { this.extra[e.currentTarget.dataset.key] = e.detail.value },
    onContent(e) { this.setData({ content: e.detail.value }) },
    onAnonymous(e) { this.setData({ anonymous: e.detail.value }) },

    // addPhotos takes photos from the album or camera and compresses each
    // on the phone before it is kept for upload.
    async addPhotos() {
      this.clearError()
      try {
        const res = await choose(wx.chooseMedia, {
          count: MAX_PHOTOS - this.data.photos.length, mediaType: ['image'],
          sourceType: ['album', 'camera'], sizeType: ['compressed']
        })
        const photos = this.data.photos.slice()
        for (const f of res.tempFiles) {
          const small = await choose(wx.compressImage, { src: f.tempFilePath, quality: 70 })
          photos.push({ path: small.tempFilePath })
        }
        this.setData({ photos: photos.slice(0, MAX_PHOTOS) })
      } catch (e) {
        if (!/cancel/.test((e && e.errMsg) || '')) this.showError('没有选到照片。如果要加照片，请同意隐私保护指引后再试')
      }
    },

    removePhoto(e) {
      const photos = this.data.photos.slice()
      photos.splice(e.currentTarget.dataset.index, 1)
      this.setData({ photos })
    },

    async choosePlace() {
      this.clearError()
      try {
        const p = await choose(wx.chooseLocation, {})
        this.setData({ place: { name: p.name || p.address, lat: p.latitude, lng: p.longitude } })
      } catch (e) {
        if (!/cancel/.test((e && e.errMsg) || '')) this.showError('没有选到地点。如果要选地点，请同意隐私保护指引后再试')
      }
    },

    async onPhone(e) {
      if (!e.detail.code) return
      try {
        const me = await api.call('bindPhone', { body: { code: e.detail.code } })
        this.setData({ phone: me.phone_masked })
      } catch (err) {
        this.showError(err)
      }
    },

    // problem is what keeps the form from being sent, as a sentence.
    problem() {
      if (!this.data.category) return '请先选择是哪方面的事'
      for (const f of this.data.fields) {
        if (f.required && !(this.extra[f.key] || '').trim()) return `请填写${f.label}`
      }
      if (this.data.content.trim().length < 10) return '请至少写 10 个字，把事情说清楚'
      return ''
    },

    // submit asks for consent first (WeChat allows it only here, before
    // any wait), then uploads and files.
    submit() {
      if (this.data.busy) return Promise.resolve()
      const problem = this.problem()
      if (problem) {
        this.showError(problem)
        return Promise.resolve()
      }
      const asked = consent.ask(this.tmplIds)
      return Promise.all([this.file(), asked])
    },

    async file() {
      this.setData({ busy: true, error: '' })
      try {
        const body = { content: this.data.content.trim(), category: this.data.category, anonymous: this.data.anonymous }
        if (this.code) body.code = this.code
        if (this.stationID) body.station_id = this.stationID
        if (this.data.place) Object.assign(body, { lat: this.data.place.lat, lng: this.data.place.lng })
        const extra = {}
        Object.keys(this.extra).forEach(k => { if (this.extra[k].trim()) extra[k] = this.extra[k].trim() })
        if (Object.keys(extra).length) body.extra = extra
        const ids = await this.upload()
        if (ids.length) body.photo_ids = ids
        const o = await api.call('createOpinion', { body, idempotencyKey: this.attempt.key() })
        this.attempt.settle(null)
        this.setData({ busy: false, retry: false, done: Object.assign({}, o, { dueLabel: fmt.dateCN(o.reply_due_at) }) })
      } catch (e) {
        this.attempt.settle(e)
        this.setData({ busy: false, retry: !!this.attempt.current })
        this.showError(e)
      }
    },

    // upload sends the photos not yet uploaded and answers all their ids.
    async upload() {
      const ids = []
      for (const p of this.data.photos) {
        if (!this.uploaded[p.path]) {
          const u = await api.call('createUpload', { filePath: p.path })
          this.uploaded[p.path] = u.id
        }
        ids.push(this.uploaded[p.path])
      }
      return ids
    },

    viewDone() { wx.redirectTo({ url: `/pages/opinion/detail?id=${this.data.done.id}` }) }
  }
})
