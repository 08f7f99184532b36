package wechat

// JSConfig is what a page passes to the JS-SDK's wx.config for one page
// address (docs/WECHAT.md#js-sdk-signature).
type JSConfig struct {
	AppID     string `json:"appId"`
	Timestamp int64  `json:"timestamp"`
	NonceStr  string `json:"nonceStr"`
	Signature string `json:"signature"`
}
