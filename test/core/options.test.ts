import t from 'tap'
import Fastify from 'fastify'
import { Agent } from 'undici'
import fastifyCognito, { optionsFromEnv } from '../../lib/index.js'
import type { FastifyCognitoOptions } from '../../lib/index.js'
import { resolveOptions } from '../../lib/options.js'
import { createTestPool } from '../../lib/testing/index.js'
import { buildApp } from '../helpers/app.js'
import { setCookieLines } from '../helpers/cookies.js'
import { captureLogs } from '../helpers/logs.js'

const SECRET = 'a-cookie-secret-of-at-least-32-chars!'

/** Valid options that never touch the network (no warm-up, nothing verified). */
function base (overrides: Record<string, unknown> = {}): FastifyCognitoOptions {
  return {
    userPoolId: 'eu-west-1_AbC123',
    clientId: 'web-client',
    domain: 'https://auth.example.com',
    redirectUri: 'https://app.example.com/auth/callback',
    logoutUri: 'https://app.example.com/',
    secret: SECRET,
    jwks: { warmup: false },
    ...overrides
  } as FastifyCognitoOptions
}

async function readyError (options: unknown): Promise<Error & { code?: string }> {
  const app = Fastify()
  try {
    await app.register(fastifyCognito, options as FastifyCognitoOptions)
    await app.ready()
  } catch (err) {
    return err as Error & { code?: string }
  } finally {
    await app.close()
  }
  throw new Error('ready() succeeded')
}

t.test('every required option missing fails ready() with FST_COGNITO_INVALID_OPTION naming it', async (t) => {
  for (const name of ['userPoolId', 'clientId', 'domain', 'redirectUri', 'logoutUri', 'secret']) {
    const options = base()
    delete (options as unknown as Record<string, unknown>)[name]
    const err = await readyError(options)
    t.equal(err.code, 'FST_COGNITO_INVALID_OPTION', `${name} missing`)
    t.match(err.message, new RegExp(`option ${name} is required`), `the message names ${name}`)
  }
})

t.test('every required option of the wrong type fails ready() naming it', async (t) => {
  for (const name of ['userPoolId', 'clientId', 'domain', 'redirectUri', 'logoutUri', 'secret']) {
    const err = await readyError(base({ [name]: 42 }))
    t.equal(err.code, 'FST_COGNITO_INVALID_OPTION', `${name}: 42`)
    t.match(err.message, `option ${name} `)
  }
  const blank = await readyError(base({ clientId: '   ' }))
  t.match(blank.message, 'option clientId is required and must be a non-empty string')
})

t.test('options that are not an object are refused', async (t) => {
  t.throws(() => resolveOptions(null as unknown as FastifyCognitoOptions), { code: 'FST_COGNITO_INVALID_OPTION', message: /option object is required/ })
  t.throws(() => resolveOptions('x' as unknown as FastifyCognitoOptions), { code: 'FST_COGNITO_INVALID_OPTION' })
})

