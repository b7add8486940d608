/**
 * The one reading of a user pool id. Cognito's are `<region>_<id>` (`eu-west-1_AbC123`), and the
 * region can be read from them; emulators use ids with no region (`local_xxxx`), which are valid
 * pool ids whose region must then be given.
 */
const POOL_ID = /^([\w-]+)_([0-9A-Za-z]+)$/
const AWS_REGION = /^[a-z]{2}(?:-[a-z]+)+-\d+$/

export interface ParsedPoolId {
  /** The part before `_`. */
  prefix: string
  /** The AWS region named by the prefix, or `undefined` when the prefix is not a region (`local`). */
  region: string | undefined
}

/** Parses `<prefix>_<id>`; `undefined` when the value is not a pool id at all. */
export function parsePoolId (value: string): ParsedPoolId | undefined {
  const match = POOL_ID.exec(value)
  if (match === null) return undefined
  const prefix = match[1] as string
  return { prefix, region: AWS_REGION.test(prefix) ? prefix : undefined }
}
