// Types of app.js, for the TypeScript tests that build the example in-process.
import type { FastifyInstance, FastifyLoggerOptions, FastifyPluginAsync } from 'fastify'
import type { Server } from 'node:http'

export interface ExampleAppOptions {
  /** The fastify-cognito plugin. */
  plugin: FastifyPluginAsync<any>
  /** Its options. */
  cognito: { userPoolId: string, [option: string]: unknown }
  /** A server already listening; closed with the app. */
  server: Server
  /** The local Cognito stand-in the app uses, named on the home page; `null` for a real user pool. */
  local: { url: string, users: Array<{ username: string, password: string, groups?: string[] }> } | null
  /** Fastify's logger options, for example `{ level: 'info' }`. */
  logger: FastifyLoggerOptions & { stream?: { write (line: string): void } }
  /** The backend for frontend plugin (`fastify-cognito/bff`); with `ordersUrl`, it proxies `/api/orders`. */
  bff?: FastifyPluginAsync<any>
  /** The orders API's URL (orders-api.js, listening). */
  ordersUrl?: string
}

export function buildApp (options: ExampleAppOptions): Promise<FastifyInstance>
