// Client-side checks of the portal (src/portal/lib/validation.js): they must
// agree with the server's (src/core/cases.c, src/core/crypto.c).
import { describe, it, expect } from 'vitest'
import {
  chars, isBlank, checkText, normalizePhone, normalizeIdNumber, idCheckDigit, normalizeQueryCode,
  normalizeCaseNumber, checkFiles, fileTypeAllowed, validateSubmission, buildSubmission,
  validateReview, validateRating, validateLookup, LIMITS, FILE_LIMITS,
} from '../../src/portal/lib/validation.js'

const grievance = { code: 'grievance', accusation: false }
const accusation = { code: 'accusation', accusation: true }
const file = (name, size, type = '') => ({ name, size, type })
const validForm = () => ({
  category: 'grievance', title: '小区电梯长期故障', body: '三个月没修。', anonymous: false, accused_org_id: '',
  contact: { name: '张三', phone: '13812345678', id_number: '', address: '' },
})

describe('character counting', () => {
  it('counts code points as the server does, not UTF-16 units', () => {
    expect(chars('')).toBe(0)
    expect(chars(null)).toBe(0)
    expect(chars('abc')).toBe(3)
    expect(chars('平安区')).toBe(3)
    expect('😀'.length).toBe(2)
    expect(chars('😀')).toBe(1)
    expect(chars('𠮷野家')).toBe(3)
  })

  it('sees blank as the server does: ASCII white space and the ideographic space', () => {
    expect(isBlank('')).toBe(true)
    expect(isBlank(' \t\r\n')).toBe(true)
    expect(isBlank('\u3000\u3000')).toBe(true)
    expect(isBlank(undefined)).toBe(true)
    expect(isBlank(' x ')).toBe(false)
    expect(isBlank('\u00a0')).toBe(false) // the server does not count NBSP as blank either
  })

  it('checks required, control characters and the limit in characters', () => {
    expect(checkText('', { required: true })).toEqual({ key: 'required' })
    expect(checkText('\u3000', { required: true })).toEqual({ key: 'required' })
    expect(checkText('', { required: false })).toBe(null)
    expect(checkText('a\u0007b', {})).toEqual({ key: 'control' })
    expect(checkText('line\nline\ttab\r', {})).toBe(null)
    expect(checkText('长'.repeat(200), { max: LIMITS.title })).toBe(null)
    expect(checkText('长'.repeat(201), { max: LIMITS.title })).toEqual({ key: 'tooLong', params: { max: 200, n: 201 } })
    expect(checkText('😀'.repeat(200), { max: 200 })).toBe(null) // 400 UTF-16 units, 200 characters
  })
})

describe('phone numbers (crypto.c phone_normalize)', () => {
  it.each([
    ['13812345678', '13812345678'],
    ['138 1234 5678', '13812345678'],
    ['138-1234-5678', '13812345678'],
    ['+86 138 1234 5678', '13812345678'],
    ['008613812345678', '13812345678'],
    ['8613812345678', '13812345678'],
    ['１３８１２３４５６７８', '13812345678'], // full-width digits from a Chinese IME
    ['010-62345678', '01062345678'],
    ['(010) 6234 5678', '01062345678'],
    ['+1 (415) 555-2671', '0014155552671'],
    ['12345', '12345'],
  ])('accepts %s', (input, out) => {
    expect(normalizePhone(input)).toBe(out)
  })

  it.each([['1381234567'], ['138123456789'], ['1234'], ['138abc45678'], ['1+3812345678'], ['++8613812345678'], ['1'.repeat(21)]])(
    'refuses %s',
    (input) => {
      expect(normalizePhone(input)).toBe(null)
    },
  )
})

describe('resident ID numbers (GB 11643)', () => {
  const id17 = '11010519491231002'
  const good = id17 + idCheckDigit(id17)

  it('computes the check character', () => {
    expect(good).toBe('11010519491231002X')
    expect(idCheckDigit('44030119900101123')).toMatch(/^[0-9X]$/)
  })

  it('accepts valid numbers, lower-case x and spaces', () => {
    expect(normalizeIdNumber(good)).toBe(good)
    expect(normalizeIdNumber(good.toLowerCase())).toBe(good)
    expect(normalizeIdNumber('110105 19491231 002x')).toBe(good)
    expect(normalizeIdNumber('110105491231002')).toBe('110105491231002') // 15-digit old number
  })

  it('refuses a wrong check character, wrong lengths and an X inside', () => {
    expect(normalizeIdNumber(id17 + '1')).toBe(null)
    expect(normalizeIdNumber('1101051949123100')).toBe(null)
    expect(normalizeIdNumber('11010X19491231002X')).toBe(null)
    expect(normalizeIdNumber('11010549123100X')).toBe(null)
    expect(normalizeIdNumber('abc')).toBe(null)
  })
})

