/**
 * Session and transaction cookies that were tampered with, cut, re-ordered, duplicated, blown up,
 * sealed with a retired secret or taken from another purpose: the caller is unauthenticated (401)
 * or the callback refuses with a clear 400, never a 5xx.
 */
import { randomBytes } from 'node:crypto'
import t from 'tap'
import Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'
import fastifyCognito from '../../lib/index.js'
import { createTestPool } from '../../lib/testing/index.js'
import { CookieJar } from '../helpers/cookies.js'

const pool = await createTestPool()
t.teardown(() => pool.close())

const OLD_SECRET = randomBytes(32).toString('base64url')
const NEW_SECRET = randomBytes(32).toString('base64url')

async function buildApp (secret: string | string[] = pool.pluginOptions().secret): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(fastifyCognito, { ...pool.pluginOptions(), secret })
  app.get('/me', { preHandler: app.cognito.authenticate }, async (request) => ({ sub: request.cognito?.sub, id: request.cognito?.idToken !== null }))
  await app.ready()
  return app
}

const app = await buildApp()
t.teardown(() => app.close())

const { accessToken, idToken } = await pool.mintTokens({ username: 'alice', groups: ['admin'] })
// Cognito's ID tokens grow to about 6 kB with custom claims; this access token is as large, so it is chunked.
const bigAccess = await pool.mintAccessToken({ username: 'alice', claims: { 'custom:blob': 'x'.repeat(7000) } })
const sealed = app.cognito.sealSession({ accessToken, idToken, refreshToken: 'opaque-refresh-token' })
const chunks = app.cognito.sealSession({ accessToken: bigAccess })
const otherChunks = app.cognito.sealSession({ accessToken: await pool.mintAccessToken({ username: 'bob', claims: { 'custom:blob': 'y'.repeat(7000) } }) })
const A = 'cognito_access'

const header = (pairs: Array<[string, string]>): string => pairs.map(([k, v]) => `${k}=${v}`).join('; ')
const only = (value: string): string => header([[A, value]])
const valueOf = (map: Record<string, string>, name: string): string => map[name] as string

function flipAt (value: string, index: number): string {
  const c = value[index] === 'A' ? 'B' : 'A'
  return value.slice(0, index) + c + value.slice(index + 1)
}

async function me (cookie: string, target: FastifyInstance = app) {
  return await target.inject({ url: '/me', headers: { cookie } })
}

t.test('controls: genuine cookies authenticate', async (t) => {
  t.equal((await me(header(Object.entries(sealed)))).statusCode, 200, 'access, id and refresh cookies')
  t.ok(Object.keys(chunks).length >= 3, `the large token is split into ${Object.keys(chunks).length} cookies`)
  t.equal((await me(header(Object.entries(chunks)))).statusCode, 200, 'chunks in order')
  t.equal((await me(header(Object.entries(chunks).reverse()))).statusCode, 200, 'chunks in any header order (they are numbered)')
})

const access = valueOf(sealed, A)
const dot = access.indexOf('.')
const [chunk0, chunk1, chunk2] = [valueOf(chunks, A), valueOf(chunks, `${A}.1`), valueOf(chunks, `${A}.2`)]
const count = chunk0.slice(0, 2)

const cases: Array<[string, string]> = [
  ['one character of the ciphertext changed', only(flipAt(access, Math.floor(dot / 2)))],
  ['one character of the nonce changed', only(flipAt(access, dot + 3))],
  ['ciphertext and nonce swapped', only(`${access.slice(dot + 1)}.${access.slice(0, dot)}`)],
  ['truncated to half', only(access.slice(0, Math.floor(access.length / 2)))],
  ['truncated nonce', only(access.slice(0, -4))],
  ['the ciphertext only, no separator', only(access.slice(0, dot))],
  ['a lone separator', only('.')],
  ['an empty value', only('')],
  ['characters outside base64url', only('%%%!!.***~~')],
  ['an undecodable percent sequence', only('%E0%A4%A.%ZZ')],
  ['a 10 kB random value', only(randomBytes(7500).toString('base64url'))],
  ['a 10 kB random value with a separator', only(`${randomBytes(7000).toString('base64url')}.${randomBytes(24).toString('base64url')}`)],
  ['a 10 kB value with a chunk count', only(`9~${randomBytes(7500).toString('base64url')}`)],
  ['the ID cookie presented as the access cookie', only(valueOf(sealed, 'cognito_id'))],
  ['the refresh cookie presented as the access cookie', only(valueOf(sealed, 'cognito_refresh'))],
  ['the access cookie and the ID cookie swapped', header([[A, valueOf(sealed, 'cognito_id')], ['cognito_id', access]])],
  ['chunks 1 and 2 swapped', header([[A, chunk0], [`${A}.1`, chunk2], [`${A}.2`, chunk1]])],
  ['the first chunk\'s data swapped with chunk 1', header([[A, `${count}${chunk1}`], [`${A}.1`, chunk0.slice(2)], [`${A}.2`, chunk2]])],
  ['a chunk missing', header([[A, chunk0], [`${A}.2`, chunk2]])],
  ['the chunk count lowered', header([[A, `2~${chunk0.slice(2)}`], [`${A}.1`, chunk1], [`${A}.2`, chunk2]])],
  ['the chunk count raised beyond the chunks sent', header([[A, `9~${chunk0.slice(2)}`], [`${A}.1`, chunk1], [`${A}.2`, chunk2]])],
  ['a chunk from another session', header([[A, chunk0], [`${A}.1`, valueOf(otherChunks, `${A}.1`)], [`${A}.2`, chunk2]])],
  ['chunks without their first cookie', header([[`${A}.1`, chunk1], [`${A}.2`, chunk2]])],
  ['a duplicated name, the forged value first', header([[A, flipAt(access, 5)], [A, access]])],
  ['a duplicated chunk name, the forged chunk first', header([[A, chunk0], [`${A}.1`, flipAt(chunk1, 5)], [`${A}.1`, chunk1], [`${A}.2`, chunk2]])],
  ['cookie names that are object keys', header([['__proto__', access], ['constructor', access], ['toString', access]])],
  ['a refresh cookie alone, tampered', header([['cognito_refresh', flipAt(valueOf(sealed, 'cognito_refresh'), 4)]])]
]

