// Reading a case's timeline events (GET /api/v1/cases/{id}/events) for
// display. A transition event keeps the fields that were filled in
// (data.fields) by their names and codes; the workflow definition gives
// their labels, the org list the names of units.

import { orgName, pickLabel } from './format.js'

/** The transition definition of an event's action, or null. */
export function eventTransition(ev, workflow) {
  if (!ev || !ev.action || !workflow) return null
  return (workflow.transitions || []).find((t) => t.name === ev.action) || null
}

/**
 * The fields of a transition event as rows to show:
 * [{ name, label, value, type }] — value already a display string, except
 * bool (true/false) which the component words itself.
 */
export function eventFieldRows(ev, workflow, orgs, locale) {
  const fields = ev && ev.data && ev.data.fields
  if (!fields || typeof fields !== 'object' || Array.isArray(fields)) return []
  const tr = eventTransition(ev, workflow)
  const rows = []
  for (const [name, raw] of Object.entries(fields)) {
    const def = tr ? (tr.fields || []).find((f) => f.name === name) : null
    const type = def ? def.type : typeof raw === 'boolean' ? 'bool' : 'text'
    let value = raw
    if (type === 'enum' && def) {
      const v = (def.values || []).find((x) => x.code === raw)
      value = v ? pickLabel(v.label, locale) : String(raw)
    } else if (type === 'org') {
      const o = (orgs || []).find((x) => x.id === raw)
      value = o ? orgName(o, locale) : `#${raw}`
    } else if (type !== 'bool') {
      value = raw === null || raw === undefined ? '' : String(raw)
    }
    rows.push({ name, label: def ? pickLabel(def.label, locale) || name : name, value, type })
  }
  return rows
}

/** Ids: the last event id loaded (for ?after=). */
export function lastEventId(events) {
  return events && events.length ? events[events.length - 1].id : 0
}

/** Adds a page of events to a list, skipping any already there (by id). */
export function mergeEvents(events, page) {
  const seen = new Set(events.map((e) => e.id))
  return events.concat((page || []).filter((e) => !seen.has(e.id)))
}

/**
 * Every kind of timeline event the server writes (src/core: cases.c,
 * docgen.c, links.c, supervision.c, reminders.c, records.c); each has its words under
 * console.event.kinds in both languages.
 */
export const EVENT_KINDS = [
  'created', 'transition', 'notice', 'document', 'comment', 'attachment', 'rating', 'overdue',
  'link', 'merge', 'supervision_issued', 'supervision_replied', 'supervision_closed', 'supervision_overdue',
  'reminder', 'escalation', 'record', 'approval_requested', 'approval_approved', 'approval_declined',
  'participant_added', 'participant_stage', 'participant_overdue',
]

/** The words for an event kind; a kind this console does not know yet is "other record". */
export function eventKindLabel(kind, t, te) {
  return te(`console.event.kinds.${kind}`) ? t(`console.event.kinds.${kind}`) : t('console.event.otherKind')
}
