import type { Redis } from 'ioredis'

/** How many times the server ran each command (INFO commandstats), to prove a path made no Redis call. */
export async function commandCalls (client: Redis): Promise<Record<string, number>> {
  const info = await client.info('commandstats')
  const out: Record<string, number> = {}
  for (const match of info.matchAll(/cmdstat_([\w|]+):calls=(\d+)/g)) out[match[1]!] = Number(match[2])
  return out
}

/** Calls of the commands a session read or write makes (HGETALL, EVAL, SET, EXISTS) between two snapshots. */
export function sessionCalls (before: Record<string, number>, after: Record<string, number>): number {
  return ['hgetall', 'eval', 'set', 'exists'].reduce((n, c) => n + (after[c] ?? 0) - (before[c] ?? 0), 0)
}

/** Polls `check` until it holds or `ms` pass. */
export async function eventually (check: () => Promise<boolean>, ms = 2000): Promise<boolean> {
  const until = Date.now() + ms
  while (Date.now() < until) {
    if (await check()) return true
    await new Promise(resolve => setTimeout(resolve, 20))
  }
  return check()
}
