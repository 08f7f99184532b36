// Subscribe-message consent (订阅消息). WeChat shows its consent sheet only
// when wx.requestSubscribeMessage runs inside a tap handler with no network
// wait before it, for at most 3 templates. So the templates for the moment
// are fetched when the page loads (templatesFor), and the submit tap calls
// ask first, before its own request; the accepted ids are then reported to
// the server, each one allowing one notice.
const api = require('./api')

// templatesFor resolves to the template ids to ask for at the moment
// ("booking", "filing" or "replied"); none when they cannot be had.
async function templatesFor(moment) {
  try {
    const r = await api.call('listSubscriptions', { query: { moment } })
    return (r.items || []).map(c => c.template_id).slice(0, 3)
  } catch (e) {
    return []
  }
}

// ask shows WeChat's consent sheet at once (call it first thing in the tap
// handler) and resolves, later, to the accepted ids after reporting them.
function ask(ids) {
  if (!ids || !ids.length) return Promise.resolve([])
  const asked = new Promise(resolve => {
    wx.requestSubscribeMessage({
      tmplIds: ids,
      success: res => resolve(ids.filter(id => res[id] === 'accept')),
      fail: () => resolve([])
    })
  })
  return asked.then(accepted => {
    if (!accepted.length) return accepted
    return api.call('grantSubscriptions', { body: { template_ids: accepted } }).then(() => accepted, () => accepted)
  })
}

module.exports = { templatesFor, ask }