t.test('wrong option values fail ready() with a message naming the option', async (t) => {
  const cases: Array<[string, Record<string, unknown>, string | RegExp]> = [
    ['a pool id without region and id', { userPoolId: 'nounderscore' }, 'option userPoolId must look like "<region>_<id>"'],
    ['a pool id whose region cannot be read, without region', { userPoolId: 'local_abc123' }, 'option region is required: it cannot be read from userPoolId'],
    ['an empty region', { region: '' }, 'option region is required'],
    ['a client secret that is not a string', { clientSecret: 7 }, 'option clientSecret '],
    ['a domain that is not a URL', { domain: 'auth.example.com' }, 'option domain must be an absolute URL'],
    ['a plain-http domain that is not localhost', { domain: 'http://auth.example.com' }, 'option domain must use https (plain http is only allowed for localhost)'],
    ['a domain with a query', { domain: 'https://auth.example.com/?x=1' }, 'option domain must not have a query or fragment'],
    ['a domain with a fragment', { domain: 'https://auth.example.com/#x' }, 'option domain must not have a query or fragment'],
    ['a plain-http redirectUri that is not localhost', { redirectUri: 'http://app.example.com/cb' }, 'option redirectUri must use https'],
    ['a relative redirectUri', { redirectUri: '/auth/callback' }, 'option redirectUri must be an absolute URL'],
    ['a plain-http logoutUri that is not localhost', { logoutUri: 'http://app.example.com/' }, 'option logoutUri must use https'],
    ['a non-https scheme', { logoutUri: 'ftp://app.example.com/' }, 'option logoutUri must use https'],
    ['a secret under 32 characters', { secret: 'x'.repeat(31) }, 'option secret must be at least 32 characters long'],
    ['a secret Buffer under 32 bytes', { secret: Buffer.alloc(31) }, 'option secret must be at least 32 characters long'],
    ['an empty secret list', { secret: [] }, 'option secret must hold at least one secret'],
    ['a short secret in the list', { secret: [SECRET, 'short'] }, 'option secret[1] must be at least 32 characters long'],
    ['a secret list item that is not a string', { secret: [SECRET, 5] }, 'option secret[1] is required'],
    ['scopes without openid', { scopes: ['email', 'profile'] }, 'option scopes must include "openid"'],
    ['scopes that are not a list', { scopes: 'openid email' }, 'option scopes must be a list of scope names'],
    ['a scope with a space', { scopes: ['openid', 'a b'] }, 'option scopes must be a list of scope names'],
    ['a scope with a quote', { scopes: ['openid', 'a"b'] }, 'option scopes must be a list of scope names'],
    ['an issuer over plain http', { issuer: 'http://idp.example.com/pool' }, 'option issuer must use https'],
    ['additionalIssuers not a list', { additionalIssuers: 'https://x.example.com' }, 'option additionalIssuers must be a list of URLs'],
    ['a bad additional issuer', { additionalIssuers: ['https://ok.example.com', 'nope'] }, 'option additionalIssuers[1] must be an absolute URL'],
    ['a negative leeway', { leeway: -1 }, 'option leeway must be a non-negative number'],
    ['a leeway that is not a number', { leeway: '5' }, 'option leeway must be a non-negative number'],
    ['disabled not a boolean', { disabled: 'true' }, 'option disabled must be a boolean'],
    ['refresh not a boolean', { refresh: 1 }, 'option refresh must be a boolean'],
    ['autoRefresh not a boolean', { autoRefresh: 'no' }, 'option autoRefresh must be a boolean'],
    ['a defaultReturnTo that is another origin', { defaultReturnTo: '//evil.example' }, 'option defaultReturnTo must be a same-origin path'],
    ['a defaultReturnTo that is absolute', { defaultReturnTo: 'https://evil.example/' }, 'option defaultReturnTo must be a same-origin path'],
    ['a defaultReturnTo that is not a string', { defaultReturnTo: 3 }, 'option defaultReturnTo must be a same-origin path'],
    ['a defaultReturnTo with a backslash after the slash (another origin to a browser)', { defaultReturnTo: '/\\evil.example' }, 'option defaultReturnTo must be a same-origin path'],
    ['a defaultReturnTo that decodes to another origin once normalised', { defaultReturnTo: '/./%2f%2fevil.example' }, 'option defaultReturnTo must be a same-origin path'],
    ['an onLogin that is not a function', { onLogin: 'go' }, 'option onLogin must be a function'],
    ['a route path without slash', { routes: { login: 'login' } }, 'option routes.login must be a path starting with "/", or false'],
    ['a route path with a space', { routes: { logout: '/log out' } }, 'option routes.logout must be a path'],
    ['a route path that is true', { routes: { refresh: true } }, 'option routes.refresh must be a path'],
    ['a callback route that is a number', { routes: { callback: 1 } }, 'option routes.callback must be a path'],
    ['routes: false (each route is set to false instead)', { routes: false }, 'option routes must be an object'],
    ['tokenSources not an object', { tokenSources: 'bearer' }, 'option tokenSources must be an object'],
    ['jwks not an object', { jwks: 5 }, 'option jwks must be an object'],
    ['cookie not an object', { cookie: 'strict' }, 'option cookie must be an object'],
    ['cookie.secure not a boolean', { cookie: { secure: 'yes' } }, 'option cookie.secure must be a boolean'],
    ['an unknown sameSite', { cookie: { sameSite: 'Lax' } }, 'option cookie.sameSite must be "lax", "strict" or "none"'],
    ['sameSite none without secure', { cookie: { sameSite: 'none', secure: false } }, 'option cookie.sameSite "none" requires cookie.secure'],
    ['a cookie domain that is not a host name', { cookie: { domain: 'example.com/path' } }, 'option cookie.domain must be a host name'],
    ['an empty cookie domain', { cookie: { domain: '' } }, 'option cookie.domain is required and must be a non-empty string'],
    ['a cookie name with a space', { cookie: { name: 'my app' } }, 'option cookie.name must be 1 to 32 letters'],
    ['an empty cookie name', { cookie: { name: '' } }, 'option cookie.name must be 1 to 32 letters'],
    ['a cookie name over 32 characters', { cookie: { name: 'n'.repeat(33) } }, 'option cookie.name must be 1 to 32 letters'],
    ['a cookie name that is not a string', { cookie: { name: 5 } }, 'option cookie.name must be 1 to 32 letters'],
    ['a zero cookie maxAge', { cookie: { maxAge: 0 } }, 'option cookie.maxAge must be a positive number'],
    ['an infinite refreshMaxAge', { cookie: { refreshMaxAge: Infinity } }, 'option cookie.refreshMaxAge must be a positive number'],
    ['a negative transactionMaxAge', { cookie: { transactionMaxAge: -5 } }, 'option cookie.transactionMaxAge must be a positive number'],
    ['no token source at all', { tokenSources: { cookie: false, bearer: false } }, 'option tokenSources must enable cookie, bearer or both'],
    ['a token source that is not a boolean', { tokenSources: { bearer: 'yes' } }, 'option tokenSources.bearer must be a boolean'],
    ['a cookie token source that is not a boolean', { tokenSources: { cookie: 0 } }, 'option tokenSources.cookie must be a boolean'],
    ['redirectToLogin not a boolean', { redirectToLogin: 'no' }, 'option redirectToLogin must be a boolean'],
    ['a zero timeout', { timeout: 0 }, 'option timeout must be a positive number'],
    ['a NaN timeout', { timeout: NaN }, 'option timeout must be a positive number'],
    ['a zero jwks.timeout', { jwks: { timeout: 0 } }, 'option jwks.timeout must be a positive number'],
    ['a negative jwks.cooldown', { jwks: { cooldown: -1 } }, 'option jwks.cooldown must be a non-negative number'],
    ['a zero jwks.maxAge', { jwks: { maxAge: 0 } }, 'option jwks.maxAge must be a positive number'],
    ['jwks.warmup not a boolean', { jwks: { warmup: 'no' } }, 'option jwks.warmup must be a boolean'],
    ['a negative tokenCacheSize', { tokenCacheSize: -1 }, 'option tokenCacheSize must be a non-negative number']
  ]
  for (const [what, overrides, message] of cases) {
    const err = await readyError(base(overrides))
    t.equal(err.code, 'FST_COGNITO_INVALID_OPTION', what)
    t.match(err.message, message, what)
    t.equal((err as { statusCode?: number }).statusCode, 500)
    t.ok(err instanceof TypeError, 'an option error is a TypeError')
  }
})

