// The reporter's steps on the tracking page (src/portal/lib/actions.js):
// forms from the field definitions of GET /api/public/cases/{number}.
import { describe, it, expect } from 'vitest'
import { drawableActions, initialValues, validateAction, buildActionFields } from '../../src/portal/lib/actions.js'

const verify = { name: 'verify', label: '核查通过（结案）', fields: [{ name: 'note', label: '核查意见', type: 'text', required: false, max_length: 2000 }] }
const rework = { name: 'rework', label: '核查未通过（返工）', fields: [{ name: 'reason', label: '返工原因', type: 'text', required: true, max_length: 20 }] }
const odd = { name: 'transfer', label: '移送', fields: [{ name: 'org_id', label: '单位', type: 'org', required: true }] }
const mixed = {
  name: 'answer',
  label: '答复',
  fields: [
    { name: 'grade', label: '等级', type: 'enum', required: true, values: [{ code: 'good', label: '好' }] },
    { name: 'days', label: '天数', type: 'int', required: false, min: 1, max: 30 },
    { name: 'on', label: '日期', type: 'date', required: false },
    { name: 'agree', label: '同意', type: 'bool', required: false },
  ],
}

describe('public actions', () => {
  it('draws the actions whose required fields the portal can ask for, minus those drawn elsewhere', () => {
    expect(drawableActions([verify, rework, odd]).map((a) => a.name)).toEqual(['verify', 'rework'])
    expect(drawableActions([verify, rework], ['rework']).map((a) => a.name)).toEqual(['verify'])
    expect(drawableActions(null)).toEqual([])
  })
  it('checks required, length, enum, integer range and date as the server does', () => {
    expect(validateAction(rework.fields, initialValues(rework.fields))).toEqual({ reason: { key: 'required' } })
    expect(validateAction(rework.fields, { reason: '　 ' })).toEqual({ reason: { key: 'required' } })
    expect(validateAction(rework.fields, { reason: '字'.repeat(21) }).reason.key).toBe('tooLong')
    expect(validateAction(verify.fields, initialValues(verify.fields))).toEqual({})
    expect(validateAction(mixed.fields, { grade: '', days: '', on: '', agree: false })).toEqual({ grade: { key: 'choose' } })
    expect(validateAction(mixed.fields, { grade: 'bad', days: '1.5', on: '3月2日', agree: true })).toEqual({
      grade: { key: 'choose' },
      days: { key: 'integer' },
      on: { key: 'date' },
    })
    expect(validateAction(mixed.fields, { grade: 'good', days: '31' }).days).toEqual({ key: 'range', params: { min: 1, max: 30 } })
  })
  it('sends typed values and leaves blanks out', () => {
    expect(buildActionFields(verify.fields, { note: '' })).toEqual({})
    expect(buildActionFields(rework.fields, { reason: ' 仍有垃圾 ' })).toEqual({ reason: '仍有垃圾' })
    expect(buildActionFields(mixed.fields, { grade: 'good', days: ' 7 ', on: '2026-03-02', agree: true })).toEqual({ grade: 'good', days: 7, on: '2026-03-02', agree: true })
  })
})
