// Cursor paging state for lists the server pages with an opaque cursor
// (inbox: cursor / next_cursor) or an id to continue after (audit log:
// after / next_after). The server only goes forward, so "previous" is a
// stack of the cursors that opened each page seen so far.
//
//   const p = new CursorPager()
//   load(p.cursor)  → p.loaded(resp.next_cursor)
//   p.next() / p.prev() / p.reset()  → then load(p.cursor) again

export class CursorPager {
  constructor() {
    this.reset()
  }

  /** Back to the first page (filters changed). */
  reset() {
    this.stack = [null]
    this.index = 0
    this.nextCursor = null
  }

  /** The cursor that opens the current page (null for the first). */
  get cursor() {
    return this.stack[this.index]
  }

  /** 1-based number of the current page. */
  get page() {
    return this.index + 1
  }

  get hasPrev() {
    return this.index > 0
  }

  get hasNext() {
    return this.nextCursor !== null && this.nextCursor !== undefined && this.nextCursor !== ''
  }

  /** Records what the server said about the page just loaded. */
  loaded(nextCursor) {
    this.nextCursor = nextCursor === undefined ? null : nextCursor
  }

  /** Moves to the next page; false when there is none. */
  next() {
    if (!this.hasNext) return false
    this.stack = this.stack.slice(0, this.index + 1)
    this.stack.push(this.nextCursor)
    this.index++
    this.nextCursor = null
    return true
  }

  /** Moves to the previous page; false on the first. */
  prev() {
    if (!this.hasPrev) return false
    this.index--
    this.nextCursor = this.stack[this.index + 1] ?? null
    return true
  }

  /** A plain copy, for keeping in a store and restoring later. */
  snapshot() {
    return { stack: [...this.stack], index: this.index, nextCursor: this.nextCursor }
  }

  restore(s) {
    if (!s || !Array.isArray(s.stack) || !s.stack.length) return this.reset()
    this.stack = [...s.stack]
    this.index = Math.min(Math.max(0, s.index | 0), this.stack.length - 1)
    this.nextCursor = s.nextCursor ?? null
  }
}
