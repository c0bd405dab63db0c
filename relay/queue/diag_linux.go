package queue

import (
	"fmt"
	"syscall"
)

// diagnoseIO says why a write to dir failed when SQLite only reports an
// I/O error or a full database: too little space on the device, or a
// file-size limit on the process (ulimit -f; RLIM_INFINITY is all ones).
// It returns nil when it finds neither.
func diagnoseIO(dir string) (kind error, reason string) {
	var fs syscall.Statfs_t
	if syscall.Statfs(dir, &fs) == nil {
		if free := fs.Bavail * uint64(fs.Bsize); free < 1<<20 {
			return ErrDiskFull, fmt.Sprintf("%d bytes free on the device", free)
		}
	}
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_FSIZE, &lim) == nil && lim.Cur != ^uint64(0) {
		return ErrDiskFull, fmt.Sprintf("the process's file-size limit (ulimit -f) is %d bytes", lim.Cur)
	}
	return nil, ""
}
