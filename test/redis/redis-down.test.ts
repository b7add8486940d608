/**
 * Redis slow or down: every call is bounded, guards answer a coded 503 (never a 500 or a hang), a login
 * fails cleanly with nothing written, and once Redis is back the sessions that were there still work.
 */
import t from 'tap'
import { parseSetCookies } from '../helpers/cookies.js'
import { loginThroughCallback, startRedisRig } from '../helpers/redis-app.js'
import { alice } from '../helpers/token-endpoint.js'

const rig = await startRedisRig(t)
const json = { accept: 'application/json' }

t.test('paused (SIGSTOP): a cold session is a 503 within the bound, a login fails with nothing set; SIGCONT: all is well', async t => {
  const app = await rig.app({ timeout: 300 })
  const cookies = await app.cognito.sessions.create(await rig.pool.mintTokens(alice))
  const other = await rig.app({ timeout: 300 })
  rig.redis.pause()
  t.teardown(() => rig.redis.resume())
  const started = Date.now()
  const res = await other.inject({ url: '/me', cookies, headers: json })
  const took = Date.now() - started
  t.equal(res.statusCode, 503)
  t.equal(res.json().code, 'FST_COGNITO_SESSION_STORE_UNAVAILABLE')
  t.notMatch(res.body, /session:|cognito_session|eyJ/, 'the answer names no key, cookie or token')
  t.ok(took < 1500, `bounded (${took} ms)`)
  const page = await other.inject({ url: '/me', cookies, headers: { accept: 'text/html' } })
  t.equal(page.statusCode, 503, 'a page too: not sent to login, the session may well be alive')

  const login = await loginThroughCallback(rig, other, 'paused')
  t.equal(login.statusCode, 503)
  t.notOk(parseSetCookies(login).some(c => c.name === 'cognito_session' && !c.cleared), 'no session cookie for a session that was not stored')

  t.equal((await app.inject({ url: '/me', cookies })).statusCode, 200, 'a warm instance keeps serving from its cache')
  rig.redis.resume()
  t.equal((await other.inject({ url: '/me', cookies })).statusCode, 200, 'the session is there once Redis answers')
})

t.test('stopped and restarted: 503 meanwhile, then the sessions that were there still work', async t => {
  const app = await rig.app({ timeout: 300, cacheSize: 0 })
  const cookies = await app.cognito.sessions.create(await rig.pool.mintTokens(alice))
  t.equal((await app.inject({ url: '/me', cookies })).statusCode, 200)
  await rig.redis.stop()
  const started = Date.now()
  const res = await app.inject({ url: '/me', cookies, headers: json })
  t.equal(res.statusCode, 503)
  t.ok(Date.now() - started < 1500, 'bounded')
  await t.rejects(app.cognito.sessions.list('x'), { code: 'FST_COGNITO_SESSION_STORE_UNAVAILABLE' })
  const logout = await app.inject({ method: 'POST', url: '/logout', cookies, headers: { origin: 'http://localhost' } })
  t.equal(logout.statusCode, 503, 'logout cannot end a session it cannot reach: it says so')
  await rig.redis.start()
  let status = 0
  for (let i = 0; i < 100 && status !== 200; i++) {
    status = (await app.inject({ url: '/me', cookies, headers: json })).statusCode
    if (status !== 200) await new Promise(resolve => setTimeout(resolve, 50))
  }
  t.equal(status, 200, 'the session survived the restart')
})
