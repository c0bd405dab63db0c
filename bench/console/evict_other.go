//go:build !linux

package main

import "errors"

// errNoEvict: this system cannot drop a file from its page cache.
var errNoEvict = errors.New("not evicted")

// evict does nothing but on Linux.
func evict(string) error { return errNoEvict }
