// A fake wx for the page tests: wx.request, wx.uploadFile and
// wx.downloadFile answer from a table of fake responses and record every
// request; every other wx.* call the pages make is recorded in order in
// calls, so a test can assert what happened inside one tap and in which
// order. Privacy APIs ask the handler registered with
// wx.onNeedPrivacyAuthorization until the voter agrees, as WeChat does.
const config = require('../../config')

function parseURL(url) {
  if (!url.startsWith(config.baseURL)) throw new Error(`request outside config.baseURL: ${url}`)
  const rest = url.slice(config.baseURL.length)
  const [path, qs] = rest.split('?')
  const query = {}
  if (qs) qs.split('&').forEach(p => { const [k, v] = p.split('='); query[k] = decodeURIComponent(v) })
  return { path, query }
}

function createFake() {
  const state = {
    routes: {},
    requests: [],
    calls: [],
    storage: {},
    // files are what downloads left behind, by temporary path.
    files: {},
    pending: 0,
    privacyAgreed: false,
    privacyHandler: null,
    loginCount: 0,
    // What the pickers and sheets answer; tests change these.
    subscribeAnswer: ids => Object.fromEntries(ids.map(id => [id, 'accept'])),
    media: [{ tempFilePath: 'wxfile://tmp/photo-1.jpg', size: 3000000 }],
    location: { name: '城关镇人民路', address: '城关镇人民路 18 号', latitude: 30.61, longitude: 114.31 },
    position: { latitude: 30.6, longitude: 114.3 },
    modalConfirm: true
  }

  // on sets the answer to "METHOD /path": a function of the request, one
  // answer, or a list answered in turn (the last one repeats). An answer is
  // {status, data} or {fail: 'network' | 'timeout'}.
  function on(key, answer) { state.routes[key] = Array.isArray(answer) ? answer.slice() : answer }

  function answerFor(req) {
    const r = state.routes[`${req.method} ${req.path}`]
    if (r === undefined) return { status: 404, data: { error: { code: 'not_faked', message: `测试没有准备 ${req.method} ${req.path}` } } }
    const a = Array.isArray(r) ? (r.length > 1 ? r.shift() : r[0]) : r
    return typeof a === 'function' ? a(req) : a
  }

  // transport records a request and answers it on a later turn.
  function transport(kind, opts, method) {
    const { path, query } = parseURL(opts.url)
    const req = { kind, method, path, query, url: opts.url, header: opts.header || {}, data: opts.data, filePath: opts.filePath, name: opts.name }
    state.requests.push(req)
    state.calls.push(`${kind} ${method} ${path}`)
    state.pending++
    setTimeout(() => {
      state.pending--
      const a = answerFor(req)
      if (a.fail) {
        const errMsg = a.fail === 'timeout' ? `${kind}:fail timeout` : `${kind}:fail net::ERR_INTERNET_DISCONNECTED`
        if (opts.fail) opts.fail({ errMsg })
      } else if (kind === 'uploadFile') {
        opts.success({ statusCode: a.status, data: JSON.stringify(a.data) })
      } else if (kind === 'downloadFile') {
        const tempFilePath = `wxfile://tmp/download-${state.requests.length}`
        if (a.status !== 200) state.files[tempFilePath] = JSON.stringify(a.data)
        opts.success({ statusCode: a.status, tempFilePath: a.status === 200 ? `${tempFilePath}.png` : tempFilePath })
      } else {
        opts.success({ statusCode: a.status, data: a.data, header: {} })
      }
      if (opts.complete) opts.complete()
    }, 0)
  }

  function later(fn) {
    state.pending++
    setTimeout(() => { state.pending--; fn() }, 0)
  }

  // privacy runs a privacy API: at once when agreed, else after the
  // registered handler's answer.
  function privacy(name, opts, result) {
    state.calls.push(name)
    const run = () => later(() => opts.success && opts.success(result()))
    if (state.privacyAgreed) return run()
    if (!state.privacyHandler) return later(() => opts.fail && opts.fail({ errMsg: `${name}:fail privacy permission is not authorized`, errno: 104 }))
    state.calls.push('needPrivacyAuthorization')
    state.privacyHandler(answer => {
      if (answer && answer.event === 'agree') {
        state.privacyAgreed = true
        run()
      } else {
        later(() => opts.fail && opts.fail({ errMsg: `${name}:fail privacy permission is not authorized`, errno: 104 }))
      }
    }, { referrer: name })
  }

  function record(name, fn) {
    return (opts = {}) => {
      state.calls.push(name)
      return fn ? fn(opts) : undefined
    }
  }

  const wx = {
    request: opts => transport('request', opts, (opts.method || 'GET').toUpperCase()),
    uploadFile: opts => transport('uploadFile', opts, 'POST'),
    downloadFile: opts => transport('downloadFile', opts, 'GET'),
    login: record('login', opts => later(() => opts.success({ code: `wx-code-${++state.loginCount}` }))),
    getStorageSync: key => (key in state.storage ? state.storage[key] : ''),
    setStorageSync: (key, v) => { state.storage[key] = v },
    removeStorageSync: key => { delete state.storage[key] },
    getAppBaseInfo: () => ({ fontSizeSetting: 17 }),
    getFileSystemManager: () => ({
      readFile: opts => later(() => (opts.filePath in state.files
        ? opts.success({ data: state.files[opts.filePath] })
        : opts.fail({ errMsg: 'readFile:fail no such file' })))
    }),
    requestSubscribeMessage: record('requestSubscribeMessage', opts => {
      state.subscribeAsked = opts.tmplIds
      later(() => opts.success && opts.success(Object.assign({ errMsg: 'requestSubscribeMessage:ok' }, state.subscribeAnswer(opts.tmplIds))))
    }),
    onNeedPrivacyAuthorization: handler => { state.privacyHandler = handler },
    getPrivacySetting: opts => opts.success && opts.success({ needAuthorization: !state.privacyAgreed, privacyContractName: '《人大代表联络站小程序隐私保护指引》' }),
    openPrivacyContract: record('openPrivacyContract'),
    chooseMedia: opts => privacy('chooseMedia', opts, () => ({ type: 'image', tempFiles: state.media.slice(0, opts.count || 9) })),
    chooseLocation: opts => privacy('chooseLocation', opts, () => state.location),
    getLocation: opts => privacy('getLocation', opts, () => state.position),
    compressImage: record('compressImage', opts => later(() => opts.success({ tempFilePath: opts.src.replace(/(\.\w+)$/, '-compressed$1') }))),
    previewImage: record('previewImage'),
    navigateTo: record('navigateTo', opts => { state.navigated = opts.url }),
    redirectTo: record('redirectTo', opts => { state.navigated = opts.url }),
    switchTab: record('switchTab', opts => { state.navigated = opts.url }),
    navigateBack: record('navigateBack'),
    showToast: record('showToast', opts => { state.toast = opts.title }),
    showLoading: record('showLoading'),
    hideLoading: record('hideLoading'),
    showModal: record('showModal', opts => {
      state.modal = opts
      later(() => opts.success && opts.success({ confirm: state.modalConfirm, cancel: !state.modalConfirm }))
    }),
    makePhoneCall: record('makePhoneCall'),
    scanCode: record('scanCode', opts => later(() => opts.success && opts.success(state.scanResult)))
  }

  // settle waits until every answer and callback the fake owes has run.
  async function settle() {
    for (let i = 0; i < 200; i++) {
      await new Promise(r => setTimeout(r, 0))
      if (state.pending === 0) {
        await new Promise(r => setTimeout(r, 0))
        if (state.pending === 0) return
      }
    }
    throw new Error('the fake wx still owes answers after 200 turns')
  }

  // requestsTo lists the recorded requests to "METHOD /path".
  function requestsTo(key) {
    return state.requests.filter(r => `${r.method} ${r.path}` === key)
  }

  return { wx, state, on, settle, requestsTo }
}

module.exports = { createFake }
