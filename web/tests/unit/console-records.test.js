// Records, participants and the joint-case summaries (src/console/lib/records.js),
// and the signature rule of record forms (must_be_true, lib/actionForm.js).
import { describe, expect, test } from 'vitest'
import {
  assetLedger, districtToday, formFields, formatYuan, groupRecords, joinableUnits, modelFrom,
  participantTracks, recordKinds, recordRows, taskList,
} from '../../src/console/lib/records.js'
import { toPayload, validateModel, validateValue } from '../../src/console/lib/actionForm.js'

const L = (zh, en) => ({ zh, en })
const AGREEMENT = {
  name: 'agreement',
  label: L('调解协议', 'Mediation agreement'),
  roles: ['mediator'],
  states: [],
  fields: [
    { name: 'terms', label: L('协议内容', 'Terms'), type: 'text', required: true, min: null, max: 10000, values: [] },
    { name: 'amount', label: L('金额', 'Amount'), type: 'int', required: false, min: 0, max: 1000000, values: [] },
    { name: 'way', label: L('履行方式', 'Way'), type: 'enum', required: true, min: null, max: null,
      values: [{ code: 'once', label: L('一次性', 'at once') }, { code: 'instalments', label: L('分期', 'in instalments') }] },
    { name: 'signed_by_parties', label: L('各方当事人已签名', 'Signed by every party'), type: 'bool', required: true, min: null, max: null, must_be_true: true, values: [] },
  ],
}
const WF = {
  type: 'joint_case',
  records: [AGREEMENT],
  participants: {
    roles: ['handler', 'supervisor'],
    visibility: 'participants',
    tracks: [
      { kind: 'police', label: L('公安机关', 'Police'), stages: [
        { code: 'investigating', label: L('立案侦查', 'Investigation') },
        { code: 'transferred_for_prosecution', label: L('移送审查起诉', 'Transferred for prosecution') }] },
      { kind: 'court', label: L('审判机关', 'Court'), stages: [
        { code: 'accepted', label: L('受理', 'Accepted') }, { code: 'trial', label: L('审理', 'Trial') }, { code: 'judgment', label: L('判决', 'Judgment') }] },
    ],
  },
}

describe('record kinds as forms', () => {
  test('the definition becomes the action-form shape in the chosen language', () => {
    const [k] = recordKinds(WF, 'en')
    expect(k.label).toBe('Mediation agreement')
    expect(k.fields[0]).toEqual({ name: 'terms', label: 'Terms', type: 'text', required: true, max_length: 10000 })
    expect(k.fields[1]).toEqual({ name: 'amount', label: 'Amount', type: 'int', required: false, min: 0, max: 1000000 })
    expect(k.fields[2].values).toEqual([{ code: 'once', label: 'at once' }, { code: 'instalments', label: 'in instalments' }])
    expect(k.fields[3].must_be_true).toBe(true)
    expect(formFields(AGREEMENT, 'zh-CN')[0].label).toBe('协议内容')
    expect(recordKinds(null, 'zh-CN')).toEqual([])
  })

  test('a signature must be given as true; required fields before sending', () => {
    const fields = formFields(AGREEMENT, 'zh-CN')
    const sig = fields[3]
    expect(validateValue(sig, false)).toEqual({ key: 'mustBeTrue', params: { label: '各方当事人已签名' } })
    expect(validateValue(sig, true)).toBeNull()
    expect(validateValue({ ...sig, must_be_true: false }, false)).toBeNull()
    const errors = validateModel(fields, { terms: '  ', amount: null, way: null, signed_by_parties: false })
    expect(Object.keys(errors).sort()).toEqual(['signed_by_parties', 'terms', 'way'])
    expect(validateModel(fields, { terms: '双方同意', amount: 5, way: 'once', signed_by_parties: true })).toEqual({})
    expect(validateValue(fields[1], 1000001).key).toBe('range')
    expect(toPayload(fields, { terms: '双方同意', amount: null, way: 'once', signed_by_parties: true })).toEqual({ terms: '双方同意', way: 'once', signed_by_parties: true })
  })
})

