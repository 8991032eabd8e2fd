// Due badges of the inbox and the case page. The server decides what is
// overdue and what is due soon (case.overdue, case.due_soon: it knows the
// working-day calendar and the clock); the client only shows it. A case
// without those flags (an older server, a closed case) falls back to
// comparing its due time with now.

/**
 * @returns {{ kind: 'overdue'|'due_soon'|null, type: 'danger'|'warning'|'' }}
 */
export function dueBadge(c, now = Date.now()) {
  if (!c || c.is_open === false || !c.due_at) return { kind: null, type: '' }
  if (c.overdue === true) return { kind: 'overdue', type: 'danger' }
  if (c.due_soon === true) return { kind: 'due_soon', type: 'warning' }
  if (c.overdue === undefined) {
    const t = Date.parse(c.due_at)
    if (Number.isFinite(t) && t < now) return { kind: 'overdue', type: 'danger' }
  }
  return { kind: null, type: '' }
}

/** Row class for el-table: tints overdue rows. */
export function dueRowClass(c) {
  const b = dueBadge(c)
  return b.kind ? `pa-row-${b.kind}` : ''
}
