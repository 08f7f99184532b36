// Every page's shared behaviour: the large-type setting (我的 → 大字模式,
// kept in storage, applied on every show) and one place to show an error.
const LARGE_KEY = 'largeType'

// largeType is the voter's choice; before they choose, WeChat's own text
// size decides (a voter who enlarged WeChat's text gets large type here).
function largeType() {
  const v = wx.getStorageSync(LARGE_KEY)
  if (v === true || v === false) return v
  try {
    const info = wx.getAppBaseInfo ? wx.getAppBaseInfo() : {}
    return (info.fontSizeSetting || 17) >= 20
  } catch (e) {
    return false
  }
}

function setLargeType(on) {
  wx.setStorageSync(LARGE_KEY, !!on)
}

const pageBehavior = Behavior({
  data: { large: false, error: '' },
  lifetimes: {
    attached() { this.applyLarge() }
  },
  methods: {
    onShow() { this.applyLarge() },
    applyLarge() {
      const large = largeType()
      if (large !== this.data.large) this.setData({ large })
    },
    // showError shows the failure's sentence on the page until the next
    // try; err is an ApiError or a plain sentence.
    showError(err) {
      const error = typeof err === 'string' ? err : (err && err.message) || '出了点问题，请稍后再试'
      this.setData({ error })
    },
    clearError() {
      if (this.data.error) this.setData({ error: '' })
    }
  }
})

module.exports = { pageBehavior, largeType, setLargeType, LARGE_KEY }
