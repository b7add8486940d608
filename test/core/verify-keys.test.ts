/**
 * The pool's signing keys: an unknown `kid` makes one JWKS refetch (rate-limited by the cooldown),
 * keys rotated at the pool are picked up, keys too weak to use are never used.
 */
import { generateKeyPairSync, sign } from 'node:crypto'
import t from 'tap'
import { decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT } from 'jose'
import { createTestPool, type TestPool } from '../../lib/testing/index.js'
import { startFaultyIdp, type FaultyIdp } from '../helpers/faulty-idp.js'
import { buildApp, meRoutes } from '../helpers/app.js'
import type { Teardown } from '../helpers/teardown.js'
import { sleep } from '../helpers/sleep.js'

/** A faulty IdP serving the pool's keys as the JWKS of its issuer. */
async function keyServer (t: Teardown, pool: TestPool): Promise<FaultyIdp> {
  const idp = await startFaultyIdp({ poolId: pool.userPoolId })
  t.teardown(() => idp.close())
  idp.setJwksBody(await (await fetch(pool.jwksUri)).json() as object)
  return idp
}

/** An access token for `issuer`, signed by a key the pool does not have. */
async function foreignToken (issuer: string, kid = 'not-a-pool-key'): Promise<string> {
  const { privateKey } = await generateKeyPair('RS256')
  return await new SignJWT({ sub: 's', username: 'mallory', token_use: 'access', client_id: 'test-client', iss: issuer })
    .setProtectedHeader({ alg: 'RS256', kid }).setIssuedAt().setExpirationTime('1h').sign(privateKey)
}

