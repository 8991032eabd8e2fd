// portal.test.mjs — the public portal in a real browser against a real
// server: a citizen sends a petition with an attachment, keeps the receipt,
// tracks it; staff (over the API) accept and reply; the citizen reads the
// notices and the opinion, rates and asks for review. Also: the language
// switch, server text shown as text (never run), 320 px phones, keyboard
// only, and server 400s shown on the field they name.
//
// Run: cd web && npm run build && PINGAN_BIN=../build/pingan npm run test:e2e
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import * as H from './harness.mjs'

let srv
let browser
const pages = []

// the petition the first tests send and the later ones follow
const sent = { number: '', code: '', trackUrl: '' }

const REPLY = {
  decision: 'explain',
  facts: '经调查，该小区电梯已于本月完成维修，并通过特种设备检验机构检验。',
  basis: '《中华人民共和国特种设备安全法》第三十九条',
  opinion: '物业服务企业已完成维修，今后每月巡检一次；如再次故障，可拨打物业服务监督电话。',
}

async function open(path, opts) {
  const page = await H.newPage(browser, opts)
  page.setDefaultTimeout(15000)
  pages.push(page)
  if (path) await page.goto(srv.base + path)
  return page
}

async function done(page) {
  H.assertClean(page)
  await page.context().close()
}

/** Fills the submission form with a valid grievance. */
async function fillPetition(page, { title = '小区电梯长期故障无人维修', body = '幸福小区3号楼电梯自今年3月起多次故障停运，物业一直未修复，老人上下楼十分困难。', phone = '13812345678' } = {}) {
  await page.check('#f-category-grievance')
  await page.fill('#f-title', title)
  await page.fill('#f-body', body)
  await page.fill('#f-contact-name', '张秀兰')
  await page.fill('#f-contact-phone', phone)
  await page.fill('#f-contact-address', '城关街道幸福小区3号楼2单元501室')
}

async function stateLabel(page) {
  return (await page.locator('[data-test="state-label"]').innerText()).trim()
}

before(async () => {
  srv = await H.startServer()
  browser = await H.launchBrowser()
})

after(async () => {
  for (const p of pages) await p.context().close().catch(() => {})
  if (browser) await browser.close()
  if (srv) await srv.stop()
})

test('home says what the site is for and links to sending and tracking', async () => {
  const page = await open('/')
  await page.waitForSelector('h1')
  assert.equal(await page.locator('h1').innerText(), '网上信访与办理进展查询')
  assert.equal(await page.getAttribute('[data-test="home-submit"]', 'href'), '/submit/petition')
  assert.equal(await page.getAttribute('[data-test="home-track"]', 'href'), '/track')
  // the time limits come from the server's definition
  await page.waitForSelector('text=15 个自然日')
  assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN')
  await H.screenshot(page, 'home')
  await page.click('[data-test="home-submit"]')
  await page.waitForURL('**/submit/petition')
  await page.waitForSelector('[data-test="submit-form"]')
  await done(page)
})

