/** `kind` on a guard: machines refused where users are required, and the reverse, with a coded 403. */
import t from 'tap'
import { createTestPool } from '../../lib/testing/index.js'
import { buildApp } from '../helpers/app.js'

const pool = await createTestPool()
t.teardown(() => pool.close())
const app = await buildApp(t, { ...pool.pluginOptions(), redirectToLogin: false }, {
  routes: (app) => {
    app.get('/people', { preHandler: app.cognito.guard({ kind: 'user' }) }, async () => 'people')
    app.get('/machines', { preHandler: app.cognito.guard({ kind: 'machine', scopes: ['jobs/run'] }) }, async () => 'machines')
  }
})
const machine = await pool.mintMachineToken({ scopes: ['jobs/run'] })
const user = await pool.mintAccessToken({ username: 'alice', scopes: ['jobs/run'] })

t.test('a machine is refused on a route for users', async (t) => {
  const res = await app.inject({ url: '/people', headers: pool.bearer(machine) })
  t.equal(res.statusCode, 403)
  t.equal(res.json().code, 'FST_COGNITO_WRONG_CALLER_KIND')
  t.match(res.json().message, /for user callers/)
  t.equal((await app.inject({ url: '/people', headers: pool.bearer(user) })).statusCode, 200)
})

t.test('a user is refused on a route for machines', async (t) => {
  const res = await app.inject({ url: '/machines', headers: pool.bearer(user) })
  t.equal(res.statusCode, 403)
  t.equal(res.json().code, 'FST_COGNITO_WRONG_CALLER_KIND')
  t.equal((await app.inject({ url: '/machines', headers: pool.bearer(machine) })).statusCode, 200)
})

t.test('kind is validated when the guard is made', async (t) => {
  t.throws(() => app.cognito.guard({ kind: 'robot' as 'user' }), { code: 'FST_COGNITO_INVALID_OPTION', message: /kind must be/ })
  t.throws(() => app.cognito.guard({ kind: 'machine', groups: ['admin'] }), { message: /groups cannot be required of machine callers/ })
})
