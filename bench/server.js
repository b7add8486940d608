// One app under test, in its own process so that the load generator does not share its event loop.
// The parent sends { mode, options, tokens } and gets back { port, cookies }.
import Fastify from 'fastify'
import fastifyCognito from '../dist/index.js'

process.once('message', async ({ mode, options, tokens }) => {
  const app = Fastify({ logger: false })
  let cookies = {}
  if (mode === 'plugin') {
    await app.register(fastifyCognito, options)
    app.get('/me', { preHandler: app.cognito.authenticate }, async (request) => ({ sub: request.cognito.sub }))
    app.get('/admin', { preHandler: app.cognito.requireGroups(['admin']) }, async (request) => ({ sub: request.cognito.sub }))
  }
  app.get('/open', async () => ({ ok: true }))
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  if (mode === 'plugin') cookies = app.cognito.sealSession(tokens)
  process.send({ url, cookies })
  process.once('disconnect', () => app.close().then(() => process.exit(0)))
})
