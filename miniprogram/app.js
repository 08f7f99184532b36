// The voter mini-program of the county's people's congress (README.md).
App({
  // privacyPopup is the privacy popup of the page on screen
  // (components/privacy-popup), which answers WeChat's privacy request.
  privacyPopup: null,

  onLaunch() {
    if (wx.onNeedPrivacyAuthorization) {
      wx.onNeedPrivacyAuthorization(resolve => {
        if (this.privacyPopup) this.privacyPopup.open(resolve)
        else resolve({ event: 'disagree' })
      })
    }
  }
})
