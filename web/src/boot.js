// The first module the entry evaluates (main.js imports it first): on a cold
// load of a console page it starts, before the rest of the application is
// evaluated, what that page waits for — the session check (GET
// /api/v1/session), the console's frame and messages, and the inbox (the
// page most staff land on). The route guard later takes the session answer
// (session.js) and asks for the same chunks, which are then loaded or in
// flight. The portal's pages start nothing here.
//
// Kept free of imports: nothing else is evaluated before it.

/** sessionStorage key of the chosen language (i18n.js). */
export const LANG_KEY = 'pingan.lang'

let session = null

const path = typeof location !== 'undefined' ? location.pathname : ''
if (/^\/console(\/|$)/.test(path) && !/^\/console\/login\/?$/.test(path)) {
  const saved = typeof sessionStorage !== 'undefined' ? sessionStorage.getItem(LANG_KEY) : null
  session = fetch('/api/v1/session', {
    headers: { Accept: 'application/json', 'Accept-Language': saved === 'en' ? 'en' : 'zh-CN' },
    credentials: 'same-origin',
  })
  session.catch(() => {}) // session.js reports what went wrong when it reads the answer
  import('./console/views/Layout.vue').catch(() => {})
  import('./console/locales.js').catch(() => {})
  if (/^\/console(\/|\/inbox\/?)?$/.test(path)) import('./console/views/Inbox.vue').catch(() => {})
}

/** The session request started at boot (a Response promise; once), or null. */
export function takeEarlySession() {
  const s = session
  session = null
  return s
}
