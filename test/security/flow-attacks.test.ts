/**
 * Attacks on the login, refresh and logout flows (RFC 9700 §4: CSRF and mix-up on the callback,
 * code replay, open redirectors, cross-site state changes), run through the real routes with a
 * token endpoint that answers like Cognito with tokens of a test pool.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import t from 'tap'
import Fastify from 'fastify'
import type { LightMyRequestResponse } from 'fastify'
import fastifyCognito from '../../lib/index.js'
import { createTestPool } from '../../lib/testing/index.js'
import { startFaultyIdp } from '../helpers/faulty-idp.js'
import { CookieJar, setCookies } from '../helpers/cookies.js'

const pool = await createTestPool()
t.teardown(() => pool.close())
const idp = await startFaultyIdp({ poolId: pool.userPoolId })
t.teardown(() => idp.close())

/** What the hosted UI would have bound to each code it issued. */
interface Grant { nonce: string | undefined, used: boolean }
const grants = new Map<string, Grant>()
const refreshTokens = new Set<string>()

idp.onToken(async (form) => {
  if (form.get('grant_type') === 'refresh_token') {
    if (!refreshTokens.has(form.get('refresh_token') ?? '')) return { status: 400, json: { error: 'invalid_grant' } }
    const { accessToken, idToken } = await pool.mintTokens({ username: 'alice' })
    return { json: { access_token: accessToken, id_token: idToken, token_type: 'Bearer', expires_in: 3600 } }
  }
  // Cognito: a code is single use; a second redemption is invalid_grant.
  const grant = grants.get(form.get('code') ?? '')
  if (grant === undefined || grant.used) return { status: 400, json: { error: 'invalid_grant' } }
  grant.used = true
  const { accessToken, idToken } = await pool.mintTokens({ username: 'alice', groups: ['admin'], claims: { nonce: grant.nonce } })
  const refreshToken = `rt-${randomUUID()}`
  refreshTokens.add(refreshToken)
  return { json: { access_token: accessToken, id_token: idToken, refresh_token: refreshToken, token_type: 'Bearer', expires_in: 3600 } }
})

const APP_ORIGIN = 'http://localhost'
const CALLBACK = '/auth/callback'
const SESSION_COOKIES = ['cognito_access', 'cognito_id', 'cognito_refresh']

const app = Fastify()
await app.register(fastifyCognito, { ...pool.pluginOptions(), domain: idp.url })
app.get('/me', { preHandler: app.cognito.authenticate }, async (request) => ({ sub: request.cognito?.sub }))
await app.ready()
t.teardown(() => app.close())

async function get (jar: CookieJar, url: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  const cookie = jar.header(url)
  const res = await app.inject({ url, headers: { ...headers, ...(cookie === undefined ? {} : { cookie }) } })
  jar.store(res)
  return res
}

/** Starts a login in this browser; returns what the hosted UI receives. */
async function startLogin (jar: CookieJar, returnTo?: string): Promise<{ state: string, nonce: string }> {
  const res = await get(jar, returnTo === undefined ? '/login' : `/login?${new URLSearchParams({ returnTo })}`)
  if (res.statusCode !== 302) throw new Error(`login answered ${res.statusCode}`)
  const authorize = new URL(res.headers.location as string)
  return { state: authorize.searchParams.get('state') as string, nonce: authorize.searchParams.get('nonce') as string }
}

/** The hosted UI signs the user in and issues a code bound to `nonce`. */
function issueCode (nonce: string | undefined): string {
  const code = randomUUID()
  grants.set(code, { nonce, used: false })
  return code
}

/** The `t` of a subtest (the last overload of `t.test` takes only the callback). */
type Tap = Parameters<Parameters<typeof t.test>[0]>[0]

const callbackUrl = (query: Record<string, string>): string => `${CALLBACK}?${new URLSearchParams(query)}`

function assertRefusedWithoutSession (t: Tap, res: LightMyRequestResponse, status: number, code: string): void {
  t.equal(res.statusCode, status, `status ${status}`)
  t.equal(res.json().code, code, code)
  t.notOk(res.headers.location, 'no redirect')
  t.same(Object.keys(setCookies(res)).filter(name => SESSION_COOKIES.includes(name)), [], 'no session cookie set')
}

t.test('a full login works (control): the callback sets the session and redirects', async (t) => {
  const jar = new CookieJar()
  const { state, nonce } = await startLogin(jar, '/reports?year=2025')
  const res = await get(jar, callbackUrl({ code: issueCode(nonce), state }))
  t.equal(res.statusCode, 302)
  t.equal(res.headers.location, '/reports?year=2025')
  t.same(Object.keys(setCookies(res)).sort(), [...SESSION_COOKIES].sort())
  t.equal((await get(jar, '/me')).statusCode, 200)
})

