/** The part of tap's `t` the helpers use: what they start, they stop when the test ends. */
export interface Teardown { teardown (fn: () => unknown): void }
