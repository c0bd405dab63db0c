//go:build unix

package registry

import "syscall"

// openFlags keep open from blocking on a named pipe with no writer (or a
// device that waits) and from making a terminal the controlling one;
// reads of a regular file are not affected by O_NONBLOCK.
const openFlags = syscall.O_NONBLOCK | syscall.O_NOCTTY
