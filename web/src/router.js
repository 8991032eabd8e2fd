// One router: portal routes at /, console routes under /console/.
// Route tables live with their sections (src/portal/routes.js,
// src/console/routes.js); their components are lazy-loaded.
import { START_LOCATION, createRouter, createWebHistory } from 'vue-router'
import portalRoutes from './portal/routes.js'
import consoleRoutes from './console/routes.js'

export const router = createRouter({
  history: createWebHistory('/'),
  routes: [...portalRoutes, ...consoleRoutes, { path: '/:rest(.*)*', redirect: '/' }],
  // A new page starts at the top. Not on the first load: the browser is
  // already there, and scrolling then would force a layout in the middle of
  // the first render (it was most of the console's first long task).
  scrollBehavior: (to, from) => (from === START_LOCATION ? false : { top: 0 }),
})
