package queue

// SetTrimAt sets how many acknowledged entries make a Claim trim a
// destination's stream (redisTrimAt by default), so that a test sees
// every trim.
func (r *Redis) SetTrimAt(n int) { r.trimAt = n }

// ListQuery is the embedded queue's List query and arguments, for tests
// of its plan.
var ListQuery = listQuery
