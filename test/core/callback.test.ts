/**
 * The callback against a token endpoint whose answers the tests choose (the faulty IdP): the code
 * exchange with the PKCE verifier, the nonce check, single-use transactions, and every malformed or
 * refused callback answered 4xx/502, never 500.
 */
import { createHash } from 'node:crypto'
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import type { LoginResult } from '../../lib/index.js'
import { buildApp } from '../helpers/app.js'
import { CookieJar, setCookieLines, setCookies } from '../helpers/cookies.js'
import { alice, idpOptions, startPoolWithTokenEndpoint } from '../helpers/token-endpoint.js'

const { pool, idp } = await startPoolWithTokenEndpoint(t)
const app = await buildApp(t, idpOptions(pool, idp), {
  routes: (app) => app.get('/me', { preHandler: app.cognito.authenticate }, async (request) => request.cognito)
})

interface Login { state: string, nonce: string, challenge: string, jar: Record<string, string> }

async function login (target: FastifyInstance = app, query: Record<string, string> = {}, cookies: Record<string, string> = {}): Promise<Login> {
  const res = await target.inject({ url: '/login', query, cookies })
  const params = new URL(res.headers.location as string).searchParams
  return { state: params.get('state') as string, nonce: params.get('nonce') as string, challenge: params.get('code_challenge') as string, jar: setCookies(res) }
}

/** The token endpoint answers the code exchange with tokens carrying `nonce` (or `extra` instead). */
function answerCode (nonce: string | undefined, extra: Record<string, unknown> = {}): void {
  idp.setToken('ok')
  idp.onToken(async () => {
    const accessToken = await pool.mintAccessToken(alice)
    const idToken = await pool.mintIdToken({ ...alice, ...(nonce === undefined ? {} : { nonce }) })
    return { json: { access_token: accessToken, id_token: idToken, refresh_token: 'opaque-refresh-token', token_type: 'Bearer', expires_in: 3600, ...extra } }
  })
}

t.test('the callback exchanges the code with the PKCE verifier, stores the session and returns to returnTo', async (t) => {
  const tx = await login(app, { returnTo: '/orders?page=2' })
  answerCode(tx.nonce)
  const before = idp.requests.length
  const res = await app.inject({ url: '/auth/callback', query: { code: 'the-code', state: tx.state }, cookies: tx.jar })
  t.equal(res.statusCode, 302)
  t.equal(res.headers.location, '/orders?page=2')
  t.equal(res.headers['cache-control'], 'no-store')

  const grant = idp.requests[before]?.form
  t.equal(grant?.get('grant_type'), 'authorization_code')
  t.equal(grant?.get('code'), 'the-code')
  t.equal(grant?.get('redirect_uri'), 'http://localhost/auth/callback')
  const verifier = grant?.get('code_verifier') as string
  t.match(verifier, /^[A-Za-z0-9_-]{43,128}$/, 'RFC 7636 verifier')
  t.equal(createHash('sha256').update(verifier).digest('base64url'), tx.challenge, 'the challenge sent to authorize is S256(verifier)')

  t.same(Object.keys(setCookies(res)).sort(), ['cognito_access', 'cognito_id', 'cognito_refresh'])
  const txName = Object.keys(tx.jar)[0] as string
  t.ok(setCookieLines(res).some(l => l.startsWith(`${txName}=;`) && /Path=\/(;|$)/.test(l)), 'the transaction cookie is cleared on its path')
  const me = await app.inject({ url: '/me', cookies: new CookieJar(tx.jar).store(res).cookies() })
  t.match(me.json(), { source: 'cookie', username: 'alice', idToken: { nonce: tx.nonce } })
})

t.test('a login without returnTo (or with a hostile one) returns to defaultReturnTo', async (t) => {
  const custom = await buildApp(t, { ...idpOptions(pool, idp), defaultReturnTo: '/home' })
  for (const query of [{}, { returnTo: 'https://evil.example/' }] as Array<Record<string, string>>) {
    const tx = await login(custom, query)
    answerCode(tx.nonce)
    const res = await custom.inject({ url: '/auth/callback', query: { code: 'c', state: tx.state }, cookies: tx.jar })
    t.equal(res.headers.location, '/home', JSON.stringify(query))
  }
})

