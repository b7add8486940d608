/**
 * The example app: flask-cognito-lib's example, in Fastify. `server.js` runs it; the browser test
 * builds it in-process.
 *
 * Routes: `/` (home), `/claims` (signed in), `/admin` (group admin), `/edit` (group admin or editor),
 * `/sensitive` (a sign-in at most five minutes old: step-up), `/spa` (a single-page app), `/postlogout`
 * (back home); the plugin mounts `/login`, `/signup`, `/passkeys/add`, `/postlogin` (the callback),
 * `POST /refresh` and `/logout`; with `bff` and `ordersUrl`, the backend for frontend mounts
 * `GET /session` and proxies `/api/orders/*` to the orders API (orders-api.js).
 */
import { readFile } from 'node:fs/promises'
import Fastify from 'fastify'

/**
 * Builds the app, ready to answer the requests of `server`.
 *
 * @param {object} options
 * @param {import('fastify').FastifyPluginAsync<any>} options.plugin the fastify-cognito plugin (`import fastifyCognito from 'fastify-cognito'`)
 * @param {object} options.cognito its options
 * @param {import('node:http').Server} options.server a server already listening: the callback URL registered
 *   with Cognito holds the port, so the port is known before the app exists (and may be 0). Closed with the app.
 * @param {{ url: string, users: Array<{ username: string, password: string, groups?: string[] }> } | null} options.local
 *   the local Cognito stand-in the app uses, named on the home page; `null` for a real user pool
 * @param {object} options.logger Fastify's logger options, for example `{ level: 'info' }`
 * @param {import('fastify').FastifyPluginAsync<any>} [options.bff] the backend for frontend (`import cognitoBff from 'fastify-cognito/bff'`)
 * @param {string} [options.ordersUrl] the orders API's URL, which the BFF proxies `/api/orders` to
 */
export async function buildApp ({ plugin, cognito, server, local, logger, bff, ordersUrl }) {
  const app = Fastify({
    logger: {
      ...logger,
      // The callback's query holds the authorization code: requests are logged by path only.
      serializers: { req: request => ({ method: request.method, path: request.url.split('?')[0] }) }
    },
    serverFactory: handler => server.on('request', handler)
  })
  // Fastify closes only the servers it started listening itself.
  app.addHook('onClose', async () => { await new Promise(resolve => server.close(resolve)) })

  await app.register(plugin, cognito)
  if (bff && ordersUrl) {
    // The single-page app's API calls: the session cookie in, the user's access token out.
    await app.register(bff, { proxies: [{ prefix: '/api/orders', upstream: `${ordersUrl}/orders` }] })
  }

  // A group or scope refusal as a page for a person, as JSON for a program; everything else as Fastify answers it.
  app.setErrorHandler(async (err, request, reply) => {
    if (err.statusCode === 403 && String(err.code).startsWith('FST_COGNITO_') && wantsHtml(request)) {
      return reply.code(403).type('text/html; charset=utf-8').send(page('Not allowed', `
        <h1>403: not allowed</h1>
        <p>${escape(err.message)} (<code>${escape(err.code)}</code>).</p>
        <p><a href="/">Home</a></p>`))
    }
    // Thrown on, it reaches Fastify's default handler, which logs it and answers JSON.
    throw err
  })

  // The home page is public: `identify` puts the user on the request when signed in, and null when not.
  app.get('/', { preHandler: app.cognito.identify }, async (request, reply) => {
    reply.header('cache-control', 'no-store')
    return reply.type('text/html; charset=utf-8').send(homePage(request.cognito, local, cognito.userPoolId))
  })

  app.get('/claims', { preHandler: app.cognito.authenticate }, async (request) => {
    const { accessToken, idToken, groups } = request.cognito
    return { accessToken, idToken, groups }
  })

  app.get('/admin', { preHandler: app.cognito.requireGroups(['admin']) }, async (request) => ({ groups: request.cognito.groups }))

  app.get('/edit', { preHandler: app.cognito.requireAnyGroup(['admin', 'editor']) }, async (request) => ({ groups: request.cognito.groups }))

  // Step-up: a sign-in older than five minutes is sent to a fresh login (prompt=login) and comes back here.
  app.get('/sensitive', { preHandler: app.cognito.guard({ maxAge: 300 }) }, async (request) => ({
    username: request.cognito.username,
    signedInAt: new Date(request.cognito.authTime * 1000).toISOString()
  }))

  // The single-page app: one static file, plain fetch, no build step.
  const spa = await readFile(new URL('./spa.html', import.meta.url), 'utf8')
  app.get('/spa', async (request, reply) => reply.header('cache-control', 'no-store').type('text/html; charset=utf-8').send(spa))

  // Cognito's /logout sends the browser here once its own session is over.
  app.get('/postlogout', async (request, reply) => reply.redirect('/'))

  await app.ready()
  return app
}

