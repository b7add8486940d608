/**
 * Property tests (fast-check) of everything a client controls: the callback's and login's query,
 * the Cookie header (our cookie names with garbage, chunks, swapped and corrupted sealed values),
 * and the Authorization header. No input may produce a 5xx (except Cognito's own `server_error`
 * relayed by the callback as a 502), crash the process, or be echoed back.
 */
import t from 'tap'
import fc from 'fast-check'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import { buildApp, summaryRoutes } from '../helpers/app.js'
import { startLogin, startRig } from '../helpers/rig.js'
import type { Teardown } from '../helpers/teardown.js'

const alice = { username: 'alice', groups: ['admin'] }
const RUNS = { callback: 2500, login: 1000, returnTo: 300, cookie: 3500, authorization: 3000 }
// A fixed seed keeps CI repeatable; FUZZ_SEED=<n> explores other inputs (a failure prints its seed to replay).
const SEED = Number(process.env.FUZZ_SEED ?? 20261123)
fc.configureGlobal({ seed: SEED })

const crashes: unknown[] = []
const onCrash = (err: unknown): void => { crashes.push(err) }
process.on('unhandledRejection', onCrash)
process.on('uncaughtException', onCrash)
t.teardown(() => {
  process.off('unhandledRejection', onCrash)
  process.off('uncaughtException', onCrash)
})

/** A character Node accepts in a header value (latin1, no control character but tab). */
const headerChar = fc.oneof(
  fc.integer({ min: 0x20, max: 0x7e }),
  fc.integer({ min: 0xa0, max: 0xff }),
  fc.constant(0x09)
).map(code => String.fromCharCode(code))
const headerString = (maxLength: number): fc.Arbitrary<string> => fc.string({ unit: headerChar, maxLength })
const b64url = (maxLength: number): fc.Arbitrary<string> => fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'), maxLength })
/** Replaces one character of `value`. */
const corrupt = (values: string[]): fc.Arbitrary<string> => fc.tuple(fc.constantFrom(...values), fc.nat(), headerChar)
  .map(([value, at, char]) => { const i = at % value.length; return value.slice(0, i) + char + value.slice(i + 1) })
const truncate = (values: string[]): fc.Arbitrary<string> => fc.tuple(fc.constantFrom(...values), fc.nat())
  .map(([value, at]) => value.slice(0, at % value.length))

interface Fixture {
  app: FastifyInstance
  tokens: string[]
  sealed: Record<string, string>
  cookieNames: string[]
  tx: { cookie: string, state: string }
  codeFor (user: typeof alice, nonce: string): string
}

async function setUp (t: Teardown): Promise<Fixture> {
  const rig = await startRig(t)
  // Generous timeouts: a fuzz case that reaches Cognito must not fail because the machine is busy.
  const app = await buildApp(t, rig.options({ timeout: 10_000, jwks: { timeout: 10_000 } }), { routes: summaryRoutes })
  const valid = await rig.mintTokens(alice)
  const expired = await rig.mintTokens({ ...alice, expiresIn: -60 })
  // An ID token with large custom claims is stored in chunks: cognito_id, cognito_id.1, ...
  const big = await rig.mintTokens({ ...alice, claims: { 'custom:blob': 'b'.repeat(5000) } })
  const sealed = {
    ...app.cognito.sealSession({ ...expired, refreshToken: rig.newRefreshToken(alice) }),
    ...app.cognito.sealSession({ ...valid, idToken: big.idToken })
  }
  const login = await startLogin(app)
  const tokens = [valid.accessToken, valid.idToken, expired.accessToken, big.idToken]
  const cookieNames = [...new Set([...Object.keys(sealed), 'cognito_access.1', 'cognito_refresh.1', 'cognito_id.2', login.cookie.split('=')[0] as string])]
  return { app, tokens, sealed, cookieNames, tx: { cookie: login.cookie, state: login.state }, codeFor: rig.codeFor }
}

/** The properties every answer must have, whatever was sent. */
function checkAnswer (res: LightMyRequestResponse, echoes: string[], allow502 = false): void {
  const body = res.body
  if (res.statusCode >= 500) {
    const code = res.statusCode === 502 && allow502 ? (JSON.parse(body) as { code?: string }).code : undefined
    if (code !== 'FST_COGNITO_IDP_ERROR') throw new Error(`answered ${res.statusCode}: ${body.slice(0, 300)}`)
  }
  for (const value of echoes) {
    if (value.length >= 16 && body.includes(value)) throw new Error('a client-supplied value was echoed in the answer')
  }
}

