// The inbox table: its columns and the client-side sort of the page shown.
//
// The server orders a page (soonest due first) and pages it with a cursor;
// a header click re-orders the rows already on the page, in three steps:
// ascending → descending → the server's order again. The table is a plain
// <table> (Inbox.vue): each sortable header is a <button> and carries
// aria-sort, so the sort works from the keyboard and is announced.
import { compareValues } from './format.js'

/** Column key → how to read the value it sorts by. */
export const COLUMNS = [
  { key: 'number', label: 'console.inbox.number', value: (r) => r.number },
  { key: 'title', label: 'console.inbox.title', value: (r) => r.title },
  { key: 'type', label: 'console.inbox.type', value: (r) => r.type_label || r.type },
  { key: 'category', label: 'console.inbox.category', value: (r) => r.category_label },
  { key: 'state', label: 'console.inbox.state', value: (r) => r.state_label },
  { key: 'owner', label: 'console.inbox.owner', value: (r) => (r.owner_org ? r.owner_org.name : '') },
  { key: 'due', label: 'console.inbox.due', value: (r) => r.due_at },
]

const byKey = new Map(COLUMNS.map((c) => [c.key, c]))

/** The sort after a click on column `key`: asc → desc → none. */
export function nextSort(sort, key) {
  if (!sort || sort.key !== key) return { key, dir: 'asc' }
  if (sort.dir === 'asc') return { key, dir: 'desc' }
  return { key: null, dir: null }
}

/**
 * The rows in the order of `sort` ({key, dir}); the original array when
 * unsorted. Stable: equal values keep the server's order, in both
 * directions. Empty values sort last in both directions.
 */
export function sortRows(rows, sort) {
  const col = sort && sort.key ? byKey.get(sort.key) : null
  if (!col || !Array.isArray(rows)) return rows
  const sign = sort.dir === 'desc' ? -1 : 1
  const indexed = rows.map((r, i) => [col.value(r), i, r])
  indexed.sort((a, b) => {
    const ea = a[0] === null || a[0] === undefined || a[0] === ''
    const eb = b[0] === null || b[0] === undefined || b[0] === ''
    if (ea || eb) return ea === eb ? a[1] - b[1] : ea ? 1 : -1
    return sign * compareValues(a[0], b[0]) || a[1] - b[1]
  })
  return indexed.map((x) => x[2])
}

/** The aria-sort value of a header. */
export function ariaSort(sort, key) {
  if (!sort || sort.key !== key) return 'none'
  return sort.dir === 'desc' ? 'descending' : 'ascending'
}
