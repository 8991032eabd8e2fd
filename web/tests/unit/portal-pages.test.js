// The portal's pages mounted in happy-dom with a stubbed fetch: the tracking
// page shows server text as text; the submit form sends the multipart the
// server reads and puts a server 400 on the field it names.
import { describe, it, expect, beforeEach, afterEach, vi } from 'vitest'
import { mount, flushPromises } from '@vue/test-utils'
import { createRouter, createMemoryHistory } from 'vue-router'
import { i18n, setLocale } from '../../src/i18n.js'
import portalRoutes from '../../src/portal/routes.js'
import Track from '../../src/portal/pages/Track.vue'
import Submit from '../../src/portal/pages/Submit.vue'
import PField from '../../src/portal/components/PField.vue'

const XSS_TITLE = '<img src=x onerror=alert(1)>'

const json = (status, body) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': status >= 400 ? 'application/problem+json' : 'application/json' } })

const publicCase = {
  number: 'XF-2026-000007', type: 'petition', type_label: '信访', category: 'grievance', category_label: '申诉求决',
  title: XSS_TITLE, state: 'replied', state_label: '已答复', is_open: true, created_at: '2026-03-02T10:15:00+08:00',
  handling_unit: { id: 3, name: '平安区信访局', kind: 'petition_office' }, due_at: '2026-04-30T23:59:59+08:00',
  limit: { amount: 30, unit: 'calendar_days', basis: '信访工作条例 第35条' },
  timeline: [
    { id: 1, at: '2026-03-02T10:15:00+08:00', kind: 'created', action: null, action_label: null, to_state: 'registered', to_state_label: '已登记', text: null },
    { id: 2, at: '2026-03-03T09:00:00+08:00', kind: 'notice', action: 'reply', action_label: '答复', title: '信访处理意见书', text: '<script>alert(1)</script>' },
  ],
  notices: [{ id: 2, at: '2026-03-03T09:00:00+08:00', kind: 'notice', action: 'reply', title: '信访处理意见书', text: '<script>alert(1)</script>' }],
  opinions: [{ at: '2026-03-03T09:00:00+08:00', action: 'reply', action_label: '答复', fields: { decision: { code: 'explain', label: '解释说明' }, facts: '<b>事实</b>', basis: '依据', opinion: '意见' } }],
  ratings: [], can_rate: true,
  review: { available: true, action: 'request_review', label: '申请复查', window_end: '2026-04-30T23:59:59+08:00' },
  attachments: [{ sha256: 'a'.repeat(64), name: 'photo.png', mime: 'image/png', size: 2048, public: true }],
}

const workflow = {
  type: 'petition', label: '信访',
  categories: [{ code: 'suggestion', label: '建议意见', accusation: false }, { code: 'accusation', label: '检举控告', accusation: true }, { code: 'grievance', label: '申诉求决', accusation: false }],
  states: [{ name: 'registered', label: '已登记', terminal: false, limit: { amount: 15, unit: 'calendar_days', basis: '信访工作条例 第22、23条' } }],
}

async function mountAt(component, path) {
  const router = createRouter({ history: createMemoryHistory(), routes: portalRoutes })
  router.push(path)
  await router.isReady()
  const w = mount(component, { global: { plugins: [router, i18n] }, attachTo: document.body })
  await flushPromises()
  return { w, router }
}

let fetchMock
beforeEach(() => {
  setLocale('zh-CN')
  fetchMock = vi.fn()
  vi.stubGlobal('fetch', fetchMock)
})
afterEach(() => {
  vi.unstubAllGlobals()
  document.body.innerHTML = ''
})

describe('PField', () => {
  it('ties label, hint, error and count to the control', () => {
    const w = mount(PField, {
      props: { id: 'f-x', label: '标题', hint: '一句话', error: '请填写此项。', required: true, max: 200, count: 3 },
      slots: { default: `<template #default="{ describedby, invalid }"><input id="f-x" :aria-describedby="describedby" :aria-invalid="invalid"></template>` },
      global: { plugins: [i18n] },
    })
    expect(w.get('label').attributes('for')).toBe('f-x')
    expect(w.get('label').text()).toContain('必填')
    const input = w.get('#f-x')
    expect(input.attributes('aria-describedby')).toBe('f-x-error f-x-hint f-x-count')
    expect(input.attributes('aria-invalid')).toBe('true')
    expect(w.get('#f-x-count').text()).toBe('3 / 200 字')
  })
})

