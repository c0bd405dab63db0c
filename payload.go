package wasmhook

import (
	"time"

	"github.com/wasmhook/wasmhook/abi"
	"github.com/wasmhook/wasmhook/internal/jsonraw"
)

// appendPayload appends the webhook body NetBox would send for ev, with
// merged as its "context" when non-empty. The envelope is written the way
// Python's json.dumps writes it (", " and ": " separators, non-ASCII as
// \u escapes); data, snapshots and context values are the given bytes.
func appendPayload(dst []byte, ev *Event, ts time.Time, merged *jsonraw.Merge) []byte {
	dst = append(dst, `{"event": `...)
	dst = jsonraw.AppendASCIIString(dst, EventName(ev.EventType))
	dst = append(dst, `, "timestamp": "`...)
	dst = AppendTimestamp(dst, ts)
	dst = append(dst, `", "object_type": `...)
	dst = jsonraw.AppendASCIIString(dst, ev.ObjectType)
	dst = append(dst, `, "username": `...)
	dst = appendNullableString(dst, ev.Username)
	dst = append(dst, `, "request_id": `...)
	var id []byte // the request id, written once, appended twice
	if r := ev.Request; r != nil {
		var buf [36]byte
		id = abi.AppendUUID(buf[:0], r.ID)
		dst = append(dst, '"')
		dst = append(dst, id...)
		dst = append(dst, '"')
	} else {
		dst = append(dst, "null"...)
	}
	dst = append(dst, `, "data": `...)
	dst = append(dst, ev.Data...)
	if r := ev.Request; r != nil {
		dst = append(dst, `, "request": {"id": "`...)
		dst = append(dst, id...)
		dst = append(dst, `", "method": `...)
		dst = jsonraw.AppendASCIIString(dst, r.Method)
		dst = append(dst, `, "path": `...)
		dst = jsonraw.AppendASCIIString(dst, r.Path)
		dst = append(dst, `, "user": `...)
		dst = jsonraw.AppendASCIIString(dst, r.User)
		dst = append(dst, '}')
	}
	if s := ev.Snapshots; s != nil {
		dst = append(dst, `, "snapshots": {"prechange": `...)
		dst = appendRawOrNull(dst, s.Prechange)
		dst = append(dst, `, "postchange": `...)
		dst = appendRawOrNull(dst, s.Postchange)
		dst = append(dst, '}')
	}
	if merged != nil && merged.Len() > 0 {
		dst = append(dst, `, "context": `...)
		dst = merged.AppendObject(dst, jsonraw.Python)
	}
	return append(dst, '}')
}

func appendNullableString(dst []byte, s string) []byte {
	if s == "" {
		return append(dst, "null"...)
	}
	return jsonraw.AppendASCIIString(dst, s)
}

func appendRawOrNull(dst, raw []byte) []byte {
	if len(raw) == 0 {
		return append(dst, "null"...)
	}
	return append(dst, raw...)
}

// AppendTimestamp appends t in UTC the way NetBox writes webhook
// timestamps: ISO 8601 with microseconds and "+00:00", e.g.
// 2026-03-06T15:11:23.503186+00:00.
func AppendTimestamp(dst []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		// Outside what four digits hold: time's own layout, as before.
		dst = t.AppendFormat(dst, "2006-01-02T15:04:05")
	} else {
		hour, minute, sec := t.Clock()
		var b [19]byte
		put2 := func(at, v int) { b[at], b[at+1] = byte('0'+v/10), byte('0'+v%10) }
		put2(0, year/100)
		put2(2, year%100)
		b[4] = '-'
		put2(5, int(month))
		b[7] = '-'
		put2(8, day)
		b[10] = 'T'
		put2(11, hour)
		b[13] = ':'
		put2(14, minute)
		b[16] = ':'
		put2(17, sec)
		dst = append(dst, b[:]...)
	}
	// Six digits of microseconds, two at a time by constant divisors.
	us := t.Nanosecond() / 1000
	frac := [13]byte{'.', 0, 0, 0, 0, 0, 0, '+', '0', '0', ':', '0', '0'}
	for at, v := range [3]int{us / 10000, us / 100 % 100, us % 100} {
		frac[1+2*at], frac[2+2*at] = byte('0'+v/10), byte('0'+v%10)
	}
	return append(dst, frac[:]...)
}

// FormatTimestamp returns AppendTimestamp's form of t as a string.
func FormatTimestamp(t time.Time) string { return string(AppendTimestamp(nil, t)) }
