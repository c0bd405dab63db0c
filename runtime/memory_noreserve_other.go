//go:build darwin || freebsd || netbsd || openbsd || dragonfly

package runtime

const mapNoReserve = 0
