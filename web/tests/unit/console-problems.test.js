// Mapping problem+json errors onto forms (src/console/lib/problems.js).
import { describe, expect, test } from 'vitest'
import { ApiError } from '../../src/api.js'
import { mapProblem, problemField, problemMessage, retryMinutes } from '../../src/console/lib/problems.js'

const problem = (status, body, retryAfter) => new ApiError(status, { ...body, retryAfter })

describe('problemField', () => {
  const names = ['days', 'reason']
  test('an action field error names "fields.<name>"', () => {
    const e = problem(400, { type: 'urn:pingan:problem:validation', title: '请求参数有误', field: 'fields.days', detail: 'fields.days: must be from 1 to 30' })
    expect(problemField(e, names, 'fields.')).toBe('days')
    expect(mapProblem(e, names, 'fields.')).toEqual({ field: 'days', message: 'must be from 1 to 30' })
  })
  test('a field the form does not have maps to nothing', () => {
    const e = problem(400, { field: 'fields.other', detail: 'x' })
    expect(problemField(e, names, 'fields.')).toBeNull()
    expect(problemField(problem(400, { field: 'version' }), names, 'fields.')).toBeNull()
  })
  test('without a prefix (a case submission), nested names match as they are', () => {
    const items = ['title', 'contact.phone', 'files']
    expect(problemField(problem(400, { field: 'contact.phone' }), items)).toBe('contact.phone')
    expect(problemField(problem(413, { field: 'files[1]' }), items)).toBe('files')
    expect(problemField(problem(400, { field: 'contact.fax' }), items)).toBeNull()
  })
  test('only client errors about input map to a field', () => {
    expect(problemField(problem(409, { field: 'version' }), ['version'])).toBeNull()
    expect(problemField(problem(403, { field: 'days' }), ['days'])).toBeNull()
    expect(problemField(problem(422, { field: 'accused_org_id' }), ['accused_org_id'])).toBe('accused_org_id')
    expect(problemField(null, ['x'])).toBeNull()
  })
})

describe('problemMessage', () => {
  test('the detail without its field prefix; else the title', () => {
    expect(problemMessage(problem(400, { field: 'title', detail: 'title is required' }))).toBe('title is required')
    expect(problemMessage(problem(403, { title: '无权执行此操作' }))).toBe('无权执行此操作')
    expect(problemMessage(null)).toBe('')
  })
  test('ApiError keeps the problem type as a slug', () => {
    const e = problem(429, { type: 'urn:pingan:problem:account-locked', title: '账户已被暂时锁定' }, 900)
    expect(e.type).toBe('account-locked')
    expect(e.retryAfter).toBe(900)
  })
})

describe('retryMinutes', () => {
  test('rounds Retry-After seconds up to whole minutes, at least one', () => {
    expect(retryMinutes({ retryAfter: 900 })).toBe(15)
    expect(retryMinutes({ retryAfter: 61 })).toBe(2)
    expect(retryMinutes({ retryAfter: 5 })).toBe(1)
    expect(retryMinutes({})).toBe(1)
  })
})
