package kv_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wasmhook/wasmhook/internal/kv"
	"github.com/wasmhook/wasmhook/internal/redistest"
)

var limits = kv.Limits{MaxKey: 16, MaxValue: 100, MaxBytes: 250}

// suite is what every Store does, with limits.
func suite(t *testing.T, s kv.Store) {
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	get := func(module, key string) (string, bool) {
		t.Helper()
		v, ok, err := s.Get(ctx, module, key)
		must(err)
		return string(v), ok
	}

	t.Run("SetGetDelete", func(t *testing.T) {
		must(s.Set(ctx, "a", "k", []byte("one"), 0))
		must(s.Set(ctx, "a", "k", []byte("two"), 0))
		if v, ok := get("a", "k"); !ok || v != "two" {
			t.Fatalf("get: %q %v", v, ok)
		}
		if _, ok := get("b", "k"); ok {
			t.Fatal("module b sees module a's key")
		}
		// "a:b" + "c" must not meet "a" + "b:c".
		must(s.Set(ctx, "x:y", "z", []byte("1"), 0))
		if _, ok := get("x", "y:z"); ok {
			t.Fatal("two modules' keys met")
		}
		must(s.Delete(ctx, "a", "k"))
		must(s.Delete(ctx, "a", "k"))
		if _, ok := get("a", "k"); ok {
			t.Fatal("deleted key still there")
		}
	})
	t.Run("TTL", func(t *testing.T) {
		must(s.Set(ctx, "t", "k", []byte("v"), 50*time.Millisecond))
		if _, ok := get("t", "k"); !ok {
			t.Fatal("gone before its time")
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			if _, ok := get("t", "k"); !ok {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("still there 5 s after a 50 ms TTL")
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
	t.Run("Bounds", func(t *testing.T) {
		for _, tc := range []struct{ key, value string }{{"", "v"}, {strings.Repeat("k", 17), "v"}, {"k", strings.Repeat("v", 101)}} {
			if err := s.Set(ctx, "m", tc.key, []byte(tc.value), 0); !errors.Is(err, kv.ErrTooLarge) {
				t.Fatalf("set %d-byte key, %d-byte value: %v", len(tc.key), len(tc.value), err)
			}
		}
		v := bytes.Repeat([]byte("v"), 99)
		must(s.Set(ctx, "m", "k1", v, 0)) // 101 bytes
		must(s.Set(ctx, "m", "k2", v, 0)) // 202
		if err := s.Set(ctx, "m", "k3", v, 0); !errors.Is(err, kv.ErrFull) {
			t.Fatalf("over the module's bound: %v", err)
		}
		must(s.Set(ctx, "m", "k2", []byte("small"), 0)) // replacing frees its old size
		must(s.Set(ctx, "m", "k3", v, 0))
		must(s.Set(ctx, "other", "k1", v, 0)) // the bound is per module
		must(s.Delete(ctx, "m", "k1"))
		must(s.Set(ctx, "m", "k4", v, 0))
		// Expired keys make room.
		must(s.Set(ctx, "e", "k1", v, 30*time.Millisecond))
		must(s.Set(ctx, "e", "k2", v, 30*time.Millisecond))
		time.Sleep(60 * time.Millisecond)
		must(s.Set(ctx, "e", "k3", v, 0))
		must(s.Set(ctx, "e", "k4", v, 0))
	})
	t.Run("Concurrent", func(t *testing.T) {
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 50 {
					k := fmt.Sprintf("k%d", i%5)
					if err := s.Set(ctx, "c", k, []byte{byte(g)}, 0); err != nil {
						t.Error(err)
						return
					}
					if _, _, err := s.Get(ctx, "c", k); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		for i := range 5 {
			if _, ok := get("c", fmt.Sprintf("k%d", i)); !ok {
				t.Fatalf("k%d lost", i)
			}
		}
	})
}

func TestMemory(t *testing.T) {
	suite(t, kv.NewMemory(limits, nil))
}

func TestRedis(t *testing.T) {
	s := redistest.Start(t)
	opt, err := redis.ParseURL(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opt)
	defer c.Close()
	suite(t, kv.NewRedis(c, "test:", limits))
}
