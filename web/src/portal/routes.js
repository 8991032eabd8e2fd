// Portal routes (the public site at /). The frame (header, language switch,
// footer) and the home page are in the first bundle, so a first visit to /
// needs no second round of requests; the other pages are lazy chunks.
import PortalLayout from './components/PortalLayout.vue'
import Home from './pages/Home.vue'
import { DEFAULT_TYPE } from './caseTypes.js'

export default [
  {
    path: '/',
    component: PortalLayout,
    children: [
      { path: '', name: 'portal-home', component: Home },
      { path: 'submit', redirect: `/submit/${DEFAULT_TYPE}` },
      { path: 'submit/:type', name: 'portal-submit', component: () => import('./pages/Submit.vue') },
      { path: 'receipt', name: 'portal-receipt', component: () => import('./pages/Receipt.vue') },
      { path: 'track', name: 'portal-lookup', component: () => import('./pages/Track.vue') },
      { path: 'track/:number', name: 'portal-track', component: () => import('./pages/Track.vue') },
      { path: 'survey/:id', name: 'portal-survey', component: () => import('./pages/SurveyPage.vue') },
    ],
  },
]
