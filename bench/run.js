// `npm run bench` (builds, then `node bench/run.js`): what fastify-cognito's guards cost per request,
// side by side with a bare Fastify app and with the packages a user would pick instead.
//
// Setup
// - Every server under test is a child process of its own (bench/server.js), pinned to core 0 with
//   `taskset -c 0`; the load generator (autocannon's programmatic API, bench/loadgen.js) is one more
//   child, pinned to core 1. This process only orchestrates and is idle while a run is measured.
//   Without `taskset` (or with fewer than 2 cores, or where taskset is refused) everything runs
//   unpinned, and the output says so. All servers listen on 127.0.0.1, port 0: loopback only.
// - Every variant serves the same route, GET /page, answering { ok: true }; guarded variants apply
//   the same group check, `requireGroups(['admin'])` or the peer's equivalent.
// - Tokens come from the package's own test kit (fastify-cognito/testing's createTestPool): Cognito-
//   shaped RS256 access and ID tokens, JWKS served on loopback. One user per connection (user i on
//   connection i, via autocannon's per-connection `setupClient`; see loadgen.js), so 50 connections
//   are 50 users with distinct tokens and distinct session cookies. Browser-session cookies hold the
//   access, ID and refresh tokens (the refresh token an opaque 1.8 kB stand-in for Cognito's JWE),
//   sealed by `sessionCookieHeader` with the same secret the servers use.
// - Cold bearer tokens: a pool of BENCH_COLD_TOKENS distinct access tokens (default 4000; 1500 quick),
//   more than the plugin's verified-token cache (1000, least recently used). Every request takes the
//   next token of the pool in turn, so a token comes back only after all the others: by then at least
//   3000 others were verified (and the plugin's memory of tokens seen once, as large as its cache, has
//   mostly forgotten it). Every request is a verification.
// - The peers verify every request (none of them caches), so they are sent the same stream of unseen
//   tokens as the cold variant: the cold comparison is the same requests on both sides.
// - aws-jwt-verify's CognitoJwtVerifier only accepts Cognito's own issuer
//   (https://cognito-idp.<region>.amazonaws.com/<pool>), so its tokens are minted by the same test
//   pool with that `iss` (about 20 bytes longer); its JWKS cache is hydrated from the pool's JWKS.
//
// Procedure
// - Each variant is checked first (its credentials answer 200; a non-admin's 403; none 401).
// - Warm-up: each server gets BENCH_WARMUP seconds (default 2) of the same load, not measured.
// - Then BENCH_ROUNDS interleaved rounds (default 3): each round runs every variant once, in list order,
//   for BENCH_DURATION seconds (default 5) with BENCH_CONNECTIONS connections (default 50).
// - A variant's ratio is its req/s over the baseline's req/s of the same round; the table shows the
//   median of those per-round ratios (pairing cancels most of the drift of a shared machine), and the
//   median req/s, CPU time and latencies over the rounds.
// - Server CPU per request: utime + stime of the server process from /proc/<pid>/stat (in clock
//   ticks, `getconf CLK_TCK`), read just before and just after the run, over its 2xx responses.
//   "+CPU" is that minus the same round's baseline: what the guard adds to each request.
// - p50/p99: percentiles of every 2xx response time seen by the load generator (see loadgen.js).
// - Noise rule (from /proc/stat, per core, in clock ticks over the run's wall time): a run is "noisy"
//   when processes other than ours ran for more than 10 % of the run on core 0 or on core 1 (a core's
//   user + nice + system time minus what our processes on it used), or when the hypervisor stole more
//   than 5 % of either core. Unpinned, the rule is 10 % of one core across all cores. /proc/loadavg's
//   1-minute load at the start and end of each run is kept in the JSON as supporting evidence only: it
//   lags by a minute and counts our own threads, so it cannot tell whose CPU time it was.
// - The load generator's own CPU share is reported too: near 100 % means the client, not the server,
//   bounded the req/s of that variant, and its ratio understates the server's cost (read "+CPU" then).
//
// Options (environment): BENCH_DURATION (s, default 5), BENCH_ROUNDS (3), BENCH_CONNECTIONS (50),
// BENCH_WARMUP (s, 2), BENCH_COLD_TOKENS (4000), BENCH_MICRO=0 to skip the micro-benchmark,
// BENCH_CALLBACK=0 to skip the callback's own work (callback.js), BENCH_MEMORY=0 to skip memory under a
// million distinct credentials (memory.js, the longest part), and BENCH_QUICK=1: a smoke run (1 s runs,
// 1 round, 0.5 s warm-up, 1500 cold tokens, short micro, 100 logins, 100,000 credentials).
// BENCH_AGAINST=<path of another checkout, built> runs each plugin variant from that build too, in the
// same rounds (`<id>@against`): e.g. `git worktree add /tmp/before main && ln -s "$PWD/node_modules"
// /tmp/before/ && (cd /tmp/before && npm run build)`, then `BENCH_AGAINST=/tmp/before BENCH_ONLY=identify-anon npm run bench`.
// Results: printed, and written to bench/results/latest.json and latest.md (git-ignored).
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Fastify from 'fastify'
import fastifyCognito from '../dist/index.js'
import { createTestPool, sessionCookieHeader } from '../dist/testing/index.js'
import { canPin, CLK_TCK, coreTicks, loadAverage, machineFacts, processTicks } from './proc.js'
import { startRedis } from './redis.js'

