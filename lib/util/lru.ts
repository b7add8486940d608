/**
 * The one bounded map of the plugin: least recently used entries go first when it is full, and an
 * entry may carry a deadline after which it reads as absent. Every in-memory cache (verified tokens,
 * opened cookies, refresh answers, refused refresh tokens) is one of these, so none grows without bound.
 */
interface Entry<V> { value: V, until: number }

export class LruMap<K, V> {
  readonly #max: number
  readonly #entries = new Map<K, Entry<V>>()

  /** `max` 0 makes a map that keeps nothing. */
  constructor (max: number) {
    this.#max = max
  }

  /** The value, unless absent or past its deadline (`now` in ms, default `Date.now()`); a hit becomes the most recent. */
  get (key: K, now = Date.now()): V | undefined {
    const entry = this.#entries.get(key)
    if (entry === undefined) return undefined
    this.#entries.delete(key)
    if (entry.until <= now) return undefined
    this.#entries.set(key, entry)
    return entry.value
  }

  /** Stores `value` until `until` (ms since the epoch; default forever), evicting the least recently used entry when full. */
  set (key: K, value: V, until = Number.POSITIVE_INFINITY): void {
    if (this.#max === 0) return
    this.#entries.delete(key)
    this.#entries.set(key, { value, until })
    if (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value as K)
  }

  delete (key: K): void {
    this.#entries.delete(key)
  }

  clear (): void {
    this.#entries.clear()
  }

  get size (): number {
    return this.#entries.size
  }
}

/** How many characters at the end of a long key index it: a JWT's signature, a sealed value's nonce (random either way). */
const TAIL = 32

interface Keyed<V> { key: string, value: V }

/**
 * An {@link LruMap} for long string keys (tokens, sealed cookies), which would be hashed in full on
 * every lookup: it is indexed by the key's last characters, and a hit counts only when the whole key
 * is the same. Two keys that share their tail (a forgery copying a known token's signature) are
 * simply a miss; the one that was stored first stays.
 */
export class LongKeyLruMap<V> {
  readonly #map: LruMap<string, Keyed<V>>

  constructor (max: number) {
    this.#map = new LruMap(max)
  }

  get (key: string, now = Date.now()): V | undefined {
    const entry = this.#map.get(key.slice(-TAIL), now)
    return entry !== undefined && entry.key === key ? entry.value : undefined
  }

  set (key: string, value: V, until?: number): void {
    this.#map.set(key.slice(-TAIL), { key, value }, until)
  }

  delete (key: string): void {
    const tail = key.slice(-TAIL)
    if (this.#map.get(tail)?.key === key) this.#map.delete(tail)
  }

  clear (): void {
    this.#map.clear()
  }

  get size (): number {
    return this.#map.size
  }
}
