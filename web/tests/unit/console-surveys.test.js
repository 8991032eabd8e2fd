// The survey editor's checks and payload, and the results' formatting
// (src/console/lib/surveys.js).
import { describe, expect, test } from 'vitest'
import {
  defaultDefinition, formatChange, formatRate, formatScore, newQuestion, newScale, placeOptions,
  toDefinitionPayload, trendChartOption, validateDefinition,
} from '../../src/console/lib/surveys.js'

const ready = () => ({ ...defaultDefinition(), series: 'safety-index', title: '2026年第四季度群众安全感调查' })
const keys = (e) => Object.fromEntries(Object.entries(e).map(([k, v]) => [k, v.key]))

describe('survey definition', () => {
  test('the template is valid once named, and sends what docs/surveys.md shows', () => {
    expect(keys(validateDefinition(defaultDefinition()))).toEqual({ series: 'required', title: 'required' })
    const d = ready()
    expect(validateDefinition(d)).toEqual({})
    const p = toDefinitionPayload(d)
    expect(p.access).toBe('token')
    expect(p.places).toBeUndefined()
    expect(p.scales[0].options[4]).toEqual({ code: 'unsure', label: '说不清', label_en: "Can't say", excluded: true })
    expect(p.scales[1].options[0]).toEqual({ code: 'very_satisfied', label: '非常满意', label_en: 'Very satisfied', points: 100, positive: true })
    expect(p.scales[0].options[0].points).toBeUndefined()
    expect(p.questions[0]).toEqual({ id: 'safety', text: '在目前的社会治安环境下，您感觉安全吗？', text_en: 'In your neighbourhood today, do you feel safe?', scale: 'safety', weight: 0.5 })
  })

  test('members are named as the server names them', () => {
    const d = ready()
    d.series = 'Safety Index'
    d.scales[1].options[1].code = 'very_satisfied'
    d.scales[1].options[2].points = ''
    d.scales[1].options[5].positive = true
    d.scales.push(newScale())
    d.questions[1].scale = 'nope'
    d.questions.push({ ...newQuestion('safety'), id: 'safety', weight: -1, index: 'score' })
    expect(keys(validateDefinition(d))).toEqual({
      series: 'id',
      'scales[1].options[1].code': 'duplicate',
      'scales[1].options[2].points': 'allOrNone',
      'scales[1].options[5].positive': 'excludedPositive',
      'scales[2].id': 'required',
      'scales[2].options[0].code': 'required',
      'scales[2].options[0].label': 'required',
      'scales[2].options[1].code': 'required',
      'scales[2].options[1].label': 'required',
      'questions[1].scale': 'unknownScale',
      'questions[2].id': 'duplicate',
      'questions[2].text': 'required',
      'questions[2].weight': 'weight',
      'questions[2].index': 'noPoints',
    })
  })

  test('a scale with every answer excluded, an excluded answer with points, too few answers', () => {
    const d = ready()
    d.scales[0].options = d.scales[0].options.slice(0, 1)
    d.scales[1].options[5].points = 10
    expect(keys(validateDefinition(d))).toEqual({ 'scales[0].options': 'options', 'scales[1].options[5].points': 'excludedPoints' })
    const e = ready()
    e.scales[0].options.forEach((o) => { o.excluded = true; o.positive = false })
    expect(keys(validateDefinition(e))['scales[0].options']).toBe('noValid')
  })

  test('open access sends its places; optional members are left out', () => {
    const d = ready()
    d.access = 'open'
    d.places = ['4', 5]
    d.title_en = '  '
    d.questions[0].required = false
    d.questions[1].weight = ''
    d.questions[1].index = 'rate'
    const p = toDefinitionPayload(d)
    expect(p.places).toEqual([4, 5])
    expect(p.title_en).toBeUndefined()
    expect(p.questions[0].required).toBe(false)
    expect(p.questions[1].weight).toBeUndefined()
    expect(p.questions[1].index).toBe('rate')
  })
})

describe('survey results', () => {
  test('rates as percentages and scores as points, each with its 95 % interval', () => {
    // docs/surveys.md's worked example
    expect(formatRate({ value: 0.7778, low: 0.4526, high: 0.9368 })).toEqual({ value: '77.8 %', ci: '45.3–93.7' })
    expect(formatScore({ value: 70, low: 43.37, high: 96.63 })).toEqual({ value: '70.0', ci: '43.4–96.6' })
    expect(formatRate(null)).toEqual({ value: '—', ci: '' })
    expect(formatScore(null)).toEqual({ value: '—', ci: '' })
    expect(formatChange(3.24)).toBe('+3.2')
    expect(formatChange(-1)).toBe('−1.0')
    expect(formatChange(0.01)).toBe('0.0')
    expect(formatChange(null)).toBe('')
  })

  test('places are streets, communities and grids', () => {
    const orgs = [
      { id: 1, kind: 'district', name: '平安区' }, { id: 2, kind: 'street', name: '城关街道', name_en: 'Chengguan' },
      { id: 3, kind: 'community', name: '东门社区' }, { id: 4, kind: 'police', name: '公安' }, { id: 5, kind: 'grid', name: '网格', disabled: true },
    ]
    expect(placeOptions(orgs, 'en')).toEqual([{ value: 2, label: 'Chengguan', kind: 'street' }, { value: 3, label: '东门社区', kind: 'community' }])
  })

  test('the trend chart: the index per round, its interval as a band, a gap where a round has no index', () => {
    const trend = [
      { survey: { id: 1, title: '2026年第三季度' }, responses: 40, composite: { value: 70.04, low: 61.2, high: 78.9 } },
      { survey: { id: 2, title: '<b>Q4</b>' }, responses: 0, composite: null },
      { survey: { id: 3, title: '2027年第一季度' }, responses: 2, composite: { value: 90, low: 52.5, high: 100 }, composite_change: 20 },
    ]
    const o = trendChartOption(trend, 3, { index: '综合指数', interval: '95%置信区间', responses: '样本量' })
    expect(o.xAxis.data).toEqual(['2026年第三季度', '<b>Q4</b>', '2027年第一季度'])
    const [low, width, index] = o.series
    expect(low.data).toEqual([61.2, null, 52.5])
    expect(width.data).toEqual([17.7, null, 47.5])
    expect(low.stack).toBe(width.stack)
    expect(index.data.map((d) => d.value)).toEqual([70, null, 90])
    expect(index.data.map((d) => d.symbolSize)).toEqual([7, 7, 12]) // the current round stands out
    expect(o.yAxis).toEqual({ type: 'value', min: 50, max: 100 })
    expect(trendChartOption([{ composite: { value: 95, low: 85.2, high: 104.8 } }], 0, {}).yAxis.max).toBeUndefined()
    // the tooltip is HTML: a title typed by a manager is escaped
    expect(o.tooltip.formatter([{ dataIndex: 1 }])).toBe('&lt;b&gt;Q4&lt;/b&gt;<br>综合指数: —<br>样本量: 0')
    expect(o.tooltip.formatter([{ dataIndex: 0 }])).toBe('2026年第三季度<br>综合指数: 70.0<br>95%置信区间: 61.2–78.9<br>样本量: 40')
  })
})
