import t from 'tap'
import { createTestPool } from '../../lib/testing/index.js'
import { buildApp } from '../helpers/app.js'
import { captureLogs } from '../helpers/logs.js'

t.test('disabled: every guard lets every request through, and a warning is logged at start', async (t) => {
  const pool = await createTestPool()
  t.teardown(() => pool.close())
  const logs = captureLogs('warn')
  const app = await buildApp(t, { ...pool.pluginOptions(), disabled: true }, {
    logs,
    routes: (app) => {
      app.get('/admin', { preHandler: app.cognito.requireGroups(['admin']) }, async (request) => ({ cognito: request.cognito }))
      app.get('/scoped', { preHandler: [app.cognito.authenticate, app.cognito.requireScopes(['x/y']), app.cognito.requireClaims(() => false)] }, async () => 'ok')
    }
  })
  const warnings = logs.lines.filter(l => l.level === 40 && /DISABLED/.test(l.msg))
  t.equal(warnings.length, 1, 'one warning at start')
  t.match(warnings[0]?.msg, 'fastify-cognito: authentication is DISABLED')

  const anonymous = await app.inject({ url: '/admin', headers: { accept: 'text/html' } })
  t.equal(anonymous.statusCode, 200)
  t.same(anonymous.json(), { cognito: null }, 'no identity is made up')
  t.equal((await app.inject({ url: '/scoped', headers: pool.bearer('garbage') })).statusCode, 200)
})

t.test('enabled (the default) logs no such warning', async (t) => {
  const pool = await createTestPool()
  t.teardown(() => pool.close())
  const logs = captureLogs('warn')
  await buildApp(t, pool.pluginOptions(), { logs })
  t.notOk(logs.lines.some(l => /DISABLED/.test(l.msg)))
})
