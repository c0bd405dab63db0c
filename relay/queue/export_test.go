package queue

// SetTrimAt sets how many acknowledged entries make a Claim trim a
// destination's stream (redisTrimAt by default), so that a test sees
// every trim.
func (r *Redis) SetTrimAt(n int) { r.trimAt = n }

// SetListLook sets how many candidates a list page looks at
// (ListLookRedis), so that a test sees partial pages.
func (r *Redis) SetListLook(n int) { r.look = n }

// ListQueries are the queries one ListPage call of the embedded queue
// runs for f (the probes of its indexes, then the page's), for tests of
// their plans. The probes' results are taken as bound (0 for none).
func ListQueries(f Filter, bound int64) ([]string, [][]any, error) {
	l, err := newList(f, ListLook)
	if err != nil {
		return nil, nil, err
	}
	return l.queries(bound)
}

// ReadQueries are the embedded queue's Stats and Event queries, and
// PurgeDead's statements.
var ReadQueries = append([]string{statsCounts, statsOldest, eventByID, eventDeliveries, eventAttempts}, purgeDead...)
