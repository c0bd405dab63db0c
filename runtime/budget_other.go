//go:build !linux

package runtime

// hostMemoryBudget: only Linux is read for address-space and commit
// limits; elsewhere instance memories are not budgeted.
func hostMemoryBudget() uint64 { return unlimited }