test('a citizen sends a petition with an attachment and gets a receipt', async () => {
  const page = await open('/submit/petition')
  await page.waitForSelector('[data-test="submit-form"]')
  // every control has a label
  const unlabelled = await page.evaluate(() =>
    [...document.querySelectorAll('input, textarea, select')]
      .filter((el) => !(el.labels && el.labels.length))
      .map((el) => el.id || el.name),
  )
  assert.deepEqual(unlabelled, [])
  await fillPetition(page)
  await page.setInputFiles('#f-files', { name: '电梯故障照片.png', mimeType: 'image/png', buffer: H.tinyPng() })
  await page.waitForSelector('[data-test="files"] li')
  assert.match(await page.locator('[data-test="files"]').innerText(), /电梯故障照片\.png/)
  await H.screenshot(page, 'submit')
  await page.click('[data-test="submit"]')

  await page.waitForURL('**/receipt')
  const number = (await page.locator('[data-test="receipt-number"]').innerText()).trim()
  const code = (await page.locator('[data-test="receipt-code"]').innerText()).trim()
  assert.match(number, /^XF-\d{4}-\d{6}$/)
  assert.match(code, /^[0-9A-Z]{10}$/)
  await page.waitForSelector('[data-test="receipt-qr"]')
  const qr = page.locator('[data-test="receipt-qr"]')
  assert.match(await qr.getAttribute('src'), /^data:image\/png;base64,/)
  assert.match(await qr.getAttribute('alt'), new RegExp(number))
  assert.ok(await qr.evaluate((img) => img.complete && img.naturalWidth > 0), 'the QR image decodes')
  const link = await page.locator('[data-test="receipt-link"]').innerText()
  assert.equal(link, `${srv.base}/track/${number}?code=${code}`)
  await page.waitForSelector('text=请保存好受理编号和查询码')
  assert.match(await page.locator('[data-test="receipt-due"]').innerText(), /\d{4}-\d{2}-\d{2}/)
  assert.match(await page.locator('main').innerText(), /电梯故障照片\.png/)
  await H.screenshot(page, 'receipt')
  // printing shows the receipt, not the site's chrome or the buttons
  await page.emulateMedia({ media: 'print' })
  assert.equal(await page.locator('header.p-header').isVisible(), false)
  assert.equal(await page.locator('.p-actions').isVisible(), false)
  assert.equal(await page.locator('[data-test="receipt-code"]').isVisible(), true)
  await H.screenshot(page, 'receipt-print')
  await page.emulateMedia({ media: 'screen' })
  // a reload of the tab keeps the receipt (history state), the URL holds no code
  await page.reload()
  await page.waitForSelector('[data-test="receipt-code"]')
  assert.equal((await page.locator('[data-test="receipt-code"]').innerText()).trim(), code)
  assert.ok(!page.url().includes(code))

  Object.assign(sent, { number, code, trackUrl: `/track/${number}?code=${code}` })
  // the server has it, with the attachment
  const c = await srv.track(number, code)
  assert.equal(c.state, 'registered')
  assert.equal(c.attachments.length, 1)
  await done(page)
})

test('the citizen tracks the case: state, time limit, due date, attachment', async () => {
  assert.ok(sent.number, 'needs the petition of the previous test')
  const api = await srv.track(sent.number, sent.code)
  // by the form, with the code typed in lower case and with a dash
  const page = await open('/track')
  await page.fill('#f-number', sent.number.toLowerCase())
  await page.fill('#f-code', sent.code.slice(0, 5).toLowerCase() + '-' + sent.code.slice(5).toLowerCase())
  await page.click('[data-test="lookup-submit"]')
  await page.waitForSelector('[data-test="case-state"]')
  assert.equal(new URL(page.url()).pathname, `/track/${sent.number}`)
  assert.equal(await stateLabel(page), '当前状态：已登记')
  assert.equal(await page.locator('[data-test="case-title"]').innerText(), '小区电梯长期故障无人维修')
  const limit = await page.locator('[data-test="case-limit"]').innerText()
  assert.match(limit, /15 个自然日/)
  assert.match(limit, /信访工作条例 第22、23条/)
  assert.equal(await page.locator('[data-test="case-due"]').innerText(), `本步骤截止日期：${api.due_at.slice(0, 10)}`)
  assert.match(await page.locator('[data-test="timeline"]').innerText(), /提交/)
  // the attachment downloads
  const href = await page.getAttribute('[data-test="attachments"] a', 'href')
  const res = await page.request.get(srv.base + href)
  assert.equal(res.status(), 200)
  assert.deepEqual(Buffer.from(await res.body()), H.tinyPng())
  await H.screenshot(page, 'track')

  // a wrong code: the same "not found" as a wrong number, with the form
  page.allowConsole(/status of 404/)
  const wrong = (sent.code[0] === '0' ? '1' : '0') + sent.code.slice(1)
  await page.goto(`${srv.base}/track/${sent.number}?code=${wrong}`)
  await page.waitForSelector('[data-test="lookup-error"]')
  assert.match(await page.locator('[data-test="lookup-error"]').innerText(), /没有找到这件事项/)
  assert.equal(await page.inputValue('#f-number'), sent.number)
  // a malformed code is caught before asking
  await page.fill('#f-code', 'abc')
  await page.click('[data-test="lookup-submit"]')
  await page.waitForSelector('#f-code-error')
  assert.equal(await page.getAttribute('#f-code', 'aria-invalid'), 'true')
  await done(page)
})

