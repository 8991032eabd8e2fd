// The dashboard's reading of GET /api/v1/indicators (src/console/lib/indicators.js).
import { describe, it, expect } from 'vitest'
import { periodRange, districtToday, monthsOf, monthLabel, indicatorOf, series, formatRate, formatValue, percent } from '../../src/console/lib/indicators.js'

const group = (key, vals) => ({
  key,
  indicators: Object.entries(vals).map(([name, v]) => ({ name, kind: name === 'cases' ? 'count' : 'rate', label: name, value: v, numerator: 1, denominator: name === 'cases' ? null : 2 })),
})

describe('periods', () => {
  it('presets end today and start on the 1st of a month, across a year boundary', () => {
    expect(periodRange('12m', '2026-11-30')).toEqual({ from: '2025-12-01', to: '2026-11-30' })
    expect(periodRange('3m', '2026-02-14')).toEqual({ from: '2025-12-01', to: '2026-02-14' })
    expect(periodRange('month', '2026-01-05')).toEqual({ from: '2026-01-01', to: '2026-01-05' })
    expect(periodRange('year', '2026-07-09')).toEqual({ from: '2026-01-01', to: '2026-07-09' })
    expect(periodRange('custom', '2026-07-09')).toBe(null)
    expect(periodRange('12m', 'nope')).toBe(null)
  })
  it('today is the district day (UTC+8 by default)', () => {
    expect(districtToday(Date.UTC(2026, 10, 29, 16, 30))).toBe('2026-11-30')
    expect(districtToday(Date.UTC(2026, 10, 29, 15, 59))).toBe('2026-11-29')
    expect(districtToday(Date.UTC(2026, 10, 29, 23, 0), 0)).toBe('2026-11-29')
  })
  it('months of a period, oldest first', () => {
    expect(monthsOf('2025-11-15', '2026-02-01')).toEqual(['202511', '202512', '202601', '202602'])
    expect(monthsOf('2026-03-01', '2026-03-31')).toEqual(['202603'])
    expect(monthsOf('', '2026-03-31')).toEqual([])
    expect(monthLabel('202603')).toBe('2026-03')
  })
})

describe('series from groups', () => {
  const groups = [group('202601', { cases: 3, on_time_handling: 0.5 }), group('202603', { cases: 5, on_time_handling: null })]
  it('with keys: every month in order; a month without cases counts 0, its rates stay gaps', () => {
    const keys = ['202601', '202602', '202603']
    expect(series(groups, 'cases', monthLabel, keys).map((r) => [r.label, r.value])).toEqual([['2026-01', 3], ['2026-02', 0], ['2026-03', 5]])
    expect(series(groups, 'on_time_handling', monthLabel, keys).map((r) => r.value)).toEqual([0.5, null, null])
  })
  it('without keys: largest first, labelled', () => {
    const g = [group('E0102', { cases: 1 }), group('grievance', { cases: 4 }), group('accusation', { cases: 1 })]
    const names = { E0102: '暴露垃圾', grievance: '申诉求决', accusation: '检举控告' }
    expect(series(g, 'cases', (k) => names[k]).map((r) => r.label)).toEqual(['申诉求决', '暴露垃圾', '检举控告'])
  })
  it('finds one indicator of a group', () => {
    expect(indicatorOf(groups[0], 'cases').value).toBe(3)
    expect(indicatorOf(groups[0], 'nope')).toBe(null)
    expect(indicatorOf(null, 'cases')).toBe(null)
  })
})

describe('values as written', () => {
  it('rates in percent with one decimal, no denominator is a dash', () => {
    expect(formatRate(0.8567)).toBe('85.7%')
    expect(formatRate(1)).toBe('100.0%')
    expect(formatRate(null)).toBe('—')
    expect(formatValue({ kind: 'rate', value: 0.5 })).toBe('50.0%')
    expect(formatValue({ kind: 'count', value: 12 })).toBe('12')
    expect(formatValue({ kind: 'days', value: 3.456 })).toBe('3.5')
    expect(formatValue({ kind: 'score', value: null })).toBe('—')
    expect(formatValue(null)).toBe('—')
    expect(percent(0.8567)).toBe(85.7)
    expect(percent(null)).toBe(null)
  })
})
