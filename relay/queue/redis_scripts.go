package queue

import "github.com/redis/go-redis/v9"

// The Redis queue's operations, one Lua script each: a script runs
// atomically, in one round trip, and (unlike MULTI/EXEC) can read what it
// then writes: the duplicate check, the delivery ids it allocates, the
// state a record starts from. RATIONALE.md ("The Redis queue") has the
// key layout; in short, with P the key prefix:
//
//	P seq               INCR counter: delivery ids, in arrival order
//	P stats             hash: events (the deliveries are counted by the
//	                    ZCARD of their P i: sets)
//	P dests             set of destination names
//	P v                 the layout's version
//	P e:EVENT           hash: the event (src rcv ot et body pl rep rq), ds
//	                    (its delivery ids), n (the Enqueue's nonce)
//	P d:ID              hash: a delivery: ev dst st att nx ls le, sid (its
//	                    entry in the destination's stream), did (its entry
//	                    in the dead stream), own (the consumer that claimed
//	                    it last), us (its event's receipt, µs), rn (the
//	                    last record's nonce), one (1 when its event has
//	                    no other delivery; layout 3)
//	P a:ID              list: the delivery's attempts, oldest first
//	P s:DEST            stream: the destination's due deliveries (field d)
//	P r:DEST            sorted set: deliveries waiting for a retry, by due
//	                    time (ms)
//	P dead              stream: dead deliveries (fields d, dst)
//	P i:STATE:DEST      sorted set: deliveries by id, per state and
//	                    destination (List, Stats; the oldest pending
//	                    delivery is the first of its pending sets)
//	P ot:TYPE, P rq:REQUEST
//	                    sorted sets: deliveries by id, per object type
//	                    and request id of their event (List's filters;
//	                    layout 2)
//	P done              sorted set: events whose deliveries were all
//	                    delivered, by receipt (µs): PruneDelivered's list
//	P acked             hash: per destination, the entries acknowledged
//	                    since its stream was last trimmed
//	P sweep             hash: per destination, when the last sweep of the
//	                    group's PEL for ended leases ended (DEST:at) and
//	                    where an unfinished one goes on (DEST:cursor)
//
// Every script gets the prefix as ARGV[1] and the consumer group's name
// as ARGV[2]; the keys are made inside the scripts, so the queue runs on
// one Redis server (or a primary with replicas), not on Redis Cluster.

