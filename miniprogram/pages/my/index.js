// 我的 (the official account's 我的事项 opens it): my bookings and opinions,
// the large-type switch, my community and phone number, the privacy
// notice, and deleting my personal data.
const api = require('../../utils/api')
const { pageBehavior, largeType, setLargeType } = require('../../behaviors/page')

Component({
  behaviors: [pageBehavior],
  data: { community: '', phone: '', deleted: false, cellClass: 'cell' },
  methods: {
    onLoad() { return this.loadMe() },
    onShow() {
      this.applyLarge()
      // Back from choosing a community.
      return this.loaded ? this.loadMe() : Promise.resolve()
    },

    async loadMe() {
      try {
        const me = await api.call('getMe')
        this.loaded = true
        this.setData({ community: me.community ? me.community.name : '', phone: me.phone_masked || '' })
      } catch (e) {
        this.showError(e)
      }
    },

    onLarge(e) {
      setLargeType(e.detail.value)
      this.applyLarge()
    },

    // applyLarge also sizes WeUI's cells, whose own type is fixed.
    applyLarge() {
      const large = largeType()
      this.setData({ large, cellClass: large ? 'cell cell-large' : 'cell' })
    },

    erase() {
      return new Promise(resolve => {
        wx.showModal({
          title: '删除个人信息',
          content: '删除后不能恢复。还没到的预约会被取消。确定删除吗？',
          confirmText: '确定删除',
          confirmColor: '#a8071a',
          cancelText: '不删除',
          success: res => resolve(res.confirm ? this.doErase() : null)
        })
      })
    },

    async doErase() {
      this.clearError()
      try {
        await api.call('deleteMe')
        api.signOut()
        this.setData({ deleted: true, community: '', phone: '' })
      } catch (e) {
        this.showError(e)
      }
    }
  }
})
