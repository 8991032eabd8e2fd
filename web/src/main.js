// Entry point of the one Vue application: the public portal (/) and the
// staff console (/console/). Each section's pages are lazy-loaded chunks, so
// the portal's first load carries no console code.
import './boot.js' // first: starts a console page's first requests (see boot.js)
import { createApp } from 'vue'
import { createPinia } from 'pinia'
import App from './App.vue'
import { router } from './router.js'
import { i18n } from './i18n.js'
import './style.css'

createApp(App).use(createPinia()).use(router).use(i18n).mount('#app')
