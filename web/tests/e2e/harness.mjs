// harness.mjs — shared by the browser tests (tests/e2e/*.test.mjs) and the
// web benchmark (bench/perf.mjs).
//
//   const srv = await startServer()          // real `pingan serve`, fresh demo data
//   const browser = await launchBrowser()    // Debian's chromium, headless
//   const page = await newPage(browser, { viewport: { width: 390, height: 800 } })
//   await page.goto(srv.base + '/')
//   await screenshot(page, 'home')           // web/test-results/screenshots/home.png
//   const intake = await srv.login('intake') // cookie + CSRF token, fetch-based
//   await intake.act(await intake.caseId(number), 'accept')
//   assertClean(page)                        // no dialog, console error or page error
//   await browser.close(); await srv.stop()  // SIGTERM; exit status 0 asserted
//
// Environment: PINGAN_BIN (the binary; default <repo>/build/pingan),
// PINGAN_SOURCE_DIR (the repo; default three levels up from here),
// PINGAN_WEB_DIR (the built web app; default <repo>/web/dist),
// CHROMIUM (default /usr/bin/chromium), PINGAN_KEEP_TMP=1 keeps the data
// directory. Every other inherited PINGAN_* variable is dropped, so a
// developer's shell cannot change what the tests see.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, mkdirSync, rmSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createInterface } from 'node:readline'
import zlib from 'node:zlib'

const here = dirname(fileURLToPath(import.meta.url))
export const SOURCE_DIR = resolve(process.env.PINGAN_SOURCE_DIR || join(here, '..', '..', '..'))
export const WEB_ROOT = join(SOURCE_DIR, 'web')
export const PINGAN_BIN = resolve(process.env.PINGAN_BIN || join(SOURCE_DIR, 'build', 'pingan'))
export const WEB_DIR = resolve(process.env.PINGAN_WEB_DIR || join(WEB_ROOT, 'dist'))
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium'
export const SCREENSHOT_DIR = join(WEB_ROOT, 'test-results', 'screenshots')

export const ADMIN_PASSWORD = 'Admin-Pass-2026'
export const DEMO_PASSWORD = 'Demo-Pass-2026'
export const DAY = 86400

// The server's settings for the browser tests: no per-address public limit
// (every request comes from 127.0.0.1), the wrong-code limiter as high as
// it goes (it cannot be off), and the timer only when a test ticks it.
export const DEFAULT_SERVE_ENV = {
  PINGAN_RATE_PUBLIC_PER_MINUTE: '0',
  PINGAN_RATE_QUERY_CODE_PER_MINUTE: '1000',
  PINGAN_TIMER_INTERVAL_SECONDS: '3600',
  PINGAN_LOG_LEVEL: 'warn',
}

const LISTEN_RE = /listening on http:\/\/127\.0\.0\.1:(\d+)/

function cleanEnv(extra = {}) {
  const env = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PINGAN_')) env[k] = v
  for (const [k, v] of Object.entries(extra)) {
    if (v === null || v === undefined) delete env[k]
    else env[k] = String(v)
  }
  return env
}

/**
 * Starts `pingan serve` over a fresh `pingan init --demo` data directory.
 * Resolves to a Server: { base, port, data, stop(), login(), public, ... }.
 */
