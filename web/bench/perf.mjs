// perf.mjs — how fast the web app loads, and how much the portal makes a
// phone download. Run on demand (never part of the tests):
//
//   cd web && npm run build && node bench/perf.mjs          # RUNS=5 by default
//
// It starts a real server (tests/e2e/harness.mjs: fresh demo data, loopback),
// then:
//   1. sizes: the gzipped JS + CSS a first visit to / needs — what index.html
//      references (entry script, its CSS, modulepreloads) and, measured in
//      the browser, everything fetched until the home page is shown (the
//      lazy route chunks too). Budget: 250 KB gzipped.
//   2. cold loads of /, the petition and grid-event forms, /track and
//      /console/login, each in a fresh browser context (empty cache), RUNS
//      times: domContentLoaded, load, first-contentful-paint
//      (performance.getEntriesByType('paint')), and "usable": when the
//      page's first control is on screen (for a form: its send button, i.e.
//      the whole form rendered from the server's definition). Medians are
//      printed. The server has no map tiles, as by default.
//   3. the console inbox: 60 petitions sent through the public API, intake
//      logged in through the API; time until 50 rows are rendered.
// Environment: as the harness (PINGAN_BIN, PINGAN_WEB_DIR, CHROMIUM); RUNS.
import { readFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import * as H from '../tests/e2e/harness.mjs'

const RUNS = Math.max(1, Number(process.env.RUNS) || 5)
const BUDGET_KB = 250

const gzSize = (rel) => {
  const file = join(H.WEB_DIR, rel.replace(/^\//, ''))
  if (existsSync(file + '.gz')) return readFileSync(file + '.gz').length
  return gzipSync(readFileSync(file), { level: 9 }).length
}
const kb = (b) => (b / 1024).toFixed(1)
const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  if (!s.length) return NaN
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

/** The JS and CSS index.html makes the browser fetch before anything runs. */
function staticEntry() {
  const html = readFileSync(join(H.WEB_DIR, 'index.html'), 'utf8')
  const files = new Set()
  for (const m of html.matchAll(/<script[^>]+src="([^"]+)"/g)) files.add(m[1])
  for (const m of html.matchAll(/<link[^>]+rel="(?:modulepreload|stylesheet)"[^>]*href="([^"]+)"/g)) files.add(m[1])
  for (const m of html.matchAll(/<link[^>]+href="([^"]+)"[^>]*rel="(?:modulepreload|stylesheet)"/g)) files.add(m[1])
  const list = [...files].filter((f) => f.startsWith('/assets/'))
  return { files: list, bytes: list.reduce((n, f) => n + gzSize(f), 0) }
}

// Marks window.__usable (ms since navigation start) when `selector` is on screen.
function usableScript(selector) {
  return `(() => {
    const sel = ${JSON.stringify(selector)};
    const check = () => {
      const el = document.querySelector(sel);
      if (el && el.getClientRects().length && window.__usable === undefined) { window.__usable = performance.now(); return true }
      return false;
    };
    new MutationObserver((_, obs) => { if (check()) obs.disconnect() }).observe(document, { childList: true, subtree: true, attributes: true });
  })()`
}

async function coldLoad(browser, base, path, selector, viewport) {
  const page = await H.newPage(browser, { viewport })
  // the console asks GET /api/v1/session first; logged out, that is a 401
  if (path.startsWith('/console')) page.allowConsole(/status of 401/)
  const assets = []
  page.on('response', (r) => {
    const u = new URL(r.url())
    if (u.pathname.startsWith('/assets/') && /\.(js|css)$/.test(u.pathname)) assets.push(u.pathname)
  })
  await page.addInitScript(usableScript(selector))
  await page.goto(base + path, { waitUntil: 'load' })
  await page.waitForFunction(() => window.__usable !== undefined, null, { timeout: 15000 })
  await page.waitForLoadState('networkidle')
  const t = await page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0]
    const paint = Object.fromEntries(performance.getEntriesByType('paint').map((p) => [p.name, p.startTime]))
    return {
      ttfb: nav.responseStart,
      dcl: nav.domContentLoadedEventEnd,
      load: nav.loadEventEnd,
      fcp: paint['first-contentful-paint'],
      usable: window.__usable,
      requests: performance.getEntriesByType('resource').length + 1,
      transfer: performance.getEntriesByType('resource').reduce((n, r) => n + (r.transferSize || 0), nav.transferSize || 0),
    }
  })
  H.assertClean(page)
  await page.context().close()
  return { ...t, assets: [...new Set(assets)] }
}