const luaPrelude = `
local P, G = ARGV[1], ARGV[2]
local function skey(dst) return P .. 's:' .. dst end
-- ensure makes stream s and its group, whatever made the stream before
-- (XADD does not make the group): an error reply when they exist.
local function ensure(s)
  redis.pcall('XGROUP', 'CREATE', s, G, '0', 'MKSTREAM')
end
local function int(x) return string.format('%d', x) end
-- move keeps the state sets of delivery id (of destination dst) when it
-- goes from state a (nil: new) to b: they are List's sources and Stats'
-- counters.
local function move(id, dst, a, b)
  if a == b then return end
  if a then redis.call('ZREM', P .. 'i:' .. a .. ':' .. dst, id) end
  redis.call('ZADD', P .. 'i:' .. b .. ':' .. dst, id, id)
end
-- ack acknowledges entry eid of destination dst's stream s; flushAcks
-- adds the script's acknowledgements to the counts that start a trim,
-- one write per destination.
local acks = {}
local function ack(s, dst, eid)
  redis.call('XACK', s, G, eid)
  acks[dst] = (acks[dst] or 0) + 1
end
local function flushAcks()
  for dst, n in pairs(acks) do redis.call('HINCRBY', P .. 'acked', dst, n) end
  acks = {}
end
-- leave takes delivery id out of where its state keeps it: a pending one
-- out of its stream (acknowledged) or its retry set, a dead one out of the
-- dead stream.
local function leave(id, dst, st, sid, did)
  if st == 'pending' then
    -- in its stream (an entry id) or, between attempts, in its retry set
    if sid and sid ~= '' then
      ack(skey(dst), dst, sid)
    else
      redis.call('ZREM', P .. 'r:' .. dst, id)
    end
  elseif st == 'dead' and did and did ~= '' then
    redis.call('XDEL', P .. 'dead', did)
  end
end
-- done lists event ev (received at us) for PruneDelivered when every
-- delivery of it is delivered; one is '1' when it has no other.
local function done(ev, us, one)
  if one == '1' then
    redis.call('ZADD', P .. 'done', us, ev)
    return
  end
  local ds = redis.call('HGET', P .. 'e:' .. ev, 'ds')
  if not ds then return end
  for x in string.gmatch(ds, '%S+') do
    if redis.call('HGET', P .. 'd:' .. x, 'st') ~= 'delivered' then return end
  end
  redis.call('ZADD', P .. 'done', us, ev)
end
-- index and unindex keep the sorted sets List's filters read: delivery
-- id by its event's object type and request id. Event types, like
-- destinations, are few and common: List finds them in order.
local function index(id, ot, rq)
  redis.call('ZADD', P .. 'ot:' .. ot, id, id)
  if rq and rq ~= '' then redis.call('ZADD', P .. 'rq:' .. rq, id, id) end
end
local function unindex(id, ot, rq)
  if ot then redis.call('ZREM', P .. 'ot:' .. ot, id) end
  if rq and rq ~= '' then redis.call('ZREM', P .. 'rq:' .. rq, id) end
end
-- batch runs one(j) for each item of a batch, in ARGV from 3 on: an
-- item has size arguments, and one gets the offset j of its first
-- (ARGV[3 + j]). An error raised inside one item (what Redis said: OOM, a
-- key of another type) becomes that item's reply; the items before it
-- keep what they did.
local function batch(size, one)
  local out, j = {}, 0
  while 3 + j <= #ARGV do
    local ok, res = pcall(one, j)
    if not ok then
      if type(res) == 'table' then res = res.err end
      res = tostring(res)
    end
    out[#out + 1] = res
    j = j + size
  end
  return out
end
-- idless: stream id a < b.
local function idless(a, b)
  local am, as = string.match(a, '^(%d+)-(%d+)$')
  local bm, bs = string.match(b, '^(%d+)-(%d+)$')
  am, as, bm, bs = tonumber(am), tonumber(as), tonumber(bm), tonumber(bs)
  return am < bm or (am == bm and as < bs)
end
`

// enqueueScript: ARGV 3 now (ns), 4 event id, 5 nonce, 6 source,
// 7 received (ns), 8 received (µs), 9 object type, 10 event type, 11 body,
// 12 payload, 13 report, 14 request id, 15... destinations. Returns the
// number of deliveries, or the error DUP.
var enqueueScript = redis.NewScript(luaPrelude + `
local ev = ARGV[4]
local ek = P .. 'e:' .. ev
if redis.call('EXISTS', ek) == 1 then
  -- the same call, sent again by the client after a lost reply
  if redis.call('HGET', ek, 'n') == ARGV[5] then return 0 end
  return redis.error_reply('DUP event ' .. ev)
end
local n = #ARGV - 14
local first = redis.call('INCRBY', P .. 'seq', n) - n + 1
local ids = {}
for i = 1, n do
  local id = int(first + i - 1)
  local dst = ARGV[14 + i]
  local s = skey(dst)
  if redis.call('SADD', P .. 'dests', dst) == 1 then ensure(s) end
  local sid = redis.call('XADD', s, '*', 'd', id)
  redis.call('HSET', P .. 'd:' .. id, 'ev', ev, 'dst', dst, 'st', 'pending', 'att', 0,
    'nx', ARGV[3], 'ls', 0, 'le', '', 'sid', sid, 'did', '', 'us', ARGV[8], 'one', n == 1 and 1 or 0)
  move(id, dst, nil, 'pending')
  index(id, ARGV[9], ARGV[14])
  ids[i] = id
end
redis.call('HSET', ek, 'src', ARGV[6], 'rcv', ARGV[7], 'ot', ARGV[9], 'et', ARGV[10],
  'body', ARGV[11], 'pl', ARGV[12], 'rep', ARGV[13], 'rq', ARGV[14], 'ds', table.concat(ids, ' '), 'n', ARGV[5])
redis.call('HINCRBY', P .. 'stats', 'events', 1)
return n
`)

