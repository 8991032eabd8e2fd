// Portal routes (owned by the portal). Placeholder until the portal lands.
export default [{ path: '/', component: () => import('./Home.vue') }]
