// Micro-benchmark: the per-request work of the warm browser-session guard
// (`requireGroups(['admin'])` with access, ID and refresh cookies a browser already sent before), step
// by step, in microseconds, without HTTP. Run by `npm run bench` (in a child pinned to core 0) or alone:
// `node bench/micro.js` (after `npm run build`); BENCH_QUICK=1 shortens it.
//
// The warm guard does, per request: parse the Cookie header once; open the access cookie and the ID
// cookie (each a lookup in the codec's memory of opened cookies, indexed by the nonce, the whole sealed
// value compared); look both tokens up in the verified-token cache (indexed by the signature, the whole
// token compared), synchronously; build the identity; test the groups. Each step is timed on its
// own through the same functions the guard calls (dist internals, see internals.js), then the whole
// guard through the public API (`app.cognito.requireGroups(['admin'])` called on a request object), so
// the sum of the steps can be compared with the whole. Two steps the warm path does not take are timed
// for reference: opening a cookie seen for the first time (the decryption) and verifying an unseen token.
//
// Method: each step runs in a bounded loop; a first pass sizes the loop to about TARGET_MS, then
// SAMPLES timed passes follow and the fastest is kept (on a shared machine a slower pass is one that was
// interrupted). The warm steps are timed as cumulative pipelines (steps 1..k, each fed the previous
// step's output, sampled in turn) and reported as differences, so every step sees the inputs the guard
// gives it (a cookie value fresh from the parser is a new string that the codec's memory must hash).
// Asynchronous steps are awaited one call at a time, as the guard awaits them; the first step also
// carries the cost of one async call, the pipeline's own wrapper.
import { randomBytes } from 'node:crypto'
import Fastify from 'fastify'
import fastifyCookie from '@fastify/cookie'
import fastifyCognito from '../dist/index.js'
import { createTestPool, sessionCookieHeader } from '../dist/testing/index.js'
import { loadInternals } from './internals.js'

const QUICK = process.env.BENCH_QUICK === '1'
const TARGET_MS = QUICK ? 2 : 5
const SAMPLES = QUICK ? 11 : 41
const MAX_ITERATIONS = 5_000_000

// Results are kept here so that no call can be optimized away.
const sink = { value: undefined }

function passOf (fn, isAsync) {
  return async (n) => {
    const start = process.hrtime.bigint()
    if (isAsync) for (let i = 0; i < n; i++) sink.value = await fn(i)
    else for (let i = 0; i < n; i++) sink.value = fn(i)
    return Number(process.hrtime.bigint() - start)
  }
}

/** Loop size for about TARGET_MS: double until a pass takes a tenth of it, bounded by MAX_ITERATIONS. */
async function size (pass) {
  let n = 64
  let ns = await pass(n)
  while (ns < TARGET_MS * 1e5 && n < MAX_ITERATIONS) {
    n *= 2
    ns = await pass(n)
  }
  return Math.min(MAX_ITERATIONS, Math.max(1, Math.round(n * TARGET_MS * 1e6 / Math.max(ns, 1))))
}

/** µs per call: the fastest of SAMPLES passes (on a shared machine, slower passes were interrupted). */
async function time (fn, isAsync) {
  const pass = passOf(fn, isAsync)
  const n = await size(pass)
  let best = Infinity
  for (let s = 0; s < SAMPLES; s++) best = Math.min(best, await pass(n) / n)
  return best / 1000
}

/** µs per call of each of several functions, sampled in turn (pass 1 of each, pass 2 of each, ...), fastest pass each. */
async function timeTogether (fns) {
  const passes = fns.map(fn => passOf(fn, true))
  const sizes = []
  for (const pass of passes) sizes.push(await size(pass))
  const best = fns.map(() => Infinity)
  for (let s = 0; s < SAMPLES; s++) {
    for (let k = 0; k < passes.length; k++) best[k] = Math.min(best[k], await passes[k](sizes[k]) / sizes[k])
  }
  return best.map(ns => ns / 1000)
}

const pool = await createTestPool()
const pluginOptions = { ...pool.pluginOptions(), redirectToLogin: false }
const app = Fastify({ logger: false })
await app.register(fastifyCognito, pluginOptions)
await app.ready()
const tokens = await pool.mintTokens({ username: 'alice', groups: ['admin', 'editor'], scopes: ['openid', 'email', 'profile'] })
const refreshToken = `eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIiwiYWxnIjoiUlNBLU9BRVAifQ.${randomBytes(1360).toString('base64url')}`
const cookieHeader = sessionCookieHeader(app, { ...tokens, refreshToken })

