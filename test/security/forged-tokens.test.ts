/**
 * Forged, tampered and malformed tokens are refused: 401 (403 for group checks), never a 5xx, a
 * `FST_COGNITO_*` code in the JSON body, the same answer from a fresh app (cold JWKS and token
 * caches) and from a warm one (keys fetched, a valid token already verified), as a bearer token and,
 * where a cookie can carry it, sealed into the session cookie by the server itself.
 */
import { connect } from 'node:net'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import Fastify from 'fastify'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { SignJWT } from 'jose'
import fastifyCognito from '../../lib/index.js'
import { createTestPool } from '../../lib/testing/index.js'
import { cookieHeader } from '../helpers/cookies.js'
import { startFaultyIdp } from '../helpers/faulty-idp.js'
import {
  b64url, claimsOf, flipSignature, headerOf, hmacWithPublicKey, makeSigner, sign, signRaw, truncateSignature, unsigned, withClaims
} from '../helpers/forge.js'

const pool = await createTestPool()
t.teardown(() => pool.close())
// A second pool whose JWKS the tests write: one RSA key the app trusts (to sign payloads no Cognito
// would issue) and EC keys, one of them under the trusted RSA key's kid.
const idp = await startFaultyIdp({ poolId: pool.userPoolId })
t.teardown(() => idp.close())

const [attacker, trusted, ec, ecTwin, rs512] = await Promise.all([
  makeSigner('RS256', 'attacker'),
  makeSigner('RS256', 'trusted'),
  makeSigner('ES256', 'ec-only'),
  makeSigner('ES256', 'trusted'),
  makeSigner('RS512', 'no-alg')
])
// The RSA key served without `alg`: only the verifier's own pinning keeps RS512 out.
const { alg: _dropped, ...noAlgJwk } = rs512.publicJwk
idp.setJwksBody({ keys: [trusted.publicJwk, ec.publicJwk, ecTwin.publicJwk, noAlgJwk] })
const poolJwks = await (await fetch(pool.jwksUri)).json() as { keys: Array<{ kid: string, n: string, e: string, kty: string }> }

type Target = 'pool' | 'jwks'
const optionsOf = (target: Target) => target === 'pool'
  ? pool.pluginOptions()
  : { ...pool.pluginOptions(), issuer: idp.issuer, domain: idp.url }

const now = (): number => Math.floor(Date.now() / 1000)
const access = await pool.mintAccessToken({ username: 'alice', groups: ['admin'] })
const accessKid = headerOf(access).kid as string
const idKid = headerOf(await pool.mintIdToken({ username: 'alice' })).kid as string
const accessJwk = poolJwks.keys.find(k => k.kid === accessKid)
const legitClaims = claimsOf(access)
const valid: Record<Target, string> = {
  pool: access,
  jwks: await sign({ ...legitClaims, iss: idp.issuer }, trusted.privateKey, { alg: 'RS256', kid: 'trusted' })
}

interface Case {
  name: string
  /** The app's pool: the test pool's own JWKS, or the JWKS these tests write. Default pool. */
  target?: Target
  token: () => Promise<string> | string
  /** `access` (default): a guard's bearer token or access cookie; `id`: `verifyIdToken` or the ID cookie. */
  use?: 'access' | 'id'
  /** The route: `/me` (authenticate) or `/admin` (requireGroups(['admin'])). */
  route?: '/me' | '/admin'
  /** The whole Authorization header value, for header-syntax cases (bearer only). */
  authorization?: (token: string) => string
  /** A sealed cookie cannot carry this case (too large for cookies, or about the header itself). */
  noCookie?: boolean
  status?: number
  code: string
}

const INVALID = 'FST_COGNITO_INVALID_TOKEN'
const GROUP = 'FST_COGNITO_GROUP_REQUIRED'
const UNAUTHENTICATED = 'FST_COGNITO_UNAUTHENTICATED'
const mint = (claims: Record<string, unknown>, groups = ['admin']) => () => pool.mintAccessToken({ username: 'alice', groups, claims })
const rawTrusted = (payload: string) => () => signRaw(payload, trusted.privateKey, { alg: 'RS256', kid: 'trusted' })

