// The production build precompiles the message files (vite.config.js,
// MESSAGE_FILES) and ships vue-i18n without its message compiler, so a
// message kept anywhere else would not be shown. Every file under src/ that
// holds messages in both languages must be one of the precompiled files.
import { describe, expect, test } from 'vitest'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { MESSAGE_FILES } from '../../vite.config.js'

const SRC = join(__dirname, '..', '..', 'src')

function files(dir) {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n)
    return statSync(p).isDirectory() ? files(p) : /\.(js|vue)$/.test(n) ? [p] : []
  })
}

// the three patterns of MESSAGE_FILES, as a test of a path relative to src/
function precompiled(rel) {
  const parts = rel.split(sep)
  const name = parts[parts.length - 1]
  return (parts.length === 2 && parts[0] === 'locales' && name.endsWith('.js')) || name === 'locales.js' || name === 'messages.js'
}

describe('message files', () => {
  test('the patterns are the ones this test knows', () => {
    expect(MESSAGE_FILES).toEqual(['locales/*.js', '**/locales.js', '**/messages.js'])
  })

  test('every file holding zh-CN and en messages is precompiled by the build', () => {
    const holders = files(SRC)
      .filter((f) => /^\s*'zh-CN':\s*\{/m.test(readFileSync(f, 'utf8')) && /^\s*en:\s*\{/m.test(readFileSync(f, 'utf8')))
      .map((f) => relative(SRC, f))
    expect(holders.length).toBeGreaterThanOrEqual(3)
    expect(holders.filter((f) => !precompiled(f))).toEqual([])
  })
})