const QUICK = process.env.BENCH_QUICK === '1'
function setting (name, fallback) {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got ${raw}`)
  return value
}
const DURATION = setting('BENCH_DURATION', QUICK ? 1 : 5)
const ROUNDS = Math.round(setting('BENCH_ROUNDS', QUICK ? 1 : 3))
const CONNECTIONS = Math.round(setting('BENCH_CONNECTIONS', 50))
const WARMUP = setting('BENCH_WARMUP', QUICK ? 0.5 : 2)
const COLD_TOKENS = Math.round(setting('BENCH_COLD_TOKENS', QUICK ? 1500 : 4000))
const MICRO = process.env.BENCH_MICRO !== '0'
/** BENCH_SERVER_FLAGS='--cpu-prof --cpu-prof-dir=/tmp/p': Node flags for the servers (a profile of each, written when it stops). */
const SERVER_FLAGS = process.env.BENCH_SERVER_FLAGS ? process.env.BENCH_SERVER_FLAGS.split(' ').filter(Boolean) : []
/** BENCH_ONLY=id,id: run these variants (and the baseline, and their @against twins) only, for a quick look at one comparison. */
const ONLY = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',')) : undefined
const TOKEN_CACHE_SIZE = 1000 // the plugin's default `tokenCacheSize`
const OTHER_SHARE = 0.10
const STEAL_SHARE = 0.05
if (COLD_TOKENS <= TOKEN_CACHE_SIZE) throw new Error(`BENCH_COLD_TOKENS must exceed the verified-token cache (${TOKEN_CACHE_SIZE})`)

const here = fileURLToPath(new URL('.', import.meta.url))
const facts = machineFacts()
const PINNED = facts.cores >= 2 && canPin(0) && canPin(1)

// ---------------------------------------------------------------------------------------------
// The variants, in the order each round runs them. `header` says what each request carries:
// null (nothing), or a pool of header values, one per connection or one per request.
// ---------------------------------------------------------------------------------------------
const perConnection = (name, pool) => ({ name, pool, per: 'connection' })
// The peers verify every request (none caches): they get the cold variant's stream of unseen tokens, so
// the cold comparison sends both sides the same requests.
const perRequest = (name, pool) => ({ name, pool, per: 'request' })
const VARIANTS = [
  { id: 'baseline', label: 'bare Fastify, no plugin, no cookies (the baseline)', kind: 'bare', header: null, expect: { none: 200 } },
  { id: 'baseline+cookie', label: 'bare Fastify, same Cookie header as the browser session', kind: 'bare', header: perConnection('cookie', 'cookie'), expect: { allow: 200 } },
  { id: 'baseline+bearer', label: 'bare Fastify, same Authorization header as the bearer variants', kind: 'bare', header: perConnection('authorization', 'bearer'), expect: { allow: 200 } },
  { id: 'hook+bearer', label: 'bare Fastify, an empty async preHandler, same Authorization header (the floor of a guarded route)', kind: 'bare-hook', header: perConnection('authorization', 'bearer'), expect: { allow: 200 } },
  { id: 'hook+cookie', label: 'bare Fastify, an empty async preHandler, same Cookie header (the floor of a guarded route)', kind: 'bare-hook', header: perConnection('cookie', 'cookie'), expect: { allow: 200 } },
  { id: 'bearer-warm', label: 'fastify-cognito requireGroups, bearer, warm (tokens repeat)', kind: 'cognito-groups', header: perConnection('authorization', 'bearer'), expect: { allow: 200, deny: 403, none: 401 }, deny: 'bearer-deny' },
  { id: 'bearer-cold', label: 'fastify-cognito requireGroups, bearer, cold (every token unseen)', kind: 'cognito-groups', header: perRequest('authorization', 'bearer-cold'), expect: { allow: 200, deny: 403, none: 401 }, deny: 'bearer-deny' },
  { id: 'cookie-warm', label: 'fastify-cognito requireGroups, browser session cookies, warm', kind: 'cognito-groups', header: perConnection('cookie', 'cookie'), expect: { allow: 200, deny: 403, none: 401 }, deny: 'cookie-deny' },
  { id: 'identify-anon', label: 'fastify-cognito identify, public page, no cookies', kind: 'cognito-identify', header: null, expect: { none: 200 } },
  { id: 'aws-jwt-verify', label: 'aws-jwt-verify CognitoJwtVerifier (groups), bearer', kind: 'aws-jwt-verify', header: perRequest('authorization', 'bearer-cold-cognito-iss'), expect: { allow: 200, deny: 403, none: 401 }, deny: 'bearer-cognito-iss-deny' },
  { id: 'fastify-jwt+get-jwks', label: '@fastify/jwt + get-jwks, group check, bearer', kind: 'fastify-jwt', header: perRequest('authorization', 'bearer-cold'), expect: { allow: 200, deny: 403, none: 401 }, deny: 'bearer-deny' },
  { id: 'fastify-jwt-jwks', label: 'fastify-jwt-jwks, group check, bearer', kind: 'fastify-jwt-jwks', header: perRequest('authorization', 'bearer-cold'), expect: { allow: 200, deny: 403, none: 401 }, deny: 'bearer-deny' },
  // Session-store mode: the browser sends one session-id cookie; the tokens are in Redis (warm: the local cache).
  { id: 'session-store', label: 'fastify-cognito requireGroups, session store (Redis), warm', kind: 'cognito-groups-store', header: perConnection('cookie', 'cookie-store'), expect: { allow: 200, deny: 403, none: 401 }, deny: 'cookie-store-deny' }
]
const BASELINE = 'baseline'
// BENCH_AGAINST=<another checkout, built>: each plugin variant also runs from that checkout's build, as
// `<id>@against`, in the same rounds: a change measured side by side with the code before it.
const AGAINST = process.env.BENCH_AGAINST
if (AGAINST !== undefined) {
  const script = join(AGAINST, 'bench', 'server.js')
  if (!existsSync(join(AGAINST, 'dist', 'index.js'))) throw new Error(`BENCH_AGAINST: ${AGAINST} has no build (run npm run build there)`)
  for (const variant of VARIANTS.filter(v => v.kind.startsWith('cognito-'))) {
    VARIANTS.push({ ...variant, id: `${variant.id}@against`, label: `${variant.label} [${AGAINST}]`, script })
  }
}

// ---------------------------------------------------------------------------------------------
// Child processes
// ---------------------------------------------------------------------------------------------
function spawnPinned (script, core, nodeFlags = []) {
  const args = PINNED ? ['-c', String(core), process.execPath, ...nodeFlags, script] : [...nodeFlags, script]
  return spawn(PINNED ? 'taskset' : process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
}

function firstMessage (child, what) {
  return new Promise((resolve, reject) => {
    const onExit = code => reject(new Error(`${what} exited (${code}) before answering`))
    child.once('error', reject)
    child.once('exit', onExit)
    child.once('message', (message) => {
      child.off('exit', onExit)
      resolve(message)
    })
  })
}

async function startServer (variant, config) {
  const child = spawnPinned(variant.script ?? `${here}server.js`, 0, SERVER_FLAGS)
  const answer = firstMessage(child, `the ${variant.id} server`)
  child.send({ kind: variant.kind, config })
  const { url, error } = await answer
  if (error !== undefined) throw new Error(`the ${variant.id} server failed to start:\n${error}`)
  child.on('exit', (code) => { if (!stopping) console.error(`the ${variant.id} server exited (${code}) during the benchmark`) })
  return { child, pid: child.pid, url: `${url}/page` }
}

class LoadGenerator {
  #child = spawnPinned(`${here}loadgen.js`, 1)
  #pending = new Map()
  #next = 0

  get pid () { return this.#child.pid }

  async start (pools) {
    const ready = firstMessage(this.#child, 'the load generator')
    this.#child.send({ type: 'pools', pools })
    await ready
    this.#child.on('message', (message) => {
      const pending = this.#pending.get(message.id)
      this.#pending.delete(message.id)
      if (message.error !== undefined) pending?.reject(new Error(message.error))
      else pending?.resolve(message)
    })
    this.#child.on('exit', (code) => {
      for (const { reject } of this.#pending.values()) reject(new Error(`the load generator exited (${code})`))
    })
  }

  run (request) {
    const id = this.#next++
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject })
      this.#child.send({ type: 'run', id, ...request })
    })
  }

  stop () { this.#child.disconnect() }
}

// ---------------------------------------------------------------------------------------------
// Measuring one run
// ---------------------------------------------------------------------------------------------
let stopping = false
const median = values => {
  const list = values.filter(v => v !== null && Number.isFinite(v)).sort((a, b) => a - b)
  if (list.length === 0) return null
  const mid = Math.floor(list.length / 2)
  return list.length % 2 === 1 ? list[mid] : (list[mid - 1] + list[mid]) / 2
}

function snapshot (servers, loadgen) {
  const ticks = {}
  for (const [id, server] of servers) ticks[id] = processTicks(server.pid)
  return { at: process.hrtime.bigint(), ticks, loadgen: processTicks(loadgen.pid), self: processTicks(process.pid), cores: coreTicks(), load: loadAverage() }
}

function delta (a, b) {
  return a === null || b === null || a === undefined || b === undefined ? null : b - a
}

/** Applies the noise rule to the counters read before and after a run (see the header). */
function noise (variantId, before, after, servers) {
  const wall = Number(after.at - before.at) / 1e9 * CLK_TCK
  if (before.cores === null || after.cores === null) return { noisy: null, reasons: ['no /proc/stat'] }
  const ours = { server: delta(before.ticks[variantId], after.ticks[variantId]) ?? 0, loadgen: delta(before.loadgen, after.loadgen) ?? 0, self: delta(before.self, after.self) ?? 0, idle: 0 }
  for (const id of servers.keys()) if (id !== variantId) ours.idle += delta(before.ticks[id], after.ticks[id]) ?? 0
  const busy = core => (after.cores[core]?.busy ?? 0) - (before.cores[core]?.busy ?? 0)
  const steal = core => (after.cores[core]?.steal ?? 0) - (before.cores[core]?.steal ?? 0)
  const reasons = []
  const shares = {}
  if (PINNED) {
    // Our processes on core 0: the server under test and the idle ones; on core 1 the load generator.
    // This process is unpinned and nearly idle: its ticks are taken off both cores (the lenient side).
    shares.otherCore0 = Math.max(0, busy(0) - ours.server - ours.idle - ours.self) / wall
    shares.otherCore1 = Math.max(0, busy(1) - ours.loadgen - ours.self) / wall
    if (shares.otherCore0 > OTHER_SHARE) reasons.push(`others ran ${(shares.otherCore0 * 100).toFixed(0)} % of core 0`)
    if (shares.otherCore1 > OTHER_SHARE) reasons.push(`others ran ${(shares.otherCore1 * 100).toFixed(0)} % of core 1`)
  } else {
    const all = Object.keys(after.cores).reduce((sum, core) => sum + busy(core), 0)
    shares.other = Math.max(0, all - ours.server - ours.idle - ours.loadgen - ours.self) / wall
    if (shares.other > OTHER_SHARE) reasons.push(`others ran ${(shares.other * 100).toFixed(0)} % of a core`)
  }
  for (const core of Object.keys(after.cores)) {
    const share = steal(core) / wall
    if (share > STEAL_SHARE) reasons.push(`${(share * 100).toFixed(0)} % of core ${core} stolen`)
  }
  return { noisy: reasons.length > 0, reasons, ...shares }
}

async function measure (variant, servers, loadgen, duration) {
  const server = servers.get(variant.id)
  const before = snapshot(servers, loadgen)
  const result = await loadgen.run({ url: server.url, duration, connections: CONNECTIONS, header: variant.header })
  const after = snapshot(servers, loadgen)
  const seconds = Number(after.at - before.at) / 1e9
  const serverTicks = delta(before.ticks[variant.id], after.ticks[variant.id])
  const loadgenTicks = delta(before.loadgen, after.loadgen)
  return {
    variant: variant.id,
    rps: result.rps,
    ok: result.ok,
    bad: result.other + result.errors + result.timeouts,
    statuses: result.statuses,
    p50: result.p50,
    p99: result.p99,
    cpuUsPerRequest: serverTicks === null || result.ok === 0 ? null : serverTicks * 1e6 / CLK_TCK / result.ok,
    serverCpuShare: serverTicks === null ? null : serverTicks / CLK_TCK / seconds,
    loadgenCpuShare: loadgenTicks === null ? null : loadgenTicks / CLK_TCK / seconds,
    load1: { start: before.load?.one ?? null, end: after.load?.one ?? null },
    ...noise(variant.id, before, after, servers)
  }
}

// ---------------------------------------------------------------------------------------------
// Tokens and cookies
// ---------------------------------------------------------------------------------------------
/** Cognito's refresh token is an opaque JWE of about 1,850 bytes. */
const opaqueRefreshToken = () => `eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIiwiYWxnIjoiUlNBLU9BRVAifQ.${randomBytes(1360).toString('base64url')}`

async function mintInBatches (count, mint) {
  const out = []
  for (let i = 0; i < count; i += 100) {
    out.push(...await Promise.all(Array.from({ length: Math.min(100, count - i) }, (_, j) => mint(i + j))))
  }
  return out
}

async function makeCredentials (pool, pluginOptions, redis) {
  const cognitoIssuer = `https://cognito-idp.${pool.region}.amazonaws.com/${pool.userPoolId}`
  const admin = i => ({ username: `user-${i}`, groups: ['admin', 'editor'], scopes: ['openid', 'email', 'profile'] })
  const mallory = { username: 'mallory', groups: ['editor'], scopes: ['openid', 'email', 'profile'] }

  const users = await mintInBatches(CONNECTIONS, i => pool.mintTokens(admin(i)))
  const cognitoIss = await mintInBatches(CONNECTIONS, i => pool.mintAccessToken({ ...admin(i), claims: { iss: cognitoIssuer } }))
  const cold = await mintInBatches(COLD_TOKENS, i => pool.mintAccessToken(admin(`cold-${i}`)))
  const coldCognitoIss = await mintInBatches(COLD_TOKENS, i => pool.mintAccessToken({ ...admin(`cold-${i}`), claims: { iss: cognitoIssuer } }))
  const denied = await pool.mintTokens(mallory)
  const deniedCognitoIss = await pool.mintAccessToken({ ...mallory, claims: { iss: cognitoIssuer } })

  // Sealed by an app of our own with the servers' secret, as the two-process test does.
  const sealer = Fastify({ logger: false })
  await sealer.register(fastifyCognito, pluginOptions)
  const cookie = users.map(tokens => sessionCookieHeader(sealer, { ...tokens, refreshToken: opaqueRefreshToken() }))
  const cookieDeny = sessionCookieHeader(sealer, { ...denied, refreshToken: opaqueRefreshToken() })
  await sealer.close()

  // Stored sessions, made by an app with the servers' secret and Redis: their session-id cookies.
  const stored = { 'cookie-store': [], 'cookie-store-deny': [] }
  if (redis !== undefined) {
    const { redisSessionStore } = await import('../dist/redis.js')
    const maker = Fastify({ logger: false })
    await maker.register(fastifyCognito, { ...pluginOptions, sessionStore: redisSessionStore({ client: redis.client }) })
    const header = async tokens => Object.entries(await maker.cognito.sessions.create({ ...tokens, refreshToken: opaqueRefreshToken() })).map(([k, v]) => `${k}=${v}`).join('; ')
    for (const tokens of users) stored['cookie-store'].push(await header(tokens))
    stored['cookie-store-deny'].push(await header(denied))
    await maker.close()
  }

  const bearer = token => `Bearer ${token}`
  return {
    pools: {
      bearer: users.map(u => bearer(u.accessToken)),
      'bearer-cold': cold.map(bearer),
      'bearer-cognito-iss': cognitoIss.map(bearer),
      'bearer-cold-cognito-iss': coldCognitoIss.map(bearer),
      cookie,
      'bearer-deny': [bearer(denied.accessToken)],
      'bearer-cognito-iss-deny': [bearer(deniedCognitoIss)],
      'cookie-deny': [cookieDeny],
      ...stored
    },
    sizes: {
      bearerHeader: bearer(users[0].accessToken).length,
      cookieHeader: cookie[0].length,
      cognitoIssBearerHeader: bearer(cognitoIss[0]).length
    }
  }
}

