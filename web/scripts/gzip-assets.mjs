// Writes a .gz beside every built JS/CSS/HTML/SVG file so `pingan serve`
// can send precompressed assets (Content-Encoding: gzip) without compressing
// on each request.
import { readdirSync, readFileSync, writeFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) walk(p)
    else if (/\.(js|mjs|css|html|svg|json)$/.test(name)) writeFileSync(p + '.gz', gzipSync(readFileSync(p), { level: 9 }))
  }
}
walk(new URL('../dist', import.meta.url).pathname)
