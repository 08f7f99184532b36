// One opinion: its timeline, the reply, and the two ratings the voter
// gives, the reply (满意吗？) and, later, the result (解决了吗？). On a
// replied item the consent for the result notices is asked in the rating
// tap.
const api = require('../../utils/api')
const fmt = require('../../utils/format')
const consent = require('../../utils/consent')
const { pageBehavior } = require('../../behaviors/page')

const STAGE = { reply: '答复', result: '结果' }

function view(o) {
  const canRate = o.can_rate || []
  return Object.assign({}, o, {
    repliedLabel: o.replied_at ? `${fmt.dateTimeCN(o.replied_at)}答复` : '',
    steps: (o.timeline || []).map(s => ({ when: fmt.dateTimeCN(s.at), text: s.text, detail: s.detail || '' })),
    ratingList: (o.ratings || []).map(r => `第 ${r.round} 轮${STAGE[r.stage]}：${r.score_label}`),
    canRate
  })
}

Component({
  behaviors: [pageBehavior],
  data: { o: null, rateReply: false, rateResult: false, thanks: '', busy: false },
  methods: {
    async onLoad(query) {
      this.id = query.id
      this.tmplIds = []
      try {
        const o = await api.call('getOpinion', { params: { id: this.id } })
        this.show(o)
        if (o.status === 'replied') this.tmplIds = await consent.templatesFor('replied')
      } catch (e) {
        this.showError(e)
      }
    },

    show(o) {
      const v = view(o)
      this.setData({ o: v, rateReply: v.canRate.includes('reply'), rateResult: v.canRate.includes('result') })
    },

    // rate asks for consent first (WeChat allows it only in the tap), then
    // records the rating.
    rate(e) {
      if (this.data.busy) return Promise.resolve()
      const { stage, score } = e.currentTarget.dataset
      const asked = consent.ask(this.tmplIds)
      this.tmplIds = []
      return Promise.all([this.send(stage, score), asked])
    },

    async send(stage, score) {
      this.setData({ busy: true, error: '', thanks: '' })
      try {
        const r = await api.call('rateOpinion', { params: { id: this.id }, body: { stage, score } })
        this.show(r.opinion)
        let thanks = '谢谢您的评价'
        if (stage === 'result' && score === 'unsatisfied') thanks = '已经记下，会再交给办理单位重新办理'
        this.setData({ busy: false, thanks })
      } catch (err) {
        this.setData({ busy: false })
        this.showError(err)
      }
    }
  }
})
