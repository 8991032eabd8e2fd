// Console routes (owned by the console). Placeholder until the console lands.
export default [{ path: '/console/:rest(.*)*', component: () => import('./Placeholder.vue') }]
