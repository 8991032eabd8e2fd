// The inbox table's sort (src/console/lib/inboxTable.js) and its query with
// the early fetch (src/console/lib/inboxQuery.js).
import { afterEach, describe, expect, test, vi } from 'vitest'
import { COLUMNS, ariaSort, nextSort, sortRows } from '../../src/console/lib/inboxTable.js'
import { defaultFilters, inboxQuery, inboxRequest, initialState, kept, prefetchInbox, takePrefetched, viewFilters, viewOf } from '../../src/console/lib/inboxQuery.js'
import { highlightParts } from '../../src/console/lib/highlight.js'

const rows = [
  { id: 1, number: 'XF-2026-000002', title: '乙', state_label: '已登记', due_at: '2026-12-03T23:59:59+08:00', owner_org: { name: '信访局' } },
  { id: 2, number: 'XF-2026-000001', title: '甲', state_label: '办理中', due_at: null, owner_org: null },
  { id: 3, number: 'XF-2026-000003', title: '甲', state_label: '已登记', due_at: '2026-12-01T23:59:59+08:00', owner_org: { name: '住建局' } },
]
const ids = (rs) => rs.map((r) => r.id)

describe('inbox sort', () => {
  test('a header click goes ascending, descending, then back to the server order', () => {
    let s = nextSort(null, 'number')
    expect(s).toEqual({ key: 'number', dir: 'asc' })
    s = nextSort(s, 'number')
    expect(s).toEqual({ key: 'number', dir: 'desc' })
    s = nextSort(s, 'number')
    expect(s).toEqual({ key: null, dir: null })
    expect(nextSort({ key: 'number', dir: 'desc' }, 'title')).toEqual({ key: 'title', dir: 'asc' })
  })

  test('sorts a copy, stable, empty values last in both directions', () => {
    expect(ids(sortRows(rows, { key: 'number', dir: 'asc' }))).toEqual([2, 1, 3])
    expect(ids(sortRows(rows, { key: 'number', dir: 'desc' }))).toEqual([3, 1, 2])
    expect(ids(sortRows(rows, { key: 'due', dir: 'asc' }))).toEqual([3, 1, 2])
    expect(ids(sortRows(rows, { key: 'due', dir: 'desc' }))).toEqual([1, 3, 2])
    // equal titles keep the server's order whichever the direction
    expect(ids(sortRows(rows, { key: 'title', dir: 'asc' }))).toEqual([2, 3, 1])
    expect(ids(sortRows(rows, { key: 'title', dir: 'desc' }))).toEqual([1, 2, 3])
    expect(ids(rows)).toEqual([1, 2, 3])
    expect(sortRows(rows, { key: null })).toBe(rows)
    expect(sortRows(rows, { key: 'nonsense', dir: 'asc' })).toBe(rows)
  })

  test('the owner column puts cases without a unit last', () => {
    const out = ids(sortRows(rows, { key: 'owner', dir: 'asc' }))
    expect(out[out.length - 1]).toBe(2)
    expect(ids(sortRows(rows, { key: 'owner', dir: 'desc' })).at(-1)).toBe(2)
  })

  test('aria-sort names the sorted column only', () => {
    const s = { key: 'due', dir: 'desc' }
    expect(ariaSort(s, 'due')).toBe('descending')
    expect(ariaSort({ key: 'due', dir: 'asc' }, 'due')).toBe('ascending')
    expect(ariaSort(s, 'number')).toBe('none')
    expect(COLUMNS.map((c) => c.key)).toEqual(['number', 'title', 'type', 'category', 'state', 'owner', 'due'])
  })
})

