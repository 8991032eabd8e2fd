// The steps the holder of a query code may take on the tracking page (a
// grid event's reporter verifies it or sends it back for rework): forms
// built from the `actions` of GET /api/public/cases/{number}, each with its
// field definitions ({ name, label, type, required, min, max, max_length,
// values }). Checks mirror the server's (src/core/workflow.c field checks);
// the server stays the judge.
import { isBlank, checkText } from './validation.js'

/** The field types a public form can show; an action with another required type is left out. */
export const PUBLIC_FIELD_TYPES = ['text', 'int', 'enum', 'date', 'bool']

/** The actions to draw: those whose required fields the portal can ask for, minus `skip` (names drawn elsewhere). */
export function drawableActions(actions, skip = []) {
  return (actions || []).filter(
    (a) => a && !skip.includes(a.name) && (a.fields || []).every((f) => PUBLIC_FIELD_TYPES.includes(f.type) || !f.required),
  )
}

/** Empty values of an action's fields (only the types the portal shows). */
export function initialValues(fields) {
  const v = {}
  for (const f of fields || []) if (PUBLIC_FIELD_TYPES.includes(f.type)) v[f.name] = f.type === 'bool' ? false : ''
  return v
}

/** Checks values against the fields: { name: { key, params } }, empty when fine. */
export function validateAction(fields, values) {
  const e = {}
  for (const f of fields || []) {
    if (!PUBLIC_FIELD_TYPES.includes(f.type)) continue
    const v = values[f.name]
    if (f.type === 'bool') continue
    if (isBlank(v)) {
      if (f.required) e[f.name] = { key: f.type === 'enum' ? 'choose' : 'required' }
      continue
    }
    if (f.type === 'text') {
      const err = checkText(v, { max: f.max_length })
      if (err) e[f.name] = err
    } else if (f.type === 'int') {
      const s = String(v).trim()
      const n = Number(s)
      if (!/^-?\d+$/.test(s) || !Number.isSafeInteger(n)) e[f.name] = { key: 'integer' }
      else if ((f.min !== undefined && n < f.min) || (f.max !== undefined && n > f.max)) e[f.name] = { key: 'range', params: { min: f.min ?? '', max: f.max ?? '' } }
    } else if (f.type === 'enum') {
      if (!(f.values || []).some((x) => x.code === v)) e[f.name] = { key: 'choose' }
    } else if (f.type === 'date') {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(String(v))) e[f.name] = { key: 'date' }
    }
  }
  return e
}

/** The `fields` member of the request: typed values, blanks left out. */
export function buildActionFields(fields, values) {
  const out = {}
  for (const f of fields || []) {
    if (!PUBLIC_FIELD_TYPES.includes(f.type)) continue
    const v = values[f.name]
    if (f.type === 'bool') {
      out[f.name] = !!v
      continue
    }
    if (isBlank(v)) continue
    out[f.name] = f.type === 'int' ? Number(String(v).trim()) : f.type === 'text' ? String(v).trim() : v
  }
  return out
}