const cases: Case[] = [
  // Algorithms and keys
  { name: 'alg none with an empty signature', token: () => unsigned(legitClaims), code: INVALID },
  { name: 'alg "None" spelled in another case', token: () => unsigned(legitClaims, { alg: 'None', kid: accessKid }), code: INVALID },
  { name: 'alg none keeping a genuine signature', token: () => `${b64url({ alg: 'none', kid: accessKid })}.${access.split('.')[1]}.${access.split('.')[2]}`, code: INVALID },
  { name: 'HS256 with the pool public key (PEM) as HMAC secret and the access kid', token: () => hmacWithPublicKey(legitClaims, accessJwk as object, accessKid), code: INVALID },
  { name: 'HS256 with the pool public key as HMAC secret and no kid', token: () => hmacWithPublicKey(legitClaims, accessJwk as object, undefined), code: INVALID },
  { name: 'RS256 by a key not in the JWKS, claiming the access key kid', token: () => sign(legitClaims, attacker.privateKey, { alg: 'RS256', kid: accessKid }), code: INVALID },
  { name: 'RS256 by a key not in the JWKS, with an unknown kid', token: () => sign(legitClaims, attacker.privateKey, { alg: 'RS256', kid: 'no-such-key' }), code: INVALID },
  { name: 'RS256 by a key not in the JWKS, with no kid', token: () => sign(legitClaims, attacker.privateKey, { alg: 'RS256' }), code: INVALID },
  { name: 'no kid although the only RSA key of the JWKS signed it', target: 'jwks', token: () => sign({ ...legitClaims, iss: idp.issuer }, trusted.privateKey, { alg: 'RS256' }), code: INVALID },
  { name: 'a kid that is not a string', token: () => sign(legitClaims, attacker.privateKey, { alg: 'RS256', kid: 7 as unknown as string }), code: INVALID },
  { name: 'RS256 whose kid names an EC key of the JWKS', target: 'jwks', token: () => sign({ ...legitClaims, iss: idp.issuer }, attacker.privateKey, { alg: 'RS256', kid: 'ec-only' }), code: INVALID },
  { name: 'ES256 signed by the EC key the JWKS serves', target: 'jwks', token: () => sign({ ...legitClaims, iss: idp.issuer }, ec.privateKey, { alg: 'ES256', kid: 'ec-only' }), code: INVALID },
  { name: 'ES256 by the EC key sharing its kid with the trusted RSA key', target: 'jwks', token: () => sign({ ...legitClaims, iss: idp.issuer }, ecTwin.privateKey, { alg: 'ES256', kid: 'trusted' }), code: INVALID },
  { name: 'an embedded jwk header carrying the attacker key', token: () => sign(legitClaims, attacker.privateKey, { alg: 'RS256', jwk: { kty: 'RSA', n: attacker.publicJwk.n as string, e: attacker.publicJwk.e as string } }), code: INVALID },
  { name: 'a jku header pointing at another JWKS', token: () => sign(legitClaims, attacker.privateKey, { alg: 'RS256', kid: 'attacker', jku: `${idp.url}/attacker/jwks.json` }), code: INVALID },
  { name: 'RS512 by an RSA key the JWKS serves without alg', target: 'jwks', token: () => sign({ ...legitClaims, iss: idp.issuer }, rs512.privateKey, { alg: 'RS512', kid: 'no-alg' }), code: INVALID },
  { name: 'a genuine token with base64 padding appended to its signature', token: () => `${access}==`, code: INVALID },
  { name: 'a crit header extension the verifier does not understand', target: 'jwks', token: () => signCrit(), code: INVALID },
  // Tampering
  { name: 'tampered payload (groups added) keeping the signature', route: '/admin', token: async () => withClaims(await pool.mintAccessToken({ username: 'bob' }), c => ({ ...c, 'cognito:groups': ['admin'] })), code: INVALID },
  { name: 'tampered header (kid switched to the ID key)', token: () => `${b64url({ alg: 'RS256', kid: idKid })}.${access.split('.').slice(1).join('.')}`, code: INVALID },
  { name: 'tampered signature (one character changed)', token: () => flipSignature(access), code: INVALID },
  { name: 'truncated signature', token: () => truncateSignature(access), code: INVALID },
  { name: 'signature removed', token: () => access.slice(0, access.lastIndexOf('.') + 1), code: INVALID },
  // Claims
  { name: 'expired', token: () => pool.mintAccessToken({ username: 'alice', expiresIn: -120 }), code: 'FST_COGNITO_TOKEN_EXPIRED' },
  { name: 'nbf far in the future', token: () => mint({ nbf: now() + 86_400 })(), code: INVALID },
  { name: 'iat far in the future', token: () => mint({ iat: now() + 86_400, exp: now() + 90_000 })(), code: INVALID },
  { name: 'exp that is not a number', token: () => mint({ exp: String(now() + 3600) })(), code: INVALID },
  { name: 'exp missing', token: mint({ exp: undefined }), code: INVALID },
  { name: 'wrong iss (another user pool)', token: mint({ iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other' }), code: INVALID },
  { name: 'the hosted-UI domain as iss', token: mint({ iss: pool.pluginOptions().domain }), code: INVALID },
  { name: 'an iss that only starts with the issuer', token: mint({ iss: `${pool.issuer}-evil` }), code: INVALID },
  { name: 'wrong client_id', token: mint({ client_id: 'another-client' }), code: INVALID },
  { name: 'client_id missing, the client only in aud', token: mint({ client_id: undefined, aud: pool.clientId }), code: INVALID },
  { name: 'ID token used as access token', token: () => pool.mintIdToken({ username: 'alice', groups: ['admin'] }), code: INVALID },
  { name: 'token_use missing', token: mint({ token_use: undefined }), code: INVALID },
  { name: 'token_use neither access nor id', token: mint({ token_use: 'refresh' }), code: INVALID },
  { name: 'sub missing', token: mint({ sub: undefined }), code: INVALID },
  { name: 'username missing', token: mint({ username: undefined }), code: INVALID },
  { name: 'access token presented where an ID token is expected', use: 'id', token: () => pool.mintAccessToken({ username: 'alice' }), code: INVALID },
  { name: 'ID token with a wrong aud', use: 'id', token: () => pool.mintIdToken({ username: 'alice', claims: { aud: 'another-client' } }), code: INVALID },
  { name: 'ID token with token_use missing', use: 'id', token: () => pool.mintIdToken({ username: 'alice', claims: { token_use: undefined } }), code: INVALID },
  { name: 'ID token from another issuer', use: 'id', token: () => pool.mintIdToken({ username: 'alice', claims: { iss: pool.pluginOptions().domain } }), code: INVALID },
  // Groups: a valid token that lacks the group is a 403, whatever shape the claim has
  { name: 'cognito:groups as a string', route: '/admin', token: mint({ 'cognito:groups': 'admin' }), status: 403, code: GROUP },
  { name: 'cognito:groups missing', route: '/admin', token: mint({}, []), status: 403, code: GROUP },
  { name: 'group name in another case (Admin for admin)', route: '/admin', token: mint({}, ['Admin']), status: 403, code: GROUP },
  { name: 'cognito:groups holding a non-string', route: '/admin', token: mint({ 'cognito:groups': ['admin', 1] }), status: 403, code: GROUP },
  { name: 'cognito:groups smuggled through __proto__', route: '/admin', target: 'jwks', token: rawTrusted(JSON.stringify({ ...legitClaims, iss: idp.issuer, 'cognito:groups': undefined }).replace(/^\{/, '{"__proto__":{"cognito:groups":["admin"]},')), status: 403, code: GROUP },
  // Structure
  { name: 'a 100 kB token', noCookie: true, token: () => `${access.split('.')[0]}.${b64url({ ...legitClaims, pad: 'x'.repeat(100_000) })}.${access.split('.')[2]}`, code: INVALID },
  { name: 'segments that are not base64url', token: () => 'eyJ!!!.e@@@.s$$$', code: INVALID },
  { name: 'two dots only', token: () => '..', code: INVALID },
  { name: 'a single segment', token: () => access.split('.')[0] as string, code: INVALID },
  { name: 'five segments (JWE shaped)', token: () => `${access}.${access.split('.')[1]}.x`, code: INVALID },
  { name: 'payload JSON array signed by a trusted key', target: 'jwks', token: rawTrusted('[]'), code: INVALID },
  { name: 'payload JSON string signed by a trusted key', target: 'jwks', token: rawTrusted('"x"'), code: INVALID },
  { name: 'payload JSON number signed by a trusted key', target: 'jwks', token: rawTrusted('1'), code: INVALID },
  { name: 'payload that is not JSON signed by a trusted key', target: 'jwks', token: rawTrusted('not json'), code: INVALID },
  { name: 'header that is not JSON', token: () => `${b64url('not json')}.${access.split('.').slice(1).join('.')}`, code: INVALID },
  { name: 'header that is a JSON array', token: () => `${b64url(['RS256'])}.${access.split('.').slice(1).join('.')}`, code: INVALID },
  // The Authorization header itself
  { name: 'Authorization: Bearer followed by two words', noCookie: true, token: () => access, authorization: x => `Bearer ${x} extra`, code: INVALID },
  { name: 'Authorization: Bearer with no token', noCookie: true, token: () => '', authorization: () => 'Bearer', code: INVALID },
  { name: 'Authorization: Bearer and a space only', noCookie: true, token: () => '', authorization: () => 'Bearer ', code: INVALID },
  { name: 'Authorization: CRLF header injection after the token', noCookie: true, token: () => access, authorization: x => `Bearer ${x}\r\nX-Injected: 1`, code: INVALID },
  { name: 'Authorization: a NUL byte inside the token', noCookie: true, token: () => access, authorization: x => `Bearer ${x.slice(0, 20)}\0${x.slice(20)}`, code: INVALID },
  { name: 'Authorization: a tab instead of the space', noCookie: true, token: () => access, authorization: x => `Bearer\t${x}`, code: INVALID },
  { name: 'Authorization: whitespace inside the token', noCookie: true, token: () => access, authorization: x => `Bearer ${x.replace('.', '. ')}`, code: INVALID },
  { name: 'Authorization: two bearer tokens', noCookie: true, token: () => access, authorization: x => `Bearer ${x}, Bearer ${x}`, code: INVALID },
  // Another scheme is not a bearer token: without a session cookie the caller is simply unauthenticated
  { name: 'Authorization: the token without a scheme', noCookie: true, token: () => access, authorization: x => x, code: UNAUTHENTICATED },
  { name: 'Authorization: Basic credentials', noCookie: true, token: () => '', authorization: () => `Basic ${Buffer.from('alice:Passw0rd!').toString('base64')}`, code: UNAUTHENTICATED },
  { name: 'Authorization: the token under another scheme', noCookie: true, token: () => access, authorization: x => `Token ${x}`, code: UNAUTHENTICATED },
  { name: 'Authorization: a scheme that only starts with Bearer', noCookie: true, token: () => access, authorization: x => `BearerX ${x}`, code: UNAUTHENTICATED }
]

async function signCrit (): Promise<string> {
  return await new SignJWT({ ...legitClaims, iss: idp.issuer })
    .setProtectedHeader({ alg: 'RS256', kid: 'trusted', crit: ['urn:example:bound'], 'urn:example:bound': true })
    .sign(trusted.privateKey, { crit: { 'urn:example:bound': true } })
}

async function buildApp (target: Target, cold: boolean): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(fastifyCognito, { ...optionsOf(target), ...(cold ? { jwks: { warmup: false } } : {}) })
  app.get('/me', { preHandler: app.cognito.authenticate }, async (request) => ({
    sub: request.cognito?.sub, idToken: request.cognito?.idToken?.sub ?? null
  }))
  app.get('/admin', { preHandler: app.cognito.requireGroups(['admin']) }, async () => ({ admin: true }))
  app.get('/id-token', async (request) => {
    const claims = await app.cognito.verifyIdToken(String(request.headers['x-id-token']))
    return { sub: claims.sub }
  })
  await app.ready()
  return app
}

type Transport = 'bearer' | 'cookie'

async function present (app: FastifyInstance, c: Case, target: Target, token: string, transport: Transport): Promise<LightMyRequestResponse> {
  const route = c.route ?? '/me'
  if (transport === 'bearer') {
    if (c.use === 'id') return await app.inject({ url: '/id-token', headers: { 'x-id-token': token } })
    return await app.inject({ url: route, headers: { authorization: c.authorization?.(token) ?? `Bearer ${token}` } })
  }
  const tokens = c.use === 'id' ? { accessToken: valid[target], idToken: token } : { accessToken: token }
  return await app.inject({ url: route, headers: { cookie: cookieHeader(app.cognito.sealSession(tokens)) } })
}

const warm: Partial<Record<Target, FastifyInstance>> = {}
t.teardown(() => Promise.all(Object.values(warm).map(app => app.close())))

async function warmApp (t: { equal (found: unknown, wanted: unknown, message: string): boolean }, target: Target): Promise<FastifyInstance> {
  const app = warm[target] ?? await buildApp(target, false)
  warm[target] = app
  // A valid token verified by bearer and by cookie: keys cached, verified-token cache populated.
  const byBearer = await app.inject({ url: '/me', headers: { authorization: `Bearer ${valid[target]}` } })
  const byCookie = await app.inject({ url: '/me', headers: { cookie: cookieHeader(app.cognito.sealSession({ accessToken: valid[target] })) } })
  t.equal(byBearer.statusCode, 200, 'warm app: a valid bearer token is accepted')
  t.equal(byCookie.statusCode, 200, 'warm app: a valid session cookie is accepted')
  return app
}

t.test('the valid tokens these cases are forged from are accepted (controls)', async (t) => {
  for (const target of ['pool', 'jwks'] as const) {
    const app = await buildApp(target, true)
    t.teardown(() => app.close())
    const res = await app.inject({ url: '/admin', headers: { authorization: `Bearer ${valid[target]}` } })
    t.equal(res.statusCode, 200, `${target}: valid admin token`)
  }
  const app = await buildApp('pool', true)
  t.teardown(() => app.close())
  const id = await pool.mintIdToken({ username: 'alice' })
  const api = await app.inject({ url: '/id-token', headers: { 'x-id-token': id } })
  t.equal(api.statusCode, 200, 'verifyIdToken accepts a genuine ID token')
  const cookie = await app.inject({ url: '/me', headers: { cookie: cookieHeader(app.cognito.sealSession({ accessToken: access, idToken: id })) } })
  t.equal(cookie.json().idToken, claimsOf(id).sub, 'a genuine ID cookie is loaded')
})

t.test('Authorization scheme and spacing that RFC 6750 allows are accepted', async (t) => {
  const app = await buildApp('pool', true)
  t.teardown(() => app.close())
  for (const header of [`bearer ${access}`, `BEARER ${access}`, `Bearer  ${access}`, `Bearer ${access} `]) {
    const res = await app.inject({ url: '/me', headers: { authorization: header } })
    t.equal(res.statusCode, 200, JSON.stringify(header.replace(access, '<token>')))
  }
})

t.test('a forged bearer token is refused even next to a valid session cookie', async (t) => {
  const app = await buildApp('pool', true)
  t.teardown(() => app.close())
  const res = await app.inject({
    url: '/me',
    headers: { authorization: `Bearer ${flipSignature(access)}`, cookie: cookieHeader(app.cognito.sealSession({ accessToken: access })) }
  })
  t.equal(res.statusCode, 401)
  t.equal(res.json().code, INVALID)
})

t.test('Basic credentials of a proxy in front of the app do not hide the session cookie', async (t) => {
  const app = await buildApp('pool', true)
  t.teardown(() => app.close())
  const basic = `Basic ${Buffer.from('staging:secret').toString('base64')}`
  const ok = await app.inject({ url: '/me', headers: { authorization: basic, cookie: cookieHeader(app.cognito.sealSession({ accessToken: access })) } })
  t.equal(ok.statusCode, 200, 'the valid session cookie authenticates')
  const forged = await app.inject({ url: '/me', headers: { authorization: basic, cookie: cookieHeader(app.cognito.sealSession({ accessToken: flipSignature(access) })) } })
  t.equal(forged.statusCode, 401, 'a forged sealed token is still refused')
  t.equal(forged.json().code, INVALID)
  const navigation = await app.inject({ url: '/me', headers: { authorization: basic, accept: 'text/html' } })
  t.equal(navigation.statusCode, 302, 'a browser navigation without a session goes to login')
  t.equal(navigation.headers.location, '/login?returnTo=%2Fme')
})

t.test(`forged and malformed tokens (${cases.length} cases)`, async (t) => {
  for (const c of cases) {
    t.test(c.name, async (t) => {
      const target = c.target ?? 'pool'
      const token = await c.token()
      const status = c.status ?? 401
      const transports: Transport[] = c.noCookie === true ? ['bearer'] : ['bearer', 'cookie']
      for (const transport of transports) {
        // An invalid ID cookie next to a valid access cookie leaves the session's identity without ID claims.
        const idCookie = c.use === 'id' && transport === 'cookie'
        const answers: string[] = []
        for (const state of ['cold', 'warm'] as const) {
          const app = state === 'cold' ? await buildApp(target, true) : await warmApp(t, target)
          const res = await present(app, c, target, token, transport)
          if (state === 'cold') await app.close()
          const label = `${transport}, ${state}`
          t.ok(res.statusCode < 500, `${label}: no 5xx (${res.statusCode})`)
          if (token.length > 16) t.notOk(res.body.includes(token), `${label}: the token is not echoed`)
          if (idCookie) {
            t.equal(res.statusCode, 200, `${label}: the valid access cookie still authenticates`)
            t.equal(res.json().idToken, null, `${label}: the forged ID token is not loaded`)
            answers.push(`${res.statusCode} ${res.json().idToken}`)
            continue
          }
          const body = res.json()
          t.equal(res.statusCode, status, `${label}: status ${status}`)
          t.equal(body.code, c.code, `${label}: ${c.code}`)
          t.match(body.code, /^FST_COGNITO_/, `${label}: a plugin error code`)
          answers.push(`${res.statusCode} ${body.code}`)
        }
        t.equal(answers[0], answers[1], `${transport}: the cold and the warm app answer the same`)
      }
    })
  }
})

t.test('a forged token flood leaves the warm app accepting valid tokens', async (t) => {
  const app = await warmApp(t, 'pool')
  const res = await app.inject({ url: '/admin', headers: { authorization: `Bearer ${access}` } })
  t.equal(res.statusCode, 200)
})

/** Sends raw bytes over a real socket and returns the status line Node's HTTP server answers with. */
async function rawStatus (port: number, request: string): Promise<number> {
  return await new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request))
    let text = ''
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => { text += chunk })
    socket.on('error', reject)
    socket.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0)))
  })
}

t.test('over real HTTP, header bytes Node refuses never reach the plugin, and the answer is a 4xx', async (t) => {
  const app = await buildApp('pool', true)
  t.teardown(() => app.close())
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  const requestWith = (authorization: string): string => `GET /me HTTP/1.1\r\nHost: localhost\r\nAuthorization: ${authorization}\r\nConnection: close\r\n\r\n`
  t.equal(await rawStatus(port, requestWith(`Bearer ${'a'.repeat(100_000)}`)), 431, 'a 100 kB token: 431 Request Header Fields Too Large')
  t.equal(await rawStatus(port, requestWith(`Bearer ${access.slice(0, 20)}\r${access.slice(20)}`)), 400, 'a lone CR inside the value: 400')
  t.equal(await rawStatus(port, requestWith(`Bearer ${access.slice(0, 20)}\0${access.slice(20)}`)), 400, 'a NUL inside the value: 400')
  t.equal(await rawStatus(port, requestWith(`Bearer ${flipSignature(access)}`)), 401, 'a forged token over real HTTP: 401 (control)')
  t.equal(await rawStatus(port, requestWith(`Bearer ${access}`)), 200, 'a genuine token over real HTTP: 200 (control)')
})
