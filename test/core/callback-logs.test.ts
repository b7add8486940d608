import t from 'tap'
import { Writable } from 'node:stream'
import Fastify from 'fastify'
import fastifyCognito from '../../lib/index.js'
import { createTestPool } from '../../lib/testing/index.js'

t.test('the callback\'s authorization code and state never reach the logs, even when the request fails', async (t) => {
  const pool = await createTestPool()
  t.teardown(() => pool.close())
  const lines: string[] = []
  const stream = new Writable({ write (chunk, _encoding, done) { lines.push(String(chunk)); done() } })
  const app = Fastify({ logger: { level: 'trace', stream } })
  // A token endpoint that is down: the callback fails with a 502, which Fastify logs at error level with the request.
  await app.register(fastifyCognito, { ...pool.pluginOptions(), domain: 'http://127.0.0.1:9', timeout: 500, jwks: { warmup: false } })
  t.teardown(() => app.close())
  const login = await app.inject({ url: '/login' })
  const location = new URL(login.headers.location as string)
  const state = location.searchParams.get('state') as string
  const cookie = (login.headers['set-cookie'] as string).split(';')[0] as string
  const res = await app.inject({ url: `/auth/callback?code=SECRET-AUTH-CODE-123&state=${state}`, headers: { cookie } })
  t.equal(res.statusCode, 502, 'the exchange failed')
  const noTx = await app.inject({ url: '/auth/callback?code=SECRET-AUTH-CODE-456&state=x' })
  t.equal(noTx.statusCode, 400)
  const logs = lines.join('')
  t.match(logs, /"url":"\/auth\/callback"/, 'the callback path is logged')
  t.notMatch(logs, /SECRET-AUTH-CODE/, 'no code in any log line')
  t.notMatch(logs, new RegExp(state), 'no state in any log line')
})