function wantsHtml (request) {
  return String(request.headers.accept).includes('text/html')
}

function escape (value) {
  return String(value).replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`)
}

function time (seconds) {
  return new Date(seconds * 1000).toISOString().slice(11, 19) + ' UTC'
}

function page (title, body) {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)}: fastify-cognito example</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; color: #1d2330 }
  .actions { margin: 1rem 0 }
  form { display: inline; margin-right: .75rem }
  .idp { padding: .5rem .75rem; border-radius: .4rem; background: #eef3fb; border: 1px solid #c9d7ef }
  .idp.local { background: #fff6e0; border-color: #ecd28e }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem }
  dt { font-weight: 600 }
  dd { margin: 0 }
  code { background: #f2f2f2; padding: 0 .25rem; border-radius: .2rem }
</style>
</head>
<body>
${body}
</body>
</html>
`
}

function homePage (identity, local, userPoolId) {
  const idp = local
    ? `<p class="idp local" id="idp">Signing in with the <strong>local Cognito stand-in</strong> at <code>${escape(local.url)}</code>
       (pool <code>${escape(userPoolId)}</code>), not Amazon Cognito. Demo logins:
       ${local.users.map(u => `<code>${escape(u.username)}</code> (${u.groups?.length ? `groups ${escape(u.groups.join(', '))}` : 'no group'})`).join(', ')},
       password <code>${escape(local.users[0].password)}</code>.</p>`
    : `<p class="idp" id="idp">Signing in with the Amazon Cognito user pool <code>${escape(userPoolId)}</code>.</p>`

  const who = identity
    ? `<p id="status">Signed in as <strong id="username">${escape(identity.username)}</strong>.</p>
       <dl>
         <dt>Email</dt><dd id="email">${escape(identity.idToken?.email ?? '(no ID token)')}</dd>
         <dt>Groups</dt><dd id="groups">${identity.groups.length ? escape(identity.groups.join(', ')) : '(none)'}</dd>
         <dt>Access token</dt><dd id="token">issued ${time(identity.accessToken.iat)}, expires ${time(identity.accessToken.exp)}</dd>
       </dl>
       <div class="actions"><form method="post" action="/refresh"><button id="refresh" type="submit">Refresh tokens</button></form>
       <a href="/logout" id="logout">Sign out</a></div>`
    : `<p id="status">Not signed in. <a href="/login" id="login">Sign in</a>, <a href="/signup" id="signup">sign up</a>,
       or <a href="/login?prompt=none&amp;returnTo=%2F" id="silent">try a silent sign-in</a> (no page: back here signed in
       if you are signed in at Cognito, anonymous if not).</p>`

  return page('Home', `
<h1>fastify-cognito example</h1>
${idp}
${who}
<h2>Pages</h2>
<ul>
  <li><a href="/claims">/claims</a>: your token claims (signed in)</li>
  <li><a href="/admin">/admin</a>: group <code>admin</code> only</li>
  <li><a href="/edit">/edit</a>: group <code>admin</code> or <code>editor</code></li>
  <li><a href="/sensitive">/sensitive</a>: a sign-in at most five minutes old (step-up)</li>
  <li><a href="/spa">/spa</a>: a single-page app that holds no token (backend for frontend)</li>
  <li><a href="/passkeys/add?returnTo=%2F">/passkeys/add</a>: add a passkey (managed login)</li>
  <li><a href="/logout">/logout</a>: sign out of the app and of Cognito</li>
</ul>`)
}
