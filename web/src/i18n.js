// vue-i18n: zh-CN is the default, en the alternative. The choice is kept in
// sessionStorage (a preference, not a secret) and sent to the API as
// Accept-Language so problem titles come back in the same language.
import { createI18n } from 'vue-i18n'
import common from './locales/common.js'
import portal from './portal/locales.js'
import consoleMessages from './console/locales.js'

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
  messages: merge(common, portal, consoleMessages),
})

export function setLocale(lang) {
  if (!LANGS.includes(lang)) return
  i18n.global.locale.value = lang
  if (typeof sessionStorage !== 'undefined') sessionStorage.setItem('pingan.lang', lang)
  if (typeof document !== 'undefined') document.documentElement.lang = lang
}

export const languages = LANGS