/** Each variant answers what it should before it is measured: its credentials 200, a non-admin 403, none 401. */
async function check (variant, server, pools) {
  const ask = async (headers) => {
    const res = await fetch(server.url, { headers })
    await res.arrayBuffer()
    return res.status
  }
  const problems = []
  const expect = (what, status, wanted) => { if (status !== wanted) problems.push(`${what}: ${status}, expected ${wanted}`) }
  if (variant.expect.allow !== undefined) expect('credentials', await ask({ [variant.header.name]: pools[variant.header.pool][0] }), variant.expect.allow)
  if (variant.expect.deny !== undefined) expect('non-admin', await ask({ [variant.header.name]: pools[variant.deny][0] }), variant.expect.deny)
  if (variant.expect.none !== undefined) expect('no credentials', await ask({}), variant.expect.none)
  if (problems.length > 0) throw new Error(`${variant.id} misbehaves: ${problems.join('; ')}`)
}

// ---------------------------------------------------------------------------------------------
// The micro-benchmark, in a child pinned to core 0 like the servers
// ---------------------------------------------------------------------------------------------
/** A measuring script (micro.js, callback.js, memory.js) in a child pinned to core 0: its one message, or `{ error }`. */
function runChild (script, nodeFlags = []) {
  const child = spawnPinned(`${here}${script}`, 0, nodeFlags)
  return new Promise((resolve) => {
    let result = null
    child.on('message', (message) => { result = message })
    child.once('exit', code => resolve(result ?? { error: `${script} exited (${code}) without results` }))
    child.once('error', err => resolve({ error: err.message }))
  })
}

