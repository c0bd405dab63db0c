package queue

// Drivers names the SQLite drivers the tests and benchmarks compare.
var Drivers = map[string]driverSpec{"modernc": driverModernc, "ncruces": driverNcruces}

// WithDriver returns opts with driver d.
func WithDriver(opts Options, d driverSpec) Options { opts.driver = d; return opts }
