// The console's session store (src/console/session.js) and route guard
// (src/console/routes.js): the CSRF token lives in memory only, a reload
// restores it from GET /api/v1/session, anonymous users go to login and
// users go where their roles allow.
import { afterEach, beforeAll, beforeEach, describe, expect, test, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { api } from '../../src/api.js'
import { useSession } from '../../src/console/session.js'
import { consoleGuard } from '../../src/console/routes.js'
import { loadConsoleMessages } from '../../src/i18n.js'
import { loadElementScope } from '../../src/console/lib/elementLocale.js'

const USER = {
  id: 3, username: 'xfj', display_name: '李信访',
  roles: [{ org_id: 3, role: 'handler', org: { id: 3, name: '平安区信访局', kind: 'petition_office' } }],
}
const json = (status, body) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': status >= 400 ? 'application/problem+json' : 'application/json' } })

let fetchMock
beforeEach(() => {
  setActivePinia(createPinia())
  fetchMock = vi.fn()
  vi.stubGlobal('fetch', fetchMock)
  localStorage.clear()
  sessionStorage.clear()
})
afterEach(() => vi.unstubAllGlobals())

const lastHeaders = () => fetchMock.mock.calls.at(-1)[1].headers

describe('session', () => {
  test('login keeps the CSRF token in memory and sends it on writes only', async () => {
    fetchMock.mockResolvedValueOnce(json(200, { user: USER, csrf_token: 'abc123', expires_at: '2026-12-01T00:00:00+08:00' }))
    const s = useSession()
    await s.login('xfj', 'Demo-Pass-2026')
    expect(s.loggedIn).toBe(true)
    expect(s.roles).toEqual(['handler'])
    expect(s.units).toEqual([{ id: 3, name: '平安区信访局', roles: ['handler'] }])

    fetchMock.mockResolvedValueOnce(json(201, { id: 1 }))
    await api.post('/api/v1/cases/1/comments', { text: 'x' })
    expect(lastHeaders()['X-CSRF-Token']).toBe('abc123')
    fetchMock.mockResolvedValueOnce(json(200, { items: [] }))
    await api.get('/api/v1/cases')
    expect(lastHeaders()['X-CSRF-Token']).toBeUndefined()

    // nothing about the session in web storage
    const stored = JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage })
    expect(stored).not.toContain('abc123')
    expect(localStorage.length).toBe(0)
  })

  test('a reload restores user and token from GET /api/v1/session, once', async () => {
    fetchMock.mockResolvedValueOnce(json(200, { user: USER, csrf_token: 'tok2' }))
    const s = useSession()
    await s.restore()
    await s.restore() // checked already: no second request
    expect(fetchMock).toHaveBeenCalledTimes(1)
    expect(s.user.username).toBe('xfj')
    fetchMock.mockResolvedValueOnce(new Response(null, { status: 204 }))
    await api.del('/api/v1/session')
    expect(lastHeaders()['X-CSRF-Token']).toBe('tok2')
  })

  test('401 means anonymous; logout forgets the token', async () => {
    fetchMock.mockResolvedValueOnce(json(401, { type: 'urn:pingan:problem:unauthenticated', title: '需要登录', status: 401 }))
    const s = useSession()
    await s.restore()
    expect(s.loggedIn).toBe(false)
    expect(s.checked).toBe(true)

    fetchMock.mockResolvedValueOnce(json(200, { user: USER, csrf_token: 'tok3' }))
    await s.login('xfj', 'pw')
    fetchMock.mockResolvedValueOnce(new Response(null, { status: 204 }))
    await s.logout()
    expect(s.loggedIn).toBe(false)
    fetchMock.mockResolvedValueOnce(json(401, { title: 'x' }))
    await api.post('/api/v1/session', { username: 'a', password: 'b' }).catch(() => {})
    expect(lastHeaders()['X-CSRF-Token']).toBeUndefined()
  })

  test('a network failure on the first check asks again next time', async () => {
    fetchMock.mockRejectedValueOnce(new TypeError('offline'))
    const s = useSession()
    await s.restore()
    expect(s.checked).toBe(false)
    fetchMock.mockResolvedValueOnce(json(200, { user: USER, csrf_token: 't' }))
    await s.restore()
    expect(s.loggedIn).toBe(true)
  })
})

describe('route guard', () => {
  // the guard waits for the console's messages and Element Plus's scope: load
  // them once here (a first import of Element Plus takes seconds in the test
  // environment), not inside each test's time
  beforeAll(() => Promise.all([loadConsoleMessages(), loadElementScope()]), 60000)

  const route = (path, meta = {}, name) => ({ path, fullPath: path, meta, name })

  test('anonymous users go to login, with the page to come back to', async () => {
    fetchMock.mockResolvedValueOnce(json(401, { title: 'x' }))
    expect(await consoleGuard(route('/console/inbox', { roles: ['handler'] }))).toEqual({
      name: 'console-login', query: { redirect: '/console/inbox' },
    })
  })

  test('a page the roles do not allow sends to the user\'s home', async () => {
    fetchMock.mockResolvedValueOnce(json(200, { user: USER, csrf_token: 't' }))
    expect(await consoleGuard(route('/console/audit', { roles: ['auditor'] }))).toBe('/console/inbox')
    expect(await consoleGuard(route('/console/inbox', { roles: ['handler', 'supervisor'] }))).toBe(true)
    // logged in users skip the login page
    expect(await consoleGuard(route('/console/login', { public: true }, 'console-login'))).toBe('/console/inbox')
  })
})
