/**
 * One refresh grant per session across instances: with rotation (grace 0) a second grant with the same
 * refresh token would be refused. Instances that lose the lock wait and take the winner's tokens.
 */
import t from 'tap'
import { startRedisRig } from '../helpers/redis-app.js'
import { parseSetCookies } from '../helpers/cookies.js'
import { alice, fakeRefreshToken } from '../helpers/token-endpoint.js'

const rig = await startRedisRig(t)
const apps = [await rig.app({}, { leeway: 0 }), await rig.app({}, { leeway: 0 }), await rig.app({}, { leeway: 0 })]
const json = { accept: 'application/json' }

/** The token endpoint rotates: each refresh token works once (grace 0), after a little delay. */
function rotatingEndpoint (first: string): { grants: () => number, refused: () => number } {
  let valid = new Set([first])
  let grants = 0
  let refused = 0
  let n = 0
  rig.idp.setToken('ok')
  rig.idp.onToken(async form => {
    const token = form.get('refresh_token') as string
    await new Promise(resolve => setTimeout(resolve, 50))
    if (!valid.has(token)) {
      refused++
      return { status: 400, json: { error: 'invalid_grant' } }
    }
    grants++
    const next = fakeRefreshToken(`rotated-${n++}`)
    valid = new Set([next])
    const { accessToken, idToken } = await rig.pool.mintTokens(alice)
    return { json: { access_token: accessToken, id_token: idToken, refresh_token: next, token_type: 'Bearer', expires_in: 3600 } }
  })
  return { grants: () => grants, refused: () => refused }
}

t.test('concurrent requests on three instances renew an expired session with one grant, and all succeed', async t => {
  const refreshToken = fakeRefreshToken('lock-first')
  const endpoint = rotatingEndpoint(refreshToken)
  const cookies = await apps[0]!.cognito.sessions.create({ ...await rig.pool.mintTokens({ ...alice, expiresIn: 1 }), refreshToken })
  for (const app of apps) t.equal((await app.inject({ url: '/me', cookies })).statusCode, 200, 'each instance has the session cached')
  await new Promise(resolve => setTimeout(resolve, 1100))
  const answers = await Promise.all(apps.flatMap(app => [1, 2, 3, 4, 5].map(() => app.inject({ url: '/me', cookies, headers: json }))))
  t.same(answers.map(r => r.statusCode), answers.map(() => 200), 'all 15 succeed')
  t.equal(endpoint.grants(), 1, 'Cognito sees one grant')
  t.equal(endpoint.refused(), 0, 'and no refused one')
  t.notOk(answers.some(r => parseSetCookies(r).some(c => c.cleared)), 'no cookie is cleared')
  t.equal(new Set(answers.map(r => r.json().jti)).size, 1, 'everyone serves the winner\'s access token')
})

t.test('an explicit refresh on one instance while another renews: still one grant', async t => {
  const refreshToken = fakeRefreshToken('lock-explicit')
  const endpoint = rotatingEndpoint(refreshToken)
  const cookies = await apps[0]!.cognito.sessions.create({ ...await rig.pool.mintTokens({ ...alice, expiresIn: -60 }), refreshToken })
  const [guarded, explicit] = await Promise.all([
    apps[1]!.inject({ url: '/me', cookies, headers: json }),
    apps[2]!.inject({ method: 'POST', url: '/refresh', cookies, headers: { ...json, origin: 'http://localhost' } })
  ])
  t.equal(guarded.statusCode, 200)
  t.equal(explicit.statusCode, 200)
  t.equal(endpoint.grants(), 1)
  t.equal(endpoint.refused(), 0)
})
