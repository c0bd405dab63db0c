package kv

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is the store in a Redis that several relay instances share (the
// one their queue is on), so that a module's state is the same whichever
// instance runs it. With prefix P and module M (its length first, so
// that no module's keys can be another's):
//
//	P kv:LEN:M:KEY    string: the value, expiring with the key's TTL
//	P kvz:LEN:M       sorted set: the module's keys by expiry (ms; +inf for none)
//	P kvs:LEN:M       hash: the module's keys' sizes, and their total ("")
type Redis struct {
	client *redis.Client
	prefix string
	limits Limits
	bounds bounds
}

var _ Store = (*Redis)(nil)

// NewRedis makes the store on client, its keys beginning with prefix.
func NewRedis(client *redis.Client, prefix string, limits Limits) *Redis {
	return &Redis{client: client, prefix: prefix, limits: limits.withDefaults()}
}

func (r *Redis) space(module string) string {
	return strconv.Itoa(len(module)) + ":" + module
}

// Get implements Store.
func (r *Redis) Get(ctx context.Context, module, key string) ([]byte, bool, error) {
	v, err := r.client.Get(ctx, r.prefix+"kv:"+r.space(module)+":"+key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return v, true, nil
}

// setScript: KEYS 1 the value, 2 the expiry set, 3 the sizes; ARGV 1 the
// key, 2 the value, 3 ttl (ms, 0 for none), 4 now (ms), 5 the module's
// bound. Returns 1, or 0 when the module would be over its bound.
var setScript = redis.NewScript(`
local z, s = KEYS[2], KEYS[3]
local vprefix = string.sub(KEYS[1], 1, #KEYS[1] - #ARGV[1])
-- The module's expired keys leave its count first.
for _, k in ipairs(redis.call('ZRANGEBYSCORE', z, '-inf', ARGV[4])) do
  local n = tonumber(redis.call('HGET', s, k) or 0)
  redis.call('HDEL', s, k)
  redis.call('HINCRBY', s, '', 0 - n) -- not -n: Lua's -0 is no integer to Redis
  redis.call('ZREM', z, k)
  redis.call('DEL', vprefix .. k)
end
local size = #ARGV[1] + #ARGV[2]
local old = tonumber(redis.call('HGET', s, ARGV[1]) or 0)
local total = tonumber(redis.call('HGET', s, '') or 0)
if total - old + size > tonumber(ARGV[5]) then return 0 end
if tonumber(ARGV[3]) > 0 then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  redis.call('ZADD', z, tonumber(ARGV[4]) + tonumber(ARGV[3]), ARGV[1])
else
  redis.call('SET', KEYS[1], ARGV[2])
  redis.call('ZADD', z, '+inf', ARGV[1])
end
redis.call('HSET', s, ARGV[1], size)
redis.call('HINCRBY', s, '', size - old)
return 1
`)

// deleteScript: KEYS as setScript's; ARGV 1 the key.
var deleteScript = redis.NewScript(`
local n = tonumber(redis.call('HGET', KEYS[3], ARGV[1]) or 0)
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('HINCRBY', KEYS[3], '', 0 - n)
return 1
`)

func (r *Redis) keys(module, key string) []string {
	sp := r.space(module)
	return []string{r.prefix + "kv:" + sp + ":" + key, r.prefix + "kvz:" + sp, r.prefix + "kvs:" + sp}
}

// Set implements Store.
func (r *Redis) Set(ctx context.Context, module, key string, value []byte, ttl time.Duration) error {
	if err := r.limits.check(key, value); err != nil {
		return err
	}
	ms := int64(0)
	if ttl > 0 {
		ms = max(1, ttl.Milliseconds())
	}
	ok, err := setScript.Run(ctx, r.client, r.keys(module, key), key, value, ms, time.Now().UnixMilli(), r.bounds.of(module, r.limits.MaxBytes)).Int()
	if err != nil {
		return err
	}
	if ok == 0 {
		return ErrFull
	}
	return nil
}

// Delete implements Store.
func (r *Redis) Delete(ctx context.Context, module, key string) error {
	return deleteScript.Run(ctx, r.client, r.keys(module, key), key).Err()
}

// SetBound sets module's own MaxBytes (0: the store's again), as
// Memory.SetBound does.
func (r *Redis) SetBound(module string, maxBytes int64) { r.bounds.set(module, maxBytes) }
