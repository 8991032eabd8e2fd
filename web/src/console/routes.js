// Console routes, all under /console/. Pages are lazy-loaded chunks; only
// this table, the session store and the guard are in the main bundle.
//
// meta.roles: who may open the page (any of them); meta.public: no login
// needed; meta.title / meta.crumbs: i18n keys for the tab title and the
// breadcrumbs; meta.plain: the page uses no Element Plus component (the
// inbox), so it is shown without waiting for Element Plus's configuration
// (lib/elementLocale.js). The guard runs on every console page (beforeEnter on each
// leaf, since a parent's beforeEnter does not run between its children).
import { useSession } from './session.js'
import { CASE_ROLES, hasAnyRole, homePath } from './lib/menu.js'
import { loadConsoleMessages } from '../i18n.js'
import { prefetchInbox } from './lib/inboxQuery.js'
import { loadElementScope } from './lib/elementLocale.js'

/** Starts loading the lazy components of a route (the router would only after the guards). */
function preload(to) {
  for (const r of to.matched || []) {
    const c = r.components && r.components.default
    if (typeof c === 'function') c().catch(() => {})
  }
}

export async function consoleGuard(to) {
  const session = useSession()
  // the page's chunks and the console's messages load while the session is asked
  preload(to)
  // a page's first data (meta.prefetch) is asked for as soon as the session is known
  const restored = session.restore().then(() => {
    if (to.meta.prefetch && session.loggedIn && hasAnyRole(session.roles, to.meta.roles)) to.meta.prefetch(session.user)
  })
  await Promise.all([restored, loadConsoleMessages(), to.meta.plain ? null : loadElementScope()])
  if (to.meta.public) {
    if (session.loggedIn && to.name === 'console-login') return homePath(session.roles)
    return true
  }
  if (!session.loggedIn) return { name: 'console-login', query: { redirect: to.fullPath } }
  if (!hasAnyRole(session.roles, to.meta.roles)) {
    const home = homePath(session.roles)
    return to.path === home ? true : home
  }
  return true
}

const Layout = () => import('./views/Layout.vue')

const page = (path, name, component, meta) => ({ path, name, component, meta, beforeEnter: consoleGuard })

export default [
  page('/console/login', 'console-login', () => import('./views/Login.vue'), { public: true, title: 'console.login.title' }),
  {
    path: '/console',
    component: Layout,
    children: [
      {
        path: '',
        name: 'console-root',
        component: () => import('./views/Home.vue'),
        beforeEnter: async (to) => {
          const session = useSession()
          await Promise.all([session.restore(), loadConsoleMessages()])
          if (!session.loggedIn) return { name: 'console-login', query: { redirect: to.fullPath } }
          return homePath(session.roles)
        },
      },
      page('home', 'console-home', () => import('./views/Home.vue'), { title: 'console.menu.home', crumbs: [] }),
      page('inbox', 'console-inbox', () => import('./views/Inbox.vue'), {
        roles: CASE_ROLES, title: 'console.menu.inbox', crumbs: ['console.menu.inbox'], plain: true,
        prefetch: (user) => prefetchInbox(user && user.id),
      }),
      page('supervision', 'console-supervision', () => import('./views/Supervision.vue'), {
        roles: CASE_ROLES, title: 'console.menu.supervision', crumbs: ['console.menu.supervision'],
      }),
      page('cases/:id(\\d+)', 'console-case', () => import('./views/CaseDetail.vue'), {
        roles: CASE_ROLES, title: 'console.case.title', crumbs: ['console.menu.inbox', 'console.case.title'],
      }),
      page('intake', 'console-intake', () => import('./views/Intake.vue'), {
        roles: ['intake'], title: 'console.menu.intake', crumbs: ['console.menu.intake'],
      }),
      page('dashboard', 'console-dashboard', () => import('./views/Dashboard.vue'), {
        roles: CASE_ROLES, title: 'console.menu.dashboard', crumbs: ['console.menu.dashboard'],
      }),
      page('admin/orgs', 'console-orgs', () => import('./views/admin/Orgs.vue'), {
        roles: ['admin'], title: 'console.menu.orgs', crumbs: ['console.menu.admin', 'console.menu.orgs'],
      }),
      page('admin/users', 'console-users', () => import('./views/admin/Users.vue'), {
        roles: ['admin'], title: 'console.menu.users', crumbs: ['console.menu.admin', 'console.menu.users'],
      }),
      page('admin/workflows', 'console-workflows', () => import('./views/admin/Workflows.vue'), {
        roles: ['admin'], title: 'console.menu.workflows', crumbs: ['console.menu.admin', 'console.menu.workflows'],
      }),
      page('admin/calendars', 'console-calendars', () => import('./views/admin/Calendars.vue'), {
        roles: ['admin'], title: 'console.menu.calendars', crumbs: ['console.menu.admin', 'console.menu.calendars'],
      }),
      page('audit', 'console-audit', () => import('./views/Audit.vue'), {
        roles: ['auditor'], title: 'console.menu.audit', crumbs: ['console.menu.audit'],
      }),
      page('surveys', 'console-surveys', () => import('./views/Surveys.vue'), {
        roles: ['admin', 'leader', 'supervisor', 'auditor'], title: 'console.menu.surveys', crumbs: ['console.menu.surveys'],
      }),
      page('surveys/:id(\\d+)', 'console-survey', () => import('./views/SurveyDetail.vue'), {
        roles: ['admin', 'leader', 'supervisor', 'auditor'], title: 'console.surveys.detail', crumbs: ['console.menu.surveys', 'console.surveys.detail'],
      }),
      { path: ':rest(.*)*', redirect: '/console' },
    ],
  },
]
