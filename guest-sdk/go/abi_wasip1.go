//go:build wasip1

package wasmhook

import "unsafe"

// The host functions of ABI v1 (abi/SPEC.md, section 3).

//go:wasmimport wasmhook_v1 input_read
func inputRead(ptr unsafe.Pointer, n uint32) uint32

//go:wasmimport wasmhook_v1 config_read
func configRead(ptr unsafe.Pointer, n uint32) uint32

//go:wasmimport wasmhook_v1 output_set
func outputSet(ptr unsafe.Pointer, n uint32)

//go:wasmimport wasmhook_v1 error_set
func errorSet(ptr unsafe.Pointer, n uint32)

//go:wasmimport wasmhook_v1 log
func logLine(level int32, ptr unsafe.Pointer, n uint32)

//go:wasmimport wasmhook_v1 field_read
func fieldRead(doc int32, path unsafe.Pointer, pathLen uint32, ptr unsafe.Pointer, n uint32) int32

// abiV1 declares ABI v1; the host checks the export and never calls it.
//
//go:wasmexport wasmhook_abi_v1
func abiV1() {}

// inputBuf holds the event input. It is kept between events (an instance
// serves many) and only grows; Go's garbage collector does not move it,
// so the host may write into it.
var inputBuf []byte

// readInput copies the input, n bytes, into inputBuf with one input_read.
func readInput(n uint32) []byte {
	if uint32(cap(inputBuf)) < n {
		inputBuf = make([]byte, n)
	}
	inputBuf = inputBuf[:n]
	if n > 0 {
		inputRead(unsafe.Pointer(unsafe.SliceData(inputBuf)), n)
	}
	return inputBuf
}

// fields holds the values field reads copied during the current event,
// one after another; the next event reuses it. When a value does not fit,
// a larger array replaces it: the values already read keep the old one.
var fields = make([]byte, 0, 4096)

func resetFields() { fields = fields[:0] }

// hostField copies the value at path in document doc into fields with
// one field_read (two when it does not fit in the room left). The host
// validated the value: it is JSON and UTF-8.
func hostField(doc int32, path string) (b []byte, valid bool) {
	p, pn := unsafe.Pointer(unsafe.StringData(path)), uint32(len(path))
	free := fields[len(fields):cap(fields)]
	n := fieldRead(doc, p, pn, unsafe.Pointer(unsafe.SliceData(free)), uint32(len(free)))
	if n < 0 {
		return nil, false
	}
	if int(n) > len(free) {
		fields = make([]byte, 0, max(2*cap(fields), int(n)))
		free = fields[:cap(fields)]
		fieldRead(doc, p, pn, unsafe.Pointer(unsafe.SliceData(free)), uint32(len(free)))
	}
	start := len(fields)
	fields = fields[:start+int(n)]
	return fields[start:len(fields):len(fields)], true
}

// onEvent is the reactor entry point: the handler (which reads the input
// with input_read or its fields with field_read, if it wants them), then
// one output_set or one error_set.
//
//go:wasmexport wasmhook_on_event
func onEvent(n uint32) int32 {
	out, err := call(n)
	if err != nil {
		msg := err.Error()
		errorSet(unsafe.Pointer(unsafe.StringData(msg)), uint32(len(msg)))
		return 1
	}
	if out != nil {
		outputSet(unsafe.Pointer(unsafe.SliceData(out)), uint32(len(out)))
	}
	return 0
}

// hostConfig reads the configuration, once per instance.
func hostConfig() []byte {
	n := configRead(nil, 0)
	b := make([]byte, n)
	if n > 0 {
		configRead(unsafe.Pointer(unsafe.SliceData(b)), n)
	}
	return b
}

func hostLog(level Level, msg string) {
	logLine(int32(level), unsafe.Pointer(unsafe.StringData(msg)), uint32(len(msg)))
}

//go:wasmimport wasmhook_v1 http_request
func httpRequest(method unsafe.Pointer, methodLen uint32, url unsafe.Pointer, urlLen uint32, headers unsafe.Pointer, headersLen uint32, body unsafe.Pointer, bodyLen uint32) int32

//go:wasmimport wasmhook_v1 http_response_read
func httpResponseRead(part int32, ptr unsafe.Pointer, n uint32) int32

//go:wasmimport wasmhook_v1 kv_get
func kvGet(key unsafe.Pointer, keyLen uint32, ptr unsafe.Pointer, n uint32) int32

//go:wasmimport wasmhook_v1 kv_set
func kvSet(key unsafe.Pointer, keyLen uint32, value unsafe.Pointer, valueLen uint32, ttlMS int64) int32

//go:wasmimport wasmhook_v1 kv_delete
func kvDelete(key unsafe.Pointer, keyLen uint32) int32

func strPtr(s string) (unsafe.Pointer, uint32) {
	return unsafe.Pointer(unsafe.StringData(s)), uint32(len(s))
}
func bytesPtr(b []byte) (unsafe.Pointer, uint32) {
	return unsafe.Pointer(unsafe.SliceData(b)), uint32(len(b))
}

// hostRead reads a size-first host result: one call into a buffer of
// guess bytes, a second only when the value is larger.
func hostRead(guess int, read func(ptr unsafe.Pointer, n uint32) int32) ([]byte, int32) {
	b := make([]byte, guess)
	n := read(unsafe.Pointer(unsafe.SliceData(b)), uint32(len(b)))
	if n < 0 {
		return nil, n
	}
	if int(n) > len(b) {
		b = make([]byte, n)
		n = read(unsafe.Pointer(unsafe.SliceData(b)), uint32(len(b)))
		if n < 0 {
			return nil, n
		}
	}
	return b[:n], n
}

func hostFetch(method, url string, headers, body []byte) (int32, []byte, []byte) {
	mp, mn := strPtr(method)
	up, un := strPtr(url)
	hp, hn := bytesPtr(headers)
	bp, bn := bytesPtr(body)
	status := httpRequest(mp, mn, up, un, hp, hn, bp, bn)
	if status < 0 {
		return status, nil, nil
	}
	header, _ := hostRead(1024, func(p unsafe.Pointer, n uint32) int32 { return httpResponseRead(1, p, n) })
	b, _ := hostRead(4096, func(p unsafe.Pointer, n uint32) int32 { return httpResponseRead(0, p, n) })
	return status, header, b
}

func hostKVGet(key string) ([]byte, int32) {
	kp, kn := strPtr(key)
	return hostRead(256, func(p unsafe.Pointer, n uint32) int32 { return kvGet(kp, kn, p, n) })
}

func hostKVSet(key string, value []byte, ttlMS int64) int32 {
	kp, kn := strPtr(key)
	vp, vn := bytesPtr(value)
	return kvSet(kp, kn, vp, vn, ttlMS)
}

func hostKVDelete(key string) int32 {
	kp, kn := strPtr(key)
	return kvDelete(kp, kn)
}
