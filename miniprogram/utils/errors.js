// The voter's sentence for a failure. The server's own message (Chinese,
// in every error answer) comes first; these cover what has none: no answer
// at all, a proxy's error page, or a failed wx.login.
const BY_CODE = {
  network: '网络不好，请稍后再试',
  timeout: '网络超时，请稍后再试',
  login_failed: '微信登录没有成功，请稍后再试',
  rate_limited: '操作太频繁了，请稍等一会儿再试',
  unauthorized: '登录已过期，请重新进入小程序',
  wechat_unavailable: '暂时连不上微信，请稍后再试',
  redis_unavailable: '服务暂时不可用，请稍后再试'
}

const BY_STATUS = {
  400: '填写的内容有误，请检查后再试',
  401: '登录已过期，请重新进入小程序',
  403: '您没有权限做这件事',
  404: '没有找到相关内容',
  409: '没有办成，请刷新后再试',
  413: '内容太大了，请减少一些再试',
  429: '操作太频繁了，请稍等一会儿再试'
}

// messageFor is the sentence for an error code, or else for an HTTP
// status; anything else is the server's trouble.
function messageFor(code, status) {
  if (code && BY_CODE[code]) return BY_CODE[code]
  if (status && BY_STATUS[status]) return BY_STATUS[status]
  return '服务暂时出了点问题，请稍后再试'
}

module.exports = { messageFor }