// claimScript: ARGV 3 destination, 4 max, 5 consumer, 6 now (ms),
// 7 the lease's end (ns), 8 the idle time a claimed entry gets (ms),
// 9 the visibility timeout (ms), 10 how many acknowledged entries start a
// trim, 11 the time between sweeps for ended leases (ms).
// Returns {reclaimed, {id, event, attempts, last status, last error,
// payload}...}.
//
// An entry's lease is its idle time in the group: XAUTOCLAIM takes the
// entries idle for the visibility timeout V, and a claim for lease L sets
// its entries' idle time to V-L, so that they come back exactly when L
// has passed, whoever claimed them and for how long.
var claimScript = redis.NewScript(luaPrelude + `
local dst, max, me = ARGV[3], tonumber(ARGV[4]), ARGV[5]
local s = skey(dst)
ensure(s)
local out, eids, reclaimed = {}, {}, 0
-- take hands entry eid (fields f) to the caller, or acknowledges it when
-- its delivery has moved on (recorded, retried, purged).
local function take(eid, f, expired)
  local id = f and f[2]
  local d = id and redis.call('HMGET', P .. 'd:' .. id, 'st', 'sid', 'own', 'ev', 'att', 'ls', 'le')
  if not d or d[1] ~= 'pending' or d[2] ~= eid then
    ack(s, dst, eid)
    return
  end
  if expired and d[3] and d[3] ~= me then reclaimed = reclaimed + 1 end
  eids[#eids + 1] = eid
  redis.call('HSET', P .. 'd:' .. id, 'own', me, 'nx', ARGV[7])
  out[#out + 1] = {id, d[4], d[5], d[6], d[7], redis.call('HGET', P .. 'e:' .. d[4], 'pl') or ''}
end
-- 1. Entries whose lease has ended: a dead instance's, or our own. A
-- sweep of the group's PEL with XAUTOCLAIM reads every entry of it, so
-- it runs at most once per ARGV[11] ms per destination (on the server's
-- clock, shared by all instances), and goes on where it stopped when it
-- found max entries.
local sk = P .. 'sweep'
local sw = redis.call('HMGET', sk, dst .. ':cursor', dst .. ':at')
local cursor = sw[1] or '0-0'
local t = redis.call('TIME')
local nowms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if cursor ~= '0-0' or nowms - tonumber(sw[2] or 0) >= tonumber(ARGV[11]) then
  repeat
    local r = redis.call('XAUTOCLAIM', s, G, me, ARGV[9], cursor, 'COUNT', max - #out)
    cursor = r[1]
    for _, e in ipairs(r[2]) do
      if e then take(e[1], e[2], true) end
    end
  until cursor == '0-0' or #out >= max
  if cursor == '0-0' then
    redis.call('HSET', sk, dst .. ':cursor', cursor, dst .. ':at', nowms)
  else
    redis.call('HSET', sk, dst .. ':cursor', cursor)
  end
end
-- 2. Retries now due go back into the stream.
if #out < max then
  local rk = P .. 'r:' .. dst
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', rk, '-inf', ARGV[6], 'LIMIT', 0, max - #out)) do
    redis.call('ZREM', rk, id)
    if redis.call('HGET', P .. 'd:' .. id, 'st') == 'pending' then
      redis.call('HSET', P .. 'd:' .. id, 'sid', redis.call('XADD', s, '*', 'd', id))
    end
  end
end
-- 3. Entries never delivered to the group, oldest first.
while #out < max do
  local r = redis.call('XREADGROUP', 'GROUP', G, me, 'COUNT', max - #out, 'STREAMS', s, '>')
  if not r or #r[1][2] == 0 then break end
  for _, e in ipairs(r[1][2]) do take(e[1], e[2], false) end
end
-- The lease: idle V-L.
for i = 1, #eids, 100 do
  local args = {'XCLAIM', s, G, me, 0}
  for j = i, math.min(i + 99, #eids) do args[#args + 1] = eids[j] end
  args[#args + 1] = 'IDLE'
  args[#args + 1] = ARGV[8]
  args[#args + 1] = 'JUSTID'
  redis.call(unpack(args))
end
-- Trim the stream below its oldest unfinished entry (the oldest one
-- claimed and not acknowledged, in the group's PEL, or not yet read),
-- once ARGV[10] entries have been acknowledged since the last trim.
flushAcks()
if tonumber(redis.call('HGET', P .. 'acked', dst) or 0) >= tonumber(ARGV[10]) then
  redis.call('HSET', P .. 'acked', dst, 0)
  local keep
  local p = redis.call('XPENDING', s, G)
  if p[1] > 0 then keep = p[2] end
  local last = '0-0'
  for _, g in ipairs(redis.call('XINFO', 'GROUPS', s)) do
    local name, ld
    for i = 1, #g, 2 do
      if g[i] == 'name' then name = g[i + 1] elseif g[i] == 'last-delivered-id' then ld = g[i + 1] end
    end
    if name == G then last = ld end
  end
  local unread = redis.call('XRANGE', s, '(' .. last, '+', 'COUNT', 1)
  if unread[1] and (not keep or idless(unread[1][1], keep)) then keep = unread[1][1] end
  if not keep then
    local ms, seq = string.match(last, '^(%d+)-(%d+)$')
    keep = ms .. '-' .. int(tonumber(seq) + 1)
  end
  redis.call('XTRIM', s, 'MINID', keep)
end
table.insert(out, 1, reclaimed)
return out
`)