t.test('fuzz', async (t) => {
  t.comment(`fast-check seed ${SEED}`)
  const fx = await setUp(t)
  const { app, sealed, tokens, tx } = fx
  const sealedValues = Object.values(sealed)
  let cases = 0
  const tally = (seen: Map<number, number>, res: LightMyRequestResponse): void => { seen.set(res.statusCode, (seen.get(res.statusCode) ?? 0) + 1) }

  t.test(`callback query: ${RUNS.callback} cases`, async (t) => {
    const scalar = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 80 }),
      fc.constant(tx.state),
      b64url(60),
      fc.constantFrom('server_error', 'temporarily_unavailable', 'access_denied', 'invalid_request', '', '__proto__', 'constructor', '//evil.example', '/\\evil', '%00', '..%2f')
    )
    const value = fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }))
    const key = fc.oneof(fc.constantFrom('state', 'code', 'error', 'error_description', 'returnTo', '__proto__', 'constructor'), fc.string({ maxLength: 12 }))
    const query = fc.dictionary(key, value, { maxKeys: 6 })
    const rawQuery = fc.string({ unit: 'grapheme', maxLength: 200 })
    const seen = new Map<number, number>()
    // Cognito's ?error= is believed only for a login in progress: give the fuzzer that state often enough.
    const answered: fc.Arbitrary<Record<string, string | string[]>> = fc.record({ state: fc.constant(tx.state), error: fc.oneof(scalar, fc.constantFrom('server_error', 'temporarily_unavailable')) }, { requiredKeys: ['state'] })
    await fc.assert(fc.asyncProperty(fc.oneof(query, rawQuery, answered), fc.boolean(), fc.boolean(), async (q, withTx, html) => {
      cases++
      const options: InjectOptions = {
        url: typeof q === 'string' ? `/auth/callback?${q}` : '/auth/callback',
        headers: { ...(withTx ? { cookie: tx.cookie } : {}), ...(html ? { accept: 'text/html' } : {}) }
      }
      if (typeof q !== 'string') options.query = q as Record<string, string>
      const res = await app.inject(options)
      const error = typeof q === 'string' ? new URLSearchParams(q).getAll('error') : [q.error].flat()
      const idpFailure = error.length === 1 && ['server_error', 'temporarily_unavailable'].includes(String(error[0]))
      // Cognito's own error code (letters and underscores) is named in the answer by design; anything else sent must not be.
      const echoes = typeof q === 'string' ? [] : [q.code, q.state, q.error_description].flat().filter((v): v is string => typeof v === 'string' && v !== tx.state && !(error.includes(v) && /^[a-z_]{1,64}$/i.test(v)))
      checkAnswer(res, echoes, idpFailure)
      tally(seen, res)
    }), { numRuns: RUNS.callback })
    t.comment('statuses', Object.fromEntries(seen))
    t.ok(seen.has(400) && seen.has(502), 'refused callbacks and relayed Cognito failures were both reached')
  })

  t.test(`login query: ${RUNS.login} cases`, async (t) => {
    const value = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 60 }), fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 }),
      fc.constantFrom('//evil.example/x', '/\\evil', 'https://evil.example', '/ok?x=1#y', 'Google', 'en-US', 'login', 'none'))
    const query = fc.record({
      returnTo: fc.option(value, { nil: undefined }),
      identity_provider: fc.option(value, { nil: undefined }),
      lang: fc.option(value, { nil: undefined }),
      prompt: fc.option(value, { nil: undefined })
    }, { requiredKeys: [] })
    const seen = new Map<number, number>()
    await fc.assert(fc.asyncProperty(query, async (q) => {
      cases++
      const res = await app.inject({ url: '/login', query: JSON.parse(JSON.stringify(q)) })
      checkAnswer(res, [])
      if (res.statusCode !== 302 && res.statusCode !== 400) throw new Error(`login answered ${res.statusCode}`)
      tally(seen, res)
    }), { numRuns: RUNS.login })
    t.comment('statuses', Object.fromEntries(seen))
    t.ok(seen.has(302) && seen.has(400), 'both accepted and refused logins were reached')
  })

  t.test(`returnTo through a whole login: ${RUNS.returnTo} cases`, async (t) => {
    const prefix = fc.constantFrom('/', '//', '/\\', '\\', '/%2f', '/%2F', '/%5c', '%2f', 'https:', 'javascript:', '/..', '/../', '/./', '/.%2e/', '/\t/', '')
    const returnTo = fc.oneof(
      fc.tuple(prefix, fc.string({ unit: 'grapheme', maxLength: 40 })).map(([p, rest]) => p + rest),
      fc.webUrl(),
      fc.webPath()
    )
    const seen = new Map<number, number>()
    let kept = 0
    await fc.assert(fc.asyncProperty(returnTo, async (target) => {
      cases++
      const login = await app.inject({ url: '/login', query: { returnTo: target } })
      const location = new URL(String(login.headers.location))
      const txCookie = String([login.headers['set-cookie']].flat()[0]).split(';')[0] as string
      const res = await app.inject({
        url: '/auth/callback',
        query: { state: String(location.searchParams.get('state')), code: fx.codeFor(alice, String(location.searchParams.get('nonce'))) },
        headers: { cookie: txCookie }
      })
      checkAnswer(res, [])
      tally(seen, res)
      const back = String(res.headers.location)
      if (res.statusCode !== 302 || !back.startsWith('/') || back.startsWith('//') || back.includes('\\') ||
        new URL(back, 'http://app.invalid').origin !== 'http://app.invalid') {
        throw new Error(`the login came back to ${JSON.stringify(back)} (${res.statusCode})`)
      }
      if (back !== '/') kept++
    }), { numRuns: RUNS.returnTo })
    t.same(Object.fromEntries(seen), { 302: RUNS.returnTo }, 'every login completed with a redirect')
    t.ok(kept > 0, 'some returnTo paths were honoured')
  })

  t.test(`Cookie header: ${RUNS.cookie} cases`, async (t) => {
    const name = fc.oneof(fc.constantFrom(...fx.cookieNames), fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz_.-~0123456789'), minLength: 1, maxLength: 20 }))
    const value = fc.oneof(
      fc.constantFrom(...sealedValues),
      corrupt(sealedValues),
      truncate(sealedValues),
      fc.tuple(fc.integer({ min: 0, max: 12 }), fc.constantFrom(...sealedValues)).map(([n, v]) => `${n}~${v}`),
      fc.tuple(b64url(200), b64url(40)).map(([a, b]) => `${a}.${b}`),
      headerString(120).map(s => s.replace(/;/g, ''))
    )
    const pairs = fc.array(fc.tuple(name, value), { maxLength: 8 }).map(list => list.map(([n, v]) => `${n}=${v}`).join('; '))
    const header = fc.oneof({ weight: 5, arbitrary: pairs }, { weight: 1, arbitrary: headerString(300) })
    const route = fc.constantFrom<InjectOptions>(
      { url: '/me' }, { url: '/admin' }, { url: '/public' }, { method: 'POST', url: '/refresh' }, { url: '/logout' },
      { url: `/auth/callback?state=${tx.state}&code=c0de` }
    )
    const seen = new Map<number, number>()
    await fc.assert(fc.asyncProperty(header, route, fc.boolean(), async (cookie, r, html) => {
      cases++
      const res = await app.inject({ ...r, headers: { cookie, ...(html ? { accept: 'text/html' } : {}) } })
      checkAnswer(res, [])
      tally(seen, res)
    }), { numRuns: RUNS.cookie })
    t.comment('statuses', Object.fromEntries(seen))
    t.ok(seen.has(200) && seen.has(401), 'sessions were both accepted and refused')
  })

  t.test(`Authorization header: ${RUNS.authorization} cases`, async (t) => {
    const jwtPart = fc.oneof(b64url(60), fc.jsonValue().map(v => Buffer.from(JSON.stringify(v)).toString('base64url')))
    const token = fc.oneof(
      fc.constantFrom(...tokens),
      corrupt(tokens),
      truncate(tokens),
      fc.tuple(jwtPart, jwtPart, jwtPart).map(parts => parts.join('.')),
      // A real token with its header replaced (alg none, HS256 with the RSA key, unknown or odd kid).
      fc.tuple(fc.record({ alg: fc.constantFrom('none', 'HS256', 'RS256', 'ES256', 'RS512'), kid: fc.oneof(fc.string(), fc.constant(undefined), fc.integer()) }), fc.constantFrom(...tokens))
        .map(([h, tok]) => [Buffer.from(JSON.stringify(h)).toString('base64url'), ...tok.split('.').slice(1)].join('.')),
      b64url(300)
    )
    const header = fc.oneof(
      token.map(tok => `Bearer ${tok}`),
      fc.tuple(fc.constantFrom('bearer ', 'Bearer  ', 'BEARER ', 'Basic ', 'Bearer', ''), token).map(([scheme, tok]) => `${scheme}${tok}`),
      headerString(200)
    )
    const route = fc.constantFrom('/me', '/admin', '/public')
    const seen = new Map<number, number>()
    await fc.assert(fc.asyncProperty(header, route, async (authorization, url) => {
      cases++
      const res = await app.inject({ url, headers: { authorization } })
      checkAnswer(res, [authorization.replace(/^\S+\s+/, '')].filter(tok => !tokens.includes(tok)))
      if (url !== '/public' && ![200, 401, 403].includes(res.statusCode)) throw new Error(`guard answered ${res.statusCode}`)
      tally(seen, res)
    }), { numRuns: RUNS.authorization })
    t.comment('statuses', Object.fromEntries(seen))
    t.ok(seen.has(200) && seen.has(401), 'bearer tokens were both accepted and refused')
  })

  t.test('totals', async (t) => {
    t.equal(cases, Object.values(RUNS).reduce((a, b) => a + b), `${cases} cases ran`)
    t.ok(cases >= 10_000)
    t.same(crashes, [], 'no unhandled rejection or uncaught exception')
  })
})
