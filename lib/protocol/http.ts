/**
 * The one way the plugin calls Cognito over HTTP (undici): every call has a timeout (headers, body and
 * overall), a cap on the answer's size, and fails with a {@link TransportError} that names the endpoint
 * and what went wrong in words. `errors.ts` turns that into the coded 502 or 503 a caller sees.
 */
import { request } from 'undici'
import type { Dispatcher } from 'undici'
import { TransportError } from '../errors.js'
import { publish } from '../util/events.js'

/** The slice of configuration an HTTP call needs. */
export interface HttpConfig {
  /** Milliseconds for the whole call. */
  timeout: number
  /** undici dispatcher (proxies, tests); undici's global one when undefined. */
  dispatcher: Dispatcher | undefined
}

export interface HttpCall {
  /** Names the endpoint in errors and logs: `'token endpoint'`, `'JWKS endpoint'`. */
  endpoint: string
  url: string
  method: 'GET' | 'POST'
  headers: Record<string, string>
  body?: string
  /** The largest answer accepted, in bytes. */
  maxBody: number
}

export interface HttpAnswer {
  status: number
  /** The answer's headers (`location` and `date` for the doctor). */
  headers: Record<string, string | string[] | undefined>
  /** The answer as text (a PEM key, an HTML error page for the doctor). */
  text: string
  /** The answer parsed as JSON; `undefined` when it is not JSON. */
  json: unknown
}

/** Calls Cognito; resolves with any HTTP status, rejects with a `TransportError` when no whole answer arrived in time. */
export async function callCognito (config: HttpConfig, call: HttpCall): Promise<HttpAnswer> {
  const started = performance.now()
  const done = (outcome: number | string): void => publish('cognitoCall', () => ({ endpoint: call.endpoint, outcome, durationMs: performance.now() - started }))
  try {
    const answer = await send(config, call)
    done(answer.status)
    return answer
  } catch (err) {
    done((err as TransportError).reason)
    throw err
  }
}

async function send (config: HttpConfig, call: HttpCall): Promise<HttpAnswer> {
  const { timeout, dispatcher } = config
  try {
    const response = await request(call.url, {
      method: call.method,
      headers: call.headers,
      ...(call.body !== undefined ? { body: call.body } : {}),
      signal: AbortSignal.timeout(timeout),
      headersTimeout: timeout,
      bodyTimeout: timeout,
      ...(dispatcher ? { dispatcher } : {})
    })
    const chunks: Buffer[] = []
    let size = 0
    for await (const chunk of response.body) {
      size += chunk.length
      if (size > call.maxBody) {
        response.body.destroy()
        throw new TransportError(call.endpoint, 'sent an answer too large')
      }
      chunks.push(chunk)
    }
    const text = Buffer.concat(chunks).toString('utf8')
    return { status: response.statusCode, headers: response.headers, text, json: parseJson(text) }
  } catch (err) {
    if (err instanceof TransportError) throw err
    throw new TransportError(call.endpoint, err instanceof Error && err.name === 'TimeoutError' ? 'timed out' : 'could not be reached', { cause: err })
  }
}

function parseJson (text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