t.test('values at the edge of the rules are accepted', async (t) => {
  const accepted: Array<[string, Record<string, unknown>]> = [
    ['http for localhost', { domain: 'http://localhost:9229', redirectUri: 'http://localhost:3000/cb', logoutUri: 'http://localhost:3000/' }],
    ['http for 127.0.0.1 and [::1]', { redirectUri: 'http://127.0.0.1:3000/cb', logoutUri: 'http://[::1]:3000/' }],
    ['a secret of exactly 32 characters', { secret: 'x'.repeat(32) }],
    ['a 32-byte Buffer secret', { secret: Buffer.alloc(32, 7) }],
    ['a secret list (rotation)', { secret: ['n'.repeat(32), Buffer.alloc(40, 1)] }],
    ['openid with other and custom scopes', { scopes: ['openid', 'email', 'orders/read', 'aws.cognito.signin.user.admin'] }],
    ['sameSite none with secure', { cookie: { sameSite: 'none', secure: true } }],
    ['sameSite none with the https default (secure)', { cookie: { sameSite: 'none' } }],
    ['a zero leeway, cooldown and token cache', { leeway: 0, jwks: { cooldown: 0, warmup: false }, tokenCacheSize: 0 }],
    ['an explicit region for an odd pool id', { userPoolId: 'local_abc123', region: 'eu-west-1' }],
    ['an empty client secret (public client)', { clientSecret: '' }],
    ['cookie: null (defaults)', { cookie: null }],
    ['a leading-dot cookie domain', { cookie: { domain: '.example.com' } }]
  ]
  for (const [what, overrides] of accepted) {
    const app = Fastify()
    await app.register(fastifyCognito, base(overrides))
    await t.resolves(async () => { await app.ready() }, what)
    await app.close()
  }
})

