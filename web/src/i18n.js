// vue-i18n: zh-CN is the default, en the alternative. The choice is kept in
// sessionStorage (a preference, not a secret) and sent to the API as
// Accept-Language so problem titles come back in the same language.
import { toRaw } from 'vue'
import { createI18n } from 'vue-i18n'
//
// The console's messages are loaded with the console (loadConsoleMessages, from
// its route guard), so the portal's first load does not carry them.
import common from './locales/common.js'
import portal from './portal/locales.js'
import { LANG_KEY } from './boot.js'

const LANGS = ['zh-CN', 'en']

function merge(...parts) {
  const out = {}
  for (const lang of LANGS) out[lang] = Object.assign({}, ...parts.map((p) => p[lang] || {}))
  return out
}

function initialLocale() {
  const saved = typeof sessionStorage !== 'undefined' ? sessionStorage.getItem(LANG_KEY) : null
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
  if (typeof sessionStorage !== 'undefined') sessionStorage.setItem(LANG_KEY, lang)
  if (typeof document !== 'undefined') document.documentElement.lang = lang
}

export const languages = LANGS

let consoleLoaded = null

/** Adds the console's messages (once; a chunk of their own). */
export function loadConsoleMessages() {
  if (!consoleLoaded) {
    consoleLoaded = import('./console/locales.js').then((m) => {
      // The console's messages are one top-level key ('console') that no other
      // file uses: a shallow merge, set at once. (mergeLocaleMessage copies
      // them key by key into the reactive store: tens of ms on a slow CPU.)
      for (const lang of LANGS) {
        i18n.global.setLocaleMessage(lang, { ...toRaw(i18n.global.getLocaleMessage(lang)), ...(m.default[lang] || {}) })
      }
    })
    consoleLoaded.catch(() => {
      consoleLoaded = null // a failed chunk load is tried again on the next navigation
    })
  }
  return consoleLoaded
}
