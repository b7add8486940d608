// One app under test, in a process of its own (run.js starts it with `taskset -c 0` where it can), so
// that its CPU time in /proc/<pid>/stat is the app's alone and the load generator never shares its core.
//
// The parent sends { kind, config } and gets back { url }. Every kind serves the same route, GET /page,
// answering the same body ({ ok: true }); only what guards it differs:
//   bare              no plugin, no guard (the baseline)
//   bare-hook         no plugin, an empty async preHandler (what any guard's hook costs Fastify)
//   cognito-groups    fastify-cognito, `requireGroups(['admin'])` (bearer or session cookies)
//   cognito-groups-store  the same, with the Redis session store (the browser sends a session-id cookie)
//   cognito-identify  fastify-cognito, `identify` (a public page that would greet a signed-in user)
//   aws-jwt-verify    CognitoJwtVerifier (access token, client id, group 'admin'), JWKS cache hydrated locally
//   fastify-jwt       @fastify/jwt with get-jwks, as get-jwks's README wires them, plus the same claim checks
//   fastify-jwt-jwks  fastify-jwt-jwks (which wraps @fastify/jwt), plus the same claim checks
import Fastify from 'fastify'

const ok = async () => ({ ok: true })

/** Cognito access-token rules the peers need spelled out (the plugin and aws-jwt-verify apply them already). */
function accessTokenCheck (clientId) {
  return function check (claims) {
    if (claims.token_use !== 'access' || claims.client_id !== clientId) return 401
    const groups = claims['cognito:groups']
    return Array.isArray(groups) && groups.includes('admin') ? 200 : 403
  }
}

const builders = {
  async bare (app) {
    app.get('/page', ok)
  },

  // What any async preHandler costs Fastify, before the guard does any work: the floor of a guarded route.
  async 'bare-hook' (app) {
    app.get('/page', { preHandler: async () => {} }, ok)
  },

  async 'cognito-groups' (app, config) {
    const { default: fastifyCognito } = await import('../dist/index.js')
    await app.register(fastifyCognito, config.pluginOptions)
    app.get('/page', { preHandler: app.cognito.requireGroups(['admin']) }, ok)
  },

  async 'cognito-groups-store' (app, config) {
    const { default: fastifyCognito } = await import('../dist/index.js')
    const { redisSessionStore } = await import('../dist/redis.js')
    const { Redis } = await import('ioredis')
    const client = new Redis({ port: config.redisPort, host: '127.0.0.1' })
    app.addHook('onClose', async () => { client.disconnect() })
    await app.register(fastifyCognito, { ...config.pluginOptions, sessionStore: redisSessionStore({ client }) })
    app.get('/page', { preHandler: app.cognito.requireGroups(['admin']) }, ok)
  },

  async 'cognito-identify' (app, config) {
    const { default: fastifyCognito } = await import('../dist/index.js')
    await app.register(fastifyCognito, config.pluginOptions)
    app.get('/page', { preHandler: app.cognito.identify }, ok)
  },

  async 'aws-jwt-verify' (app, config) {
    const { CognitoJwtVerifier } = await import('aws-jwt-verify')
    const { CognitoJwtInvalidGroupError } = await import('aws-jwt-verify/error')
    const verifier = CognitoJwtVerifier.create({ userPoolId: config.userPoolId, tokenUse: 'access', clientId: config.clientId, groups: 'admin' })
    // Hydrated from the test pool's JWKS: no fetch, and no network beyond loopback.
    verifier.cacheJwks(config.jwks)
    const BEARER = /^Bearer +(\S+)$/i
    app.get('/page', {
      preHandler: async (request, reply) => {
        const token = BEARER.exec(request.headers.authorization ?? '')?.[1]
        if (token === undefined) return reply.code(401).send({ error: 'unauthenticated' })
        try {
          request.user = await verifier.verify(token)
        } catch (err) {
          return reply.code(err instanceof CognitoJwtInvalidGroupError ? 403 : 401).send({ error: 'denied' })
        }
      }
    }, ok)
  },

  async 'fastify-jwt' (app, config) {
    const { default: fastifyJwt } = await import('@fastify/jwt')
    const { default: buildGetJwks } = await import('get-jwks')
    const getJwks = buildGetJwks({ issuersWhitelist: [config.issuer] })
    await app.register(fastifyJwt, {
      decode: { complete: true },
      verify: { algorithms: ['RS256'], allowedIss: config.issuer },
      secret: (request, token, callback) => {
        const { header: { kid, alg }, payload: { iss } } = token
        getJwks.getPublicKey({ kid, domain: iss, alg }).then(key => callback(null, key), callback)
      }
    })
    const check = accessTokenCheck(config.clientId)
    app.get('/page', {
      preHandler: async (request, reply) => {
        try {
          await request.jwtVerify()
        } catch {
          return reply.code(401).send({ error: 'unauthenticated' })
        }
        const status = check(request.user)
        if (status !== 200) return reply.code(status).send({ error: 'denied' })
      }
    }, ok)
  },

  async 'fastify-jwt-jwks' (app, config) {
    const { default: fastifyJwtJwks } = await import('fastify-jwt-jwks')
    await app.register(fastifyJwtJwks, { jwksUrl: config.jwksUri, issuer: config.issuer })
    const check = accessTokenCheck(config.clientId)
    app.get('/page', {
      preHandler: [app.authenticate, async (request, reply) => {
        const status = check(request.user)
        if (status !== 200) return reply.code(status).send({ error: 'denied' })
      }]
    }, ok)
  }
}

process.once('message', async ({ kind, config }) => {
  try {
    const app = Fastify({ logger: false })
    const build = builders[kind]
    if (build === undefined) throw new Error(`unknown server kind ${kind}`)
    await build(app, config)
    const url = await app.listen({ host: '127.0.0.1', port: 0 })
    process.send({ url })
    process.once('disconnect', () => app.close().then(() => process.exit(0), () => process.exit(1)))
  } catch (err) {
    process.send({ error: err.stack ?? String(err) })
    process.exit(1)
  }
})