t.test('an unknown kid refetches the JWKS once, then answers 401', async (t) => {
  const pool = await createTestPool()
  t.teardown(() => pool.close())
  const idp = await keyServer(t, pool)
  const app = await buildApp(t, { ...pool.pluginOptions(), issuer: idp.issuer, jwks: { cooldown: 0, warmup: false } }, { routes: meRoutes })
  const good = await pool.mintAccessToken({ username: 'alice', claims: { iss: idp.issuer } })
  t.equal((await app.inject({ url: '/me', headers: pool.bearer(good) })).statusCode, 200)
  t.equal(idp.counts.jwks, 1, 'the first token fetched the keys')

  const res = await app.inject({ url: '/me', headers: pool.bearer(await foreignToken(idp.issuer)) })
  t.equal(res.statusCode, 401)
  t.match(res.json(), { code: 'FST_COGNITO_INVALID_TOKEN', message: /no key of the pool matches the token's kid/ })
  t.equal(idp.counts.jwks, 2, 'exactly one refetch for the unknown kid')
})

t.test('within the cooldown an unknown kid does not refetch the JWKS', async (t) => {
  const pool = await createTestPool()
  t.teardown(() => pool.close())
  const idp = await keyServer(t, pool)
  const app = await buildApp(t, { ...pool.pluginOptions(), issuer: idp.issuer, jwks: { cooldown: 60_000, warmup: false } }, { routes: meRoutes })
  const good = await pool.mintAccessToken({ username: 'alice', claims: { iss: idp.issuer } })
  t.equal((await app.inject({ url: '/me', headers: pool.bearer(good) })).statusCode, 200)
  for (let i = 0; i < 5; i++) {
    t.equal((await app.inject({ url: '/me', headers: pool.bearer(await foreignToken(idp.issuer, `kid-${i}`)) })).statusCode, 401)
  }
  t.equal(idp.counts.jwks, 1, 'no refetch inside the cooldown window')
})

t.test('keys rotated at the pool are picked up (cooldown 0); tokens of the retired keys are refused', async (t) => {
  const pool = await createTestPool()
  t.teardown(() => pool.close())
  const app = await buildApp(t, { ...pool.pluginOptions(), jwks: { cooldown: 0 } }, { routes: meRoutes })
  const before = await pool.mintAccessToken({ username: 'alice' })
  const unseen = await pool.mintAccessToken({ username: 'bob' })
  t.equal((await app.inject({ url: '/me', headers: pool.bearer(before) })).statusCode, 200)

  await pool.rotateKeys()
  const after = await pool.mintAccessToken({ username: 'alice' })
  const res = await app.inject({ url: '/me', headers: pool.bearer(after) })
  t.equal(res.statusCode, 200, 'a token signed with the new key verifies')
  t.equal(res.json().username, 'alice')
  const retired = await app.inject({ url: '/me', headers: pool.bearer(unseen) })
  t.equal(retired.statusCode, 401, 'a token of the retired key (never verified before) is refused')
  t.match(retired.json().message, /no key of the pool matches the token's kid/)
})

t.test('rotated keys are picked up once the cooldown has passed, not before', async (t) => {
  const pool = await createTestPool()
  t.teardown(() => pool.close())
  const idp = await keyServer(t, pool)
  const cooldown = 1000
  const app = await buildApp(t, { ...pool.pluginOptions(), issuer: idp.issuer, jwks: { cooldown, warmup: false } }, { routes: meRoutes })
  t.equal((await app.inject({ url: '/me', headers: pool.bearer(await pool.mintAccessToken({ username: 'a', claims: { iss: idp.issuer } })) })).statusCode, 200)
  const fetchedAt = Date.now()

  await pool.rotateKeys()
  idp.setJwksBody(await (await fetch(pool.jwksUri)).json() as object)
  const rotated = await pool.mintAccessToken({ username: 'alice', claims: { iss: idp.issuer } })
  const early = await app.inject({ url: '/me', headers: pool.bearer(rotated) })
  if (Date.now() - fetchedAt < cooldown) {
    t.equal(early.statusCode, 401, 'inside the cooldown the new kid is not fetched')
    t.equal(idp.counts.jwks, 1)
  }
  await sleep(cooldown + 50 - (Date.now() - fetchedAt))
  const late = await app.inject({ url: '/me', headers: pool.bearer(rotated) })
  t.equal(late.statusCode, 200, 'after the cooldown one refetch finds the new key')
  t.equal(idp.counts.jwks, 2)
})

t.test('a token without kid is refused without a JWKS fetch', async (t) => {
  const pool = await createTestPool()
  t.teardown(() => pool.close())
  const idp = await keyServer(t, pool)
  const app = await buildApp(t, { ...pool.pluginOptions(), issuer: idp.issuer, jwks: { cooldown: 0, warmup: false } }, { routes: meRoutes })
  const { privateKey } = await generateKeyPair('RS256')
  const token = await new SignJWT({ sub: 's', username: 'm', token_use: 'access', client_id: 'test-client', iss: idp.issuer })
    .setProtectedHeader({ alg: 'RS256' }).setIssuedAt().setExpirationTime('1h').sign(privateKey)
  const res = await app.inject({ url: '/me', headers: pool.bearer(token) })
  t.equal(res.statusCode, 401)
  t.equal(res.json().code, 'FST_COGNITO_INVALID_TOKEN')
})

t.test('a JWKS key shorter than 2048 bits is never used: its tokens are a 401, and a set of only such keys is a 503', async (t) => {
  const idp = await startFaultyIdp()
  t.teardown(() => idp.close())
  const pool = await createTestPool()
  t.teardown(() => pool.close())
  const weak = generateKeyPairSync('rsa', { modulusLength: 1024 })
  const weakJwk = { ...await exportJWK(weak.publicKey), kid: 'weak', alg: 'RS256', use: 'sig' }
  const poolKeys = await (await fetch(pool.jwksUri)).json() as { keys: object[] }
  idp.setJwksBody({ keys: [...poolKeys.keys, weakJwk] })
  const app = await buildApp(t, { ...pool.pluginOptions(), issuer: idp.issuer, jwks: { warmup: false } }, { routes: meRoutes })
  // jose will not sign with a 1024-bit key; node:crypto will.
  const b64 = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url')
  const issuedAt = Math.floor(Date.now() / 1000)
  const input = `${b64({ alg: 'RS256', kid: 'weak' })}.${b64({ sub: 's', username: 'mallory', token_use: 'access', client_id: 'test-client', iss: idp.issuer, iat: issuedAt, exp: issuedAt + 3600 })}`
  const weakSigned = `${input}.${sign('sha256', Buffer.from(input), weak.privateKey).toString('base64url')}`
  const res = await app.inject({ url: '/me', headers: pool.bearer(weakSigned) })
  t.equal(res.statusCode, 401)
  t.match(res.json(), { code: 'FST_COGNITO_INVALID_TOKEN', message: /no key of the pool matches/ })
  const good = await pool.mintAccessToken({ username: 'alice', claims: { iss: idp.issuer } })
  t.equal((await app.inject({ url: '/me', headers: pool.bearer(good) })).statusCode, 200, 'the pool\'s own key in the same set still verifies')

  idp.setJwksBody({ keys: [weakJwk] })
  const onlyWeak = await buildApp(t, { ...pool.pluginOptions(), issuer: idp.issuer, jwks: { warmup: false } }, { routes: meRoutes })
  const refused = await onlyWeak.inject({ url: '/me', headers: pool.bearer(weakSigned) })
  t.equal(refused.statusCode, 503, 'no usable key at all: the keys are unavailable, not the token invalid')
  t.match(refused.json(), { code: 'FST_COGNITO_JWKS_UNAVAILABLE', message: /no RS256 signing key/ })
})

t.test('tokens verified concurrently are each cached under their own kid: dropping one key drops only its tokens', async (t) => {
  const pool = await createTestPool()
  t.teardown(() => pool.close())
  const idp = await keyServer(t, pool)
  const app = await buildApp(t, { ...pool.pluginOptions(), issuer: idp.issuer, jwks: { cooldown: 0 } }, { routes: meRoutes })
  const access = await pool.mintAccessToken({ username: 'alice', claims: { iss: idp.issuer } })
  const id = await pool.mintIdToken({ username: 'alice', claims: { iss: idp.issuer } })
  const accessKid = decodeProtectedHeader(access).kid
  t.not(accessKid, decodeProtectedHeader(id).kid, 'the pool signs access and ID tokens with different keys')
  // A bearer token is cached on its second verification. Started in the same tick: each runs while the other awaits.
  await app.cognito.verifyAccessToken(access)
  await Promise.all([app.cognito.verifyAccessToken(access), app.cognito.verifyIdToken(id)])

  const keys = (await (await fetch(pool.jwksUri)).json() as { keys: Array<{ kid: string }> }).keys
  idp.setJwksBody({ keys: keys.filter(key => key.kid !== accessKid) })
  // A token naming an unknown kid makes the cache refetch (cooldown 0): the access key is gone.
  t.equal((await app.inject({ url: '/me', headers: pool.bearer(await foreignToken(idp.issuer)) })).statusCode, 401)
  await t.rejects(app.cognito.verifyAccessToken(access), { code: 'FST_COGNITO_INVALID_TOKEN' }, 'the access token was cached under its own kid, now gone')
  t.match(await app.cognito.verifyIdToken(id), { 'cognito:username': 'alice' }, 'the ID token\'s key is still there')
})
