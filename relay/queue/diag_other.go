//go:build !linux

package queue

func diagnoseIO(dir string) (kind error, reason string) { return nil, "" }