t.test('the region is read from the pool id: the default issuer and JWKS URL are the pool\'s', async (t) => {
  // A pool named like a real one; a proxy-style dispatcher sends Cognito's host to its loopback server.
  const pool = await createTestPool({ userPoolId: 'eu-west-1_AbC123', clientId: 'web-client' })
  t.teardown(() => pool.close())
  const seen: string[] = []
  const agent = new Agent()
  t.teardown(() => agent.close())
  const target = new URL(pool.issuer).origin
  const dispatcher = agent.compose((dispatch) => (opts, handler) => {
    seen.push(`${String(opts.origin)}${opts.path}`)
    return dispatch({ ...opts, origin: target }, handler)
  })
  const app = await buildApp(t, { ...base(), dispatcher }, {
    routes: (app) => app.get('/me', { preHandler: app.cognito.authenticate }, async (request) => request.cognito?.username)
  })
  const cognitoIssuer = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123'
  const token = await pool.mintAccessToken({ username: 'alice', claims: { iss: cognitoIssuer } })
  const res = await app.inject({ url: '/me', headers: pool.bearer(token) })
  t.equal(res.statusCode, 200)
  t.equal(res.body, 'alice')
  t.same(seen, [`${cognitoIssuer}/.well-known/jwks.json`], 'the JWKS of the eu-west-1 issuer was fetched through the dispatcher')

  const foreign = await pool.mintAccessToken({ username: 'alice', claims: { iss: 'https://cognito-idp.us-east-1.amazonaws.com/eu-west-1_AbC123' } })
  t.equal((await app.inject({ url: '/me', headers: pool.bearer(foreign) })).statusCode, 401, 'another region\'s issuer is refused')
})

t.test('an explicit region wins over the one in the pool id', async (t) => {
  const pool = await createTestPool({ userPoolId: 'eu-west-1_AbC123', clientId: 'web-client' })
  t.teardown(() => pool.close())
  const agent = new Agent()
  t.teardown(() => agent.close())
  const seen: string[] = []
  const target = new URL(pool.issuer).origin
  const dispatcher = agent.compose((dispatch) => (opts, handler) => {
    seen.push(`${String(opts.origin)}${opts.path}`)
    return dispatch({ ...opts, origin: target }, handler)
  })
  const app = await buildApp(t, { ...base({ region: 'eu-central-1' }), dispatcher }, { routes: (app) => app.get('/me', { preHandler: app.cognito.authenticate }, async () => 'ok') })
  const token = await pool.mintAccessToken({ username: 'alice', claims: { iss: 'https://cognito-idp.eu-central-1.amazonaws.com/eu-west-1_AbC123' } })
  t.equal((await app.inject({ url: '/me', headers: pool.bearer(token) })).statusCode, 200)
  t.same(seen, ['https://cognito-idp.eu-central-1.amazonaws.com/eu-west-1_AbC123/.well-known/jwks.json'])
})

t.test('logoutUrl is Cognito\'s /logout with client_id and logout_uri, on a domain without trailing slash', async (t) => {
  const app = await buildApp(t, base({ domain: 'https://auth.example.com/' }))
  const url = new URL(app.cognito.logoutUrl)
  t.equal(url.origin + url.pathname, 'https://auth.example.com/logout')
  t.equal(url.searchParams.get('client_id'), 'web-client')
  t.equal(url.searchParams.get('logout_uri'), 'https://app.example.com/')
})