export async function startServer({ env = {}, demo = true } = {}) {
  if (!existsSync(PINGAN_BIN)) throw new Error(`pingan binary not found at ${PINGAN_BIN} (set PINGAN_BIN or build first)`)
  if (!existsSync(join(WEB_DIR, 'index.html'))) throw new Error(`no built web app in ${WEB_DIR}: run npm run build first`)
  const tmp = mkdtempSync(join(tmpdir(), 'pingan-web-'))
  const data = join(tmp, 'data')
  const init = spawnSync(PINGAN_BIN, ['init', '--data', data, ...(demo ? ['--demo'] : [])], {
    env: cleanEnv({ PINGAN_ADMIN_PASSWORD: ADMIN_PASSWORD, PINGAN_DEMO_PASSWORD: DEMO_PASSWORD }),
    encoding: 'utf8',
    timeout: 60000,
  })
  if (init.status !== 0) {
    rmSync(tmp, { recursive: true, force: true })
    throw new Error(`pingan init failed (${init.status}):\n${init.stdout}\n${init.stderr}`)
  }
  const proc = spawn(PINGAN_BIN, ['serve', '--data', data, '--listen', '127.0.0.1:0', '--test-clock'], {
    env: cleanEnv({ ...DEFAULT_SERVE_ENV, PINGAN_WEB_DIR: WEB_DIR, ...env }),
    cwd: tmp,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  proc.stderr.on('data', (b) => {
    stderr += b.toString()
    if (stderr.length > 200000) stderr = stderr.slice(-100000)
  })
  const port = await new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`pingan serve did not report its port within 10 s\n${stderr}`)), 10000)
    const rl = createInterface({ input: proc.stdout })
    rl.on('line', (line) => {
      const m = LISTEN_RE.exec(line)
      if (m) {
        clearTimeout(timer)
        res(Number(m[1]))
      }
    })
    proc.on('exit', (code) => {
      clearTimeout(timer)
      rej(new Error(`pingan serve exited (${code}) before listening\n${stderr}`))
    })
  })
  return new Server(proc, port, tmp, data, () => stderr)
}

export class Server {
  constructor(proc, port, tmp, data, stderr) {
    this.proc = proc
    this.port = port
    this.tmp = tmp
    this.data = data
    this.stderr = stderr
    this.base = `http://127.0.0.1:${port}`
  }

  /** SIGTERM; resolves to the exit status and throws unless it is 0. */
  async stop({ check = true } = {}) {
    if (!this.proc) return null
    const proc = this.proc
    this.proc = null
    const code = await new Promise((res) => {
      if (proc.exitCode !== null) return res(proc.exitCode)
      const kill = setTimeout(() => proc.kill('SIGKILL'), 30000)
      proc.once('exit', (c, sig) => {
        clearTimeout(kill)
        res(c === null ? sig : c)
      })
      proc.kill('SIGTERM')
    })
    if (!process.env.PINGAN_KEEP_TMP) rmSync(this.tmp, { recursive: true, force: true })
    if (check && code !== 0) throw new Error(`pingan serve exited ${code} after SIGTERM\n${this.stderr().slice(-4000)}`)
    return code
  }

  /** A fetch to the server; JSON bodies in and out. Returns { status, headers, data }. */
  async request(method, path, { body, headers = {}, cookie, csrf, lang } = {}) {
    const h = { Accept: 'application/json', ...headers }
    let payload
    if (body instanceof FormData) payload = body
    else if (body !== undefined) {
      h['Content-Type'] = 'application/json'
      payload = JSON.stringify(body)
    }
    if (lang) h['Accept-Language'] = lang
    if (cookie) h.Cookie = cookie
    if (csrf && method !== 'GET') h['X-CSRF-Token'] = csrf
    const res = await fetch(this.base + path, { method, headers: h, body: payload })
    const type = res.headers.get('content-type') || ''
    const data = type.includes('json') ? await res.json() : Buffer.from(await res.arrayBuffer())
    return { status: res.status, headers: res.headers, data }
  }

  /** Like request, but throws unless the status is `expect`. */
  async call(method, path, opts = {}, expect = 200) {
    const r = await this.request(method, path, opts)
    if (expect !== null && r.status !== expect) {
      throw new Error(`${method} ${path} -> ${r.status} (expected ${expect}): ${JSON.stringify(r.data)}`)
    }
    return r
  }

