package console

import (
	"strconv"
	"time"

	"github.com/wasmhook/wasmhook/relay"
)

// chart is a bar chart drawn on the server as SVG: the page needs no
// script and no image request. Coordinates are in the SVG's own units;
// the stylesheet colours the bars by class and the SVG scales to the
// page's width.
type chart struct {
	Label         string
	Width, Height int
	Bars          []bar
	Max           int64
	From, To      string // the first and last periods' times
}

type bar struct {
	X, Y, W, H float64
	Class      string
	Title      string // shown on hover, and read by screen readers
}

// series picks the stacked values of one period, each with its class.
type series func(c relay.Counts) []stack

type stack struct {
	Class string
	Name  string
	N     int64
}

func received(c relay.Counts) []stack {
	return []stack{{"received", "received", c.Received}}
}

func attempts(c relay.Counts) []stack {
	return []stack{{"delivered", "delivered", c.Delivered}, {"retried", "retried", c.Retried}, {"dead", "dead", c.Dead}}
}

// chart geometry: the plot's height and the room under it.
const chartWidth, chartHeight, plotHeight = 600, 110, 96

func countsChart(label string, periods []relay.Counts, pick series) chart {
	ch := chart{Label: label, Width: chartWidth, Height: chartHeight}
	if len(periods) == 0 {
		return ch
	}
	for _, p := range periods {
		var total int64
		for _, s := range pick(p) {
			total += s.N
		}
		ch.Max = max(ch.Max, total)
	}
	layout := "15:04"
	if periods[len(periods)-1].At.Sub(periods[0].At) > 2*time.Hour {
		layout = "Jan 2 15:04"
	}
	ch.From = periods[0].At.UTC().Format(layout)
	ch.To = periods[len(periods)-1].At.UTC().Format(layout) + " UTC"
	step := float64(chartWidth) / float64(len(periods))
	for i, p := range periods {
		y := float64(plotHeight)
		for _, s := range pick(p) {
			if s.N == 0 || ch.Max == 0 {
				continue
			}
			h := float64(s.N) / float64(ch.Max) * (plotHeight - 2)
			y -= h
			ch.Bars = append(ch.Bars, bar{X: float64(i)*step + 0.5, Y: y, W: max(step-1, 1), H: h, Class: s.Class,
				Title: p.At.UTC().Format("15:04") + ": " + strconv.FormatInt(s.N, 10) + " " + s.Name})
		}
	}
	return ch
}
