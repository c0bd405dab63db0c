package runtime

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"syscall"
)

// hostMemoryBudget is the budget for instance memories: a share of the
// room left under the address-space limit (RLIMIT_AS) and, with strict
// overcommit accounting (vm.overcommit_memory=2, where MAP_NORESERVE is
// ignored), under the commit limit.
func hostMemoryBudget() uint64 {
	b := uint64(unlimited)
	var rl syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_AS, &rl) == nil && rl.Cur != ^uint64(0) {
		size, _ := procField("/proc/self/status", "VmSize:")
		b = min(b, budgetShare(rl.Cur-min(rl.Cur, size)))
	}
	if mode, err := os.ReadFile("/proc/sys/vm/overcommit_memory"); err == nil && bytes.TrimSpace(mode)[0] == '2' {
		limit, ok1 := procField("/proc/meminfo", "CommitLimit:")
		committed, ok2 := procField("/proc/meminfo", "Committed_AS:")
		if ok1 && ok2 {
			b = min(b, budgetShare(limit-min(limit, committed)))
		}
	}
	return b
}

// procField reads a "Name:   123 kB" line of a /proc file, in bytes.
func procField(file, name string) (uint64, bool) {
	f, err := os.Open(file)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := s.Bytes()
		if !bytes.HasPrefix(line, []byte(name)) {
			continue
		}
		fields := bytes.Fields(line[len(name):])
		if len(fields) == 0 {
			return 0, false
		}
		v, err := strconv.ParseUint(string(fields[0]), 10, 64)
		if err != nil {
			return 0, false
		}
		if len(fields) > 1 && string(fields[1]) == "kB" {
			v <<= 10
		}
		return v, true
	}
	return 0, false
}
