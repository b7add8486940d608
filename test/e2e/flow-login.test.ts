/**
 * The whole flow through the plugin against the local Cognito stand-in (oidc-provider) over real HTTP:
 * login with PKCE through the hosted-UI form, callback, guarded routes, groups, bearer, refresh with
 * and without rotation, the guard's own refresh, and logout with the revocation seen by the server.
 */
import t from 'tap'
import Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'
import fastifyCognito from '../../lib/index.js'
import type { FastifyCognitoOptions } from '../../lib/index.js'
import { startLocalCognito } from '../../lib/local/index.js'
import type { LocalCognito, LocalCognitoOptions } from '../../lib/local/index.js'
import { login, UserAgent } from '../helpers/user-agent.js'
import { sleep } from '../helpers/sleep.js'
import { appUris, listening, localPluginOptions, onServer } from '../helpers/local-app.js'
import type { Teardown } from '../helpers/teardown.js'

interface Rig { app: FastifyInstance, local: LocalCognito, base: string }

/** An app listening on an ephemeral port, registered at a stand-in that knows that port's callback URL. */
async function rig (t: Teardown, { client = 'confidential', local: localOptions = {}, plugin = {}, shared }: { client?: 'confidential' | 'public', local?: LocalCognitoOptions, plugin?: Partial<FastifyCognitoOptions>, shared?: LocalCognito } = {}): Promise<Rig> {
  const { server, base } = await listening()
  const local = shared ?? await startLocalCognito({ ...appUris(base), ...localOptions })
  const app = Fastify(onServer(server))
  await app.register(fastifyCognito, { ...localPluginOptions(local, base, 'a-test-secret-of-at-least-32-characters', client), ...plugin })
  app.get('/me', { preHandler: app.cognito.authenticate }, async request => ({
    username: request.cognito?.username,
    groups: request.cognito?.groups,
    email: request.cognito?.idToken?.email,
    jti: request.cognito?.accessToken?.jti,
    source: request.cognito?.source
  }))
  app.get('/admin', { preHandler: app.cognito.requireGroups(['admin']) }, async () => 'admin area')
  app.get('/edit', { preHandler: app.cognito.requireAnyGroup(['admin', 'editor']) }, async () => 'edit area')
  app.get('/postlogout', async () => 'signed out')
  await app.ready()
  t.teardown(async () => {
    await app.close()
    // The server came from serverFactory and was listening before Fastify: close it here.
    server.closeAllConnections()
    await new Promise(resolve => server.close(resolve))
    if (shared === undefined) await local.close()
  })
  return { app, local, base }
}

t.test('confidential client: login with PKCE, state and nonce lands on returnTo with the session in HttpOnly cookies', async t => {
  const { local, base } = await rig(t)
  const ua = new UserAgent()
  const result = await login(ua, base, 'alice')
  t.equal(result.finalUrl, `${base}/me`, 'back on the page asked for')
  t.equal(result.status, 200)
  t.match(JSON.parse(result.body), { username: 'alice', groups: ['admin', 'editor'], email: 'alice@example.com', source: 'cookie' })
  t.equal(local.stats.authorizationCodeGrants, 1, 'one code exchange')
  const appCookies = ua.cookiesSet.filter(c => c.name.startsWith('cognito_'))
  t.ok(appCookies.length >= 4, 'transaction and token cookies were set')
  for (const c of appCookies) t.equal(c.httpOnly, true, `${c.name} is HttpOnly`)
  for (const header of ua.setCookieHeaders) t.ok(Buffer.byteLength(header) <= 4096, 'no Set-Cookie over 4096 bytes')
  t.notOk(ua.cookies(new URL(base).host).names().some(n => n === 'cognito_tx'), 'the transaction cookie was spent')
  t.equal((await ua.fetch(`${base}/admin`)).status, 200, 'alice is in admin')
  t.equal((await ua.fetch(`${base}/edit`)).status, 200, 'alice is in editor')
})

t.test('public client: the same login works without a secret, and bob is refused admin and edit but may see /me', async t => {
  const { local, base } = await rig(t, { client: 'public' })
  const ua = new UserAgent()
  const result = await login(ua, base, 'bob')
  t.match(JSON.parse(result.body), { username: 'bob', groups: [] })
  t.equal(local.stats.authorizationCodeGrants, 1)
  const admin = await ua.fetch(`${base}/admin`, { headers: { accept: 'application/json' } })
  t.equal(admin.status, 403)
  t.equal(JSON.parse(admin.body).code, 'FST_COGNITO_GROUP_REQUIRED')
  t.equal((await ua.fetch(`${base}/edit`, { headers: { accept: 'application/json' } })).status, 403)
  t.equal((await ua.fetch(`${base}/me`)).status, 200)
})

t.test('a browser navigation to a guarded page without a session goes to login, and the login brings it back there', async t => {
  const { base } = await rig(t)
  const ua = new UserAgent()
  const first = await ua.fetch(`${base}/edit`)
  t.equal(first.status, 302)
  t.equal(first.location, `${base}/login?returnTo=%2Fedit`)
  const result = await login(ua, base, 'alice', '/edit')
  t.equal(result.finalUrl, `${base}/edit`)
  t.equal(result.body, 'edit area')
})