t.test(`tampered and misplaced session cookies are unauthenticated (${cases.length} cases)`, async (t) => {
  for (const [name, cookie] of cases) {
    t.test(name, async (t) => {
      const res = await me(cookie)
      t.ok(res.statusCode < 500, `no 5xx (${res.statusCode})`)
      t.equal(res.statusCode, 401)
      t.equal(res.json().code, 'FST_COGNITO_UNAUTHENTICATED')
      t.equal(res.headers['www-authenticate'], 'Bearer', 'a plain challenge: no credentials were usable')
    })
  }
})

t.test('a duplicated name, the genuine value first: the first one counts, the second is never opened', async (t) => {
  const res = await me(header([[A, access], [A, flipAt(access, 5)]]))
  t.equal(res.statusCode, 200)
})

t.test('a value in double quotes is the same cookie (RFC 6265 §4.1.1 cookie-value)', async (t) => {
  t.equal((await me(only(`"${access}"`))).statusCode, 200)
})

t.test('a cookie sealed with a retired secret is unauthenticated; one sealed with an older listed secret is re-sealed', async (t) => {
  const before = await buildApp(OLD_SECRET)
  const after = await buildApp(NEW_SECRET)
  const rotating = await buildApp([NEW_SECRET, OLD_SECRET])
  t.teardown(() => Promise.all([before.close(), after.close(), rotating.close()]))
  const old = header(Object.entries(before.cognito.sealSession({ accessToken, idToken })))

  const retired = await me(old, after)
  t.equal(retired.statusCode, 401, 'the old secret is no longer in the list')
  t.equal(retired.json().code, 'FST_COGNITO_UNAUTHENTICATED')

  const rotated = await me(old, rotating)
  t.equal(rotated.statusCode, 200, 'the old secret is still listed')
  const jar = new CookieJar().store(rotated)
  t.ok(jar.get(A), 'the access cookie is re-sealed with the newest secret')
  t.equal((await me(jar.header('/me') as string, after)).statusCode, 200, 'the re-sealed cookie opens with the newest secret alone')
})

t.test('forged login transaction cookies are refused at the callback with a clear 400', async (t) => {
  const jar = new CookieJar()
  const login = await app.inject({ url: '/login' })
  jar.store(login)
  const state = new URL(login.headers.location as string).searchParams.get('state') as string
  const txName = jar.names().find(n => n === 'cognito_tx') as string
  const tx = jar.get(txName) as string
  const before = await buildApp(OLD_SECRET)
  t.teardown(() => before.close())
  const oldLogin = await before.inject({ url: '/login' })
  const oldState = new URL(oldLogin.headers.location as string).searchParams.get('state') as string
  const oldTx = new CookieJar().store(oldLogin)
  const oldTxName = oldTx.names()[0] as string

  const forged: Array<[string, string, string]> = [
    ['a tampered transaction cookie', state, header([[txName, flipAt(tx, 10)]])],
    ['a truncated transaction cookie', state, header([[txName, tx.slice(0, 40)]])],
    ['a 10 kB transaction cookie', state, header([[txName, randomBytes(7500).toString('base64url')]])],
    ['the access cookie presented as the transaction cookie', state, header([[txName, access]])],
    ['a transaction cookie sealed with a retired secret', oldState, header([[oldTxName, oldTx.get(oldTxName) as string]])],
    ['a duplicated transaction cookie, the forged value first', state, header([[txName, flipAt(tx, 10)], [txName, tx]])]
  ]
  for (const [name, s, cookie] of forged) {
    const res = await app.inject({ url: `/auth/callback?code=c0de&state=${s}`, headers: { cookie } })
    t.test(name, async (t) => {
      t.equal(res.statusCode, 400)
      t.equal(res.json().code, 'FST_COGNITO_LOGIN_TRANSACTION')
      t.notOk(res.headers.location, 'no redirect')
    })
  }
  // The access cookie's value under the transaction cookie's name, and the transaction cookie under the access cookie's name.
  const swapped = await me(only(tx))
  t.equal(swapped.statusCode, 401, 'the transaction cookie presented as the access cookie')
  t.equal(swapped.json().code, 'FST_COGNITO_UNAUTHENTICATED')
})