test('staff accept and reply; the citizen reads the notices and the opinion, rates and asks for review', async () => {
  assert.ok(sent.number)
  const intake = await srv.login('intake')
  const id = await intake.caseId(sent.number)
  await intake.act(id, 'accept')
  const xfj = await srv.login('xfj')
  await xfj.act(id, 'reply', REPLY)

  const page = await open(sent.trackUrl)
  await page.waitForSelector('[data-test="case-state"]')
  assert.equal(await stateLabel(page), '当前状态：已答复')
  const notices = page.locator('[data-test="notice"]')
  assert.equal(await notices.count(), 2)
  assert.match(await notices.nth(0).innerText(), /信访事项受理告知书/)
  assert.match(await notices.nth(0).innerText(), new RegExp(sent.number))
  assert.match(await notices.nth(1).innerText(), /信访处理意见书/)
  // the written opinion: decision, facts, basis, opinion
  assert.equal(await page.locator('[data-test="opinion-decision"]').innerText(), '解释说明')
  assert.equal(await page.locator('[data-test="opinion-facts"]').innerText(), REPLY.facts)
  assert.equal(await page.locator('[data-test="opinion-basis"]').innerText(), REPLY.basis)
  assert.equal(await page.locator('[data-test="opinion-text"]').innerText(), REPLY.opinion)
  // the review window is shown with its end date
  const api = await srv.track(sent.number, sent.code)
  assert.equal(api.review.available, true)
  assert.match(await page.locator('[data-test="review"]').innerText(), new RegExp(api.review.window_end.slice(0, 10)))
  await H.screenshot(page, 'track-replied')

  // rating: a level is required
  await page.click('[data-test="rating-submit"]')
  await page.waitForSelector('#f-level-error')
  await page.check('#f-level-satisfied')
  await page.fill('#f-comment', '电梯已修好，感谢及时处理。')
  await page.click('[data-test="rating-submit"]')
  await page.waitForSelector('[data-test="rating-done"]')
  assert.match(await page.locator('[data-test="ratings"]').innerText(), /满意/)
  assert.equal(await page.locator('[data-test="rating-form"]').count(), 0, 'one rating per step')

  // review: a reason is required
  await page.click('[data-test="review-submit"]')
  await page.waitForSelector('#f-reason-error')
  await page.fill('#f-reason', '维修后电梯仍频繁停运，物业未落实处理意见。')
  await page.click('[data-test="review-submit"]')
  await page.waitForSelector('[data-test="review-done"]')
  assert.equal(await stateLabel(page), '当前状态：复查中')
  assert.equal(await page.locator('[data-test="review"]').count(), 0)
  await H.screenshot(page, 'track-review')

  const after = await srv.track(sent.number, sent.code)
  assert.equal(after.state, 'reviewing')
  assert.equal(after.ratings.length, 1)
  assert.equal(after.ratings[0].level, 'satisfied')
  await done(page)
})