t.test('a forged callback (a code and a state with no login transaction) is refused before any code exchange', async (t) => {
  const before = idp.counts.token
  for (const [label, query] of [
    ['a well-formed random state', { code: issueCode('n'), state: randomBytes(32).toString('base64url') }],
    ['no state', { code: issueCode('n') }],
    ['a state of the wrong shape', { code: issueCode('n'), state: '../../x' }],
    ['a state given twice', { code: issueCode('n'), state: 'a' }]
  ] as const) {
    const url = label === 'a state given twice' ? `${callbackUrl(query)}&state=b` : callbackUrl(query)
    const res = await get(new CookieJar(), url)
    t.test(label, async (t) => assertRefusedWithoutSession(t, res, 400, 'FST_COGNITO_LOGIN_TRANSACTION'))
  }
  t.equal(idp.counts.token, before, 'the token endpoint was never called')
})

t.test('a replayed callback after a successful login is refused', async (t) => {
  const jar = new CookieJar()
  const { state, nonce } = await startLogin(jar)
  const url = callbackUrl({ code: issueCode(nonce), state })
  const captured = jar.clone()
  t.equal((await get(jar, url)).statusCode, 302, 'the first callback logs in')
  t.notOk(jar.names().some(n => n === 'cognito_tx'), 'the transaction cookie was cleared')

  const before = idp.counts.token
  const replay = await get(jar.clone(), url)
  assertRefusedWithoutSession(t, replay, 400, 'FST_COGNITO_LOGIN_TRANSACTION')
  t.equal(idp.counts.token, before, 'the same browser replaying: no code exchange')

  // An attacker who captured the request with its transaction cookie: Cognito refuses the spent code.
  const stolen = await get(captured, url)
  assertRefusedWithoutSession(t, stolen, 400, 'FST_COGNITO_CODE_REJECTED')
})

t.test('a state from another browser\'s login is refused (login CSRF)', async (t) => {
  const victim = new CookieJar()
  const attacker = new CookieJar()
  const a = await startLogin(attacker)
  await startLogin(victim)
  const attackerCode = issueCode(a.nonce)
  const before = idp.counts.token

  // The attacker's callback URL opened in the victim's browser: the victim has no transaction for it.
  const res = await get(victim, callbackUrl({ code: attackerCode, state: a.state }))
  assertRefusedWithoutSession(t, res, 400, 'FST_COGNITO_LOGIN_TRANSACTION')

  t.equal(idp.counts.token, before, 'the token endpoint was never called')

  // The attacker's own browser can still finish its login: the attempt spent nothing of it.
  t.equal((await get(attacker, callbackUrl({ code: attackerCode, state: a.state }))).statusCode, 302)
})

t.test('a code redeemed twice is refused with FST_COGNITO_CODE_REJECTED', async (t) => {
  const jar = new CookieJar()
  const first = await startLogin(jar)
  const code = issueCode(first.nonce)
  t.equal((await get(jar, callbackUrl({ code, state: first.state }))).statusCode, 302)
  const second = await startLogin(jar)
  const res = await get(jar, callbackUrl({ code, state: second.state }))
  assertRefusedWithoutSession(t, res, 400, 'FST_COGNITO_CODE_REJECTED')
  t.match(res.json().message, /start again at \/login/)
})

t.test('an ID token whose nonce is not this login\'s is refused and sets no session', async (t) => {
  for (const [label, nonce] of [['another login\'s nonce', 'n-' + randomUUID()], ['no nonce at all', undefined]] as const) {
    const jar = new CookieJar()
    const { state } = await startLogin(jar)
    const res = await get(jar, callbackUrl({ code: issueCode(nonce), state }))
    t.test(label, async (t) => assertRefusedWithoutSession(t, res, 400, 'FST_COGNITO_NONCE_MISMATCH'))
    t.equal((await get(jar, '/me')).statusCode, 401, `${label}: still not logged in`)
  }
})

