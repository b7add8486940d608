/**
 * The one bounded map of the plugin: least recently used entries go first when it is full (to within a
 * quarter of its size, see `get`), and an entry may carry a deadline after which it reads as absent.
 * Every in-memory cache (verified tokens, opened cookies, refresh answers, refused refresh tokens) is
 * one of these, so none grows without bound.
 */
interface Entry<V> { value: V, until: number, at: number }

export class LruMap<K, V> {
  readonly #max: number
  readonly #entries = new Map<K, Entry<V>>()
  /** Entries a hit may leave where they are: those among the last `#fresh` placed (see `get`). */
  readonly #fresh: number
  /** Counts placements (insertions and moves to the most recent end). */
  #clock = 0

  /** `max` 0 makes a map that keeps nothing. */
  constructor (max: number) {
    this.#max = max
    this.#fresh = max >> 2
  }

  /**
   * The value, unless absent or past its deadline (`now` in ms, default `Date.now()`); a hit becomes
   * the most recent. An entry placed among the last quarter of the map's size is left in place: it is
   * far from eviction, and moving it (a delete and an insert in the Map) on every hit would be most of
   * the cost of a lookup. Eviction is then least recently used to within a quarter of the size.
   */
  get (key: K, now = Date.now()): V | undefined {
    const entry = this.#entries.get(key)
    if (entry === undefined) return undefined
    if (entry.until <= now) {
      this.#entries.delete(key)
      return undefined
    }
    if (this.#clock - entry.at > this.#fresh) {
      this.#entries.delete(key)
      this.#entries.set(key, entry)
      entry.at = ++this.#clock
    }
    return entry.value
  }

  /** Stores `value` until `until` (ms since the epoch; default forever), evicting the least recently used entry when full. */
  set (key: K, value: V, until = Number.POSITIVE_INFINITY): void {
    if (this.#max === 0) return
    this.#entries.delete(key)
    this.#entries.set(key, { value, until, at: ++this.#clock })
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
 * is the same: a key that shares a stored key's tail (a forgery copying a known token's signature)
 * is a miss, and the stored entry stays. Storing a key replaces any entry under its tail.
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
