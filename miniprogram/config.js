// The one setting that differs between deployments: where the API lives.
// The address must be listed as a request, uploadFile and downloadFile
// domain in the mini-program's admin (开发管理 → 服务器域名); see README.md.
module.exports = {
  // The deputylink server, without a trailing slash. Every request of
  // utils/api.js starts with it.
  baseURL: 'https://renda.example.gov.cn',
  // devLogin: true signs in with POST /api/v1/session/dev as devUser instead
  // of wx.login, for running against `deputylink serve --demo` with
  // DEPUTYLINK_DEV_LOGIN=1 (README.md, "Running against a server"). Never
  // true in an uploaded version: the server refuses it in production.
  devLogin: false,
  devUser: 'demo-1'
}
