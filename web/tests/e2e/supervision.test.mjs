// supervision.test.mjs — supervision orders (督办) and linked cases in the
// console, in a real browser against a real `pingan serve` (harness.mjs).
//
// Steps, in order, on one server: the petition office accepts a case (its
// acceptance notice is generated: the attachment list says it was sent to
// the public, and the timeline words every event kind); the supervisor
// issues an order on the case page (required fields checked before
// sending); the petition office's handler answers it from the supervision
// board; the supervisor closes it; the handler links a second case by its
// number and merges it into the first; the language switch on the board.
// Screenshots: case-supervision, supervision-board, case-links(-merged),
// supervision-board-en.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { DEMO_PASSWORD, assertClean, launchBrowser, newPage, screenshot, startServer } from './harness.mjs'

const DESKTOP = { width: 1366, height: 900 }
let srv
let browser
const state = {}

async function openPage() {
  const page = await newPage(browser, { viewport: DESKTOP })
  page.allowConsole(/status of (401|403|422)/)
  page.setDefaultTimeout(20000)
  return page
}

async function login(page, username) {
  await page.goto(`${srv.base}/console/login`)
  await page.locator('input[name=username]').fill(username)
  await page.locator('input[name=password]').fill(DEMO_PASSWORD)
  await page.locator('[data-testid=login-submit]').click()
  await page.waitForURL((u) => !u.pathname.startsWith('/console/login'))
}

async function dialogsClosed(page) {
  await page.waitForFunction(() => ![...document.querySelectorAll('.el-overlay')].some((o) => getComputedStyle(o).display !== 'none'))
}

/** Waits until the acceptance notice's PDF is attached (documents are made in the background). */
async function waitForDocument(staff, id) {
  for (let i = 0; i < 300; i++) {
    const c = (await staff.call('GET', `/api/v1/cases/${id}`)).data
    if (c.attachments.some((a) => a.mime === 'application/pdf')) return c
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`case ${id}: no document after 30 s`)
}

