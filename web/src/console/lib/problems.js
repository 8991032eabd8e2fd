// Turning ApiError (api.js: status, type, title, detail, field) into what
// the console shows: which form item to mark, and the message.

/**
 * The form item a problem belongs to, or null.
 *
 * @param err     ApiError
 * @param names   the form's item names (props), e.g. ['days', 'reason'] or
 *                ['title', 'contact.phone']
 * @param prefix  prefix the server puts before those names: 'fields.' for
 *                action fields, '' for a case submission
 */
export function problemField(err, names, prefix = '') {
  if (!err || !err.field || ![400, 413, 415, 422].includes(err.status)) return null
  let f = String(err.field)
  if (prefix) {
    if (!f.startsWith(prefix)) return null
    f = f.slice(prefix.length)
  }
  if (names.includes(f)) return f
  // files[2] → files
  const base = f.replace(/\[\d+\]$/, '')
  return names.includes(base) ? base : null
}

/**
 * The message for a problem: the server's detail without the "fields.x: "
 * it starts with (the form item already says which field), or its title.
 */
export function problemMessage(err) {
  if (!err) return ''
  const detail = err.detail ? String(err.detail) : ''
  if (detail && err.field) {
    const p = `${err.field}: `
    if (detail.startsWith(p)) return detail.slice(p.length)
  }
  return detail || err.title || err.message || ''
}

/** Maps a problem onto a form: { field, message } with field null when it names none. */
export function mapProblem(err, names, prefix = '') {
  return { field: problemField(err, names, prefix), message: problemMessage(err) }
}

/** Whole minutes to wait, from a 429's Retry-After (seconds); at least 1. */
export function retryMinutes(err) {
  const s = Number(err && err.retryAfter)
  if (!Number.isFinite(s) || s <= 0) return 1
  return Math.max(1, Math.ceil(s / 60))
}