function callbackLine (callback) {
  if (callback === null) return '_skipped (BENCH_CALLBACK=0)_'
  if (callback.error !== undefined) return `_failed: ${callback.error}_`
  return `Over ${fmt(callback.logins)} logins, the callback's own work (Cognito's time excluded; \`node bench/callback.js\`): ` +
    `median **${fmt(callback.medianMs, 3)} ms**, p90 ${fmt(callback.p90Ms, 3)} ms, p99 ${fmt(callback.p99Ms, 3)} ms; ${callback.failures} failed.`
}

const signed = (mb) => `${mb >= 0 ? '+' : ''}${fmt(mb, 1)}`

function memoryLine (memory) {
  if (memory === null) return '_skipped (BENCH_MEMORY=0)_'
  if (memory.error !== undefined) return `_failed: ${memory.error}_`
  return `Over ${fmt(memory.requests)} distinct credentials (\`node --expose-gc bench/memory.js\`; ${fmt(memory.allowed)} allowed, ${fmt(memory.refused)} refused): ` +
    `RSS ${fmt(memory.startMb, 1)} MB after the warm-up, at most ${fmt(memory.maxMb, 1)} MB (**${memory.growthMb >= 0 ? '+' : ''}${fmt(memory.growthMb, 1)} MB**), ` +
    `${fmt(memory.endMb, 1)} MB at the end; the second half moved ${memory.secondHalfMb >= 0 ? '+' : ''}${fmt(memory.secondHalfMb, 1)} MB. Samples: ${memory.samplesMb.join(', ')} MB. ` +
    `JS heap in use after a full collection: ${fmt(memory.heapStartMb, 1)} MB after the warm-up, at most ${memory.heapGrowthMb >= 0 ? '+' : ''}${fmt(memory.heapGrowthMb, 1)} MB. ` +
    `The RSS at its highest, against the start: V8's heap as reserved ${signed(memory.split.v8HeapMb)} MB, Buffers ${signed(memory.split.externalMb)} MB, other native memory ${signed(memory.split.otherMb)} MB.`
}

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------
const fmt = (value, digits = 0) => value === null || value === undefined ? 'n/a' : value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
const pct = value => value === null || value === undefined ? 'n/a' : `${Math.round(value * 100)} %`