describe('versions', () => {
  const recs = [
    { id: 1, kind: 'agreement', version: 1, supersedes: null, superseded: true, fields: { terms: 'v1' } },
    { id: 2, kind: 'task', version: 1, supersedes: null, superseded: false, fields: {} },
    { id: 3, kind: 'agreement', version: 2, supersedes: 1, superseded: true, fields: { terms: 'v2' } },
    { id: 4, kind: 'agreement', version: 3, supersedes: 3, superseded: false, fields: { terms: 'v3' } },
    { id: 5, kind: 'agreement', version: 1, supersedes: null, superseded: false, fields: { terms: 'other' } },
  ]
  test('current versions newest first, each with its earlier versions', () => {
    const g = groupRecords(recs)
    expect(g.get('agreement').map((x) => x.record.id)).toEqual([5, 4])
    expect(g.get('agreement')[1].history.map((r) => r.id)).toEqual([3, 1])
    expect(g.get('agreement')[0].history).toEqual([])
    expect(g.get('task').length).toBe(1)
    expect(groupRecords(null).size).toBe(0)
  })

  test('a cycle in supersedes does not loop', () => {
    const g = groupRecords([{ id: 1, kind: 'a', supersedes: 2, superseded: false }, { id: 2, kind: 'a', supersedes: 1, superseded: true }])
    expect(g.get('a')[0].history.map((r) => r.id)).toEqual([2])
  })

  test('rows follow the definition, enum words from the server, units by name, a new version starts from the old', () => {
    const [k] = recordKinds(WF, 'zh-CN')
    const rec = { fields: { signed_by_parties: true, way: 'once', terms: '甲方赔偿', extra: 7 }, field_labels: { way: '一次性履行' } }
    const rows = recordRows(rec, k, [], 'zh-CN')
    expect(rows.map((r) => r.name)).toEqual(['terms', 'way', 'signed_by_parties', 'extra'])
    expect(rows[1].value).toBe('一次性履行')
    expect(rows[2]).toMatchObject({ type: 'bool', value: true })
    expect(rows[3]).toMatchObject({ label: 'extra', value: '7' })
    const orgRows = recordRows({ fields: { agency_id: 5 } }, { fields: [{ name: 'agency_id', label: '承办单位', type: 'org' }] }, [{ id: 5, name: '平安区公安分局', name_en: 'Police' }], 'en')
    expect(orgRows[0].value).toBe('Police')
    expect(modelFrom(rec, k.fields)).toEqual({ terms: '甲方赔偿', amount: null, way: 'once', signed_by_parties: true })
  })
})

describe('joint case summaries', () => {
  test('tasks: open first by due date, overdue when open and past the district date', () => {
    const recs = [
      { id: 1, kind: 'task', superseded: false, fields: { agency_id: 5, lead: 'lead', task: 'a', due_on: '2026-03-10', status: 'open' } },
      { id: 2, kind: 'task', superseded: false, fields: { agency_id: 6, lead: 'assist', task: 'b', due_on: '2026-03-01', status: 'done' } },
      { id: 3, kind: 'task', superseded: false, fields: { agency_id: 6, lead: 'assist', task: 'c', due_on: '2026-03-20', status: 'open' } },
      { id: 4, kind: 'task', superseded: true, fields: { due_on: '2026-01-01', status: 'open' } },
    ]
    const list = taskList(recs, '2026-03-15')
    expect(list.map((x) => x.record.id)).toEqual([1, 3, 2])
    expect(list.map((x) => x.overdue)).toEqual([true, false, false])
  })

  test('the district date is UTC+8', () => {
    expect(districtToday(Date.parse('2026-03-01T16:30:00Z'))).toBe('2026-03-02')
    expect(districtToday(Date.parse('2026-03-01T15:59:00Z'))).toBe('2026-03-01')
  })

  test('the asset ledger totals by measure, in the definition order, current versions only', () => {
    const recs = [
      { id: 1, kind: 'asset', superseded: false, fields: { measure: 'freeze', value_yuan: 1200000 } },
      { id: 2, kind: 'asset', superseded: false, fields: { measure: 'seal', value_yuan: 3500000 } },
      { id: 3, kind: 'asset', superseded: true, fields: { measure: 'seal', value_yuan: 99 } },
      { id: 4, kind: 'asset', superseded: false, fields: { measure: 'freeze', value_yuan: 800000 } },
      { id: 5, kind: 'task', superseded: false, fields: {} },
    ]
    const l = assetLedger(recs, ['seal', 'seize', 'freeze', 'recover'])
    expect(l.count).toBe(3)
    expect(l.total).toBe(5500000)
    expect(l.byMeasure).toEqual([
      { measure: 'seal', count: 1, value: 3500000 }, { measure: 'seize', count: 0, value: 0 },
      { measure: 'freeze', count: 2, value: 2000000 }, { measure: 'recover', count: 0, value: 0 },
    ])
    expect(formatYuan(5500000)).toBe('5,500,000')
    expect(formatYuan(0)).toBe('0')
    expect(formatYuan(undefined)).toBe('')
  })

  test('each participant\'s track: done, current, and the stages it may move to', () => {
    const [p] = participantTracks([{ org: { id: 9, name: '平安区人民法院' }, kind: 'court', stage: 'trial', stage_label: null, since: '2026-03-01T10:00:00+08:00' }], WF, 'zh-CN')
    expect(p.trackLabel).toBe('审判机关')
    expect(p.stageLabel).toBe('审理')
    expect(p.stages.map((s) => [s.code, s.done, s.current])).toEqual([['accepted', true, false], ['trial', false, true], ['judgment', false, false]])
    expect(p.later.map((s) => s.code)).toEqual(['judgment'])
  })

  test('units that may join: active, a kind with a track, not in yet', () => {
    const orgs = [
      { id: 1, name: '公安', kind: 'police', is_unit: true, disabled: false },
      { id: 2, name: '法院', kind: 'court', is_unit: true, disabled: false },
      { id: 3, name: '住建局', kind: 'department', is_unit: true, disabled: false },
      { id: 4, name: '旧法院', kind: 'court', is_unit: true, disabled: true },
      { id: 5, name: '东门社区', kind: 'community', is_unit: false, disabled: false },
    ]
    expect(joinableUnits(orgs, WF, [{ org: { id: 1 } }], 'zh-CN')).toEqual([{ value: 2, label: '法院' }])
  })
})