test('the language switch turns every page to English and back', async () => {
  assert.ok(sent.number)
  const page = await open(sent.trackUrl)
  await page.waitForSelector('[data-test="case-state"]')
  await page.click('button:has-text("English")')
  await page.waitForFunction(() => document.querySelector('h1').innerText.startsWith('Case '))
  assert.equal(await page.getAttribute('html', 'lang'), 'en')
  assert.equal(await page.getAttribute('button[lang="en"]', 'aria-pressed'), 'true')
  // the server's labels follow (Accept-Language)
  await page.waitForFunction(() => /Under review/.test(document.querySelector('[data-test="state-label"]').innerText))
  assert.equal(await stateLabel(page), 'Status: Under review')
  assert.match(await page.locator('[data-test="notices"]').innerText(), /Notice of acceptance/)
  assert.match(await page.locator('[data-test="opinions"]').innerText(), /Facts and reasons/)
  assert.match(await page.locator('nav').innerText(), /Send a petition/)
  await H.screenshot(page, 'track-en')
  // the choice holds across pages
  await page.click('nav >> text=Home')
  await page.waitForFunction(() => document.querySelector('h1').innerText === 'Online petitions and case tracking')
  await page.click('nav >> text=Send a petition')
  await page.waitForSelector('text=Grievance or request')
  assert.match(await page.locator('label[for="f-title"]').innerText(), /^Title\s+\(required\)$/)
  await H.screenshot(page, 'submit-en')
  // no message key shows through untranslated
  const text = (await page.locator('body').innerText()).replace('中文', '')
  assert.doesNotMatch(text, /portal\./)
  assert.doesNotMatch(text, /[\u4e00-\u9fff]/, 'Chinese text left on the English page')
  await page.click('button:has-text("中文")')
  await page.waitForFunction(() => document.querySelector('h1').innerText === '提交信访事项')
  assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN')
  await done(page)
})

test('text from people and the server is shown as text, never run', async () => {
  const title = '<img src=x onerror=alert(1)>'
  const body = '<script>alert(1)</script>'
  const page = await open('/submit/petition')
  await page.waitForSelector('[data-test="submit-form"]')
  await fillPetition(page, { title, body })
  await page.click('[data-test="submit"]')
  await page.waitForURL('**/receipt')
  assert.equal(await page.locator('[data-test="receipt-title"]').innerText(), title)
  assert.equal(await page.locator('[data-test="receipt-body"]').innerText(), body)
  const number = (await page.locator('[data-test="receipt-number"]').innerText()).trim()
  const code = (await page.locator('[data-test="receipt-code"]').innerText()).trim()
  // the notice repeats the title: accept it so the tracking page shows it there too
  const intake = await srv.login('intake')
  await intake.act(await intake.caseId(number), 'accept')
  await page.click('[data-test="receipt-track"]')
  await page.waitForSelector('[data-test="case-state"]')
  assert.equal(await page.locator('[data-test="case-title"]').innerText(), title)
  assert.match(await page.locator('[data-test="notice"]').innerText(), /<img src=x onerror=alert\(1\)>/)
  assert.equal(await page.locator('img[src="x"]').count(), 0)
  assert.equal(await page.evaluate(() => [...document.scripts].filter((s) => s.textContent.includes('alert(1)')).length), 0)
  await page.waitForTimeout(300) // an onerror would have fired by now
  assert.ok(page.url().includes(code))
  await done(page) // fails on any dialog
})

test('every page fits a 320 px wide phone without scrolling sideways', async () => {
  assert.ok(sent.number)
  const page = await open(null, { viewport: { width: 320, height: 640 } })
  const check = async (what) => {
    assert.equal(await H.hasHorizontalScroll(page), false, `${what} scrolls sideways at 320 px`)
  }
  await page.goto(srv.base + '/')
  await page.waitForSelector('text=15 个自然日')
  await check('home')
  await page.goto(srv.base + '/submit/petition')
  await page.waitForSelector('[data-test="submit-form"]')
  await page.click('[data-test="submit"]') // with the error summary showing
  await page.waitForSelector('.p-errors')
  await check('submit with errors')
  await H.screenshot(page, 'submit-320')
  await page.goto(srv.base + '/track')
  await check('track form')
  await page.goto(srv.base + sent.trackUrl)
  await page.waitForSelector('[data-test="opinions"]')
  await check('track with opinion')
  await H.screenshot(page, 'track-320')
  await page.goto(srv.base + '/submit/petition')
  await page.waitForSelector('[data-test="submit-form"]')
  await fillPetition(page, { title: '很长的标题'.repeat(30), body: 'x'.repeat(3000) })
  await page.click('[data-test="submit"]')
  await page.waitForURL('**/receipt')
  await page.waitForSelector('[data-test="receipt-qr"]')
  await check('receipt')
  await H.screenshot(page, 'receipt-320')
  await done(page)
})

