// Client-side checks of the public forms. They mirror the server's checks
// (src/core/cases.c check_text / cases_check_input, src/core/crypto.c
// phone_normalize / id_normalize / query_normalize, src/core/attach.c) so that
// a person hears about a mistake before sending; the server stays the judge,
// and its 400s are shown on the field they name (see problems.js).
//
// Lengths are counted in characters (Unicode code points), as the server
// counts them: "汉" is one character, an emoji is one character although
// JavaScript's String.length says 2.

// Limits of src/core/cases.h and workflows/petition.yaml (characters).
export const LIMITS = {
  title: 200,
  body: 20000,
  name: 50,
  address: 200,
  phone: 40,
  idNumber: 40,
  reason: 2000,
  comment: 1000,
}

// Attachments: the server's configured limits and accepted types come from
// GET /api/public/limits (limitsFromServer); these are the server's defaults
// (limits.max_file, limits.max_files in docs/configuration.md), used until
// that answer arrives or when it cannot be read.
export const FILE_LIMITS = { maxFiles: 5, maxBytes: 10 * 1024 * 1024 }

// What src/core/attach.c accepts by default, by extension and browser-reported type.
export const FILE_TYPES = [
  { ext: ['pdf'], mime: ['application/pdf'] },
  { ext: ['png'], mime: ['image/png'] },
  { ext: ['jpg', 'jpeg'], mime: ['image/jpeg'] },
  { ext: ['gif'], mime: ['image/gif'] },
  { ext: ['webp'], mime: ['image/webp'] },
  { ext: ['txt'], mime: ['text/plain'] },
  { ext: ['docx'], mime: ['application/vnd.openxmlformats-officedocument.wordprocessingml.document'] },
  { ext: ['xlsx'], mime: ['application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'] },
]
/** The accept attribute of a file input for these types. */
export function fileAccept(types = FILE_TYPES) {
  return types.flatMap((t) => t.ext.map((e) => '.' + e).concat(t.mime)).join(',')
}
export const FILE_ACCEPT = fileAccept(FILE_TYPES)

/**
 * The limits of GET /api/public/limits as the form uses them:
 * { maxFiles, maxBytes, types: [{ ext, mime }] }. Anything missing or
 * malformed keeps the default (the server still checks every upload).
 */
export function limitsFromServer(data) {
  const a = data && typeof data === 'object' ? data.attachments : null
  const out = { ...FILE_LIMITS, types: FILE_TYPES }
  if (!a || typeof a !== 'object') return out
  if (Number.isInteger(a.max_files) && a.max_files >= 0) out.maxFiles = a.max_files
  if (Number.isInteger(a.max_file_bytes) && a.max_file_bytes > 0) out.maxBytes = a.max_file_bytes
  if (Array.isArray(a.types) && a.types.length) {
    const types = a.types
      .filter((t) => t && typeof t.mime === 'string' && Array.isArray(t.extensions))
      .map((t) => ({
        ext: t.extensions.filter((e) => typeof e === 'string').map((e) => e.toLowerCase()),
        // "text/plain; charset=utf-8" → "text/plain" (what browsers report)
        mime: [t.mime.split(';')[0].trim().toLowerCase()],
      }))
    if (types.length) out.types = types
  }
  return out
}

/** Number of characters (code points) of s, as the server counts them. */
export function chars(s) {
  if (!s) return 0
  let n = 0
  for (const _ of String(s)) n++ // iterates code points, not UTF-16 units
  return n
}

/** Blank as the server sees it: only ASCII white space and the ideographic space U+3000. */
export function isBlank(s) {
  return s == null || /^[ \t\n\r\u3000]*$/.test(String(s))
}

/** Control characters other than tab, LF, CR (the server refuses them). */
export function hasControl(s) {
  return /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(String(s || ''))
}

/**
 * Checks one text: returns null when fine, else an error
 * { key, params } naming a message under portal.errors.
 */
export function checkText(value, { required = false, max } = {}) {
  if (isBlank(value)) return required ? { key: 'required' } : null
  if (hasControl(value)) return { key: 'control' }
  const n = chars(value)
  if (max && n > max) return { key: 'tooLong', params: { max, n } }
  return null
}

