/**
 * A child process running one app instance with fastify-cognito, for tests that need separate processes
 * (no shared memory, as behind a load balancer). Protocol over IPC: it listens on 127.0.0.1:0 and sends
 * { port }; the parent answers { options }; it registers the plugin and sends { ready: true }. It exits
 * when the parent disconnects.
 */
import Fastify from 'fastify'
import fastifyCognito from '../../lib/index.js'
import type { FastifyCognitoOptions } from '../../lib/index.js'
import { listening, onServer } from './local-app.js'

const send = (message: unknown): void => { process.send?.(message) }
const { server, port } = await listening()

process.once('message', async (message: { options: FastifyCognitoOptions }) => {
  const app = Fastify(onServer(server))
  await app.register(fastifyCognito, message.options)
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
