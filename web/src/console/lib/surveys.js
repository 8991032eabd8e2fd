// Surveys in the console (docs/surveys.md): the definition a manager edits,
// the checks made before sending (the server makes them again and names the
// member that is wrong, e.g. `questions[0].scale`, which is also the key the
// editor shows an error under), and the results read for display.

export const SURVEY_ROLES = ['admin', 'leader', 'supervisor']
export const RESULT_ROLES = ['admin', 'leader', 'supervisor', 'auditor']

const ID_RE = /^[a-z0-9_-]{1,64}$/
const TEXT_MAX = 2000

const opt = (code, label, label_en, extra = {}) => ({ code, label, label_en, points: null, positive: false, excluded: false, ...extra })

/**
 * A new definition to start from: the district's usual safety question
 * (positive = safe or fairly safe, 说不清 excluded) and a satisfaction
 * question with points, weighted half and half.
 */
export function defaultDefinition() {
  return {
    series: '',
    title: '',
    title_en: '',
    intro: '本调查匿名进行，不收集姓名和电话。',
    intro_en: 'This survey is anonymous: no name or phone number is asked.',
    access: 'token',
    places: [],
    scales: [
      { id: 'safety', options: [
        opt('safe', '安全', 'Safe', { positive: true }),
        opt('fairly_safe', '比较安全', 'Fairly safe', { positive: true }),
        opt('not_very_safe', '不太安全', 'Not very safe'),
        opt('unsafe', '不安全', 'Unsafe'),
        opt('unsure', '说不清', "Can't say", { excluded: true }),
      ] },
      { id: 'satisfaction', options: [
        opt('very_satisfied', '非常满意', 'Very satisfied', { points: 100, positive: true }),
        opt('satisfied', '比较满意', 'Satisfied', { points: 80, positive: true }),
        opt('basically_satisfied', '基本满意', 'Basically satisfied', { points: 60, positive: true }),
        opt('dissatisfied', '比较不满意', 'Dissatisfied', { points: 30 }),
        opt('very_dissatisfied', '非常不满意', 'Very dissatisfied', { points: 0 }),
        opt('unsure', '说不清', "Can't say", { excluded: true }),
      ] },
    ],
    questions: [
      { id: 'safety', text: '在目前的社会治安环境下，您感觉安全吗？', text_en: 'In your neighbourhood today, do you feel safe?', scale: 'safety', required: true, weight: 0.5, index: '' },
      { id: 'law_enforcement', text: '您对政法机关执法工作满意吗？', text_en: 'Are you satisfied with how the law is enforced?', scale: 'satisfaction', required: true, weight: 0.5, index: '' },
    ],
  }
}

export const newOption = () => opt('', '', '')
export const newScale = () => ({ id: '', options: [newOption(), newOption()] })
export const newQuestion = (scale = '') => ({ id: '', text: '', text_en: '', scale, required: true, weight: 0, index: '' })

const blank = (s) => s === null || s === undefined || String(s).trim() === ''
const chars = (s) => [...String(s)].length

/**
 * Checks a definition as the server does (src/core/surveys.c), returning
 * { path: { key, params } } with paths as the server names them
 * (`series`, `scales[1].options[0].points`, `questions[0].scale`) and keys
 * under console.surveys.err.*. Empty when fine.
 */