function summarize (runs) {
  const byRound = new Map()
  for (const run of runs) {
    if (!byRound.has(run.round)) byRound.set(run.round, new Map())
    byRound.get(run.round).set(run.variant, run)
  }
  const rows = []
  for (const variant of VARIANTS) {
    if (variant.skip !== undefined) {
      rows.push({ id: variant.id, label: variant.label, skipped: variant.skip })
      continue
    }
    const mine = runs.filter(r => r.variant === variant.id)
    const paired = mine.map(r => ({ run: r, base: byRound.get(r.round).get(BASELINE) }))
    rows.push({
      id: variant.id,
      label: variant.label,
      rps: median(mine.map(r => r.rps)),
      ratio: median(paired.map(({ run, base }) => run.rps / base.rps)),
      cpuUsPerRequest: median(mine.map(r => r.cpuUsPerRequest)),
      addedCpuUs: median(paired.map(({ run, base }) => run.cpuUsPerRequest === null || base.cpuUsPerRequest === null ? null : run.cpuUsPerRequest - base.cpuUsPerRequest)),
      p50: median(mine.map(r => r.p50)),
      p99: median(mine.map(r => r.p99)),
      loadgenCpuShare: median(mine.map(r => r.loadgenCpuShare)),
      bad: mine.reduce((sum, r) => sum + r.bad, 0),
      noisyRuns: mine.filter(r => r.noisy === true).length,
      runs: mine.length
    })
  }
  return rows
}