// recordScript records the attempts of one batch, each as the scripts
// before batches did alone: per attempt 3+j delivery id, 4+j the new
// state, 5+j nonce, 6+j the attempt (encoded), 7+j status, 8+j error, 9+j
// next attempt (ns), 10+j next attempt (ms); the next starts at j+8.
// Returns one reply per attempt: 0, or an error ("NOTFOUND delivery ID",
// or what Redis said). A delivery already delivered stays delivered (a
// late record from a worker whose lease ended); the attempt is kept.
var recordScript = redis.NewScript(luaPrelude + `
local function record(j)
  local id, new, nonce = ARGV[3 + j], ARGV[4 + j], ARGV[5 + j]
  local dk = P .. 'd:' .. id
  local d = redis.call('HMGET', dk, 'st', 'dst', 'sid', 'did', 'us', 'rn', 'ev', 'att', 'one')
  if not d[1] then return 'NOTFOUND delivery ' .. id end
  if d[6] == nonce then return 0 end -- the same call, sent again
  redis.call('RPUSH', P .. 'a:' .. id, ARGV[6 + j])
  local att = (tonumber(d[8]) or 0) + 1
  local cur, dst = d[1], d[2]
  if cur == 'delivered' then
    redis.call('HSET', dk, 'att', att, 'ls', ARGV[7 + j], 'le', ARGV[8 + j], 'rn', nonce)
    return 0
  end
  leave(id, dst, cur, d[3], d[4])
  local nx, did = 0, ''
  if new == 'pending' then
    redis.call('ZADD', P .. 'r:' .. dst, ARGV[10 + j], id)
    nx = ARGV[9 + j]
  elseif new == 'dead' then
    did = redis.call('XADD', P .. 'dead', '*', 'd', id, 'dst', dst)
  end
  redis.call('HSET', dk, 'att', att, 'ls', ARGV[7 + j], 'le', ARGV[8 + j], 'rn', nonce,
    'st', new, 'nx', nx, 'sid', '', 'did', did)
  move(id, dst, cur, new)
  if new == 'delivered' then done(d[7], d[5], d[9]) end
  return 0
end
local out = batch(8, record)
flushAcks()
return out
`)

// replayScript: ARGV 3 delivery id, 4 now (ns).
var replayScript = redis.NewScript(luaPrelude + `
local id = ARGV[3]
local dk = P .. 'd:' .. id
local d = redis.call('HMGET', dk, 'st', 'dst', 'did', 'us')
if not d[1] then return redis.error_reply('NOTFOUND delivery ' .. id) end
if d[1] ~= 'dead' then return redis.error_reply('NOTDEAD delivery ' .. id .. ' is ' .. d[1]) end
leave(id, d[2], 'dead', nil, d[3])
local s = skey(d[2])
ensure(s)
redis.call('HSET', dk, 'st', 'pending', 'nx', ARGV[4], 'sid', redis.call('XADD', s, '*', 'd', id), 'did', '')
move(id, d[2], 'dead', 'pending')
return 0
`)

