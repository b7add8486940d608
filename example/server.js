/**
 * Runs the example app: `npm run example` (it builds the package first).
 *
 * - With no `AWS_COGNITO_USER_POOL_ID` in the environment it starts the local Cognito stand-in
 *   (`fastify-cognito/local`) with the demo users, and points the plugin at it.
 * - With flask-cognito-lib's variables set (`AWS_COGNITO_USER_POOL_ID`, `AWS_COGNITO_DOMAIN`,
 *   `AWS_COGNITO_USER_POOL_CLIENT_ID`, `AWS_COGNITO_USER_POOL_CLIENT_SECRET`, `AWS_COGNITO_REDIRECT_URL`,
 *   `AWS_COGNITO_LOGOUT_URL`, `SECRET_KEY`, ...) it uses that user pool.
 *
 * It also starts the orders API (orders-api.js, a second Fastify app guarded by bearer tokens) on
 * 127.0.0.1, port `ORDERS_PORT` (default 0: any free port), which the app's backend for frontend proxies
 * `/api/orders` to, for the single-page app at `/spa`.
 *
 * Other variables: `HOST` (default 127.0.0.1), `PORT` (default 3000, 0 for any free port),
 * `COGNITO_LOCAL_PORT` (the stand-in's port, default 0: any free port), `LOG_LEVEL` (default info).
 */
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import fastifyCognito, { optionsFromEnv } from 'fastify-cognito'
import cognitoBff from 'fastify-cognito/bff'
import { buildApp } from './app.js'
import { buildOrdersApi } from './orders-api.js'

const env = process.env
const host = env.HOST || '127.0.0.1'
const port = Number(env.PORT || 3000)
const usePool = Boolean(env.AWS_COGNITO_USER_POOL_ID)

let server
let local = null
let app
let orders

try {
  // Listen first: the callback URL registered with Cognito holds the port, which may be 0 (any free port).
  server = createServer()
  await new Promise((resolve, reject) => server.once('error', reject).listen(port, host, resolve))
  // The browser must use the host of the callback URL, or the login's cookies are not sent back to it:
  // Cognito allows plain http only for localhost, so locally the app is always http://localhost:<port>.
  const localUrl = `http://localhost:${server.address().port}`

  let secret = env.SECRET_KEY
  if (!secret) {
    secret = randomBytes(32).toString('base64url')
    console.log('note: SECRET_KEY is not set; using a random one, so sessions end when the app stops.')
  }

  let cognito
  if (usePool) {
    cognito = optionsFromEnv(env, { secret })
  } else {
    // Loaded only here: the stand-in needs oidc-provider, an optional peer dependency.
    const { startLocalCognito } = await import('fastify-cognito/local')
    local = await startLocalCognito({
      host: '127.0.0.1',
      port: Number(env.COGNITO_LOCAL_PORT || 0),
      redirectUris: [`${localUrl}/postlogin`],
      logoutUris: [`${localUrl}/postlogout`]
    })
    const { clientId, clientSecret } = local.clients.confidential
    cognito = optionsFromEnv(env, {
      userPoolId: local.userPoolId,
      issuer: local.issuer,
      domain: local.domain,
      clientId,
      clientSecret,
      redirectUri: `${localUrl}/postlogin`,
      logoutUri: `${localUrl}/postlogout`,
      // The stand-in's machine client may call the API routes (client credentials tokens).
      acceptClientIds: [local.clients.machine.clientId],
      secret
    })
  }

  const logger = { level: env.LOG_LEVEL || 'info' }
  orders = await buildOrdersApi({ plugin: fastifyCognito, cognito, logger })
  const ordersUrl = await orders.listen({ host: '127.0.0.1', port: Number(env.ORDERS_PORT || 0) })
  app = await buildApp({ plugin: fastifyCognito, cognito, server, local, logger, bff: cognitoBff, ordersUrl })

  const appUrl = usePool ? new URL(cognito.redirectUri).origin : localUrl
  const callback = new URL(appUrl)
  if (callback.hostname === 'localhost' && Number(callback.port || 80) !== server.address().port) {
    console.log(`warning: the callback URL ${cognito.redirectUri} is not this app's port ${server.address().port}: set PORT=${callback.port || 80}`)
  }
  console.log(`
fastify-cognito example: open ${appUrl}/ in a browser, and ${appUrl}/spa for the single-page app
  (listening on ${host}:${server.address().port}; the orders API on ${ordersUrl}; Ctrl-C stops it)`)
  if (local) {
    const users = local.users.map(u => `${u.username} (${u.groups?.length ? `groups ${u.groups.join(', ')}` : 'no group'})`)
    console.log(`  Cognito: the local stand-in at ${local.url}, user pool ${local.userPoolId} (no AWS account needed)
  Demo logins: ${users.join(', ')}; password: ${local.users[0].password}

  A machine calling the orders API (client credentials grant, then the bearer token):
    TOKEN=$(curl -s -u ${local.clients.machine.clientId}:${local.clients.machine.clientSecret} -d grant_type=client_credentials -d scope=orders/read ${local.domain}/oauth2/token | node -pe 'JSON.parse(require("fs").readFileSync(0)).access_token')
    curl -H "Authorization: Bearer $TOKEN" ${ordersUrl}/orders
`)
  } else {
    console.log(`  Cognito: user pool ${cognito.userPoolId}, hosted UI ${cognito.domain}
  The app client must list ${cognito.redirectUri} as a callback URL and ${cognito.logoutUri} as a sign-out URL.
`)
  }
} catch (err) {
  const hint = err.code === 'EADDRINUSE' ? ' (set PORT to a free port, or 0 for any)' : ''
  console.error(`example: cannot start: ${err.message}${hint}`)
  await stop()
  process.exit(1)
}

async function stop () {
  if (app) await app.close()
  else server?.close()
  await orders?.close()
  await local?.close()
}

let stopping = false
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    // A second Ctrl-C does not wait.
    if (stopping) process.exit(130)
    stopping = true
    console.log(`\n${signal}: stopping`)
    // Open requests get 5 s to finish.
    setTimeout(() => process.exit(1), 5000).unref()
    stop().then(() => { process.exitCode = 0 }, err => {
      console.error(`example: stopping failed: ${err.message}`)
      process.exitCode = 1
    })
  })
}
