/**
 * What happens to sessions and requests, published on `node:diagnostics_channel` channels: free when
 * nobody subscribes (each publish first asks `hasSubscribers`), never a token, a code or a cookie value.
 *
 * | channel | message |
 * |---|---|
 * | `fastify-cognito:login` | `{ sub, username }` after a login |
 * | `fastify-cognito:logout` | `{ sub }` (undefined when the session could not be read) after a logout |
 * | `fastify-cognito:refresh` | `{ outcome }`: `renewed`, `rotated`, `reused` (a racing request's answer), `refused` (Cognito said no), `failed` (Cognito or the network failed) |
 * | `fastify-cognito:session-ended` | `{ reason }`: `logout`, `refused`, `absolute timeout`, `idle timeout`, `ended everywhere` |
 * | `fastify-cognito:denied` | `{ reason, statusCode, method, url }`: `reason` is the error code (`FST_COGNITO_GROUP_REQUIRED`...) |
 * | `fastify-cognito:cognito-call` | `{ endpoint, outcome, durationMs }` for every call to Cognito (token, revoke, JWKS...) |
 */
import { channel } from 'node:diagnostics_channel'

export const channels = {
  login: channel('fastify-cognito:login'),
  logout: channel('fastify-cognito:logout'),
  refresh: channel('fastify-cognito:refresh'),
  sessionEnded: channel('fastify-cognito:session-ended'),
  denied: channel('fastify-cognito:denied'),
  cognitoCall: channel('fastify-cognito:cognito-call')
} as const

export type RefreshOutcome = 'renewed' | 'rotated' | 'reused' | 'refused' | 'failed'

/** Publishes `message` on `name`'s channel when anyone listens; builds it only then. */
export function publish (name: keyof typeof channels, message: () => object): void {
  const target = channels[name]
  if (target.hasSubscribers) target.publish(message())
}
