/**
 * The example's orders API, as `npm run example` shows it: the stand-in's machine client gets a token with
 * the client credentials grant and calls `/orders`; users signed in at the stand-in read and (with a group)
 * place orders; a request without a token is refused, and so is a
 * session cookie (the API takes bearer tokens only).
 */
import t from 'tap'
import fastifyCognito from '../../lib/index.js'
import { startLocalCognito } from '../../lib/local/index.js'
import { buildOrdersApi } from '../../example/orders-api.js'
import { appUris, localPluginOptions } from '../helpers/local-app.js'
import { signInForTokens } from '../helpers/local-cognito.js'

t.test('the orders API: machines with orders/read and signed-in users read, users of a group place orders; no token and cookies are refused', async (t) => {
  const appUrl = 'http://localhost:3000'
  const local = await startLocalCognito({ userPoolId: 'us-east-1_ExampleApi', ...appUris(appUrl) })
  t.teardown(() => local.close())
  const machine = local.clients.machine
  const cognito = { ...localPluginOptions(local, appUrl, 'example-api-test-secret-0123456789abcdef'), acceptClientIds: [machine.clientId] }
  const api = await buildOrdersApi({ plugin: fastifyCognito, cognito, logger: false })
  t.teardown(() => api.close())
  async function machineToken (scope: string): Promise<string> {
    const basic = Buffer.from(`${machine.clientId}:${machine.clientSecret as string}`).toString('base64')
    const answer = await fetch(`${local.domain}/oauth2/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=client_credentials&scope=${encodeURIComponent(scope)}`
    })
    return (await answer.json() as { access_token: string }).access_token
  }
  const res = await api.inject({ url: '/orders', headers: { authorization: `Bearer ${await machineToken('orders/read')}` } })
  t.equal(res.statusCode, 200)
  t.match(res.json(), { orders: [{ id: 'o-1001' }] })
  const caller = await api.inject({ url: '/orders/caller', headers: { authorization: `Bearer ${await machineToken('orders/read')}` } })
  t.match(caller.json(), { kind: 'machine', source: 'bearer', sawCookies: false })
  t.equal((await api.inject({ url: '/orders' })).statusCode, 401)
  t.equal((await api.inject({ url: '/orders', cookies: api.cognito.sealSession({ accessToken: 'x' }) })).statusCode, 401, 'no cookie session here')
  t.equal((await api.inject({ method: 'POST', url: '/orders', headers: { authorization: `Bearer ${await machineToken('orders/read')}` } })).statusCode, 403, 'placing orders is for users of a group')

  const alice = { authorization: `Bearer ${(await signInForTokens(local, { username: 'alice' })).access_token}` }
  t.equal((await api.inject({ url: '/orders', headers: alice })).statusCode, 200, 'a signed-in user reads')
  const placed = await api.inject({ method: 'POST', url: '/orders', headers: alice, payload: { total: 5 } })
  t.equal(placed.statusCode, 201)
  t.match(placed.json(), { by: 'alice', total: 5 })
  t.equal((await api.inject({ method: 'POST', url: '/orders', headers: alice, payload: { total: 'five' } })).statusCode, 400, 'the body is validated, after the guard')
  const bob = { authorization: `Bearer ${(await signInForTokens(local, { username: 'bob' })).access_token}` }
  t.equal((await api.inject({ method: 'POST', url: '/orders', headers: bob, payload: { total: 5 } })).statusCode, 403, 'bob has no group')
})
