// dashboard.test.mjs — the console dashboard on the indicators API in a real
// browser against a real server: the headline figures are those of
// GET /api/v1/indicators for the same filters, the four charts draw, the
// overdue list links to the cases, and the type and period filters refetch.
//
// Run: cd web && npm run build && PINGAN_BIN=../build/pingan node --test tests/e2e/dashboard.test.mjs
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import * as H from './harness.mjs'

let srv
let browser
let leader
const DESKTOP = { width: 1366, height: 900 }

before(async () => {
  srv = await H.startServer()
  browser = await H.launchBrowser()
  // four petitions and two grid events registered today; the petitions pass
  // their 15-day registration limit unanswered and become overdue
  for (let i = 0; i < 4; i++) await srv.submitPetition({ title: `第${i + 1}件：小区电梯长期故障无人维修` })
  for (const address of ['幸福路12号东侧', '滨江路公交站']) {
    await srv.call('POST', '/api/public/cases', {
      body: { type: 'grid_event', category: 'E0102', title: '垃圾桶满溢', body: '垃圾桶满溢两天，垃圾散落在人行道上。', contact: { name: '李四' }, location: { address } },
    }, 201)
  }
  await srv.advanceClock(20 * H.DAY)
  await srv.tick()
  leader = await srv.login('leader')
})

after(async () => {
  if (browser) await browser.close()
  if (srv) await srv.stop()
})

async function login(page, username) {
  // the console asks for a session first and gets 401 before the login
  page.allowConsole(/status of 401/)
  await page.goto(`${srv.base}/console/login`)
  await page.locator('input[name=username]').fill(username)
  await page.locator('input[name=password]').fill(H.DEMO_PASSWORD)
  await page.locator('[data-testid=login-submit]').click()
  await page.waitForURL((u) => !u.pathname.startsWith('/console/login'))
}

/** The indicator `name` as the API answers it for the query q (no group_by). */
async function apiIndicator(q, name) {
  const r = await leader.call('GET', `/api/v1/indicators?${new URLSearchParams(q)}`)
  return r.data.groups[0].indicators.find((i) => i.name === name)
}

async function card(page, name) {
  return (await page.locator(`[data-testid=stat-${name}]`).innerText()).trim()
}

test('the dashboard shows the indicators, draws the charts and lists the overdue cases', async () => {
  const page = await H.newPage(browser, { viewport: DESKTOP })
  page.setDefaultTimeout(20000)
  await login(page, 'leader')
  await page.locator('[data-menu=dashboard]').click()
  await page.waitForURL(/\/console\/dashboard$/)
  for (const c of ['trend', 'ontime', 'category', 'street']) await page.locator(`[data-testid=chart-${c}] canvas`).waitFor()

  const cases = await apiIndicator({}, 'cases')
  const overdue = await apiIndicator({}, 'overdue_open')
  assert.ok(cases.value >= 6, `cases ${cases.value}`)
  assert.ok(overdue.value >= 4, `overdue ${overdue.value}`)
  await page.waitForFunction((n) => document.querySelector('[data-testid=stat-cases]').textContent.trim() === String(n), cases.value)
  assert.equal(await card(page, 'overdue_open'), String(overdue.value))
  const closing = await apiIndicator({}, 'closing_rate')
  assert.equal(await card(page, 'closing_rate'), `${(closing.value * 100).toFixed(1)}%`)
  // the formula is on the card
  assert.equal(await page.locator('.pa-stat', { has: page.locator('[data-testid=stat-closing_rate]') }).getAttribute('title'), closing.formula)
  // the period the server counted is said
  assert.match(await page.locator('[data-testid=dash-period-shown]').innerText(), /登记日期 \d{4}-\d{2}-01 至 \d{4}-\d{2}-\d{2}/)

  // the overdue list: one row per overdue case, each a link to it
  const rows = page.locator('[data-testid=overdue-table] [data-testid=overdue-link]')
  await rows.first().waitFor()
  assert.equal(await rows.count(), overdue.value)
  await page.waitForTimeout(600) // chart animation, for the screenshot
  await H.screenshot(page, 'console-dashboard')
  const number = (await rows.first().innerText()).trim()
  assert.match(number, /^XF-\d{4}-\d{6}$/)
  await rows.first().click()
  await page.waitForURL(/\/console\/cases\/\d+$/)
  await page.locator('[data-testid=case-title]').waitFor()
  await page.goBack()
  await page.locator('[data-testid=chart-trend] canvas').waitFor()

  // type filter: only grid events
  await H.chooseOption(page, page.locator('[data-testid=dash-type]'), '网格事件')
  const grid = await apiIndicator({ type: 'grid_event' }, 'cases')
  assert.equal(grid.value, 2)
  await page.waitForFunction(() => document.querySelector('[data-testid=stat-cases]').textContent.trim() === '2')
  // period filter: this month (the cases were registered 20 days before the moved clock)
  await H.chooseOption(page, page.locator('[data-testid=dash-period]'), '本年')
  await page.waitForFunction(() => /登记日期 \d{4}-01-01 至/.test(document.querySelector('[data-testid=dash-period-shown]').textContent))
  H.assertClean(page)
  await page.context().close()
})

test('the dashboard in English, and at phone width without sideways scrolling', async () => {
  const page = await H.newPage(browser, { viewport: DESKTOP })
  page.setDefaultTimeout(20000)
  await login(page, 'supervisor')
  await page.goto(`${srv.base}/console/dashboard`)
  await page.locator('[data-testid=chart-trend] canvas').waitFor()
  await page.locator('[data-testid=lang-switch] [data-lang=en]').click()
  await page.waitForFunction(() => /Cases by month of registration/.test(document.querySelector('[data-testid=dashboard]').textContent))
  await page.locator('[data-testid=stat-cases]').waitFor()
  assert.match(await page.locator('[data-testid=dashboard]').innerText(), /On-time acceptance/)
  await page.setViewportSize({ width: 390, height: 844 })
  await page.waitForTimeout(300) // the charts follow the width
  assert.equal(await H.hasHorizontalScroll(page), false, 'the dashboard scrolls sideways at 390 px')
  await H.screenshot(page, 'console-dashboard-phone')
  H.assertClean(page)
  await page.context().close()
})