// Full-width ASCII (０-９, Ａ-Ｚ, －, ＋) and the ideographic space, as typed
// with Chinese input methods, folded to ASCII (crypto.c fold_width).
function foldWidth(s) {
  let out = ''
  for (const ch of String(s)) {
    const cp = ch.codePointAt(0)
    if (cp >= 0xff01 && cp <= 0xff5e) out += String.fromCodePoint(cp - 0xfee0)
    else if (cp === 0x3000) out += ' '
    else out += ch
  }
  return out
}

const SPACE = /[ \t\n\r\v\f]/
const DASH = /[-\u2010-\u2015\u2212]/

/**
 * A phone number as the server normalizes it (crypto.c phone_normalize), or
 * null when the server would refuse it: digits with optional spaces, dashes,
 * dots, brackets and one leading '+'; 5 to 20 digits; a mainland mobile
 * (1[3-9]…) has exactly 11 digits.
 */
export function normalizePhone(input) {
  let d = ''
  let plus = false
  for (const ch of foldWidth(input)) {
    if (ch >= '0' && ch <= '9') {
      d += ch
      if (d.length > 24) return null
    } else if (ch === '+') {
      if (plus || d.length > 0) return null
      plus = true
    } else if (!(SPACE.test(ch) || DASH.test(ch) || ch === '(' || ch === ')' || ch === '.')) {
      return null
    }
  }
  let digits = d
  let international = false
  if (plus) {
    if (d.startsWith('86')) digits = d.slice(2)
    else international = true
  } else if (d.startsWith('0086')) {
    digits = d.slice(4)
  } else if (d.length === 13 && d.startsWith('861')) {
    digits = d.slice(2)
  } else if (d.startsWith('00')) {
    international = true
    digits = d.slice(2)
  }
  const m = digits.length
  if (m < 5 || m > 20) return null
  if (!international && digits[0] === '1' && digits[1] >= '3' && digits[1] <= '9' && m !== 11) return null
  return (international ? '00' : '') + digits
}

/** GB 11643-1999 check character of the first 17 digits. */
export function idCheckDigit(id17) {
  const weight = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
  let sum = 0
  for (let i = 0; i < 17; i++) sum += (id17.charCodeAt(i) - 48) * weight[i]
  const c = (12 - (sum % 11)) % 11
  return c === 10 ? 'X' : String(c)
}

/**
 * A resident ID number as the server normalizes it (crypto.c id_normalize),
 * or null: spaces ignored, x upper-cased; 15 digits, or 17 digits and a
 * matching check character.
 */
