// vue-i18n: zh-CN is the default, en the alternative. The choice is kept in
// sessionStorage (a preference, not a secret) and sent to the API as
// Accept-Language so problem titles come back in the same language.
import { createI18n } from 'vue-i18n'
//
// The console's messages are loaded with the console (loadConsoleMessages, from
// its route guard), so the portal's first load does not carry them.
import common from './locales/common.js'
import portal from './portal/locales.js'

const LANGS = ['zh-CN', 'en']

function merge(...parts) {
  const out = {}
  for (const lang of LANGS) out[lang] = Object.assign({}, ...parts.map((p) => p[lang] || {}))
  return out
}

function initialLocale() {
  const saved = typeof sessionStorage !== 'undefined' ? sessionStorage.getItem('pingan.lang') : null
  if (LANGS.includes(saved)) return saved
  return 'zh-CN'
}

export const i18n = createI18n({
  legacy: false,
  locale: initialLocale(),
  fallbackLocale: 'zh-CN',
  messages: merge(common, portal),
})

export function setLocale(lang) {
  if (!LANGS.includes(lang)) return
  i18n.global.locale.value = lang
  if (typeof sessionStorage !== 'undefined') sessionStorage.setItem('pingan.lang', lang)
  if (typeof document !== 'undefined') document.documentElement.lang = lang
}

export const languages = LANGS

let consoleLoaded = null

/** Adds the console's messages (once; a chunk of their own). */
export function loadConsoleMessages() {
  if (!consoleLoaded) {
    consoleLoaded = import('./console/locales.js').then((m) => {
      for (const lang of LANGS) i18n.global.mergeLocaleMessage(lang, m.default[lang] || {})
    })
    consoleLoaded.catch(() => {
      consoleLoaded = null // a failed chunk load is tried again on the next navigation
    })
  }
  return consoleLoaded
}
