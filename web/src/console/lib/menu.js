// The console's left menu by function, and who sees what. Roles come from
// the session (user.roles[].role): intake, handler, mediator, grid_worker,
// supervisor, leader, admin, auditor. The server checks every request
// again; the menu only hides what a user could not use.

/** Roles that work on cases or oversee them: they have an inbox. */
export const CASE_ROLES = ['intake', 'handler', 'mediator', 'grid_worker', 'supervisor', 'leader']

export const MENU = [
  { key: 'inbox', path: '/console/inbox', roles: CASE_ROLES },
  { key: 'supervision', path: '/console/supervision', roles: CASE_ROLES },
  { key: 'intake', path: '/console/intake', roles: ['intake'] },
  { key: 'dashboard', path: '/console/dashboard', roles: CASE_ROLES },
  {
    key: 'admin',
    roles: ['admin'],
    children: [
      { key: 'orgs', path: '/console/admin/orgs', roles: ['admin'] },
      { key: 'users', path: '/console/admin/users', roles: ['admin'] },
      { key: 'workflows', path: '/console/admin/workflows', roles: ['admin'] },
      { key: 'calendars', path: '/console/admin/calendars', roles: ['admin'] },
    ],
  },
  { key: 'audit', path: '/console/audit', roles: ['auditor'] },
  // last, so that no role's first page (homePath) changes
  { key: 'surveys', path: '/console/surveys', roles: ['admin', 'leader', 'supervisor', 'auditor'] },
]

/** Distinct role names of a session user. */
export function userRoles(user) {
  return [...new Set(((user && user.roles) || []).map((r) => r.role))]
}

export function hasAnyRole(roles, needed) {
  if (!needed || !needed.length) return true
  return needed.some((r) => roles.includes(r))
}

/** The menu entries (and sub-entries) these roles may use. */
export function visibleMenu(roles) {
  const out = []
  for (const item of MENU) {
    if (!hasAnyRole(roles, item.roles)) continue
    if (item.children) {
      const children = item.children.filter((c) => hasAnyRole(roles, c.roles))
      if (children.length) out.push({ ...item, children })
    } else {
      out.push(item)
    }
  }
  return out
}

/** Where a user lands after login: the first page the menu offers them. */
export function homePath(roles) {
  const first = visibleMenu(roles)[0]
  if (!first) return '/console/home'
  return first.children ? first.children[0].path : first.path
}

/** The menu entry a route belongs to: a case page to the inbox, a survey to the surveys. */
export function activeMenuPath(route) {
  if (route.name === 'console-case') return '/console/inbox'
  if (route.name === 'console-survey') return '/console/surveys'
  return route.path
}
