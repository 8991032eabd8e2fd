// Cursor paging state (src/console/lib/pager.js).
import { describe, expect, test } from 'vitest'
import { reactive } from 'vue'
import { CursorPager } from '../../src/console/lib/pager.js'

describe('CursorPager', () => {
  test('starts on page 1 with no cursor', () => {
    const p = new CursorPager()
    expect(p.cursor).toBeNull()
    expect(p.page).toBe(1)
    expect(p.hasPrev).toBe(false)
    expect(p.hasNext).toBe(false)
  })

  test('walks forward with next_cursor and back with the stack', () => {
    const p = new CursorPager()
    p.loaded('c1')
    expect(p.hasNext).toBe(true)
    expect(p.next()).toBe(true)
    expect(p.cursor).toBe('c1')
    expect(p.page).toBe(2)
    p.loaded('c2')
    p.next()
    expect(p.cursor).toBe('c2')
    p.loaded(null) // last page
    expect(p.hasNext).toBe(false)
    expect(p.next()).toBe(false)
    expect(p.prev()).toBe(true)
    expect(p.cursor).toBe('c1')
    expect(p.hasNext).toBe(true) // we know where page 3 starts
    expect(p.prev()).toBe(true)
    expect(p.cursor).toBeNull()
    expect(p.prev()).toBe(false)
    p.next()
    expect(p.cursor).toBe('c1')
  })

  test('going forward again after going back follows the new answer', () => {
    const p = new CursorPager()
    p.loaded('c1')
    p.next()
    p.loaded('c2')
    p.prev()
    p.loaded('c1b') // the list changed meanwhile
    p.next()
    expect(p.cursor).toBe('c1b')
    expect(p.stack).toEqual([null, 'c1b'])
  })

  test('reset goes back to the first page', () => {
    const p = new CursorPager()
    p.loaded('a')
    p.next()
    p.reset()
    expect(p.cursor).toBeNull()
    expect(p.page).toBe(1)
    expect(p.hasNext).toBe(false)
  })

  test('numeric cursors (the audit log\'s next_after) work the same', () => {
    const p = new CursorPager()
    p.loaded(50)
    p.next()
    expect(p.cursor).toBe(50)
    p.loaded(0) // 0 is a cursor, not "none"
    expect(p.hasNext).toBe(true)
  })

  test('snapshot and restore', () => {
    const p = new CursorPager()
    p.loaded('x')
    p.next()
    const q = new CursorPager()
    q.restore(p.snapshot())
    expect(q.cursor).toBe('x')
    expect(q.page).toBe(2)
    q.restore(null)
    expect(q.page).toBe(1)
  })

  test('works inside a Vue reactive proxy', () => {
    const p = reactive(new CursorPager())
    p.loaded('n')
    expect(p.next()).toBe(true)
    expect(p.page).toBe(2)
    expect(p.hasPrev).toBe(true)
  })
})
