// Whether the console is on a phone-width screen (grid workers in the
// field): the left menu becomes a drawer, dialogs go full screen.
import { ref } from 'vue'

export const PHONE_MAX = 768
const query = typeof window !== 'undefined' && window.matchMedia ? window.matchMedia(`(max-width: ${PHONE_MAX}px)`) : null

/** Reactive: true at phone width. Shared by every component. */
export const isPhone = ref(query ? query.matches : false)
if (query) {
  const update = (e) => (isPhone.value = e.matches)
  if (query.addEventListener) query.addEventListener('change', update)
  else if (query.addListener) query.addListener(update)
}
