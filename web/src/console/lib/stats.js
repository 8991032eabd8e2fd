// Client-side counts for the provisional dashboard (until the indicators
// API exists): computed from the inbox pages the user can see.

/**
 * Counts items by a key. Returns [{ key, label, count }] sorted by count
 * (descending), then label.
 */
export function countBy(items, keyOf, labelOf = keyOf) {
  const m = new Map()
  for (const it of items || []) {
    const k = keyOf(it)
    if (k === undefined || k === null) continue
    const e = m.get(k)
    if (e) e.count++
    else m.set(k, { key: k, label: labelOf(it) || String(k), count: 1 })
  }
  return [...m.values()].sort((a, b) => b.count - a.count || String(a.label).localeCompare(String(b.label), 'zh-CN'))
}

/** Overdue open cases, the longest overdue first. */
export function overdueList(items) {
  return (items || [])
    .filter((c) => c.overdue && c.is_open !== false)
    .sort((a, b) => String(a.due_at || '').localeCompare(String(b.due_at || '')))
}