export function validateDefinition(d) {
  const e = {}
  const put = (path, key, params = {}) => {
    if (!e[path]) e[path] = { key, params }
  }
  if (blank(d.series)) put('series', 'required')
  else if (!ID_RE.test(d.series)) put('series', 'id')
  if (blank(d.title)) put('title', 'required')
  for (const k of ['title', 'title_en', 'intro', 'intro_en']) if (!blank(d[k]) && chars(d[k]) > TEXT_MAX) put(k, 'tooLong', { max: TEXT_MAX })
  if (!['token', 'open'].includes(d.access)) put('access', 'required')
  const scales = d.scales || []
  if (!scales.length) put('scales', 'atLeastOne')
  const scaleIds = new Set()
  scales.forEach((s, i) => {
    const p = `scales[${i}]`
    if (blank(s.id)) put(`${p}.id`, 'required')
    else if (!ID_RE.test(s.id)) put(`${p}.id`, 'id')
    else if (scaleIds.has(s.id)) put(`${p}.id`, 'duplicate')
    scaleIds.add(s.id)
    const opts = s.options || []
    if (opts.length < 2 || opts.length > 20) put(`${p}.options`, 'options')
    const codes = new Set()
    const valid = opts.filter((o) => !o.excluded)
    if (opts.length && !valid.length) put(`${p}.options`, 'noValid')
    const withPoints = valid.filter((o) => o.points !== null && o.points !== undefined && o.points !== '')
    opts.forEach((o, j) => {
      const q = `${p}.options[${j}]`
      if (blank(o.code)) put(`${q}.code`, 'required')
      else if (!ID_RE.test(o.code)) put(`${q}.code`, 'id')
      else if (codes.has(o.code)) put(`${q}.code`, 'duplicate')
      codes.add(o.code)
      if (blank(o.label)) put(`${q}.label`, 'required')
      const has = o.points !== null && o.points !== undefined && o.points !== ''
      if (o.excluded && o.positive) put(`${q}.positive`, 'excludedPositive')
      if (o.excluded && has) put(`${q}.points`, 'excludedPoints')
      if (has && (!Number.isFinite(Number(o.points)) || Number(o.points) < 0 || Number(o.points) > 1000)) put(`${q}.points`, 'points')
      if (!o.excluded && !has && withPoints.length && withPoints.length !== valid.length) put(`${q}.points`, 'allOrNone')
    })
  })
  const qs = d.questions || []
  if (!qs.length) put('questions', 'atLeastOne')
  const qIds = new Set()
  qs.forEach((q, i) => {
    const p = `questions[${i}]`
    if (blank(q.id)) put(`${p}.id`, 'required')
    else if (!ID_RE.test(q.id)) put(`${p}.id`, 'id')
    else if (qIds.has(q.id)) put(`${p}.id`, 'duplicate')
    qIds.add(q.id)
    if (blank(q.text)) put(`${p}.text`, 'required')
    else if (chars(q.text) > TEXT_MAX) put(`${p}.text`, 'tooLong', { max: TEXT_MAX })
    if (blank(q.scale)) put(`${p}.scale`, 'required')
    else if (!scaleIds.has(q.scale)) put(`${p}.scale`, 'unknownScale')
    const w = q.weight === '' || q.weight === null || q.weight === undefined ? 0 : Number(q.weight)
    if (!Number.isFinite(w) || w < 0) put(`${p}.weight`, 'weight')
    if (q.index === 'score') {
      const s = scales.find((x) => x.id === q.scale)
      if (s && !s.options.some((o) => !o.excluded && o.points !== null && o.points !== undefined && o.points !== '')) put(`${p}.index`, 'noPoints')
    }
  })
  return e
}

/** The JSON to send: empty optional members left out, numbers as numbers. */
export function toDefinitionPayload(d) {
  const out = { series: d.series.trim(), title: d.title.trim(), access: d.access }
  for (const k of ['title_en', 'intro', 'intro_en']) if (!blank(d[k])) out[k] = d[k].trim()
  if (d.access === 'open' && d.places && d.places.length) out.places = d.places.map(Number)
  out.scales = d.scales.map((s) => ({
    id: s.id.trim(),
    options: s.options.map((o) => {
      const x = { code: o.code.trim(), label: o.label.trim() }
      if (!blank(o.label_en)) x.label_en = o.label_en.trim()
      if (o.points !== null && o.points !== undefined && o.points !== '') x.points = Number(o.points)
      if (o.positive) x.positive = true
      if (o.excluded) x.excluded = true
      return x
    }),
  }))
  out.questions = d.questions.map((q) => {
    const x = { id: q.id.trim(), text: q.text.trim(), scale: q.scale }
    if (!blank(q.text_en)) x.text_en = q.text_en.trim()
    if (q.required === false) x.required = false
    const w = q.weight === '' || q.weight === null || q.weight === undefined ? 0 : Number(q.weight)
    if (w > 0) x.weight = w
    if (q.index === 'rate' || q.index === 'score') x.index = q.index
    return x
  })
  return out
}

// ---------------------------------------------------------------------------
// Results

const f1 = (x) => (Math.round(x * 10) / 10).toFixed(1)

