// portal-types.test.mjs — the portal's other kinds of case in a real browser
// against a real server: a grid event (two-level category; the place picked
// on a map whose tiles this test serves, or typed as an address or as
// coordinates — the map is never the only way) and a tip (anonymous by
// default, with the plain statement of who sees what; identity optional).
// Also: every field labelled, keyboard-only sending, 320 px phones, and
// Leaflet fetched only by the page that shows a map.
//
// Run: cd web && npm run build && PINGAN_BIN=../build/pingan node --test tests/e2e/portal-types.test.mjs
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import zlib from 'node:zlib'
import * as H from './harness.mjs'

// The tile server is this test: page.route answers every tile with a PNG.
const TILE_HOST = 'http://tiles.pingan.test'
const TILE_URL = `${TILE_HOST}/{z}/{x}/{y}.png`
const ATTRIBUTION = '© 测试底图 <b>不是HTML</b>'

let srv // with map tiles
let plain // without: no map, the place is typed
let browser
let intake
const pages = []

/** A 256×256 grey PNG tile, made here. */
function tilePng() {
  const chunk = (kind, payload) => {
    const len = Buffer.alloc(4)
    len.writeUInt32BE(payload.length)
    const body = Buffer.concat([Buffer.from(kind, 'latin1'), payload])
    const crc = Buffer.alloc(4)
    crc.writeUInt32BE(zlib.crc32(body) >>> 0)
    return Buffer.concat([len, body, crc])
  }
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(256, 0)
  ihdr.writeUInt32BE(256, 4)
  ihdr.set([8, 0, 0, 0, 0], 8) // 8-bit greyscale
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(256, 0xd8)])
  const idat = zlib.deflateSync(Buffer.concat(Array.from({ length: 256 }, () => row)))
  return Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))])
}
const TILE = tilePng()

async function open(server, path, opts) {
  const page = await H.newPage(browser, opts)
  page.setDefaultTimeout(15000)
  pages.push(page)
  page.tiles = 0
  page.scripts = []
  await page.route(`${TILE_HOST}/**`, (route) => {
    page.tiles++
    return route.fulfill({ status: 200, contentType: 'image/png', body: TILE })
  })
  page.on('request', (r) => {
    if (r.resourceType() === 'script') page.scripts.push(new URL(r.url()).pathname)
  })
  if (path) await page.goto(server.base + path)
  return page
}

async function done(page) {
  H.assertClean(page)
  await page.context().close()
}

async function unlabelled(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll('input, textarea, select')].filter((el) => !(el.labels && el.labels.length)).map((el) => el.id || el.name),
  )
}

const leafletLoaded = (page) => page.scripts.some((p) => /\/assets\/MapPicker-/.test(p))

/** The staff view of a case (intake sees what the public sends). */
async function staffCase(number) {
  const id = await intake.caseId(number)
  return (await intake.call('GET', `/api/v1/cases/${id}`)).data
}

before(async () => {
  srv = await H.startServer({ env: { PINGAN_MAP_TILE_URL: TILE_URL, PINGAN_MAP_ATTRIBUTION: ATTRIBUTION } })
  plain = await H.startServer()
  browser = await H.launchBrowser()
  intake = await srv.login('intake')
})

after(async () => {
  for (const p of pages) await p.context().close().catch(() => {})
  if (browser) await browser.close()
  if (srv) await srv.stop()
  if (plain) await plain.stop()
})

test('home offers the grid event and the tip; the petition form loads no map', async () => {
  const page = await open(srv, '/')
  await page.waitForSelector('[data-test="home-submit-grid_event"]')
  assert.equal(await page.getAttribute('[data-test="home-submit-grid_event"]', 'href'), '/submit/grid_event')
  assert.equal(await page.getAttribute('[data-test="home-submit-tip"]', 'href'), '/submit/tip')
  // the time limits of the three kinds the public sends, from each server definition
  await page.waitForSelector('[data-test="home-limits-tip"]')
  assert.equal(await page.locator('[data-test="home-limits-petition"]').innerText(), '信访')
  assert.equal(await page.locator('[data-test="home-limits-grid_event"]').innerText(), '网格事件')
  assert.equal(await page.locator('[data-test="home-limits-tip"]').innerText(), '举报线索')
  const limits = await page.locator('section[aria-labelledby="home-limits"]').innerText()
  assert.match(limits, /已上报：1 个工作小时/)
  assert.match(limits, /核查中：30 个自然日/)
  await page.click('[data-test="home-submit"]')
  await page.waitForSelector('[data-test="submit-form"]')
  assert.equal(await page.locator('[data-test="location"]').count(), 0)
  assert.equal(leafletLoaded(page), false, 'Leaflet is not fetched for a form without a map')
  assert.equal(page.tiles, 0)
  await done(page)
})

