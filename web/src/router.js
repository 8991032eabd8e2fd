// One router: portal routes at /, console routes under /console/.
// Route tables live with their sections (src/portal/routes.js,
// src/console/routes.js); their components are lazy-loaded.
import { createRouter, createWebHistory } from 'vue-router'
import portalRoutes from './portal/routes.js'
import consoleRoutes from './console/routes.js'

export const router = createRouter({
  history: createWebHistory('/'),
  routes: [...portalRoutes, ...consoleRoutes, { path: '/:rest(.*)*', redirect: '/' }],
  scrollBehavior: () => ({ top: 0 }),
})
