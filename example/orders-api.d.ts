// Types of orders-api.js, for the TypeScript tests that build the example in-process.
import type { FastifyInstance, FastifyLoggerOptions, FastifyPluginAsync } from 'fastify'

export interface OrdersApiOptions {
  /** The fastify-cognito plugin. */
  plugin: FastifyPluginAsync<any>
  /** Its options (the app's: the API turns cookies and login routes off). */
  cognito: { userPoolId: string, [option: string]: unknown }
  /** Fastify's logger options. */
  logger: FastifyLoggerOptions | boolean
}

export function buildOrdersApi (options: OrdersApiOptions): Promise<FastifyInstance>
