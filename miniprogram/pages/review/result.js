// A review's published result: the number of ballots and, for each
// subject and dimension, how many marked 满意, 基本满意 and 不满意. Before it
// is published the server says so (result_not_published).
const api = require('../../utils/api')
const fmt = require('../../utils/format')
const { pageBehavior } = require('../../behaviors/page')

Component({
  behaviors: [pageBehavior],
  data: { review: null, ballots: 0, subjects: [] },
  methods: {
    async onLoad(query) {
      try {
        const r = await api.call('getReviewResult', { params: { id: query.id } })
        const dims = r.review.dimensions || []
        this.setData({
          review: { title: r.review.title, when: fmt.dateCN(r.review.date), place: r.review.place },
          ballots: r.ballots,
          subjects: r.subjects.map(s => ({
            id: s.subject.id,
            name: s.subject.name,
            // A dimension comes as its name or as its place in the review's list.
            counts: s.counts.map(c => Object.assign({}, c, { dimension: typeof c.dimension === 'number' ? dims[c.dimension] : c.dimension }))
          }))
        })
      } catch (e) {
        this.showError(e)
      }
    }
  }
})
