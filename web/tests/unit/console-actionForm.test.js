// Forms built from a case's action definitions (src/console/lib/actionForm.js).
import { describe, expect, test } from 'vitest'
import { buildModel, buildRules, charLength, toPayload, validateModel, validateValue } from '../../src/console/lib/actionForm.js'

// The fields of petition actions as GET /api/v1/cases/{id} lists them.
const EXTEND = [
  { name: 'days', label: '延长天数', type: 'int', required: true, min: 1, max: 30 },
  { name: 'reason', label: '延期理由', type: 'text', required: true, max_length: 2000 },
]
const REPLY = [
  {
    name: 'decision', label: '处理结论', type: 'enum', required: true,
    values: [{ code: 'support', label: '支持' }, { code: 'explain', label: '解释说明' }, { code: 'reject', label: '不予支持' }],
  },
  { name: 'facts', label: '事实和理由', type: 'text', required: true, max_length: 20000 },
]
const FORWARD = [
  { name: 'org_id', label: '转送单位', type: 'org', required: true },
  { name: 'note', label: '转送说明', type: 'text', required: false, max_length: 5 },
]
const OTHER = [
  { name: 'hearing_on', label: '听证日期', type: 'date', required: false },
  { name: 'urgent', label: '紧急', type: 'bool', required: false },
]

/** Runs an Element Plus rule's validator; resolves to the error message or null. */
function runRule(rules, name, value) {
  const [rule] = rules[name]
  return new Promise((resolve) => rule.validator(rule, value, (err) => resolve(err ? err.message : null)))
}
const t = (key, params) => `${key}:${JSON.stringify(params || {})}`

describe('buildModel', () => {
  test('one key per field, with a starting value by type', () => {
    expect(buildModel([...EXTEND, ...REPLY, ...FORWARD, ...OTHER])).toEqual({
      days: null, reason: '', decision: null, facts: '', org_id: null, note: '', hearing_on: null, urgent: false,
    })
  })
  test('no fields, no keys', () => {
    expect(buildModel([])).toEqual({})
    expect(buildModel(undefined)).toEqual({})
  })
})

describe('validateValue', () => {
  test('required: empty, null and blank text are missing', () => {
    for (const v of [null, undefined, '', '   ', '\n\t']) expect(validateValue(EXTEND[1], v)).toMatchObject({ key: 'required' })
    expect(validateValue(EXTEND[0], null)).toMatchObject({ key: 'required' })
  })
  test('optional empty values are fine', () => {
    expect(validateValue(FORWARD[1], '')).toBeNull()
    expect(validateValue(OTHER[0], null)).toBeNull()
  })
  test('int: whole numbers within min..max', () => {
    expect(validateValue(EXTEND[0], 10)).toBeNull()
    expect(validateValue(EXTEND[0], 1)).toBeNull()
    expect(validateValue(EXTEND[0], 30)).toBeNull()
    expect(validateValue(EXTEND[0], 0)).toMatchObject({ key: 'range', params: { min: 1, max: 30 } })
    expect(validateValue(EXTEND[0], 31)).toMatchObject({ key: 'range' })
    expect(validateValue(EXTEND[0], 2.5)).toMatchObject({ key: 'integer' })
    expect(validateValue(EXTEND[0], 'abc')).toMatchObject({ key: 'integer' })
    expect(validateValue(EXTEND[0], '12')).toBeNull()
  })
  test('text length counts characters, not UTF-16 units or bytes', () => {
    expect(charLength('信访')).toBe(2)
    expect(charLength('𠀀𠀁')).toBe(2) // outside the BMP: two code points, four UTF-16 units
    expect(validateValue(FORWARD[1], '一二三四五')).toBeNull()
    expect(validateValue(FORWARD[1], '𠀀𠀁𠀂𠀃𠀄')).toBeNull()
    expect(validateValue(FORWARD[1], '一二三四五六')).toMatchObject({ key: 'maxLength', params: { max: 5 } })
  })
  test('enum: only the listed codes', () => {
    expect(validateValue(REPLY[0], 'explain')).toBeNull()
    expect(validateValue(REPLY[0], 'maybe')).toMatchObject({ key: 'choose' })
    expect(validateValue(REPLY[0], '解释说明')).toMatchObject({ key: 'choose' })
  })
  test('org: a positive unit id', () => {
    expect(validateValue(FORWARD[0], 9)).toBeNull()
    expect(validateValue(FORWARD[0], 0)).toMatchObject({ key: 'choose' })
    expect(validateValue(FORWARD[0], '9')).toMatchObject({ key: 'choose' })
  })
  test('date: a real YYYY-MM-DD date', () => {
    expect(validateValue(OTHER[0], '2026-02-28')).toBeNull()
    expect(validateValue(OTHER[0], '2026-02-30')).toMatchObject({ key: 'date' })
    expect(validateValue(OTHER[0], '2026/02/28')).toMatchObject({ key: 'date' })
  })
  test('bool: true or false', () => {
    expect(validateValue(OTHER[1], false)).toBeNull()
    expect(validateValue({ ...OTHER[1], required: true }, false)).toBeNull()
    expect(validateValue(OTHER[1], 'yes')).toMatchObject({ key: 'choose' })
  })
  test('validateModel lists every problem', () => {
    const errs = validateModel(EXTEND, { days: 99, reason: ' ' })
    expect(Object.keys(errs).sort()).toEqual(['days', 'reason'])
  })
})

describe('buildRules', () => {
  test('a rule per field, marked required for the asterisk', () => {
    const rules = buildRules([...EXTEND, ...FORWARD], t)
    expect(Object.keys(rules)).toEqual(['days', 'reason', 'org_id', 'note'])
    expect(rules.days[0].required).toBe(true)
    expect(rules.note[0].required).toBe(false)
    expect(rules.org_id[0].trigger).toBe('change')
    expect(rules.reason[0].trigger).toBe('blur')
  })
  test('validators report translated messages with the field label', async () => {
    const rules = buildRules(EXTEND, t)
    expect(await runRule(rules, 'days', 10)).toBeNull()
    expect(await runRule(rules, 'days', 40)).toBe('console.form.range:{"label":"延长天数","min":1,"max":30}')
    expect(await runRule(rules, 'reason', '')).toBe('console.form.required:{"label":"延期理由"}')
  })
})

describe('toPayload', () => {
  test('sends filled fields, leaves out empty optional ones', () => {
    expect(toPayload(FORWARD, { org_id: 7, note: '' })).toEqual({ org_id: 7 })
    expect(toPayload(FORWARD, { org_id: 7, note: '请办理' })).toEqual({ org_id: 7, note: '请办理' })
  })
  test('ints are numbers, bools always go', () => {
    expect(toPayload(EXTEND, { days: '10', reason: '理由' })).toEqual({ days: 10, reason: '理由' })
    expect(toPayload(OTHER, { hearing_on: null, urgent: false })).toEqual({ urgent: false })
  })
  test('no fields: an empty object', () => {
    expect(toPayload([], {})).toEqual({})
  })
})
