/**
 * The steps of the Redis log that must be atomic across hosts, as Lua scripts (Redis runs each
 * alone). Per webhook: `queue` lists a file's pending deliveries in event order; only a queue's
 * head is ever in `due` (a sorted set scored by when it may be taken), so of one file and webhook
 * one delivery at a time is sent, in order, whichever host sends it. Taking a due delivery moves
 * its score to its lease's end: a holder that died lets it come due again there.
 */

/**
 * KEYS: stream, created, confirmed, pending count, then per hook: due, states, leases, queue.
 * ARGV: event JSON, hooks (comma-separated), file, version ('' for none), type, state JSON, now,
 * lease end, holder, then per hook '1' when this process takes it at once (if it is the head).
 * Returns the entry id and the 0-based indexes of the hooks taken.
 */
export const RECORD = `
local ref = redis.call('xadd', KEYS[1], '*', 'e', ARGV[1], 'h', ARGV[2])
if ARGV[5] == 'media.created' and ARGV[4] ~= '' then redis.call('hset', KEYS[2], ARGV[3], ARGV[4]) end
if ARGV[5] == 'media.deleted' then redis.call('hdel', KEYS[2], ARGV[3]) end
redis.call('set', KEYS[3], '1', 'EX', 604800)
local hooks = (#KEYS - 4) / 4
if hooks > 0 then redis.call('incrby', KEYS[4], hooks) end
local taken = {}
for i = 0, hooks - 1 do
  local due, states, leases, queue = KEYS[5 + 4 * i], KEYS[6 + 4 * i], KEYS[7 + 4 * i], KEYS[8 + 4 * i]
  redis.call('hset', states, ref, ARGV[6])
  if redis.call('rpush', queue, ref) == 1 then
    if ARGV[10 + i] == '1' then
      redis.call('zadd', due, ARGV[8], ref)
      redis.call('hset', leases, ref, ARGV[9])
      taken[#taken + 1] = i
    else
      redis.call('zadd', due, ARGV[7], ref)
    end
  end
end
return {ref, taken}`;

/**
 * KEYS: due, leases. ARGV: now, lease end, at most, holder. The due deliveries, leased to the
 * holder (those of a holder whose lease ran out included: it died or hangs).
 */
export const TAKE_DUE = `
local due = redis.call('zrangebyscore', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, ref in ipairs(due) do
  redis.call('zadd', KEYS[1], ARGV[2], ref)
  redis.call('hset', KEYS[2], ref, ARGV[4])
end
return due`;

/**
 * A delivery is done (delivered, failed for good, or its event gone): it leaves its file's queue
 * and the next one of the file is due now. KEYS: due, states, leases, queue, failures, pending
 * count. ARGV: ref, now, the failed state's JSON ('' unless failed). Nothing when it is no longer
 * its queue's head (another holder, after this one's lease ran out, finished it first). Returns
 * 1 when it was the head.
 */
export const FINISH = `
if redis.call('lindex', KEYS[4], 0) ~= ARGV[1] then return 0 end
redis.call('lpop', KEYS[4])
redis.call('zrem', KEYS[1], ARGV[1])
redis.call('hdel', KEYS[2], ARGV[1])
redis.call('hdel', KEYS[3], ARGV[1])
redis.call('decr', KEYS[6])
if ARGV[3] ~= '' then redis.call('hset', KEYS[5], ARGV[1], ARGV[3]) end
local next = redis.call('lindex', KEYS[4], 0)
if next then redis.call('zadd', KEYS[1], ARGV[2], next) end
return 1`;

/**
 * A try failed and the delivery waits: due again at `next`. KEYS: due, states, leases, queue.
 * ARGV: ref, next, state JSON. Nothing when it is no longer its queue's head.
 */
export const RESCHEDULE = `
if redis.call('lindex', KEYS[4], 0) ~= ARGV[1] then return 0 end
redis.call('hset', KEYS[2], ARGV[1], ARGV[3])
redis.call('zadd', KEYS[1], ARGV[2], ARGV[1])
redis.call('hdel', KEYS[3], ARGV[1])
return 1`;

/**
 * A failed delivery is pending again, at its file's queue's end (due now when the queue was
 * empty). KEYS: due, states, queue, failures, pending count. ARGV: ref, now, state JSON.
 * Returns 1 when it was failed.
 */
export const RETRY_FAILED = `
if redis.call('hdel', KEYS[4], ARGV[1]) == 0 then return 0 end
redis.call('hset', KEYS[2], ARGV[1], ARGV[3])
redis.call('incr', KEYS[5])
if redis.call('rpush', KEYS[3], ARGV[1]) == 1 then redis.call('zadd', KEYS[1], ARGV[2], ARGV[1]) end
return 1`;