describe('tracking page', () => {
  it('shows server text as text, the limit, the due date and the actions', async () => {
    fetchMock.mockResolvedValue(json(200, publicCase))
    const { w } = await mountAt(Track, '/track/XF-2026-000007?code=H3WC7GDGNK')
    const url = fetchMock.mock.calls[0][0]
    expect(url).toBe('/api/public/cases/XF-2026-000007?code=H3WC7GDGNK')
    expect(w.get('[data-test="case-title"]').text()).toBe(XSS_TITLE)
    expect(w.find('img[src="x"]').exists()).toBe(false)
    expect(w.get('[data-test="notice"] .p-text').text()).toBe('<script>alert(1)</script>')
    expect(w.find('[data-test="notice"] script').exists()).toBe(false)
    expect(w.get('[data-test="opinion-facts"]').text()).toBe('<b>事实</b>')
    expect(w.find('[data-test="opinions"] b').exists()).toBe(false)
    expect(w.get('[data-test="case-limit"]').text()).toContain('30 个自然日')
    expect(w.get('[data-test="case-due"]').text()).toBe('本步骤截止日期：2026-04-30')
    expect(w.get('[data-test="review"]').text()).toContain('2026-04-30')
    expect(w.find('[data-test="rating-form"]').exists()).toBe(true)
    expect(w.get('[data-test="attachments"] a').attributes('href')).toBe(`/api/public/cases/XF-2026-000007/attachments/${'a'.repeat(64)}?code=H3WC7GDGNK`)
    w.unmount()
  })

  it('says "not found" on a 404 and keeps the number in the form', async () => {
    fetchMock.mockResolvedValue(json(404, { type: 'urn:pingan:problem:not-found', title: '未找到', status: 404, field: 'code' }))
    const { w } = await mountAt(Track, '/track/XF-2026-000007?code=H3WC7GDGNK')
    expect(w.get('[data-test="lookup-error"]').text()).toContain('没有找到这件事项')
    expect(w.get('#f-number').element.value).toBe('XF-2026-000007')
    w.unmount()
  })

  it('sends the review request with the code and puts a server 400 on the reason', async () => {
    fetchMock.mockResolvedValueOnce(json(200, publicCase))
    const { w } = await mountAt(Track, '/track/XF-2026-000007?code=H3WC7GDGNK')
    await w.get('#f-reason').setValue('不服')
    fetchMock.mockResolvedValueOnce(json(400, { type: 'urn:pingan:problem:validation', title: '请求参数有误', status: 400, field: 'reason', detail: 'fields.reason is longer than 2000 characters' }))
    await w.get('[data-test="review-form"]').trigger('submit')
    await flushPromises()
    const [url, opts] = fetchMock.mock.calls[1]
    expect(url).toBe('/api/public/cases/XF-2026-000007/review')
    expect(JSON.parse(opts.body)).toEqual({ code: 'H3WC7GDGNK', reason: '不服' })
    expect(w.get('#f-reason-error').text()).toBe('最多 2000 个字。')
    w.unmount()
  })
})

// The submit page asks for the workflow and for the attachment limits: answer by URL.
const LIMITS = { attachments: { max_file_bytes: 2 * 1024 * 1024, max_files: 2, max_body_bytes: 8 * 1024 * 1024, types: [{ mime: 'text/plain; charset=utf-8', extensions: ['txt'] }, { mime: 'application/pdf', extensions: ['pdf'] }] } }
function routeFetch(post) {
  fetchMock.mockImplementation(async (url, opts = {}) => {
    if (url === '/api/public/limits') return json(200, LIMITS)
    if (url === '/api/public/workflows/petition') return json(200, workflow)
    if (opts.method === 'POST' && post) return post(url, opts)
    throw new Error('unexpected ' + url)
  })
}
const calls = (path) => fetchMock.mock.calls.filter(([u]) => u === path)

describe('submit page', () => {
  it('takes the case type from the route and refuses unknown ones', async () => {
    const { w } = await mountAt(Submit, '/submit/no-such-type')
    expect(w.get('h1').text()).toBe('没有这类事项。')
    expect(fetchMock).not.toHaveBeenCalled()
    w.unmount()
  })

  it('sends multipart (case JSON + files) and shows a server 400 on its field', async () => {
    routeFetch(async () => json(400, { type: 'urn:pingan:problem:validation', title: '请求参数有误', status: 400, field: 'contact.phone', detail: 'contact.phone is not a phone number' }))
    const { w } = await mountAt(Submit, '/submit/petition')
    expect(calls('/api/public/workflows/petition').length).toBe(1)
    await w.get('#f-category-grievance').setValue(true)
    await w.get('#f-title').setValue('标题')
    await w.get('#f-body').setValue('内容')
    await w.get('#f-contact-name').setValue('张三')
    await w.get('#f-contact-phone').setValue('13812345678')
    await w.get('[data-test="submit-form"]').trigger('submit')
    await flushPromises()
    const [url, opts] = calls('/api/public/cases')[0]
    expect(url).toBe('/api/public/cases')
    expect(opts.method).toBe('POST')
    expect(opts.body).toBeInstanceOf(FormData)
    expect(JSON.parse(opts.body.get('case'))).toEqual({
      type: 'petition', category: 'grievance', title: '标题', body: '内容', contact: { name: '张三', phone: '13812345678' },
    })
    expect(w.get('#f-contact-phone-error').text()).toContain('电话号码格式不对')
    expect(w.get('#f-contact-phone').attributes('aria-invalid')).toBe('true')
    expect(w.find('#f-title-error').exists()).toBe(false)
    w.unmount()
  })

  it('checks before sending: nothing goes to the server when a field is wrong', async () => {
    routeFetch()
    const { w } = await mountAt(Submit, '/submit/petition')
    await w.get('[data-test="submit-form"]').trigger('submit')
    await flushPromises()
    expect(calls('/api/public/cases')).toEqual([])
    expect(w.get('.p-errors').text()).toContain('请选择事项类别')
    expect(w.get('#f-title').attributes('aria-invalid')).toBe('true')
    w.unmount()
  })

  it("uses the server's attachment limits: count, size and types", async () => {
    routeFetch()
    const { w } = await mountAt(Submit, '/submit/petition')
    expect(calls('/api/public/limits').length).toBe(1)
    expect(w.text()).toContain('最多 2 个文件，每个不超过 2 MB')
    expect(w.get('input[type="file"]').attributes('accept')).toBe('.txt,text/plain,.pdf,application/pdf')
    w.unmount()
  })
})
