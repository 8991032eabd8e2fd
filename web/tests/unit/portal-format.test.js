// Dates, sizes and limits on the portal (src/portal/lib/format.js), and the
// portal's messages: every key in both languages.
import { describe, it, expect } from 'vitest'
import { createI18n } from 'vue-i18n'
import { formatDate, formatDateTime, formatSize, formatLimit, trackingUrl } from '../../src/portal/lib/format.js'
import portal from '../../src/portal/locales.js'
import common from '../../src/locales/common.js'

const i18n = (locale) =>
  createI18n({
    legacy: false,
    locale,
    messages: { 'zh-CN': { ...common['zh-CN'], ...portal['zh-CN'] }, en: { ...common.en, ...portal.en } },
  }).global

describe('due dates (YYYY-MM-DD, the district date)', () => {
  it('reads the date from the server time, whatever the browser zone', () => {
    expect(formatDate('2026-03-17T23:59:59+08:00')).toBe('2026-03-17')
    // 00:30 in Beijing is still the 17th in UTC: the district's date counts
    expect(formatDate('2026-03-18T00:30:00+08:00')).toBe('2026-03-18')
    expect(formatDate('2026-03-18')).toBe('2026-03-18')
    expect(formatDate(null)).toBe('')
    expect(formatDate('')).toBe('')
    expect(formatDate('tomorrow')).toBe('')
    expect(formatDate(12345)).toBe('')
  })

  it('shows times to the minute', () => {
    expect(formatDateTime('2026-03-02T10:15:42+08:00')).toBe('2026-03-02 10:15')
    expect(formatDateTime('2026-03-02')).toBe('2026-03-02')
    expect(formatDateTime(null)).toBe('')
  })
})

describe('sizes', () => {
  it('in B, KB and MB', () => {
    expect(formatSize(0)).toBe('0 B')
    expect(formatSize(900)).toBe('900 B')
    expect(formatSize(1536)).toBe('1.5 KB')
    expect(formatSize(200 * 1024)).toBe('200 KB')
    expect(formatSize(10 * 1024 * 1024)).toBe('10 MB')
    expect(formatSize(3.25 * 1024 * 1024)).toBe('3.3 MB')
  })
})

describe('limits', () => {
  it('in words, in both languages, with plurals in English', () => {
    const zh = i18n('zh-CN')
    const en = i18n('en')
    expect(formatLimit(zh.t, { amount: 15, unit: 'calendar_days', basis: 'x' })).toBe('15 个自然日')
    expect(formatLimit(zh.t, { amount: 5, unit: 'working_days' })).toBe('5 个工作日')
    expect(formatLimit(en.t, { amount: 15, unit: 'calendar_days' })).toBe('15 calendar days')
    expect(formatLimit(en.t, { amount: 1, unit: 'calendar_days' })).toBe('1 calendar day')
    expect(formatLimit(en.t, { amount: 8, unit: 'working_hours' })).toBe('8 working hours')
    expect(formatLimit(en.t, { amount: 3, unit: 'fortnights' })).toBe('3 (fortnights)')
    expect(formatLimit(en.t, null)).toBe('')
  })
})

describe('tracking link', () => {
  it('is absolute', () => {
    expect(trackingUrl('http://127.0.0.1:8080', '/track/XF-2026-000001?code=H3WC7GDGNK')).toBe('http://127.0.0.1:8080/track/XF-2026-000001?code=H3WC7GDGNK')
  })
})

describe('messages', () => {
  const keys = (o, p = '') => Object.entries(o).flatMap(([k, v]) => (v && typeof v === 'object' ? keys(v, `${p}${k}.`) : [`${p}${k}`]))

  it('has every portal text in Chinese and in English', () => {
    expect(keys(portal.en).sort()).toEqual(keys(portal['zh-CN']).sort())
  })

  it('compiles every message in both languages', () => {
    for (const lang of ['zh-CN', 'en']) {
      const { t } = i18n(lang)
      for (const k of keys(portal[lang])) {
        const out = t(k, { n: 2, max: 3, x: 'x', name: 'n', size: 's', state: 's', date: 'd', limit: 'l', basis: 'b', number: 'N', title: 'T', action: 'A', stage: 's', level: 'l', unit: 'u' })
        expect(out, `${lang} ${k}`).not.toBe(k)
        expect(out, `${lang} ${k}`).not.toMatch(/[{}]/)
      }
    }
  })
})