// purgeScript: ARGV 3 how many dead entries to look at. Returns {purged,
// looked at}.
var purgeScript = redis.NewScript(luaPrelude + `
local dead = P .. 'dead'
local es = redis.call('XRANGE', dead, '-', '+', 'COUNT', tonumber(ARGV[3]))
local n = 0
for _, e in ipairs(es) do
  redis.call('XDEL', dead, e[1])
  local id = e[2][2]
  local dk = P .. 'd:' .. id
  local d = redis.call('HMGET', dk, 'st', 'dst', 'ev', 'did')
  if d[1] == 'dead' and d[4] == e[1] then
    n = n + 1
    redis.call('DEL', dk, P .. 'a:' .. id)
    redis.call('ZREM', P .. 'i:dead:' .. d[2], id)
    local ek = P .. 'e:' .. d[3]
    local ev = redis.call('HMGET', ek, 'ds', 'ot', 'rq')
    local ds = ev[1]
    unindex(id, ev[2], ev[3])
    if ds then
      local left = {}
      for x in string.gmatch(ds, '%S+') do
        if x ~= id then left[#left + 1] = x end
      end
      if #left == 0 then
        redis.call('DEL', ek)
        redis.call('HINCRBY', P .. 'stats', 'events', -1)
      else
        redis.call('HSET', ek, 'ds', table.concat(left, ' '))
        done(d[3], redis.call('HGET', P .. 'd:' .. left[1], 'us'))
      end
    end
  end
end
return {n, #es}
`)

// eventScript: ARGV 3 event id. Returns {{source, received, object type,
// event type, body, payload, report, request id}, {{id, destination,
// state, attempts, next, last status, last error, {attempt...}}...}}.
var eventScript = redis.NewScript(luaPrelude + `
local e = redis.call('HMGET', P .. 'e:' .. ARGV[3], 'src', 'rcv', 'ot', 'et', 'body', 'pl', 'rep', 'ds', 'rq')
if not e[2] then return redis.error_reply('NOTFOUND event ' .. ARGV[3]) end
local ds = {}
for id in string.gmatch(e[8], '%S+') do
  local d = redis.call('HMGET', P .. 'd:' .. id, 'dst', 'st', 'att', 'nx', 'ls', 'le')
  if d[1] then
    ds[#ds + 1] = {id, d[1], d[2], d[3], d[4], d[5], d[6], redis.call('LRANGE', P .. 'a:' .. id, 0, -1)}
  end
end
return {{e[1], e[2], e[3], e[4], e[5] or '', e[6] or '', e[7] or '', e[9] or ''}, ds}
`)

