/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

/** Whether `check` holds within `ms` (polled every 10 ms): for effects that follow an answer, like a background fetch. */
export async function eventually (check: () => boolean, ms = 2000): Promise<boolean> {
  for (const end = Date.now() + ms; !check(); await sleep(10)) {
    if (Date.now() > end) return false
  }
  return true
}
