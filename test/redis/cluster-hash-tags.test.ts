/**
 * On a three-node Redis Cluster: a user's keys share one hash slot, so the scripts that change a session
 * and its user's index together run (no CROSSSLOT), and pub/sub reaches instances on other nodes.
 */
import t from 'tap'
import { Cluster, Redis } from 'ioredis'
import { buildApp, meRoutes } from '../helpers/app.js'
import { startRedisCluster } from '../helpers/redis.js'
import { eventually } from '../helpers/redis-stats.js'
import { redisSessionStore } from '../../lib/redis.js'
import { fakeRefreshToken, idpOptions, startPoolWithTokenEndpoint } from '../helpers/token-endpoint.js'

const { nodes } = await startRedisCluster(t)
const { pool, idp } = await startPoolWithTokenEndpoint(t)
const clients: Cluster[] = []
function cluster (): Cluster {
  const c = new Cluster(nodes, { redisOptions: { maxRetriesPerRequest: 1 } })
  c.on('error', () => {})
  clients.push(c)
  return c
}
t.teardown(() => { for (const c of clients) c.disconnect() })
const apps = [
  await buildApp(t, { ...idpOptions(pool, idp), leeway: 0, sessionStore: redisSessionStore({ client: cluster(), timeout: 1000 }) }, { routes: meRoutes }),
  await buildApp(t, { ...idpOptions(pool, idp), leeway: 0, sessionStore: redisSessionStore({ client: cluster(), timeout: 1000 }) }, { routes: meRoutes })
]
const json = { accept: 'application/json' }

t.test('sessions, renewal, listing and ending work on a cluster; a user\'s keys are in one slot', async t => {
  // Each refresh answers the tokens of the user whose refresh token it was (the seed ends the token).
  idp.setToken('ok')
  idp.onToken(async form => {
    const username = (form.get('refresh_token') as string).split('.').pop()!.replace('cluster-', '')
    const { accessToken, idToken } = await pool.mintTokens({ username })
    return { json: { access_token: accessToken, id_token: idToken, token_type: 'Bearer', expires_in: 3600 } }
  })
  idp.setRevoke('ok')
  const users = ['alice', 'bob', 'carol', 'dave']
  const jars = await Promise.all(users.map(async (username, i) => await apps[i % 2]!.cognito.sessions.create({ ...await pool.mintTokens({ username, expiresIn: 1 }), refreshToken: fakeRefreshToken(`cluster-${username}`) })))
  const subs: string[] = []
  for (const jar of jars) {
    const res = await apps[1]!.inject({ url: '/me', cookies: jar })
    t.equal(res.statusCode, 200)
    subs.push(res.json().sub)
  }
  // KEYSLOT is answered by any node, for any key.
  const probe = new Redis(nodes[0]!)
  t.teardown(() => probe.disconnect())
  const slots = new Set<number>()
  for (const sub of subs) {
    const keys = [`{fastify-cognito:${sub}}:sessions`, ...(await apps[0]!.cognito.sessions.list(sub)).map(s => `{fastify-cognito:${sub}}:session:${s.id.split(':')[1]}`)]
    const keySlots = new Set(await Promise.all(keys.map(async key => Number(await probe.call('CLUSTER', 'KEYSLOT', key)))))
    t.equal(keySlots.size, 1, 'one slot per user')
    slots.add([...keySlots][0]!)
  }
  t.ok(slots.size > 1, `users spread over slots (${[...slots].join(', ')}; ${subs.join(' ')})`)

  await new Promise(resolve => setTimeout(resolve, 1100))
  const renewed = await Promise.all(jars.map(jar => apps[0]!.inject({ url: '/me', cookies: jar, headers: json })))
  t.same(renewed.map(r => r.statusCode), [200, 200, 200, 200], 'renewals under the lock')

  t.equal(await apps[0]!.cognito.sessions.endAll(subs[0]!), 1)
  t.ok(await eventually(async () => (await apps[1]!.inject({ url: '/me', cookies: jars[0]!, headers: json })).statusCode === 401), 'the other instance heard of it')
  t.equal((await apps[1]!.inject({ url: '/me', cookies: jars[1]! })).statusCode, 200)
})