describe('supervision and links', () => {
  before(async () => {
    srv = await startServer()
    browser = await launchBrowser()
    const a = await srv.submitPetition({ title: '东门社区路灯长期不亮', body: '东门社区3号路灯已坏两个月，夜间出行不便，请尽快修复。' })
    const b = await srv.submitPetition({
      title: '东门社区路灯坏了', body: '东门社区路灯坏了很久，晚上很黑，请有关部门修一修。',
      contact: { name: '李四', phone: '13900001111' },
    })
    const xfj = await srv.login('xfj')
    state.a = { number: a.number, code: a.query_code, id: await xfj.caseId(a.number) }
    state.b = { number: b.number, id: await xfj.caseId(b.number) }
    await xfj.act(state.a.id, 'accept')
    await waitForDocument(xfj, state.a.id)
  })
  after(async () => {
    if (browser) await browser.close()
    if (srv) await srv.stop()
  })

  test('the public sees the notice as a document sent to them, with its title on the timeline', async () => {
    const page = await newPage(browser, { viewport: { width: 390, height: 844 } })
    await page.goto(`${srv.base}/track/${state.a.number}?code=${state.a.code}`)
    const sent = page.locator('[data-test="attachments-out"]', { hasText: '送达您的文书' })
    await sent.waitFor()
    assert.equal(await page.locator('[data-test="attachments-in"]').count(), 0, 'the person sent no file')
    const timeline = await page.locator('main').textContent()
    assert.ok(timeline.includes('出具《信访事项受理告知书》'), 'the document event is worded')
    assert.ok(!/\bdocument\b/.test(timeline), 'no raw event kind on the page')
    await screenshot(page, 'track-documents')
    assertClean(page)
    await page.context().close()
  })

  test('the supervisor issues an order on the case page; documents are "sent to the public"', async () => {
    const page = await openPage()
    await login(page, 'supervisor')
    await page.goto(`${srv.base}/console/cases/${state.a.id}`)
    await page.locator('[data-testid=case-number]', { hasText: state.a.number }).waitFor()

    // the generated acceptance notice is an outgoing document, the timeline words its kind
    const pdf = page.locator('[data-testid=attachments] li', { hasText: '.pdf' })
    await pdf.locator('[data-testid=attachment-direction]', { hasText: '已送达群众' }).waitFor()
    const kinds = await page.locator('[data-testid=timeline] .pa-event-head strong').allTextContents()
    for (const raw of ['document', 'notice', 'transition', 'created']) assert.ok(!kinds.includes(raw), `raw kind ${raw} shown: ${kinds}`)
    assert.ok(kinds.some((k) => k.startsWith('出具文书')), `no document event: ${kinds}`)

    // required fields are checked before anything is sent
    await page.locator('[data-testid=supervision-issue]').click()
    const dialog = page.locator('[data-testid=order-dialog]:visible')
    await dialog.waitFor()
    let sent = 0
    page.on('request', (r) => { if (r.method() === 'POST' && r.url().includes('/supervision')) sent++ })
    await dialog.locator('[data-testid=order-submit]').click()
    await dialog.locator('[data-field=reason]', { hasText: '请填写督办事由' }).waitFor()
    await dialog.locator('[data-field=required_action]', { hasText: '请填写办理要求' }).waitFor()
    assert.equal(sent, 0)
    await dialog.locator('[data-field=reason] textarea').fill('群众反映路灯问题两月未解决')
    await dialog.locator('[data-field=required_action] textarea').fill('<b>五日内</b>修复并答复')
    await dialog.locator('[data-testid=order-submit]').click()
    await dialogsClosed(page)
    const card = page.locator('[data-testid=supervision-orders]')
    await card.locator('[data-testid=order-state]', { hasText: '待回复' }).waitFor()
    assert.ok((await card.textContent()).includes('<b>五日内</b>修复并答复'), 'text stays text')
    await page.locator('[data-testid=timeline] .pa-event-head', { hasText: '发出督办' }).waitFor()
    await screenshot(page, 'case-supervision')
    const orders = (await srv.login('supervisor')).call('GET', `/api/v1/cases/${state.a.id}/supervision`)
    const items = (await orders).data.items
    assert.equal(items.length, 1)
    state.order = items[0].id
    assertClean(page)
    await page.context().close()
  })

  test('the handler answers from the supervision board', async () => {
    assert.ok(state.order, 'the previous step issued an order')
    const page = await openPage()
    await login(page, 'xfj')
    await page.locator('[data-menu=supervision]').click()
    await page.waitForURL('**/console/supervision')
    const row = page.locator(`[data-testid=board] [data-order="${state.order}"]`)
    await row.waitFor()
    assert.ok((await row.textContent()).includes(state.a.number))
    await row.locator('[data-testid=order-reply-open]').click()
    const dialog = page.locator('[data-testid=order-dialog]:visible')
    await dialog.locator('[data-testid=order-submit]').click()
    await dialog.locator('[data-field=text]', { hasText: '请填写办理回复' }).waitFor()
    await dialog.locator('[data-field=text] textarea').fill('已联系城管部门，路灯已于今日修复。')
    await dialog.locator('[data-testid=order-submit]').click()
    await dialogsClosed(page)
    await row.locator('[data-testid=order-state]', { hasText: '已回复' }).waitFor()
    await row.locator('[data-testid=order-reply]', { hasText: '路灯已于今日修复' }).waitFor()
    assert.equal(await row.locator('[data-testid=order-reply-open]').count(), 0, 'answered once')
    await screenshot(page, 'supervision-board')

    // the language switch: the board in English, with the server's labels
    await page.locator('[data-testid=lang-switch] [data-lang=en]').click()
    await row.locator('[data-testid=order-state]', { hasText: 'Replied' }).waitFor()
    await page.locator('.pa-filters', { hasText: 'State' }).waitFor()
    await screenshot(page, 'supervision-board-en')
    await page.locator('[data-testid=lang-switch] [data-lang=zh-CN]').click()
    await row.locator('[data-testid=order-state]', { hasText: '已回复' }).waitFor()
    assertClean(page)
    await page.context().close()
  })

  test('the supervisor closes the order', async () => {
    const page = await openPage()
    await login(page, 'supervisor')
    await page.goto(`${srv.base}/console/cases/${state.a.id}`)
    const order = page.locator(`[data-testid=supervision-orders] [data-order="${state.order}"]`)
    await order.locator('[data-testid=order-reply]', { hasText: '路灯已于今日修复' }).waitFor()
    await order.locator('[data-testid=order-close-open]').click()
    const dialog = page.locator('[data-testid=order-dialog]:visible')
    await dialog.locator('[data-field=note] textarea').fill('经核实已修复，办结。')
    await dialog.locator('[data-testid=order-submit]').click()
    await dialogsClosed(page)
    await order.locator('[data-testid=order-state]', { hasText: '已办结' }).waitFor()
    assert.equal(await order.locator('[data-testid=order-close-open]').count(), 0)
    const o = (await (await srv.login('supervisor')).call('GET', `/api/v1/cases/${state.a.id}/supervision`)).data.items[0]
    assert.equal(o.state, 'closed')
    assertClean(page)
    await page.context().close()
  })

  test('the handler links a case by number, then merges it', async () => {
    const page = await openPage()
    await login(page, 'xfj')
    await page.goto(`${srv.base}/console/cases/${state.b.id}`)
    await page.locator('[data-testid=case-number]', { hasText: state.b.number }).waitFor()
    await page.locator('[data-testid=link-open]').click()
    const dialog = page.locator('[data-testid=link-dialog]:visible')
    await dialog.locator('[data-field=to_number] input').fill(state.b.number)
    await dialog.locator('[data-testid=link-submit]').click()
    await dialog.locator('[data-field=to_number]', { hasText: '不能关联本事项自身' }).waitFor()
    // a number that does not exist: the server's 422 on the field
    await dialog.locator('[data-field=to_number] input').fill('XF-1999-999999')
    await dialog.locator('[data-testid=link-submit]').click()
    await dialog.locator('[data-field=to_number] .el-form-item__error').waitFor()
    await dialog.locator('[data-field=to_number] input').fill(` ${state.a.number} `)
    await dialog.locator('[data-field=note] textarea').fill('同一处路灯')
    await dialog.locator('[data-testid=link-submit]').click()
    await dialogsClosed(page)
    const link = page.locator('[data-testid=links] li[data-kind=related]', { hasText: state.a.number })
    await link.waitFor()
    assert.ok((await link.textContent()).includes('同一处路灯'))
    await page.locator('[data-testid=timeline] .pa-event-head', { hasText: '关联案件' }).waitFor()
    await screenshot(page, 'case-links')

    // merge this case into the linked one
    await link.locator('[data-testid=merge-open]').click()
    const merge = page.locator('[data-testid=link-dialog]:visible')
    await merge.locator('[data-testid=merge-intro]', { hasText: state.a.number }).waitFor()
    await merge.locator('[data-field=note] textarea').fill('同一事项，合并办理')
    await merge.locator('[data-testid=link-submit]').click()
    await dialogsClosed(page)
    await page.locator('[data-testid=merged-banner]', { hasText: state.a.number }).waitFor()
    assert.equal(await page.locator('[data-testid=merge-open]').count(), 0, 'a merged case offers no merge')
    await page.locator('[data-testid=no-actions]').waitFor()
    await screenshot(page, 'case-links-merged')
    // the surviving case shows where the other came from
    await page.locator('[data-testid=merged-banner] a').click()
    await page.waitForURL(`**/console/cases/${state.a.id}`)
    await page.locator('[data-testid=links] li[data-kind=merged_into]', { hasText: state.b.number }).waitFor()
    assertClean(page)
    await page.context().close()
  })
})
