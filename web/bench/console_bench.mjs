// console_bench.mjs — cold load of the staff console's inbox, measured with
// chromium's own performance timings. Run on demand (never in the tests),
// one benchmark at a time on a shared machine:
//
//   cd web && npm run build
//   flock /work/wt/_brief/bench.lock node bench/console_bench.mjs     # RUNS=7 by default
//
// It starts a real server (tests/e2e/harness.mjs: fresh demo data, loopback),
// sends 60 petitions through the public API, then RUNS times: a fresh browser
// context (empty cache, no cookies) logs intake in through the API and opens
// /console/inbox. Per run it reads, in ms since navigation start:
//   TTFB, DOMContentLoaded, load, first-contentful-paint (paint timing);
//   rows50  — when the 50th row of the inbox table is in the DOM;
//   usable  — when 50 rows and the filters' first control are on screen;
//   long    — the long tasks (> 50 ms, PerformanceObserver 'longtask') until
//             'usable': their count, the longest, and the total blocking time
//             (sum of each task's part beyond 50 ms), which is the jank;
//   sort    — one click on a sortable header until the table is re-ordered
//             (the longest task it causes).
// Medians are printed. Environment: as the harness (PINGAN_BIN,
// PINGAN_WEB_DIR, CHROMIUM); RUNS.
import * as H from '../tests/e2e/harness.mjs'

const RUNS = Math.max(1, Number(process.env.RUNS) || 7)
const ROW_SELECTOR = '[data-testid="inbox-table"] tbody tr'
const FILTER_SELECTOR = '[data-testid="filter-type"]'

const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  if (!s.length) return NaN
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

// Installed before any page script: records long tasks and the moments the
// 50th row and the filters appear.
const OBSERVE = `(() => {
  window.__long = [];
  try {
    new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__long.push([e.startTime, e.duration]) })
      .observe({ type: 'longtask', buffered: true });
  } catch (e) { window.__long = null }
  const rowSel = ${JSON.stringify(ROW_SELECTOR)}, filterSel = ${JSON.stringify(FILTER_SELECTOR)};
  const check = () => {
    const n = document.querySelectorAll(rowSel).length;
    if (n >= 50 && window.__rows50 === undefined) window.__rows50 = performance.now();
    const f = document.querySelector(filterSel);
    if (window.__rows50 !== undefined && f && f.getClientRects().length && window.__usable === undefined) {
      window.__usable = performance.now(); return true;
    }
    return false;
  };
  new MutationObserver((_, obs) => { if (check()) obs.disconnect() }).observe(document, { childList: true, subtree: true, attributes: true });
})()`

async function run(browser, srv) {
  const page = await H.newPage(browser, { viewport: { width: 1366, height: 900 } })
  const login = await page.context().request.post(srv.base + '/api/v1/session', { data: { username: 'intake', password: H.DEMO_PASSWORD } })
  if (login.status() !== 200) throw new Error(`login intake -> ${login.status()}`)
  await page.addInitScript(OBSERVE)
  await page.goto(srv.base + '/console/inbox', { waitUntil: 'load' })
  await page.waitForFunction(() => window.__usable !== undefined, null, { timeout: 30000 })
  const t = await page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0]
    const paint = Object.fromEntries(performance.getEntriesByType('paint').map((p) => [p.name, p.startTime]))
    const until = window.__usable
    const long = (window.__long || []).filter(([s]) => s <= until)
    return {
      ttfb: nav.responseStart,
      dcl: nav.domContentLoadedEventEnd,
      load: nav.loadEventEnd,
      fcp: paint['first-contentful-paint'],
      rows50: window.__rows50,
      usable: until,
      longCount: window.__long ? long.length : NaN,
      longMax: window.__long ? Math.max(0, ...long.map(([, d]) => d)) : NaN,
      tbt: window.__long ? long.reduce((n, [, d]) => n + Math.max(0, d - 50), 0) : NaN,
      rows: document.querySelectorAll('[data-testid="inbox-table"] tbody tr').length,
    }
  })
  // sorting the page: click the number header, wait for the order to change
  const before = await page.evaluate(() => window.__long ? window.__long.length : 0)
  const first = await page.locator(ROW_SELECTOR).first().textContent()
  const t0 = await page.evaluate(() => performance.now())
  await page.locator('[data-testid="inbox-table"] thead th', { hasText: /编号|No\./ }).first().click()
  await page.locator('[data-testid="inbox-table"] thead th', { hasText: /编号|No\./ }).first().click()
  await page.waitForFunction((f) => document.querySelector('[data-testid="inbox-table"] tbody tr').textContent !== f, first, { timeout: 10000 })
  const sort = await page.evaluate(([t0, before]) => ({
    sortMs: performance.now() - t0,
    sortLong: window.__long ? Math.max(0, ...window.__long.slice(before).map(([, d]) => d)) : NaN,
  }), [t0, before])
  await page.context().close()
  return { ...t, ...sort }
}

function table(rows, head) {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)))
  const line = (r) => '| ' + r.map((c, i) => String(c).padEnd(w[i])).join(' | ') + ' |'
  return [line(head), '|' + w.map((n) => '-'.repeat(n + 2)).join('|') + '|', ...rows.map(line)].join('\n')
}

const srv = await H.startServer()
const browser = await H.launchBrowser()
try {
  for (let i = 0; i < 60; i++) {
    await srv.submitPetition({ title: `性能测试事项 ${i + 1}：小区路灯不亮`, category: i % 3 ? 'grievance' : 'suggestion' })
  }
  await run(browser, srv) // warm the server's caches; not counted
  const runs = []
  for (let i = 0; i < RUNS; i++) runs.push(await run(browser, srv))
  const m = (k) => median(runs.map((r) => r[k])).toFixed(1)
  console.log(`\nConsole inbox cold load (intake, 60 petitions, 1366x900), median of ${RUNS}, ms since navigation start`)
  console.log(`web dir ${H.WEB_DIR}\n`)
  console.log(
    table(
      [[m('ttfb'), m('dcl'), m('load'), m('fcp'), m('rows50'), m('usable'), m('longCount'), m('longMax'), m('tbt'), m('rows'), m('sortMs'), m('sortLong')]],
      ['TTFB', 'DCL', 'load', 'FCP', '50 rows', 'usable', 'long tasks', 'longest', 'TBT', 'rows', 'sort click', 'sort longest'],
    ),
  )
  console.log(`\nusable < 1000 ms: ${Number(m('usable')) < 1000 ? 'yes' : 'NO'}`)
  console.log(`load average: ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')}\n`)
} finally {
  await browser.close()
  await srv.stop()
}