t.test('an https redirectUri makes cookies Secure with the __Host- prefix (no Domain)', async (t) => {
  const app = await buildApp(t, base())
  const res = await app.inject({ url: '/logout', headers: { 'sec-fetch-site': 'same-origin' } })
  const lines = setCookieLines(res)
  t.same(lines.map(l => l.split('=')[0]).sort(), ['__Host-cognito_access', '__Host-cognito_id', '__Host-cognito_refresh'])
  for (const line of lines) {
    t.match(line, /; Secure/, 'Secure')
    t.match(line, /; HttpOnly/, 'HttpOnly')
    t.match(line, /; SameSite=Lax/, 'SameSite=Lax by default')
    t.match(line, /; Path=\//, 'Path=/')
    t.notMatch(line, /Domain=/i, 'no Domain')
  }
  const login = await app.inject({ url: '/login', headers: { host: 'app.example.com' } })
  t.match(setCookieLines(login)[0], /^__Host-cognito_tx=.*; Path=\/;.*Secure/, 'the transaction cookie is __Host- on Path=/')
})

t.test('a plain-http localhost redirectUri turns Secure off and drops the prefixes', async (t) => {
  const app = await buildApp(t, base({ redirectUri: 'http://localhost:3000/auth/callback', logoutUri: 'http://localhost:3000/' }))
  const lines = setCookieLines(await app.inject({ url: '/logout', headers: { 'sec-fetch-site': 'same-origin' } }))
  t.same(lines.map(l => l.split('=')[0]).sort(), ['cognito_access', 'cognito_id', 'cognito_refresh'])
  for (const line of lines) t.notMatch(line, /Secure/)
  const login = await app.inject({ url: '/login', headers: { host: 'localhost:3000' } })
  t.match(setCookieLines(login)[0], /^cognito_tx=/)
  t.notMatch(setCookieLines(login)[0], /Secure/)
})

t.test('cookie.secure false on https drops the prefix; a cookie Domain means Secure but no __Host- prefix', async (t) => {
  const insecure = await buildApp(t, base({ cookie: { secure: false } }))
  const plain = setCookieLines(await insecure.inject({ url: '/logout', headers: { 'sec-fetch-site': 'same-origin' } }))
  t.same(plain.map(l => l.split('=')[0]).sort(), ['cognito_access', 'cognito_id', 'cognito_refresh'])

  const shared = await buildApp(t, base({ cookie: { domain: 'example.com', sameSite: 'strict', name: 'shop' } }))
  const lines = setCookieLines(await shared.inject({ url: '/logout', headers: { 'sec-fetch-site': 'same-origin' } }))
  t.same(lines.map(l => l.split('=')[0]).sort(), ['shop_access', 'shop_id', 'shop_refresh'], 'cookie.name is the prefix of every name')
  for (const line of lines) {
    t.match(line, /; Domain=example\.com/)
    t.match(line, /; Secure/)
    t.match(line, /; SameSite=Strict/)
  }
  t.same(Object.keys(shared.cognito.sealSession({ accessToken: 'a', idToken: 'b', refreshToken: 'c' })).sort(), ['shop_access', 'shop_id', 'shop_refresh'])
  const tx = setCookieLines(await shared.inject({ url: '/login', headers: { host: 'app.example.com' } }))[0] as string
  t.match(tx, /^__Host-shop_tx=/, 'the transaction cookie stays __Host- (host-only) even when the session cookies have a Domain')
  t.notMatch(tx, /Domain=/i)
  t.match(tx, /; SameSite=Lax/, 'and Lax, whatever the session cookies\' SameSite: the callback is a cross-site navigation')
})

t.test('routes set to false are not mounted; custom paths are', async (t) => {
  const none = await buildApp(t, base({ routes: { login: false, callback: false, refresh: false, logout: false } }))
  t.equal((await none.inject({ url: '/login' })).statusCode, 404)
  t.equal((await none.inject({ url: '/auth/callback' })).statusCode, 404)
  t.equal((await none.inject({ method: 'POST', url: '/refresh' })).statusCode, 404)
  t.equal((await none.inject({ url: '/logout', headers: { 'sec-fetch-site': 'same-origin' } })).statusCode, 404)

  const custom = await buildApp(t, base({ routes: { login: '/signin', callback: '/oauth/cb', refresh: '/session/renew', logout: '/signout' } }))
  t.equal((await custom.inject({ url: '/signin' })).statusCode, 302)
  t.equal((await custom.inject({ url: '/oauth/cb' })).statusCode, 400, 'the callback answers (no state: 400)')
  t.equal((await custom.inject({ method: 'POST', url: '/session/renew' })).statusCode, 401, 'refresh answers (no refresh cookie: 401)')
  t.equal((await custom.inject({ url: '/signout', headers: { 'sec-fetch-site': 'same-origin' } })).statusCode, 302)
  t.equal((await custom.inject({ url: '/login' })).statusCode, 404)
})

t.test('the callback route defaults to the path of redirectUri; refresh false unmounts /refresh', async (t) => {
  const app = await buildApp(t, base({ redirectUri: 'https://app.example.com/oauth2/idpresponse', refresh: false }))
  t.equal((await app.inject({ url: '/oauth2/idpresponse' })).statusCode, 400)
  t.equal((await app.inject({ url: '/auth/callback' })).statusCode, 404)
  t.equal((await app.inject({ method: 'POST', url: '/refresh' })).statusCode, 404, 'refresh: false leaves /refresh unmounted')
  t.same(Object.keys(app.cognito.sealSession({ accessToken: 'a', refreshToken: 'r' })), ['__Host-cognito_access'], 'refresh: false never stores a refresh token')
})

const FULL_ENV = {
  AWS_REGION: 'eu-central-1',
  AWS_COGNITO_USER_POOL_ID: 'eu-west-1_AbC123',
  AWS_COGNITO_DOMAIN: 'https://auth.example.com',
  AWS_COGNITO_USER_POOL_CLIENT_ID: 'web-client',
  AWS_COGNITO_USER_POOL_CLIENT_SECRET: 'client-secret-value',
  AWS_COGNITO_REDIRECT_URL: 'https://app.example.com/auth/callback',
  AWS_COGNITO_LOGOUT_URL: 'https://app.example.com/bye',
  AWS_COGNITO_SCOPES: 'openid, email profile,orders/read',
  AWS_COGNITO_COOKIE_AGE_SECONDS: '1800',
  AWS_COGNITO_EXPIRATION_LEEWAY: '2',
  AWS_COGNITO_COOKIE_DOMAIN: 'example.com',
  AWS_COGNITO_COOKIE_SAMESITE: 'Strict',
  AWS_COGNITO_REFRESH_FLOW_ENABLED: 'false',
  AWS_COGNITO_REFRESH_COOKIE_AGE_SECONDS: '604800',
  AWS_COGNITO_DISABLED: 'no',
  AWS_COGNITO_ISSUER: 'https://issuer.example.com/eu-west-1_AbC123',
  SECRET_KEY: SECRET
}

t.test('optionsFromEnv reads every seed variable name', async (t) => {
  t.same(optionsFromEnv(FULL_ENV), {
    region: 'eu-central-1',
    userPoolId: 'eu-west-1_AbC123',
    domain: 'https://auth.example.com',
    clientId: 'web-client',
    clientSecret: 'client-secret-value',
    redirectUri: 'https://app.example.com/auth/callback',
    logoutUri: 'https://app.example.com/bye',
    scopes: ['openid', 'email', 'profile', 'orders/read'],
    leeway: 2,
    refresh: false,
    disabled: false,
    issuer: 'https://issuer.example.com/eu-west-1_AbC123',
    secret: SECRET,
    cookie: { domain: 'example.com', sameSite: 'strict', maxAge: 1800, refreshMaxAge: 604800 }
  })
  t.match(optionsFromEnv({ ...FULL_ENV, AWS_COGNITO_DISABLED: 'TRUE', AWS_COGNITO_REFRESH_FLOW_ENABLED: '1' }), { disabled: true, refresh: true }, 'flags accept true/1/yes/on in any case')
})

t.test('optionsFromEnv leaves unset and empty variables out, and overrides win', async (t) => {
  t.same(optionsFromEnv({}), { cookie: {} })
  t.same(optionsFromEnv({ AWS_COGNITO_USER_POOL_ID: '', AWS_COGNITO_SCOPES: '', AWS_COGNITO_DISABLED: '', AWS_COGNITO_EXPIRATION_LEEWAY: '' }), { cookie: {} })
  const options = optionsFromEnv(FULL_ENV, { clientId: 'other', refresh: true })
  t.equal(options.clientId, 'other')
  t.equal(options.refresh, true)
})

t.test('optionsFromEnv reads process.env by default', async (t) => {
  const saved = process.env.AWS_COGNITO_USER_POOL_CLIENT_ID
  process.env.AWS_COGNITO_USER_POOL_CLIENT_ID = 'from-process-env'
  t.teardown(() => {
    if (saved === undefined) delete process.env.AWS_COGNITO_USER_POOL_CLIENT_ID
    else process.env.AWS_COGNITO_USER_POOL_CLIENT_ID = saved
  })
  t.equal(optionsFromEnv().clientId, 'from-process-env')
})

t.test('options from the environment register: disabled from env warns, cookies follow the env', async (t) => {
  const logs = captureLogs('warn')
  const app = await buildApp(t, optionsFromEnv({ ...FULL_ENV, AWS_COGNITO_DISABLED: 'on' }, { jwks: { warmup: false } }), { logs })
  t.ok(logs.lines.some(l => l.level === 40 && /authentication is DISABLED/.test(l.msg)))
  const lines = setCookieLines(await app.inject({ url: '/logout', headers: { 'sec-fetch-site': 'same-origin' } }))
  t.same(lines.map(l => l.split('=')[0]).sort(), ['cognito_access', 'cognito_id', 'cognito_refresh'], 'a cookie domain means no __Host- prefix')
  for (const line of lines) t.match(line, /Domain=example\.com.*SameSite=Strict|SameSite=Strict.*Domain=example\.com/)
  t.equal(new URL(app.cognito.logoutUrl).searchParams.get('logout_uri'), 'https://app.example.com/bye')
})

t.test('bad environment values fail naming the variable', async (t) => {
  const bad: Array<[string, string]> = [
    ['AWS_COGNITO_REFRESH_FLOW_ENABLED', 'maybe'],
    ['AWS_COGNITO_DISABLED', '2'],
    ['AWS_COGNITO_COOKIE_AGE_SECONDS', 'an hour'],
    ['AWS_COGNITO_REFRESH_COOKIE_AGE_SECONDS', '-1'],
    ['AWS_COGNITO_EXPIRATION_LEEWAY', 'Infinity'],
    ['AWS_COGNITO_COOKIE_SAMESITE', 'sometimes']
  ]
  for (const [name, value] of bad) {
    t.throws(() => optionsFromEnv({ ...FULL_ENV, [name]: value }), { code: 'FST_COGNITO_INVALID_OPTION', message: new RegExp(`${name} must be`) }, `${name}=${value}`)
  }
})

t.test('environment values the plugin refuses fail ready() naming the option they feed', async (t) => {
  const err = await readyError(optionsFromEnv({ ...FULL_ENV, AWS_COGNITO_REDIRECT_URL: 'http://app.example.com/cb' }))
  t.match(err.message, 'option redirectUri must use https')
  const missing = await readyError(optionsFromEnv({ ...FULL_ENV, SECRET_KEY: undefined }))
  t.match(missing.message, 'option secret is required')
})

t.test('optionsFromEnv merges cookie overrides with the cookie settings read from the environment', async (t) => {
  const options = optionsFromEnv({ AWS_COGNITO_COOKIE_DOMAIN: 'example.com', AWS_COGNITO_COOKIE_SAMESITE: 'Strict' }, { cookie: { name: 'app' } })
  t.same(options.cookie, { domain: 'example.com', sameSite: 'strict', name: 'app' })
})