test('a resident reports a grid event, picking the place on the map', async () => {
  const page = await open(srv, '/')
  await page.click('[data-test="home-submit-grid_event"]')
  await page.waitForURL('**/submit/grid_event')
  await page.waitForSelector('[data-test="submit-form"]')
  assert.equal(await page.locator('h1').innerText(), '上报网格事件')
  // two levels: the kind list follows the class
  await page.selectOption('#f-category-class', 'E01')
  const kinds = await page.locator('#f-category option').allInnerTexts()
  assert.ok(kinds.includes('暴露垃圾'), kinds.join())
  assert.ok(!kinds.includes('非法小广告'), 'a kind of another class is not offered')
  await page.selectOption('#f-category', 'E0102')
  await page.fill('#f-title', '幸福路垃圾桶满溢')
  await page.fill('#f-body', '幸福路12号东侧的垃圾桶已经满溢两天，垃圾散落在人行道上。')
  // the map: tiles from the configured server, the credit line as text
  const map = page.locator('[data-test="map"]')
  await map.waitFor()
  await page.waitForFunction(() => document.querySelectorAll('.leaflet-tile-loaded').length > 0)
  assert.ok(page.tiles > 0, 'tiles were fetched from map.tile_url')
  assert.ok(leafletLoaded(page), 'Leaflet is fetched for the map')
  assert.equal(await page.locator('[data-test="map-attribution"]').innerText(), ATTRIBUTION)
  assert.equal(await page.locator('[data-test="map-attribution"] b').count(), 0, 'the credit line is text, not HTML')
  // a click picks the point: the coordinate fields are filled
  await map.scrollIntoViewIfNeeded()
  const box = await map.boundingBox()
  await page.mouse.click(box.x + box.width * 0.7, box.y + box.height * 0.3)
  await page.waitForFunction(() => document.querySelector('#f-location-lat').value !== '')
  const lat = Number(await page.inputValue('#f-location-lat'))
  const lng = Number(await page.inputValue('#f-location-lng'))
  // right of and above the centre the map opens at
  assert.ok(lat > 26.0745 && lat < 26.2, `lat ${lat}`)
  assert.ok(lng > 119.2965 && lng < 119.4, `lng ${lng}`)
  await page.waitForSelector('[data-test="picked"]')
  assert.equal(await page.locator('.leaflet-interactive').count(), 1, 'the chosen point is marked')
  await page.fill('#f-contact-name', '李四')
  await page.fill('#f-contact-phone', '13900001111')
  await page.setInputFiles('#f-files', { name: '垃圾桶.png', mimeType: 'image/png', buffer: H.tinyPng() })
  assert.deepEqual(await unlabelled(page), [])
  await H.screenshot(page, 'submit-grid-event-map')
  await page.click('[data-test="submit"]')

  await page.waitForURL('**/receipt')
  assert.equal(await page.locator('h1').innerText(), '已收到您上报的事件')
  const number = (await page.locator('[data-test="receipt-number"]').innerText()).trim()
  assert.match(number, /^WG-\d{4}-\d{6}$/)
  assert.match(await page.locator('[data-test="receipt-location"]').innerText(), new RegExp(String(lat).replace('.', '\\.')))
  await H.screenshot(page, 'receipt-grid-event')
  const c = await staffCase(number)
  assert.equal(c.type, 'grid_event')
  assert.equal(c.category, 'E0102')
  assert.ok(Math.abs(c.location.lat - lat) < 1e-6 && Math.abs(c.location.lng - lng) < 1e-6, JSON.stringify(c.location))
  await done(page)
})

