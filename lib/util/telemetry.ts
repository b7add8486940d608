/**
 * OpenTelemetry metrics, when the app has `@opentelemetry/api` (an optional peer): the plugin's own
 * diagnostics_channel events (events.ts) become counters and a histogram of the global meter provider.
 * Without the package nothing is loaded and nothing listens, so the events stay free.
 *
 * Names follow OpenTelemetry's conventions: a `fastify_cognito.` namespace, durations in seconds,
 * units in braces for counts, `error.type` and `http.response.status_code` as the semantic conventions
 * name them.
 */
import { subscribe } from 'node:diagnostics_channel'
import type * as OtelApi from '@opentelemetry/api'
import { isNotFound } from './optional-peer.js'

interface Instruments {
  provider: OtelApi.MeterProvider
  logins: OtelApi.Counter
  sessionsEnded: OtelApi.Counter
  refreshes: OtelApi.Counter
  denied: OtelApi.Counter
  cognitoDuration: OtelApi.Histogram
}

let started: Promise<boolean> | undefined

/**
 * Starts recording, once per process, when `@opentelemetry/api` can be loaded; resolves whether it could.
 * `load` is for tests.
 */
export function startTelemetry (load: () => Promise<typeof OtelApi> = async () => await import('@opentelemetry/api')): Promise<boolean> {
  started ??= load().then(api => {
    record(api)
    return true
  }, (err: unknown) => {
    started = undefined
    if (isNotFound(err, '@opentelemetry/api')) return false
    throw err
  })
  return started
}

function record (api: typeof OtelApi): void {
  let current: Instruments | undefined
  // The app may set its meter provider after the plugin started: instruments follow the current one.
  const instruments = (): Instruments => {
    const provider = api.metrics.getMeterProvider()
    if (current?.provider === provider) return current
    const meter = provider.getMeter('fastify-cognito')
    current = {
      provider,
      logins: meter.createCounter('fastify_cognito.logins', { unit: '{login}', description: 'Logins completed' }),
      sessionsEnded: meter.createCounter('fastify_cognito.sessions.ended', { unit: '{session}', description: 'Sessions ended, by reason' }),
      refreshes: meter.createCounter('fastify_cognito.refreshes', { unit: '{refresh}', description: 'Refresh attempts, by outcome' }),
      denied: meter.createCounter('fastify_cognito.requests.denied', { unit: '{request}', description: 'Requests a guard refused, by error code' }),
      cognitoDuration: meter.createHistogram('fastify_cognito.cognito.request.duration', { unit: 's', description: 'Duration of calls to Cognito (token, revoke, JWKS, userInfo)' })
    }
    return current
  }
  subscribe('fastify-cognito:login', () => instruments().logins.add(1))
  subscribe('fastify-cognito:session-ended', (message) => {
    instruments().sessionsEnded.add(1, { 'fastify_cognito.session.end_reason': (message as { reason: string }).reason })
  })
  subscribe('fastify-cognito:refresh', (message) => {
    instruments().refreshes.add(1, { 'fastify_cognito.refresh.outcome': (message as { outcome: string }).outcome })
  })
  subscribe('fastify-cognito:denied', (message) => {
    const { reason, statusCode } = message as { reason: string, statusCode: number }
    instruments().denied.add(1, { 'error.type': reason, 'http.response.status_code': statusCode })
  })
  subscribe('fastify-cognito:cognito-call', (message) => {
    const { endpoint, outcome, durationMs } = message as { endpoint: string, outcome: number | string, durationMs: number }
    const result = typeof outcome === 'number' ? { 'http.response.status_code': outcome } : { 'error.type': outcome }
    instruments().cognitoDuration.record(durationMs / 1000, { 'fastify_cognito.endpoint': endpoint, ...result })
  })
}