t.test('POST /refresh without rotation gives a new access token and keeps the refresh token', async t => {
  const { local, base } = await rig(t)
  const ua = new UserAgent()
  const before = JSON.parse((await login(ua, base, 'alice')).body)
  const host = new URL(base).host
  const refreshCookie = ua.cookies(host).get('cognito_refresh')
  const res = await ua.fetch(`${base}/refresh`, { method: 'POST', headers: { accept: 'application/json', origin: base } })
  t.equal(res.status, 200)
  t.equal(JSON.parse(res.body).refreshed, true)
  t.equal(local.stats.refreshTokenGrants, 1)
  t.notOk(res.setCookies.some(c => c.startsWith('cognito_refresh=')), 'no new refresh cookie without rotation')
  t.equal(ua.cookies(host).get('cognito_refresh'), refreshCookie)
  const after = JSON.parse((await ua.fetch(`${base}/me`)).body)
  t.not(after.jti, before.jti, 'a new access token is in the session')
})

t.test('POST /refresh with rotation stores the new refresh token, and the old one is dead at Cognito', async t => {
  const { local, base } = await rig(t, { local: { refreshTokenRotation: true } })
  const ua = new UserAgent()
  await login(ua, base, 'alice')
  const host = new URL(base).host
  const oldJar = ua.cookies(host).clone()
  const res = await ua.fetch(`${base}/refresh`, { method: 'POST', headers: { accept: 'application/json', origin: base } })
  t.equal(res.status, 200)
  t.ok(res.setCookies.some(c => c.startsWith('cognito_refresh=')), 'the rotated refresh token is stored')
  t.not(ua.cookies(host).get('cognito_refresh'), oldJar.get('cognito_refresh'))
  const again = await ua.fetch(`${base}/refresh`, { method: 'POST', headers: { accept: 'application/json', origin: base } })
  t.equal(again.status, 200, 'the new refresh token works')
  t.equal(local.stats.refreshTokenGrants, 2)

  // Another app instance (same secret, no shared memory, as behind a load balancer) given the old cookies:
  // Cognito refuses the rotated-away refresh token, and that app ends the replayed session.
  const other = await rig(t, { shared: local })
  const replay = new UserAgent()
  replay.cookies(new URL(other.base).host).copyFrom(oldJar)
  const refused = await replay.fetch(`${other.base}/refresh`, { method: 'POST', headers: { accept: 'application/json', origin: other.base } })
  t.equal(refused.status, 401)
  t.equal(JSON.parse(refused.body).code, 'FST_COGNITO_REFRESH_REJECTED')
  t.equal(local.stats.refreshTokenGrants, 2, 'no grant was issued for the replay')
})

t.test('the guard refreshes an expired access token by itself, once, without a trip to login', async t => {
  const { local, base } = await rig(t, { local: { accessTokenTtl: 3 }, plugin: { leeway: 0 } })
  const ua = new UserAgent()
  const before = JSON.parse((await login(ua, base, 'alice')).body)
  const grants = local.stats.refreshTokenGrants
  await sleep(3500)
  const res = await ua.fetch(`${base}/me`)
  t.equal(res.status, 200, 'no redirect to login')
  const after = JSON.parse(res.body)
  t.not(after.jti, before.jti, 'a new access token')
  t.equal(local.stats.refreshTokenGrants, grants + 1, 'one refresh grant')
  t.ok(res.setCookies.some(c => c.startsWith('cognito_access=')), 'the new access token is stored')
})

t.test('logout revokes the refresh token at Cognito, clears every cookie, ends Cognito\'s session, and the next login asks for the password', async t => {
  const { local, base } = await rig(t)
  const ua = new UserAgent()
  await login(ua, base, 'alice')
  const host = new URL(base).host
  const session = ua.cookies(host).clone()
  const hops = await ua.follow(`${base}/logout`)
  t.equal(hops[0]!.status, 302)
  t.ok(hops[0]!.location!.startsWith(`${local.domain}/logout?`), 'to Cognito\'s logout endpoint')
  const logoutUrl = new URL(hops[0]!.location!)
  t.equal(logoutUrl.searchParams.get('client_id'), local.clients.confidential.clientId)
  t.equal(logoutUrl.searchParams.get('logout_uri'), `${base}/postlogout`)
  t.equal(hops.at(-1)!.url, `${base}/postlogout`, 'Cognito sent the browser back to the sign-out URL')
  t.equal(local.stats.revocations, 1, 'the refresh token was revoked')
  t.equal(ua.cookies(host).names().filter(n => n.startsWith('cognito_')).length, 0, 'every cookie is cleared')

  // The old cookies, replayed, no longer refresh: Cognito revoked the token.
  const replay = new UserAgent()
  replay.cookies(host).copyFrom(session)
  const refused = await replay.fetch(`${base}/refresh`, { method: 'POST', headers: { accept: 'application/json', origin: base } })
  t.equal(refused.status, 401)
  t.equal(JSON.parse(refused.body).code, 'FST_COGNITO_REFRESH_REJECTED')

  const next = await login(ua, base, 'alice')
  t.equal(next.passwordAsked, true, 'Cognito asks for the password again')
  t.equal(next.finalUrl, `${base}/me`)
})

t.test('without logout, Cognito\'s own session signs the user in again silently', async t => {
  const { base } = await rig(t)
  const ua = new UserAgent()
  await login(ua, base, 'alice')
  const host = new URL(base).host
  for (const name of ua.cookies(host).names()) ua.cookies(host).delete(name)
  const again = await login(ua, base, 'alice')
  t.equal(again.passwordAsked, false, 'no password form: this is why logout must visit Cognito')
  t.equal(again.finalUrl, `${base}/me`)
})
