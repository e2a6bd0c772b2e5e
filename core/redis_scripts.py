"""Lua scripts that change a session and its job in one atomic step.

Each script works on the keys it is given; the session's keys (`session:{id}` and
`session:{id}:messages`) always leave a script with the same TTL. A job that belongs to a
batch (field `batch_id`) moves its batch's status counters in the same step as its own
status, so the counts of `batch:{id}` are always exact.
"""

# Shared by the scripts that change a job's status. Worker-side figures for /metrics are
# counted here too (hash metrics:counters), so every API process can report them.
_MOVE_BATCH_COUNT = """
local function not_queued(job)
  redis.call("ZREM", "jobs:queued", string.sub(job, 5))  -- "job:" is 4 characters
end
local function finished(job)  -- a batch item's slot in flight is free (core/batch_queue.py)
  local job_id = string.sub(job, 5)
  redis.call("ZREM", "batchq:inflight", job_id)
  redis.call("ZREM", "batchq:open:" .. (redis.call("HGET", job, "owner") or ""), job_id)
end
local function count(field, amount)
  redis.call("HINCRBY", "metrics:counters", field, amount or 1)
end

local function move_batch_count(job, from, to)
  local batch = redis.call("HGET", job, "batch_id")
  if batch and batch ~= "" then
    redis.call("HINCRBY", "batch:" .. batch, from, -1)
    redis.call("HINCRBY", "batch:" .. batch, to, 1)
  end
end
"""

FINAL = '(status == "succeeded" or status == "failed" or status == "cancelled")'

# KEYS: session, messages, job
# ARGV: session_id, owner, create ("1"/"0"), job_id, kind, message, message_tokens, now,
#       token_limit, session_ttl, job_ttl, request_id, batch_id ("" for a chat turn)
# Returns {"ok", token_count} | {"not_found"} | {"in_progress", job_id} | {"token_limit", count}
BEGIN_TURN = """
local session, messages, job = KEYS[1], KEYS[2], KEYS[3]
local session_id, owner, create, job_id = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local tokens, now = tonumber(ARGV[7]), ARGV[8]
local limit, session_ttl, job_ttl = tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[11])

local count = 0
if create == "1" then
  if redis.call("EXISTS", session) == 1 then return {"not_found"} end
else
  if redis.call("EXISTS", session) == 0 or redis.call("HGET", session, "owner") ~= owner then
    return {"not_found"}
  end
  local pending = redis.call("HGET", session, "pending_job_id")
  if pending then
    local pending_status = redis.call("HGET", "job:" .. pending, "status")
    if pending_status == "queued" or pending_status == "running" then
      return {"in_progress", pending}
    end
  end
  count = tonumber(redis.call("HGET", session, "token_count"))
end
if count + tokens > limit then return {"token_limit", count} end

if create == "1" then
  redis.call("HSET", session, "session_id", session_id, "owner", owner, "created_at", now,
             "token_count", 0, "usage_input", 0, "usage_output", 0,
             "usage_cache_read", 0, "usage_cache_write", 0)
end
redis.call("HSET", session, "pending_job_id", job_id, "last_activity", now)
redis.call("ZADD", "sessions:active", redis.call("TIME")[1], session_id)
redis.call("HSET", job, "job_id", job_id, "session_id", session_id, "owner", owner,
           "kind", ARGV[5], "message", ARGV[6], "message_tokens", tokens, "status", "queued",
           "created_at", now, "request_id", ARGV[12], "attempts", 0, "batch_id", ARGV[13])
redis.call("EXPIRE", session, session_ttl)
redis.call("EXPIRE", messages, session_ttl)
redis.call("EXPIRE", job, job_ttl)
if ARGV[13] == "" then  -- a batch item waits in its owner's queue (core/batch_queue.py) first
  redis.call("ZADD", "jobs:queued", redis.call("TIME")[1], job_id)  -- see RECLAIM_QUEUED
end
return {"ok", count}
"""

# Undo BEGIN_TURN when the job could not be enqueued.
# KEYS: session, messages, job   ARGV: job_id, created ("1" when BEGIN_TURN created the session)
CANCEL_TURN = """
local session, messages, job = KEYS[1], KEYS[2], KEYS[3]
redis.call("DEL", job)
redis.call("ZREM", "jobs:queued", ARGV[1])
if ARGV[2] == "1" then
  redis.call("DEL", session, messages)
  redis.call("ZREM", "sessions:active", string.sub(session, 9))  -- "session:" is 8 characters
elseif redis.call("HGET", session, "pending_job_id") == ARGV[1] then
  redis.call("HDEL", session, "pending_job_id")
end
return 1
"""