function markdownTable (rows) {
  const lines = [
    '| variant | req/s | ratio to baseline | server CPU µs/req | +CPU µs/req vs baseline | p50 ms | p99 ms | load generator CPU | non-2xx + errors | noisy runs |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|'
  ]
  for (const row of rows) {
    if (row.skipped !== undefined) {
      lines.push(`| ${row.id}: ${row.label} | skipped: ${row.skipped} | | | | | | | | |`)
      continue
    }
    const added = row.id === BASELINE ? '0' : (row.addedCpuUs === null ? 'n/a' : `${row.addedCpuUs >= 0 ? '+' : ''}${fmt(row.addedCpuUs, 1)}`)
    lines.push(`| ${row.id}: ${row.label} | ${fmt(row.rps)} | ${fmt(row.ratio, 2)} | ${fmt(row.cpuUsPerRequest, 1)} | ${added} | ${fmt(row.p50, 2)} | ${fmt(row.p99, 2)} | ${pct(row.loadgenCpuShare)} | ${row.bad} | ${row.noisyRuns}/${row.runs} |`)
  }
  return lines.join('\n')
}

/** With BENCH_AGAINST: each variant against its twin from the other build, paired per round. */
function againstTable (runs) {
  if (AGAINST === undefined) return ''
  const lines = ['## Against the other build', '', `Each row: this checkout minus \`${AGAINST}\`, medians of per-round differences (same round, same load).`, '',
    '| variant | server CPU µs/req, difference | req/s ratio | rounds |', '|---|---:|---:|---:|']
  for (const twin of VARIANTS.filter(v => v.id.endsWith('@against') && v.skip === undefined)) {
    const id = twin.id.replace(/@against$/, '')
    const pairs = runs.filter(r => r.variant === id).map(r => ({ mine: r, theirs: runs.find(o => o.round === r.round && o.variant === twin.id) })).filter(p => p.theirs !== undefined)
    const diff = median(pairs.map(({ mine, theirs }) => mine.cpuUsPerRequest === null || theirs.cpuUsPerRequest === null ? null : mine.cpuUsPerRequest - theirs.cpuUsPerRequest))
    lines.push(`| ${id} | ${diff === null ? 'n/a' : `${diff >= 0 ? '+' : ''}${fmt(diff, 1)}`} | ${fmt(median(pairs.map(({ mine, theirs }) => mine.rps / theirs.rps)), 2)} | ${pairs.length} |`)
  }
  return lines.join('\n')
}

