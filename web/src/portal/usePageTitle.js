// Sets document.title to "<page> · <site>" in the current language.
import { watchEffect } from 'vue'
import { useI18n } from 'vue-i18n'

export function usePageTitle(getTitle) {
  const { t } = useI18n()
  watchEffect(() => {
    const page = getTitle()
    document.title = page ? `${page} · ${t('portal.siteName')}` : t('portal.siteName')
  })
}
