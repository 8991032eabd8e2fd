// surveys-console.test.mjs — the console's survey page in a real browser
// against a real server: a supervisor defines a survey from the template
// (required members refused before sending; a problem the server finds shown
// under the member it names), opens it, makes one-time invitations for 东门社区
// printed as cards with QR codes; answers come in through the public API;
// the results show the sample size, rates and scores with 95 % intervals,
// the composite index, per street and per community; a second round of the
// series shows the trend. An auditor reads the results and changes nothing.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { DEMO_PASSWORD, assertClean, launchBrowser, newPage, screenshot, startServer } from './harness.mjs'

const DESKTOP = { width: 1366, height: 900 }
let srv
let browser
const state = {}

async function openPage() {
  const page = await newPage(browser, { viewport: DESKTOP })
  page.allowConsole(/status of (400|401)/)
  page.setDefaultTimeout(15000)
  return page
}

async function login(page, username) {
  await page.goto(`${srv.base}/console/login`)
  await page.locator('input[name=username]').fill(username)
  await page.locator('input[name=password]').fill(DEMO_PASSWORD)
  await page.locator('[data-testid=login-submit]').click()
  await page.waitForURL((u) => !u.pathname.startsWith('/console/login'))
}

async function answer(id, body) {
  return srv.call('POST', `/api/public/surveys/${id}/responses`, { body }, 201)
}