test('the place may be typed instead, keyboard only; a missing place is named', async () => {
  const page = await open(srv, '/submit/grid_event')
  await page.waitForSelector('[data-test="submit-form"]')
  await page.selectOption('#f-category-class', 'E04')
  await page.selectOption('#f-category', 'E0402')
  await page.fill('#f-title', '菜市场门口占道经营')
  await page.fill('#f-body', '每天早上七点到九点，菜市场门口的人行道被摊位占满。')
  await page.fill('#f-contact-name', '王五')
  // no place: the form says so before sending
  await page.click('[data-test="submit"]')
  await page.waitForSelector('[data-test="location-error"]')
  assert.match(await page.locator('.p-errors').innerText(), /事发地点/)
  assert.match(page.url(), /\/submit\/grid_event$/)
  // the address, typed; then Tab from the last field reaches the button, Enter sends
  await page.focus('#f-location-address')
  await page.keyboard.type('城关街道菜市场东门')
  await page.focus('#f-files')
  let hops = 0
  const focused = () => page.evaluate(() => document.activeElement && document.activeElement.getAttribute('data-test'))
  while ((await focused()) !== 'submit' && hops++ < 10) await page.keyboard.press('Tab')
  assert.equal(await focused(), 'submit', 'Tab reaches the submit button')
  await page.keyboard.press('Enter')
  await page.waitForURL('**/receipt')
  const number = (await page.locator('[data-test="receipt-number"]').innerText()).trim()
  const c = await staffCase(number)
  assert.equal(c.location.address, '城关街道菜市场东门')
  assert.equal(c.location.lat, null)
  await done(page)
})

test('without map tiles there is no map: coordinates or an address are the way', async () => {
  const page = await open(plain, '/submit/grid_event')
  await page.waitForSelector('[data-test="location"]')
  assert.equal(await page.locator('[data-test="map"]').count(), 0)
  assert.match(await page.locator('[data-test="location"]').innerText(), /请填写地址，或者填写坐标/)
  await page.selectOption('#f-category-class', 'E01')
  await page.selectOption('#f-category', 'E0104')
  await page.fill('#f-title', '滨江路路面油污')
  await page.fill('#f-body', '滨江路公交站附近路面有大片油污，行人容易滑倒。')
  await page.fill('#f-contact-name', '赵六')
  // one coordinate alone is refused, with the other one named
  await page.fill('#f-location-lat', '２６．０８１２') // full-width, as a Chinese input method types it
  await page.click('[data-test="submit"]')
  await page.waitForSelector('#f-location-lng-error')
  await page.fill('#f-location-lng', '119.3011')
  await page.click('[data-test="submit"]')
  await page.waitForURL('**/receipt')
  const number = (await page.locator('[data-test="receipt-number"]').innerText()).trim()
  const staff = await plain.login('intake')
  const id = await staff.caseId(number)
  const c = (await staff.call('GET', `/api/v1/cases/${id}`)).data
  assert.equal(c.location.lat, 26.0812)
  assert.equal(c.location.lng, 119.3011)
  assert.equal(leafletLoaded(page), false, 'no map, no Leaflet')
  await done(page)
})

test('a tip is anonymous by default and says who will see what', async () => {
  const page = await open(srv, '/submit/tip')
  await page.waitForSelector('[data-test="submit-form"]')
  assert.equal(await page.locator('h1').innerText(), '举报线索')
  const box = await page.locator('[data-test="privacy-box"]').innerText()
  assert.match(box, /谁能看到您的举报/)
  assert.match(box, /只有登记您举报的单位的受理人员可以查看，每一次查看都记入审计日志/)
  assert.match(box, /被举报的单位及其下属单位看不到这条线索/)
  assert.equal(await page.isChecked('#f-anonymous'), true, 'anonymous is the default')
  assert.equal(await page.locator('[data-test="contact"]').count(), 0, 'no identity fields while anonymous')
  await page.check('#f-category-protective_umbrella')
  await page.fill('#f-title', '举报某派出所民警为赌场充当保护伞')
  await page.fill('#f-body', '滨江路一带有地下赌场长期经营，有民警收受好处为其通风报信。')
  await page.setInputFiles('#f-files', { name: '线索材料.txt', mimeType: 'text/plain', buffer: Buffer.from('时间、地点、人物') })
  assert.deepEqual(await unlabelled(page), [])
  await H.screenshot(page, 'submit-tip')
  await page.click('[data-test="submit"]')
  await page.waitForURL('**/receipt')
  assert.equal(await page.locator('h1').innerText(), '已收到您的举报线索')
  const number = (await page.locator('[data-test="receipt-number"]').innerText()).trim()
  const code = (await page.locator('[data-test="receipt-code"]').innerText()).trim()
  assert.match(number, /^XS-\d{4}-\d{6}$/)
  assert.match(code, /^[0-9A-Z]{10}$/)
  await page.waitForSelector('[data-test="receipt-qr"]')
  await H.screenshot(page, 'receipt-tip')
  const tracked = await srv.track(number, code)
  assert.equal(tracked.type, 'tip')
  assert.equal(tracked.attachments.length, 1)
  const c = await staffCase(number)
  assert.equal(c.category, 'protective_umbrella')
  assert.ok(!JSON.stringify(c).includes('张'), 'no identity was sent')
  await done(page)
})