function roundsTable (runs) {
  const lines = ['| round | variant | req/s | CPU µs/req | p50 ms | p99 ms | server CPU | load gen CPU | others on core 0 / 1 | load1 start → end | noisy |', '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|']
  for (const r of runs) {
    const others = PINNED ? `${pct(r.otherCore0)} / ${pct(r.otherCore1)}` : `${pct(r.other)} (unpinned)`
    lines.push(`| ${r.round} | ${r.variant} | ${fmt(r.rps)} | ${fmt(r.cpuUsPerRequest, 1)} | ${fmt(r.p50, 2)} | ${fmt(r.p99, 2)} | ${pct(r.serverCpuShare)} | ${pct(r.loadgenCpuShare)} | ${others} | ${fmt(r.load1.start, 2)} → ${fmt(r.load1.end, 2)} | ${r.noisy === true ? `yes: ${r.reasons.join(', ')}` : r.noisy === false ? 'no' : 'unknown'} |`)
  }
  return lines.join('\n')
}

function microTable (micro) {
  if (micro === null) return '_micro-benchmark skipped (BENCH_MICRO=0)_'
  if (micro.error !== undefined) return `_micro-benchmark failed: ${micro.error}_`
  const lines = ['| step of the warm cookie guard | µs per call | calls per request | µs per request |', '|---|---:|---:|---:|']
  for (const step of micro.steps) {
    if (step.skipped !== undefined) lines.push(`| ${step.label} | skipped: ${step.skipped} | | |`)
    else lines.push(`| ${step.label} | ${fmt(step.us, 3)} | ${step.perRequest ?? ''} | ${step.perRequest ? fmt(step.us * step.perRequest, 3) : ''} |`)
  }
  return lines.join('\n') + (micro.notes?.length ? `\n\n${micro.notes.map(n => `- ${n}`).join('\n')}` : '')
}

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------
const started = new Date()
const command = process.env.npm_lifecycle_event === 'bench' ? 'npm run bench' : `node ${process.argv.slice(1).map(a => a.replace(process.cwd() + '/', '')).join(' ')}`
const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith('BENCH_')))
console.error(`fastify-cognito bench: ${facts.cpuModel}, ${facts.cores} cores, node ${facts.node}; ` +
  (PINNED ? 'servers pinned to core 0, load generator to core 1 (taskset)' : 'NOT PINNED: taskset is missing, refused, or there are fewer than 2 cores; servers and load generator share the cores') +
  `; ${CONNECTIONS} connections, warm-up ${WARMUP} s, ${ROUNDS} round(s) of ${DURATION} s${QUICK ? ' (BENCH_QUICK smoke run)' : ''}`)

