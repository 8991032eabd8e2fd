// The one HTTP client of the web application.
//
// - Same-origin fetch with the session cookie (HttpOnly: scripts never see it).
// - The CSRF token from POST /api/v1/session is kept in memory only (never in
//   localStorage or sessionStorage) and sent as X-CSRF-Token on writes; after
//   a reload the console gets it again from GET /api/v1/session.
// - Errors are application/problem+json: they become ApiError with status,
//   type (slug), title (localized by the server), detail and field.
import { i18n } from './i18n.js'
import { withQuery } from './url.js'

let csrfToken = null

export function setCsrfToken(token) {
  csrfToken = token || null
}

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.title || problem.detail)) || `HTTP ${status}`)
    this.status = status
    this.type = problem && problem.type ? String(problem.type).replace('urn:pingan:problem:', '') : ''
    this.title = problem && problem.title
    this.detail = problem && problem.detail
    this.field = problem && problem.field
    this.retryAfter = problem && problem.retryAfter
  }
}

export async function request(method, path, { body, query, form, headers = {} } = {}) {
  const url = withQuery(path, query)
  const h = { Accept: 'application/json', 'Accept-Language': i18n.global.locale.value, ...headers }
  let payload
  if (form) {
    payload = form // FormData: the browser sets the multipart boundary
  } else if (body !== undefined) {
    h['Content-Type'] = 'application/json'
    payload = JSON.stringify(body)
  }
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) h['X-CSRF-Token'] = csrfToken
  return readResponse(fetch(url, { method, headers: h, body: payload, credentials: 'same-origin' }))
}

/**
 * The data of a fetch's answer (a Response promise): JSON or a Blob, null for
 * 204; an ApiError for a problem, ApiError(0) when the network failed.
 */
export async function readResponse(pending) {
  let res
  try {
    res = await pending
  } catch (e) {
    throw new ApiError(0, { title: i18n.global.t('error.network') })
  }
  if (res.status === 204) return null
  const type = res.headers.get('Content-Type') || ''
  const data = type.includes('json') ? await res.json().catch(() => null) : await res.blob()
  if (!res.ok) {
    const problem = data && typeof data === 'object' && !(data instanceof Blob) ? data : { title: `HTTP ${res.status}` }
    problem.retryAfter = Number(res.headers.get('Retry-After')) || undefined
    throw new ApiError(res.status, problem)
  }
  return data
}

export const api = {
  get: (path, query) => request('GET', path, { query }),
  post: (path, body) => request('POST', path, { body }),
  patch: (path, body) => request('PATCH', path, { body }),
  del: (path) => request('DELETE', path),
  upload: (path, form) => request('POST', path, { form }),
}