test('keyboard only: tab to the form fields and send it', async () => {
  const page = await open('/submit/petition')
  await page.waitForSelector('[data-test="submit-form"]')
  const focused = () => page.evaluate(() => document.activeElement && (document.activeElement.id || document.activeElement.tagName))
  const outline = () => page.evaluate(() => {
    const s = getComputedStyle(document.activeElement)
    return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2
  })
  // from the top of the page: skip link, site name, language, menu, then the form
  let hops = 0
  while ((await focused()) !== 'f-category' && hops++ < 30) await page.keyboard.press('Tab')
  assert.equal(await focused(), 'f-category', 'the first category is reachable with Tab')
  assert.ok(await outline(), 'the focused radio button shows its focus')
  await page.keyboard.press('Space') // 建议意见
  assert.equal(await page.isChecked('#f-category'), true)
  const steps = [
    ['f-title', '建议在东门社区增设无障碍坡道'],
    ['f-body', '社区服务中心门口只有台阶，轮椅和婴儿车无法通行。'],
    ['f-contact-name', '李四'],
    ['f-contact-phone', '010-62345678'],
    ['f-contact-id-number', ''],
    ['f-contact-address', ''],
    ['f-files', ''],
  ]
  for (const [id, text] of steps) {
    await page.keyboard.press('Tab')
    assert.equal(await focused(), id)
    assert.ok(await outline(), `${id} shows its focus`)
    if (text) await page.keyboard.type(text)
  }
  await page.keyboard.press('Tab')
  assert.equal(await page.evaluate(() => document.activeElement.dataset.test), 'submit')
  assert.ok(await outline(), 'the send button shows its focus')
  await page.keyboard.press('Enter')
  await page.waitForURL('**/receipt')
  await page.waitForSelector('[data-test="receipt-number"]')
  // after the move the focus is at the new page's heading
  assert.equal(await page.evaluate(() => document.activeElement.tagName), 'H1')
  await done(page)
})

test('client checks come first; server 400s are shown on the field they name', async () => {
  const page = await open('/submit/petition')
  await page.waitForSelector('[data-test="submit-form"]')
  // nothing filled in: the summary lists each problem and takes the focus
  await page.click('[data-test="submit"]')
  await page.waitForSelector('.p-errors')
  assert.equal(await page.evaluate(() => document.activeElement.classList.contains('p-errors')), true)
  const summary = await page.locator('.p-errors').innerText()
  for (const label of ['事项类别', '标题', '具体内容', '姓名']) assert.match(summary, new RegExp(label))
  assert.equal(await page.getAttribute('#f-title', 'aria-invalid'), 'true')
  assert.match(await page.getAttribute('#f-title', 'aria-describedby'), /f-title-error/)
  // lengths are counted in characters, as the server counts them
  await page.fill('#f-title', '长'.repeat(201))
  await page.locator('#f-title').blur()
  assert.match(await page.locator('#f-title-error').innerText(), /最多 200 个字，现在是 201 个字/)
  // a link in the summary takes the focus to its field
  await page.click('.p-errors a:has-text("姓名")')
  assert.equal(await page.evaluate(() => document.activeElement.id), 'f-contact-name')

  // The server judges in the end: change the phone on its way out (as an
  // older or changed client would send it) and the server's 400, field
  // "contact.phone", lands on the phone field.
  await fillPetition(page)
  page.allowConsole(/status of 400/)
  await page.route('**/api/public/cases', async (route) => {
    const buf = route.request().postDataBuffer()
    const bad = Buffer.from(buf.toString('latin1').replace('"phone":"13812345678"', '"phone":"1381234567"'), 'latin1')
    await route.continue({ postData: bad })
  })
  await page.click('[data-test="submit"]')
  await page.waitForSelector('#f-contact-phone-error')
  assert.match(await page.locator('#f-contact-phone-error').innerText(), /电话号码格式不对/)
  assert.equal(await page.getAttribute('#f-contact-phone', 'aria-invalid'), 'true')
  assert.match(await page.locator('.p-errors').innerText(), /电话/)
  assert.ok(page.url().endsWith('/submit/petition'), 'stays on the form, with what was typed')
  assert.equal(await page.inputValue('#f-title'), '小区电梯长期故障无人维修')
  await page.unroute('**/api/public/cases')

  // A file whose name says PNG but whose bytes are no allowed type: the
  // server sniffs it and refuses it (415, field files[0]); shown on the files.
  page.allowConsole(/status of 415/)
  await page.setInputFiles('#f-files', { name: 'photo.png', mimeType: 'image/png', buffer: Buffer.from([0, 1, 2, 3, 0xff, 0xfe, 0, 0]) })
  await page.click('[data-test="submit"]')
  await page.waitForSelector('#f-files-error')
  assert.match(await page.locator('#f-files-error').innerText(), /不是允许的类型/)
  assert.equal(await page.locator('#f-contact-phone-error').count(), 0)
  await H.screenshot(page, 'submit-errors')
  await done(page)
})

