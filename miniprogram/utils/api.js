// The one way to the server: every request goes through call, upload,
// download or imageURL here, by a name of the endpoint table
// (utils/endpoints.js). It signs in (wx.login, or the development login
// when config.js says so), keeps the token in storage, signs in again once
// on a 401, and turns every failure into an ApiError whose message is a
// Chinese sentence for the voter.
const config = require('../config')
const endpoints = require('./endpoints')
const { messageFor } = require('./errors')

const SESSION_KEY = 'session'

// ApiError is a refused or failed request. code is the API's error code
// ("slot_full"), or "network" when no answer came; message is what the
// voter reads.
class ApiError extends Error {
  constructor({ status = 0, code, message, field }) {
    super(message)
    this.status = status
    this.code = code
    this.field = field
    this.network = code === 'network' || code === 'timeout'
  }
}

function endpoint(name) {
  const ep = endpoints[name]
  if (!ep) throw new Error(`api: no endpoint ${name} in utils/endpoints.js`)
  return ep
}

// pathOf fills the {param}s of the endpoint's path template.
function pathOf(ep, params = {}) {
  return ep.path.replace(/\{([a-z_]+)\}/g, (_, k) => {
    if (params[k] === undefined || params[k] === '') throw new Error(`api: ${ep.path} needs ${k}`)
    return encodeURIComponent(String(params[k]))
  })
}

function queryString(ep, query = {}) {
  const parts = []
  Object.keys(query).forEach(k => {
    if (!(ep.query || []).includes(k)) throw new Error(`api: ${ep.path} has no query key ${k}`)
    const v = query[k]
    if (v !== undefined && v !== null && v !== '') parts.push(`${k}=${encodeURIComponent(String(v))}`)
  })
  return parts.length ? `?${parts.join('&')}` : ''
}

function checkBody(ep, body) {
  if (body === undefined) return
  Object.keys(body).forEach(k => {
    if (!(ep.body || []).includes(k)) throw new Error(`api: ${ep.method} ${ep.path} has no body field ${k}`)
  })
}

// urlOf is the full address of an endpoint.
function urlOf(name, { params, query } = {}) {
  const ep = endpoint(name)
  return config.baseURL + pathOf(ep, params) + queryString(ep, query)
}

// imageURL is the address of an <image> the server serves: an https
// address is kept, one of the API's own paths (a deputy's photo uploaded on
// the console) gets the server's address.
function imageURL(url) {
  if (!url) return ''
  if (/^https:\/\//.test(url)) return url
  if (url.startsWith('/api/v1/')) return config.baseURL + url
  return ''
}

function token() {
  const s = wx.getStorageSync(SESSION_KEY)
  return s && s.token ? s.token : ''
}

function headers(ep, idempotencyKey) {
  const h = {}
  const t = token()
  if (t) h.Authorization = `Bearer ${t}`
  if (ep.idempotent && idempotencyKey) h['Idempotency-Key'] = idempotencyKey
  return h
}

// networkError maps a wx transport failure to the voter's sentence.
function networkError(res) {
  const msg = (res && res.errMsg) || ''
  if (/timeout/i.test(msg)) return new ApiError({ code: 'timeout', message: messageFor('timeout') })
  return new ApiError({ code: 'network', message: messageFor('network') })
}

// answerOf turns a response into its data or an ApiError.
function answerOf(status, data) {
  if (typeof data === 'string' && data) {
    try { data = JSON.parse(data) } catch (e) { /* a proxy's HTML page */ }
  }
  if (status >= 200 && status < 300) return { data }
  const e = data && typeof data === 'object' && data.error ? data.error : {}
  return {
    error: new ApiError({
      status,
      code: e.code || `http_${status}`,
      message: e.message || messageFor(e.code, status),
      field: e.field
    })
  }
}

// readAnswer reads a refused download's body (the server's JSON error)
// from its file; '' when it cannot be read.
function readAnswer(filePath) {
  return new Promise(resolve => {
    if (!filePath || !wx.getFileSystemManager) return resolve('')
    wx.getFileSystemManager().readFile({
      filePath, encoding: 'utf8',
      success: r => resolve(r.data),
      fail: () => resolve('')
    })
  })
}

// send runs one transport call: wx.request, wx.uploadFile or
// wx.downloadFile.
function send(ep, url, opts) {
  return new Promise((resolve, reject) => {
    const header = headers(ep, opts.idempotencyKey)
    const fail = res => reject(networkError(res))
    if (ep.multipart) {
      wx.uploadFile({
        url, filePath: opts.filePath, name: ep.multipart[0], header,
        success: res => resolve(answerOf(res.statusCode, res.data)), fail
      })
    } else if (ep.download) {
      wx.downloadFile({
        url, header,
        success: res => {
          if (res.statusCode === 200) resolve({ data: { tempFilePath: res.tempFilePath } })
          else readAnswer(res.tempFilePath).then(body => resolve(answerOf(res.statusCode, body)))
        },
        fail
      })
    } else {
      const req = { url, method: ep.method, header, timeout: 15000, success: res => resolve(answerOf(res.statusCode, res.data)), fail }
      if (opts.body !== undefined) req.data = opts.body
      wx.request(req)
    }
  })
}

function wxLogin() {
  return new Promise((resolve, reject) => {
    wx.login({
      success: res => (res.code ? resolve(res.code) : reject(new ApiError({ code: 'login_failed', message: messageFor('login_failed') }))),
      fail: res => reject(networkError(res))
    })
  })
}

let signingIn = null

// signIn gets a new session; concurrent callers share one sign-in.
function signIn() {
  if (!signingIn) {
    signingIn = (async () => {
      let name = 'createSession'
      let body
      if (config.devLogin) {
        name = 'createDevSession'
        body = { user: config.devUser }
      } else {
        body = { code: await wxLogin() }
      }
      const ep = endpoint(name)
      const r = await send(ep, urlOf(name), { body })
      if (r.error) throw r.error
      wx.setStorageSync(SESSION_KEY, { token: r.data.token, expires_at: r.data.expires_at })
      return r.data
    })()
    signingIn.then(() => { signingIn = null }, () => { signingIn = null })
  }
  return signingIn
}

function signOut() {
  wx.removeStorageSync(SESSION_KEY)
}

// call makes the named request and resolves to its JSON answer.
// opts: params (path), query, body, idempotencyKey, filePath (uploads).
async function call(name, opts = {}) {
  const ep = endpoint(name)
  checkBody(ep, opts.body)
  const url = urlOf(name, opts)
  if (ep.auth && !token()) await signIn()
  let r = await send(ep, url, opts)
  if (r.error && r.error.status === 401 && ep.auth) {
    // The token expired or was ended: sign in once more and repeat the
    // request (with the same Idempotency-Key).
    signOut()
    await signIn()
    r = await send(ep, url, opts)
  }
  if (r.error) throw r.error
  return r.data
}

module.exports = { ApiError, call, urlOf, imageURL, signIn, signOut, SESSION_KEY }