  /** Logs a staff member in (demo passwords); returns a Staff client. */
  async login(username, password) {
    const pw = password || (username === 'admin' ? ADMIN_PASSWORD : DEMO_PASSWORD)
    const r = await this.call('POST', '/api/v1/session', { body: { username, password: pw } })
    const set = r.headers.get('set-cookie') || ''
    const m = /pingan_session=([^;]+)/.exec(set)
    if (!m) throw new Error(`login ${username}: no session cookie in ${set}`)
    return new Staff(this, username, `pingan_session=${m[1]}`, r.data.csrf_token, r.data.user)
  }

  /** POST /api/test/clock {"advance_seconds": N}: moves the server's clock. */
  async advanceClock(seconds) {
    return (await this.call('POST', '/api/test/clock', { body: { advance_seconds: Math.trunc(seconds) } })).data
  }

  /** POST /api/test/tick: one timer pass now. */
  async tick() {
    return (await this.call('POST', '/api/test/tick', { body: {} })).data
  }

  /** A public submission (JSON); resolves to the receipt { number, query_code, ... }. */
  async submitPetition(fields = {}, { expect = 201, lang } = {}) {
    const body = {
      type: 'petition',
      category: 'grievance',
      title: '小区电梯长期故障无人维修',
      body: '该问题已持续三个月，多次向物业反映未果，恳请有关部门调查处理。',
      contact: { name: '张三', phone: '13812345678', address: '平安区东门社区1号' },
      ...fields,
    }
    return (await this.call('POST', '/api/public/cases', { body, lang }, expect)).data
  }

  /** GET /api/public/cases/{number}?code= as the public. */
  async track(number, code, lang) {
    return (await this.call('GET', `/api/public/cases/${encodeURIComponent(number)}?code=${encodeURIComponent(code)}`, { lang })).data
  }
}

export class Staff {
  constructor(server, username, cookie, csrf, user) {
    Object.assign(this, { server, username, cookie, csrf, user })
  }

  request(method, path, opts = {}) {
    return this.server.request(method, path, { ...opts, cookie: this.cookie, csrf: this.csrf })
  }

  async call(method, path, opts = {}, expect = 200) {
    return this.server.call(method, path, { ...opts, cookie: this.cookie, csrf: this.csrf }, expect)
  }

  /** The id of the case with this number among those this user sees (any state). */
  async caseId(number) {
    let cursor = ''
    for (;;) {
      const q = `/api/v1/cases?open=any&limit=200${cursor ? '&cursor=' + encodeURIComponent(cursor) : ''}`
      const r = await this.call('GET', q)
      const hit = r.data.items.find((c) => c.number === number)
      if (hit) return hit.id
      if (!r.data.next_cursor) throw new Error(`${this.username} does not see case ${number}`)
      cursor = r.data.next_cursor
    }
  }

  /** POST /api/v1/cases/{id}/actions/{action} with { fields }. */
  async act(id, action, fields, expect = 200) {
    const body = fields ? { fields } : {}
    return (await this.call('POST', `/api/v1/cases/${id}/actions/${action}`, { body }, expect)).data
  }
}

// ---------------------------------------------------------------------------
// Browser
// ---------------------------------------------------------------------------

let chromium = null

/** Waits (up to timeoutMs) for the chromium binary, e.g. while apt installs it. */
export async function waitForChromium(timeoutMs = 15 * 60 * 1000) {
  const end = Date.now() + timeoutMs
  while (!existsSync(CHROMIUM)) {
    if (Date.now() > end) throw new Error(`${CHROMIUM} does not exist (apt-get install chromium)`)
    await new Promise((r) => setTimeout(r, 2000))
  }
}

/** Debian's chromium, headless, through playwright-core. */
export async function launchBrowser() {
  await waitForChromium()
  if (!chromium) ({ chromium } = await import('playwright-core'))
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
}

/**
 * A new page in a fresh context (no cache, no cookies), watched: any
 * dialog (alert/confirm/prompt — an XSS would fire one), console error or
 * uncaught page error is recorded in page.problems and fails assertClean.
 * page.allowConsole(re) accepts console errors matching re (e.g. the
 * browser's own "Failed to load resource: … 404" when a test looks up a
 * wrong code on purpose).
 */
