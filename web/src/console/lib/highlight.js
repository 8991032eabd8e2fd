// Search results carry their title and snippet as HTML from the server:
// every character of the case's text escaped (& < > " '), each match
// wrapped in <mark>…</mark> (docs/search.md). The console never inserts
// that HTML: it splits it into plain-text parts, each marked or not, and
// Vue renders them as text. Anything else that looks like a tag stays text.

const ENTITIES = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" }
const unescape = (s) => s.replace(/&(?:amp|lt|gt|quot|#39);/g, (e) => ENTITIES[e])

/** [{ text, mark }] of a server-highlighted string; '' and null give []. */
export function highlightParts(html) {
  const parts = []
  const s = String(html ?? '')
  const re = /<mark>([\s\S]*?)<\/mark>/g
  let at = 0
  let m
  while ((m = re.exec(s))) {
    if (m.index > at) parts.push({ text: unescape(s.slice(at, m.index)), mark: false })
    if (m[1]) parts.push({ text: unescape(m[1]), mark: true })
    at = re.lastIndex
  }
  if (at < s.length) parts.push({ text: unescape(s.slice(at)), mark: false })
  return parts
}