export function normalizeIdNumber(input) {
  let out = ''
  for (let ch of foldWidth(input)) {
    if (SPACE.test(ch)) continue
    if (ch === 'x') ch = 'X'
    if (!((ch >= '0' && ch <= '9') || ch === 'X') || out.length >= 18) return null
    out += ch
  }
  if (out.length !== 15 && out.length !== 18) return null
  if (out.slice(0, -1).includes('X')) return null
  if (out.length === 15) return out[14] === 'X' ? null : out
  return idCheckDigit(out) === out[17] ? out : null
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
export const QUERY_CODE_LEN = 10

/**
 * A query code as the server reads it (crypto.c query_normalize): spaces and
 * dashes ignored, upper-cased, O→0, I/L→1; exactly 10 Crockford base32
 * characters. null when it cannot be a code.
 */
export function normalizeQueryCode(input) {
  let out = ''
  for (let ch of foldWidth(input || '')) {
    if (SPACE.test(ch) || DASH.test(ch)) continue
    ch = ch.toUpperCase()
    if (ch === 'O') ch = '0'
    else if (ch === 'I' || ch === 'L') ch = '1'
    if (!CROCKFORD.includes(ch) || ch.length !== 1 || out.length >= QUERY_CODE_LEN) return null
    out += ch
  }
  return out.length === QUERY_CODE_LEN ? out : null
}

/**
 * A case number as the server gives them (XF-2026-000123): trimmed,
 * upper-cased, any dash made '-'. Only the shape is checked (letters, digits
 * and dashes, at most 63 characters), so the numbers of case types added
 * later pass too; a number that does not exist gets the server's 404.
 */
export function normalizeCaseNumber(input) {
  const s = foldWidth(input || '').trim().toUpperCase().replace(/[\u2010-\u2015\u2212]/g, '-')
  return /^[A-Z0-9]+(-[A-Z0-9]+)*$/.test(s) && /\d/.test(s) && s.length <= 63 ? s : null
}

/** File extension, lower-cased, without the dot. */
function extOf(name) {
  const m = /\.([A-Za-z0-9]+)$/.exec(name || '')
  return m ? m[1].toLowerCase() : ''
}

/** True when a file's name or reported type is one the server accepts. */
export function fileTypeAllowed(file, types = FILE_TYPES) {
  const ext = extOf(file.name)
  const mime = (file.type || '').toLowerCase()
  return types.some((t) => t.ext.includes(ext) || (mime && t.mime.includes(mime)))
}

/** Checks the chosen attachments: returns null or { key, params }. */
export function checkFiles(files, limits = FILE_LIMITS) {
  if (files.length > limits.maxFiles) return { key: 'tooManyFiles', params: { max: limits.maxFiles } }
  for (const f of files) {
    if (f.size === 0) return { key: 'fileEmpty', params: { name: f.name } }
    if (f.size > limits.maxBytes) return { key: 'fileTooLarge', params: { name: f.name, max: formatMB(limits.maxBytes) } }
    if (!fileTypeAllowed(f, limits.types || FILE_TYPES)) return { key: 'fileType', params: { name: f.name } }
  }
  return null
}

function formatMB(bytes) {
  return Math.round(bytes / (1024 * 1024)) + ' MB'
}

/**
 * A coordinate as typed: decimal degrees, full-width digits and a comma as
 * decimal mark accepted ("26,0745" → 26.0745). null when it is not a number
 * or outside ±max.
 */
export function parseCoord(input, max) {
  const s = foldWidth(input == null ? '' : String(input)).trim().replace(/[\u2212\u2010-\u2015]/g, '-').replace(',', '.')
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(s)) return null
  const v = Number(s)
  return Number.isFinite(v) && Math.abs(v) <= max ? v : null
}

/**
 * Checks the place of a case (Location: lat and lng together, and/or an
 * address) against the type's `location` rule ("none", "optional",
 * "required"). Adds its errors to e under location, location.lat,
 * location.lng, location.address — the server's field names.
 */
export function checkLocation(loc, rule, e = {}) {
  if (!rule || rule === 'none') return e
  const l = loc || {}
  const hasLat = !isBlank(l.lat)
  const hasLng = !isBlank(l.lng)
  if (hasLat && parseCoord(l.lat, 90) === null) e['location.lat'] = { key: 'lat' }
  if (hasLng && parseCoord(l.lng, 180) === null) e['location.lng'] = { key: 'lng' }
  if (hasLat !== hasLng && !e['location.lat'] && !e['location.lng']) e[hasLat ? 'location.lng' : 'location.lat'] = { key: 'coordPair' }
  const addrErr = checkText(l.address, { max: LIMITS.address })
  if (addrErr) e['location.address'] = addrErr
  if (rule === 'required' && !(hasLat && hasLng) && isBlank(l.address)) e.location = { key: 'location' }
  return e
}

/** True when the submission goes without the sender's identity. */
function isAnonymous(form, category, opts) {
  const allowed = opts && opts.anonymous !== undefined ? !!opts.anonymous : !!(category && category.accusation)
  return allowed && !!form.anonymous
}

/**
 * Checks a submission as the server will (cases_check_input). `form` is the
 * page's model; `category` the chosen category object from the workflow
 * ({ code, accusation }); `limits` those of limitsFromServer (default: the
 * server's defaults); `opts.anonymous`: whether this submission may go
 * without contact (default: an accusation category); `opts.location`: the
 * type's location rule. Returns { fieldKey: { key, params } } — empty when
 * the form may be sent. Field keys are the API's names ("contact.phone").
 */
