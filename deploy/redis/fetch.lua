-- ssebridge history read: what is retained after given ids, for exact
-- channels and patterns, in one round trip, bounded.
-- ARGV[1]   history age limit in milliseconds, optionally followed by
--           ':<max messages>:<max bytes>': the read returns at most that many
--           messages whose envelopes total at most that many bytes (0 or
--           absent: no bound), the newest ones across all channels asked for.
--           Without the suffix (the form of older versions) the read is whole.
-- ARGV[2..] pairs: topic, after-id. A topic containing *, ? or [ is a pattern,
--           matched against the registry of channels that have history
--           (ssebridge:channel-expiry, and the set ssebridge:channels that an
--           older ssebridge kept, until the publish script has migrated it).
-- Returns: { now_us, clock, epoch, omitted,
--            { channel, topic_index, watermark, missing, { id, envelope, ... }, omitted }, ... }
--   epoch:     first id issued since this Redis's id clock started (0 if none)
--   omitted:   the newest id after its topic's after-id that the bound left
--              out ('0' if none): everything newer than it is in the reply;
--              per channel, the newest left out of that channel
--   watermark: newest id dropped from the channel (0 if none)
--   missing:   1 when the channel has no stream (never published or expired)
-- A channel with nothing to report (no message kept or left out, a stream,
-- and no watermark above its after-id) is not in the reply.
--
-- Work: each channel is read newest first, in pages of at most 64 entries,
-- and only down to the newest id left out so far; the kept messages are a
-- heap, so a resume over many channels reads about as many entries as it
-- keeps, plus a few per channel.
local now = redis.call('TIME')
local now_us = tonumber(now[1]) * 1000000 + tonumber(now[2])
local clock = redis.call('GET', 'ssebridge:seq') or '0'
local epoch = redis.call('GET', 'ssebridge:epoch') or '0'
local _, max_text, bytes_text = string.match(ARGV[1], '^(%d*):?(%d*):?(%d*)$')
local max_messages = tonumber(max_text or '') or 0
local max_bytes = tonumber(bytes_text or '') or 0
local page_size = 64

-- Ids are microsecond timestamps: exact as Lua numbers (doubles) until 2255.
local omitted_num, omitted_text = 0, '0'
-- A message read: { num, size, text, envelope }; the envelope is nil once
-- the bound left it out. One per id, shared by the channels that hold it.
local heap = {}            -- Kept messages, oldest on top.
local kept_bytes = 0
local by_id = {}           -- Id text -> message.
local channels = {}        -- { channel, topic_index, watermark, missing, after_num, messages, unread_num, unread_text }

local function heap_push(element)
  local i = #heap + 1
  heap[i] = element
  while i > 1 do
    local parent = math.floor(i / 2)
    if heap[parent][1] <= heap[i][1] then
      break
    end
    heap[parent], heap[i] = heap[i], heap[parent]
    i = parent
  end
end

local function heap_pop()
  local top = heap[1]
  local n = #heap
  heap[1] = heap[n]
  heap[n] = nil
  n = n - 1
  local i = 1
  while true do
    local left, right, smallest = 2 * i, 2 * i + 1, i
    if left <= n and heap[left][1] < heap[smallest][1] then
      smallest = left
    end
    if right <= n and heap[right][1] < heap[smallest][1] then
      smallest = right
    end
    if smallest == i then
      break
    end
    heap[i], heap[smallest] = heap[smallest], heap[i]
    i = smallest
  end
  return top
end

local function over()
  return (max_messages > 0 and #heap > max_messages) or (max_bytes > 0 and kept_bytes > max_bytes)
end

-- Leaves the oldest kept message out; nothing at or below it is kept later.
local function drop_oldest()
  local message = heap_pop()
  kept_bytes = kept_bytes - message[2]
  if message[1] > omitted_num then
    omitted_num, omitted_text = message[1], message[3]
  end
  message[4] = nil
end

local function read_channel(channel, topic_index, after)
  local stream = 'ssebridge:stream:' .. channel
  local watermark = redis.call('GET', 'ssebridge:trimmed:' .. channel) or '0'
  local missing = redis.call('EXISTS', stream) == 0 and 1 or 0
  local after_num = tonumber(after) or 0
  local entries = {}
  local c = { channel, topic_index, watermark, missing, after_num, entries, 0, '0' }
  channels[#channels + 1] = c
  if missing == 1 then
    return
  end
  local function unread(num, text)
    if num > c[7] then
      c[7], c[8] = num, text
    end
  end
  local high = '+'
  while true do
    local low_num, low_text = after_num, after
    if omitted_num > after_num then
      low_num, low_text = omitted_num, omitted_text
    end
    local page = redis.call('XREVRANGE', stream, high, '(' .. low_text .. '-0', 'COUNT', page_size)
    for _, item in ipairs(page) do
      local text = string.sub(item[1], 1, -3)
      local num = tonumber(text)
      if num <= omitted_num then
        -- Left out while this page was read: so is everything older.
        unread(num, text)
        return
      end
      local message = by_id[text]
      if not message then
        message = { num, #item[2][2], text, item[2][2] }
        by_id[text] = message
        heap_push(message)
        kept_bytes = kept_bytes + message[2]
        while over() do
          drop_oldest()
        end
      end
      entries[#entries + 1] = message
    end
    if #page < page_size then
      -- Read down to the bound: what is older, up to it, was not read.
      if low_num > after_num then
        local probe = redis.call('XREVRANGE', stream, low_text .. '-0', '(' .. after .. '-0', 'COUNT', 1)
        if #probe > 0 then
          local text = string.sub(probe[1][1], 1, -3)
          unread(tonumber(text), text)
        end
      end
      return
    end
    high = '(' .. page[#page][1]
  end
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
      -- User channels are private: a pattern reaches them only when it
      -- starts with 'user:' itself (ssebridge's src/user_channel.h).
      if string.sub(channel, 1, 5) == 'user:' and string.sub(topic, 1, 5) ~= 'user:' then
        return
      end
      seen[channel] = true
      if redis.call('EXISTS', 'ssebridge:stream:' .. channel) == 1 then
        read_channel(channel, topic_index, after)
      else
        -- The stream expired: forget the name, and report it as missing.
        forget(channel)
        channels[#channels + 1] = { channel, topic_index, '0', 1, 0, {}, 0, '0' }
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

local result = { string.format('%d', now_us), clock, epoch, omitted_text }
for _, c in ipairs(channels) do
  local flat = {}
  local left_num, left_text = c[7], c[8]
  -- Read newest first; sent oldest first, without what the bound left out.
  for k = #c[6], 1, -1 do
    local message = c[6][k]
    if message[4] then
      flat[#flat + 1] = message[3]
      flat[#flat + 1] = message[4]
    elseif message[1] > left_num then
      left_num, left_text = message[1], message[3]
    end
  end
  if #flat > 0 or left_num > 0 or c[4] == 1 or (tonumber(c[3]) or 0) > c[5] then
    result[#result + 1] = { c[1], c[2], c[3], c[4], flat, left_text }
  end
end
return result
