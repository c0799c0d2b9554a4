-- ssebridge publish script: assigns a resumable event id, stores the message in
-- each channel's history stream, and announces it on each channel, in one
-- atomic step.
--
-- Applications that want resumable messages without going through HTTP can run
-- it themselves, e.g.:
--   redis-cli --eval deploy/redis/publish.lua ssebridge:seq , \
--     '{"event":"message","data":{"n":7}' 1000 3600000 orders
-- KEYS[1]   the id clock (ssebridge:seq)
-- ARGV[1]   the envelope without its closing brace: {"event":"<name>","data":<json>
-- ARGV[2]   messages kept per channel (0: no history, publish only)
-- ARGV[3]   history age limit in milliseconds
-- ARGV[4..] the channels
-- Returns the id (a decimal string).
--
-- Ids are microseconds since the epoch, bumped by one when the clock has not
-- moved on: unique, increasing across all channels and all processes sharing
-- this Redis, and comparable with a timestamp for age trimming.
local now = redis.call('TIME')
local id = tonumber(now[1]) * 1000000 + tonumber(now[2])
local stored = redis.call('GET', KEYS[1])
local last = tonumber(stored or '0')
if id <= last then
  id = last + 1
end
local id_text = string.format('%d', id)
redis.call('SET', KEYS[1], id_text)
if not stored then
  -- A fresh clock means a fresh (or wiped) Redis: older ids cannot be
  -- vouched for. Resumes from before this epoch are told about a gap.
  redis.call('SET', 'ssebridge:epoch', id_text)
end

local envelope = ARGV[1] .. ',"id":"' .. id_text .. '","resumable":true}'
local keep = tonumber(ARGV[2])
local ttl_ms = tonumber(ARGV[3])
local oldest_allowed = string.format('%d', id - ttl_ms * 1000)

local age_limit = id - ttl_ms * 1000

for i = 4, #ARGV do
  local channel = ARGV[i]
  if keep > 0 then
    local stream = 'ssebridge:stream:' .. channel
    local trimmed = 'ssebridge:trimmed:' .. channel
    -- One read before the append finds both what exact trimming to `keep`
    -- entries will drop (the oldest `excess`) and the entry that will be
    -- oldest afterwards (for age trimming); XADD then trims in the same call.
    -- Fewer calls per publish: Redis is the limit of HTTP publishing.
    local excess = redis.call('XLEN', stream) + 1 - keep
    if excess < 0 then excess = 0 end
    local head = redis.call('XRANGE', stream, '-', '+', 'COUNT', excess + 1)
    local dropped_upto = nil
    if excess > 0 then
      dropped_upto = head[excess][1]
      redis.call('XADD', stream, 'MAXLEN', keep, id_text .. '-0', 'm', envelope)
    else
      redis.call('XADD', stream, id_text .. '-0', 'm', envelope)
    end
    -- Age trimming, remembering the newest id dropped so a client resuming
    -- from before it is told about the gap. Checking only the oldest
    -- remaining entry keeps this O(1); whatever MINID removes is older than
    -- oldest_allowed, which bounds the watermark.
    local oldest = head[excess + 1]
    if oldest ~= nil and tonumber(string.sub(oldest[1], 1, -3)) < age_limit then
      redis.call('XTRIM', stream, 'MINID', oldest_allowed .. '-0')
      local bound = string.format('%d', age_limit - 1) .. '-0'
      if dropped_upto == nil or tonumber(string.sub(bound, 1, -3)) > tonumber(string.sub(dropped_upto, 1, -3)) then
        dropped_upto = bound
      end
    end
    if dropped_upto ~= nil then
      redis.call('SET', trimmed, string.sub(dropped_upto, 1, -3), 'PX', ttl_ms)
    else
      redis.call('PEXPIRE', trimmed, ttl_ms)
    end
    redis.call('PEXPIRE', stream, ttl_ms)
    redis.call('SADD', 'ssebridge:channels', channel)
  end
  redis.call('PUBLISH', channel, envelope)
end
return id_text
