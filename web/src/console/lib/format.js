// Display helpers. The server sends times as ISO 8601 in the district's own
// UTC offset (2026-11-30T02:59:40+08:00): the date and clock time are read
// straight from the string, so a browser in another time zone still shows
// the district's dates, and nothing is shifted by the user's machine.

const ISO_RE = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2}))?/

/** 'YYYY-MM-DD' of an ISO time or date; '' for null or something else. */
export function formatDate(iso) {
  if (!iso) return ''
  const m = ISO_RE.exec(String(iso))
  return m ? m[1] : ''
}

/** 'YYYY-MM-DD HH:mm' of an ISO time ('YYYY-MM-DD' for a bare date). */
export function formatDateTime(iso) {
  if (!iso) return ''
  const m = ISO_RE.exec(String(iso))
  if (!m) return ''
  return m[2] ? `${m[1]} ${m[2]}:${m[3]}` : m[1]
}

/** Human file size: 1.2 MB, 35 KB, 120 B. */
export function formatSize(bytes) {
  const n = Number(bytes)
  if (!Number.isFinite(n) || n < 0) return ''
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${Math.round(n / 1024)} KB`
  return `${(n / 1024 / 1024).toFixed(1)} MB`
}

/** The label of a {zh, en} label object in the current locale (falls back to the other). */
export function pickLabel(label, locale) {
  if (label == null) return ''
  if (typeof label === 'string') return label
  const en = String(locale || '').startsWith('en')
  return (en ? label.en || label.zh : label.zh || label.en) || ''
}

/** An org's name in the current locale (orgs carry name and name_en). */
export function orgName(org, locale) {
  if (!org) return ''
  const en = String(locale || '').startsWith('en')
  return (en && org.name_en) || org.name || ''
}

/** Compares two values for client-side sorting; empty values sort last. */
export function compareValues(a, b) {
  const ea = a === null || a === undefined || a === ''
  const eb = b === null || b === undefined || b === ''
  if (ea || eb) return ea === eb ? 0 : ea ? 1 : -1
  if (typeof a === 'number' && typeof b === 'number') return a - b
  return String(a).localeCompare(String(b), 'zh-CN')
}
