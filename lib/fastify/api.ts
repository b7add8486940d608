/**
 * The decorator's methods for calling other APIs: `clientCredentials` (the app's own machine token),
 * `accessToken` (the caller's token, renewed first when a session's is about to expire) and
 * `userInfo` (the user's current attributes from Cognito). Each reads the request and hands over to
 * the protocol or the session lifecycle.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { CallerKindError, InvalidOptionError, UnauthenticatedError } from '../errors.js'
import type { ClientCredentials } from '../protocol/client-credentials.js'
import { rawAccessToken } from '../protocol/identity.js'
import type { UserInfoClient } from '../protocol/user-info.js'
import type { Verifier } from '../protocol/verifier.js'
import type { SessionLifecycle } from '../session/lifecycle.js'
import { bearerToken } from './request.js'
import type { FastifyCognito } from '../types.js'

/** The slice of configuration these methods use. */
export interface ApiMethodsConfig {
  tokenSources: { cookie: boolean, bearer: boolean }
}

/** A session's access token is renewed first when it has less than this many seconds left. */
const MIN_TTL = 60

type ApiMethods = Pick<FastifyCognito, 'clientCredentials' | 'accessToken' | 'userInfo'>

export function apiMethods (
  config: ApiMethodsConfig, verifier: Verifier, lifecycle: SessionLifecycle, userInfo: UserInfoClient, machine: ClientCredentials | undefined
): ApiMethods {
  /** The raw token the request's identity was made from; on a route no guard protects, a bearer token (verified). */
  async function sentToken (request: FastifyRequest): Promise<string | undefined> {
    const identity = request.cognito
    if (identity !== null) return rawAccessToken(identity)
    const bearer = config.tokenSources.bearer ? bearerToken(request) : undefined
    if (bearer !== undefined) await verifier.verifyAccessToken(bearer)
    return bearer
  }

  return {
    async clientCredentials (options = {}) {
      if (machine === undefined) throw new InvalidOptionError('machineClient is required to call clientCredentials()')
      return machine.token(options.scopes)
    },

    async accessToken (request: FastifyRequest, reply: FastifyReply) {
      // Sessions (cookies) can be renewed; a token the caller sent (bearer, ALB) is what it is.
      if (request.cognito === null || request.cognito.source !== 'cookie') {
        const sent = await sentToken(request)
        if (sent !== undefined) return sent
        if (request.cognito !== null || !config.tokenSources.cookie) throw new UnauthenticatedError()
      }
      return lifecycle.accessToken(request, reply, MIN_TTL)
    },

    async userInfo (request: FastifyRequest) {
      // userInfo answers for users only: a client credentials token has no user behind it.
      if (request.cognito?.kind === 'machine') throw new CallerKindError('user')
      const token = await sentToken(request)
      if (token === undefined) throw new UnauthenticatedError()
      return userInfo.fetch(token)
    }
  }
}