describe('the console survey page', () => {
  before(async () => {
    srv = await startServer()
    browser = await launchBrowser()
    const sup = await srv.login('supervisor')
    const orgs = (await sup.call('GET', '/api/v1/orgs')).data.items
    state.org = Object.fromEntries(orgs.map((o) => [o.code, o.id]))
  })
  after(async () => {
    if (browser) await browser.close()
    if (srv) await srv.stop()
  })

  test('a supervisor defines, opens and invites; the cards print with QR codes', async () => {
    const page = await openPage()
    await login(page, 'supervisor')
    await page.locator('[data-menu=surveys]').click()
    await page.waitForURL(/\/console\/surveys$/)
    await page.locator('[data-testid=survey-new]').click()
    const ed = page.locator('[data-testid=survey-editor]')
    // the template: two scales (说不清 not counted), two weighted questions
    assert.equal(await ed.locator('[data-scale]').count(), 2)
    assert.equal(await ed.locator('[data-question]').count(), 2)
    let posted = 0
    page.on('request', (r) => { if (r.method() === 'POST' && r.url().endsWith('/api/v1/surveys')) posted++ })
    await page.locator('[data-testid=survey-save]').click()
    await page.locator('[data-testid=survey-error]').waitFor()
    assert.match(await ed.locator('label', { has: page.locator('[data-path=title]') }).textContent(), /必填/)
    assert.match(await ed.locator('label', { has: page.locator('[data-path=series]') }).textContent(), /必填/)
    assert.equal(posted, 0, 'an incomplete definition was sent')
    assert.equal(await page.evaluate(() => document.activeElement.dataset.path), 'series')
    await ed.locator('[data-path=title]').fill('2026年第四季度群众安全感和满意度调查')
    await ed.locator('[data-path=series]').fill('safety-index')
    await ed.locator('[data-path=title_en]').fill('Public safety and satisfaction survey, 2026 Q4')
    // a bad scale sent on the way out: the server's 400 names questions[1].scale
    await page.route('**/api/v1/surveys', async (route) => {
      if (route.request().method() !== 'POST') return route.continue()
      const body = JSON.parse(route.request().postData())
      body.questions[1].scale = 'nope'
      await route.continue({ postData: JSON.stringify(body) })
    }, { times: 1 })
    await page.locator('[data-testid=survey-save]').click()
    await page.locator('[data-testid=survey-error]', { hasText: 'questions[1].scale' }).waitFor()
    await ed.locator('label', { has: page.locator('[data-path="questions[1].scale"]') }).locator('.pa-err').waitFor()
    await screenshot(page, 'survey-editor')
    await page.locator('[data-testid=survey-save]').click()
    await page.waitForURL(/\/console\/surveys\/\d+$/)
    state.id = Number(new URL(page.url()).pathname.split('/').pop())
    await page.locator('[data-testid=survey-state]', { hasText: '草稿' }).waitFor()
    await page.locator('[data-testid=survey-open]').click()
    await page.locator('[data-testid=survey-state]', { hasText: '进行中' }).waitFor()

    // invitations: the count is checked before sending
    await page.locator('[data-testid=invite-count]').fill('0')
    await page.locator('[data-testid=invite-submit]').click()
    await page.locator('[data-testid=invite-error]', { hasText: '1 至 1000' }).waitFor()
    await page.locator('[data-testid=invite-count]').fill('4')
    await page.locator('[data-testid=invite-place]').selectOption({ label: '东门社区' })
    await page.locator('[data-testid=invite-submit]').click()
    const cards = page.locator('[data-testid=invite-cards] li')
    await cards.nth(3).waitFor()
    assert.equal(await cards.count(), 4)
    state.tokens = await page.locator('[data-testid=invite-token]').allTextContents()
    for (const tok of state.tokens) assert.match(tok, /^[0-9A-HJKMNP-TV-Z]{12}$/)
    const img = cards.first().locator('img')
    assert.match(await img.getAttribute('src'), /^data:image\/png;base64,/)
    assert.ok(await img.evaluate((i) => i.complete && i.naturalWidth > 100), 'the QR code is drawn')
    assert.match(await cards.first().textContent(), new RegExp(`/survey/${state.id}\\?t=`))
    // printing shows the cards only
    await page.emulateMedia({ media: 'print' })
    assert.equal(await page.locator('.pa-aside').isVisible(), false)
    assert.equal(await page.locator('[data-testid=results]').isVisible(), false)
    assert.equal(await cards.first().isVisible(), true)
    await screenshot(page, 'survey-invitations-print')
    await page.emulateMedia({ media: 'screen' })
    await screenshot(page, 'survey-invitations')
    assertClean(page)
    await page.context().close()
  })

  test('results: sample sizes, rates and scores with intervals, per street and community', async () => {
    const [a, b, c, d] = state.tokens
    await answer(state.id, { token: a, answers: { safety: 'safe', law_enforcement: 'very_satisfied' } })
    await answer(state.id, { token: b, answers: { safety: 'fairly_safe', law_enforcement: 'satisfied' } })
    await answer(state.id, { token: c, answers: { safety: 'unsafe', law_enforcement: 'dissatisfied' } })
    await answer(state.id, { token: d, answers: { safety: 'unsure', law_enforcement: 'unsure' } })
    const page = await openPage()
    await login(page, 'supervisor')
    await page.goto(`${srv.base}/console/surveys/${state.id}`)
    const res = page.locator('[data-testid=results]')
    await res.locator('[data-testid=overall]', { hasText: '样本量 4' }).waitFor()
    const api = (await (await srv.login('supervisor')).call('GET', `/api/v1/surveys/${state.id}/results`)).data
    const safety = res.locator('[data-testid=question-results] tr[data-question=safety]')
    // 2 of 3 valid answers positive (说不清 left out): the page shows the server's numbers
    const rate = api.overall.questions.find((q) => q.id === 'safety').rate
    assert.match(await safety.textContent(), /4\s*1\s*3/)
    const f1 = (x) => (Math.round(x * 10) / 10).toFixed(1)
    assert.equal(await safety.locator('[data-col=rate]').textContent(), `${f1(rate.value * 100)} %${f1(rate.low * 100)}–${f1(rate.high * 100)}`)
    const law = api.overall.questions.find((q) => q.id === 'law_enforcement').score
    assert.match(await res.locator('tr[data-question=law_enforcement] [data-col=score]').textContent(), new RegExp(`^${f1(law.value)}`))
    assert.equal(await res.locator('[data-testid=composite]').textContent(), (Math.round(api.overall.composite.value * 10) / 10).toFixed(1))
    await res.locator(`[data-testid=results-communities] tr[data-org="${state.org.dongmen}"]`, { hasText: '东门社区' }).waitFor()
    await res.locator(`[data-testid=results-streets] tr[data-org="${state.org.chengguan}"]`, { hasText: '城关街道' }).waitFor()
    // one round: nothing to draw a trend with (the table has the one row)
    assert.equal(await res.locator('[data-testid=trend-chart]').count(), 0)
    await screenshot(page, 'survey-results')
    await page.locator('[data-testid=survey-close]').click()
    await page.locator('[data-testid=survey-state]', { hasText: '已结束' }).waitFor()
    assert.equal(await page.locator('[data-testid=invitations]').count(), 0)
    assertClean(page)
    await page.context().close()
  })

  test('a second round shows the trend; an auditor reads it and changes nothing', async () => {
    const sup = await srv.login('supervisor')
    const first = (await sup.call('GET', `/api/v1/surveys/${state.id}`)).data.definition
    const second = (await sup.call('POST', '/api/v1/surveys', { body: { ...first, title: '2027年第一季度群众安全感和满意度调查', access: 'open' } }, 201)).data
    await sup.call('POST', `/api/v1/surveys/${second.id}/open`, { body: {} })
    await answer(second.id, { place: state.org.dongmen, answers: { safety: 'safe', law_enforcement: 'very_satisfied' } })
    await answer(second.id, { place: state.org.dongmen, answers: { safety: 'safe', law_enforcement: 'satisfied' } })
    const page = await openPage()
    await login(page, 'auditor')
    await page.locator('[data-menu=surveys]').click()
    await page.locator(`[data-testid=survey-table] tr[data-survey="${second.id}"] a`).click()
    await page.waitForURL(new RegExp(`/console/surveys/${second.id}$`))
    const trend = page.locator('[data-testid=results-trend] tbody tr')
    await trend.nth(1).waitFor()
    assert.equal(await trend.count(), 2)
    assert.match(await trend.first().textContent(), /2026年第四季度/)
    assert.match(await trend.nth(1).locator('[data-col=change]').textContent(), /^[+−]\d+\.\d$/)
    // the same trend drawn (ECharts, loaded for this chart only), the table kept
    const chart = page.locator('[data-testid=trend-chart]')
    await chart.locator('canvas').waitFor()
    assert.match(await chart.getAttribute('aria-label'), /综合指数/)
    await chart.scrollIntoViewIfNeeded()
    await screenshot(page, 'survey-trend')
    // the open link with its QR code
    await page.locator('[data-testid=open-link] img').waitFor()
    assert.match(await page.locator('[data-testid=open-link] a').textContent(), new RegExp(`/survey/${second.id}$`))
    // an auditor: no new, open, close or invitations
    assert.equal(await page.locator('[data-testid=survey-close]').count(), 0)
    await page.goto(`${srv.base}/console/surveys`)
    await page.locator('[data-testid=survey-table] tbody tr').first().waitFor()
    assert.equal(await page.locator('[data-testid=survey-new]').count(), 0)
    await screenshot(page, 'survey-list')
    assertClean(page)
    await page.context().close()
  })
})
