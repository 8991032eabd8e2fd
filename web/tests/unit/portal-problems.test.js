// Server problems shown on the right field (src/portal/lib/problems.js).
import { describe, it, expect } from 'vitest'
import { fieldForProblem, fieldDomId, problemMessage, generalMessage, renderMessage } from '../../src/portal/lib/problems.js'
import { ApiError } from '../../src/api.js'

const SUBMIT = ['category', 'accused_org_id', 'title', 'body', 'contact.name', 'contact.phone', 'contact.id_number', 'contact.address', 'files']
const problem = (status, type, field, detail, title = '请求参数有误') =>
  new ApiError(status, { type: `urn:pingan:problem:${type}`, title, detail, field })

describe('problem.field → form field', () => {
  it('keeps the API names the form uses', () => {
    for (const f of SUBMIT) expect(fieldForProblem(f, SUBMIT)).toBe(f)
  })

  it('maps files[i], a missing contact and transition fields', () => {
    expect(fieldForProblem('files[0]', SUBMIT)).toBe('files')
    expect(fieldForProblem('files[12]', SUBMIT)).toBe('files')
    expect(fieldForProblem('contact', SUBMIT)).toBe('contact.name')
    expect(fieldForProblem('fields.reason', ['reason'])).toBe('reason')
  })

  it('leaves what is no field of the form to the top of the form', () => {
    expect(fieldForProblem(undefined, SUBMIT)).toBe(null)
    expect(fieldForProblem('', SUBMIT)).toBe(null)
    expect(fieldForProblem('type', SUBMIT)).toBe(null)
    expect(fieldForProblem('case', SUBMIT)).toBe(null)
    expect(fieldForProblem('X-CSRF-Token', SUBMIT)).toBe(null)
  })

  it('gives each field a DOM id', () => {
    expect(fieldDomId('contact.phone')).toBe('f-contact-phone')
    expect(fieldDomId('contact.id_number')).toBe('f-contact-id-number')
    expect(fieldDomId('accused_org_id')).toBe('f-accused-org-id')
    expect(fieldDomId('title')).toBe('f-title')
  })
})

describe('what the person is told', () => {
  it('uses its own words for the fields it knows', () => {
    expect(problemMessage(problem(400, 'validation', 'contact.phone', 'contact.phone is not a phone number'), 'contact.phone', 'zh-CN')).toEqual({ key: 'phone' })
    expect(problemMessage(problem(400, 'validation', 'contact.id_number', 'contact.id_number is not a valid resident ID number'), 'contact.id_number', 'zh-CN')).toEqual({ key: 'idNumber' })
    expect(problemMessage(problem(400, 'validation', 'title', 'title is required'), 'title', 'zh-CN')).toEqual({ key: 'required' })
    expect(problemMessage(problem(400, 'validation', 'body', 'body is longer than 20000 characters'), 'body', 'zh-CN')).toEqual({ key: 'tooLongServer', params: { max: 20000 } })
    expect(problemMessage(problem(415, 'unsupported-media-type', 'files[0]', 'attachments must be …'), 'files', 'zh-CN')).toEqual({ key: 'fileTypeServer' })
    expect(problemMessage(problem(413, 'too-large', 'files[1]', 'an attachment may be at most 10485760 bytes'), 'files', 'zh-CN')).toEqual({ key: 'filesTooLarge' })
    expect(problemMessage(problem(422, 'unprocessable', 'accused_org_id', 'no unit outside …'), 'accused_org_id', 'zh-CN')).toEqual({ key: 'accusedNoReceiver' })
  })

  it('understands the required and too-long details in Chinese too', () => {
    expect(problemMessage(problem(400, 'validation', 'title', 'title 为必填项'), 'title', 'zh-CN')).toEqual({ key: 'required' })
    expect(problemMessage(problem(400, 'validation', 'body', 'body 超过 20000 个字符'), 'body', 'zh-CN')).toEqual({ key: 'tooLongServer', params: { max: 20000 } })
  })

  it('otherwise shows the server title and detail, both in the person\'s language', () => {
    const e = problem(400, 'validation', 'contact.address', 'contact.address 含有控制字符', '请求参数有误')
    expect(problemMessage(e, 'contact.address', 'zh-CN')).toEqual({ text: '请求参数有误：contact.address 含有控制字符' })
    const en = problem(400, 'validation', 'contact.address', 'contact.address contains a control character', 'Invalid request field')
    expect(problemMessage(en, 'contact.address', 'en')).toEqual({ text: 'Invalid request field: contact.address contains a control character' })
  })

  it('has general messages for network, limits, closed windows and changes', () => {
    expect(generalMessage(new ApiError(0, { title: 'x' }), 'zh-CN')).toEqual({ key: 'network' })
    expect(generalMessage(problem(429, 'rate-limited', 'code', ''), 'zh-CN')).toEqual({ key: 'rateLimited' })
    expect(generalMessage(problem(503, 'unavailable', null, ''), 'zh-CN')).toEqual({ key: 'unavailable' })
    expect(generalMessage(problem(409, 'window-closed', null, ''), 'zh-CN')).toEqual({ key: 'windowClosed' })
    expect(generalMessage(problem(409, 'invalid-state', null, ''), 'zh-CN')).toEqual({ key: 'changed' })
    expect(generalMessage(problem(500, 'internal', null, undefined, '服务器内部错误'), 'zh-CN')).toEqual({ text: '服务器内部错误' })
  })

  it('renders a message with t', () => {
    const t = (k, p) => `${k}${p && p.max ? ':' + p.max : ''}`
    expect(renderMessage(t, { key: 'tooLongServer', params: { max: 5 } })).toBe('portal.errors.tooLongServer:5')
    expect(renderMessage(t, { text: '原文' })).toBe('原文')
    expect(renderMessage(t, null)).toBe('')
  })
})