// listScript: ARGV 3 after (a delivery id, 0 for none), 4 limit, 5 state,
// 6 destination, 7 object type, 8 event type, 9 event id, 10 request id
// ("" for any of them), 11 "1" for newest first, 12 how many candidates
// to look at. Returns {{{id, event, destination, state, attempts, next,
// last status, last error, received (ns), object type, event type}...}
// in the list's order, the last candidate looked at when the look ended
// before the page was full (0 when the page is full or the sources
// ended)}.
//
// The candidates come from one source, the narrowest the filter names:
// the event's deliveries, the request's, the object type's, or the sets
// of the states and destinations it names; each
// candidate is then checked against the whole filter. The sources are
// read a chunk at a time, merged in id order, up to the limit; about
// ARGV 12 candidates are looked at per call (whole chunks), so that a
// filter that matches little cannot hold the server, and the call says
// where it stopped.
var listScript = redis.NewScript(luaPrelude + `
local after, limit = tonumber(ARGV[3]), tonumber(ARGV[4])
local f = {st = ARGV[5], dst = ARGV[6], ot = ARGV[7], et = ARGV[8], ev = ARGV[9], rq = ARGV[10]}
local newest = ARGV[11] == '1'
local budget = tonumber(ARGV[12])
local function before(a, b) if newest then return a > b end return a < b end
local sources, explicit = {}, nil
if f.ev ~= '' then
  explicit = {}
  local ds = redis.call('HGET', P .. 'e:' .. f.ev, 'ds')
  if ds then for x in string.gmatch(ds, '%S+') do explicit[#explicit + 1] = tonumber(x) end end
  table.sort(explicit, before)
elseif f.rq ~= '' then sources = {P .. 'rq:' .. f.rq}
elseif f.ot ~= '' then sources = {P .. 'ot:' .. f.ot}
else
  local states = {'pending', 'delivered', 'dead'}
  if f.st ~= '' then states = {f.st} end
  local dsts = {f.dst}
  if f.dst == '' then dsts = redis.call('SMEMBERS', P .. 'dests') end
  for _, st in ipairs(states) do
    for _, dst in ipairs(dsts) do sources[#sources + 1] = P .. 'i:' .. st .. ':' .. dst end
  end
end
local out = {}
-- row returns a candidate's row when the filter takes it.
local function row(id)
  local d = redis.call('HMGET', P .. 'd:' .. id, 'ev', 'dst', 'st', 'att', 'nx', 'ls', 'le')
  if not d[1] then return nil end
  if (f.st ~= '' and d[3] ~= f.st) or (f.dst ~= '' and d[2] ~= f.dst) or (f.ev ~= '' and d[1] ~= f.ev) then return nil end
  local e = redis.call('HMGET', P .. 'e:' .. d[1], 'rcv', 'ot', 'et', 'rq')
  if (f.ot ~= '' and e[2] ~= f.ot) or (f.et ~= '' and e[3] ~= f.et) or (f.rq ~= '' and e[4] ~= f.rq) then return nil end
  return {id, d[1], d[2], d[3], d[4], d[5], d[6], d[7], e[1] or '0', e[2] or '', e[3] or ''}
end
if explicit then
  for _, id in ipairs(explicit) do
    if #out >= limit then break end
    if after == 0 or before(after, id) then
      local r = row(int(id))
      if r then out[#out + 1] = r end
    end
  end
  return {out, 0}
end
local cursor = after
local chunk = math.max(limit, 64)
while #out < limit and budget > 0 do
  local batch, bound = {}, nil
  for _, z in ipairs(sources) do
    local got
    if newest then
      local top = '+inf'
      if cursor > 0 then top = '(' .. int(cursor) end
      got = redis.call('ZREVRANGEBYSCORE', z, top, '-inf', 'LIMIT', 0, chunk)
    else
      got = redis.call('ZRANGEBYSCORE', z, '(' .. int(cursor), '+inf', 'LIMIT', 0, chunk)
    end
    for _, x in ipairs(got) do batch[#batch + 1] = tonumber(x) end
    if #got == chunk then
      -- this source has more past its last: trust the batch up to there
      local last = tonumber(got[#got])
      if bound == nil or before(last, bound) then bound = last end
    end
  end
  if #batch == 0 then break end
  table.sort(batch, before)
  for _, id in ipairs(batch) do
    if bound and before(bound, id) then break end
    cursor = id
    budget = budget - 1
    local r = row(int(id))
    if r then
      out[#out + 1] = r
      if #out >= limit then break end
    end
  end
  if bound == nil then break end
end
if #out < limit and budget <= 0 then return {out, cursor} end
return {out, 0}
`)

// indexScript: ARGV 3... event ids. It indexes their deliveries for
// List's filters (the migration from layout 1).
var indexScript = redis.NewScript(luaPrelude + `
for i = 3, #ARGV do
  local e = redis.call('HMGET', P .. 'e:' .. ARGV[i], 'ds', 'ot', 'rq')
  if e[1] then
    for id in string.gmatch(e[1], '%S+') do index(id, e[2] or '', e[3]) end
  end
end
return 0
`)

// statsScript returns {events, pending, delivered, dead, {received (ns) of
// the oldest pending delivery}}: the deliveries are counted by their state
// sets, and the oldest pending one is the first of its pending sets
// (delivery ids go in arrival order).
var statsScript = redis.NewScript(luaPrelude + `
local n = {pending = 0, delivered = 0, dead = 0}
local first
for _, dst in ipairs(redis.call('SMEMBERS', P .. 'dests')) do
  for st in pairs(n) do n[st] = n[st] + redis.call('ZCARD', P .. 'i:' .. st .. ':' .. dst) end
  local f = redis.call('ZRANGE', P .. 'i:pending:' .. dst, 0, 0)[1]
  if f and (not first or tonumber(f) < first) then first = tonumber(f) end
end
local oldest = {}
if first then
  local ev = redis.call('HGET', P .. 'd:' .. int(first), 'ev')
  local rcv = ev and redis.call('HGET', P .. 'e:' .. ev, 'rcv')
  if rcv then oldest[1] = rcv end
end
return {redis.call('HGET', P .. 'stats', 'events') or '0', int(n.pending), int(n.delivered), int(n.dead), oldest}
`)