t.test('?error= answers are coded, sanitized, never 500 and never reflected; without a login in progress they are a 400 transaction error', async (t) => {
  const script = '<script>alert(document.cookie)</script>'
  const variants: Array<{ name: string, query: string, status: number, code: string, reason: string }> = [
    { name: 'access_denied', query: 'error=access_denied', status: 400, code: 'FST_COGNITO_AUTHORIZE_ERROR', reason: 'access_denied' },
    { name: 'invalid_scope', query: 'error=invalid_scope', status: 400, code: 'FST_COGNITO_AUTHORIZE_ERROR', reason: 'invalid_scope' },
    { name: 'unauthorized_client', query: 'error=unauthorized_client', status: 400, code: 'FST_COGNITO_AUTHORIZE_ERROR', reason: 'unauthorized_client' },
    { name: 'server_error (Cognito failed: 502)', query: 'error=server_error', status: 502, code: 'FST_COGNITO_IDP_ERROR', reason: 'server_error' },
    { name: 'temporarily_unavailable (502)', query: 'error=temporarily_unavailable', status: 502, code: 'FST_COGNITO_IDP_ERROR', reason: 'temporarily_unavailable' },
    { name: 'a script in error', query: `error=${encodeURIComponent(script)}`, status: 400, code: 'FST_COGNITO_AUTHORIZE_ERROR', reason: 'unknown_error' },
    { name: 'an attribute breakout in error', query: `error=${encodeURIComponent('access_denied"><img src=x onerror=alert(1)>')}`, status: 400, code: 'FST_COGNITO_AUTHORIZE_ERROR', reason: 'unknown_error' },
    { name: 'a CRLF in error', query: 'error=access_denied%0d%0aSet-Cookie:%20x=1', status: 400, code: 'FST_COGNITO_AUTHORIZE_ERROR', reason: 'unknown_error' },
    { name: 'error given as an array', query: 'error=access_denied&error=server_error', status: 400, code: 'FST_COGNITO_AUTHORIZE_ERROR', reason: 'unknown_error' },
    { name: 'an empty error', query: 'error=', status: 400, code: 'FST_COGNITO_AUTHORIZE_ERROR', reason: 'unknown_error' },
    { name: 'a 10 kB error', query: `error=${'a'.repeat(10_000)}`, status: 400, code: 'FST_COGNITO_AUTHORIZE_ERROR', reason: 'unknown_error' },
    { name: 'an undocumented error code of letters and underscores', query: 'error=you_have_been_hacked_call_us', status: 400, code: 'FST_COGNITO_AUTHORIZE_ERROR', reason: 'unknown_error' },
    { name: 'a script in error_description', query: `error=access_denied&error_description=${encodeURIComponent(script)}`, status: 400, code: 'FST_COGNITO_AUTHORIZE_ERROR', reason: 'access_denied' }
  ]
  for (const v of variants) {
    t.test(v.name, async (t) => {
      for (const withLogin of [true, false]) {
        const jar = new CookieJar()
        const state = withLogin ? (await startLogin(jar)).state : randomBytes(32).toString('base64url')
        const res = await get(jar, `${CALLBACK}?${v.query}&state=${state}`)
        const label = withLogin ? 'with a login in progress' : 'with no login in progress'
        // A link with ?error=server_error sent to anyone must not look like Cognito failing: no login of
        // this browser is in progress, so it is the callback's usual 400 and names nothing from the link.
        t.equal(res.statusCode, withLogin ? v.status : 400, `${label}: status`)
        t.match(res.headers['content-type'], /^application\/json/, `${label}: JSON, not HTML`)
        const body = res.json()
        t.equal(body.code, withLogin ? v.code : 'FST_COGNITO_LOGIN_TRANSACTION', `${label}: code`)
        if (withLogin) t.match(body.message, v.reason, `${label}: the sanitized reason`)
        else t.notMatch(body.message, v.reason, `${label}: the link's error code is not named`)
        for (const raw of ['<', '>', '"', 'script', 'onerror', 'Set-Cookie', 'aaaaaaaaaaaaaaaa']) {
          t.notOk(body.message.includes(raw), `${label}: ${raw} not reflected`)
        }
        t.notOk(res.headers.location, `${label}: no redirect`)
        t.notOk(res.headers['set-cookie']?.toString().includes('x=1'), `${label}: no injected cookie`)
        if (withLogin) {
          // The transaction is spent by the error: a code for it afterwards is refused.
          const retry = await get(jar, callbackUrl({ code: issueCode('n'), state }))
          t.equal(retry.json().code, 'FST_COGNITO_LOGIN_TRANSACTION', `${label}: the transaction is spent`)
        }
      }
    })
  }
})

