// A path with its query string: parameters that are undefined, null or ''
// are left out. Without imports: boot.js uses it before the app is
// evaluated, api.js for every request, so both build the same URL.
export function withQuery(path, query) {
  if (!query) return path
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') q.set(k, v)
  const s = q.toString()
  return s ? path + (path.includes('?') ? '&' : '?') + s : path
}
