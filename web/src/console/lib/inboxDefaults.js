// The inbox's filters and query, as pure functions without imports: boot.js
// (evaluated before the rest of the app) builds the first page's request from
// them, and lib/inboxQuery.js (the inbox, the route guard) from the same.
export const PAGE_SIZE = 50

// overdue: 'any' | 'true' | 'false' | 'soon' (due within 3 days: the server's due_soon);
// assignee: a user id (the user's own: "my tasks") or null;
// q: words to search for in the cases' texts ('' lists the inbox).
export const defaultFilters = () => ({ q: '', type: '', state: '', owner_org: null, assignee: null, overdue: 'any', due_before: '', open: 'true' })

export const LIST_PATH = '/api/v1/cases'
export const SEARCH_PATH = '/api/v1/search/cases'

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

/** The request of these filters from this cursor: the inbox list, or with
 * words in q the full-text search over the same filters (GET /api/v1/search/cases). */
export function inboxRequest(filters, cursor) {
  const query = inboxQuery(filters, cursor)
  const q = (filters.q || '').trim()
  return q ? { path: SEARCH_PATH, query: { ...query, q } } : { path: LIST_PATH, query }
}
