// A station's card: address, hours, the next reception day and the
// deputies who serve there (tap one to open their card).
Component({
  properties: {
    station: { type: Object, value: {} },
    next: { type: Object, value: null }
  },
  methods: {
    call() { wx.makePhoneCall({ phoneNumber: this.data.station.phone }) },
    openDeputy(e) {
      const code = e.currentTarget.dataset.code
      if (code) wx.navigateTo({ url: `/pages/deputy/index?code=${code}` })
    }
  }
})
