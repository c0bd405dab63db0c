package jsonraw

import "strconv"

// Class is the class of a valid JSON text, as far as a webhook merge
// cares: whether it is missing, Python-falsy, an object to merge, or
// some other Python-truthy value.
type Class int

// The classes returned by Classify.
const (
	// Empty is input with nothing but whitespace (length 0 included).
	Empty Class = iota
	// Falsy is a value Python considers false after json.loads: null,
	// false, any zero number (0, -0, 0.0, 0e5, and floats such as
	// 1e-400 that underflow to zero), "", [] and {}.
	Falsy
	// Object is a non-empty object.
	Object
	// Truthy is any other value: true, a non-zero number (including
	// floats that overflow to infinity), a non-empty string or a
	// non-empty array.
	Truthy
)

// String returns the name of the class, such as "Falsy".
func (c Class) String() string {
	switch c {
	case Empty:
		return "Empty"
	case Falsy:
		return "Falsy"
	case Object:
		return "Object"
	case Truthy:
		return "Truthy"
	}
	return "Class(" + strconv.Itoa(int(c)) + ")"
}

// Classify returns the class of b, which must already be valid: it
// assumes Validate(b) returned nil, or that b is empty or whitespace.
// It looks only at as much of b as it needs to (usually one or two
// bytes). For invalid input the result is unspecified, but Classify
// does not panic.
//
// Numbers follow Python's json.loads: an integer (no fraction or
// exponent) is zero only if all its digits are zero; a float is zero if
// it rounds to zero as a float64, so 1e-400 is Falsy.
func Classify(b []byte) Class {
	i := skipSpace(b, 0)
	if i >= len(b) {
		return Empty
	}
	switch b[i] {
	case 'n', 'f':
		return Falsy
	case 't':
		return Truthy
	case '"':
		if i+1 < len(b) && b[i+1] == '"' {
			return Falsy
		}
		return Truthy
	case '[':
		if j := skipSpace(b, i+1); j < len(b) && b[j] == ']' {
			return Falsy
		}
		return Truthy
	case '{':
		if j := skipSpace(b, i+1); j < len(b) && b[j] == '}' {
			return Falsy
		}
		return Object
	}
	if isZeroNumber(b[i:]) {
		return Falsy
	}
	return Truthy
}

// isZeroNumber reports whether the JSON number at the start of b is
// zero after Python's json.loads.
func isZeroNumber(b []byte) bool {
	const saturate = 1 << 40 // cap on exponent digits, far beyond any float
	j := 0
	if j < len(b) && b[j] == '-' {
		j++
	}
	// mag is the decimal exponent of the first non-zero digit, so the
	// value's magnitude is in [10^mag, 10^(mag+1)).
	var mag int64
	nonZero := false
	intStart := j
	for j < len(b) && isDigit(b[j]) {
		if !nonZero && b[j] != '0' {
			nonZero = true
			mag = int64(j - intStart) // digits before it; fixed up below
		}
		j++
	}
	if nonZero {
		mag = int64(j-intStart) - 1 - mag
	}
	isFloat := false
	if j < len(b) && b[j] == '.' {
		isFloat = true
		j++
		fracStart := j
		for j < len(b) && isDigit(b[j]) {
			if !nonZero && b[j] != '0' {
				nonZero = true
				mag = -int64(j-fracStart) - 1
			}
			j++
		}
	}
	var exp int64
	if j < len(b) && (b[j] == 'e' || b[j] == 'E') {
		isFloat = true
		j++
		neg := false
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			neg = b[j] == '-'
			j++
		}
		for j < len(b) && isDigit(b[j]) {
			if exp < saturate {
				exp = exp*10 + int64(b[j]-'0')
			}
			j++
		}
		if neg {
			exp = -exp
		}
	}
	switch {
	case !nonZero:
		return true // All digits are zero: 0, -0, 0.0, 0e5, ...
	case !isFloat:
		return false // A non-zero Python int.
	}
	// A non-zero float: it is zero in Python only if it underflows.
	// The smallest positive float64 is about 4.9e-324, and anything
	// below half of it rounds to zero.
	switch m := mag + exp; {
	case m > -300:
		return false
	case m < -400:
		return true
	}
	// Close to the underflow boundary: let strconv round exactly, as
	// Python's float() does. This path is rare and may allocate.
	f, _ := strconv.ParseFloat(string(b[:j]), 64)
	return f == 0
}
