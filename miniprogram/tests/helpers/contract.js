// The client side of the contract: a recorded request must be one of the
// endpoint table's (utils/endpoints.js) with its method, path, query keys,
// body fields, upload field and headers; handlers/api's contract test then
// holds the table to the OpenAPI document.
const endpoints = require('../../utils/endpoints')

function pathRegExp(template) {
  const src = template.replace(/[.]/g, '\\.').replace(/\{[a-z_]+\}/g, '[^/]+')
  return new RegExp(`^${src}$`)
}

const KIND = { request: ep => !ep.multipart && !ep.download && !ep.image, uploadFile: ep => !!ep.multipart, downloadFile: ep => !!ep.download }

// problemsOf lists what is wrong with a recorded request against one
// endpoint; none means it is that endpoint's.
function problemsOf(req, ep) {
  const out = []
  if (!KIND[req.kind](ep)) out.push(`made with wx.${req.kind}`)
  Object.keys(req.query || {}).forEach(k => { if (!(ep.query || []).includes(k)) out.push(`query key ${k}`) })
  if (req.kind === 'request' && req.data && typeof req.data === 'object') {
    Object.keys(req.data).forEach(k => { if (!(ep.body || []).includes(k)) out.push(`body field ${k}`) })
  }
  if (req.kind === 'uploadFile' && !(ep.multipart || []).includes(req.name)) out.push(`upload field ${req.name}`)
  if (req.header['Idempotency-Key'] && !ep.idempotent) out.push('an Idempotency-Key header')
  return out
}

// endpointOf names the table's endpoint a request is, or throws saying
// why none fits.
function endpointOf(req) {
  const candidates = Object.keys(endpoints).filter(n => endpoints[n].method === req.method && pathRegExp(endpoints[n].path).test(req.path))
  if (!candidates.length) throw new Error(`${req.method} ${req.path} is in no entry of utils/endpoints.js`)
  const why = []
  for (const n of candidates) {
    const p = problemsOf(req, endpoints[n])
    if (!p.length) return n
    why.push(`${n}: ${p.join(', ')}`)
  }
  throw new Error(`${req.method} ${req.path} does not fit utils/endpoints.js (${why.join('; ')})`)
}

module.exports = { endpointOf, pathRegExp }
