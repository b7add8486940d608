/**
 * A session in Redis: the browser holds one small sealed cookie; the tokens are in Redis, encrypted,
 * with the session's lifetime as TTL; guards, refresh and logout work as with cookies.
 */
import t from 'tap'
import { Redis } from 'ioredis'
import { setCookies, parseSetCookies } from '../helpers/cookies.js'
import { startRedisRig } from '../helpers/redis-app.js'
import { keysWithTtl } from '../helpers/redis.js'
import { alice, answerTokens, fakeRefreshToken } from '../helpers/token-endpoint.js'

const rig = await startRedisRig(t)
const app = await rig.app()
const raw: Redis = rig.redis.client()

t.test('the browser holds one sealed session-id cookie; Redis holds the tokens encrypted, with a TTL', async t => {
  const tokens = { ...await rig.pool.mintTokens(alice), refreshToken: fakeRefreshToken('stored') }
  const cookies = await app.cognito.sessions.create(tokens)
  t.same(Object.keys(cookies), ['cognito_session'])
  t.ok(cookies.cognito_session!.length < 300, 'a small cookie')
  const res = await app.inject({ url: '/me', cookies })
  t.equal(res.statusCode, 200)
  t.equal(res.json().username, 'alice')
  t.equal(res.json().id, true, 'the ID token came from the store')
  t.same(setCookies(res), {}, 'a warm request sets no cookie')

  const keys = await keysWithTtl(raw)
  const sub = res.json().sub as string
  const sessionKey = [...keys.keys()].find(k => k.startsWith(`{fastify-cognito:${sub}}:session:`))
  t.ok(sessionKey, 'the session key is tagged with the user')
  t.ok(keys.has(`{fastify-cognito:${sub}}:sessions`), 'and so is the user index')
  const ttl = keys.get(sessionKey!)!
  t.ok(ttl > 86_000_000 && ttl <= 86_400_000, 'TTL: the refresh cookie max age (1 day)')
  const data = await raw.hget(sessionKey!, 'data')
  for (const token of Object.values(tokens)) t.notOk(data!.includes(token.slice(0, 40)), 'no token in the clear')
  t.match(data, /^1\.[\w-]+$/, 'one AES-GCM record')
})

t.test('a login through the callback keeps only the session-id cookie and a Secure one is __Host-', async t => {
  const secure = await rig.app({}, { cookie: { secure: true } })
  const cookies = secure.cognito.sealSession(await rig.pool.mintTokens(alice))
  t.same(Object.keys(cookies), ['__Host-cognito_session'])
  const res = await secure.inject({ url: '/me', cookies })
  t.equal(res.statusCode, 200, 'a sealed session is usable at once: the request waits for the write')
})

t.test('an expired access token is renewed by the guard: Redis gets the new tokens, the cookie stays', async t => {
  answerTokens(rig.idp, rig.pool)
  const tokens = { ...await rig.pool.mintTokens({ ...alice, expiresIn: -60 }), refreshToken: fakeRefreshToken('renew') }
  const cookies = await app.cognito.sessions.create(tokens)
  const before = rig.idp.counts.token
  const res = await app.inject({ url: '/me', cookies })
  t.equal(res.statusCode, 200)
  t.equal(rig.idp.counts.token - before, 1, 'one grant')
  t.same(setCookies(res), {}, 'no cookie is written: the session id does not change')
  const again = await app.inject({ url: '/me', cookies })
  t.equal(again.statusCode, 200)
  t.equal(rig.idp.counts.token - before, 1, 'the renewed tokens are used')
  const other = await rig.app()
  t.equal((await other.inject({ url: '/me', cookies })).statusCode, 200, 'another instance reads the renewed tokens')
  t.equal(rig.idp.counts.token - before, 1)
})

t.test('logout deletes the record, clears the cookie; the cookie replayed is a 401', async t => {
  rig.idp.setRevoke('ok')
  const tokens = { ...await rig.pool.mintTokens({ username: 'leaving' }), refreshToken: fakeRefreshToken('logout') }
  const cookies = await app.cognito.sessions.create(tokens)
  const sub = (await app.inject({ url: '/me', cookies })).json().sub as string
  const revokes = rig.idp.counts.revoke
  const res = await app.inject({ method: 'POST', url: '/logout', cookies, headers: { origin: 'http://localhost' } })
  t.equal(res.statusCode, 303)
  t.equal(rig.idp.counts.revoke - revokes, 1, 'the refresh token is revoked')
  t.ok(parseSetCookies(res).some(c => c.name === 'cognito_session' && c.cleared))
  t.same(await app.cognito.sessions.list(sub), [])
  t.equal((await app.inject({ url: '/me', cookies, headers: { accept: 'application/json' } })).statusCode, 401)
})
