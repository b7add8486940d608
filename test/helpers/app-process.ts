/**
 * A child process running one app instance with fastify-cognito, for tests that need separate processes
 * (no shared memory, as behind a load balancer). Protocol over IPC: it listens on 127.0.0.1:0 and sends
 * { port }; the parent answers { options } (and { redis: port } for sessions in Redis: a store cannot
 * cross IPC, so the child makes its own client); it registers the plugin and sends { ready: true }. It
 * exits when the parent disconnects.
 */
import Fastify from 'fastify'
import fastifyCognito from '../../lib/index.js'
import type { FastifyCognitoOptions } from '../../lib/index.js'
import { listening, onServer } from './local-app.js'
import { redisSessionStore } from '../../lib/redis.js'

const send = (message: unknown): void => { process.send?.(message) }
const { server, port } = await listening()

process.once('message', async (message: { options: FastifyCognitoOptions, redis?: number }) => {
  const app = Fastify(onServer(server))
  let options = message.options
  if (message.redis !== undefined) {
    const { Redis } = await import('ioredis')
    const client = new Redis({ port: message.redis, host: '127.0.0.1' })
    app.addHook('onClose', async () => { client.disconnect() })
    options = { ...options, sessionStore: redisSessionStore({ client }) }
  }
  await app.register(fastifyCognito, options)
  app.get('/me', { preHandler: app.cognito.authenticate }, async request => ({ username: request.cognito?.username, jti: request.cognito?.accessToken?.jti, pid: process.pid }))
  await app.ready()
  send({ ready: true })
})
send({ port })

process.once('disconnect', () => {
  server.closeAllConnections()
  server.close()
  process.exit(0)
})
