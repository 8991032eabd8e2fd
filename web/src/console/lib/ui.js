// Element Plus's message functions (not components, so the on-demand
// resolver does not see them: their styles are imported here) and the
// console's one way of reporting an API error.
import { ElMessage, ElMessageBox, useGlobalConfig } from 'element-plus'
import 'element-plus/es/components/message/style/css'
import 'element-plus/es/components/message-box/style/css'
import { i18n } from '../../i18n.js'
import { router } from '../../router.js'
import { useSession } from '../session.js'
import { problemMessage } from './problems.js'
import { followLocale } from './elementLocale.js'

export { ElMessage, ElMessageBox }

const t = (...a) => i18n.global.t(...a)

// Messages and boxes are rendered outside the pages: their texts (the close
// button's label) follow Element Plus's global configuration.
followLocale(useGlobalConfig(), () => i18n.global.locale.value)

/**
 * Shows an API error. A 401 means the session ended: back to the login
 * page, returning here afterwards.
 */
export function showError(err) {
  if (err && err.status === 401) {
    useSession().clear()
    const here = router.currentRoute.value
    if (here.name !== 'console-login')
      router.replace({ name: 'console-login', query: { redirect: here.fullPath, expired: '1' } })
    return
  }
  const msg = err && err.status === 0 ? t('error.network') : problemMessage(err) || t('error.unknown')
  const title = err && err.title && err.title !== msg ? `${err.title}: ` : ''
  ElMessage({ type: 'error', message: title + msg, showClose: true, duration: 6000 })
}

export function showSuccess(message) {
  ElMessage({ type: 'success', message })
}

/** A confirmation; resolves true when confirmed. */
export async function confirmBox(message, title, opts = {}) {
  try {
    await ElMessageBox.confirm(message, title, {
      confirmButtonText: t('console.common.confirm'),
      cancelButtonText: t('console.common.cancel'),
      type: 'warning',
      ...opts,
    })
    return true
  } catch {
    return false
  }
}