export function validateSubmission(form, category, files = [], limits = FILE_LIMITS, opts = {}) {
  const e = {}
  const put = (k, err) => {
    if (err) e[k] = err
  }
  if (!form.category || !category) e.category = { key: 'chooseCategory' }
  put('title', checkText(form.title, { required: true, max: LIMITS.title }))
  put('body', checkText(form.body, { required: true, max: LIMITS.body }))
  checkLocation(form.location, opts.location, e)
  const anonymous = isAnonymous(form, category, opts)
  if (!anonymous) {
    const c = form.contact || {}
    put('contact.name', checkText(c.name, { required: true, max: LIMITS.name }))
    if (!isBlank(c.phone)) {
      const err = checkText(c.phone, { max: LIMITS.phone })
      put('contact.phone', err || (normalizePhone(c.phone) ? null : { key: 'phone' }))
    }
    if (!isBlank(c.id_number)) {
      const err = checkText(c.id_number, { max: LIMITS.idNumber })
      put('contact.id_number', err || (normalizeIdNumber(c.id_number) ? null : { key: 'idNumber' }))
    }
    put('contact.address', checkText(c.address, { max: LIMITS.address }))
  }
  put('files', checkFiles(files, limits))
  return e
}

/**
 * The JSON the server takes (CaseSubmission): trimmed strings, empty
 * optional contact members left out, accused unit only for an accusation,
 * the place (opts.location not "none") with numbers for the coordinates.
 */
export function buildSubmission(type, form, category, opts = {}) {
  const trimOrNull = (s) => (isBlank(s) ? null : String(s).trim())
  const out = { type, category: form.category, title: String(form.title).trim(), body: String(form.body).trim() }
  if (opts.location && opts.location !== 'none' && form.location) {
    const l = form.location
    const lat = parseCoord(l.lat, 90)
    const lng = parseCoord(l.lng, 180)
    const loc = {}
    if (lat !== null && lng !== null) Object.assign(loc, { lat, lng })
    const address = trimOrNull(l.address)
    if (address) loc.address = address
    if (Object.keys(loc).length) out.location = loc
  }
  const anonymous = isAnonymous(form, category, opts)
  if (!anonymous) {
    const c = form.contact || {}
    const contact = { name: String(c.name || '').trim() }
    for (const k of ['phone', 'id_number', 'address']) {
      const v = trimOrNull(c[k])
      if (v) contact[k] = v
    }
    out.contact = contact
  }
  if (category && category.accusation && form.accused_org_id) out.accused_org_id = Number(form.accused_org_id)
  return out
}

/** The review request form: a reason is required, at most 2000 characters. */
export function validateReview(reason) {
  const err = checkText(reason, { required: true, max: LIMITS.reason })
  return err ? { reason: err } : {}
}

export const RATING_LEVELS = ['very_satisfied', 'satisfied', 'basically_satisfied', 'dissatisfied', 'very_dissatisfied']

/** The rating form: a level is required; the comment is optional, at most 1000 characters. */
export function validateRating(level, comment) {
  const e = {}
  if (!RATING_LEVELS.includes(level)) e.level = { key: 'chooseLevel' }
  const err = checkText(comment, { max: LIMITS.comment })
  if (err) e.comment = err
  return e
}

/** The tracking form. */
export function validateLookup(number, code) {
  const e = {}
  if (isBlank(number)) e.number = { key: 'required' }
  else if (!normalizeCaseNumber(number)) e.number = { key: 'caseNumber' }
  if (isBlank(code)) e.code = { key: 'required' }
  else if (!normalizeQueryCode(code)) e.code = { key: 'queryCode' }
  return e
}

/**
 * The map of GET /api/public/limits: { tile_url, attribution, center: [lat,
 * lng], zoom } when the server names an http(s) tile template with {z}, {x}
 * and {y}; else null (no map: the place is typed). Without a usable centre
 * the map opens on the whole world.
 */
export function mapFromServer(data) {
  const m = data && typeof data === 'object' ? data.map : null
  if (!m || typeof m !== 'object' || typeof m.tile_url !== 'string') return null
  const url = m.tile_url
  if (!/^https?:\/\//.test(url) || !['{z}', '{x}', '{y}'].every((p) => url.includes(p))) return null
  const c = m.center
  const good = Array.isArray(c) && c.length === 2 && Number.isFinite(c[0]) && Number.isFinite(c[1]) && Math.abs(c[0]) <= 90 && Math.abs(c[1]) <= 180
  const zoom = Number.isInteger(m.zoom) && m.zoom >= 1 && m.zoom <= 19 ? m.zoom : 13
  return {
    tile_url: url,
    attribution: typeof m.attribution === 'string' ? m.attribution : '',
    center: good ? [c[0], c[1]] : [0, 0],
    zoom: good ? zoom : 2,
  }
}
