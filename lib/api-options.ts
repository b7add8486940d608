/**
 * The options of an API guarded by the plugin (issue 9): more accepted app clients, resource binding
 * and audience, the machine client for outbound calls, the revocation check, and the ALB mode.
 * Validated once, at registration, with the helpers of `options.ts`.
 */
import { fail, parseUrl, positive, requireString } from './option-checks.js'
import type { FastifyCognitoOptions } from './types.js'

export interface ApiConfig {
  /** Clients whose access tokens bearer guards accept: `clientId` first, then `acceptClientIds`. */
  accessClientIds: readonly string[]
  resource: string | undefined
  /** Values of which the access token's `aud` must hold one; empty: `aud` is not checked. */
  audience: readonly string[]
  machineClient: { clientId: string, clientSecret: string } | undefined
  /** Seconds a userInfo revocation answer is reused for the same token. */
  revocationCheckTtl: number
  userInfoUrl: string
  alb: { signers: readonly string[], keysUrl: string } | undefined
}

/** An ALB ARN: `arn:<partition>:elasticloadbalancing:<region>:<account>:loadbalancer/app/<name>/<id>`. */
const ALB_ARN = /^arn:aws[a-z-]*:elasticloadbalancing:([a-z0-9-]+):\d{12}:loadbalancer\/app\/[\w-]+\/[\w-]+$/
/** Schemes that are never a resource indicator: they name documents or code, not an API. */
const NOT_A_RESOURCE = new Set(['javascript:', 'data:', 'file:', 'blob:', 'ftp:', 'ws:', 'wss:'])

/** A list of non-empty strings, or one string; `undefined` is the empty list. */
export function stringList (value: unknown, name: string, { single = false } = {}): readonly string[] {
  if (value === undefined) return []
  const list = single && typeof value === 'string' ? [value] : value
  if (!Array.isArray(list) || list.some(v => typeof v !== 'string' || v.trim() === '')) {
    fail(name, single ? 'must be a non-empty string or a list of them' : 'must be a list of non-empty strings')
  }
  return Object.freeze([...list as string[]])
}

/** Cognito's rule for `resource` (October 2025): `https://`, `http://localhost`, or a custom scheme; no fragment. */
function resourceUri (value: unknown): string | undefined {
  if (value === undefined) return undefined
  const raw = requireString(value, 'resource')
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    fail('resource', `must be an absolute URI (got "${raw}")`)
  }
  const allowed = url.protocol === 'https:' ||
    (url.protocol === 'http:' && url.hostname === 'localhost') ||
    (url.protocol !== 'http:' && !NOT_A_RESOURCE.has(url.protocol))
  if (!allowed || url.hash !== '') fail('resource', 'must start with https://, http://localhost or a custom scheme, without a fragment')
  return raw
}

function machineClient (value: FastifyCognitoOptions['machineClient']): ApiConfig['machineClient'] {
  if (value === undefined) return undefined
  if (value === null || typeof value !== 'object') fail('machineClient', 'must be an object { clientId, clientSecret }')
  return Object.freeze({
    clientId: requireString(value.clientId, 'machineClient.clientId'),
    clientSecret: requireString(value.clientSecret, 'machineClient.clientSecret')
  })
}

function alb (value: FastifyCognitoOptions['alb']): ApiConfig['alb'] {
  if (value === undefined) return undefined
  if (value === null || typeof value !== 'object') fail('alb', 'must be an object { signers, region?, keysUrl? }')
  const signers = stringList(value.signers, 'alb.signers')
  if (signers.length === 0) fail('alb.signers', 'must list the ARNs of the load balancers you trust')
  const regions = new Set(signers.map((arn, i) => ALB_ARN.exec(arn)?.[1] ?? fail(`alb.signers[${i}]`, `must be an Application Load Balancer ARN (got "${arn}")`)))
  if (value.keysUrl !== undefined) {
    return Object.freeze({ signers, keysUrl: parseUrl(value.keysUrl, 'alb.keysUrl').href.replace(/\/+$/, '') })
  }
  // The ALB publishes its keys per region: one region, from the option or the ARNs.
  if (value.region === undefined && regions.size > 1) fail('alb.region', 'is required when the signers are in several regions (or set alb.keysUrl)')
  const region = value.region === undefined ? [...regions][0] as string : requireString(value.region, 'alb.region')
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) fail('alb.region', `must be an AWS region (got "${region}")`)
  return Object.freeze({ signers, keysUrl: `https://public-keys.auth.elb.${region}.amazonaws.com` })
}

/** Validates the API options; `base` holds what `options.ts` resolved already. */
export function resolveApiOptions (options: FastifyCognitoOptions, base: { clientId: string, domain: string }): ApiConfig {
  const accepted = stringList(options.acceptClientIds, 'acceptClientIds')
  return {
    accessClientIds: Object.freeze([...new Set([base.clientId, ...accepted])]),
    resource: resourceUri(options.resource),
    audience: stringList(options.audience, 'audience', { single: true }),
    machineClient: machineClient(options.machineClient),
    revocationCheckTtl: positive(options.revocationCheckTtl, 'revocationCheckTtl', 30, { allowZero: true }),
    userInfoUrl: `${base.domain}/oauth2/userInfo`,
    alb: alb(options.alb)
  }
}
