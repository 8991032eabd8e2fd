// Formatting of server times, sizes and limits for the portal.
//
// Times come from the server as ISO 8601 with the district's UTC offset
// ("2026-03-17T23:59:59+08:00"). Dates are shown as YYYY-MM-DD in the
// district's time, whatever the browser's time zone: a due date is the
// district's date, so it is read from the string, not converted.

/** "2026-03-17T23:59:59+08:00" → "2026-03-17"; '' for null or garbage. */
export function formatDate(iso) {
  if (!iso || typeof iso !== 'string') return ''
  const m = /^(\d{4}-\d{2}-\d{2})(?:[T ]|$)/.exec(iso)
  return m ? m[1] : ''
}

/** "2026-03-02T10:15:00+08:00" → "2026-03-02 10:15" (district time). */
export function formatDateTime(iso) {
  if (!iso || typeof iso !== 'string') return ''
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})/.exec(iso)
  return m ? `${m[1]} ${m[2]}` : formatDate(iso)
}

/** Bytes in words: 900 B, 12.5 KB, 3.2 MB. */
export function formatSize(bytes) {
  const n = Number(bytes) || 0
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10240 ? 1 : 0)} KB`
  const mb = n / (1024 * 1024)
  return `${Number.isInteger(mb) ? mb : mb.toFixed(1)} MB`
}

/**
 * A limit { amount, unit, basis } in words, with vue-i18n's t:
 * "15 个自然日" / "15 calendar days". The basis is returned apart, since it
 * is shown as a citation.
 */
export function formatLimit(t, limit) {
  if (!limit || !limit.amount) return ''
  const unit = ['calendar_days', 'working_days', 'working_hours'].includes(limit.unit) ? limit.unit : 'other'
  return t('portal.units.' + unit, { n: limit.amount, unit: limit.unit }, limit.amount)
}

/** The absolute tracking link of a receipt's tracking_path. */
export function trackingUrl(origin, path) {
  return new URL(path, origin).toString()
}
