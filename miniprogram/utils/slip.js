// What a review's slip (述职评议票) carries in its QR, read back here:
// - the link <config.baseURL>/b/<code>, printed when the server has a
//   public address (DEPUTYLINK_PUBLIC_URL, the same site as baseURL).
//   WeChat's own 扫一扫 opens pages/ballot/index for it with query.q, the
//   link URI-encoded once, when the mini-program's QR rule is set up
//   (README.md, "扫普通链接二维码"); our scan buttons read it too;
// - the scene text "b=<code>", printed without a public address, which
//   only our scan buttons read.
// The code is sent to the server in a request body, never in a path.
const config = require('../config')

// FOREIGN is said of a link that is not one of this site's slips.
const FOREIGN = '这不是本站评议票的二维码，请扫会场发的评议票，或者输入票上的编号'

// splitLink cuts an http(s) link into its origin (lower case: host names
// are) and the rest (path and after, as it is); null for what is not one.
function splitLink(s) {
  const m = /^(https?:\/\/[^/?#]+)(.*)$/i.exec(s)
  return m ? { origin: m[1].toLowerCase(), rest: m[2] } : null
}

// slipOf reads a scanned or passed text: { code } for a slip's scene or
// one of this site's slip links, { foreign: true } for any other link,
// null for what is neither (a bare code, a station's code).
function slipOf(text) {
  const s = String(text || '').trim()
  if (/^b=/i.test(s)) return { code: s.slice(2).trim() }
  const link = splitLink(s)
  if (!link) return null
  const base = splitLink(config.baseURL.replace(/\/+$/, ''))
  const prefix = (base ? base.rest : '') + '/b/'
  if (!base || link.origin !== base.origin || !link.rest.startsWith(prefix)) return { foreign: true }
  const code = link.rest.slice(prefix.length).split(/[?#]/)[0]
  return code && !code.includes('/') ? { code } : { foreign: true }
}

// slipOfQuery is the slip a page was opened for: query.q (WeChat's 扫一扫
// of a slip's link), query.scene ("b=<code>") or query.code (the code
// itself). Empty: { code: '' }, and the page asks for one.
function slipOfQuery(query) {
  const q = query || {}
  let raw
  try {
    if (q.q) return slipOf(decodeURIComponent(q.q)) || { foreign: true }
    raw = decodeURIComponent(q.code || q.scene || '')
  } catch (e) {
    return { foreign: true } // a malformed %-escape
  }
  return slipOf(raw) || { code: raw.trim() }
}

module.exports = { slipOf, slipOfQuery, FOREIGN }