describe('query codes and case numbers', () => {
  it('reads codes as the server does (Crockford base32)', () => {
    expect(normalizeQueryCode('H3WC7GDGNK')).toBe('H3WC7GDGNK')
    expect(normalizeQueryCode('h3wc7-gdgnk')).toBe('H3WC7GDGNK')
    expect(normalizeQueryCode(' h3wc7 gdgnk ')).toBe('H3WC7GDGNK')
    expect(normalizeQueryCode('OIL0000000')).toBe('0110000000')
    expect(normalizeQueryCode('H3WC7GDGN')).toBe(null) // 9
    expect(normalizeQueryCode('H3WC7GDGNKK')).toBe(null) // 11
    expect(normalizeQueryCode('H3WC7GDGNU')).toBe(null) // U is not in the alphabet
    expect(normalizeQueryCode('')).toBe(null)
  })

  it('reads case numbers by shape only', () => {
    expect(normalizeCaseNumber(' xf-2026-000123 ')).toBe('XF-2026-000123')
    expect(normalizeCaseNumber('XF－2026－000123'.replace(/－/g, '\u2013'))).toBe('XF-2026-000123')
    expect(normalizeCaseNumber('WG-2026-000001')).toBe('WG-2026-000001')
    expect(normalizeCaseNumber('XF 2026')).toBe(null)
    expect(normalizeCaseNumber('ABC')).toBe(null)
    expect(normalizeCaseNumber('X'.repeat(60) + '-1234')).toBe(null)
  })
})

describe('attachments', () => {
  it('allows the types the server sniffs, by extension or reported type', () => {
    for (const n of ['a.pdf', 'b.PNG', 'c.jpg', 'd.jpeg', 'e.gif', 'f.webp', 'g.txt', 'h.docx', 'i.xlsx']) {
      expect(fileTypeAllowed(file(n, 1))).toBe(true)
    }
    expect(fileTypeAllowed(file('photo', 1, 'image/jpeg'))).toBe(true)
    for (const n of ['x.exe', 'y.html', 'z.svg', 'w.doc', 'v.xlsm', 'noext']) expect(fileTypeAllowed(file(n, 1))).toBe(false)
  })

  it('checks count, size and emptiness', () => {
    expect(checkFiles([])).toBe(null)
    expect(checkFiles([file('a.png', 10)])).toBe(null)
    expect(checkFiles(Array.from({ length: FILE_LIMITS.maxFiles + 1 }, (_, i) => file(`${i}.png`, 1)))).toEqual({ key: 'tooManyFiles', params: { max: 5 } })
    expect(checkFiles([file('big.pdf', FILE_LIMITS.maxBytes + 1)])).toEqual({ key: 'fileTooLarge', params: { name: 'big.pdf', max: '10 MB' } })
    expect(checkFiles([file('max.pdf', FILE_LIMITS.maxBytes)])).toBe(null)
    expect(checkFiles([file('empty.txt', 0)])).toEqual({ key: 'fileEmpty', params: { name: 'empty.txt' } })
    expect(checkFiles([file('virus.exe', 5)])).toEqual({ key: 'fileType', params: { name: 'virus.exe' } })
  })
})