/** A rate interval {value, low, high} (fractions) as "77.8 %" and "45.3–93.7". */
export function formatRate(iv) {
  if (!iv) return { value: '—', ci: '' }
  return { value: `${f1(iv.value * 100)} %`, ci: `${f1(iv.low * 100)}–${f1(iv.high * 100)}` }
}

/** A score or index interval (points) as "70.0" and "43.4–96.6". */
export function formatScore(iv) {
  if (!iv) return { value: '—', ci: '' }
  return { value: f1(iv.value), ci: `${f1(iv.low)}–${f1(iv.high)}` }
}

/** A change of the composite index against the round before: "+3.2", "−1.0", "". */
export function formatChange(x) {
  if (x === null || x === undefined || !Number.isFinite(x)) return ''
  const r = Math.round(x * 10) / 10
  return r > 0 ? `+${r.toFixed(1)}` : r < 0 ? `−${Math.abs(r).toFixed(1)}` : '0.0'
}

/** Places a respondent or a batch of invitations may name: streets, communities, grids. */
export function placeOptions(orgs, locale) {
  const en = String(locale || '').startsWith('en')
  return (orgs || [])
    .filter((o) => !o.disabled && ['street', 'community', 'grid'].includes(o.kind))
    .map((o) => ({ value: o.id, label: (en && o.name_en) || o.name, kind: o.kind }))
}

/**
 * The ECharts option of the trend over the rounds of a series (results.trend,
 * oldest first): the composite index per round as a line, its 95 % interval
 * as a band (a transparent lower line with the interval's width stacked on
 * it), the current round's point larger. A round without an index is a gap.
 * `names`: { index, interval, responses } in the page's language.
 */
export function trendChartOption(trend, currentId, names) {
  const rounds = (trend || []).map((x) => ({
    title: (x.survey && x.survey.title) || '',
    current: !!(x.survey && x.survey.id === currentId),
    responses: x.responses || 0,
    iv: x.composite || null,
  }))
  const num = (v) => (v === null || v === undefined || !Number.isFinite(v) ? null : Math.round(v * 10) / 10)
  const low = rounds.map((r) => (r.iv ? num(r.iv.low) : null))
  const width = rounds.map((r) => (r.iv ? num(r.iv.high - r.iv.low) : null))
  const index = rounds.map((r) => ({
    value: r.iv ? num(r.iv.value) : null,
    symbolSize: r.current ? 12 : 7,
  }))
  const values = rounds.flatMap((r) => (r.iv ? [r.iv.low, r.iv.high] : []))
  const min = values.length ? Math.max(0, Math.floor(Math.min(...values) / 10) * 10) : 0
  return {
    animation: false,
    grid: { left: 48, right: 24, top: 36, bottom: 64 },
    legend: { data: [names.index, names.interval], top: 0 },
    tooltip: {
      trigger: 'axis',
      formatter: (items) => {
        const i = items && items.length ? items[0].dataIndex : -1
        const r = rounds[i]
        if (!r) return ''
        const iv = formatScore(r.iv)
        const lines = [r.title, `${names.index}: ${iv.value}`]
        if (iv.ci) lines.push(`${names.interval}: ${iv.ci}`)
        lines.push(`${names.responses}: ${r.responses}`)
        return lines.map(escapeHtml).join('<br>')
      },
    },
    xAxis: { type: 'category', data: rounds.map((r) => r.title), axisLabel: { interval: 0, width: 120, overflow: 'truncate' } },
    // an index of points up to 100 stays on 0..100; an interval beyond (or points above 100) widens it
    yAxis: { type: 'value', min, max: values.some((v) => v > 100) ? undefined : 100 },
    series: [
      { name: 'low', type: 'line', data: low, stack: 'ci', symbol: 'none', lineStyle: { opacity: 0 }, tooltip: { show: false }, silent: true },
      { name: names.interval, type: 'line', data: width, stack: 'ci', symbol: 'none', lineStyle: { opacity: 0 }, areaStyle: { color: 'rgba(29, 95, 191, 0.15)' }, itemStyle: { color: 'rgba(29, 95, 191, 0.3)' }, silent: true },
      { name: names.index, type: 'line', data: index, color: '#1d5fbf', label: { show: true, position: 'top', formatter: (p) => (p.value === null ? '' : Number(p.value).toFixed(1)) } },
    ],
  }
}

/** Text for the chart's HTML tooltip: round titles are what a manager typed. */
function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c])
}
