// An Attempt is one user action that must not happen twice (filing an
// opinion, booking a seat, casting a ballot): its Idempotency-Key is made
// once, kept while the answer is unknown (no answer, a server error, or the
// server still busy with the first try) so that a retry is recognised, and
// dropped once the server has given a definite answer.
const KEEP_CODES = ['network', 'timeout', 'idempotency_in_progress', 'idempotency_retry', 'rate_limited']

function newKey() {
  const chars = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789'
  let s = 'mp-' + Date.now().toString(36) + '-'
  for (let i = 0; i < 20; i++) s += chars[Math.floor(Math.random() * chars.length)]
  return s
}

class Attempt {
  constructor() { this.current = '' }

  // key is this action's Idempotency-Key, the same on every retry.
  key() {
    if (!this.current) this.current = newKey()
    return this.current
  }

  // settle records how a try ended: the key is kept for a retry only when
  // the outcome is unknown.
  settle(err) {
    if (!err) { this.current = ''; return }
    const unknown = KEEP_CODES.includes(err.code) || (err.status >= 500)
    if (!unknown) this.current = ''
  }
}

module.exports = { Attempt, newKey }
