// The kinds of case the public can send from the portal. The submit page
// (/submit/:type) and the tracking page are the same for every kind: a kind
// is one entry here, plus its messages in locales.js under portal.types.<type>
// (submitTitle, submitLead) and portal.states.<type>.<state> (the
// state in plain words; without them the server's state label is shown).
// Categories, states and time limits come from the server's definition
// (GET /api/public/workflows/<type>).
//
//   accusedUnit: an accusation category may name the unit it accuses (from
//                GET /api/public/units); such a category may also be sent
//                anonymously (the server allows no contact only there).
//
// Grid events and tips will be added here when the server has them.
export const CASE_TYPES = {
  petition: { accusedUnit: true },
}

export const DEFAULT_TYPE = 'petition'

export function caseType(type) {
  return Object.prototype.hasOwnProperty.call(CASE_TYPES, type) ? CASE_TYPES[type] : null
}
