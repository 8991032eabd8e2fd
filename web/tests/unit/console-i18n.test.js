// Every console message used in the code exists in zh-CN and en, and the
// two languages have the same keys.
import { describe, expect, test } from 'vitest'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import messages from '../../src/console/locales.js'
import common from '../../src/locales/common.js'

const ROOT = join(__dirname, '..', '..', 'src', 'console')

function files(dir) {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n)
    return statSync(p).isDirectory() ? files(p) : /\.(vue|js)$/.test(n) && n !== 'locales.js' ? [p] : []
  })
}

function flatten(obj, prefix = '') {
  return Object.entries(obj).flatMap(([k, v]) => (v && typeof v === 'object' ? flatten(v, `${prefix}${k}.`) : [`${prefix}${k}`]))
}

const has = (lang, key) => {
  let o = { ...common[lang], ...messages[lang] }
  for (const part of key.split('.')) {
    if (!o || typeof o !== 'object' || !(part in o)) return false
    o = o[part]
  }
  return typeof o === 'string'
}

describe('console messages', () => {
  test('zh-CN and en have the same keys', () => {
    expect(flatten(messages.en).sort()).toEqual(flatten(messages['zh-CN']).sort())
  })

  test('every literal key used in the code exists in both languages', () => {
    const used = new Set()
    for (const f of files(ROOT)) {
      const src = readFileSync(f, 'utf8')
      for (const m of src.matchAll(/\bt\(\s*'((?:console|app|lang|error)\.[A-Za-z0-9_.]+)'/g)) used.add(m[1])
      for (const m of src.matchAll(/(?:title|crumbs):\s*(?:\[)?'(console\.[A-Za-z0-9_.]+)'/g)) used.add(m[1])
    }
    expect(used.size).toBeGreaterThan(100)
    const missing = []
    for (const key of used) for (const lang of ['zh-CN', 'en']) if (!has(lang, key)) missing.push(`${lang}: ${key}`)
    expect(missing).toEqual([])
  })

  test('keys built at run time have every variant', () => {
    const variants = {
      'console.menu': ['inbox', 'intake', 'dashboard', 'admin', 'orgs', 'users', 'workflows', 'calendars', 'audit', 'home'],
      'console.roles': ['intake', 'handler', 'mediator', 'grid_worker', 'supervisor', 'leader', 'admin', 'auditor'],
      'console.due': ['overdue', 'due_soon'],
      'console.units': ['calendar_days', 'working_days', 'working_hours'],
      'console.channels': ['visit', 'letter', 'phone'],
      'console.workflows.from': ['case', 'state'],
      'console.event.kinds': ['created', 'transition', 'notice', 'comment', 'attachment', 'rating', 'overdue'],
      'console.orgKinds': ['district', 'street', 'community', 'grid', 'government', 'petition_office', 'political_legal_committee',
        'police', 'procuratorate', 'court', 'justice_bureau', 'discipline_commission', 'mediation_committee', 'department'],
    }
    const missing = []
    for (const [base, names] of Object.entries(variants))
      for (const n of names) for (const lang of ['zh-CN', 'en']) if (!has(lang, `${base}.${n}`)) missing.push(`${lang}: ${base}.${n}`)
    expect(missing).toEqual([])
  })

  test('no message uses vue-i18n syntax characters by accident', () => {
    for (const lang of ['zh-CN', 'en'])
      for (const key of flatten(messages[lang])) {
        const v = key.split('.').reduce((o, k) => o[k], messages[lang])
        expect(v, `${lang} ${key}`).not.toMatch(/[@$|]/)
      }
  })
})
