// The home page: scan a code, find a station, write, or see one's own
// bookings and opinions.
const { pageBehavior } = require('../../behaviors/page')
const { slipOf } = require('../../utils/slip')

// landingOf is where a scanned code leads: a mini-program code carries
// its page path; a review's slip holds its link or "b=<code>"
// (utils/slip.js); a printed board's plain code opens the landing page.
function landingOf(res) {
  if (res.path) return `/${res.path.replace(/^\//, '')}`
  const code = (res.result || '').trim()
  const s = slipOf(code)
  if (s && s.code) return `/pages/ballot/index?code=${encodeURIComponent(s.code)}`
  if (/^[0-9A-Za-z]{4,32}$/.test(code)) return `/pages/deputy/index?code=${code}`
  return ''
}

Component({
  behaviors: [pageBehavior],
  methods: {
    go(e) { wx.navigateTo({ url: e.currentTarget.dataset.url }) },
    scan() {
      this.clearError()
      wx.scanCode({
        onlyFromCamera: false,
        success: res => {
          const url = landingOf(res)
          if (url) wx.navigateTo({ url })
          else this.showError('这不是代表或联络站的二维码，请换一个再扫')
        }
      })
    }
  }
})
