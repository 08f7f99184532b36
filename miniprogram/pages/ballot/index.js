// The ballot of a review (述职评议): a one-time slip's code (its QR holds
// the link <baseURL>/b/<code>, which WeChat's 扫一扫 opens here, or
// "b=<code>": utils/slip.js; scanned here or on the home page, or typed
// from the slip) opens the review's subjects and
// dimensions; every subject gets a mark on every dimension, as big
// buttons. The ballot is anonymous: the server keeps no link to the voter
// beyond a keyed hash that stops a second ballot.
const api = require('../../utils/api')
const fmt = require('../../utils/format')
const { Attempt } = require('../../utils/attempt')
const { pageBehavior } = require('../../behaviors/page')
const slip = require('../../utils/slip')

const RATINGS = [
  { value: 'satisfied', label: '满意' },
  { value: 'fair', label: '基本满意' },
  { value: 'unsatisfied', label: '不满意' }
]
// SPENT are the refusals after which this slip cannot vote.
const SPENT = ['slip_used', 'already_voted', 'review_closed', 'slip_unknown']

Component({
  behaviors: [pageBehavior],
  data: { review: null, subjects: [], ratings: RATINGS, canVote: false, done: '', closedNote: '', busy: false, retry: false, asking: false, typed: '' },
  methods: {
    onLoad(query) {
      this.comments = {}
      this.attempt = new Attempt()
      return this.openSlip(slip.slipOfQuery(query))
    },

    onTyped(e) { this.setData({ typed: e.detail.value }) },
    openTyped() { return this.open(this.data.typed.trim()) },
    scan() {
      return new Promise(resolve => {
        wx.scanCode({
          onlyFromCamera: true,
          success: res => resolve(this.openSlip(slip.slipOf(res.result) || { code: (res.result || '').trim() })),
          fail: () => resolve()
        })
      })
    },

    // openSlip opens what slip.slipOf read; another site's link is refused
    // here, and the page asks for a slip.
    openSlip(s) {
      if (!s.foreign) return this.open(s.code)
      this.setData({ asking: true })
      this.showError(slip.FOREIGN)
    },

    // open opens the slip's ballot; without a code it asks for one.
    async open(code) {
      this.code = code
      this.setData({ asking: !code, error: '' })
      if (!code) return
      try {
        const r = await api.call('openBallotSlip', { body: { code } })
        this.setData({ asking: false })
        this.show(r)
      } catch (e) {
        this.setData({ asking: e.code === 'slip_unknown' })
        this.showError(e)
      }
    },

    show(r) {
      const rv = r.review
      const dims = rv.dimensions || []
      const subjects = rv.subjects.map(s => ({
        id: s.id, name: s.name, duties: s.duties || '', photo: api.imageURL(s.photo_url),
        dims: dims.map((label, index) => ({ index, label, rating: '' }))
      }))
      let closedNote = ''
      if (rv.status === 'scheduled') closedNote = `评议还没有开始，${fmt.dateTimeCN(rv.opens_at)}开始投票，到时请再扫一次。`
      if (rv.status === 'closed') closedNote = '本次评议已经结束。'
      if (r.already_voted) closedNote = '您已经在本次评议中投过票了，每人只能投一次。'
      this.setData({
        review: { id: rv.id, title: rv.title, when: fmt.dateCN(rv.date), place: rv.place, status: rv.status },
        subjects,
        closedNote,
        canVote: rv.status === 'open' && !r.already_voted
      })
    },

    mark(e) {
      const { subject, dim, rating } = e.currentTarget.dataset
      const subjects = this.data.subjects.map(s => (s.id !== subject ? s : Object.assign({}, s, {
        dims: s.dims.map(d => (d.index === dim ? Object.assign({}, d, { rating }) : d))
      })))
      this.setData({ subjects })
    },

    onComment(e) { this.comments[e.currentTarget.dataset.subject] = e.detail.value },

    async submit() {
      if (this.data.busy) return
      const marks = []
      let missing = 0
      this.data.subjects.forEach(s => s.dims.forEach(d => {
        if (d.rating) marks.push({ subject_id: s.id, dimension: d.index, rating: d.rating })
        else missing++
      }))
      if (missing) {
        this.showError(`还有 ${missing} 项没有选，请每一项都选一个`)
        return
      }
      const comments = Object.keys(this.comments)
        .filter(id => this.comments[id].trim())
        .map(id => ({ subject_id: Number(id), text: this.comments[id].trim() }))
      this.setData({ busy: true, error: '' })
      try {
        const r = await api.call('castBallot', { body: { code: this.code, marks, comments }, idempotencyKey: this.attempt.key() })
        this.attempt.settle(null)
        this.setData({ busy: false, canVote: false, retry: false, done: r.message || '投票成功，谢谢您参加评议' })
      } catch (err) {
        this.attempt.settle(err)
        this.setData({ busy: false, retry: !!this.attempt.current, canVote: !SPENT.includes(err.code) })
        this.showError(err)
      }
    },

    result() { wx.navigateTo({ url: `/pages/review/result?id=${this.data.review.id}` }) }
  }
})
