// The dashboard's reading of GET /api/v1/indicators (docs/indicators.md):
// periods, the groups of a group_by answer as chart series, and how a value
// is written. Pure functions, tested in tests/unit/console-indicators.test.js.

const pad = (n) => String(n).padStart(2, '0')
const ymd = (y, m, d) => `${y}-${pad(m)}-${pad(d)}`

/** The periods the dashboard offers, in menu order. */
export const PERIODS = ['12m', '3m', 'month', 'year', 'custom']

/**
 * { from, to } (YYYY-MM-DD, inclusive) of a preset period ending `today`
 * (a YYYY-MM-DD string, the district's day): 12m = the 1st of the month 11
 * months back (the API's default), 3m = the 1st of the month 2 months back,
 * month = this month so far, year = this year so far. null for "custom".
 */
export function periodRange(preset, today) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(today || '')
  if (!m) return null
  const y = Number(m[1])
  const mo = Number(m[2])
  const back = (months) => {
    const t = y * 12 + (mo - 1) - months
    return ymd(Math.floor(t / 12), (t % 12) + 1, 1)
  }
  switch (preset) {
    case '12m': return { from: back(11), to: today }
    case '3m': return { from: back(2), to: today }
    case 'month': return { from: back(0), to: today }
    case 'year': return { from: ymd(y, 1, 1), to: today }
    default: return null
  }
}

/** Today in the district's time zone (fixed UTC offset, minutes east), as YYYY-MM-DD. */
export function districtToday(now = Date.now(), offsetMin = 480) {
  const d = new Date(now + offsetMin * 60000)
  return ymd(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate())
}

/** The months of a period as group keys ("202611"), oldest first. */
export function monthsOf(from, to) {
  const a = /^(\d{4})-(\d{2})/.exec(from || '')
  const b = /^(\d{4})-(\d{2})/.exec(to || '')
  if (!a || !b) return []
  const out = []
  let t = Number(a[1]) * 12 + Number(a[2]) - 1
  const end = Number(b[1]) * 12 + Number(b[2]) - 1
  while (t <= end && out.length < 240) {
    out.push(`${Math.floor(t / 12)}${pad((t % 12) + 1)}`)
    t++
  }
  return out
}

/** "202611" → "2026-11". */
export function monthLabel(key) {
  return /^\d{6}$/.test(key || '') ? `${key.slice(0, 4)}-${key.slice(4)}` : String(key || '')
}

/** The indicator `name` of one group ({ key, indicators: [...] }), or null. */
export function indicatorOf(group, name) {
  return (group && Array.isArray(group.indicators) && group.indicators.find((i) => i.name === name)) || null
}

/**
 * One indicator across the groups of a group_by answer:
 * [{ key, label, value, numerator, denominator }] — labelOf(key) names a
 * group. With `keys`, exactly those groups in that order (missing ones are
 * zero counts / no rate: a month without cases), else the answer's groups
 * sorted by value, largest first, then by label.
 */
export function series(groups, name, labelOf = (k) => k, keys = null) {
  const byKey = new Map((groups || []).map((g) => [String(g.key), g]))
  const row = (key) => {
    const ind = indicatorOf(byKey.get(key), name)
    return {
      key,
      label: labelOf(key),
      value: ind ? ind.value : null,
      numerator: ind ? ind.numerator : 0,
      denominator: ind ? ind.denominator : null,
    }
  }
  if (keys) return keys.map((k) => row(String(k))).map((r) => (r.value === null && !byKey.has(r.key) && isCountName(name) ? { ...r, value: 0 } : r))
  return [...byKey.keys()]
    .map(row)
    .sort((a, b) => (b.value ?? -1) - (a.value ?? -1) || String(a.label).localeCompare(String(b.label), 'zh-CN'))
}

const COUNTS = new Set(['cases', 'overdue_open'])
function isCountName(name) {
  return COUNTS.has(name)
}

/** A rate (0..1) as a percentage with one decimal; "—" when there is no denominator. */
export function formatRate(v) {
  return v === null || v === undefined || !Number.isFinite(Number(v)) ? '—' : `${(Number(v) * 100).toFixed(1)}%`
}

/** An indicator's value as written on a card, by its kind (count, rate, score, days). */
export function formatValue(ind) {
  if (!ind) return '—'
  if (ind.kind === 'rate') return formatRate(ind.value)
  if (ind.value === null || ind.value === undefined) return '—'
  if (ind.kind === 'count') return String(ind.value)
  return Number(ind.value).toFixed(1)
}

/** Percent (0..100, one decimal) for a chart axis; null stays null (a gap). */
export function percent(v) {
  return v === null || v === undefined ? null : Math.round(Number(v) * 1000) / 10
}
