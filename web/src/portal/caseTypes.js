// The kinds of case the public can send from the portal. The submit page
// (/submit/:type) and the tracking page are the same for every kind: a kind
// is one entry here, plus its messages in locales.js under portal.types.<type>
// (submitTitle, submitLead; optionally receiptTitle, categoryLegend, and for
// a kind that may always go anonymously privacyTitle/privacyText1-3,
// anonymousLabel, anonymousHint) and portal.states.<type>.<state> (the
// state in plain words; without them the server's state label is shown).
// Categories (one or two levels), whether the sender may stay anonymous
// (`anonymous`), whether a place is asked (`location`: none, optional,
// required), states and time limits come from the server's definition
// (GET /api/public/workflows/<type>).
//
//   accusedUnit:        an accusation category may name the unit it accuses
//                       (from GET /api/public/units); such a category may
//                       also be sent anonymously.
//   anonymousByDefault: the "stay anonymous" box starts ticked (tips).
export const CASE_TYPES = {
  petition: { accusedUnit: true },
  grid_event: {},
  tip: { accusedUnit: true, anonymousByDefault: true },
}

export const DEFAULT_TYPE = 'petition'

// The kinds the home page offers besides the default one, in this order.
export const OTHER_TYPES = Object.keys(CASE_TYPES).filter((t) => t !== DEFAULT_TYPE)

export function caseType(type) {
  return Object.prototype.hasOwnProperty.call(CASE_TYPES, type) ? CASE_TYPES[type] : null
}
