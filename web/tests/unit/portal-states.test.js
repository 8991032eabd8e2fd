// Every state of every kind the public sends has its plain-words text on the
// tracking page, in both languages: the states are read from the definitions
// under workflows/ (the files the server runs), so a state added there
// without its text fails here.
import { describe, expect, test } from 'vitest'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import messages from '../../src/portal/locales.js'
import { CASE_TYPES } from '../../src/portal/caseTypes.js'

const WORKFLOWS = join(__dirname, '..', '..', '..', 'workflows')
const definition = (type) => parse(readFileSync(join(WORKFLOWS, `${type}.yaml`), 'utf8'))
const LANGS = ['zh-CN', 'en']

describe('plain-words state texts', () => {
  test('the portal offers exactly the kinds whose definition lets the public submit', () => {
    const publicKinds = ['petition', 'dispute', 'grid_event', 'tip', 'joint_case'].filter((t) => definition(t).register.public)
    expect(Object.keys(CASE_TYPES).sort()).toEqual(publicKinds.sort())
  })

  for (const type of Object.keys(CASE_TYPES)) {
    test(`every ${type} state has a text in zh-CN and en, and no other state does`, () => {
      const def = definition(type)
      expect(def.type).toBe(type)
      const states = Object.keys(def.states)
      expect(states.length).toBeGreaterThan(0)
      for (const lang of LANGS) {
        const texts = messages[lang].portal.states[type]
        expect(texts, `${lang} portal.states.${type}`).toBeTruthy()
        for (const s of states) {
          expect(typeof texts[s], `${lang} portal.states.${type}.${s}`).toBe('string')
          expect(texts[s].trim().length, `${lang} portal.states.${type}.${s}`).toBeGreaterThan(0)
        }
        expect(Object.keys(texts).sort()).toEqual([...states].sort())
      }
    })
  }

  test('a tip text never tells the informant who checks it or what was found', () => {
    // what the informant may know: that the tip is registered, being checked,
    // finished, and that they will be (or were) told the outcome — not the
    // unit it went to, not whether it was substantiated, not where it was transferred.
    const forbidden = {
      'zh-CN': ['属实', '不属实', '单位', '公安', '纪委', '监委', '检察', '被举报'],
      en: ['substantiated', 'unit', 'police', 'prosecutor', 'commission', 'accused'],
    }
    for (const lang of LANGS) {
      for (const [state, text] of Object.entries(messages[lang].portal.states.tip)) {
        for (const word of forbidden[lang]) expect(text.toLowerCase(), `${lang} tip.${state}`).not.toContain(word)
      }
    }
  })
})
