// The first module the entry evaluates (main.js imports it first): on a cold
// load of a console page it starts, before the rest of the application is
// evaluated, what that page waits for — the session check (GET
// /api/v1/session), the console's frame and messages, and the inbox (the
// page most staff land on). The route guard later takes the session answer
// (session.js) and asks for the same chunks, which are then loaded or in
// flight. The portal's pages start nothing here.
//
// It imports only modules without imports of their own (url.js,
// console/lib/inboxDefaults.js): nothing heavier is evaluated before it.
import { withQuery } from './url.js'
import { defaultFilters, inboxQuery } from './console/lib/inboxDefaults.js'

/** sessionStorage key of the chosen language (i18n.js). */
export const LANG_KEY = 'pingan.lang'

let session = null
let inbox = null // { url, lang, response, at }
const FRESH_MS = 10000

const path = typeof location !== 'undefined' ? location.pathname : ''
if (/^\/console(\/|$)/.test(path) && !/^\/console\/login\/?$/.test(path)) {
  const saved = typeof sessionStorage !== 'undefined' ? sessionStorage.getItem(LANG_KEY) : null
  // the headers api.js sends (the language the app will start in)
  const headers = { Accept: 'application/json', 'Accept-Language': saved === 'en' ? 'en' : 'zh-CN' }
  session = fetch('/api/v1/session', { headers, credentials: 'same-origin' })
  session.catch(() => {}) // session.js reports what went wrong when it reads the answer
  // the messages first: the largest chunk, and the browser has only six
  // connections to the server for all of these
  import('./console/locales.js').catch(() => {})
  import('./console/views/Layout.vue').catch(() => {})
  if (/^\/console(\/|\/inbox\/?)?$/.test(path)) import('./console/views/Inbox.vue').catch(() => {})
  // the inbox's first page too, with the session (a 401 when nobody is logged
  // in is dropped with it: session.js forgetEarly)
  if (/^\/console\/inbox\/?$/.test(path)) {
    const url = withQuery('/api/v1/cases', inboxQuery(defaultFilters(), null))
    inbox = { url, lang: headers['Accept-Language'], response: fetch(url, { headers, credentials: 'same-origin' }), at: Date.now() }
    inbox.response.catch(() => {})
  }
}

/**
 * The inbox's first page asked for at boot (a Response promise; once), when
 * `url` and `lang` are those of the request and the answer is recent; else null.
 */
export function takeEarlyInbox(url, lang) {
  const e = inbox
  inbox = null
  return e && e.url === url && e.lang === lang && Date.now() - e.at < FRESH_MS ? e.response : null
}

/** Forgets the early answers (nobody was logged in, or the user logged out). */
export function forgetEarly() {
  session = null
  inbox = null
}

/** The session request started at boot (a Response promise; once), or null. */
export function takeEarlySession() {
  const s = session
  session = null
  return s
}