describe('a submission', () => {
  it('passes when complete', () => {
    expect(validateSubmission(validForm(), grievance)).toEqual({})
  })

  it('names every missing field by its API name', () => {
    const f = validateSubmission({ ...validForm(), category: '', title: ' ', body: '', contact: { name: '' } }, null)
    expect(Object.keys(f).sort()).toEqual(['body', 'category', 'contact.name', 'title'])
  })

  it('checks phone, ID number and address only when given', () => {
    const f = validForm()
    f.contact = { name: '张三', phone: '1381234567', id_number: '123', address: '路'.repeat(201) }
    expect(validateSubmission(f, grievance)).toEqual({
      'contact.phone': { key: 'phone' },
      'contact.id_number': { key: 'idNumber' },
      'contact.address': { key: 'tooLong', params: { max: 200, n: 201 } },
    })
    f.contact = { name: '张三', phone: '', id_number: '', address: '' }
    expect(validateSubmission(f, grievance)).toEqual({})
  })

  it('lets only an accusation go without a contact', () => {
    const f = { ...validForm(), category: 'accusation', anonymous: true, contact: { name: '' } }
    expect(validateSubmission(f, accusation)).toEqual({})
    expect(validateSubmission({ ...f, category: 'grievance' }, grievance)).toHaveProperty('contact.name')
  })

  it('checks the files with the rest', () => {
    expect(validateSubmission(validForm(), grievance, [file('a.exe', 3)])).toEqual({ files: { key: 'fileType', params: { name: 'a.exe' } } })
  })

  it('builds the JSON the server takes', () => {
    const f = validForm()
    f.title = '  标题  '
    f.contact = { name: ' 张三 ', phone: ' 13812345678 ', id_number: '  ', address: '' }
    f.accused_org_id = '10'
    expect(buildSubmission('petition', f, grievance)).toEqual({
      type: 'petition', category: 'grievance', title: '标题', body: '三个月没修。',
      contact: { name: '张三', phone: '13812345678' },
    })
    const a = { ...validForm(), category: 'accusation', anonymous: true, accused_org_id: '10' }
    expect(buildSubmission('petition', a, accusation)).toEqual({
      type: 'petition', category: 'accusation', title: '小区电梯长期故障', body: '三个月没修。', accused_org_id: 10,
    })
    // not anonymous: the contact goes too
    expect(buildSubmission('petition', { ...a, anonymous: false }, accusation).contact).toEqual({ name: '张三', phone: '13812345678' })
  })
})

describe('the tracking page forms', () => {
  it('review: a reason of at most 2000 characters', () => {
    expect(validateReview('')).toEqual({ reason: { key: 'required' } })
    expect(validateReview('不服')).toEqual({})
    expect(validateReview('x'.repeat(2001))).toEqual({ reason: { key: 'tooLong', params: { max: 2000, n: 2001 } } })
  })

  it('rating: one of five levels, an optional comment', () => {
    expect(validateRating('', '')).toEqual({ level: { key: 'chooseLevel' } })
    expect(validateRating('great', '')).toEqual({ level: { key: 'chooseLevel' } })
    for (const l of ['very_satisfied', 'satisfied', 'basically_satisfied', 'dissatisfied', 'very_dissatisfied']) {
      expect(validateRating(l, '')).toEqual({})
    }
    expect(validateRating('satisfied', 'x'.repeat(1001))).toHaveProperty('comment')
  })

  it('lookup: number and code', () => {
    expect(validateLookup('', '')).toEqual({ number: { key: 'required' }, code: { key: 'required' } })
    expect(validateLookup('XF-2026-000001', 'abc')).toEqual({ code: { key: 'queryCode' } })
    expect(validateLookup('XF-2026-000001', 'h3wc7-gdgnk')).toEqual({})
  })
})

describe('limits from the server (GET /api/public/limits)', () => {
  it('reads count, size and types; keeps the defaults for anything malformed', async () => {
    const { limitsFromServer, checkFiles, FILE_LIMITS } = await import('../../src/portal/lib/validation.js')
    const l = limitsFromServer({ attachments: { max_files: 1, max_file_bytes: 1024, types: [{ mime: 'text/plain; charset=utf-8', extensions: ['TXT'] }] } })
    expect(l.maxFiles).toBe(1)
    expect(l.maxBytes).toBe(1024)
    expect(l.types).toEqual([{ ext: ['txt'], mime: ['text/plain'] }])
    const f = (name, size, type = '') => ({ name, size, type })
    expect(checkFiles([f('a.txt', 10), f('b.txt', 10)], l)).toEqual({ key: 'tooManyFiles', params: { max: 1 } })
    expect(checkFiles([f('a.txt', 2048)], l).key).toBe('fileTooLarge')
    expect(checkFiles([f('a.pdf', 10, 'application/pdf')], l).key).toBe('fileType')
    expect(checkFiles([f('a.txt', 10, 'text/plain')], l)).toBe(null)
    const d = limitsFromServer({ attachments: { max_files: -1, max_file_bytes: 'big', types: 'x' } })
    expect([d.maxFiles, d.maxBytes]).toEqual([FILE_LIMITS.maxFiles, FILE_LIMITS.maxBytes])
    expect(limitsFromServer(null).types.length).toBe(8)
  })
})


