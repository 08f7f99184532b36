// The privacy-agreement popup (用户隐私保护指引). WeChat calls the handler
// that app.js registered with wx.onNeedPrivacyAuthorization before a
// privacy API (chooseMedia, chooseLocation, getLocation, the phone number)
// runs while the voter has not agreed; app.js hands it to the popup of the
// page on screen, which waits for the voter's tap and resolves it. The agree
// button must be open-type="agreePrivacyAuthorization".
Component({
  data: { show: false, contractName: '《用户隐私保护指引》' },
  lifetimes: {
    attached() {
      this.claim()
      if (wx.getPrivacySetting) {
        wx.getPrivacySetting({
          success: res => { if (res.privacyContractName) this.setData({ contractName: res.privacyContractName }) }
        })
      }
    },
    detached() {
      const app = getApp()
      if (app.privacyPopup === this) app.privacyPopup = null
    }
  },
  pageLifetimes: {
    show() { this.claim() }
  },
  methods: {
    claim() { getApp().privacyPopup = this },
    // open is called by app.js with WeChat's resolve function.
    open(resolve) {
      this.resolve = resolve
      this.setData({ show: true })
    },
    finish(answer) {
      if (this.resolve) this.resolve(answer)
      this.resolve = null
      this.setData({ show: false })
    },
    onAgree() { this.finish({ buttonId: 'privacy-agree', event: 'agree' }) },
    onDisagree() { this.finish({ event: 'disagree' }) },
    openContract() { wx.openPrivacyContract({}) }
  }
})
