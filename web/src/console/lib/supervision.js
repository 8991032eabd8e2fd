// Supervision orders (督办) and case links in the console: who may do what
// (a hint for which buttons to show — the server checks every request
// again, src/core/supervision.h and links.h), the checks made before
// sending, and how an order or a link is shown.

/** Roles that issue and close orders (their oversight must cover the case). */
export const OVERSIGHT_ROLES = ['supervisor', 'leader']
/** Roles of the unit an order went to that reply to it. */
export const WORKING_ROLES = ['intake', 'handler', 'mediator', 'grid_worker']

/** Same limits as the server (supervision.h, links.h), in characters. */
export const TEXT_MAX = 2000
export const REPLY_MAX = 4000
export const NOTE_MAX = 1000
export const DUE_MAX_DAYS = 366

export const STATES = ['open', 'replied', 'overdue', 'closed']

const has = (roles, wanted) => (roles || []).some((r) => wanted.includes(r))

/** Shows the "issue an order" button. */
export function canIssue(roles, caseData) {
  return has(roles, OVERSIGHT_ROLES) && !!caseData && caseData.is_open !== false
}

/** Shows "reply" on an order: open or overdue, and the user works in a unit. */
export function canReply(order, roles) {
  return !!order && (order.state === 'open' || order.state === 'overdue') && has(roles, WORKING_ROLES)
}

/** Shows "close" on an order not yet closed. */
export function canClose(order, roles) {
  return !!order && order.state !== 'closed' && has(roles, OVERSIGHT_ROLES)
}

/** Element Plus tag type of an order's state (an overdue open order is danger). */
export function stateTagType(order) {
  if (!order) return 'info'
  if (order.state === 'overdue' || (order.state === 'open' && order.overdue)) return 'danger'
  return { open: 'warning', replied: 'primary', closed: 'success' }[order.state] || 'info'
}

/** Characters as the server counts them (code points). */
export const charCount = (s) => [...String(s || '')].length

const blank = (s) => !String(s || '').replace(/[\s\u3000]/g, '')

function addDays(ymd, days) {
  const [y, m, d] = ymd.split('-').map(Number)
  const t = new Date(Date.UTC(y, m - 1, d + days))
  return t.toISOString().slice(0, 10)
}

/**
 * Checks an order before sending: { reason, required_action, due_date }.
 * today: the district's date (YYYY-MM-DD). Returns { field: messageKey }
 * (empty when fine); keys under console.supervision.errors.
 */
export function checkIssue(input, today) {
  const e = {}
  if (blank(input.reason)) e.reason = 'reasonRequired'
  else if (charCount(input.reason) > TEXT_MAX) e.reason = 'tooLong'
  if (blank(input.required_action)) e.required_action = 'actionRequired'
  else if (charCount(input.required_action) > TEXT_MAX) e.required_action = 'tooLong'
  const d = String(input.due_date || '')
  if (!/^\d{4}-\d{2}-\d{2}$/.test(d)) e.due_date = 'dueRequired'
  else if (today && d < today) e.due_date = 'duePast'
  else if (today && d > addDays(today, DUE_MAX_DAYS)) e.due_date = 'dueFar'
  return e
}

/** Checks a reply: the text is required. */
export function checkReply(text) {
  if (blank(text)) return { text: 'replyRequired' }
  if (charCount(text) > REPLY_MAX) return { text: 'tooLong' }
  return {}
}

/** Checks a link: the other case's number is required, the note short. */
export function checkLink(input, ownNumber) {
  const e = {}
  const n = String(input.to_number || '').trim()
  if (!n) e.to_number = 'numberRequired'
  else if (ownNumber && n.toUpperCase() === String(ownNumber).toUpperCase()) e.to_number = 'sameCase'
  if (charCount(input.note) > NOTE_MAX) e.note = 'tooLong'
  return e
}

/** The case this one was merged into (an outgoing merged_into link), or null. */
export function mergedInto(links) {
  const l = (links || []).find((x) => x.kind === 'merged_into' && x.direction === 'outgoing')
  return l ? l.case : null
}

/**
 * Linked cases this case may be merged into: open, not this case, and this
 * case still open and not merged. (Same type and visibility: the server.)
 */
export function mergeTargets(caseData) {
  if (!caseData || caseData.is_open === false || mergedInto(caseData.links)) return []
  const seen = new Set()
  const out = []
  for (const l of caseData.links || []) {
    if (l.kind === 'merged_into' || !l.case || !l.case.is_open || l.case.id === caseData.id || seen.has(l.case.id)) continue
    seen.add(l.case.id)
    out.push(l.case)
  }
  return out
}