describe('inbox query and the early fetch', () => {
  afterEach(() => {
    vi.unstubAllGlobals()
    Object.assign(kept, { userId: null, filters: null, pager: null })
    takePrefetched({ path: '', query: {} }) // forget anything left
  })

  test('the query leaves out what is not filtered', () => {
    expect(inboxQuery(defaultFilters(), null)).toEqual({
      limit: 50, cursor: undefined, type: undefined, state: undefined, owner_org: undefined, assignee: undefined,
      overdue: undefined, due_soon: undefined, due_before: undefined, open: 'true',
    })
    const q = inboxQuery({ ...defaultFilters(), type: 'dispute', overdue: 'true', owner_org: 7, due_before: '2026-12-31' }, 'c2')
    expect(q).toMatchObject({ type: 'dispute', overdue: 'true', owner_org: 7, due_before: '2026-12-31', cursor: 'c2' })
  })

  test('quick views: my tasks, due soon, overdue', () => {
    expect(inboxQuery(viewFilters('mine', 9), null)).toMatchObject({ assignee: 9, overdue: undefined, due_soon: undefined })
    expect(inboxQuery(viewFilters('soon', 9), null)).toMatchObject({ assignee: undefined, overdue: undefined, due_soon: 'true' })
    expect(inboxQuery(viewFilters('overdue', 9), null)).toMatchObject({ overdue: 'true', due_soon: undefined })
    expect(viewOf(defaultFilters(), 9)).toBe('all')
    expect(viewOf(viewFilters('mine', 9), 9)).toBe('mine')
    expect(viewOf({ ...viewFilters('soon', 9), type: 'tip' }, 9)).toBeNull() // a view plus a filter is no view
    expect(viewOf({ ...defaultFilters(), q: '路灯' }, 9)).toBeNull() // nor a view plus words
  })

  test('words in the keyword box make the request a search over the same filters', () => {
    expect(inboxRequest(defaultFilters(), null)).toEqual({ path: '/api/v1/cases', query: inboxQuery(defaultFilters(), null) })
    expect(inboxRequest({ ...defaultFilters(), q: '   ' }, null).path).toBe('/api/v1/cases') // blanks are no words
    const r = inboxRequest({ ...defaultFilters(), q: ' 电梯 故障 ', type: 'grid_event', overdue: 'true' }, '50')
    expect(r.path).toBe('/api/v1/search/cases')
    expect(r.query).toMatchObject({ q: '电梯 故障', type: 'grid_event', overdue: 'true', open: 'true', cursor: '50', limit: 50 })
  })

  test('the kept filters and page belong to one user', () => {
    Object.assign(kept, { userId: 5, filters: { ...defaultFilters(), type: 'tip' }, pager: { stack: [null, 'c1'], index: 1, nextCursor: null } })
    const mine = initialState(5)
    expect(mine.filters.type).toBe('tip')
    expect(mine.pager.cursor).toBe('c1')
    const other = initialState(6)
    expect(other.filters).toEqual(defaultFilters())
    expect(other.pager.cursor).toBeNull()
  })

  test('a kept search is asked for early as a search, and taken for that search only', async () => {
    const fetch = vi.fn(async () => new Response(JSON.stringify({ items: [], next_cursor: null, window_full: false, order: 'relevance' }), { headers: { 'Content-Type': 'application/json' } }))
    vi.stubGlobal('fetch', fetch)
    Object.assign(kept, { userId: 5, filters: { ...defaultFilters(), q: '路灯' }, pager: null })
    prefetchInbox(5)
    expect(String(fetch.mock.calls[0][0])).toBe('/api/v1/search/cases?limit=50&open=true&q=%E8%B7%AF%E7%81%AF')
    expect(takePrefetched(inboxRequest(defaultFilters(), null))).toBeNull() // the list is another request
    prefetchInbox(5)
    expect((await takePrefetched(inboxRequest({ ...defaultFilters(), q: '路灯' }, null))).order).toBe('relevance')
  })

  test('the guard\'s early request is used once, for the same query only', async () => {
    const fetch = vi.fn(async () => new Response(JSON.stringify({ items: [{ id: 1 }], next_cursor: null }), { headers: { 'Content-Type': 'application/json' } }))
    vi.stubGlobal('fetch', fetch)
    prefetchInbox(5)
    expect(fetch).toHaveBeenCalledTimes(1)
    expect(String(fetch.mock.calls[0][0])).toBe('/api/v1/cases?limit=50&open=true')
    expect(takePrefetched(inboxRequest({ ...defaultFilters(), type: 'tip' }, null))).toBeNull() // another query: not used, and dropped
    prefetchInbox(5)
    const p = takePrefetched(inboxRequest(defaultFilters(), null))
    expect(await p).toEqual({ items: [{ id: 1 }], next_cursor: null })
    expect(takePrefetched(inboxRequest(defaultFilters(), null))).toBeNull() // once
  })

  test('an early answer too old to trust is not used', () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response('{}', { headers: { 'Content-Type': 'application/json' } })))
    const now = Date.now()
    const spy = vi.spyOn(Date, 'now').mockReturnValue(now)
    prefetchInbox(5)
    spy.mockReturnValue(now + 60000)
    expect(takePrefetched(inboxQuery(defaultFilters(), null))).toBeNull()
    spy.mockRestore()
  })
})

describe('search highlights', () => {
  test('marks become marked parts, entities become their characters', () => {
    expect(highlightParts('东门社区<mark>路灯</mark>损坏')).toEqual([
      { text: '东门社区', mark: false }, { text: '路灯', mark: true }, { text: '损坏', mark: false },
    ])
    expect(highlightParts('&lt;b&gt;A &amp; B&#39;s &quot;<mark>gate</mark>&quot;')).toEqual([
      { text: '<b>A & B\'s "', mark: false }, { text: 'gate', mark: true }, { text: '"', mark: false },
    ])
    expect(highlightParts('&amp;lt;')).toEqual([{ text: '&lt;', mark: false }]) // unescaped once only
  })

  test('nothing else is ever a tag, and empty input gives no parts', () => {
    // the server never sends other tags; if one came, it stays text
    expect(highlightParts('<img src=x onerror=alert(1)><mark>x</mark>')).toEqual([
      { text: '<img src=x onerror=alert(1)>', mark: false }, { text: 'x', mark: true },
    ])
    expect(highlightParts('')).toEqual([])
    expect(highlightParts(null)).toEqual([])
    expect(highlightParts('<mark></mark>')).toEqual([])
  })
})
