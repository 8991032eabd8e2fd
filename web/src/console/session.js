// The console's session: who is logged in, with which roles.
//
// The session cookie is HttpOnly (scripts never see it); the CSRF token
// goes to api.js (memory only: never localStorage or sessionStorage). After
// a reload GET /api/v1/session gives both the user and the token again.
import { defineStore } from 'pinia'
import { api, readResponse, setCsrfToken } from '../api.js'
import { forgetEarly, takeEarlySession } from '../boot.js'
import { userRoles } from './lib/menu.js'

export const useSession = defineStore('consoleSession', {
  state: () => ({ user: null, checked: false }),
  getters: {
    loggedIn: (s) => !!s.user,
    roles: (s) => userRoles(s.user),
    /** The user's units, one entry per org (with the roles held there). */
    units: (s) => {
      const m = new Map()
      for (const r of (s.user && s.user.roles) || []) {
        const e = m.get(r.org_id) || { id: r.org_id, name: (r.org && r.org.name) || String(r.org_id), roles: [] }
        e.roles.push(r.role)
        m.set(r.org_id, e)
      }
      return [...m.values()]
    },
  },
  actions: {
    /** Asks the server once whether a session exists (reload, first visit). */
    async restore(force = false) {
      if (this.checked && !force) return
      try {
        // on a cold load the request was started by boot.js, before the app
        const early = force ? null : takeEarlySession()
        const d = await (early ? readResponse(early) : api.get('/api/v1/session'))
        this.user = d.user
        setCsrfToken(d.csrf_token)
        this.checked = true
      } catch (e) {
        if (e.status === 401) {
          this.clear() // nobody is logged in (or the session ended)
        } else if (!force) {
          // the first check failed (network): ask again on the next navigation
          this.user = null
          setCsrfToken(null)
          this.checked = false
        }
        // a refresh that failed for another reason keeps what we have
      }
    },
    async login(username, password) {
      const d = await api.post('/api/v1/session', { username, password })
      setCsrfToken(d.csrf_token)
      this.user = d.user
      this.checked = true
    },
    async logout() {
      try {
        await api.del('/api/v1/session')
      } catch {
        // already gone on the server: forget it here all the same
      }
      this.clear()
    },
    /** Forgets the session locally (logout, or the server answered 401). */
    clear() {
      forgetEarly() // an early inbox request of a cold load was anonymous
      setCsrfToken(null)
      this.user = null
      this.checked = true
    },
    hasRole(role) {
      return this.roles.includes(role)
    },
  },
})
