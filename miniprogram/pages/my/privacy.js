// The privacy notice in plain words, and WeChat's 用户隐私保护指引 (the
// guide filled in the mini-program's admin).
const { pageBehavior } = require('../../behaviors/page')

Component({
  behaviors: [pageBehavior],
  methods: {
    openContract() { wx.openPrivacyContract({}) }
  }
})
