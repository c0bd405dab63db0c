//go:build !unix

package registry

// openFlags: elsewhere, opening a file does not block on its type.
const openFlags = 0