t.test('a transaction is single use: replaying the callback is a 400', async (t) => {
  const tx = await login()
  answerCode(tx.nonce)
  t.equal((await app.inject({ url: '/auth/callback', query: { code: 'c', state: tx.state }, cookies: tx.jar })).statusCode, 302)
  const replay = await app.inject({ url: '/auth/callback', query: { code: 'c', state: tx.state } })
  t.equal(replay.statusCode, 400)
  t.equal(replay.json().code, 'FST_COGNITO_LOGIN_TRANSACTION')
  t.match(replay.json().message, 'start again at /login')
})

t.test('two tabs: either pending login completes, and completing one spends the other', async (t) => {
  for (const order of ['newest first', 'oldest first']) {
    const first = await login()
    const second = await login(app, {}, first.jar)
    const [done, other] = order === 'newest first' ? [second, first] : [first, second]
    answerCode(done.nonce)
    const res = await app.inject({ url: '/auth/callback', query: { code: 'c', state: done.state }, cookies: second.jar })
    t.equal(res.statusCode, 302, `${order}: the login completes`)
    const jar = new CookieJar(second.jar).store(res).cookies()
    answerCode(other.nonce)
    const late = await app.inject({ url: '/auth/callback', query: { code: 'c', state: other.state }, cookies: jar })
    t.equal(late.json().code, 'FST_COGNITO_LOGIN_TRANSACTION', `${order}: the other tab's login was spent with it`)
  }
})

t.test('an ID token whose nonce is not this login\'s is refused, and nothing is stored', async (t) => {
  for (const nonce of ['another-nonce', undefined]) {
    const tx = await login()
    answerCode(nonce)
    const res = await app.inject({ url: '/auth/callback', query: { code: 'c', state: tx.state }, cookies: tx.jar })
    t.equal(res.statusCode, 400)
    t.equal(res.json().code, 'FST_COGNITO_NONCE_MISMATCH')
    t.notOk(setCookies(res).cognito_access)
  }
})

t.test('a refused code is 400 FST_COGNITO_CODE_REJECTED; other token endpoint failures are 502', async (t) => {
  const cases: Array<[string, () => void, number, string]> = [
    ['invalid_grant', () => idp.setToken('invalid-grant'), 400, 'FST_COGNITO_CODE_REJECTED'],
    ['invalid_client', () => { idp.setToken('ok'); idp.onToken(() => ({ status: 401, json: { error: 'invalid_client' } })) }, 502, 'FST_COGNITO_IDP_ERROR'],
    ['a 500', () => idp.setToken('status500'), 502, 'FST_COGNITO_IDP_ERROR'],
    ['no id_token (openid not allowed)', () => answerCode(undefined, { id_token: undefined }), 502, 'FST_COGNITO_IDP_ERROR'],
    ['tokens that do not verify', () => answerCode(undefined, { access_token: 'not-a-jwt' }), 502, 'FST_COGNITO_IDP_TOKEN_INVALID']
  ]
  for (const [what, arrange, status, code] of cases) {
    const tx = await login()
    arrange()
    const res = await app.inject({ url: '/auth/callback', query: { code: 'c', state: tx.state }, cookies: tx.jar })
    t.equal(res.statusCode, status, what)
    t.equal(res.json().code, code, what)
  }
  idp.setToken('ok')
})

t.test('Cognito\'s ?error= answers: 400 for the request\'s fault, 502 for Cognito\'s', async (t) => {
  const tx = await login()
  const denied = await app.inject({ url: '/auth/callback', query: { error: 'access_denied', error_description: 'User cancelled', state: tx.state }, cookies: tx.jar })
  t.equal(denied.statusCode, 400)
  t.equal(denied.json().code, 'FST_COGNITO_AUTHORIZE_ERROR')
  t.match(denied.json().message, 'access_denied')
  t.ok(setCookieLines(denied).some(l => l.startsWith(`${Object.keys(tx.jar)[0] as string}=;`)), 'the transaction is spent')
  const pending = await login()
  const down = await app.inject({ url: '/auth/callback', query: { error: 'server_error', state: pending.state }, cookies: pending.jar })
  t.equal(down.statusCode, 502)
  t.equal(down.json().code, 'FST_COGNITO_IDP_ERROR')
  const injected = await app.inject({ url: '/auth/callback', query: { error: '<img src=x onerror=alert(1)>' } })
  t.equal(injected.statusCode, 400)
  t.notMatch(injected.body, '<img', 'the error code is not echoed')
})