# KEYS: job   ARGV: now
# Returns the job's fields (flat list), or {"missing"} / {"final"}.
START_JOB = (
    _MOVE_BATCH_COUNT
    + f"""
local job = KEYS[1]
local status = redis.call("HGET", job, "status")
if not status then return {{"missing"}} end
if {FINAL} then return {{"final"}} end
if status == "queued" then move_batch_count(job, "queued", "running") end
not_queued(job)
redis.call("HSET", job, "status", "running")
redis.call("HSETNX", job, "started_at", ARGV[1])
redis.call("HINCRBY", job, "attempts", 1)
return redis.call("HGETALL", job)
"""
)

# KEYS: session, messages, job
# ARGV: job_id, now, user_message, assistant_message, tokens_added, invoice_json ("" = keep),
#       invoice_number, usage_input, usage_output, usage_cache_read, usage_cache_write,
#       result_json, session_gone_error_json
# Returns "applied", "already" (a redelivered job finished before) or "session_gone".
APPLY_TURN = (
    _MOVE_BATCH_COUNT
    + f"""
local session, messages, job = KEYS[1], KEYS[2], KEYS[3]
local job_id, now = ARGV[1], ARGV[2]
local status = redis.call("HGET", job, "status")
if not status or {FINAL} then return "already" end

local outcome = "applied"
if redis.call("HGET", session, "pending_job_id") ~= job_id then
  -- deleted or expired while the turn ran: never bring the session back
  redis.call("HSET", job, "status", "failed", "error", ARGV[13], "finished_at", now)
  move_batch_count(job, status, "failed")
  count("jobs_failed:session_not_found")
  outcome = "session_gone"
else
  redis.call("RPUSH", messages, ARGV[3], ARGV[4])
  redis.call("HINCRBY", session, "token_count", ARGV[5])
  if ARGV[6] ~= "" then
    local replaced = redis.call("HGET", session, "invoice")
    if replaced then redis.call("HSET", session, "previous_invoice", replaced) end  -- for undo
    redis.call("HSET", session, "invoice", ARGV[6], "invoice_number", ARGV[7])
  end
  redis.call("HINCRBY", session, "usage_input", ARGV[8])
  redis.call("HINCRBY", session, "usage_output", ARGV[9])
  redis.call("HINCRBY", session, "usage_cache_read", ARGV[10])
  redis.call("HINCRBY", session, "usage_cache_write", ARGV[11])
  redis.call("HDEL", session, "pending_job_id")
  -- a finishing turn is not user activity: the messages list joins the session's TTL as it is
  redis.call("PEXPIRE", messages, redis.call("PTTL", session))
  redis.call("HSET", job, "status", "succeeded", "result", ARGV[12], "finished_at", now)
  move_batch_count(job, status, "succeeded")
  count("jobs_succeeded")
  count("tokens_input", ARGV[8])
  count("tokens_output", ARGV[9])
  count("tokens_cache_read", ARGV[10])
  count("tokens_cache_write", ARGV[11])
end
finished(job)
redis.call("PUBLISH", "jobs:finished", job_id)  -- wakes long-polls (core/job_events.py)
return outcome
"""
)

# KEYS: session, job   ARGV: job_id, error_json, now, error_code
FAIL_JOB = (
    _MOVE_BATCH_COUNT
    + f"""
local session, job = KEYS[1], KEYS[2]
local status = redis.call("HGET", job, "status")
if not status then return "missing" end
if {FINAL} then return "already" end
redis.call("HSET", job, "status", "failed", "error", ARGV[2], "finished_at", ARGV[3])
move_batch_count(job, status, "failed")
not_queued(job)
finished(job)
count("jobs_failed:" .. ARGV[4])
if redis.call("HGET", session, "pending_job_id") == ARGV[1] then
  redis.call("HDEL", session, "pending_job_id")
end
redis.call("PUBLISH", "jobs:finished", ARGV[1])
return "failed"
"""
)