const steps = []
const notes = [`Cookie header ${cookieHeader.length} bytes; each step timed in ${SAMPLES} passes of about ${TARGET_MS} ms, the fastest pass kept (on a shared machine the slower ones were interrupted).`]
const step = async (label, perRequest, fn, isAsync = false) => {
  steps.push({ label, perRequest, us: await time(fn, isAsync) })
}
const skip = (label, perRequest, reason) => steps.push({ label, perRequest, skipped: reason })

try {
  const internals = await loadInternals()
  for (const message of internals.missing) notes.push(`internal module missing, steps skipped: ${message}`)
  const config = internals.resolveOptions?.(pluginOptions)
  const names = config?.cookie.names ?? {}

  // The warm path as the guard runs it, on the values it gets: each step's input is the previous step's
  // output (a value fresh from the parser is a new string, which the codec's memory must hash again).
  // Timed cumulatively: pipeline k runs steps 1..k; a step's cost is pipeline k minus pipeline k-1.
  const PIPELINE = [
    { label: 'parse the Cookie header (@fastify/cookie parse)', needs: [], run: s => { s.cookies = fastifyCookie.parse(cookieHeader) } },
    { label: 'open the access cookie (remembered: a lookup indexed by its nonce, the whole value compared)', needs: ['codec'], run: s => { s.access = s.codec.open('access', s.cookies[names.access], app.log) } },
    { label: 'open the ID cookie (remembered)', needs: ['codec'], run: s => { s.id = s.codec.open('id', s.cookies[names.id], app.log) } },
    { label: 'verified-token cache lookup: access token (indexed by its signature, the whole token compared)', needs: ['verifier'], run: s => { s.claims = s.verifier.cachedSessionAccessToken(s.access.value) } },
    { label: 'verified-token cache lookup: ID token', needs: ['verifier'], run: s => { s.idClaims = s.verifier.cachedIdToken(s.id.value) } },
    { label: 'build the identity (buildIdentity)', needs: ['verifier', 'buildIdentity'], run: s => { s.identity = internals.buildIdentity('cookie', s.claims, s.idClaims) } },
    // The guard's own test, restated here (guards.ts keeps it inside the guard's closure).
    { label: "group check (requireGroups(['admin']): every required group in identity.groups)", needs: ['verifier', 'buildIdentity'], run: s => { s.ok = REQUIRED.every(g => s.identity.groups.includes(g)) } }
  ]
  const REQUIRED = ['admin']
  const state = {}
  const have = new Set()
  if (config !== undefined && internals.createCodec !== undefined) {
    state.codec = await internals.createCodec(config.codec)
    have.add('codec')
  }
  let jwks
  if (config !== undefined && internals.Verifier !== undefined && internals.JwksCache !== undefined) {
    jwks = new internals.JwksCache({ jwksUri: config.jwksUri, timeout: config.jwks.timeout, cooldown: config.jwks.cooldown, maxAge: config.jwks.maxAge, dispatcher: undefined })
    state.verifier = new internals.Verifier(config, jwks)
    // Warm: both tokens verified once, as a session's first request does (its tokens are cached at once); the steps below are lookups.
    await state.verifier.verifySessionAccessToken(tokens.accessToken)
    await state.verifier.verifyIdToken(tokens.idToken)
    have.add('verifier')
  }
  if (internals.buildIdentity !== undefined) have.add('buildIdentity')
  const usable = []
  for (const s of PIPELINE) {
    const missing = s.needs.filter(n => !have.has(n))
    if (missing.length === 0 && usable.length === PIPELINE.indexOf(s)) usable.push(s)
    else skip(s.label, 1, missing.length > 0 ? `internals missing (${missing.join(', ')})` : 'an earlier step was skipped')
  }
  const runUpTo = async (k) => {
    for (let i = 0; i < k; i++) {
      const out = usable[i].run(state)
      if (out !== undefined) await out
    }
  }
  await runUpTo(usable.length)
  // The cookies the app sealed open with this codec (same secret, same keys); a chunked cookie would not.
  if (have.has('codec') && (state.access === undefined || state.id === undefined)) throw new Error('the session cookies did not open (chunked, or sealed with other keys?)')
  if (usable.length === PIPELINE.length && state.ok !== true) throw new Error('the group check failed on the warm path')
  const totals = await timeTogether(usable.map((_, k) => () => runUpTo(k + 1)))
  totals.forEach((total, k) => steps.push({ label: usable[k].label, perRequest: 1, us: total - (k === 0 ? 0 : totals[k - 1]) }))
  notes.push(`warm steps: differences of cumulative timings (steps 1..k minus steps 1..k-1, sampled in turn), awaited only where the guard awaits; their sum is ${(totals.at(-1) ?? 0).toFixed(3)} µs per request. A difference near zero can come out slightly negative.`)

  // Not on the warm path, for reference: a cookie seen for the first time, a token never verified.
  if (state.codec !== undefined) {
    const fresh = Array.from({ length: 2000 }, () => state.codec.seal('access', tokens.accessToken))
    let failures = 0
    let next = 0
    // One counter across passes: the cookies are opened in turn, each again only after 1999 others.
    await step('(not warm) open a sealed cookie seen for the first time: decrypt (more distinct cookies than the codec remembers)', null, () => {
      const opened = state.codec.open('access', fresh[next++ % fresh.length], app.log)
      if (opened?.value !== tokens.accessToken) failures++
      return opened
    })
    if (failures > 0) notes.push(`opening a first-seen cookie failed ${failures} times: that line is not to be trusted`)
    await state.codec.close()
  }
  if (jwks !== undefined) {
    const uncached = new internals.Verifier({ ...config, tokenCacheSize: 0 }, jwks)
    await step('(not warm) verify an access token not in the cache: RS256 and claim checks', null, () => uncached.verifyAccessToken(tokens.accessToken), true)
    // The engine alone, for comparison: what the line above adds is Cognito's claims, freezing and the cache.
    const { JwtVerifier } = await import('aws-jwt-verify')
    const engine = JwtVerifier.create({ issuer: config.issuers[0], audience: null, jwksUri: config.jwksUri })
    engine.cacheJwks(await (await fetch(config.jwksUri)).json())
    await step('(reference) aws-jwt-verify alone on the same token: verifySync (RS256, iss, exp)', null, () => engine.verifySync(tokens.accessToken))
  }

  // The whole guard, public API, on a request object with the same Cookie header (no HTTP, no routing).
  const guard = app.cognito.requireGroups(['admin'])
  const reply = {}
  const request = (cookie = cookieHeader) => ({ headers: { cookie }, cognito: null, cookies: undefined, method: 'GET', url: '/page', log: app.log })
  const probe = request()
  await guard.call(app, probe, reply)
  if (probe.cognito === null || probe.cognito.idToken === null) throw new Error('the guard did not identify the request object')
  await step("whole guard: app.cognito.requireGroups(['admin']) on a request object", null, () => guard.call(app, request(), reply), true)
  await step('(reference) the request object alone', null, () => request())
  // As over HTTP: the Cookie header is not the string the caches saw (the parser makes a new one per
  // request: here 1,000 copies, 5.7 MB, in turn), and garbage collection is part of the cost. The mean
  // over all calls (not the fastest pass), the median of three runs.
  const copies = Array.from({ length: 1000 }, () => Buffer.from(cookieHeader, 'latin1').toString('latin1'))
  const CALLS = QUICK ? 5000 : 50_000
  const means = []
  for (let run = 0; run < 3; run++) {
    const start = process.hrtime.bigint()
    for (let i = 0; i < CALLS; i++) await guard.call(app, request(copies[i % copies.length]), reply)
    means.push(Number(process.hrtime.bigint() - start) / CALLS / 1000)
  }
  steps.push({ label: 'whole guard, a new copy of the Cookie header per request (as the HTTP parser gives), mean of all calls, garbage collection included', perRequest: null, us: means.sort((a, b) => a - b)[1] })
} finally {
  await app.close()
  await pool.close()
}

if (process.send !== undefined) {
  process.send({ steps, notes })
  process.disconnect()
} else {
  for (const s of steps) {
    const value = s.skipped !== undefined ? `skipped: ${s.skipped}` : `${s.us.toFixed(3)} µs${s.perRequest ? ` × ${s.perRequest} per request` : ''}`
    console.log(`${s.label.padEnd(100)} ${value}`)
  }
  for (const n of notes) console.log(n)
}
