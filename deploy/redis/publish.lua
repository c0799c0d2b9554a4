-- ssebridge publish script: assigns a resumable event id and announces the
-- message on every channel in one atomic step.
--
-- Applications that want ssebridge ids for their own messages can run it too:
--   redis-cli --eval deploy/redis/publish.lua ssebridge:seq , '{"event":"message","data":{"n":7}' orders
-- KEYS[1]  the id counter key (ssebridge:seq)
-- ARGV[1]  the envelope without its closing brace: {"event":"<name>","data":<json>
-- ARGV[2..] the channels
-- Returns the id (a decimal string).
local seq = redis.call('INCR', KEYS[1])
if seq < 1000000 then
  -- A fresh (or flushed) counter starts from the clock in microseconds, so ids
  -- keep increasing across a Redis restart without persistence.
  local now = redis.call('TIME')
  seq = tonumber(now[1]) * 1000000 + tonumber(now[2])
  redis.call('SET', KEYS[1], string.format('%d', seq))
end
local id = string.format('%d', seq)
local envelope = ARGV[1] .. ',"id":"' .. id .. '"}'
for i = 2, #ARGV do
  redis.call('PUBLISH', ARGV[i], envelope)
end
return id
