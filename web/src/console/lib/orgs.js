// The org tree (GET /api/v1/orgs gives a flat list with parent_id).

import { orgName } from './format.js'

/** el-tree data: [{ id, label, org, children }], children in id order. */
export function buildOrgTree(orgs, locale) {
  const byId = new Map()
  for (const o of orgs || []) byId.set(o.id, { id: o.id, label: orgName(o, locale), org: o, children: [] })
  const roots = []
  for (const o of orgs || []) {
    const node = byId.get(o.id)
    const parent = o.parent_id ? byId.get(o.parent_id) : null
    if (parent) parent.children.push(node)
    else roots.push(node)
  }
  return roots
}

/** Options for choosing a unit (an org that handles cases): active units only. */
export function unitOptions(orgs, locale) {
  return (orgs || [])
    .filter((o) => o.is_unit && !o.disabled)
    .map((o) => ({ value: o.id, label: orgName(o, locale) }))
}

/** Every org as an option (places and units), e.g. for a parent. */
export function orgOptions(orgs, locale) {
  return (orgs || []).filter((o) => !o.disabled).map((o) => ({ value: o.id, label: orgName(o, locale) }))
}

/** The org kinds the server accepts (src/core/orgs.c), places first. */
export const ORG_KINDS = [
  'district', 'street', 'community', 'grid',
  'government', 'petition_office', 'political_legal_committee', 'police', 'procuratorate', 'court',
  'justice_bureau', 'discipline_commission', 'mediation_committee', 'department',
]

/** Staff roles (src/core/authz.c). */
export const ROLES = ['intake', 'handler', 'mediator', 'grid_worker', 'supervisor', 'leader', 'admin', 'auditor']
