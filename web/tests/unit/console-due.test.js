// Due badges (src/console/lib/due.js) and date display (lib/format.js).
import { describe, expect, test } from 'vitest'
import { dueBadge, dueRowClass } from '../../src/console/lib/due.js'
import { compareValues, formatDate, formatDateTime, formatSize, orgName, pickLabel } from '../../src/console/lib/format.js'

const open = { is_open: true, due_at: '2026-12-15T23:59:59+08:00' }

describe('dueBadge', () => {
  test('overdue is red, due soon amber, else none', () => {
    expect(dueBadge({ ...open, overdue: true, due_soon: false })).toEqual({ kind: 'overdue', type: 'danger' })
    expect(dueBadge({ ...open, overdue: false, due_soon: true })).toEqual({ kind: 'due_soon', type: 'warning' })
    expect(dueBadge({ ...open, overdue: false, due_soon: false })).toEqual({ kind: null, type: '' })
  })
  test('overdue wins over due soon', () => {
    expect(dueBadge({ ...open, overdue: true, due_soon: true }).kind).toBe('overdue')
  })
  test('a closed case or one with no due has no badge', () => {
    expect(dueBadge({ ...open, is_open: false, overdue: true }).kind).toBeNull()
    expect(dueBadge({ is_open: true, due_at: null, overdue: true }).kind).toBeNull()
    expect(dueBadge(null).kind).toBeNull()
  })
  test('without the server flags, a past due time is overdue', () => {
    const now = Date.parse('2026-12-20T00:00:00+08:00')
    expect(dueBadge(open, now).kind).toBe('overdue')
    expect(dueBadge(open, Date.parse('2026-12-01T00:00:00+08:00')).kind).toBeNull()
  })
  test('row classes', () => {
    expect(dueRowClass({ ...open, overdue: true })).toBe('pa-row-overdue')
    expect(dueRowClass({ ...open, overdue: false, due_soon: false })).toBe('')
  })
})

describe('format', () => {
  test('dates are YYYY-MM-DD in the district time the server sent', () => {
    expect(formatDate('2026-11-30T02:59:40+08:00')).toBe('2026-11-30') // still the 29th in UTC
    expect(formatDate('2026-12-15')).toBe('2026-12-15')
    expect(formatDate(null)).toBe('')
    expect(formatDate('soon')).toBe('')
    expect(formatDateTime('2026-11-30T02:59:40+08:00')).toBe('2026-11-30 02:59')
  })
  test('sizes, labels, org names', () => {
    expect(formatSize(70)).toBe('70 B')
    expect(formatSize(2048)).toBe('2 KB')
    expect(formatSize(3 * 1024 * 1024)).toBe('3.0 MB')
    expect(pickLabel({ zh: '信访', en: 'Petition' }, 'en')).toBe('Petition')
    expect(pickLabel({ zh: '信访', en: null }, 'en')).toBe('信访')
    expect(pickLabel({ zh: '信访', en: 'Petition' }, 'zh-CN')).toBe('信访')
    expect(orgName({ name: '平安区信访局', name_en: 'District Petition Office' }, 'en')).toBe('District Petition Office')
    expect(orgName({ name: '东门社区' }, 'en')).toBe('东门社区')
  })
  test('client-side sorting puts empty values last', () => {
    const dues = ['2026-12-15T23:59:59+08:00', null, '2026-12-01T23:59:59+08:00']
    expect([...dues].sort(compareValues)).toEqual(['2026-12-01T23:59:59+08:00', '2026-12-15T23:59:59+08:00', null])
    expect([3, 1, 2].sort(compareValues)).toEqual([1, 2, 3])
  })
})
