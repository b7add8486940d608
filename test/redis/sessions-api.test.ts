/**
 * `app.cognito.sessions`: list a user's sessions (never a token), end one, end all ("log out
 * everywhere"); each ended session's refresh token is revoked at Cognito and its next request, on any
 * instance, is a 401.
 */
import t from 'tap'
import { setCookies } from '../helpers/cookies.js'
import { loginThroughCallback, startRedisRig } from '../helpers/redis-app.js'
import { buildApp } from '../helpers/app.js'
import { fakeRefreshToken, idpOptions } from '../helpers/token-endpoint.js'
import { eventually } from '../helpers/redis-stats.js'

const rig = await startRedisRig(t)
const a = await rig.app()
const b = await rig.app()
const json = { accept: 'application/json' }

t.test('list shows id, created, last seen and user agent of each session, and no token', async t => {
  const tokens = { ...await rig.pool.mintTokens({ username: 'lister' }), refreshToken: fakeRefreshToken('list') }
  const first = await a.cognito.sessions.create(tokens)
  const sub = (await a.inject({ url: '/me', cookies: first })).json().sub as string
  await b.cognito.sessions.create(tokens)
  const list = await a.cognito.sessions.list(sub)
  t.equal(list.length, 2)
  for (const session of list) {
    t.same(Object.keys(session).sort(), ['created', 'id', 'lastSeen', 'userAgent'])
    t.match(session.id, new RegExp(`^${sub}:[\\w-]{32}$`))
    t.type(session.created, Date)
    t.ok(session.lastSeen.getTime() >= session.created.getTime())
  }
  t.notOk(JSON.stringify(list).includes(tokens.refreshToken.slice(0, 60)))
  t.notOk(JSON.stringify(list).includes('eyJ'), 'no token of any kind')
  t.ok(list[0]!.created.getTime() <= list[1]!.created.getTime(), 'oldest first')
  t.not(list[0]!.id, list[1]!.id)
  t.same(await a.cognito.sessions.list('nobody'), [])
  t.same(await a.cognito.sessions.list('not a sub!'), [])
})

t.test('a login through the callback sets only the session-id cookie and records its user agent', async t => {
  const userAgent = `Mozilla/5.0 (X11) ${'x'.repeat(300)}`
  const res = await loginThroughCallback(rig, a, 'agent', { 'user-agent': userAgent })
  t.equal(res.statusCode, 302)
  const set = setCookies(res)
  t.same(Object.keys(set).filter(name => set[name] !== ''), ['cognito_session'])
  const me = await b.inject({ url: '/me', cookies: { cognito_session: set.cognito_session! } })
  t.equal(me.statusCode, 200)
  const [session] = await a.cognito.sessions.list(me.json().sub)
  t.equal(session?.userAgent, userAgent.slice(0, 256), 'cut to 256 characters')
})

t.test('end(id) revokes the refresh token and the session is a 401 everywhere; a second end is false', async t => {
  rig.idp.setRevoke('ok')
  const tokens = { ...await rig.pool.mintTokens({ username: 'one' }), refreshToken: fakeRefreshToken('end-one') }
  const keep = await a.cognito.sessions.create(tokens)
  const end = await a.cognito.sessions.create(tokens)
  const sub = (await b.inject({ url: '/me', cookies: end })).json().sub as string
  const ended = (await b.cognito.sessions.list(sub))[1]!
  const revokes = rig.idp.counts.revoke
  t.equal(await a.cognito.sessions.end(ended.id), true)
  t.equal(rig.idp.counts.revoke - revokes, 1, 'revoked at Cognito')
  t.equal(rig.idp.requests.at(-1)?.form?.get('token'), tokens.refreshToken)
  t.ok(await eventually(async () => (await b.inject({ url: '/me', cookies: end, headers: json })).statusCode === 401))
  t.equal((await b.inject({ url: '/me', cookies: keep })).statusCode, 200, 'the other session lives on')
  t.equal(await a.cognito.sessions.end(ended.id), false)
  for (const id of ['', 'x', `${sub}:short`, `${sub}:${'a'.repeat(32)}`, 42 as unknown as string]) t.equal(await a.cognito.sessions.end(id), false, `end(${JSON.stringify(id)})`)
})

t.test('a failed revocation is logged, and the session ends anyway', async t => {
  rig.idp.setRevoke('down')
  const tokens = { ...await rig.pool.mintTokens({ username: 'revoke-down' }), refreshToken: fakeRefreshToken('revoke-down') }
  const cookies = await a.cognito.sessions.create(tokens)
  const sub = (await a.inject({ url: '/me', cookies })).json().sub as string
  t.equal(await a.cognito.sessions.endAll(sub), 1)
  t.equal((await a.inject({ url: '/me', cookies, headers: json })).statusCode, 401)
  rig.idp.setRevoke('ok')
})

t.test('endAll(sub) ends every session of the user, on every instance, and no other user\'s', async t => {
  rig.idp.setRevoke('ok')
  const mine = { ...await rig.pool.mintTokens({ username: 'everywhere' }), refreshToken: fakeRefreshToken('all') }
  const theirs = await a.cognito.sessions.create(await rig.pool.mintTokens({ username: 'bystander' }))
  const jars = [await a.cognito.sessions.create(mine), await b.cognito.sessions.create(mine), await a.cognito.sessions.create({ accessToken: mine.accessToken })]
  for (const jar of jars) {
    t.equal((await a.inject({ url: '/me', cookies: jar })).statusCode, 200)
    t.equal((await b.inject({ url: '/me', cookies: jar })).statusCode, 200)
  }
  const sub = (await a.inject({ url: '/me', cookies: jars[0]! })).json().sub as string
  const revokes = rig.idp.counts.revoke
  t.equal(await b.cognito.sessions.endAll(sub), 3)
  t.equal(rig.idp.counts.revoke - revokes, 2, 'each refresh token revoked (the third session had none)')
  for (const jar of jars) {
    for (const app of [a, b]) t.ok(await eventually(async () => (await app.inject({ url: '/me', cookies: jar, headers: json })).statusCode === 401))
  }
  t.equal((await a.inject({ url: '/me', cookies: theirs })).statusCode, 200)
  t.equal(await b.cognito.sessions.endAll(sub), 0)
})

t.test('without a session store, sessions says what it needs', async t => {
  const plain = await buildApp(t, idpOptions(rig.pool, rig.idp))
  await t.rejects(plain.cognito.sessions.list('x'), { code: 'FST_COGNITO_INVALID_OPTION', message: /sessionStore/ })
  await t.rejects(plain.cognito.sessions.end('x'), { code: 'FST_COGNITO_INVALID_OPTION' })
  await t.rejects(plain.cognito.sessions.endAll('x'), { code: 'FST_COGNITO_INVALID_OPTION' })
  await t.rejects(plain.cognito.sessions.create({ accessToken: 'x' }), { code: 'FST_COGNITO_INVALID_OPTION' })
})
