// The inbox's query, and its first page fetched early.
//
// A cold load of /console/inbox used to ask for the cases only once the
// layout and the inbox had mounted, after the session check and the
// console's messages: three round trips in a row. The route guard now
// starts the case list as soon as the session is known (prefetchInbox), in
// parallel with the messages and the page's chunks, and the inbox takes that
// answer (takePrefetched) when its query is the same. On a cold load of
// the inbox itself boot.js has asked for the first page even earlier, with
// the session; the guard takes that answer when the query is the same.
//
// `kept` holds the filters and the page across visits while the app runs
// (coming back from a case page shows the same list); it is forgotten when
// another user logs in.
import { api, readResponse } from '../../api.js'
import { i18n } from '../../i18n.js'
import { withQuery } from '../../url.js'
import { takeEarlyInbox } from '../../boot.js'
import { LIST_PATH, defaultFilters, inboxRequest } from './inboxDefaults.js'
import { CursorPager } from './pager.js'

export { PAGE_SIZE, VIEWS, LIST_PATH, SEARCH_PATH, defaultFilters, inboxQuery, inboxRequest, viewFilters, viewOf } from './inboxDefaults.js'

export const kept = { userId: null, filters: null, pager: null }

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
  const req = inboxRequest(filters, pager.cursor)
  // on a cold load of the inbox boot.js asked for the same list page already
  const atBoot = req.path === LIST_PATH ? takeEarlyInbox(withQuery(req.path, req.query), i18n.global.locale.value) : null
  const promise = atBoot ? readResponse(atBoot) : api.get(req.path, req.query)
  promise.catch(() => {}) // the inbox reports errors when it asks itself
  early = { key: keyOf(req), promise, at: Date.now() }
}

/** The early answer for this request ({ path, query }, once), or null. */
export function takePrefetched(req) {
  const e = early
  early = null
  return e && e.key === keyOf(req) && Date.now() - e.at < FRESH_MS ? e.promise : null
}
