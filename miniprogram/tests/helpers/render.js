// Renders a page or component of the mini-program with miniprogram-simulate.
// Component libraries are referenced the way WeChat's 构建 npm resolves them
// ("weui-miniprogram/cell/cell" → miniprogram_npm/weui-miniprogram/…); here
// they resolve to the package's miniprogram_dist in node_modules, which is
// what 构建 npm copies.
const fs = require('fs')
const path = require('path')
const simulate = require('miniprogram-simulate')

const ROOT = path.join(__dirname, '..', '..')
const NPM = { 'weui-miniprogram': 'weui-miniprogram/miniprogram_dist' }

function jsonFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(e => {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) return jsonFiles(p)
    return e.name.endsWith('.json') ? [p] : []
  })
}

function npmComponents() {
  const out = {}
  for (const file of jsonFiles(path.join(ROOT, 'pages')).concat(jsonFiles(path.join(ROOT, 'components')))) {
    const using = JSON.parse(fs.readFileSync(file, 'utf8')).usingComponents || {}
    for (const [tag, target] of Object.entries(using)) {
      const pkg = Object.keys(NPM).find(p => target.startsWith(`${p}/`))
      if (pkg) out[tag] = `/node_modules/${NPM[pkg]}${target.slice(pkg.length)}`
    }
  }
  return out
}

const usingComponents = npmComponents()

// A definition is loaded once per test file and rendered afresh for every
// test. Each load runs in its own module registry: simulate registers the
// page's components anew by running their files, which jest's module cache
// would otherwise skip for a component an earlier page already loaded.
const loaded = {}

// render loads a page ("booking/index" is pages/booking/index) and attaches
// a new instance of it.
function render(page) {
  const file = path.join(ROOT, 'pages', page)
  if (!loaded[file]) {
    jest.isolateModules(() => {
      loaded[file] = simulate.load(file, { rootPath: ROOT, compiler: 'simulate', usingComponents })
    })
  }
  const comp = simulate.render(loaded[file])
  comp.attach(document.createElement('parent-wrapper'))
  return comp
}

// fire dispatches an event on the element the selector finds in the page
// and resolves once its handler has started (j-component dispatches on a
// microtask, as WeChat does on its own turn).
async function fire(comp, selector, event, detail) {
  find(comp, selector).dispatchEvent(event, detail === undefined ? undefined : { detail })
  await new Promise(resolve => setTimeout(resolve, 0))
}

// tap taps the element the selector finds.
function tap(comp, selector) {
  return fire(comp, selector, 'tap')
}

// input types value into the input or textarea the selector finds.
function input(comp, selector, value) {
  return fire(comp, selector, 'input', { value })
}

// find finds an element; "#privacy >>> #privacy-agree" looks inside a
// custom component's own tree.
function find(comp, selector) {
  let el = comp
  for (const part of selector.split(' >>> ')) {
    el = el.querySelector(part)
    if (!el) throw new Error(`nothing matches ${selector} in the page: ${comp.dom.textContent}`)
  }
  return el
}

// text is everything the page shows, without spacing.
function text(comp) {
  return comp.dom.textContent.replace(/\s+/g, '')
}

// declineThenConfirm taps the element twice: with WeChat's confirm dialog
// declined (nothing may be sent to key, "METHOD /path"), then accepted (one
// request); it answers the dialog's text.
async function declineThenConfirm(comp, selector, key) {
  fake.state.modalConfirm = false
  await tap(comp, selector)
  await fake.settle()
  expect(fake.requestsTo(key)).toHaveLength(0)
  fake.state.modalConfirm = true
  await tap(comp, selector)
  await fake.settle()
  expect(fake.requestsTo(key)).toHaveLength(1)
  return fake.state.modal.content
}

module.exports = { render, fire, tap, input, find, text, declineThenConfirm, ROOT }