t.test('a forged ?error=server_error with no login in progress is a 400, not a 502 naming the link\'s code', async (t) => {
  const queries: Array<Record<string, string>> = [{ error: 'server_error' }, { error: 'server_error', state: 'x'.repeat(43) }, { error: 'temporarily_unavailable', state: (await login()).state }]
  for (const query of queries) {
    const res = await app.inject({ url: '/auth/callback', query })
    t.equal(res.statusCode, 400)
    t.equal(res.json().code, 'FST_COGNITO_LOGIN_TRANSACTION')
    t.notMatch(res.json().message, /server_error|temporarily_unavailable/)
  }
})

t.test('malformed callbacks are 400, never 500: arrays, missing or odd parameters', async (t) => {
  const tx = await login()
  const urls = [
    '/auth/callback',
    '/auth/callback?code=c',
    `/auth/callback?state=${tx.state}&state=${tx.state}&code=c`,
    '/auth/callback?state=short&code=c',
    `/auth/callback?state=${'A'.repeat(43)}&code=c`,
    `/auth/callback?state=${tx.state}`,
    `/auth/callback?state=${tx.state}&code=`,
    `/auth/callback?state=${tx.state}&code=a&code=b`,
    `/auth/callback?state=${tx.state}&code=${'c'.repeat(2049)}`,
    '/auth/callback?error=a&error=b',
    '/auth/callback?state[x]=1&code[]=2',
    '/auth/callback?%00=%00'
  ]
  for (const url of urls) {
    const res = await app.inject({ url, cookies: tx.jar })
    t.equal(res.statusCode, 400, url.slice(0, 60))
    t.match(res.json().code, /^FST_COGNITO_/)
  }
})

t.test('without a login route, the error says to start again at "your login route"', async (t) => {
  const noLogin = await buildApp(t, { ...idpOptions(pool, idp), routes: { login: false } })
  const res = await noLogin.inject({ url: '/auth/callback', query: { state: 'x' } })
  t.equal(res.statusCode, 400)
  t.match(res.json().message, 'start again at your login route')
})

t.test('onLogin runs instead of the redirect; its answer (or its own reply) is the response', async (t) => {
  const calls: LoginResult[] = []
  const returning = await buildApp(t, { ...idpOptions(pool, idp), onLogin: (request, _reply, result) => { calls.push(result); return { welcome: request.cognito?.username } } })
  let tx = await login(returning, { returnTo: '/next' })
  answerCode(tx.nonce)
  const json = await returning.inject({ url: '/auth/callback', query: { code: 'c', state: tx.state }, cookies: tx.jar })
  t.equal(json.statusCode, 200)
  t.same(json.json(), { welcome: 'alice' })
  t.equal(calls[0]?.returnTo, '/next')
  t.equal(calls[0]?.identity.idToken?.nonce, tx.nonce)
  t.ok(setCookies(json).cognito_access, 'the session is stored before onLogin runs')

  const replying = await buildApp(t, { ...idpOptions(pool, idp), onLogin: async (_request, reply, result) => { await reply.redirect(`/welcome?to=${encodeURIComponent(result.returnTo)}`, 303) } })
  tx = await login(replying)
  answerCode(tx.nonce)
  const redirected = await replying.inject({ url: '/auth/callback', query: { code: 'c', state: tx.state }, cookies: tx.jar })
  t.equal(redirected.statusCode, 303)
  t.equal(redirected.headers.location, '/welcome?to=%2F')

  const passive = await buildApp(t, { ...idpOptions(pool, idp), onLogin: () => undefined })
  tx = await login(passive, { returnTo: '/back' })
  answerCode(tx.nonce)
  const fallsThrough = await passive.inject({ url: '/auth/callback', query: { code: 'c', state: tx.state }, cookies: tx.jar })
  t.equal(fallsThrough.statusCode, 302, 'an onLogin that answers nothing leaves the redirect to returnTo')
  t.equal(fallsThrough.headers.location, '/back')
})
