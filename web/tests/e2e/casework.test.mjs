// casework.test.mjs — what the case page draws from a case type's
// definition beyond its actions, in a real browser against a real server:
// a joint case (workflows/joint_case.yaml) with its participating agencies'
// stage tracks, consultations, tasks and the asset ledger (records, forms
// built from the kinds' field definitions, versions), and a step that needs
// approval (extend: a leader approves) proposed, declined with a reason,
// proposed again and approved — both outcomes on the timeline.
//
// Users (demo data): plcsup opens joint cases (committee intake +
// supervisor), plc handles them (committee handler), plcleader approves
// (committee leader), police is a participating agency's handler.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { DEMO_PASSWORD, assertClean, closedSelect, launchBrowser, newPage, openSelect, screenshot, startServer } from './harness.mjs'

const DESKTOP = { width: 1366, height: 900 }
let srv
let browser
const state = {}

async function openPage(viewport = DESKTOP) {
  const page = await newPage(browser, { viewport })
  // 4xx answers the tests provoke are logged by the browser as console errors
  page.allowConsole(/status of (400|401|409|422)/)
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

async function dialogsClosed(page) {
  await page.waitForFunction(() => ![...document.querySelectorAll('.el-overlay')].some((o) => getComputedStyle(o).display !== 'none'))
}

async function openCase(page, id) {
  await page.goto(`${srv.base}/console/cases/${id}`)
  await page.locator('[data-testid=case-title]').waitFor()
}

/** Fills an el-date-picker form item by typing the date. */
async function fillDate(dialog, field, date) {
  const input = dialog.locator(`[data-field=${field}] input`)
  await input.fill(date)
  await input.press('Enter')
}

describe('case records, approvals and the joint case page', () => {
  before(async () => {
    srv = await startServer()
    browser = await launchBrowser()
    const plcsup = await srv.login('plcsup')
    const created = (await plcsup.call('POST', '/api/v1/cases', {
      body: {
        type: 'joint_case', category: 'organized_crime', channel: 'letter',
        title: '某村霸强揽工程、欺压群众案', body: '群众举报线索经初核属实，需公安、检察协同办理。',
      },
    }, 201)).data
    state.id = created.id
    const orgs = (await plcsup.call('GET', '/api/v1/orgs')).data.items
    state.org = Object.fromEntries(orgs.map((o) => [o.code, o.id]))
  })
  after(async () => {
    if (browser) await browser.close()
    if (srv) await srv.stop()
  })

  test('the committee adds agencies, moves a stage and records a consultation from its definition', async () => {
    const page = await openPage()
    await login(page, 'plc')
    await openCase(page, state.id)
    const panel = page.locator('[data-testid=joint-case]')
    await panel.locator('[data-testid=participants]').waitFor()
    assert.match(await panel.locator('[data-testid=participants]').textContent(), /尚无协同单位/)

    // add the police bureau and the procuratorate
    for (const unit of ['平安区公安分局', '平安区人民检察院']) {
      await page.locator('[data-testid=add-participant]').click()
      const dlg = page.locator('[data-testid=participant-dialog]')
      const list = await openSelect(page, dlg.locator('.el-select'))
      const option = list.getByRole('option', { name: unit, exact: true })
      await option.waitFor()
      // a unit of a kind without a track (a department) is not offered
      assert.equal(await list.getByRole('option', { name: '平安区住房和城乡建设局' }).count(), 0)
      await option.click()
      await closedSelect(page, list)
      await dlg.locator('[data-testid=participant-submit]').click()
      await dialogsClosed(page)
    }
    const police = page.locator(`.pa-track[data-org="${state.org['district-police']}"]`)
    await police.waitFor()
    assert.equal(await police.locator('li[aria-current=step]').textContent().then((s) => s.trim()), '立案侦查')
    // the police move to the next stage of their track
    await police.locator('[data-move-stage]').click()
    const stageDlg = page.locator('[data-testid=stage-dialog]')
    await stageDlg.locator('.el-radio', { hasText: '移送审查起诉' }).click()
    await stageDlg.locator('[data-field=note] textarea').fill('侦查终结，移送审查起诉。')
    await stageDlg.locator('[data-testid=stage-submit]').click()
    await dialogsClosed(page)
    await police.locator('li[aria-current=step]', { hasText: '移送审查起诉' }).waitFor()
    assert.equal(await police.locator('li.is-done').count(), 1)
    assert.equal(await police.locator('[data-move-stage]').count(), 0, 'the last stage offers no later one')

    // a consultation: the form comes from the kind's fields; required ones are enforced before sending
    await page.locator('[data-testid=consultations] [data-add-record=consultation]').click()
    const dlg = page.locator('[data-testid=record-dialog]')
    await dlg.waitFor()
    let posted = 0
    page.on('request', (r) => { if (r.method() === 'POST' && r.url().includes('/records/')) posted++ })
    await dlg.locator('[data-testid=record-submit]').click()
    await dlg.locator('[data-field=held_on].is-error').waitFor()
    for (const f of ['participants', 'minutes', 'decisions']) await dlg.locator(`[data-field=${f}].is-error`).waitFor()
    assert.equal(await dlg.locator('[data-field=place].is-error').count(), 0, 'the place is optional')
    assert.equal(posted, 0, 'an incomplete record was sent')
    await fillDate(dlg, 'held_on', '2026-03-02')
    await dlg.locator('[data-field=place] textarea').fill('区委政法委会议室')
    await dlg.locator('[data-field=participants] textarea').fill('区委政法委、区公安分局、区人民检察院')
    await dlg.locator('[data-field=minutes] textarea').fill('通报线索核查情况，研究下一步工作。')
    await dlg.locator('[data-field=decisions] textarea').fill('公安立案侦查；检察院提前介入。<b>不是标签</b>')
    await screenshot(page, 'case-record-form')
    await dlg.locator('[data-testid=record-submit]').click()
    await dialogsClosed(page)
    const cons = page.locator('[data-testid=consultations] .pa-record')
    await cons.first().waitFor()
    assert.equal(await cons.count(), 1)
    assert.equal(await cons.locator('[data-field=decisions]').textContent(), '公安立案侦查；检察院提前介入。<b>不是标签</b>')
    assert.equal(await page.locator('[data-testid=consultations] b').count(), 0)
    assert.match(await cons.textContent(), /第 1 版/)
    // on the timeline, with the kind's name
    await page.locator('[data-testid=timeline] [data-kind=record]', { hasText: '会商纪要' }).waitFor()
    await page.locator('[data-testid=timeline] [data-kind=participant_stage]', { hasText: '移送审查起诉' }).waitFor()
    assertClean(page)
    await page.context().close()
  })

  test('tasks and the asset ledger: a server problem lands on its field, versions keep the old one', async () => {
    const plc = await srv.login('plc')
    const add = (kind, fields) => plc.call('POST', `/api/v1/cases/${state.id}/records/${kind}`, { body: { fields } }, 201)
    await add('task', { agency_id: state.org['district-police'], lead: 'lead', task: '查明涉案工程款去向', due_on: '2026-01-10', status: 'open' })
    await add('task', { agency_id: state.org['district-procuratorate'], lead: 'assist', task: '提前介入，引导取证', due_on: '2099-12-31', status: 'open' })
    await add('asset', { measure: 'freeze', description: '银行账户存款', value_yuan: 1200000, holder: '平安区公安分局', decided_on: '2026-03-05' })
    await add('asset', { measure: 'seal', description: '涉案房产一处', value_yuan: 3500000, holder: '平安区不动产登记中心', decided_on: '2026-03-06' })

    const page = await openPage()
    await login(page, 'plc')
    await openCase(page, state.id)
    const tasks = page.locator('[data-testid=tasks] tbody tr[data-record]')
    await tasks.first().waitFor()
    assert.equal(await tasks.count(), 2)
    // the past-due open task first, marked overdue
    assert.match(await tasks.first().textContent(), /平安区公安分局.*主办.*查明涉案工程款去向.*2026-01-10.*已超期.*办理中/)
    assert.equal(await tasks.nth(1).locator('.pa-due-overdue').count(), 0)
    // the ledger: per measure and the total
    assert.equal(await page.locator('[data-testid=asset-total]').textContent(), '4,700,000')
    assert.match(await page.locator('[data-testid=asset-totals] tr[data-measure=freeze]').textContent(), /冻结.*1 项.*1,200,000/)
    assert.match(await page.locator('[data-testid=asset-totals] tr[data-measure=seize]').textContent(), /扣押.*0 项.*0/)

    // a new asset through the form; its value changed on the way out gets the server's 400 on that field
    await page.locator('[data-testid=assets] [data-add-record=asset]').click()
    const dlg = page.locator('[data-testid=record-dialog]')
    await dlg.locator('[data-field=measure] .el-radio', { hasText: '追缴' }).click()
    await dlg.locator('[data-field=description] textarea').fill('违法所得现金')
    await dlg.locator('[data-field=value_yuan] input').fill('300000')
    await dlg.locator('[data-field=holder] textarea').fill('平安区公安分局')
    await fillDate(dlg, 'decided_on', '2026-03-08')
    await page.route('**/records/asset', async (route) => {
      const body = JSON.parse(route.request().postData())
      body.fields.value_yuan = -1
      await route.continue({ postData: JSON.stringify(body) })
    }, { times: 1 })
    await dlg.locator('[data-testid=record-submit]').click()
    await dlg.locator('[data-field=value_yuan].is-error .el-form-item__error').waitFor()
    await screenshot(page, 'case-record-server-error')
    await dlg.locator('[data-testid=record-submit]').click()
    await dialogsClosed(page)
    await page.locator('[data-testid=asset-total]', { hasText: '5,000,000' }).waitFor()

    // the overdue task is done: a new version, the old one kept
    await tasks.first().locator('[data-revise]').click()
    await dlg.waitFor()
    await dlg.locator('[data-testid=record-supersedes]', { hasText: '第 1 版' }).waitFor()
    assert.equal(await dlg.locator('[data-field=task] textarea').inputValue(), '查明涉案工程款去向')
    await dlg.locator('[data-field=status] .el-radio', { hasText: '已完成' }).click()
    await dlg.locator('[data-testid=record-submit]').click()
    await dialogsClosed(page)
    await page.locator('[data-testid=tasks] tbody tr[data-record]', { hasText: '已完成' }).waitFor()
    assert.equal(await page.locator('[data-testid=tasks] .pa-due-overdue').count(), 0, 'a done task is not overdue')
    const recs = (await plc.call('GET', `/api/v1/cases/${state.id}/records`)).data.items.filter((r) => r.kind === 'task')
    assert.equal(recs.length, 3)
    assert.equal(recs.filter((r) => r.superseded).length, 1)
    await screenshot(page, 'case-joint')
    assertClean(page)
    await page.context().close()
  })

  test('the participating police see the case, their track and the ledger', async () => {
    const page = await openPage()
    await login(page, 'police')
    await openCase(page, state.id)
    await page.locator('[data-testid=participants] .pa-track').first().waitFor()
    assert.equal(await page.locator('[data-testid=asset-total]').textContent(), '5,000,000')
    assertClean(page)
    await page.context().close()
  })

  test('a step that needs approval: proposed, declined with a reason, proposed again and approved', async () => {
    const plc = await srv.login('plc')
    await plc.act(state.id, 'start')
    const page = await openPage()
    await login(page, 'plc')
    await openCase(page, state.id)
    const extend = page.locator('[data-testid=case-actions] [data-action=extend]')
    assert.match(await extend.textContent(), /需审批/)
    await extend.click()
    const dlg = page.locator('.pa-action-dialog:visible')
    await dlg.locator('[data-testid=needs-approval]').waitFor()
    await dlg.locator('[data-field=days] input').fill('30')
    await dlg.locator('[data-field=reason] textarea').fill('涉案资金流向复杂，需延长协同办理期限。')
    await dlg.locator('[data-testid=action-submit]').click()
    await dialogsClosed(page)
    const card = page.locator('[data-testid=approval]')
    await card.waitFor()
    assert.match(await card.textContent(), /待审批：延长办理期限/)
    assert.match(await card.textContent(), /冯政法/)
    assert.match(await card.locator('[data-testid=approval-fields]').textContent(), /延长天数\s*30/)
    // the proposer may not decide it; no other step while it waits
    await card.locator('[data-testid=approval-wait]').waitFor()
    assert.equal(await card.locator('[data-testid=approve]').count(), 0)
    await page.locator('[data-testid=no-actions]').waitFor()
    await page.locator('[data-testid=timeline] [data-kind=approval_requested]', { hasText: '延长办理期限' }).waitFor()
    assertClean(page)
    await page.context().close()

    // the committee's leader declines: a reason is required
    const lp = await openPage()
    await login(lp, 'plcleader')
    await openCase(lp, state.id)
    const due0 = await lp.locator('[data-testid=case-due]').textContent()
    await lp.locator('[data-testid=approval] [data-testid=approve]').waitFor()
    await screenshot(lp, 'case-approval')
    await lp.locator('[data-testid=decline]').click()
    const dd = lp.locator('[data-testid=decline-dialog]')
    await dd.locator('[data-testid=decline-submit]').click()
    await dd.locator('[data-field=reason].is-error').waitFor()
    await dd.locator('[data-field=reason] textarea').fill('理由不充分，请补充资金流向核查计划后再报。')
    await dd.locator('[data-testid=decline-submit]').click()
    await dialogsClosed(lp)
    await lp.locator('[data-testid=approval]').waitFor({ state: 'detached' })
    await lp.locator('[data-testid=timeline] [data-kind=approval_declined]', { hasText: '延长办理期限' }).waitFor()
    assert.match(await lp.locator('[data-testid=timeline] [data-kind=approval_declined]').textContent(), /理由不充分/)
    assert.equal(await lp.locator('[data-testid=case-due]').textContent(), due0)

    // proposed again (over the API), approved in the browser: the due date moves
    await plc.call('POST', `/api/v1/cases/${state.id}/actions/extend`, { body: { fields: { days: 30, reason: '已补充资金流向核查计划。' } } }, 202)
    await openCase(lp, state.id)
    await lp.locator('[data-testid=approve]').click()
    await lp.locator('.el-message-box__btns .el-button--primary').click()
    await lp.locator('[data-testid=approval]').waitFor({ state: 'detached' })
    await lp.locator('[data-testid=timeline] [data-kind=approval_approved]', { hasText: '延长办理期限' }).waitFor()
    assert.notEqual(await lp.locator('[data-testid=case-due]').textContent(), due0)
    const c = (await plc.call('GET', `/api/v1/cases/${state.id}`)).data
    assert.equal(c.pending_approval, null)
    assertClean(lp)
    await lp.context().close()
  })

  test('a dispute: the agreement form needs every signature ticked; the kinds show with their versions', async () => {
    const intake = await srv.login('intake')
    const mediator = await srv.login('mediator')
    const d = (await intake.call('POST', '/api/v1/cases', {
      body: { type: 'dispute', category: 'neighbourhood', channel: 'visit', title: '楼上漏水损坏楼下装修引发邻里纠纷', body: '双方多次协商未果，申请人民调解。', contact: { name: '张三', phone: '13812345678' } },
    }, 201)).data
    await intake.act(d.id, 'refer', { committee_id: state.org['chengguan-mediation'] })
    await mediator.call('POST', `/api/v1/cases/${d.id}/records/party`, { body: { fields: { designation: '申请人 张某', role: 'applicant', party_kind: 'person', consent: 'consents' } } }, 201)
    await mediator.act(d.id, 'accept', { mediator_name: '蒋调解', chosen_by_parties: true, session_mode: 'private' })

    const page = await openPage()
    await login(page, 'mediator')
    await openCase(page, d.id)
    const records = page.locator('[data-testid=records]')
    await records.locator('.pa-record-kind[data-kind=party] .pa-record').waitFor()
    assert.match(await records.locator('.pa-record-kind[data-kind=party]').textContent(), /申请人 张某.*申请人.*自然人.*同意调解/)
    assert.equal(await page.locator('[data-testid=joint-case]').count(), 0, 'a dispute has no joint-case panel')
    await records.locator('[data-add-record=agreement]').click()
    const dlg = page.locator('[data-testid=record-dialog]')
    await dlg.waitFor()
    const text = {
      parties: '申请人张某，被申请人李某', dispute_facts: '因楼上漏水损坏楼下装修发生纠纷。', points: '维修费用的赔偿数额。',
      responsibilities: '李某负主要责任。', terms: '李某赔偿张某维修费3000元。', performance: '2026年3月10日前在调解委员会当面现金支付。', mediator: '蒋调解',
    }
    for (const [k, v] of Object.entries(text)) await dlg.locator(`[data-field=${k}] textarea`).fill(v)
    await fillDate(dlg, 'signed_on', '2026-03-02')
    await dlg.locator('[data-field=signed_by_parties] .el-checkbox').click()
    let posted = 0
    page.on('request', (r) => { if (r.method() === 'POST' && r.url().includes('/records/')) posted++ })
    await dlg.locator('[data-testid=record-submit]').click()
    await dlg.locator('[data-field=signed_by_mediator].is-error').waitFor()
    await dlg.locator('[data-field=committee_seal].is-error').waitFor()
    assert.equal(await dlg.locator('[data-field=signed_by_parties].is-error').count(), 0)
    assert.match(await dlg.locator('[data-field=committee_seal] .el-form-item__error').textContent(), /须确认/)
    assert.equal(posted, 0, 'an unsigned agreement was sent')
    await screenshot(page, 'case-agreement-signatures')
    await dlg.locator('[data-field=signed_by_mediator] .el-checkbox').click()
    await dlg.locator('[data-field=committee_seal] .el-checkbox').click()
    await dlg.locator('[data-testid=record-submit]').click()
    await dialogsClosed(page)
    const agreement = records.locator('.pa-record-kind[data-kind=agreement] .pa-record')
    await agreement.waitFor()
    assert.equal(await agreement.locator('[data-field=committee_seal]').textContent(), '是')
    // the agree step needs the agreement: it can be taken now
    await page.locator('[data-testid=case-actions] [data-action=agree]').waitFor()
    assertClean(page)
    await page.context().close()
  })
})