test('an accusation says who sees it, may name the accused unit and be anonymous; that unit never sees it', async () => {
  const page = await open('/submit/petition')
  await page.waitForSelector('[data-test="submit-form"]')
  assert.equal(await page.locator('[data-test="accusation-box"]').count(), 0)
  await page.check('#f-category-accusation')
  await page.waitForSelector('[data-test="accusation-box"]')
  assert.match(await page.locator('[data-test="accusation-box"]').innerText(), /被检举的单位及其下属单位看不到/)
  await page.waitForSelector('#f-accused-org-id option:has-text("平安区住房和城乡建设局")', { state: 'attached' })
  await page.selectOption('#f-accused-org-id', { label: '平安区住房和城乡建设局' })
  await page.check('#f-anonymous')
  assert.equal(await page.locator('[data-test="contact"]').count(), 0, 'no contact fields when anonymous')
  await page.fill('#f-title', '反映某局工作人员收受好处费')
  await page.fill('#f-body', '该局工作人员在办理施工许可时收取好处费。')
  await H.screenshot(page, 'submit-accusation')
  await page.click('[data-test="submit"]')
  await page.waitForURL('**/receipt')
  const number = (await page.locator('[data-test="receipt-number"]').innerText()).trim()
  const housing = await srv.login('housing')
  await assert.rejects(housing.caseId(number), /does not see/)
  const intake = await srv.login('intake')
  assert.ok(await intake.caseId(number))
  await done(page)
})

test('when the review window passes unused, the case closes and the page stops offering review', async () => {
  // (last: it moves the server's clock)
  const r = await srv.submitPetition({ title: '窗口期测试：路灯不亮' })
  const intake = await srv.login('intake')
  const id = await intake.caseId(r.number)
  await intake.act(id, 'accept')
  await (await srv.login('xfj')).act(id, 'reply', REPLY)
  const page = await open(r.tracking_path)
  await page.waitForSelector('[data-test="review"]')
  await srv.advanceClock(31 * H.DAY)
  const tick = await srv.tick()
  assert.ok(tick.applied >= 1, JSON.stringify(tick))
  await page.reload()
  await page.waitForSelector('[data-test="case-state"]')
  assert.equal(await stateLabel(page), '当前状态：已办结')
  assert.equal(await page.locator('[data-test="review"]').count(), 0)
  assert.equal(await page.locator('[data-test="case-limit"]').count(), 0)
  assert.match(await page.locator('[data-test="case-state"]').innerText(), /本事项已办理完毕/)
  assert.match(await page.locator('[data-test="timeline"]').innerText(), /办结/)
  await done(page)
})