describe('the place of a grid event (Location)', async () => {
  const { parseCoord, checkLocation, mapFromServer } = await import('../../src/portal/lib/validation.js')
  const kind = { code: 'E0102', accusation: false }
  const base = () => ({ ...validForm(), category: 'E0102', location: { address: '', lat: '', lng: '' } })

  it('reads coordinates as typed: full-width digits, comma, minus signs; refuses out of range', () => {
    expect(parseCoord('26.0745', 90)).toBe(26.0745)
    expect(parseCoord(' ２６．０７４５ ', 90)).toBe(26.0745)
    expect(parseCoord('26,0745', 90)).toBe(26.0745)
    expect(parseCoord('\u221233.5', 90)).toBe(-33.5)
    expect(parseCoord('90', 90)).toBe(90)
    expect(parseCoord('90.0001', 90)).toBe(null)
    expect(parseCoord('180', 180)).toBe(180)
    expect(parseCoord('1e2', 180)).toBe(null)
    expect(parseCoord('26°N', 90)).toBe(null)
    expect(parseCoord('', 90)).toBe(null)
  })

  it('a required place is a point or an address; lat and lng go together', () => {
    expect(checkLocation({ address: '', lat: '', lng: '' }, 'required')).toEqual({ location: { key: 'location' } })
    expect(checkLocation({ address: '', lat: '', lng: '' }, 'optional')).toEqual({})
    expect(checkLocation({ address: '幸福路12号', lat: '', lng: '' }, 'required')).toEqual({})
    expect(checkLocation({ address: '', lat: '26.1', lng: '119.3' }, 'required')).toEqual({})
    expect(checkLocation({ address: 'x', lat: '26.1', lng: '' }, 'required')).toEqual({ 'location.lng': { key: 'coordPair' } })
    expect(checkLocation({ address: 'x', lat: '', lng: '119' }, 'optional')).toEqual({ 'location.lat': { key: 'coordPair' } })
    expect(checkLocation({ address: 'x', lat: '95', lng: '200' }, 'required')).toEqual({ 'location.lat': { key: 'lat' }, 'location.lng': { key: 'lng' } })
    expect(checkLocation({ address: '路'.repeat(201) }, 'optional')['location.address'].key).toBe('tooLong')
    expect(checkLocation({}, 'none')).toEqual({})
  })

  it('validateSubmission checks the place by the type rule; buildSubmission sends numbers', () => {
    expect(validateSubmission(base(), kind, [], undefined, { location: 'required', anonymous: false })).toEqual({ location: { key: 'location' } })
    const f = base()
    f.location = { address: ' 幸福路12号东侧 ', lat: '26.0812', lng: '１１９．３０１１' }
    expect(validateSubmission(f, kind, [], undefined, { location: 'required', anonymous: false })).toEqual({})
    const body = buildSubmission('grid_event', f, kind, { location: 'required', anonymous: false })
    expect(body.location).toEqual({ lat: 26.0812, lng: 119.3011, address: '幸福路12号东侧' })
    // a petition has no place: nothing is sent even if the model holds one
    expect(buildSubmission('petition', f, grievance).location).toBe(undefined)
    f.location = { address: '幸福路', lat: '', lng: '' }
    expect(buildSubmission('grid_event', f, kind, { location: 'optional' }).location).toEqual({ address: '幸福路' })
  })

  it('a type that may always go anonymously (tips) sends no contact when asked', () => {
    const f = { ...validForm(), anonymous: true, contact: { name: '' } }
    const tip = { code: 'other_crime', accusation: false }
    expect(validateSubmission(f, tip, [], undefined, { anonymous: true })).toEqual({})
    expect(buildSubmission('tip', f, tip, { anonymous: true }).contact).toBe(undefined)
    // not allowed: the name is required and the contact goes
    expect(validateSubmission(f, tip, [], undefined, { anonymous: false })).toHaveProperty('contact.name')
  })

  it('reads the map of GET /api/public/limits; anything unusable means no map', () => {
    expect(mapFromServer({ map: { tile_url: 'https://t.example/{z}/{x}/{y}.png', attribution: '© x', center: [26.1, 119.3], zoom: 15 } })).toEqual({
      tile_url: 'https://t.example/{z}/{x}/{y}.png',
      attribution: '© x',
      center: [26.1, 119.3],
      zoom: 15,
    })
    // no usable centre: the whole world
    expect(mapFromServer({ map: { tile_url: 'https://t.example/{z}/{x}/{y}.png', center: [95, 0], zoom: 15 } })).toMatchObject({ center: [0, 0], zoom: 2 })
    expect(mapFromServer({ map: null })).toBe(null)
    expect(mapFromServer({})).toBe(null)
    expect(mapFromServer({ map: { tile_url: 'javascript:alert(1)//{z}{x}{y}' } })).toBe(null)
    expect(mapFromServer({ map: { tile_url: 'https://t.example/tile.png' } })).toBe(null)
    expect(mapFromServer({ map: { tile_url: 'https://t.example/{z}/{x}/{y}', center: [1, 2], zoom: 99 } })).toMatchObject({ attribution: '', zoom: 13 })
  })
})
