// Supervision orders and case links: who sees which button, the checks
// before sending, merge targets, event kinds in both languages; the case
// page's cards mounted with a stubbed fetch (issue an order, reply, link,
// merge: the requests sent and server text shown as text).
import { afterEach, beforeAll, describe, expect, test, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { i18n, loadConsoleMessages, setLocale } from '../../src/i18n.js'
import {
  canClose, canIssue, canReply, checkIssue, checkLink, checkReply, mergeTargets, mergedInto, stateTagType,
} from '../../src/console/lib/supervision.js'
import { EVENT_KINDS, eventKindLabel } from '../../src/console/lib/events.js'
import messages from '../../src/console/locales.js'
import { useSession } from '../../src/console/session.js'
import SupervisionCard from '../../src/console/components/SupervisionCard.vue'
import LinksCard from '../../src/console/components/LinksCard.vue'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

beforeAll(() => loadConsoleMessages())
afterEach(() => {
  vi.unstubAllGlobals()
  document.body.innerHTML = ''
  setLocale('zh-CN')
})

const order = (over = {}) => ({
  id: 7, case: { id: 3, number: 'XF-2026-000003', title: 't' }, from_org: { id: 1, name: '区信访局' },
  to_org: { id: 5, name: '区住建局' }, issued_by: { id: 4, name: '赵督办' }, issued_at: '2026-03-02T10:00:00+08:00',
  reason: '久拖未办', required_action: '五日内答复', due_at: '2026-03-09T23:59:59+08:00', state: 'open',
  state_label: '督办中', overdue: false, reply_text: null, replied_by: null, replied_at: null, escalated_at: null,
  closed_by: null, closed_at: null, ...over,
})

describe('who may do what (buttons only: the server decides)', () => {
  test('supervisors and leaders issue and close; units reply', () => {
    expect(canIssue(['supervisor'], { is_open: true })).toBe(true)
    expect(canIssue(['leader'], { is_open: true })).toBe(true)
    expect(canIssue(['handler'], { is_open: true })).toBe(false)
    expect(canIssue(['supervisor'], { is_open: false })).toBe(false)
    expect(canReply(order(), ['handler'])).toBe(true)
    expect(canReply(order({ state: 'overdue' }), ['mediator'])).toBe(true)
    expect(canReply(order({ state: 'replied' }), ['handler'])).toBe(false)
    expect(canReply(order(), ['supervisor'])).toBe(false)
    expect(canClose(order({ state: 'replied' }), ['supervisor'])).toBe(true)
    expect(canClose(order({ state: 'closed' }), ['supervisor'])).toBe(false)
    expect(canClose(order(), ['handler'])).toBe(false)
  })
  test('state colours: an open order past due is danger', () => {
    expect(stateTagType(order())).toBe('warning')
    expect(stateTagType(order({ overdue: true }))).toBe('danger')
    expect(stateTagType(order({ state: 'closed' }))).toBe('success')
  })
})

describe('checks before sending', () => {
  test('an order needs reason, required action and a due date within a year from today', () => {
    expect(checkIssue({ reason: ' ', required_action: '', due_date: '' }, '2026-03-01')).toEqual({
      reason: 'reasonRequired', required_action: 'actionRequired', due_date: 'dueRequired',
    })
    expect(checkIssue({ reason: 'a', required_action: 'b', due_date: '2026-02-28' }, '2026-03-01')).toEqual({ due_date: 'duePast' })
    expect(checkIssue({ reason: 'a', required_action: 'b', due_date: '2027-03-03' }, '2026-03-01')).toEqual({ due_date: 'dueFar' })
    expect(checkIssue({ reason: 'a', required_action: 'b', due_date: '2026-03-01' }, '2026-03-01')).toEqual({})
    // characters, not UTF-16 units: 2000 汉 is fine, 2001 is not
    expect(checkIssue({ reason: '汉'.repeat(2000), required_action: '😀'.repeat(2000), due_date: '2026-03-05' }, '2026-03-01')).toEqual({})
    expect(checkIssue({ reason: '汉'.repeat(2001), required_action: 'b', due_date: '2026-03-05' }, '2026-03-01')).toEqual({ reason: 'tooLong' })
  })
  test('a reply needs text; a link needs another case number', () => {
    expect(checkReply('\u3000')).toEqual({ text: 'replyRequired' })
    expect(checkReply('已整改')).toEqual({})
    expect(checkLink({ to_number: '' }, 'XF-1')).toEqual({ to_number: 'numberRequired' })
    expect(checkLink({ to_number: 'xf-1' }, 'XF-1')).toEqual({ to_number: 'sameCase' })
    expect(checkLink({ to_number: 'XF-2', note: 'x'.repeat(1001) }, 'XF-1')).toEqual({ note: 'tooLong' })
  })
})

describe('links and merging', () => {
  const link = (kind, direction, c) => ({ id: c.id * 10, kind, kind_label: kind, direction, case: c, note: null, created_by: null, created_at: '2026-03-01T09:00:00+08:00' })
  const open2 = { id: 2, number: 'XF-2', title: 'b', state: 'registered', state_label: '已登记', is_open: true }
  const closed4 = { id: 4, number: 'XF-4', title: 'd', state: 'finalized', state_label: '办结', is_open: false }
  test('an open case may merge into its open linked cases, once each', () => {
    const c = { id: 1, is_open: true, links: [link('related', 'outgoing', open2), link('repeat_of', 'incoming', open2), link('related', 'outgoing', closed4)] }
    expect(mergeTargets(c).map((x) => x.id)).toEqual([2])
    expect(mergeTargets({ ...c, is_open: false })).toEqual([])
  })
  test('a merged case names its survivor and offers no merge', () => {
    const c = { id: 1, is_open: false, links: [link('merged_into', 'outgoing', open2)] }
    expect(mergedInto(c.links).number).toBe('XF-2')
    expect(mergeTargets(c)).toEqual([])
    expect(mergedInto([link('merged_into', 'incoming', open2)])).toBe(null)
  })
})

describe('timeline event kinds', () => {
  test('every kind the server writes has words in both languages', () => {
    for (const lang of ['zh-CN', 'en']) {
      for (const k of EVENT_KINDS) expect(messages[lang].console.event.kinds[k], `${lang} ${k}`).toBeTruthy()
    }
  })
  test('every kind written in src/core is in the list', () => {
    const core = join(__dirname, '..', '..', '..', 'src', 'core')
    const found = new Set()
    for (const f of readdirSync(core).filter((n) => n.endsWith('.c'))) {
      const src = readFileSync(join(core, f), 'utf8')
      // .kind = "x", and .kind = cond ? "x" : "y"
      for (const m of src.matchAll(/\.kind = ([^,;]*)/g)) for (const k of m[1].matchAll(/"([a-z_]+)"/g)) found.add(k[1])
      for (const m of src.matchAll(/record_step\([^;]*?"(supervision_[a-z]+)"/gs)) found.add(m[1])
      for (const m of src.matchAll(/kind_names\[\] = \{([^}]*)\}/g)) for (const k of m[1].matchAll(/"([a-z_]+)"/g)) found.add(k[1])
    }
    // kinds of other records than events (attachments, links, principals) are not timeline kinds
    const notEvents = new Set(['attachment_kind', 'repeat_of'])
    const missing = [...found].filter((k) => !notEvents.has(k) && !EVENT_KINDS.includes(k))
    expect(missing).toEqual([])
    expect(found.has('document')).toBe(true)
  })
  test('no raw kind is shown: unknown kinds are "other record"', () => {
    const { t, te } = i18n.global
    expect(eventKindLabel('document', t, te)).toBe('出具文书')
    expect(eventKindLabel('something_new', t, te)).toBe('其他记录')
    setLocale('en')
    expect(eventKindLabel('supervision_issued', t, te)).toBe('Supervision order issued')
  })
})

function stubFetch(routes) {
  const calls = []
  vi.stubGlobal('fetch', async (url, opts = {}) => {
    calls.push({ url: String(url), method: opts.method, body: opts.body ? JSON.parse(opts.body) : undefined })
    const key = `${opts.method} ${String(url).split('?')[0]}`
    const h = routes[key]
    if (!h) return new Response(JSON.stringify({ title: 'no route ' + key }), { status: 404, headers: { 'Content-Type': 'application/problem+json' } })
    const [status, body] = typeof h === 'function' ? h(opts) : h
    return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': status >= 400 ? 'application/problem+json' : 'application/json' } })
  })
  return calls
}

function mountWith(Comp, props, roles) {
  const pinia = createPinia()
  setActivePinia(pinia)
  useSession().user = { id: 1, roles: roles.map((r) => ({ role: r, org_id: 1 })) }
  return mount(Comp, {
    props,
    attachTo: document.body,
    global: { plugins: [pinia, i18n], stubs: { 'router-link': { template: '<a><slot /></a>' } } },
  })
}

const until = async (fn) => {
  for (let i = 0; i < 100; i++) {
    await flushPromises()
    if (fn()) return
    await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error('timed out waiting for ' + fn)
}

describe('the case page cards', () => {
  const caseData = (over = {}) => ({ id: 3, number: 'XF-2026-000003', is_open: true, supervision: [], links: [], ...over })

  test('a supervisor issues an order: required fields first, then the request', { timeout: 30000 }, async () => {
    const calls = stubFetch({ 'POST /api/v1/cases/3/supervision': [201, order()] })
    const w = mountWith(SupervisionCard, { caseData: caseData() }, ['supervisor'])
    expect(w.text()).toContain('本事项没有督办单')
    await w.find('[data-testid="supervision-issue"]').trigger('click')
    await until(() => document.querySelector('[data-testid="order-dialog"]'))
    document.querySelector('[data-testid="order-submit"]').click()
    await until(() => document.body.textContent.includes('请填写督办事由') && document.body.textContent.includes('请填写办理要求'))
    expect(calls).toEqual([])
    const areas = document.querySelectorAll('[data-testid="order-dialog"] textarea')
    areas[0].value = '<img src=x onerror=alert(1)>'
    areas[0].dispatchEvent(new Event('input'))
    areas[1].value = '五日内答复'
    areas[1].dispatchEvent(new Event('input'))
    document.querySelector('[data-testid="order-submit"]').click()
    await until(() => calls.length === 1)
    expect(calls[0].body.reason).toBe('<img src=x onerror=alert(1)>')
    expect(calls[0].body.required_action).toBe('五日内答复')
    expect(calls[0].body.due_date).toMatch(/^\d{4}-\d{2}-\d{2}$/)
    await until(() => w.emitted('changed'))
  })

  test('a handler sees the order and replies; no issue button; server text is text', async () => {
    const o = order({ reason: '<script>alert(1)</script>' })
    const calls = stubFetch({ 'POST /api/v1/supervision/7/reply': [200, order({ state: 'replied', reply_text: '已整改' })] })
    const w = mountWith(SupervisionCard, { caseData: caseData({ supervision: [o] }) }, ['handler'])
    expect(w.find('[data-testid="supervision-issue"]').exists()).toBe(false)
    expect(w.find('[data-testid="order-close-open"]').exists()).toBe(false)
    expect(w.text()).toContain('<script>alert(1)</script>')
    expect(w.find('script').exists()).toBe(false)
    await w.find('[data-testid="order-reply-open"]').trigger('click')
    await until(() => document.querySelector('[data-testid="order-dialog"] textarea'))
    const ta = document.querySelector('[data-testid="order-dialog"] textarea')
    ta.value = '已整改'
    ta.dispatchEvent(new Event('input'))
    document.querySelector('[data-testid="order-submit"]').click()
    await until(() => calls.length === 1)
    expect(calls[0]).toMatchObject({ method: 'POST', url: '/api/v1/supervision/7/reply', body: { text: '已整改' } })
  })

  test('a server 400 on the due date is shown on that field', { timeout: 30000 }, async () => {
    stubFetch({ 'POST /api/v1/cases/3/supervision': [400, { type: 'urn:pingan:problem:validation', title: '字段无效', detail: 'due_date: the due date is past', field: 'due_date' }] })
    const w = mountWith(SupervisionCard, { caseData: caseData() }, ['leader'])
    await w.find('[data-testid="supervision-issue"]').trigger('click')
    await until(() => document.querySelector('[data-testid="order-dialog"] textarea'))
    const areas = document.querySelectorAll('[data-testid="order-dialog"] textarea')
    for (const a of areas) { a.value = 'x'; a.dispatchEvent(new Event('input')) }
    document.querySelector('[data-testid="order-submit"]').click()
    await until(() => document.querySelector('[data-field="due_date"]').textContent.includes('the due date is past'))
  })

  test('links: a related case is linked by number; merging goes into a linked case', async () => {
    const other = { id: 9, number: 'XF-2026-000009', title: '同一事项', state: 'registered', state_label: '已登记', is_open: true }
    const calls = stubFetch({
      'POST /api/v1/cases/3/links': [201, {}],
      'POST /api/v1/cases/3/merge': [200, {}],
    })
    const links = [{ id: 1, kind: 'repeat_of', kind_label: '重复件，首件为', direction: 'outgoing', case: other, note: null, created_by: null, created_at: '2026-03-01T09:00:00+08:00' }]
    const w = mountWith(LinksCard, { caseData: caseData({ links }) }, ['handler'])
    expect(w.text()).toContain('重复件，首件为')
    expect(w.text()).toContain('XF-2026-000009')
    await w.find('[data-testid="link-open"]').trigger('click')
    await until(() => document.querySelector('[data-testid="link-dialog"] input'))
    document.querySelector('[data-testid="link-submit"]').click()
    await until(() => document.body.textContent.includes('请填写事项编号'))
    const input = document.querySelector('[data-testid="link-dialog"] input')
    input.value = ' XF-2026-000020 '
    input.dispatchEvent(new Event('input'))
    document.querySelector('[data-testid="link-submit"]').click()
    await until(() => calls.length === 1)
    expect(calls[0].body).toEqual({ to_number: 'XF-2026-000020', kind: 'related' })
    await until(() => w.emitted('changed'))
    await w.find('[data-testid="merge-open"]').trigger('click')
    await until(() => document.querySelector('[data-testid="merge-intro"]'))
    expect(document.querySelector('[data-testid="merge-intro"]').textContent).toContain('XF-2026-000009')
    document.querySelectorAll('[data-testid="link-submit"]')[document.querySelectorAll('[data-testid="link-submit"]').length - 1].click()
    await until(() => calls.length === 2)
    expect(calls[1]).toMatchObject({ url: '/api/v1/cases/3/merge', body: { into_id: 9 } })
  })
})
