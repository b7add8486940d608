/**
 * Backend-for-frontend tests: an upstream API on loopback that records what reaches it, and an app
 * with the plugin and `fastify-cognito/bff`, listening on 127.0.0.1 (port 0) so that WebSocket
 * upgrades and streams travel over real sockets; its origin is the one of its callback URL.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import Fastify, { type FastifyInstance } from 'fastify'
import fastifyCognito from '../../lib/index.js'
import cognitoBff, { type CognitoBffOptions } from '../../lib/bff.js'
import type { FastifyCognitoOptions } from '../../lib/index.js'
import type { TestPool } from '../../lib/testing/index.js'
import type { FaultyIdp } from './faulty-idp.js'
import { listening, onServer } from './local-app.js'
import type { Teardown } from './teardown.js'
import { idpOptions } from './token-endpoint.js'

/** What an upstream received. */
export interface Received { method: string, url: string, headers: IncomingHttpHeaders, body: string }

export interface Upstream {
  /** `http://127.0.0.1:<port>` */
  url: string
  server: Server
  received: Received[]
}

/** An upstream API on 127.0.0.1, port 0: answers with `handler`, by default JSON echoing what it got. */
export async function startUpstream (t: Teardown, handler?: (req: IncomingMessage, res: ServerResponse, got: Received) => void): Promise<Upstream> {
  const received: Received[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const got = { method: req.method as string, url: req.url as string, headers: req.headers, body: Buffer.concat(chunks).toString() }
      received.push(got)
      if (handler !== undefined) return handler(req, res, got)
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify(got))
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>(resolve => { server.closeAllConnections(); server.close(() => resolve()) }))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, received }
}

export interface BffApp {
  app: FastifyInstance
  /** `http://localhost:<port>`: the app's origin. */
  base: string
}

/** The plugin (`pool`, token endpoint `idp`, `plugin` overrides) and the BFF with `bff`, listening; closed when the test ends. */
export async function startBffApp (t: Teardown, pool: TestPool, idp: FaultyIdp, bff: CognitoBffOptions, plugin: Partial<FastifyCognitoOptions> = {}): Promise<BffApp> {
  const { server, base } = await listening()
  const app = Fastify(onServer(server))
  t.teardown(async () => {
    server.closeAllConnections()
    await app.close()
    server.close()
  })
  await app.register(fastifyCognito, { ...idpOptions(pool, idp), redirectUri: `${base}/postlogin`, logoutUri: `${base}/postlogout`, ...plugin } as FastifyCognitoOptions)
  await app.register(cognitoBff, bff)
  await app.ready()
  return { app, base }
}

/** The headers of a same-origin `fetch` from the single-page app, with its anti-CSRF header. */
export function fromTheApp (base: string, extra: Record<string, string> = {}): Record<string, string> {
  return { 'x-csrf': '1', 'sec-fetch-site': 'same-origin', origin: base, ...extra }
}
