// Server problems (application/problem+json, see api.js ApiError) shown where
// the person can act on them: a problem that names a field goes next to that
// field; anything else goes to the top of the form.

/**
 * The form field a problem's `field` belongs to, as a key of the page's
 * error map ("contact.phone" stays "contact.phone"; "files[2]" is "files";
 * "contact" — a missing contact — is the name field). null when the problem
 * is about no field the person can change.
 */
export function fieldForProblem(field, known) {
  if (!field) return null
  let f = String(field)
  if (/^files(\[\d+\])?$/.test(f)) f = 'files'
  else if (f === 'contact') f = 'contact.name'
  else if (f.startsWith('fields.')) f = f.slice('fields.'.length) // a transition's field, e.g. review reason
  return known.includes(f) ? f : null
}

/** DOM id of a field key: "contact.phone" → "f-contact-phone". */
export function fieldDomId(key) {
  return 'f-' + String(key).replace(/[^A-Za-z0-9]+/g, '-')
}

// Messages for what the server says about a field, by problem type; the
// server's own title is localized but says only "invalid field".
const BY_FIELD = {
  'contact.phone': 'phone',
  'contact.id_number': 'idNumber',
  'contact.name': 'required',
  code: 'queryCode',
  accused_org_id: 'accusedUnit',
  category: 'chooseCategory',
  level: 'chooseLevel',
}

/**
 * What to tell the person about an ApiError on a field: { key, params } of a
 * message under portal.errors, or { text } with the server's own words.
 */
export function problemMessage(err, fieldKey, lang) {
  const type = err.type || ''
  if (type === 'too-large' && fieldKey === 'files') return { key: 'filesTooLarge' }
  if (type === 'unsupported-media-type') return { key: 'fileTypeServer' }
  if (type === 'rate-limited') return { key: 'rateLimited' }
  // the server's detail is in the request's language (zh-CN or en)
  const tooLong = err.detail && /(?:longer than|超过) (\d+) (?:characters|个字符)/.exec(err.detail)
  if (type === 'validation' && tooLong) return { key: 'tooLongServer', params: { max: Number(tooLong[1]) } }
  if (type === 'validation' && err.detail && /is required|为必填项/.test(err.detail)) return { key: 'required' }
  if (type === 'validation' && BY_FIELD[fieldKey]) return { key: BY_FIELD[fieldKey] }
  if (type === 'unprocessable' && fieldKey === 'accused_org_id') return { key: 'accusedNoReceiver' }
  // The server's title and detail are both in the person's language.
  const text = [err.title, err.detail].filter(Boolean).join(lang === 'en' ? ': ' : '：')
  return text ? { text } : { key: 'unknown' }
}

/** A general (not per-field) message for an ApiError. */
export function generalMessage(err, lang) {
  if (err.status === 0) return { key: 'network' }
  if (err.type === 'rate-limited' || err.status === 429) return { key: 'rateLimited' }
  if (err.status === 503) return { key: 'unavailable' }
  if (err.type === 'window-closed') return { key: 'windowClosed' }
  if (err.type === 'invalid-state' || err.status === 409) return { key: 'changed' }
  if (err.type === 'too-large') return { key: 'filesTooLarge' }
  const text = [err.title, err.detail].filter(Boolean).join(lang === 'en' ? ': ' : '：')
  return text ? { text } : { key: 'unknown' }
}

/** Renders a { key, params } | { text } message with vue-i18n's t. */
export function renderMessage(t, m) {
  if (!m) return ''
  if (m.text) return m.text
  return t('portal.errors.' + m.key, m.params || {})
}
