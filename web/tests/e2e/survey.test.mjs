// survey.test.mjs — a survey answered on the portal in a real browser at
// phone width: staff (over the API) define a token survey for 东门社区,
// open it and make an invitation; the respondent opens the QR link, answers
// every question and sends; the same link then says the code was used, and
// the results count the response for 东门. Also: the open link with a
// community to choose, a question left out shown at the question, a closed
// survey refusing answers, and the English page.
//
// Run: cd web && npm run build && PINGAN_BIN=../build/pingan npm run test:e2e
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import * as H from './harness.mjs'

let srv
let browser
let admin
const ids = {}
const pages = []

const SCALES = [
  { id: 'safety', options: [
    { code: 'safe', label: '安全', label_en: 'Safe', positive: true },
    { code: 'fairly_safe', label: '比较安全', label_en: 'Fairly safe', positive: true },
    { code: 'not_very_safe', label: '不太安全', label_en: 'Not very safe' },
    { code: 'unsafe', label: '不安全', label_en: 'Unsafe' },
    { code: 'unsure', label: '说不清', label_en: "Can't say", excluded: true }] },
  { id: 'satisfaction', options: [
    { code: 'very_satisfied', label: '非常满意', label_en: 'Very satisfied', points: 100, positive: true },
    { code: 'satisfied', label: '比较满意', label_en: 'Satisfied', points: 80, positive: true },
    { code: 'basically_satisfied', label: '基本满意', label_en: 'Basically satisfied', points: 60, positive: true },
    { code: 'dissatisfied', label: '比较不满意', label_en: 'Dissatisfied', points: 30 },
    { code: 'very_dissatisfied', label: '非常不满意', label_en: 'Very dissatisfied', points: 0 },
    { code: 'unsure', label: '说不清', label_en: "Can't say", excluded: true }] },
]

function definition(access, series) {
  return {
    series,
    title: '2026年群众安全感调查',
    title_en: 'Public safety survey 2026',
    intro: '本调查匿名进行。',
    access,
    scales: SCALES,
    questions: [
      { id: 'safety', text: '在目前的社会治安环境下，您感觉安全吗？', text_en: 'Do you feel safe?', scale: 'safety', weight: 0.5 },
      { id: 'law', text: '您对政法机关执法工作满意吗？', text_en: 'Are you satisfied with law enforcement?', scale: 'satisfaction', weight: 0.5 },
    ],
  }
}

async function makeSurvey(access, series) {
  const s = (await admin.call('POST', '/api/v1/surveys', { body: definition(access, series) }, 201)).data
  await admin.call('POST', `/api/v1/surveys/${s.id}/open`, { body: {} })
  return s.id
}

async function open(path, opts) {
  const page = await H.newPage(browser, opts)
  page.setDefaultTimeout(15000)
  pages.push(page)
  if (path) await page.goto(srv.base + path)
  return page
}

async function done(page) {
  H.assertClean(page)
  await page.context().close()
}

before(async () => {
  srv = await H.startServer()
  browser = await H.launchBrowser()
  admin = await srv.login('admin')
  const orgs = (await admin.call('GET', '/api/v1/orgs')).data.items
  for (const o of orgs) ids[o.code] = o.id
})

after(async () => {
  for (const p of pages) await p.context().close().catch(() => {})
  if (browser) await browser.close()
  if (srv) await srv.stop()
})

test('a respondent answers a token survey from its QR link on a phone', async () => {
  const sid = await makeSurvey('token', 'e2e-token')
  const inv = (await admin.call('POST', `/api/v1/surveys/${sid}/invitations`, { body: { count: 1, place: ids.dongmen } }, 201)).data
  const link = new URL(inv.invitations[0].url)
  const page = await open(link.pathname + link.search, { viewport: { width: 360, height: 740 } })
  await page.waitForSelector('[data-test="survey-form"]')
  assert.equal((await page.locator('[data-test="survey-title"]').innerText()).trim(), '2026年群众安全感调查')
  assert.match(await page.locator('[data-test="survey-place-fixed"]').innerText(), /东门社区/)
  assert.equal(await page.inputValue('#f-token'), inv.invitations[0].token)
  assert.equal(await H.hasHorizontalScroll(page), false)

  // leaving a question out: the error sits at that question, nothing is sent
  await page.check('#q-safety-fairly_safe')
  await page.click('[data-test="survey-submit"]')
  await page.waitForSelector('[data-test="survey-summary"]')
  assert.match(await page.locator('[data-test="question-law"]').innerText(), /请回答这一题/)

  await page.check('#q-law-satisfied')
  await page.click('[data-test="survey-submit"]')
  await page.waitForSelector('[data-test="survey-done"]')
  await H.screenshot(page, 'survey-done')

  const res = (await admin.call('GET', `/api/v1/surveys/${sid}/results`)).data
  assert.equal(res.overall.responses, 1)
  const dong = res.communities.find((c) => c.org.id === ids.dongmen)
  assert.equal(dong.responses, 1)
  assert.equal(dong.questions[0].options.find((o) => o.code === 'fairly_safe').count, 1)

  // the same link again: the code is spent (409), and the form says so at the code field
  page.allowConsole(/status of 409/)
  await page.goto(srv.base + link.pathname + link.search)
  await page.waitForSelector('[data-test="survey-form"]')
  assert.match(await page.locator('.p-field__error').first().innerText(), /已经使用过/)
  await done(page)
})

test('the open link: the respondent chooses a community; English labels', async () => {
  const sid = await makeSurvey('open', 'e2e-open')
  const page = await open(`/survey/${sid}`, { locale: 'en', viewport: { width: 390, height: 844 } })
  await page.waitForSelector('[data-test="survey-form"]')
  await page.click('button:has-text("English")')
  await page.waitForSelector('[data-test="survey-title"]:has-text("Public safety survey 2026")')
  assert.match(await page.locator('[data-test="question-safety"]').innerText(), /Do you feel safe\?[\s\S]*Fairly safe/)
  await page.check('#q-safety')
  await page.check('#q-law') // the first option: 非常满意
  await page.click('[data-test="survey-submit"]')
  await page.waitForSelector('[data-test="survey-summary"]')
  await page.selectOption('#f-place', String(ids.ximen))
  await page.click('[data-test="survey-submit"]')
  await page.waitForSelector('[data-test="survey-done"]')
  const res = (await admin.call('GET', `/api/v1/surveys/${sid}/results`)).data
  assert.equal(res.communities.find((c) => c.org.id === ids.ximen).responses, 1)
  await done(page)
})

test('a closed survey takes no answers', async () => {
  const sid = await makeSurvey('open', 'e2e-closed')
  await admin.call('POST', `/api/v1/surveys/${sid}/close`, { body: {} })
  const page = await open(`/survey/${sid}`)
  await page.waitForSelector('[data-test="survey-closed"]')
  assert.equal(await page.locator('[data-test="survey-form"]').count(), 0)
  await done(page)
})