// releaseScript: ARGV 3 consumer, 4 the consumer that holds released
// entries, 5 the visibility timeout (ms). It hands the consumer's claimed
// entries over, due at once (idle for the visibility timeout), then
// removes the consumer from the group. Returns how many it released.
var releaseScript = redis.NewScript(luaPrelude + `
local me, n = ARGV[3], 0
for _, dst in ipairs(redis.call('SMEMBERS', P .. 'dests')) do
  local s = skey(dst)
  if redis.call('EXISTS', s) == 1 then
    while true do
      local p = redis.call('XPENDING', s, G, '-', '+', 100, me)
      if #p == 0 then break end
      local args = {'XCLAIM', s, G, ARGV[4], 0}
      for _, x in ipairs(p) do args[#args + 1] = x[1] end
      args[#args + 1] = 'IDLE'
      args[#args + 1] = ARGV[5]
      args[#args + 1] = 'JUSTID'
      redis.call(unpack(args))
      n = n + #p
    end
    redis.call('XGROUP', 'DELCONSUMER', s, G, me)
    -- the next Claim sweeps the whole PEL, and finds them
    redis.call('HDEL', P .. 'sweep', dst .. ':cursor', dst .. ':at')
  end
end
return n
`)

// tidyScript: ARGV 3 idle time (ms). It removes from the group the
// consumers that hold no entry and have been idle that long (instances
// that stopped): a consumer with entries is kept, since removing it would
// drop its entries from the group.
var tidyScript = redis.NewScript(luaPrelude + `
local n = 0
for _, dst in ipairs(redis.call('SMEMBERS', P .. 'dests')) do
  local s = skey(dst)
  if redis.call('EXISTS', s) == 1 then
    for _, c in ipairs(redis.call('XINFO', 'CONSUMERS', s, G)) do
      local name, pending, idle
      for i = 1, #c, 2 do
        if c[i] == 'name' then name = c[i + 1]
        elseif c[i] == 'pending' then pending = c[i + 1]
        elseif c[i] == 'idle' then idle = c[i + 1] end
      end
      if pending == 0 and idle >= tonumber(ARGV[3]) then
        redis.call('XGROUP', 'DELCONSUMER', s, G, name)
        n = n + 1
      end
    end
  end
end
return n
`)

// pruneScript: ARGV 3 the cutoff (µs, exclusive), 4 how many events.
// Returns how many events went.
var pruneScript = redis.NewScript(luaPrelude + `
local evs = redis.call('ZRANGEBYSCORE', P .. 'done', '-inf', '(' .. ARGV[3], 'LIMIT', 0, tonumber(ARGV[4]))
local n = 0
for _, ev in ipairs(evs) do
  redis.call('ZREM', P .. 'done', ev)
  local ek = P .. 'e:' .. ev
  local ids = {}
  for x in string.gmatch(redis.call('HGET', ek, 'ds') or '', '%S+') do ids[#ids + 1] = x end
  local all = #ids > 0
  for _, id in ipairs(ids) do
    if redis.call('HGET', P .. 'd:' .. id, 'st') ~= 'delivered' then all = false end
  end
  if all then
    local meta = redis.call('HMGET', ek, 'ot', 'rq')
    for _, id in ipairs(ids) do
      local dst = redis.call('HGET', P .. 'd:' .. id, 'dst')
      redis.call('DEL', P .. 'd:' .. id, P .. 'a:' .. id)
      redis.call('ZREM', P .. 'i:delivered:' .. dst, id)
      unindex(id, meta[1], meta[2])
    end
    redis.call('DEL', ek)
    redis.call('HINCRBY', P .. 'stats', 'events', -1)
    n = n + 1
  end
end
return n
`)
