// Forms built from the definitions of a case's actions.
//
// GET /api/v1/cases/{id} lists the actions the user may take now; each has
// fields {name, label, type: text|int|enum|org|date|bool, required, min,
// max, max_length, values}; a record kind's fields (lib/records.js) take the
// same shape, with must_be_true on a bool that must be checked. These functions turn such a list into an
// Element Plus form: the model, the rules (checked before anything is sent,
// with the same limits the server checks: text length counts characters,
// so a 汉字 is one), and the `fields` object to POST. A 400 from the
// server names the field as "fields.<name>" (problemField maps it back).

export const FIELD_TYPES = ['text', 'int', 'enum', 'org', 'date', 'bool']

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/

/** Length in characters (Unicode code points), as the server counts. */
export function charLength(s) {
  let n = 0
  for (const _ of String(s)) n++ // eslint-disable-line no-unused-vars
  return n
}

function isEmpty(v) {
  return v === null || v === undefined || (typeof v === 'string' && v.trim() === '')
}

function validDate(s) {
  if (typeof s !== 'string' || !DATE_RE.test(s)) return false
  const [y, m, d] = s.split('-').map(Number)
  const dt = new Date(Date.UTC(y, m - 1, d))
  return dt.getUTCFullYear() === y && dt.getUTCMonth() === m - 1 && dt.getUTCDate() === d
}

/** The starting value of a field in the form model. */
export function initialValue(field) {
  switch (field.type) {
    case 'bool':
      return false
    case 'text':
      return ''
    default:
      return null
  }
}

/** A fresh form model: one key per field. */
export function buildModel(fields) {
  const model = {}
  for (const f of fields || []) model[f.name] = initialValue(f)
  return model
}

/**
 * Checks one value against its field definition.
 * @returns null when fine, else { key, params } — an i18n message key under
 *          console.form.* and its parameters.
 */
export function validateValue(field, value) {
  if (isEmpty(value)) return field.required ? { key: 'required', params: { label: field.label } } : null
  switch (field.type) {
    case 'text': {
      if (typeof value !== 'string') return { key: 'text', params: { label: field.label } }
      const max = field.max_length ?? field.max
      if (Number.isFinite(max) && charLength(value) > max)
        return { key: 'maxLength', params: { label: field.label, max } }
      return null
    }
    case 'int': {
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value
      if (typeof n !== 'number' || !Number.isInteger(n)) return { key: 'integer', params: { label: field.label } }
      const min = Number.isFinite(field.min) ? field.min : -Infinity
      const max = Number.isFinite(field.max) ? field.max : Infinity
      if (n < min || n > max) return { key: 'range', params: { label: field.label, min: field.min ?? '', max: field.max ?? '' } }
      return null
    }
    case 'enum': {
      const codes = (field.values || []).map((v) => v.code)
      if (!codes.includes(value)) return { key: 'choose', params: { label: field.label } }
      return null
    }
    case 'org':
      if (!Number.isInteger(value) || value < 1) return { key: 'choose', params: { label: field.label } }
      return null
    case 'date':
      if (!validDate(value)) return { key: 'date', params: { label: field.label } }
      return null
    case 'bool':
      if (typeof value !== 'boolean') return { key: 'choose', params: { label: field.label } }
      // a signature, a consent, a checked condition: only "yes" is accepted
      if (field.must_be_true && value !== true) return { key: 'mustBeTrue', params: { label: field.label } }
      return null
    default:
      return null
  }
}

/**
 * Element Plus rules for the fields: one validator per field that applies
 * validateValue. `t` translates console.form.* keys.
 */
export function buildRules(fields, t) {
  const rules = {}
  for (const f of fields || []) {
    rules[f.name] = [
      {
        required: !!f.required,
        trigger: f.type === 'text' || f.type === 'int' ? 'blur' : 'change',
        validator: (_rule, value, callback) => {
          const err = validateValue(f, value)
          if (err) callback(new Error(t(`console.form.${err.key}`, err.params)))
          else callback()
        },
      },
    ]
  }
  return rules
}

/** Every problem with the model (for checking without a form instance). */
export function validateModel(fields, model) {
  const errors = {}
  for (const f of fields || []) {
    const e = validateValue(f, model[f.name])
    if (e) errors[f.name] = e
  }
  return errors
}

/**
 * The `fields` object to send: empty optional values are left out, ints are
 * numbers, everything else as entered.
 */
export function toPayload(fields, model) {
  const out = {}
  for (const f of fields || []) {
    const v = model[f.name]
    if (f.type === 'bool') {
      if (typeof v === 'boolean') out[f.name] = v
      continue
    }
    if (isEmpty(v)) continue
    if (f.type === 'int') out[f.name] = typeof v === 'string' ? Number(v) : v
    else out[f.name] = v
  }
  return out
}
