package main

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/wasmhook/wasmhook"
)

// A paired measurement of what one system adds to another: the two run
// in turn, in short slices (base then with, then with then base, so that
// a drift of the machine weighs on both alike), and the estimate is the
// median of the differences of neighbouring slices. On a shared machine
// whose speed moves from second to second, two rows measured apart can
// differ by more than what is measured; slices side by side cannot.

// paired is the outcome: the median difference per event and its spread
// (the middle half of the differences), wall and CPU time.
type paired struct {
	wall, wallLo, wallHi float64
	cpu                  float64
	pairs                int
}

func (p paired) String() string {
	return fmt.Sprintf("%s wall (middle half of %d pairs: %s to %s), %s CPU",
		signedNs(p.wall), p.pairs, signedNs(p.wallLo), signedNs(p.wallHi), signedNs(p.cpu))
}

// timePaired measures what with adds to base per event, over pairs pairs
// of slices of about d each.
func timePaired(ctx context.Context, base, with system, ev *wasmhook.Event, pairs int, d time.Duration) (paired, error) {
	var walls, cpus []float64
	systems := [2]system{base, with}
	for i := range pairs {
		var wall, cpu [2]float64
		for j := range 2 {
			k := j ^ i&1 // base first in even pairs, with first in odd ones
			w, c, err := timeSlice(ctx, systems[k], ev, d)
			if err != nil {
				return paired{}, err
			}
			wall[k], cpu[k] = w, c
		}
		walls = append(walls, wall[1]-wall[0])
		cpus = append(cpus, cpu[1]-cpu[0])
	}
	sort.Float64s(walls)
	sort.Float64s(cpus)
	n := len(walls)
	return paired{wall: walls[n/2], wallLo: walls[n/4], wallHi: walls[(3*n)/4], cpu: cpus[n/2], pairs: n}, nil
}

// timeSlice enriches ev with s for about d and returns the wall and CPU
// time per event.
func timeSlice(ctx context.Context, s system, ev *wasmhook.Event, d time.Duration) (wall, cpu float64, err error) {
	const batch = 32
	n := 0
	cpu0 := processCPU()
	start := time.Now()
	for time.Since(start) < d {
		for range batch {
			if _, err := s.enrich(ctx, ev); err != nil {
				return 0, 0, err
			}
		}
		n += batch
	}
	return float64(time.Since(start)) / float64(n), float64(processCPU()-cpu0) / float64(n), nil
}