async function inbox(browser, srv) {
  for (let i = 0; i < 60; i++) {
    await srv.submitPetition({ title: `性能测试事项 ${i + 1}：小区路灯不亮`, category: i % 3 ? 'grievance' : 'suggestion' })
  }
  const page = await H.newPage(browser, { viewport: { width: 1366, height: 900 } })
  const login = await page.context().request.post(srv.base + '/api/v1/session', { data: { username: 'intake', password: H.DEMO_PASSWORD } })
  if (login.status() !== 200) throw new Error(`login intake -> ${login.status()}`)
  await page.addInitScript(`(() => {
    new MutationObserver((_, obs) => {
      const n = document.querySelectorAll('[data-testid="inbox-table"] tbody tr .pa-case-link').length;
      if (n >= 50 && window.__rows === undefined) { window.__rows = performance.now(); obs.disconnect() }
    }).observe(document, { childList: true, subtree: true });
  })()`)
  await page.goto(srv.base + '/console/inbox', { waitUntil: 'load' })
  let ms = NaN
  let rows = 0
  try {
    await page.waitForFunction(() => window.__rows !== undefined, null, { timeout: 15000 })
    ms = await page.evaluate(() => window.__rows)
  } catch (e) {
    /* reported below as fewer rows */
  }
  rows = await page.locator('[data-testid="inbox-table"] tbody tr .pa-case-link').count()
  const problems = page.problems.slice()
  await page.context().close()
  return { rows, ms, problems }
}

function table(rows, head) {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)))
  const line = (r) => '| ' + r.map((c, i) => String(c).padEnd(w[i])).join(' | ') + ' |'
  return [line(head), '|' + w.map((n) => '-'.repeat(n + 2)).join('|') + '|', ...rows.map(line)].join('\n')
}

const srv = await H.startServer()
const browser = await H.launchBrowser()
try {
  // ---- sizes
  const entry = staticEntry()
  const first = await coldLoad(browser, srv.base, '/', 'a[data-test="home-submit"]', { width: 390, height: 844 })
  const portalAll = first.assets.reduce((n, f) => n + gzSize(f), 0)
  const consoleFirst = await coldLoad(browser, srv.base, '/console/login', 'input[type="password"]', { width: 1366, height: 900 })
  const consoleAll = consoleFirst.assets.reduce((n, f) => n + gzSize(f), 0)
  console.log(`\nInitial JS + CSS, gzipped (web dir ${H.WEB_DIR})\n`)
  console.log(
    table(
      [
        ['index.html: entry + CSS + modulepreload', entry.files.length, kb(entry.bytes)],
        ['/ (portal home), all fetched until shown', first.assets.length, kb(portalAll)],
        ['/console/login, all fetched until shown', consoleFirst.assets.length, kb(consoleAll)],
      ],
      ['what', 'files', 'KB gz'],
    ),
  )
  console.log(`\nportal budget ${BUDGET_KB} KB gz: ${portalAll / 1024 <= BUDGET_KB ? 'within' : 'OVER'} (${kb(portalAll)} KB)`)
  console.log('portal first-load files: ' + first.assets.map((f) => `${f.replace('/assets/', '')} ${kb(gzSize(f))}`).join(', '))

  // ---- cold loads
  const pages = [
    ['/', 'a[data-test="home-submit"]', { width: 390, height: 844 }],
    ['/submit/petition', '[data-test="submit-form"] [data-test="submit"]', { width: 390, height: 844 }],
    ['/submit/grid_event', '[data-test="submit-form"] [data-test="submit"]', { width: 390, height: 844 }],
    ['/track', '#f-number', { width: 390, height: 844 }],
    ['/console/login', 'input[type="password"]', { width: 1366, height: 900 }],
  ]
  const rows = []
  for (const [path, sel, vp] of pages) {
    const runs = []
    for (let i = 0; i < RUNS; i++) runs.push(await coldLoad(browser, srv.base, path, sel, vp))
    const m = (k) => median(runs.map((r) => r[k]))
    rows.push([path, m('ttfb').toFixed(1), m('dcl').toFixed(1), m('load').toFixed(1), m('fcp').toFixed(1), m('usable').toFixed(1), m('requests'), kb(m('transfer'))])
  }
  console.log(`\nCold loads on loopback, median of ${RUNS} (ms since navigation start)\n`)
  console.log(table(rows, ['page', 'TTFB', 'DOMContentLoaded', 'load', 'FCP', 'usable', 'requests', 'KB transferred']))

  // ---- inbox
  const ib = await inbox(browser, srv)
  console.log(`\nConsole inbox (intake, 60 petitions seeded): ${ib.rows} rows rendered` + (Number.isFinite(ib.ms) ? `, 50 rows at ${ib.ms.toFixed(1)} ms` : ' — 50 rows NOT reached'))
  if (ib.problems.length) console.log('inbox page problems:\n  ' + ib.problems.join('\n  '))
  console.log('')
} finally {
  await browser.close()
  await srv.stop()
}