const pool = await createTestPool()
const pluginOptions = { ...pool.pluginOptions(), redirectToLogin: false }
const servers = new Map()
let loadgen
let redis
let failed = false
function stopServers () {
  stopping = true
  for (const server of servers.values()) server.child.disconnect()
  servers.clear()
}
try {
  console.error(`minting ${CONNECTIONS} users' tokens and ${COLD_TOKENS} cold tokens...`)
  redis = await startRedis()
  if (redis === undefined) VARIANTS.find(v => v.id === 'session-store').skip = 'redis-server is not installed (apt-get install redis-server)'
  if (ONLY !== undefined) for (const variant of VARIANTS) if (variant.id !== BASELINE && !ONLY.has(variant.id.replace(/@against$/, ''))) variant.skip ??= 'not in BENCH_ONLY'
  const { pools, sizes } = await makeCredentials(pool, pluginOptions, redis)
  const jwks = await (await fetch(pool.jwksUri)).json()
  const config = { pluginOptions, userPoolId: pool.userPoolId, clientId: pool.clientId, issuer: pool.issuer, jwksUri: pool.jwksUri, jwks, redisPort: redis?.port }

  const active = VARIANTS.filter(v => v.skip === undefined)
  for (const variant of VARIANTS) if (variant.skip !== undefined) console.error(`skipping ${variant.id}: ${variant.skip}`)
  for (const variant of active) servers.set(variant.id, await startServer(variant, config))
  for (const variant of active) await check(variant, servers.get(variant.id), pools)
  loadgen = new LoadGenerator()
  await loadgen.start(pools)

  for (const variant of active) {
    const warm = await measure(variant, servers, loadgen, WARMUP)
    console.error(`warm-up ${variant.id}: ${fmt(warm.rps)} req/s`)
  }
  const runs = []
  for (let round = 1; round <= ROUNDS; round++) {
    for (const variant of active) {
      const run = { round, ...await measure(variant, servers, loadgen, DURATION) }
      runs.push(run)
      console.error(`round ${round} ${variant.id}: ${fmt(run.rps)} req/s, ${fmt(run.cpuUsPerRequest, 1)} µs CPU/req, p99 ${fmt(run.p99, 2)} ms` +
        `${run.bad ? `, ${run.bad} non-2xx/errors ${JSON.stringify(run.statuses)}` : ''}${run.noisy ? ` [noisy: ${run.reasons.join(', ')}]` : ''}`)
    }
  }
  stopServers()

  let micro = null
  if (MICRO) {
    console.error('micro-benchmark of the warm cookie guard...')
    micro = await runChild('micro.js')
  }
  let callback = null
  if (process.env.BENCH_CALLBACK !== '0') {
    console.error('the callback\'s own work...')
    callback = await runChild('callback.js')
  }
  let memory = null
  if (process.env.BENCH_MEMORY !== '0') {
    console.error('memory under distinct credentials...')
    memory = await runChild('memory.js', ['--expose-gc'])
  }

  const rows = summarize(runs)
  failed = rows.some(r => r.bad > 0)
  const noisy = runs.filter(r => r.noisy === true).length
  const setup = [
    `- date: ${started.toISOString()}; command: \`${command}\`${Object.keys(env).length ? ` (${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ')})` : ''}`,
    `- machine: ${facts.cpuModel}, ${facts.cores} cores, ${facts.platform}, node ${facts.node}, CLK_TCK ${CLK_TCK}`,
    `- pinning: ${PINNED ? 'each server on core 0, the load generator on core 1 (`taskset -c`)' : '**none** (taskset missing or refused, or fewer than 2 cores): the numbers mix server and client CPU'}`,
    `- load: ${CONNECTIONS} connections (one user each), warm-up ${WARMUP} s per server, ${ROUNDS} interleaved round(s) of ${DURATION} s per variant; ${COLD_TOKENS} cold tokens (cache holds ${TOKEN_CACHE_SIZE})`,
    `- headers: bearer ${sizes.bearerHeader} B (aws-jwt-verify's, Cognito issuer: ${sizes.cognitoIssBearerHeader} B), Cookie ${sizes.cookieHeader} B (access, ID and refresh cookies, sealed)`,
    `- noise: ${noisy} of ${runs.length} measured runs noisy (others > ${OTHER_SHARE * 100} % of a core we use, or steal > ${STEAL_SHARE * 100} %, from /proc/stat)`
  ].join('\n')
  const md = [
    '# fastify-cognito benchmark', '', setup, '',
    'Medians over the rounds; "ratio" is the median of per-round ratios to that round\'s baseline req/s; "+CPU" the median of per-round differences of server CPU µs per request to the baseline\'s.', '',
    markdownTable(rows), '',
    ...(AGAINST === undefined ? [] : [againstTable(runs), '']),
    '## Micro-benchmark: the warm browser-session guard, step by step', '', microTable(micro), '',
    '## The callback', '', callbackLine(callback), '',
    '## Memory', '', memoryLine(memory), '',
    '## Every measured run', '', roundsTable(runs), ''
  ].join('\n')
  console.log(`\n${setup}\n\n${markdownTable(rows)}\n\n${AGAINST === undefined ? '' : `${againstTable(runs)}\n\n`}${microTable(micro)}\n\n${callbackLine(callback)}\n\n${memoryLine(memory)}\n`)

  const results = new URL('./results/', import.meta.url)
  await mkdir(results, { recursive: true })
  const json = {
    date: started.toISOString(),
    command,
    env,
    machine: { ...facts, pinned: PINNED },
    settings: { duration: DURATION, rounds: ROUNDS, connections: CONNECTIONS, warmup: WARMUP, coldTokens: COLD_TOKENS, quick: QUICK, noiseRule: { otherShare: OTHER_SHARE, stealShare: STEAL_SHARE } },
    headerSizes: sizes,
    variants: VARIANTS.map(({ id, label, kind, skip }) => ({ id, label, kind, skip })),
    summary: rows,
    runs,
    micro,
    callback,
    memory
  }
  await writeFile(new URL('latest.json', results), JSON.stringify(json, null, 2) + '\n')
  await writeFile(new URL('latest.md', results), md)
  console.error('written: bench/results/latest.json, bench/results/latest.md')
} finally {
  stopServers()
  loadgen?.stop()
  redis?.stop()
  await pool.close()
}
if (failed) {
  console.error('some requests failed (non-2xx or errors): see the table')
  process.exitCode = 1
}
