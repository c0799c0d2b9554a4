-- ssebridge user-queue drain: delivers what publish.lua kept for a user who
-- had no open stream, once, in one atomic step. ssebridge runs it each time
-- Redis confirms its subscription to a user channel (a stream of that user
-- opened, or the subscriber connection came back).
--
-- ARGV[1]   the user channel (user:<name>)
-- Returns { messages delivered, messages expired, drops reported }.
--
-- Delivery is a PUBLISH of each kept envelope (its original id) on the
-- channel, so every process with a stream of that user receives it like a
-- live message, and each stream takes it once. Nothing is taken while no
-- connection is subscribed to exactly that channel (the stream that asked
-- may be gone already): then it stays for the next stream. Two processes
-- draining at once cannot both deliver: the first call empties the queue.
-- Messages older than their lifetime are dropped here as well as by the
-- key's expiry. When publish.lua dropped messages over the queue size, a
-- {"event":"gap",...} envelope without an id goes first, saying how many.
local channel = ARGV[1]
local key = 'ssebridge:user-queue:' .. channel
local dropped_key = 'ssebridge:user-queue-dropped:' .. channel
if redis.call('PUBSUB', 'NUMSUB', channel)[2] == 0 then
  return {0, 0, 0}
end
local now = redis.call('TIME')
local now_us = tonumber(now[1]) * 1000000 + tonumber(now[2])
local dropped = tonumber(redis.call('GET', dropped_key) or '0') or 0
if dropped > 0 then
  redis.call('PUBLISH', channel, '{"event":"gap","data":{"lastEventId":null,"oldestId":null,' ..
                                 '"reason":"user-queue-full","dropped":' .. string.format('%d', dropped) .. '}}')
  redis.call('DEL', dropped_key)
end
local delivered, expired = 0, 0
local entries = redis.call('LRANGE', key, 0, -1)
redis.call('DEL', key)
for _, entry in ipairs(entries) do
  local space = string.find(entry, ' ', 1, true)
  if space ~= nil and tonumber(string.sub(entry, 1, space - 1)) > now_us then
    redis.call('PUBLISH', channel, string.sub(entry, space + 1))
    delivered = delivered + 1
  else
    expired = expired + 1
  end
end
return {delivered, expired, dropped}