t.test('returnTo cannot redirect off-site through the whole login -> callback flow', async (t) => {
  const attacks = [
    'https://evil.example/',
    'http://evil.example',
    'HTTPS://EVIL.EXAMPLE',
    'https:evil.example',
    'https:/evil.example',
    '//evil.example',
    '///evil.example',
    '/\\evil.example',
    '\\\\evil.example',
    '/%2F/evil.example',
    '%2F%2Fevil.example',
    '/%2f%2fevil.example',
    '/%5Cevil.example',
    '/%5c%5cevil.example',
    '/..//evil.example',
    '/.//evil.example',
    '/%2e%2e//evil.example',
    '/a/../..//evil.example',
    'javascript:alert(document.cookie)',
    'JaVaScRiPt:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    '/\t/evil.example',
    '/\n/evil.example',
    '/\0/evil.example',
    '/%09/evil.example',
    '/%0a/evil.example',
    '/%00/evil.example',
    ' /evil.example',
    'evil.example',
    `/${'a'.repeat(5000)}`,
    '/%E0%A4%A'
  ]
  for (const returnTo of attacks) {
    t.test(JSON.stringify(returnTo.length > 60 ? `${returnTo.slice(0, 20)}... (${returnTo.length} chars)` : returnTo), async (t) => {
      const jar = new CookieJar()
      const { state, nonce } = await startLogin(jar, returnTo)
      const res = await get(jar, callbackUrl({ code: issueCode(nonce), state }))
      t.equal(res.statusCode, 302, 'the login completes')
      const location = res.headers.location as string
      t.equal(location, '/', 'back to the default, not to the attacker')
      t.equal(new URL(location, APP_ORIGIN).origin, APP_ORIGIN, 'same origin')
    })
  }
  t.test('same-origin paths are kept (controls)', async (t) => {
    for (const [returnTo, expected] of [['/orders/42?tab=items#top', '/orders/42?tab=items#top'], ['/a/./b/../c', '/a/c'], ['/%252F%252Fevil.example', '/%252F%252Fevil.example']]) {
      const jar = new CookieJar()
      const { state, nonce } = await startLogin(jar, returnTo)
      const res = await get(jar, callbackUrl({ code: issueCode(nonce), state }))
      t.equal(res.headers.location, expected, JSON.stringify(returnTo))
      t.equal(new URL(res.headers.location as string, APP_ORIGIN).origin, APP_ORIGIN)
    }
  })
})

async function loggedIn (): Promise<CookieJar> {
  const jar = new CookieJar()
  const { state, nonce } = await startLogin(jar)
  await get(jar, callbackUrl({ code: issueCode(nonce), state }))
  return jar
}

t.test('POST /refresh refuses cross-site requests (CSRF) and allows same-origin ones', async (t) => {
  const jar = await loggedIn()
  const refused: Array<[string, Record<string, string>]> = [
    ['Origin of another site', { origin: 'https://evil.example' }],
    ['Origin of a sibling port', { origin: 'http://localhost:8080' }],
    ['Origin null (sandboxed frame, data: URL)', { origin: 'null' }],
    ['Sec-Fetch-Site cross-site', { 'sec-fetch-site': 'cross-site' }],
    ['Sec-Fetch-Site same-site (a sibling subdomain)', { 'sec-fetch-site': 'same-site' }],
    ['a same-origin Sec-Fetch-Site with a foreign Origin', { origin: 'https://evil.example', 'sec-fetch-site': 'same-origin' }]
  ]
  const before = idp.counts.token
  for (const [label, headers] of refused) {
    const res = await app.inject({ method: 'POST', url: '/refresh', headers: { ...headers, cookie: jar.header('/refresh') as string } })
    t.equal(res.statusCode, 403, `${label}: 403`)
    t.equal(res.json().code, 'FST_COGNITO_CROSS_SITE_REQUEST', `${label}: code`)
    t.same(Object.keys(setCookies(res)), [], `${label}: no cookie changed`)
  }
  t.equal(idp.counts.token, before, 'no refresh grant was sent for a refused request')
  for (const [label, headers] of [
    ['Origin of the app', { origin: APP_ORIGIN }],
    ['Sec-Fetch-Site same-origin', { 'sec-fetch-site': 'same-origin' }]
  ] as const) {
    const res = await app.inject({ method: 'POST', url: '/refresh', headers: { ...headers, cookie: jar.header('/refresh') as string } })
    t.equal(res.statusCode, 200, `${label}: refreshed`)
    t.equal(res.json().refreshed, true)
  }
})

t.test('GET /logout refuses cross-site requests and keeps the session', async (t) => {
  const jar = await loggedIn()
  const before = idp.counts.revoke
  for (const [label, headers] of [
    ['Sec-Fetch-Site cross-site', { 'sec-fetch-site': 'cross-site' }],
    ['Origin of another site', { origin: 'https://evil.example' }]
  ] as const) {
    const res = await app.inject({ url: '/logout', headers: { ...headers, cookie: jar.header('/logout') as string } })
    t.equal(res.statusCode, 403, `${label}: 403`)
    t.equal(res.json().code, 'FST_COGNITO_CROSS_SITE_REQUEST', `${label}: code`)
    t.same(res.cookies, [], `${label}: no cookie cleared`)
  }
  t.equal(idp.counts.revoke, before, 'nothing revoked')
  t.equal((await get(jar, '/me')).statusCode, 200, 'the session lives on')
  const own = await get(jar, '/logout', { 'sec-fetch-site': 'same-origin' })
  t.equal(own.statusCode, 302, 'a same-origin logout goes to Cognito\'s /logout')
  t.ok((own.headers.location as string).startsWith(`${idp.url}/logout?`))
  t.equal((await get(jar, '/me')).statusCode, 401, 'and ends the session')
})
