// The menu by role, timeline fields and dashboard counts.
import { describe, expect, test } from 'vitest'
import { homePath, userRoles, visibleMenu } from '../../src/console/lib/menu.js'
import { eventFieldRows, lastEventId, mergeEvents } from '../../src/console/lib/events.js'
import { buildOrgTree, unitOptions } from '../../src/console/lib/orgs.js'

const keys = (menu) => menu.map((m) => (m.children ? `${m.key}(${m.children.map((c) => c.key).join(',')})` : m.key))

describe('menu by role', () => {
  test('intake: inbox, supervision, intake, dashboard', () => {
    expect(keys(visibleMenu(['intake']))).toEqual(['inbox', 'supervision', 'intake', 'dashboard'])
    expect(homePath(['intake'])).toBe('/console/inbox')
  })
  test('handler and supervisor: no intake', () => {
    expect(keys(visibleMenu(['handler']))).toEqual(['inbox', 'supervision', 'dashboard'])
    expect(keys(visibleMenu(['supervisor']))).toEqual(['inbox', 'supervision', 'dashboard', 'surveys'])
    expect(keys(visibleMenu(['leader']))).toEqual(['inbox', 'supervision', 'dashboard', 'surveys'])
  })
  test('admin: administration only; auditor: the audit log only', () => {
    expect(keys(visibleMenu(['admin']))).toEqual(['admin(orgs,users,workflows,calendars)', 'surveys'])
    expect(homePath(['admin'])).toBe('/console/admin/orgs')
    expect(keys(visibleMenu(['auditor']))).toEqual(['audit', 'surveys'])
    expect(homePath(['auditor'])).toBe('/console/audit')
  })
  test('several roles add up; no roles, no menu', () => {
    expect(keys(visibleMenu(['handler', 'auditor']))).toEqual(['inbox', 'supervision', 'dashboard', 'audit', 'surveys'])
    expect(visibleMenu([])).toEqual([])
    expect(homePath([])).toBe('/console/home')
  })
  test('roles from the session, once each', () => {
    expect(userRoles({ roles: [{ org_id: 3, role: 'handler' }, { org_id: 5, role: 'handler' }, { org_id: 3, role: 'intake' }] }))
      .toEqual(['handler', 'intake'])
    expect(userRoles(null)).toEqual([])
  })
})

describe('timeline fields', () => {
  const workflow = {
    transitions: [
      {
        name: 'reply',
        fields: [
          { name: 'decision', label: { zh: '处理结论', en: 'Decision' }, type: 'enum', values: [{ code: 'explain', label: { zh: '解释说明', en: 'explained' } }] },
          { name: 'facts', label: { zh: '事实和理由', en: 'Facts' }, type: 'text', values: [] },
        ],
      },
      { name: 'forward', fields: [{ name: 'org_id', label: { zh: '转送单位', en: 'Unit' }, type: 'org', values: [] }] },
    ],
  }
  const orgs = [{ id: 9, name: '平安区住房和城乡建设局', name_en: 'Housing Bureau' }]
  test('labels and enum values from the workflow, unit names from the orgs', () => {
    const ev = { kind: 'transition', action: 'reply', data: { fields: { decision: 'explain', facts: '已维修' } } }
    expect(eventFieldRows(ev, workflow, orgs, 'zh-CN')).toEqual([
      { name: 'decision', label: '处理结论', value: '解释说明', type: 'enum' },
      { name: 'facts', label: '事实和理由', value: '已维修', type: 'text' },
    ])
    const fw = { kind: 'transition', action: 'forward', data: { fields: { org_id: 9 } } }
    expect(eventFieldRows(fw, workflow, orgs, 'en')[0]).toMatchObject({ label: 'Unit', value: 'Housing Bureau' })
  })
  test('unknown actions and fields show their names and raw values', () => {
    const ev = { kind: 'transition', action: 'gone', data: { fields: { x: 3, flag: true } } }
    expect(eventFieldRows(ev, workflow, orgs, 'zh-CN')).toEqual([
      { name: 'x', label: 'x', value: '3', type: 'text' },
      { name: 'flag', label: 'flag', value: true, type: 'bool' },
    ])
    expect(eventFieldRows({ kind: 'comment', data: null }, workflow, orgs, 'zh-CN')).toEqual([])
  })
  test('incremental loading: after= the last id, no duplicates', () => {
    expect(lastEventId([])).toBe(0)
    expect(lastEventId([{ id: 4 }, { id: 9 }])).toBe(9)
    expect(mergeEvents([{ id: 1 }, { id: 2 }], [{ id: 2 }, { id: 3 }]).map((e) => e.id)).toEqual([1, 2, 3])
  })
})

describe('org tree', () => {
  test('org tree from parent ids; unit options skip places and disabled units', () => {
    const orgs = [
      { id: 1, parent_id: null, name: '平安区', is_unit: false },
      { id: 3, parent_id: 1, name: '信访局', is_unit: true },
      { id: 4, parent_id: 1, name: '旧局', is_unit: true, disabled: true },
      { id: 5, parent_id: 3, name: '科室', is_unit: true },
    ]
    const tree = buildOrgTree(orgs, 'zh-CN')
    expect(tree.map((n) => n.id)).toEqual([1])
    expect(tree[0].children.map((n) => n.id)).toEqual([3, 4])
    expect(tree[0].children[0].children.map((n) => n.label)).toEqual(['科室'])
    expect(unitOptions(orgs, 'zh-CN').map((o) => o.value)).toEqual([3, 5])
  })
})
