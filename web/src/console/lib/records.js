// Records kept on a case, as its definition declares them (`records:` in
// workflows/<type>.yaml: a dispute's sessions and agreement, a risk report,
// a joint case's consultations, tasks and assets ...). Nothing here knows a
// kind by name except the joint-case summaries at the end, which read the
// kinds joint_case.yaml declares (task, asset) when a definition has them.
//
// Records are append-only: a correction is a new version that names the one
// it replaces (`supersedes`); the server marks the old one `superseded`.

import { orgName, pickLabel } from './format.js'

/**
 * A record kind's field definitions (GET /api/v1/workflows: labels in both
 * languages, `max` for text length) in the shape the action forms use
 * (lib/actionForm.js: label in one language, `max_length` for text).
 */
export function formFields(kindDef, locale) {
  return ((kindDef && kindDef.fields) || []).map((f) => {
    const out = { name: f.name, label: pickLabel(f.label, locale) || f.name, type: f.type, required: !!f.required }
    if (f.type === 'text' && Number.isFinite(f.max)) out.max_length = f.max
    if (f.type === 'int') {
      if (Number.isFinite(f.min)) out.min = f.min
      if (Number.isFinite(f.max)) out.max = f.max
    }
    if (f.type === 'enum') out.values = (f.values || []).map((v) => ({ code: v.code, label: pickLabel(v.label, locale) || v.code }))
    if (f.must_be_true) out.must_be_true = true
    return out
  })
}

/** The kinds of a definition as [{ name, label, fields }] (fields in form shape). */
export function recordKinds(workflow, locale) {
  return ((workflow && workflow.records) || []).map((k) => ({
    name: k.name,
    label: pickLabel(k.label, locale) || k.name,
    roles: k.roles || [],
    fields: formFields(k, locale),
  }))
}

/**
 * Groups a case's records (oldest first, every version) by kind:
 * Map kind → [{ record, history }] with one entry per current version
 * (not superseded), newest first, and `history` its earlier versions,
 * newest first, found by following `supersedes`.
 */
export function groupRecords(records) {
  const byId = new Map((records || []).map((r) => [r.id, r]))
  const out = new Map()
  for (const r of records || []) {
    if (r.superseded) continue
    const history = []
    const seen = new Set([r.id])
    let prev = r.supersedes ? byId.get(r.supersedes) : null
    while (prev && !seen.has(prev.id)) {
      history.push(prev)
      seen.add(prev.id)
      prev = prev.supersedes ? byId.get(prev.supersedes) : null
    }
    if (!out.has(r.kind)) out.set(r.kind, [])
    out.get(r.kind).push({ record: r, history })
  }
  for (const list of out.values()) list.reverse()
  return out
}

/**
 * A record's fields as rows to show, in the order of the kind's definition:
 * [{ name, label, value, type }]. Enum values read from the record's
 * `field_labels` (the server's words in the request's language), else the
 * definition; units by name; bool stays true/false for the component to word.
 */
export function recordRows(record, kind, orgs, locale) {
  const fields = (record && record.fields) || {}
  const defs = (kind && kind.fields) || []
  const labels = (record && record.field_labels) || {}
  const names = defs.map((f) => f.name).filter((n) => n in fields)
  for (const n of Object.keys(fields)) if (!names.includes(n)) names.push(n)
  return names.map((name) => {
    const def = defs.find((f) => f.name === name)
    const raw = fields[name]
    const type = def ? def.type : typeof raw === 'boolean' ? 'bool' : 'text'
    let value = raw
    if (type === 'enum') {
      const v = def && (def.values || []).find((x) => x.code === raw)
      value = labels[name] || (v ? v.label : String(raw))
    } else if (type === 'org') {
      const o = (orgs || []).find((x) => x.id === raw)
      value = o ? orgName(o, locale) : `#${raw}`
    } else if (type !== 'bool') {
      value = raw === null || raw === undefined ? '' : String(raw)
    }
    return { name, label: def ? def.label : name, value, type }
  })
}

