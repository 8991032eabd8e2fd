// Element Plus's own texts (date pickers, dialogs, empty lists) in the
// console's language. ElementScope.vue gives them to the components of a
// page; messages and boxes (ElMessage, ElMessageBox) are rendered outside
// any page and read Element Plus's global configuration, which
// followLocale() keeps in step (lib/ui.js calls it).
import { shallowRef, watch } from 'vue'
import zhCn from 'element-plus/es/locale/lang/zh-cn'
import en from 'element-plus/es/locale/lang/en'

/** Element Plus's locale for a console language. */
export function elementLocale(lang) {
  return lang === 'en' ? en : zhCn
}

/** The page-level scope (ElementScope.vue), once loaded; null before. */
export const elementScope = shallowRef(null)
let loading = null

/**
 * Loads ElementScope.vue (a chunk of its own, with Element Plus's shared
 * code): the route guard waits for it before a page that uses Element Plus,
 * in parallel with the session and the page's own chunks. The inbox
 * (meta.plain) does not need it.
 */
export function loadElementScope() {
  if (!loading) {
    loading = import('../components/ElementScope.vue').then((m) => {
      elementScope.value = m.default
    })
    loading.catch(() => {
      loading = null // tried again on the next navigation
    })
  }
  return loading
}

/** Keeps Element Plus's global configuration (`config`, a ref) in the i18n locale. */
export function followLocale(config, locale) {
  watch(
    locale,
    (lang) => {
      config.value = { ...(config.value || {}), locale: elementLocale(lang) }
    },
    { immediate: true },
  )
}
