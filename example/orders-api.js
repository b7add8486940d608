/**
 * The orders API: a second Fastify app, the one the single-page app calls through the backend for
 * frontend. It never sees a cookie: it is guarded by the same plugin with bearer tokens only, so it takes
 * the user's access token the BFF sends, or a machine's client credentials token.
 *
 * Routes: `GET /orders` (a signed-in user, or a machine with the `orders/read` scope), `POST /orders`
 * (users of group `admin` or `editor`), `GET /orders/caller` (who the API sees), `GET /orders/events`
 * (server-sent events: three order updates).
 */
import Fastify from 'fastify'

/**
 * @param {object} options
 * @param {import('fastify').FastifyPluginAsync<any>} options.plugin the fastify-cognito plugin
 * @param {object} options.cognito the plugin's options (the app's; login routes and cookies are turned off here)
 * @param {object} options.logger Fastify's logger options
 */
export async function buildOrdersApi ({ plugin, cognito, logger }) {
  const api = Fastify({ logger })
  await api.register(plugin, {
    ...cognito,
    // An API: bearer tokens only, no cookie session, no login routes.
    tokenSources: { cookie: false, bearer: true },
    routes: { login: false, callback: false, refresh: false, logout: false, signup: false, passkeys: false }
  })

  const orders = [{ id: 'o-1001', total: 42 }, { id: 'o-1002', total: 7 }]
  const reader = api.cognito.requireClaims(identity => identity.kind === 'user' || identity.scopes.includes('orders/read'))

  api.get('/orders', { preHandler: reader }, async () => ({ orders }))

  const newOrder = { type: 'object', required: ['total'], properties: { total: { type: 'number', minimum: 0 } } }
  // Guarded in route configuration: the guard runs in onRequest, before the body is read and validated.
  api.post('/orders', { schema: { body: newOrder }, config: { cognito: { groups: ['admin', 'editor'], anyGroup: true } } }, async (request, reply) => {
    const order = { id: `o-${1001 + orders.length}`, total: request.body.total, by: request.cognito.username }
    orders.push(order)
    return reply.code(201).send(order)
  })

  api.get('/orders/caller', { preHandler: reader }, async (request) => ({
    username: request.cognito.username,
    kind: request.cognito.kind,
    source: request.cognito.source,
    sawCookies: request.headers.cookie !== undefined
  }))

  api.get('/orders/events', { preHandler: reader }, (request, reply) => {
    reply.hijack()
    reply.raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' })
    let sent = 0
    const timer = setInterval(() => {
      sent++
      reply.raw.write(`data: ${JSON.stringify({ order: 'o-1001', status: ['packed', 'shipped', 'delivered'][sent - 1] })}\n\n`)
      if (sent === 3) {
        clearInterval(timer)
        reply.raw.end()
      }
    }, 300)
    request.raw.on('close', () => clearInterval(timer))
  })

  await api.ready()
  return api
}