/** The form model to start a new version from: the current version's values. */
export function modelFrom(record, fields) {
  const model = {}
  for (const f of fields || []) {
    const v = record && record.fields ? record.fields[f.name] : undefined
    if (v !== undefined) model[f.name] = v
    else model[f.name] = f.type === 'bool' ? false : f.type === 'text' ? '' : null
  }
  return model
}

// ---------------------------------------------------------------------------
// Joint-case summaries, drawn from the records of the kinds joint_case.yaml
// declares: `task` (agency_id, lead, task, due_on, status) and `asset`
// (measure, description, value_yuan, holder, decided_on). Only current
// versions count.

/** Today's date (YYYY-MM-DD) in the district (UTC+8), for "overdue". */
export function districtToday(now = Date.now()) {
  return new Date(now + 8 * 3600 * 1000).toISOString().slice(0, 10)
}

/** The current tasks, earliest due first, each with `overdue` (open and past its date). */
export function taskList(records, today = districtToday()) {
  const current = (records || []).filter((r) => r.kind === 'task' && !r.superseded)
  return current
    .map((r) => {
      const f = r.fields || {}
      const done = f.status === 'done'
      return { record: r, agency_id: f.agency_id, lead: f.lead, task: f.task, due_on: f.due_on, status: f.status, done, overdue: !done && !!f.due_on && f.due_on < today }
    })
    .sort((a, b) => (a.done - b.done) || String(a.due_on || '').localeCompare(String(b.due_on || '')) || a.record.id - b.record.id)
}

/**
 * The asset ledger: current asset records and the totals by measure (in the
 * definition's order of measures) and overall. Values are whole yuan; sums
 * stay exact up to 2^53.
 */
export function assetLedger(records, measureCodes = []) {
  const items = (records || []).filter((r) => r.kind === 'asset' && !r.superseded)
  const by = new Map(measureCodes.map((c) => [c, { measure: c, count: 0, value: 0 }]))
  let total = 0
  for (const r of items) {
    const f = r.fields || {}
    const v = Number.isFinite(f.value_yuan) ? f.value_yuan : 0
    if (!by.has(f.measure)) by.set(f.measure, { measure: f.measure, count: 0, value: 0 })
    const e = by.get(f.measure)
    e.count++
    e.value += v
    total += v
  }
  return { items, byMeasure: [...by.values()], total, count: items.length }
}

/** Yuan with thousands separators: 1234567 → "1,234,567". */
export function formatYuan(n) {
  return Number.isFinite(n) ? Math.trunc(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',') : ''
}

// ---------------------------------------------------------------------------
// Participants (joint cases): each participating unit's stage track.

/**
 * Each participant with its track drawn from the definition:
 * [{ org, kind, trackLabel, stages: [{code, label, done, current}], since, later }]
 * `later` are the stages it may still move to (forward only).
 */
export function participantTracks(participants, workflow, locale) {
  const tracks = (workflow && workflow.participants && workflow.participants.tracks) || []
  return (participants || []).map((p) => {
    const tr = tracks.find((x) => x.kind === p.kind)
    const stages = tr ? tr.stages.map((s) => ({ code: s.code, label: pickLabel(s.label, locale) || s.code })) : []
    const at = stages.findIndex((s) => s.code === p.stage)
    return {
      org: p.org,
      kind: p.kind,
      trackLabel: tr ? pickLabel(tr.label, locale) : p.kind || '',
      stage: p.stage,
      stageLabel: p.stage_label || (at >= 0 ? stages[at].label : p.stage || ''),
      since: p.since,
      stages: stages.map((s, i) => ({ ...s, done: at >= 0 && i < at, current: i === at })),
      later: at >= 0 ? stages.slice(at + 1) : [],
    }
  })
}

/** Units that may join (active units whose kind has a track and that are not in yet). */
export function joinableUnits(orgs, workflow, participants, locale) {
  const kinds = new Set(((workflow && workflow.participants && workflow.participants.tracks) || []).map((t) => t.kind))
  const inside = new Set((participants || []).map((p) => p.org && p.org.id))
  return (orgs || [])
    .filter((o) => o.is_unit && !o.disabled && kinds.has(o.kind) && !inside.has(o.id))
    .map((o) => ({ value: o.id, label: orgName(o, locale) }))
}
