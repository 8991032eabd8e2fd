// The inbox's query, and its first page fetched early.
//
// A cold load of /console/inbox used to ask for the cases only once the
// layout and the inbox had mounted, after the session check and the
// console's messages: three round trips in a row. The route guard now
// starts the case list as soon as the session is known (prefetchInbox), in
// parallel with the messages and the page's chunks, and the inbox takes that
// answer (takePrefetched) when its query is the same.
//
// `kept` holds the filters and the page across visits while the app runs
// (coming back from a case page shows the same list); it is forgotten when
// another user logs in.
import { api } from '../../api.js'
import { CursorPager } from './pager.js'

export const PAGE_SIZE = 50

export const kept = { userId: null, filters: null, pager: null }

// overdue: 'any' | 'true' | 'false' | 'soon' (due within 3 days: the server's due_soon);
// assignee: a user id (the user's own: "my tasks") or null.
export const defaultFilters = () => ({ type: '', state: '', owner_org: null, assignee: null, overdue: 'any', due_before: '', open: 'true' })

/** The quick views above the inbox: each sets filters (the others back to their defaults). */
export const VIEWS = ['all', 'mine', 'soon', 'overdue']

/** The filters of a quick view for this user. */
export function viewFilters(view, userId) {
  const f = defaultFilters()
  if (view === 'mine') f.assignee = userId || null
  else if (view === 'soon') f.overdue = 'soon'
  else if (view === 'overdue') f.overdue = 'true'
  return f
}

/** The quick view these filters are exactly, or null. */
export function viewOf(filters, userId) {
  const same = (a, b) => Object.keys(a).every((k) => (a[k] ?? null) === (b[k] ?? null))
  return VIEWS.find((v) => same(viewFilters(v, userId), filters)) || null
}

/** GET /api/v1/cases query of these filters, from this cursor. */
export function inboxQuery(filters, cursor) {
  return {
    limit: PAGE_SIZE,
    cursor: cursor || undefined,
    type: filters.type || undefined,
    state: filters.state || undefined,
    owner_org: filters.owner_org || undefined,
    assignee: filters.assignee || undefined,
    overdue: filters.overdue === 'any' || filters.overdue === 'soon' ? undefined : filters.overdue,
    due_soon: filters.overdue === 'soon' ? 'true' : undefined,
    due_before: filters.due_before || undefined,
    open: filters.open,
  }
}

/** The filters and cursor the inbox will open with, for this user. */
export function initialState(userId) {
  const same = kept.userId === userId
  const filters = same && kept.filters ? { ...kept.filters } : defaultFilters()
  const pager = new CursorPager()
  if (same && kept.pager) pager.restore(kept.pager)
  return { filters, pager }
}

const keyOf = (q) => JSON.stringify(q)
const FRESH_MS = 10000 // an answer older than this (a navigation that never mounted the inbox) is not used
let early = null // { key, promise, at }

/** Starts loading the page the inbox will show (from the route guard). */
export function prefetchInbox(userId) {
  const { filters, pager } = initialState(userId)
  const q = inboxQuery(filters, pager.cursor)
  const promise = api.get('/api/v1/cases', q)
  promise.catch(() => {}) // the inbox reports errors when it asks itself
  early = { key: keyOf(q), promise, at: Date.now() }
}

/** The early answer for this query (once), or null. */
export function takePrefetched(q) {
  const e = early
  early = null
  return e && e.key === keyOf(q) && Date.now() - e.at < FRESH_MS ? e.promise : null
}
