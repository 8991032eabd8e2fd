// The action dialog (src/console/components/ActionDialog.vue) mounted with
// Element Plus in happy-dom: required fields are enforced before anything
// is sent, the request carries {fields, version}, and a server 400 naming
// "fields.<name>" lands on that form item.
import { afterEach, beforeAll, beforeEach, describe, expect, test, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia } from 'pinia'
import { i18n, loadConsoleMessages } from '../../src/i18n.js'
import ActionDialog from '../../src/console/components/ActionDialog.vue'

// the console's messages are a chunk of their own, loaded by the console's route guard
beforeAll(() => loadConsoleMessages())

const EXTEND = {
  name: 'extend',
  label: '延期',
  to: 'handling',
  window_end: null,
  fields: [
    { name: 'days', label: '延长天数', type: 'int', required: true, min: 1, max: 30 },
    { name: 'reason', label: '延期理由', type: 'text', required: true, max_length: 2000 },
  ],
}
const CASE = { id: 7, number: 'XF-2026-000007', version: 3 }

async function settle() {
  for (let i = 0; i < 5; i++) {
    await flushPromises()
    await new Promise((r) => setTimeout(r, 0))
  }
}

/** Polls until cond() is true (error messages appear through a transition). */
async function waitFor(cond, ms = 2000) {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${cond}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

function problemResponse(status, body) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/problem+json' } })
}

let wrapper
let fetchMock

beforeEach(() => {
  fetchMock = vi.fn()
  vi.stubGlobal('fetch', fetchMock)
  i18n.global.locale.value = 'zh-CN'
})
afterEach(() => {
  if (wrapper) wrapper.unmount()
  wrapper = null
  vi.unstubAllGlobals()
  document.body.innerHTML = ''
})

async function open(action = EXTEND) {
  wrapper = mount(ActionDialog, {
    props: { modelValue: true, action, caseData: CASE, units: [{ value: 9, label: '平安区住房和城乡建设局' }] },
    global: { plugins: [i18n, createPinia()] },
    attachTo: document.body,
  })
  await settle()
  const dialog = document.body.querySelector('.pa-action-dialog')
  expect(dialog).not.toBeNull()
  return dialog
}

const submitButton = (dialog) => dialog.querySelector('[data-testid=action-submit]')
const item = (dialog, name) => dialog.querySelector(`[data-field=${name}]`)

describe('ActionDialog', () => {
  test('renders one form item per field, of the right kind', async () => {
    const dialog = await open()
    expect(item(dialog, 'days').querySelector('.el-input-number')).not.toBeNull()
    expect(item(dialog, 'reason').querySelector('textarea')).not.toBeNull()
    expect(item(dialog, 'days').classList.contains('is-required')).toBe(true)
  })

  test('required fields are enforced before sending', async () => {
    const dialog = await open()
    submitButton(dialog).click()
    await settle()
    expect(fetchMock).not.toHaveBeenCalled()
    expect(item(dialog, 'days').classList.contains('is-error')).toBe(true)
    await waitFor(() => item(dialog, 'reason').textContent.includes('请填写延期理由'))
  })

  test('sends {fields, version} and reports done', async () => {
    fetchMock.mockResolvedValue(new Response(JSON.stringify({ ...CASE, version: 4 }), { status: 200, headers: { 'Content-Type': 'application/json' } }))
    const dialog = await open()
    const vm = wrapper.findComponent({ name: 'ElForm' })
    // fill the model through the inputs
    const days = item(dialog, 'days').querySelector('input')
    days.value = '10'
    days.dispatchEvent(new Event('input'))
    days.dispatchEvent(new Event('change'))
    const reason = item(dialog, 'reason').querySelector('textarea')
    reason.value = '需要补充调查'
    reason.dispatchEvent(new Event('input'))
    await settle()
    expect(vm.exists()).toBe(true)
    submitButton(dialog).click()
    await settle()
    expect(fetchMock).toHaveBeenCalledTimes(1)
    const [url, init] = fetchMock.mock.calls[0]
    expect(url).toBe('/api/v1/cases/7/actions/extend')
    expect(init.method).toBe('POST')
    expect(JSON.parse(init.body)).toEqual({ fields: { days: 10, reason: '需要补充调查' }, version: 3 })
    expect(wrapper.emitted('done')).toBeTruthy()
    expect(wrapper.emitted('update:modelValue').at(-1)).toEqual([false])
  })

  test('a server 400 on fields.<name> is shown on that item', async () => {
    fetchMock.mockResolvedValue(problemResponse(400, {
      type: 'urn:pingan:problem:validation', title: '请求参数有误', status: 400,
      field: 'fields.reason', detail: 'fields.reason: is required and must not be blank',
    }))
    const dialog = await open({ ...EXTEND, fields: [{ ...EXTEND.fields[1], required: false }] })
    const reason = item(dialog, 'reason').querySelector('textarea')
    reason.value = 'x'
    reason.dispatchEvent(new Event('input'))
    await settle()
    submitButton(dialog).click()
    await settle()
    expect(fetchMock).toHaveBeenCalledTimes(1)
    expect(item(dialog, 'reason').classList.contains('is-error')).toBe(true)
    await waitFor(() => item(dialog, 'reason').textContent.includes('is required and must not be blank'))
    expect(wrapper.emitted('done')).toBeFalsy()
  })

  test('a 409 version conflict asks the page to reload', async () => {
    fetchMock.mockResolvedValue(problemResponse(409, {
      type: 'urn:pingan:problem:conflict', title: '与现有数据冲突', status: 409, field: 'version', detail: 'the case changed',
    }))
    const dialog = await open({ ...EXTEND, name: 'accept', label: '受理', fields: [] })
    submitButton(dialog).click()
    await settle()
    expect(JSON.parse(fetchMock.mock.calls[0][1].body)).toEqual({ fields: {}, version: 3 })
    expect(wrapper.emitted('stale')).toBeTruthy()
    expect(dialog.textContent).toContain('刚刚被他人更新')
  })
})