test('a tip may give the informant’s identity; in English too', async () => {
  const page = await open(srv, '/submit/tip')
  await page.waitForSelector('[data-test="submit-form"]')
  await page.click('.p-lang__btn[lang="en"]')
  await page.waitForSelector('text=Who will see your tip')
  await page.uncheck('#f-anonymous')
  await page.waitForSelector('[data-test="contact"]')
  await page.check('#f-category') // the first kind: organized crime
  await page.fill('#f-title', 'Gambling den on Binjiang Road')
  await page.fill('#f-body', 'An illegal gambling den has run for months behind the bus stop.')
  await page.fill('#f-contact-name', '司马秘密举报人')
  await page.fill('#f-contact-phone', '13700007777')
  await page.click('[data-test="submit"]')
  await page.waitForURL('**/receipt')
  assert.equal(await page.locator('h1').innerText(), 'We have received your tip')
  await done(page)
})

test('the grid event and tip forms fit a 320 px phone', async () => {
  for (const path of ['/submit/grid_event', '/submit/tip']) {
    const page = await open(srv, path, { viewport: { width: 320, height: 640 } })
    await page.waitForSelector('[data-test="submit-form"]')
    if (path.includes('grid')) await page.waitForSelector('.leaflet-tile-loaded')
    assert.equal(await H.hasHorizontalScroll(page), false, `${path} scrolls sideways at 320 px`)
    await H.screenshot(page, `submit-${path.split('/').pop()}-320`)
    await done(page)
  }
})

test('the reporter confirms the handling on the tracking page: rework with a reason, then verify', async () => {
  const body = { type: 'grid_event', category: 'E0102', title: '花园路垃圾堆放', body: '花园路口有一堆建筑垃圾，已经放了一周。', contact: { name: '钱七' }, location: { address: '花园路口' } }
  const r = (await srv.call('POST', '/api/public/cases', { body }, 201)).data
  const housing = await srv.login('housing')
  const orgs = (await intake.call('GET', '/api/v1/orgs')).data.items
  const housingOrg = orgs.find((o) => o.code === 'district-housing').id
  const id = await intake.caseId(r.number)
  const toHandled = async (result) => {
    await housing.act(id, 'report_back', { result })
  }
  await intake.act(id, 'file', { note: '属实' })
  await intake.act(id, 'dispatch', { org_id: housingOrg })
  await toHandled('已清运')

  const page = await open(srv, r.tracking_path)
  await page.waitForSelector('[data-test="public-actions"]')
  // the state in plain words, not the server's label
  assert.equal(await page.locator('[data-test="state-plain"]').innerText(), '部门说已经处置完毕，正在核查处置结果。如果下方请您确认，请告诉我们问题是否解决。')
  const box = await page.locator('[data-test="public-actions"]').innerText()
  assert.match(box, /核查通过（结案）/)
  assert.match(box, /核查未通过（返工）/)
  assert.deepEqual(await unlabelled(page), [])
  await H.screenshot(page, 'track-grid-event-actions')
  // rework needs its reason: refused before sending, named on the field
  await page.click('[data-test="action-submit-rework"]')
  await page.waitForSelector('#f-rework-reason-error')
  assert.equal(await page.evaluate(() => document.activeElement.id), 'f-rework-reason')
  await page.fill('#f-rework-reason', '现场仍有垃圾残留，未清理干净。')
  await page.click('[data-test="action-submit-rework"]')
  await page.waitForSelector('[data-test="action-done"]')
  assert.equal(await page.locator('[data-test="public-actions"]').count(), 0, 'no step is open while the department works again')
  // read as the district's leader, who sees every unit's cases
  const leader = await srv.login('leader')
  const asLeader = async () => (await leader.call('GET', `/api/v1/cases/${id}`)).data
  let c = await asLeader()
  assert.equal(c.state, 'dispatched')
  // handled again: the reporter verifies, with a note, and the case closes
  await toHandled('已彻底清理')
  await page.reload()
  await page.waitForSelector('[data-test="action-verify"]')
  await page.fill('#f-verify-note', '已清理干净，谢谢')
  await page.click('[data-test="action-submit-verify"]')
  await page.waitForSelector('[data-test="action-done"]')
  assert.match(await page.locator('[data-test="state-label"]').innerText(), /已结案|结案/)
  assert.equal(await page.locator('[data-test="state-plain"]').innerText(), '处置结果已核查通过，事件已结案。您可以评价办理情况。')
  c = await asLeader()
  assert.equal(c.state, 'closed')
  await done(page)
})