export async function newPage(browser, { viewport = { width: 390, height: 844 }, locale = 'zh-CN', ...ctx } = {}) {
  const context = await browser.newContext({ viewport, locale, ...ctx })
  const page = await context.newPage()
  page.problems = []
  const allowed = []
  page.allowConsole = (re) => allowed.push(re)
  page.on('dialog', async (d) => {
    page.problems.push(`dialog (${d.type()}): ${d.message()}`)
    await d.dismiss().catch(() => {})
  })
  page.on('console', (m) => {
    if (m.type() !== 'error') return
    const text = m.text()
    const where = (m.location() && m.location().url) || ''
    // the browser asks for /favicon.ico by itself; the app has none
    if (/\/favicon\.ico$/.test(where)) return
    if (!allowed.some((re) => re.test(text))) page.problems.push(`console error: ${text}${where ? ' (' + where + ')' : ''}`)
  })
  page.on('pageerror', (e) => page.problems.push(`page error: ${e.message}`))
  return page
}

/** Throws when the page saw a dialog, a console error or a page error. */
export function assertClean(page) {
  if (page.problems.length) throw new Error('the page reported problems:\n' + page.problems.join('\n'))
}

/**
 * Opens an Element Plus select (`select`: a locator of the el-select) and
 * returns the locator of its own list of options, found through its
 * combobox's aria-controls — never "the visible dropdown", which under load
 * can be two (one still fading out, one opening).
 */
export async function openSelect(page, select) {
  const box = select.locator('[role=combobox]').first()
  const id = await box.getAttribute('aria-controls')
  const list = page.locator(`[id="${id}"]`)
  await select.click()
  await list.waitFor({ state: 'visible' })
  return list
}

/**
 * Picks the option `label` (exact) of an Element Plus select, then waits until
 * its dropdown is closed and its fade-out has ended (display: none), so the
 * next click cannot land on it. Waits for states, never for a time.
 */
export async function chooseOption(page, select, label) {
  const list = await openSelect(page, select)
  await list.getByRole('option', { name: label, exact: true }).click()
  await closedSelect(page, list)
}

/** Waits until the dropdown holding `list` is hidden (after its transition). */
export async function closedSelect(page, list) {
  const id = await list.getAttribute('id')
  await page.waitForFunction((x) => {
    const el = document.getElementById(x)
    const popper = el && el.closest('.el-popper')
    return !popper || getComputedStyle(popper).display === 'none'
  }, id)
}

/** Saves web/test-results/screenshots/<name>.png (the whole page). */
export async function screenshot(page, name) {
  mkdirSync(SCREENSHOT_DIR, { recursive: true })
  const path = join(SCREENSHOT_DIR, `${name}.png`)
  await page.screenshot({ path, fullPage: true })
  return path
}

/** True when the page is wider than its viewport (horizontal scrolling). */
export async function hasHorizontalScroll(page) {
  return page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth + 0.5)
}

/** A valid 1×1 PNG (built here: nothing binary is kept in the repo). */
export function tinyPng() {
  const chunk = (kind, payload) => {
    const len = Buffer.alloc(4)
    len.writeUInt32BE(payload.length)
    const body = Buffer.concat([Buffer.from(kind, 'latin1'), payload])
    const crc = Buffer.alloc(4)
    crc.writeUInt32BE(zlib.crc32(body) >>> 0)
    return Buffer.concat([len, body, crc])
  }
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(1, 0)
  ihdr.writeUInt32BE(1, 4)
  ihdr.set([8, 6, 0, 0, 0], 8)
  const idat = zlib.deflateSync(Buffer.from([0, 0xff, 0, 0, 0xff]))
  return Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))])
}

/** Reads a built file of the web app (for size checks). */
export function readDist(rel) {
  return readFileSync(join(WEB_DIR, rel))
}
