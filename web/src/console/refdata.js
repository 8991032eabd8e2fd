// Reference data many pages need, fetched once per session: the org list
// (names come in both languages) and the workflow definitions (labels in
// both languages), so switching language needs no new request.
import { defineStore } from 'pinia'
import { api } from '../api.js'

export const useRefData = defineStore('consoleRefData', {
  state: () => ({ orgs: null, workflows: null }),
  actions: {
    async ensureOrgs(force = false) {
      if (!this.orgs || force) this.orgs = (await api.get('/api/v1/orgs')).items
      return this.orgs
    },
    async ensureWorkflows(force = false) {
      if (!this.workflows || force) this.workflows = (await api.get('/api/v1/workflows')).items
      return this.workflows
    },
    workflow(type) {
      return (this.workflows || []).find((w) => w.type === type) || null
    },
    org(id) {
      return (this.orgs || []).find((o) => o.id === id) || null
    },
    reset() {
      this.orgs = null
      this.workflows = null
    },
  },
})
