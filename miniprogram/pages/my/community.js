// Declaring my community (村/社区): type part of its name, pick it.
const api = require('../../utils/api')
const { pageBehavior } = require('../../behaviors/page')

Component({
  behaviors: [pageBehavior],
  data: { q: '', items: [], searched: false },
  methods: {
    onInput(e) { this.setData({ q: e.detail.value }) },

    async search() {
      const q = this.data.q.trim()
      if (!q) {
        this.showError('请先输入村或社区的名字')
        return
      }
      this.clearError()
      try {
        const r = await api.call('listCommunities', { query: { q } })
        this.setData({ items: r.items, searched: true })
      } catch (e) {
        this.showError(e)
      }
    },

    pick(e) { return this.save(e.currentTarget.dataset.id, e.currentTarget.dataset.name) },
    clear() { return this.save(null, '') },

    async save(id, name) {
      this.clearError()
      try {
        await api.call('setMyCommunity', { body: { community_id: id } })
        wx.showToast({ title: name ? `已设为${name}` : '已清除', icon: 'none' })
        wx.navigateBack()
      } catch (e) {
        this.showError(e)
      }
    }
  }
})
