/**
 * Edges of the Redis store: a session-id cookie sealed with an older secret is re-sealed; records at rest
 * refuse anything but their own format and key; tokens without a usable `sub` cannot start a session;
 * writes that change nothing are not made.
 */
import t from 'tap'
import { decryptRecord, encryptRecord } from '../../lib/session/at-rest.js'
import { bounded } from '../../lib/session/redis-keys.js'
import { buildApp, meRoutes } from '../helpers/app.js'
import { setCookies } from '../helpers/cookies.js'
import { startRedisRig } from '../helpers/redis-app.js'
import { commandCalls } from '../helpers/redis-stats.js'
import { probedStore, requestWith } from '../helpers/redis-store-probe.js'
import { alice, idpOptions } from '../helpers/token-endpoint.js'

const rig = await startRedisRig(t)
const stats = rig.redis.client()

t.test('a session-id cookie sealed with an older secret opens, and is re-sealed with the newest', async t => {
  const old = 'the-old-secret-the-old-secret-the-old-secret'
  const before = await rig.app({}, { secret: old })
  const cookies = await before.cognito.sessions.create(await rig.pool.mintTokens(alice))
  const after = await rig.app({}, { secret: ['the-new-secret-the-new-secret-the-new-secret', old] })
  const res = await after.inject({ url: '/me', cookies })
  t.equal(res.statusCode, 200, 'the record, encrypted with the old secret\'s key, opens too')
  const resealed = setCookies(res).cognito_session
  t.ok(resealed && resealed !== cookies.cognito_session, 're-sealed')
  const newestOnly = await rig.app({}, { secret: 'the-new-secret-the-new-secret-the-new-secret' })
  t.equal((await newestOnly.inject({ url: '/me', cookies: { cognito_session: resealed! } })).statusCode, 401, 'the record itself still needs the old key until it is rewritten')
  t.same(setCookies(await after.inject({ url: '/me', cookies: { cognito_session: resealed! } })), {}, 'and is not re-sealed again')
})

t.test('records at rest: another key name, another key, another format or too short do not open', async t => {
  const keys = [Buffer.alloc(32, 1)]
  const sealed = encryptRecord(keys, 'hello', 'k1')
  t.equal(decryptRecord(keys, sealed, 'k1'), 'hello')
  t.equal(decryptRecord([Buffer.alloc(32, 2), ...keys], sealed, 'k1'), 'hello', 'an older key opens')
  t.equal(decryptRecord(keys, sealed, 'k2'), undefined)
  t.equal(decryptRecord([Buffer.alloc(32, 2)], sealed, 'k1'), undefined)
  t.equal(decryptRecord(keys, sealed.replace(/^1\./, '2.'), 'k1'), undefined)
  t.equal(decryptRecord(keys, '1.AAAA', 'k1'), undefined)
})

t.test('tokens without a usable sub cannot start a stored session', async t => {
  const app = await rig.app()
  t.throws(() => app.cognito.sealSession({ accessToken: 'not-a-jwt' }), { code: 'FST_COGNITO_INVALID_TOKEN' })
  const odd = await rig.pool.mintAccessToken({ username: 'odd', sub: 'has space' })
  await t.rejects(app.cognito.sessions.create({ accessToken: odd }), { code: 'FST_COGNITO_INVALID_TOKEN' })
})

t.test('a failed Redis call is a coded 503 that names no key', async t => {
  await t.rejects(bounded(Promise.reject(new TypeError('EVAL {app:sub}:session:x')), 100), { code: 'FST_COGNITO_SESSION_STORE_UNAVAILABLE', message: 'The session store is unavailable: Redis failed (TypeError)' })
})

t.test('update writes only what changed, and nothing without a session', async t => {
  const probe = probedStore({ client: rig.redis.client() })
  const app = await buildApp(t, { ...idpOptions(rig.pool, rig.idp), sessionStore: probe.factory }, { routes: meRoutes })
  const tokens = { ...await rig.pool.mintTokens(alice), refreshToken: 'r1' }
  const request = requestWith(await app.cognito.sessions.create(tokens))
  t.ok(await probe.store().read(request, 'access'))
  const reply = {} as never
  const evals = async (): Promise<number> => (await commandCalls(stats)).eval ?? 0
  let n = await evals()
  await probe.store().update(request, reply, { accessToken: tokens.accessToken })
  t.equal(await evals() - n, 0, 'the same tokens: no write')
  for (const change of [{ idToken: 'other-id' }, { refreshToken: 'r2' }, { accessToken: 'other-access' }]) {
    n = await evals()
    await probe.store().update(request, reply, change)
    t.equal(await evals() - n, 1, `${Object.keys(change)[0]} changed: one write`)
  }
  t.equal((await probe.store().read(request, 'refresh'))?.value, 'r2')
  await probe.store().update(requestWith({}), reply, { accessToken: 'x' })
  t.equal(await probe.store().read(requestWith({}), 'access'), undefined, 'no cookie, no session')
})
