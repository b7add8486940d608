/**
 * The bounded maps behind every cache: least recently used first out, deadlines, and (for long keys:
 * tokens, sealed cookies) an index by the key's tail where only the whole key counts.
 */
import t from 'tap'
import { LongKeyLruMap, LruMap } from '../../lib/util/lru.js'

const long = (body: string, tail: string): string => `${body.repeat(40)}${tail}`
const TAIL = 'T'.repeat(32)

t.test('an LRU map evicts the least recently used entry and reads a passed deadline as absent', async (t) => {
  const map = new LruMap<string, number>(2)
  map.set('a', 1)
  map.set('b', 2)
  t.equal(map.get('a'), 1, 'a is now the most recent')
  map.set('c', 3)
  t.equal(map.get('b'), undefined, 'b was the least recently used')
  t.equal(map.get('a'), 1)
  map.set('d', 4, Date.now() - 1)
  t.equal(map.get('d'), undefined, 'past its deadline')
  const none = new LruMap<string, number>(0)
  none.set('a', 1)
  t.equal(none.size, 0, 'a map of size 0 keeps nothing')
})

t.test('a long-key map answers only the whole key, even for keys that share their tail', async (t) => {
  const map = new LongKeyLruMap<string>(10)
  const first = long('x', TAIL)
  const twin = long('y', TAIL)
  map.set(first, 'first')
  t.equal(map.get(first), 'first')
  t.equal(map.get(first.split('').join('')), 'first', 'an equal string that is another object')
  t.equal(map.get(twin), undefined, 'same tail, other key: a miss')
  map.delete(twin)
  t.equal(map.get(first), 'first', 'deleting the twin leaves the stored key')
  t.equal(map.size, 1)
  map.delete(first)
  t.equal(map.get(first), undefined)
  map.set('short', 'keys shorter than the tail work too')
  t.equal(map.get('short'), 'keys shorter than the tail work too')
  map.clear()
  t.equal(map.size, 0)
})

t.test('a long-key map is bounded and keeps deadlines', async (t) => {
  const map = new LongKeyLruMap<number>(3)
  for (let i = 0; i < 10; i++) map.set(long('k', `${i}`.padStart(32, '0')), i)
  t.equal(map.size, 3)
  t.equal(map.get(long('k', '9'.padStart(32, '0'))), 9)
  t.equal(map.get(long('k', '0'.padStart(32, '0'))), undefined, 'evicted')
  map.set(long('z', TAIL), 1, Date.now() - 1)
  t.equal(map.get(long('z', TAIL)), undefined, 'past its deadline')
})

t.test('an LRU map moves a hit only once it has aged past a quarter of the size; a hit entry outlives three quarters of the size in new entries', async (t) => {
  const map = new LruMap<number, number>(8)
  for (let i = 0; i < 8; i++) map.set(i, i)
  t.equal(map.get(0), 0, 'the oldest, read: moved to the most recent end')
  map.set(8, 8)
  t.equal(map.get(1), undefined, 'so 1, not 0, was evicted')
  t.equal(map.get(7), 7, 'a recent entry, read: left where it is (two placements after it)')
  for (let i = 9; i < 14; i++) map.set(i, i)
  t.equal(map.size, 8)
  t.equal(map.get(7), 7, 'five new entries later, still there')
  for (let i = 14; i < 30; i++) {
    map.set(i, i)
    t.equal(map.get(i), i, 'the newest entry is always there')
  }
  t.equal(map.size, 8, 'bounded')
})
