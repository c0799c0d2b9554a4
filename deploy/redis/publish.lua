-- ssebridge publish script: assigns resumable event ids, stores the messages in
-- each channel's history stream, and announces them on each channel, in one
-- atomic step.
--
-- Applications that want resumable messages without going through HTTP can run
-- it themselves with one message, e.g.:
--   redis-cli --eval deploy/redis/publish.lua ssebridge:seq , \
--     '{"event":"message","data":{"n":7}' 1000 3600000 orders
-- KEYS[1]   the id clock (ssebridge:seq)
-- ARGV[1]   the envelope without its closing brace: {"event":"<name>","data":<json>
-- ARGV[2]   messages kept per channel (0: no history, publish only)
-- ARGV[3]   history age limit in milliseconds
-- ARGV[4..] the channels
-- Returns the id (a decimal string).
--
-- ssebridge itself sends every publish of one event-loop turn in one call (the
-- batch form; ARGV[1] does not start with '{'):
-- ARGV[1]   messages kept per channel, ARGV[2] history age limit in ms,
-- ARGV[3]   user queue lifetime in ms, ARGV[4] user queue size (0: no queue),
--           then per message: the envelope head, the number of channels, the
--           channels.
-- Returns one element per message, in order: its id, or an error for a message
-- that was not published at all (a channel's history key holds another type);
-- then one more: { messages queued for users, queued messages dropped }.
--
-- Per-user messages: a channel named user:<name> belongs to one user. A
-- message to it while no connection anywhere is subscribed to exactly that
-- channel (PUBSUB NUMSUB, decided here, atomically with the PUBLISH) is kept
-- in the list ssebridge:user-queue:<channel> (entries '<expiry us> <envelope>',
-- at most the queue size, the oldest dropped and counted in
-- ssebridge:user-queue-dropped:<channel>) until drain_user.lua publishes it
-- again once the user's subscription is confirmed. The single form above uses
-- ssebridge's defaults (1000 s, 100 messages).
--
-- Ids are microseconds since the epoch, bumped by one when the clock has not
-- moved on: unique, increasing across all channels and all processes sharing
-- this Redis, and comparable with a timestamp for age trimming.
--
-- Keys besides KEYS[1], per channel: ssebridge:stream:<channel> (the history
-- stream) and ssebridge:trimmed:<channel> (the newest id dropped from it), both
-- expiring with the history age limit after each publish; and one registry,
-- ssebridge:channel-expiry, a sorted set of channel names scored by when their
-- stream expires (microseconds), read by pattern resumes and pruned here.

-- The registry of an older ssebridge (a plain set without expiry) is moved
-- into the sorted set a few names per call, so it drains without a long call.
local REGISTRY = 'ssebridge:channel-expiry'
local OLD_REGISTRY = 'ssebridge:channels'
local MIGRATE_PER_CALL = 64

local single = string.sub(ARGV[1], 1, 1) == '{'
local keep, ttl_ms
local queue_ttl_ms, queue_size = 1000000, 100
local messages = {}
if single then
  keep = tonumber(ARGV[2])
  ttl_ms = tonumber(ARGV[3])
  local channels = {}
  for i = 4, #ARGV do
    channels[#channels + 1] = ARGV[i]
  end
  messages[1] = {head = ARGV[1], channels = channels}
else
  keep = tonumber(ARGV[1])
  ttl_ms = tonumber(ARGV[2])
  queue_ttl_ms = tonumber(ARGV[3])
  queue_size = tonumber(ARGV[4])
  local at = 5
  while at <= #ARGV do
    local count = tonumber(ARGV[at + 1])
    local channels = {}
    for k = 1, count do
      channels[k] = ARGV[at + 1 + k]
    end
    messages[#messages + 1] = {head = ARGV[at], channels = channels}
    at = at + 2 + count
  end
end

-- A channel whose history key holds something else than a stream (someone
-- else's key) cannot take messages: those messages are refused as a whole,
-- before anything is written, so no message is ever half published.
local usable = {}
local fresh = {}  -- channel -> true when its stream does not exist yet
if keep > 0 then
  for _, message in ipairs(messages) do
    for _, channel in ipairs(message.channels) do
      if usable[channel] == nil then
        local kind = redis.call('TYPE', 'ssebridge:stream:' .. channel)['ok']
        usable[channel] = kind == 'stream' or kind == 'none'
        fresh[channel] = kind == 'none'
      end
      if not usable[channel] then
        message.error = 'WRONGTYPE ssebridge:stream:' .. channel .. ' is not a stream'
      end
    end
  end
end

local accepted = 0
for _, message in ipairs(messages) do
  if message.error == nil then
    accepted = accepted + 1
  end
end
local results = {}
if accepted == 0 then
  for i, message in ipairs(messages) do
    results[i] = {err = message.error}
  end
  if single then
    return results[1]
  end
  results[#messages + 1] = {0, 0}
  return results
end

local now = redis.call('TIME')
local now_us = tonumber(now[1]) * 1000000 + tonumber(now[2])
local first = now_us
local stored = redis.call('GET', KEYS[1])
local last = tonumber(stored or '0')
if first <= last then
  first = last + 1
end
local newest = first + accepted - 1
redis.call('SET', KEYS[1], string.format('%d', newest))
if not stored then
  -- A fresh clock means a fresh (or wiped) Redis: older ids cannot be
  -- vouched for. Resumes from before this epoch are told about a gap.
  redis.call('SET', 'ssebridge:epoch', string.format('%d', first))
end

-- A message to a user nobody is subscribed to (exactly: a pattern such as
-- user:* watching is not the user) waits in the user's queue.
local user_queued, user_dropped = 0, 0
local function queue_for_user(channel, envelope)
  if queue_ttl_ms <= 0 or queue_size <= 0 or string.sub(channel, 1, 5) ~= 'user:' then
    return
  end
  if redis.call('PUBSUB', 'NUMSUB', channel)[2] ~= 0 then
    return
  end
  local key = 'ssebridge:user-queue:' .. channel
  local length = redis.call('RPUSH', key, string.format('%d', now_us + queue_ttl_ms * 1000) .. ' ' .. envelope)
  redis.call('PEXPIRE', key, queue_ttl_ms)
  user_queued = user_queued + 1
  if length > queue_size then
    local excess = length - queue_size
    redis.call('LTRIM', key, excess, -1)
    local dropped_key = 'ssebridge:user-queue-dropped:' .. channel
    redis.call('INCRBY', dropped_key, excess)
    redis.call('PEXPIRE', dropped_key, queue_ttl_ms)
    user_dropped = user_dropped + excess
  end
end

-- Append and announce in id order, so a client subscribed to several of the
-- channels sees increasing ids.
local written = {}  -- channel -> true once it got a message in this call
local touched = {}  -- those channels, in first-use order
local id = first
for i, message in ipairs(messages) do
  if message.error ~= nil then
    results[i] = {err = message.error}
  else
    local id_text = string.format('%d', id)
    id = id + 1
    results[i] = id_text
    local envelope = message.head .. ',"id":"' .. id_text .. '","resumable":true}'
    for _, channel in ipairs(message.channels) do
      if keep > 0 then
        redis.call('XADD', 'ssebridge:stream:' .. channel, id_text .. '-0', 'm', envelope)
        if not written[channel] then
          written[channel] = true
          touched[#touched + 1] = channel
        end
      end
      queue_for_user(channel, envelope)
      redis.call('PUBLISH', channel, envelope)
    end
  end
end

-- Trimming, once per channel per call: exact count first, then age, always
-- remembering the newest id dropped so that a client resuming from before it
-- is told about the gap.
local age_limit = newest - ttl_ms * 1000
local oldest_allowed = string.format('%d', age_limit)
for _, channel in ipairs(touched) do
  local stream = 'ssebridge:stream:' .. channel
  local trimmed = 'ssebridge:trimmed:' .. channel
  local excess = redis.call('XLEN', stream) - keep
  if excess < 0 then
    excess = 0
  end
  -- One read returns what the count limit drops and the entry that is
  -- oldest afterwards.
  local head = redis.call('XRANGE', stream, '-', '+', 'COUNT', excess + 1)
  local dropped_upto = nil
  if excess > 0 then
    dropped_upto = head[excess][1]
    redis.call('XTRIM', stream, 'MAXLEN', keep)
  end
  -- Checking only the oldest remaining entry keeps age trimming O(1);
  -- whatever MINID removes is older than oldest_allowed, which bounds the
  -- watermark.
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
    -- No-op while nothing was ever trimmed: the watermark key is only
    -- written when there is a watermark.
    redis.call('PEXPIRE', trimmed, ttl_ms)
  end
  if fresh[channel] then
    -- XADD gives a new stream a 4 KB node up front (Redis 7.0), which made a
    -- one-off channel cost 4.5 KB. A dumped and restored copy is sized to
    -- its content (about 700 bytes for one message); RESTORE sets the expiry.
    local copy = redis.call('DUMP', stream)
    redis.call('RESTORE', stream, ttl_ms, copy, 'REPLACE')
  else
    redis.call('PEXPIRE', stream, ttl_ms)
  end
end

-- The registry: each channel scored by its stream's expiry time (the highest
-- one any publisher asked for, so a shorter --history-ttl elsewhere never
-- hides a stream that still exists), and pruned of expired names, at most as
-- many per call as the call added plus a few: bounded work, and the set stays
-- the size of the channels published within the age limit.
if #touched > 0 then
  local registry_kind = redis.call('TYPE', REGISTRY)['ok']
  if registry_kind == 'zset' or registry_kind == 'none' then
    local expiry = string.format('%d', newest + ttl_ms * 1000)
    for _, channel in ipairs(touched) do
      redis.call('ZADD', REGISTRY, 'GT', expiry, channel)
    end
    local expired = redis.call('ZRANGE', REGISTRY, '-inf', '(' .. string.format('%d', now_us), 'BYSCORE',
                               'LIMIT', 0, #touched + MIGRATE_PER_CALL)
    if #expired > 0 then
      redis.call('ZREM', REGISTRY, unpack(expired))
    end
    if redis.call('TYPE', OLD_REGISTRY)['ok'] == 'set' then
      for _, channel in ipairs(redis.call('SPOP', OLD_REGISTRY, MIGRATE_PER_CALL)) do
        local left_ms = redis.call('PTTL', 'ssebridge:stream:' .. channel)
        if left_ms == -1 then
          redis.call('ZADD', REGISTRY, 'GT', '+inf', channel)
        elseif left_ms > 0 then
          redis.call('ZADD', REGISTRY, 'GT', string.format('%d', now_us + left_ms * 1000), channel)
        end
      end
    end
  end
end

if single then
  return results[1]
end
results[#messages + 1] = {user_queued, user_dropped}
return results
