-- ssebridge history read: everything retained after given ids, for exact
-- channels and patterns, in one round trip.
-- ARGV[1]   history age limit in milliseconds
-- ARGV[2..] pairs: topic, after-id. A topic containing *, ? or [ is a pattern,
--           matched against the registry of channels that have history
--           (ssebridge:channel-expiry, and the set ssebridge:channels that an
--           older ssebridge kept, until the publish script has migrated it).
-- Returns: { now_us, clock, epoch, { channel, topic_index, watermark, missing, { id, envelope, ... } }, ... }
--   epoch:     first id issued since this Redis's id clock started (0 if none)
--   watermark: newest id dropped from the channel (0 if none)
--   missing:   1 when the channel has no stream (never published or expired)
local now = redis.call('TIME')
local now_us = tonumber(now[1]) * 1000000 + tonumber(now[2])
local clock = redis.call('GET', 'ssebridge:seq') or '0'
local epoch = redis.call('GET', 'ssebridge:epoch') or '0'
local result = { string.format('%d', now_us), clock, epoch }

local function read_channel(channel, topic_index, after)
  local stream = 'ssebridge:stream:' .. channel
  local watermark = redis.call('GET', 'ssebridge:trimmed:' .. channel) or '0'
  local missing = redis.call('EXISTS', stream) == 0 and 1 or 0
  local flat = {}
  if missing == 0 then
    local entries = redis.call('XRANGE', stream, '(' .. after .. '-0', '+')
    for _, entry in ipairs(entries) do
      flat[#flat + 1] = string.sub(entry[1], 1, -3)
      flat[#flat + 1] = entry[2][2]
    end
  end
  result[#result + 1] = { channel, topic_index, watermark, missing, flat }
end

for i = 2, #ARGV, 2 do
  local topic = ARGV[i]
  local after = ARGV[i + 1]
  local topic_index = (i - 2) / 2
  if string.find(topic, '[%*%?%[]') then
    local seen = {}
    local function consider(channel, forget)
      if seen[channel] then
        return
      end
      seen[channel] = true
      if redis.call('EXISTS', 'ssebridge:stream:' .. channel) == 1 then
        read_channel(channel, topic_index, after)
      else
        -- The stream expired: forget the name, and report it as missing.
        forget(channel)
        result[#result + 1] = { channel, topic_index, '0', 1, {} }
      end
    end
    if redis.call('TYPE', 'ssebridge:channel-expiry')['ok'] == 'zset' then
      local cursor = '0'
      repeat
        local page = redis.call('ZSCAN', 'ssebridge:channel-expiry', cursor, 'MATCH', topic, 'COUNT', 1000)
        cursor = page[1]
        for k = 1, #page[2], 2 do
          consider(page[2][k], function(name) redis.call('ZREM', 'ssebridge:channel-expiry', name) end)
        end
      until cursor == '0'
    end
    if redis.call('TYPE', 'ssebridge:channels')['ok'] == 'set' then
      local cursor = '0'
      repeat
        local page = redis.call('SSCAN', 'ssebridge:channels', cursor, 'MATCH', topic, 'COUNT', 1000)
        cursor = page[1]
        for _, channel in ipairs(page[2]) do
          consider(channel, function(name) redis.call('SREM', 'ssebridge:channels', name) end)
        end
      until cursor == '0'
    end
  else
    read_channel(topic, topic_index, after)
  end
end
return result