# KEYS: session, messages   ARGV: owner, now, session_ttl
# Reading is activity: refreshes last_activity and the TTL of both keys in the same step.
READ_SESSION = """
local session, messages = KEYS[1], KEYS[2]
if redis.call("EXISTS", session) == 0 or redis.call("HGET", session, "owner") ~= ARGV[1] then
  return false
end
redis.call("HSET", session, "last_activity", ARGV[2])
local session_id = redis.call("HGET", session, "session_id")
redis.call("ZADD", "sessions:active", redis.call("TIME")[1], session_id)
redis.call("EXPIRE", session, tonumber(ARGV[3]))
redis.call("EXPIRE", messages, tonumber(ARGV[3]))
return {redis.call("HGETALL", session), redis.call("LRANGE", messages, 0, -1)}
"""

# KEYS: session, messages   ARGV: owner
DELETE_SESSION = """
if redis.call("HGET", KEYS[1], "owner") ~= ARGV[1] then return 0 end
redis.call("ZREM", "sessions:active", redis.call("HGET", KEYS[1], "session_id"))
return redis.call("DEL", KEYS[1], KEYS[2])
"""

# KEYS: batch, then every job of the batch   ARGV: now
# Cancels the jobs still queued (running ones finish); frees their sessions. Returns how many.
CANCEL_BATCH = (
    _MOVE_BATCH_COUNT
    + """
local batch, now = KEYS[1], ARGV[1]
local pending = "batchq:pending:" .. redis.call("HGET", batch, "owner")
local cancelled = 0
for i = 2, #KEYS do
  local job = KEYS[i]
  if redis.call("HGET", job, "status") == "queued" then
    redis.call("HSET", job, "status", "cancelled", "finished_at", now)
    move_batch_count(job, "queued", "cancelled")
    not_queued(job)
    finished(job)
    redis.call("ZREM", pending, string.sub(job, 5))
    count("jobs_cancelled")
    local session_id = redis.call("HGET", job, "session_id")
    local session = "session:" .. session_id
    redis.call("DEL", session, session .. ":messages")  -- created for this item, never used
    redis.call("ZREM", "sessions:active", session_id)
    redis.call("PUBLISH", "jobs:finished", string.sub(job, 5))
    cancelled = cancelled + 1
  end
end
redis.call("HSET", batch, "cancelled_at", now)
return cancelled
"""
)

# A job can be queued in Redis with no message anywhere to run it: a worker killed between
# kombu's BRPOP and its own bookkeeping, or Redis lost between BEGIN_TURN and the publish.
# Queued jobs are tracked in jobs:queued (id -> when queued, or last deferred). This claims
# up to ARGV[3] of those still queued after ARGV[1] seconds (a chat turn: its queue drains
# fast) or ARGV[2] seconds (a batch item: it may wait behind hundreds), marking them as seen
# now, so that the caller publishes them again (a second delivery is harmless).
# KEYS: none   ARGV: chat_seconds, batch_seconds, limit   Returns {job_id, batch_id, ...}
RECLAIM_QUEUED = """
local now = tonumber(redis.call("TIME")[1])
local chat_age, batch_age = tonumber(ARGV[1]), tonumber(ARGV[2])
local old = redis.call("ZRANGEBYSCORE", "jobs:queued", "-inf", now - math.min(chat_age, batch_age),
                       "LIMIT", 0, tonumber(ARGV[3]))
local claimed = {}
for _, job_id in ipairs(old) do
  local job = "job:" .. job_id
  local status = redis.call("HGET", job, "status")
  local batch_id = redis.call("HGET", job, "batch_id") or ""
  local age = now - tonumber(redis.call("ZSCORE", "jobs:queued", job_id))
  if status ~= "queued" then
    redis.call("ZREM", "jobs:queued", job_id)
  elseif age >= (batch_id == "" and chat_age or batch_age) then
    redis.call("ZADD", "jobs:queued", now, job_id)
    table.insert(claimed, job_id)
    table.insert(claimed, batch_id)
  end
end
return claimed
"""

# KEYS: heartbeats, slots   ARGV: cutoff (unix time)
# Prunes workers not heard from since the cutoff; returns the live ones' slots, together.
LIVE_SLOTS = """
local heartbeats, slots = KEYS[1], KEYS[2]
for _, name in ipairs(redis.call("ZRANGEBYSCORE", heartbeats, "-inf", "(" .. ARGV[1])) do
  redis.call("ZREM", heartbeats, name)
  redis.call("HDEL", slots, name)
end
local total = 0
for _, name in ipairs(redis.call("ZRANGE", heartbeats, 0, -1)) do
  total = total + tonumber(redis.call("HGET", slots, name) or "0")
end
return total
"""
