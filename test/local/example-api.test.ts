/**
 * The example's API route, as `npm run example` shows it: the stand-in's machine client gets a token with
 * the client credentials grant and calls `/api/orders`; a request without a token is refused.
 */
import t from 'tap'
import fastifyCognito from '../../lib/index.js'
import { startLocalCognito } from '../../lib/local/index.js'
import { buildApp } from '../../example/app.js'
import { appUris, listening, localPluginOptions } from '../helpers/local-app.js'

t.test('a machine with orders/read calls the example API with a client credentials token; no token is a 401', async (t) => {
  const { server, port } = await listening()
  const appUrl = `http://localhost:${port}`
  const local = await startLocalCognito({ userPoolId: 'us-east-1_ExampleApi', ...appUris(appUrl) })
  t.teardown(() => local.close())
  const machine = local.clients.machine
  const app = await buildApp({
    plugin: fastifyCognito,
    cognito: { ...localPluginOptions(local, appUrl, 'example-api-test-secret-0123456789abcdef'), acceptClientIds: [machine.clientId] },
    server,
    local,
    logger: { level: 'silent' }
  })
  t.teardown(() => app.close())
  const basic = Buffer.from(`${machine.clientId}:${machine.clientSecret as string}`).toString('base64')
  const answer = await fetch(`${local.domain}/oauth2/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials&scope=orders%2Fread'
  })
  const { access_token: token } = await answer.json() as { access_token: string }
  const res = await app.inject({ url: '/api/orders', headers: { authorization: `Bearer ${token}` } })
  t.equal(res.statusCode, 200)
  t.match(res.json(), { client: machine.clientId, orders: [{ id: 'o-1001' }] })
  t.equal((await app.inject({ url: '/api/orders' })).statusCode, 401)
})
