/**
 * What the plugin's companions (`fastify-cognito/bff`) need of a registered plugin and the public
 * decorator does not say: the app's origin and the mounted login and logout paths. Kept under a
 * registry symbol on `fastify.cognito`, out of the public types.
 */
export const INTERNALS = Symbol.for('fastify-cognito.internals')

export interface CognitoInternals {
  /** The app's origin (of `redirectUri`): the only one allowed to drive state-changing requests. */
  appOrigin: string
  /** The login route, with the prefix the plugin was registered under; `false` when not mounted. */
  loginPath: string | false
  /** The logout route, likewise. */
  logoutPath: string | false
}

/** The internals of a registered plugin's decorator; `undefined` when `decorator` is not one. */
export function internalsOf (decorator: unknown): CognitoInternals | undefined {
  return (decorator as { [INTERNALS]?: CognitoInternals } | null | undefined)?.[INTERNALS]
}
