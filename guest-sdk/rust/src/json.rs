//! A small zero-copy JSON reader.
//!
//! A [`Value`] is the exact text of one JSON value inside a document. Lookups
//! scan that text and copy nothing: [`Value::get`] and [`Value::lookup`]
//! find an object's own members, [`Value::items`] an array's elements, and
//! strings are decoded only when asked ([`Value::as_str`], or without
//! allocating [`Value::str_eq`] and [`Value::char_count`]).
//!
//! Documents come in two ways. [`Value::parse`] checks the whole text first
//! (RFC 8259, UTF-8, nesting depth): use it for text of unknown origin.
//! [`Value::trusted`] does not: the SDK uses it for the event input, which
//! the host has already checked (abi/SPEC.md, section 4), to save a pass
//! over every event. Either way the scanner never panics and always
//! terminates: it does not recurse, reads bytes through bounds-checked
//! accessors and moves forward at every step, so on malformed text lookups
//! merely give unspecified values.
//!
//! The scanner keeps loop iterations few, because under wasmhook each one
//! also runs the host's deadline check (and under wazero's own
//! close-on-context-done, a trip out of the compiled code): it moves 8 bytes
//! per iteration (the word-at-a-time tests below), tests the first word of a
//! token before entering any loop, and looks several keys up in one pass
//! ([`Value::lookup`]). site_status runs about 100 loop iterations on a
//! 370-byte NetBox event.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;

/// The deepest nesting [`Value::parse`] accepts: a scalar has depth 0,
/// `[]` depth 1. It is above the host's own limit (1000 for `data`, one more
/// for the input object around it), so every input the host sends passes.
pub const MAX_DEPTH: usize = 1024;

/// Why a document is not valid JSON, and where.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Error {
    offset: usize,
    reason: &'static str,
}

impl Error {
    /// The byte offset at which the problem was found.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// A short description of the problem.
    pub fn reason(&self) -> &'static str {
        self.reason
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "offset {}: {}", self.offset, self.reason)
    }
}

impl std::error::Error for Error {}

/// Lets a handler returning `Result<_, String>` use `?` on parse errors.
impl From<Error> for String {
    fn from(e: Error) -> String {
        e.to_string()
    }
}

/// The kind of a JSON value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Object,
    Array,
    String,
    Number,
    Bool,
    /// `null`, and also whatever malformed text [`Value::trusted`] was given.
    Null,
}

/// One JSON value: the exact bytes of its token (or of its whole object or
/// array) inside a document. It is `Copy` and borrows the document.
#[derive(Clone, Copy)]
pub struct Value<'a> {
    raw: &'a [u8],
}

impl fmt::Debug for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Value({})", String::from_utf8_lossy(self.raw))
    }
}

impl<'a> Value<'a> {
    /// Checks that `doc` is exactly one JSON value (with optional
    /// surrounding whitespace) in valid UTF-8, nested at most [`MAX_DEPTH`]
    /// deep, and returns that value. Lone surrogates in `\u` escapes are
    /// accepted, as by the host and most JSON libraries; they decode to
    /// U+FFFD.
    pub fn parse(doc: &'a [u8]) -> Result<Value<'a>, Error> {
        if let Err(e) = std::str::from_utf8(doc) {
            return Err(err(e.valid_up_to(), "invalid UTF-8"));
        }
        let (start, end) = validate(doc)?;
        match doc.get(start..end) {
            Some(raw) => Ok(Value { raw }),
            None => Err(err(start, EOF)),
        }
    }

    /// Takes `doc` (less surrounding whitespace) as one JSON value without
    /// checking it, for text already checked, such as the host's input. On
    /// malformed text lookups give unspecified values; they never panic.
    pub fn trusted(doc: &'a [u8]) -> Value<'a> {
        let start = skip_ws(doc, 0);
        let mut end = doc.len();
        while end > start && is_ws(at(doc, end - 1)) {
            end -= 1;
        }
        Value {
            raw: doc.get(start..end).unwrap_or_default(),
        }
    }

    /// The value's JSON text, exactly as in the document: copy it to the
    /// output with [`crate::Writer::value`].
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// The value's kind.
    pub fn kind(&self) -> Kind {
        match at(self.raw, 0) {
            b'{' => Kind::Object,
            b'[' => Kind::Array,
            b'"' => Kind::String,
            b't' | b'f' => Kind::Bool,
            b'-' | b'0'..=b'9' => Kind::Number,
            _ => Kind::Null,
        }
    }

    /// The member `key` of this object; `None` when this is not an object or
    /// has no such member. Only this object's own members count, not those
    /// of nested values. Keys match after unescaping (`"na\u006de"` is
    /// `name`); of duplicate keys the last wins, as with the host's merge,
    /// `json.loads`, `JSON.parse` and Go's `encoding/json`.
    pub fn get(&self, key: &str) -> Option<Value<'a>> {
        let [found] = self.lookup([key]);
        found
    }

    /// Several members of this object in one pass over it, each as
    /// [`Value::get`] would find it:
    /// `let [status, name] = data.lookup(["status", "name"]);`
    pub fn lookup<const N: usize>(&self, keys: [&str; N]) -> [Option<Value<'a>>; N] {
        let mut found = [None; N];
        let mut pos = if self.kind() == Kind::Object {
            1
        } else {
            self.raw.len()
        };
        while let Some(m) = next_member(self.raw, pos) {
            let mut check = |k: usize| {
                if let (Some(key), Some(slot)) = (keys.get(k), found.get_mut(k)) {
                    if key_eq(m.key, m.key_escaped, key) {
                        *slot = Some(Value { raw: m.value });
                    }
                }
            };
            // Unrolled for up to four keys (N is a constant, so the tests
            // vanish): an inner loop would cost an iteration per member.
            if N > 0 {
                check(0);
            }
            if N > 1 {
                check(1);
            }
            if N > 2 {
                check(2);
            }
            if N > 3 {
                check(3);
            }
            for k in 4..N {
                check(k);
            }
            pos = m.end;
        }
        found
    }

    /// Follows `keys` from this value, one [`Value::get`] per key:
    /// `event.path(&["data", "status", "value"])`.
    pub fn path(&self, keys: &[&str]) -> Option<Value<'a>> {
        let mut v = *self;
        for key in keys {
            v = v.get(key)?;
        }
        Some(v)
    }

    /// Element `n` (from 0) of this array.
    pub fn index(&self, n: usize) -> Option<Value<'a>> {
        self.items().nth(n)
    }

    /// This object's members in document order, as (key, value) with the key
    /// a string [`Value`] (see [`Value::str_eq`], [`Value::as_str`]). Empty
    /// when this is not an object.
    pub fn members(&self) -> Members<'a> {
        Members {
            doc: self.raw,
            pos: if self.kind() == Kind::Object {
                1
            } else {
                self.raw.len()
            },
        }
    }

    /// This array's elements in order. Empty when this is not an array.
    pub fn items(&self) -> Items<'a> {
        Items {
            doc: self.raw,
            pos: if self.kind() == Kind::Array {
                1
            } else {
                self.raw.len()
            },
        }
    }

    /// True for `null`.
    pub fn is_null(&self) -> bool {
        self.raw == b"null"
    }

    /// The value of `true` or `false`.
    pub fn as_bool(&self) -> Option<bool> {
        match self.raw {
            b"true" => Some(true),
            b"false" => Some(false),
            _ => None,
        }
    }

    /// An integer number that fits an `i64` (`3`, `-7`; not `3.0` or `1e3`).
    pub fn as_i64(&self) -> Option<i64> {
        self.number_text()?.parse().ok()
    }

    /// Any number, as the nearest `f64`.
    pub fn as_f64(&self) -> Option<f64> {
        self.number_text()?.parse().ok()
    }

    fn number_text(&self) -> Option<&'a str> {
        if self.kind() != Kind::Number {
            return None;
        }
        std::str::from_utf8(self.raw).ok()
    }

    /// The string's bytes between the quotes, escapes not decoded.
    fn inner(&self) -> Option<&'a [u8]> {
        if self.raw.len() < 2 || self.raw.first() != Some(&b'"') || self.raw.last() != Some(&b'"') {
            return None;
        }
        self.raw.get(1..self.raw.len() - 1)
    }

    /// The decoded characters of this string.
    pub fn chars(&self) -> Option<Chars<'a>> {
        let s = std::str::from_utf8(self.inner()?).ok()?;
        Some(Chars { rest: s.chars() })
    }

    /// This string, decoded: borrowed from the document when it has no
    /// escapes, else a new `String`. To reuse a buffer instead, use
    /// `buf.extend(v.chars()?)`.
    pub fn as_str(&self) -> Option<Cow<'a, str>> {
        let s = std::str::from_utf8(self.inner()?).ok()?;
        if s.contains('\\') {
            Some(Cow::Owned(self.chars()?.collect()))
        } else {
            Some(Cow::Borrowed(s))
        }
    }

    /// Whether this is a string equal to `s` once decoded; allocates
    /// nothing.
    pub fn str_eq(&self, s: &str) -> bool {
        match self.inner() {
            Some(inner) => key_eq(inner, inner.contains(&b'\\'), s),
            None => false,
        }
    }

    /// The number of Unicode code points of this string once decoded: a
    /// surrogate pair escape is one, so are a raw multi-byte character and a
    /// lone surrogate (it decodes to U+FFFD). Allocates nothing.
    pub fn char_count(&self) -> Option<usize> {
        let s = self.inner()?;
        let mut n = 0;
        let mut j = 0;
        loop {
            // A word at a time: every byte but a UTF-8 continuation byte
            // (10xxxxxx) starts a character, up to the first backslash.
            let (w, len) = load(s, j);
            let before = match bytes_eq(w, b'\\') {
                0 => len,
                m => m.trailing_zeros() as usize / 8,
            };
            // The bytes before the backslash (or all real ones): padding
            // zero bytes are not continuation bytes, so they are not
            // counted as such and are subtracted with the rest.
            let kept = if before >= 8 {
                u64::MAX
            } else {
                (1u64 << (8 * before)) - 1
            };
            let continuation = (w & !(w << 1) & HIGHS & kept).count_ones() as usize;
            n += before - continuation;
            j += before;
            if before == len {
                if len < 8 {
                    return Some(n);
                }
                continue;
            }
            j = escape_end(s, j);
            n += 1;
        }
    }
}

/// Iterator over an object's members: see [`Value::members`].
pub struct Members<'a> {
    doc: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for Members<'a> {
    type Item = (Value<'a>, Value<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        let m = next_member(self.doc, self.pos)?;
        self.pos = m.end;
        let key = self.doc.get(m.key_start..m.key_start + m.key.len() + 2)?;
        Some((Value { raw: key }, Value { raw: m.value }))
    }
}

/// Iterator over an array's elements: see [`Value::items`].
pub struct Items<'a> {
    doc: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for Items<'a> {
    type Item = Value<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        let doc = self.doc;
        let start = std::mem::replace(&mut self.pos, doc.len());
        let mut i = skip_ws(doc, start);
        if at(doc, i) == b',' {
            i = skip_ws(doc, i + 1);
        }
        if matches!(at(doc, i), b']' | b'}' | b',' | 0) {
            return None;
        }
        let end = skip_value(doc, i);
        let value = doc.get(i..end).filter(|v| !v.is_empty())?;
        self.pos = end;
        Some(Value { raw: value })
    }
}

/// The decoded characters of a JSON string: see [`Value::chars`].
pub struct Chars<'a> {
    rest: std::str::Chars<'a>,
}

impl Chars<'_> {
    /// Reads the four hex digits of a `\u` escape.
    fn hex4(&mut self) -> Option<u32> {
        let mut n = 0;
        for _ in 0..4 {
            n = n * 16 + self.rest.next()?.to_digit(16)?;
        }
        Some(n)
    }

    /// Completes a surrogate pair whose high half was `high`, or returns
    /// U+FFFD (and consumes nothing more) when no low half follows.
    fn low_surrogate(&mut self, high: u32) -> char {
        let saved = self.rest.clone();
        if self.rest.next() == Some('\\') && self.rest.next() == Some('u') {
            if let Some(low @ 0xDC00..=0xDFFF) = self.hex4() {
                let c = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
                return char::from_u32(c).unwrap_or(char::REPLACEMENT_CHARACTER);
            }
        }
        self.rest = saved;
        char::REPLACEMENT_CHARACTER
    }
}

impl Iterator for Chars<'_> {
    type Item = char;

    fn next(&mut self) -> Option<char> {
        let c = self.rest.next()?;
        if c != '\\' {
            return Some(c);
        }
        Some(match self.rest.next()? {
            'b' => '\u{8}',
            'f' => '\u{c}',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'u' => match self.hex4()? {
                high @ 0xD800..=0xDBFF => self.low_surrogate(high),
                u => char::from_u32(u).unwrap_or(char::REPLACEMENT_CHARACTER),
            },
            other => other, // '"', '\\' and '/' stand for themselves
        })
    }
}

/// One object member found by [`next_member`].
struct Member<'a> {
    /// The key's bytes between its quotes, escapes not decoded.
    key: &'a [u8],
    key_start: usize,
    key_escaped: bool,
    value: &'a [u8],
    /// Where the next member is to be looked for.
    end: usize,
}

/// The member at or after `pos` (past a comma) in the object text `doc`.
fn next_member(doc: &[u8], pos: usize) -> Option<Member<'_>> {
    let mut i = skip_ws(doc, pos);
    if at(doc, i) == b',' {
        i = skip_ws(doc, i + 1);
    }
    if at(doc, i) != b'"' {
        return None;
    }
    let (key_end, key_escaped) = string_end(doc, i);
    let key = doc.get(i + 1..key_end.checked_sub(1)?)?;
    let mut j = skip_ws(doc, key_end);
    if at(doc, j) != b':' {
        return None;
    }
    j = skip_ws(doc, j + 1);
    let end = skip_value(doc, j);
    let value = doc.get(j..end).filter(|v| !v.is_empty())?;
    Some(Member {
        key,
        key_start: i,
        key_escaped,
        value,
        end,
    })
}

/// Whether the key text `raw` (between the quotes) decodes to `key`.
/// Decoding only shortens text, so the lengths settle most cases.
fn key_eq(raw: &[u8], escaped: bool, key: &str) -> bool {
    match raw.len().cmp(&key.len()) {
        Ordering::Less => false,
        Ordering::Equal => !escaped && same_bytes(raw, key.as_bytes()),
        Ordering::Greater => {
            escaped
                && std::str::from_utf8(raw).map(|s| Chars { rest: s.chars() }.eq(key.chars()))
                    == Ok(true)
        }
    }
}

const EOF: &str = "unexpected end of input";

fn err(offset: usize, reason: &'static str) -> Error {
    Error { offset, reason }
}

/// The byte at `i`, or 0 past the end: 0 is never valid where a structural
/// byte is expected, so every scan stops there.
fn at(b: &[u8], i: usize) -> u8 {
    b.get(i).copied().unwrap_or(0)
}

fn is_ws(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r')
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    // Compact text has no whitespace: test before entering the loop.
    if !is_ws(at(b, i)) {
        return i;
    }
    while is_ws(at(b, i)) {
        i += 1;
    }
    i
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;
/// OR-ed into a word, folds '[' onto '{' and ']' onto '}'.
const FOLD: u64 = ONES * 0x20;

/// The 8 bytes at `i` as a little-endian word (byte `i` lowest), if there
/// are 8.
fn word(b: &[u8], i: usize) -> Option<u64> {
    let bytes: [u8; 8] = b.get(i..i.checked_add(8)?)?.try_into().ok()?;
    Some(u64::from_le_bytes(bytes))
}

/// The bytes from `i` as a little-endian word, and how many of its bytes
/// are real (8, or fewer at the end of `b`, with zero bytes above them).
/// The end costs no loop when `b` has 8 bytes: its last word is read and
/// the bytes before `i` shifted out.
fn load(b: &[u8], i: usize) -> (u64, usize) {
    if let Some(w) = word(b, i) {
        return (w, 8);
    }
    let n = b.len().saturating_sub(i);
    if n == 0 {
        return (0, 0);
    }
    // Here 0 < n < 8: byte i is byte 8 - n of the last word.
    let w = match word(b, b.len().wrapping_sub(8)) {
        Some(last) => last >> (8 * (8 - n)),
        None => short_word(b, i, n),
    };
    (w, n)
}

/// The `n` (below 8) bytes at `i` as a little-endian word, from two
/// overlapping reads rather than a loop.
fn short_word(b: &[u8], i: usize, n: usize) -> u64 {
    let u32_at = |k: usize| {
        let bytes = b.get(k..k + 4).and_then(|s| <[u8; 4]>::try_from(s).ok());
        bytes.map_or(0, |a| u64::from(u32::from_le_bytes(a)))
    };
    let u16_at = |k: usize| {
        let bytes = b.get(k..k + 2).and_then(|s| <[u8; 2]>::try_from(s).ok());
        bytes.map_or(0, |a| u64::from(u16::from_le_bytes(a)))
    };
    match n {
        4..=7 => u32_at(i) | u32_at(i + n - 4) << (8 * (n - 4)),
        2..=3 => u16_at(i) | u16_at(i + n - 2) << (8 * (n - 2)),
        1 => u64::from(at(b, i)),
        _ => 0,
    }
}

/// Whether `a` and `b` (of the same length) hold the same bytes, compared
/// a word at a time.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n < 8 {
        return short_word(a, 0, n) == short_word(b, 0, n);
    }
    let mut i = 0;
    loop {
        if word(a, i) != word(b, i) {
            return false;
        }
        i += 8;
        if i + 8 >= n {
            // The last word overlaps the one before if need be.
            return word(a, n - 8) == word(b, n - 8);
        }
    }
}

/// The high bit of every byte of `w` equal to `c`. Bits may also be set in
/// bytes above a true match (a borrow runs on), never below one, so the
/// lowest bit set always marks a true match.
fn bytes_eq(w: u64, c: u8) -> u64 {
    let x = w ^ (ONES * u64::from(c));
    x.wrapping_sub(ONES) & !x & HIGHS
}

/// The high bit of every byte of `w` below `n` (at most 0x80), with the same
/// caveat as [`bytes_eq`].
fn bytes_lt(w: u64, n: u8) -> u64 {
    w.wrapping_sub(ONES * u64::from(n)) & !w & HIGHS
}

/// The index of the first byte at or after `i` that `mask` flags in its
/// word, or `b.len()`. Zero bytes past the end may be flagged; they give
/// `b.len()` as well.
///
/// The first word is tested before the loop: most JSON tokens end within
/// it, and loop iterations are what the scanner saves (module docs).
#[inline(always)]
fn find(b: &[u8], i: usize, mask: impl Fn(u64) -> u64) -> usize {
    let (w, n) = load(b, i);
    let m = mask(w);
    if m != 0 || n < 8 {
        return found(b, i, m);
    }
    let mut i = i + 8;
    loop {
        let (w, n) = load(b, i);
        let m = mask(w);
        if m != 0 || n < 8 {
            return found(b, i, m);
        }
        i += 8;
    }
}

/// The position `mask` bits `m` give in the word at `i`.
fn found(b: &[u8], i: usize, m: u64) -> usize {
    if m == 0 {
        b.len()
    } else {
        i.saturating_add(m.trailing_zeros() as usize / 8)
            .min(b.len())
    }
}

fn quote_or_backslash(w: u64) -> u64 {
    bytes_eq(w, b'"') | bytes_eq(w, b'\\')
}

/// The first byte at or after `i` that a JSON string cannot hold as it is
/// (`"`, `\\` or a control character), or `b.len()`.
pub(crate) fn find_special(b: &[u8], i: usize) -> usize {
    find(b, i, |w| quote_or_backslash(w) | bytes_lt(w, 0x20))
}

/// The end of the string starting at `i` (just past its closing quote), and
/// whether it has escapes.
fn string_end(b: &[u8], i: usize) -> (usize, bool) {
    let mut j = find(b, i + 1, quote_or_backslash);
    // Most strings have no escape: return without entering the loop.
    if at(b, j) == b'"' {
        return (j + 1, false);
    }
    while at(b, j) == b'\\' {
        j = find(b, j + 2, quote_or_backslash);
    }
    if at(b, j) == b'"' {
        (j + 1, true)
    } else {
        (b.len(), true)
    }
}

/// The end of the escape sequence starting at `i`; a surrogate pair counts
/// as one.
fn escape_end(s: &[u8], i: usize) -> usize {
    if at(s, i + 1) != b'u' {
        return i + 2;
    }
    let digit = |k: usize| char::from(at(s, k)).to_digit(16);
    let hex =
        |k: usize| Some(digit(k)? << 12 | digit(k + 1)? << 8 | digit(k + 2)? << 4 | digit(k + 3)?);
    match hex(i + 2) {
        Some(0xD800..=0xDBFF) if at(s, i + 6) == b'\\' && at(s, i + 7) == b'u' => {
            match hex(i + 8) {
                Some(0xDC00..=0xDFFF) => i + 12,
                _ => i + 6,
            }
        }
        _ => i + 6,
    }
}

/// The end of the value starting at `i`.
fn skip_value(b: &[u8], i: usize) -> usize {
    match at(b, i) {
        b'"' => string_end(b, i).0,
        b'{' | b'[' => {
            // One iteration per bracket or string; what lies between is
            // skipped a word at a time.
            let brackets =
                |w: u64| bytes_eq(w | FOLD, b'{') | bytes_eq(w | FOLD, b'}') | bytes_eq(w, b'"');
            let mut depth = 0usize;
            let mut j = i;
            loop {
                match at(b, j) {
                    b'"' => j = string_end(b, j).0,
                    b'{' | b'[' => {
                        depth += 1;
                        j += 1;
                    }
                    b'}' | b']' if depth > 1 => {
                        depth -= 1;
                        j += 1;
                    }
                    b'}' | b']' => return j + 1,
                    _ => return b.len(),
                }
                j = find(b, j, brackets);
            }
        }
        // A scalar ends at ',', '}', ']', whitespace or any byte below '!'.
        _ => find(b, i, |w| {
            bytes_eq(w, b',') | bytes_eq(w | FOLD, b'}') | bytes_lt(w, b'!')
        }),
    }
}

/// Checks that `b` is one JSON value with optional surrounding whitespace
/// and returns the value's span. Iterative: the open containers are a bit
/// stack (1 = object) in a fixed array, so hostile nesting costs neither
/// stack nor heap.
fn validate(b: &[u8]) -> Result<(usize, usize), Error> {
    let mut stack = [0u64; MAX_DEPTH / 64];
    let mut depth = 0usize;
    let mut i = skip_ws(b, 0);
    let start = i;
    loop {
        // A value starts at i.
        match at(b, i) {
            open @ (b'{' | b'[') => {
                if depth == MAX_DEPTH {
                    return Err(err(i, "nesting deeper than MAX_DEPTH"));
                }
                let object = open == b'{';
                if let Some(bits) = stack.get_mut(depth / 64) {
                    let bit = 1u64 << (depth % 64);
                    *bits = if object { *bits | bit } else { *bits & !bit };
                }
                depth += 1;
                i = skip_ws(b, i + 1);
                let close = if object { b'}' } else { b']' };
                if at(b, i) == close {
                    depth -= 1;
                    i += 1;
                } else if object {
                    i = member_key(b, i)?;
                    continue;
                } else {
                    continue;
                }
            }
            b'"' => i = check_string(b, i)?,
            b't' => i = literal(b, i, b"true")?,
            b'f' => i = literal(b, i, b"false")?,
            b'n' => i = literal(b, i, b"null")?,
            b'-' | b'0'..=b'9' => i = check_number(b, i)?,
            _ if i >= b.len() => return Err(err(i, EOF)),
            _ => return Err(err(i, "invalid character where a value is expected")),
        }
        // A value ended at i: close containers until one continues.
        loop {
            if depth == 0 {
                let end = i;
                return if skip_ws(b, i) == b.len() {
                    Ok((start, end))
                } else {
                    Err(err(
                        skip_ws(b, i),
                        "invalid character after top-level value",
                    ))
                };
            }
            i = skip_ws(b, i);
            let top = depth - 1;
            let object = stack
                .get(top / 64)
                .map(|bits| bits & (1u64 << (top % 64)) != 0)
                == Some(true);
            match at(b, i) {
                b',' => {
                    i = skip_ws(b, i + 1);
                    if object {
                        i = member_key(b, i)?;
                    }
                    break;
                }
                b'}' if object => {
                    depth -= 1;
                    i += 1;
                }
                b']' if !object => {
                    depth -= 1;
                    i += 1;
                }
                _ if i >= b.len() => return Err(err(i, EOF)),
                _ if object => return Err(err(i, "expected ',' or '}' after object member")),
                _ => return Err(err(i, "expected ',' or ']' after array element")),
            }
        }
    }
}

/// Checks `"key" :` at `i` and returns where the member's value starts.
fn member_key(b: &[u8], i: usize) -> Result<usize, Error> {
    if at(b, i) != b'"' {
        return Err(if i >= b.len() {
            err(i, EOF)
        } else {
            err(i, "expected string key")
        });
    }
    let i = skip_ws(b, check_string(b, i)?);
    if at(b, i) != b':' {
        return Err(if i >= b.len() {
            err(i, EOF)
        } else {
            err(i, "expected ':' after object key")
        });
    }
    Ok(skip_ws(b, i + 1))
}

/// Checks the string starting at `i` and returns its end.
fn check_string(b: &[u8], i: usize) -> Result<usize, Error> {
    let mut j = i + 1;
    loop {
        j = find_special(b, j);
        match at(b, j) {
            b'"' => return Ok(j + 1),
            b'\\' => match at(b, j + 1) {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => j += 2,
                b'u' => {
                    for k in j + 2..j + 6 {
                        if !at(b, k).is_ascii_hexdigit() {
                            return Err(if k >= b.len() {
                                err(k, EOF)
                            } else {
                                err(k, "invalid hexadecimal digit in \\u escape")
                            });
                        }
                    }
                    j += 6;
                }
                _ if j + 1 >= b.len() => return Err(err(j + 1, EOF)),
                _ => return Err(err(j, "invalid escape sequence in string")),
            },
            _ if j >= b.len() => return Err(err(j, EOF)),
            _ => return Err(err(j, "invalid control character in string")),
        }
    }
}

fn literal(b: &[u8], i: usize, word: &[u8]) -> Result<usize, Error> {
    match b.get(i..) {
        Some(rest) if rest.starts_with(word) => Ok(i + word.len()),
        _ => Err(err(i, "invalid literal")),
    }
}

/// Checks `-? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)?` at `i`.
fn check_number(b: &[u8], i: usize) -> Result<usize, Error> {
    let digits = |mut j: usize| -> Result<usize, Error> {
        if !at(b, j).is_ascii_digit() {
            return Err(err(j, "invalid number"));
        }
        while at(b, j).is_ascii_digit() {
            j += 1;
        }
        Ok(j)
    };
    let mut j = i;
    if at(b, j) == b'-' {
        j += 1;
    }
    j = if at(b, j) == b'0' { j + 1 } else { digits(j)? };
    if at(b, j) == b'.' {
        j = digits(j + 1)?;
    }
    if matches!(at(b, j), b'e' | b'E') {
        j += 1;
        if matches!(at(b, j), b'+' | b'-') {
            j += 1;
        }
        j = digits(j)?;
    }
    Ok(j)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Value<'_> {
        Value::parse(s.as_bytes()).unwrap()
    }

    fn raw<'a>(v: Option<Value<'a>>) -> Option<&'a str> {
        v.map(|v| std::str::from_utf8(v.raw()).unwrap())
    }

    #[test]
    fn accepts_valid_documents() {
        for doc in [
            "0",
            "-0",
            "-0.5e+10",
            "1E-2",
            "123",
            "true",
            "false",
            "null",
            r#""""#,
            r#""\"\\\/\b\f\n\r\t\u00fC""#,
            r#""\ud800""#,
            "[]",
            "{}",
            " [ 1 , [ ] , { } ] ",
            r#"{"a":{"b":[1,{"c":null}]},"d":"e"}"#,
            "\"Z\u{fc}rich \u{1f5fc}\"",
        ] {
            assert!(Value::parse(doc.as_bytes()).is_ok(), "{}", doc);
        }
    }

    #[test]
    fn rejects_malformed_documents_without_panicking() {
        for doc in [
            "",
            " ",
            "{",
            "}",
            "[",
            "]",
            "[1,]",
            "[,1]",
            "{,}",
            r#"{"a"}"#,
            r#"{"a":}"#,
            r#"{"a":1,}"#,
            r#"{"a" 1}"#,
            "{1:2}",
            "[1 2]",
            "01",
            "1.",
            ".5",
            "-",
            "1e",
            "1e+",
            "+1",
            "tru",
            "nul",
            "truex",
            "\"abc",
            "\"\\",
            "\"\\x\"",
            "\"\\u12\"",
            "\"\\u12g4\"",
            "\"a\nb\"",
            "\"\u{0}\"",
            "[1]]",
            "{}}",
            "[}",
            "{]",
            "1 2",
            "\"a\"\"b\"",
            "NaN",
            "[\"\\u",
            "{\"a\":1",
            "{\"a\":[",
            "{\"a\":\"",
            "{\"a\\\":1}",
        ] {
            assert!(Value::parse(doc.as_bytes()).is_err(), "{:?}", doc);
        }
        assert!(Value::parse(b"\"\xff\"").is_err());
        assert!(Value::parse(b"\"\xc3\"").is_err());
    }

    #[test]
    fn every_prefix_of_a_document_is_handled() {
        let doc = r#"{"a": [1, -2.5e3, "x\"\\\ud83d\ude00", {"b": null}], "c": true}"#;
        for n in 0..doc.len() {
            let prefix = &doc.as_bytes()[..n];
            assert!(Value::parse(prefix).is_err(), "{:?}", prefix);
        }
        assert!(Value::parse(doc.as_bytes()).is_ok());
    }

    /// Reads everything reachable from `v`, as a plugin might.
    fn walk(v: Value<'_>) -> usize {
        let mut n = v.raw().len() + v.char_count().unwrap_or(0) + v.as_str().map_or(0, |s| s.len());
        n += v.as_i64().map_or(0, |_| 1)
            + v.as_f64().map_or(0, |_| 1)
            + v.as_bool().map_or(0, |_| 1);
        n += v.chars().map_or(0, |c| c.count())
            + usize::from(v.str_eq("a"))
            + usize::from(v.is_null());
        for (k, m) in v.members() {
            n += walk(k) + walk(m);
            if let Some(k) = k.as_str() {
                n += v.get(&k).map_or(0, |_| 1);
            }
        }
        for item in v.items() {
            n += walk(item);
        }
        let [a, b] = v.lookup(["a", "d"]);
        n + a.map_or(0, walk) + b.map_or(0, walk)
    }

    /// Every one-byte change, insertion and truncation of a document: parse
    /// must reject or accept without panicking, and every lookup must
    /// terminate without panicking on the checked and on the unchecked
    /// (trusted) reading of it.
    #[test]
    fn hostile_mutations_never_panic() {
        let doc = r#"{"a": [1, -2.5e3, "x\"\\\ud83d\ude00 long enough to need words", {"b": null, "c": true}], "d": "ü\u00fc", "e": {}}"#.as_bytes();
        let bytes = [
            b'"', b'\\', b'{', b'}', b'[', b']', b',', b':', b' ', b'0', b'-', b'e', b'u', 0, 0x1f,
            0xc3, 0xff,
        ];
        let mut accepted = 0;
        let mut check = |m: &[u8]| {
            if let Ok(v) = Value::parse(m) {
                accepted += 1;
                walk(v);
            }
            walk(Value::trusted(m));
        };
        for i in 0..doc.len() {
            for &b in &bytes {
                let mut m = doc.to_vec();
                m[i] = b;
                check(&m);
                check(&m[..i + 1]);
                m.insert(i, b);
                check(&m);
            }
            check(&doc[..i]);
            check(&doc[i..]);
        }
        assert!(accepted > 0);
        assert_eq!(walk(Value::parse(doc).unwrap()), walk(Value::trusted(doc)));
    }

    /// Strings around the 8-byte word boundaries, with the special byte at
    /// every offset.
    #[test]
    fn word_boundaries() {
        for pad in 0..20 {
            let p = "é".repeat(pad / 2) + &"x".repeat(pad % 2);
            let n = pad / 2 + pad % 2;
            for (special, extra) in [
                (r#"\""#, 1),
                (r#"\\"#, 1),
                (r#"\u00e9"#, 1),
                (r#"\ud83d\ude00"#, 1),
                ("😀", 1),
                ("", 0),
            ] {
                let key = format!("{}{}{}", p, special, p);
                if key == p {
                    continue;
                }
                let doc = format!(
                    r#"{{"{}":[{{"{}":1}},"{}"],"{}":"{}","z":[{{}}]}}"#,
                    key, key, key, p, key
                );
                let v = Value::parse(doc.as_bytes()).unwrap();
                let want = 2 * n + extra;
                let decoded: String = Value::parse(format!(r#""{}""#, key).as_bytes())
                    .unwrap()
                    .chars()
                    .unwrap()
                    .collect();
                assert_eq!(
                    v.get(&p).and_then(|s| s.char_count()),
                    Some(want),
                    "{}",
                    doc
                );
                assert_eq!(
                    v.get(&p).and_then(|s| s.chars()).map(|c| c.count()),
                    Some(want),
                    "{}",
                    doc
                );
                assert_eq!(
                    v.get(&decoded)
                        .and_then(|a| a.index(1))
                        .and_then(|s| s.char_count()),
                    Some(want),
                    "{}",
                    doc
                );
                assert_eq!(v.get("z").map(|z| z.raw()), Some(&b"[{}]"[..]), "{}", doc);
                assert_eq!(v.members().count(), 3);
                assert_eq!(
                    Value::trusted(doc.as_bytes()).get("z").map(|z| z.raw()),
                    Some(&b"[{}]"[..])
                );
            }
        }
    }

    /// Pseudo-random strings of escapes and characters of every width, at
    /// every alignment: the word-at-a-time scans must agree with decoding.
    #[test]
    fn random_strings_scan_like_they_decode() {
        let parts = [
            "a",
            "é",
            "東",
            "😀",
            r"\n",
            r"\\",
            r#"\""#,
            r"\/",
            r"\u00e9",
            r"\ud83d\ude00",
            r"\ud83d",
            r"\ude00",
            r"\u0041",
        ];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..3000 {
            let mut s = String::new();
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            for k in 0..(seed % 24) {
                s.push_str(parts[((seed >> (2 * k)) % parts.len() as u64) as usize]);
            }
            let doc = format!(r#"{{"{}":"{}","k":["{}"]}}"#, s, s, s);
            let v = Value::parse(doc.as_bytes()).unwrap();
            let (key, value) = v.members().next().unwrap();
            let decoded: String = key.chars().unwrap().collect();
            assert_eq!(key.char_count(), Some(decoded.chars().count()), "{}", s);
            assert_eq!(value.as_str().as_deref(), Some(decoded.as_str()), "{}", s);
            assert!(key.str_eq(&decoded), "{}", s);
            assert_eq!(v.get(&decoded).map(|v| v.raw()), Some(value.raw()), "{}", s);
            assert_eq!(
                v.get("k").and_then(|k| k.index(0)).map(|v| v.raw()),
                Some(value.raw()),
                "{}",
                s
            );
        }
    }

    #[test]
    fn word_helpers() {
        let text = b"0123456789abcdefghijklmnopqrstuv";
        for len in 0..text.len() {
            let b = &text[..len];
            for i in 0..=len + 1 {
                let (w, n) = load(b, i);
                let want: Vec<u8> = b.iter().skip(i).take(8).copied().collect();
                assert_eq!(n, want.len());
                assert_eq!(&w.to_le_bytes()[..n], &want[..], "{} {}", len, i);
                assert!(w.to_le_bytes()[n..].iter().all(|&z| z == 0));
            }
            let mut other = b.to_vec();
            assert!(same_bytes(b, &other));
            for k in 0..len {
                other[k] ^= 1;
                assert!(!same_bytes(b, &other), "{} {}", len, k);
                other[k] ^= 1;
            }
            assert!(!same_bytes(b, &text[..len + 1]));
        }
    }

    #[test]
    fn trusted_takes_text_as_is() {
        let v = Value::trusted(b" {\"a\": [1, 2]} \n");
        assert_eq!(v.raw(), br#"{"a": [1, 2]}"#);
        assert_eq!(
            v.path(&["a"])
                .and_then(|a| a.index(1))
                .and_then(|n| n.as_i64()),
            Some(2)
        );
        assert_eq!(Value::trusted(b"").kind(), Kind::Null);
        assert_eq!(Value::trusted(b"  ").raw(), b"");
        assert!(Value::trusted(b"garbage").get("a").is_none());
        assert_eq!(Value::trusted(b"garbage").kind(), Kind::Null);
        // Unterminated text reads to its end.
        assert_eq!(
            Value::trusted(br#"{"a": "b"#).get("a").map(|a| a.raw()),
            Some(&br#""b"#[..])
        );
        assert_eq!(
            Value::trusted(br#"{"a": "b"#)
                .get("a")
                .and_then(|a| a.char_count()),
            None
        );
    }

    #[test]
    fn lookup_finds_several_keys_in_one_pass() {
        let v = parse(r#"{"name":"n","x":{"name":"inner"},"status":{"value":"v"},"name":"last"}"#);
        let [status, name, missing] = v.lookup(["status", "name", "missing"]);
        assert_eq!(raw(status), Some(r#"{"value":"v"}"#));
        assert_eq!(raw(name), Some(r#""last""#));
        assert!(missing.is_none());
        assert_eq!(parse("[1]").lookup(["a"]).map(|v| v.is_some()), [false]);
    }

    #[test]
    fn error_offsets_and_messages() {
        let e = Value::parse(br#"{"a":tru}"#).unwrap_err();
        assert_eq!((e.offset(), e.reason()), (5, "invalid literal"));
        assert_eq!(String::from(e), "offset 5: invalid literal");
        assert_eq!(Value::parse(b"[1").unwrap_err().offset(), 2);
        assert_eq!(Value::parse(b"\"ab\xff\"").unwrap_err().offset(), 3);
    }

    #[test]
    fn nesting_limit() {
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(Value::parse(ok.as_bytes()).is_ok());
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert_eq!(
            Value::parse(deep.as_bytes()).unwrap_err().reason(),
            "nesting deeper than MAX_DEPTH"
        );
        // Alternating objects and arrays exercise every bit of the stack.
        let mixed = r#"{"a":["#.repeat(MAX_DEPTH / 2) + &"]}".repeat(MAX_DEPTH / 2);
        assert!(Value::parse(mixed.as_bytes()).is_ok());
        let wrong = r#"{"a":["#.repeat(MAX_DEPTH / 2) + &"}]".repeat(MAX_DEPTH / 2);
        assert!(Value::parse(wrong.as_bytes()).is_err());
        // Unchecked runs of brackets are only ever scanned, never recursed.
        let huge = "[".repeat(1 << 20);
        assert!(Value::parse(huge.as_bytes()).is_err());
    }

    #[test]
    fn parse_trims_whitespace() {
        assert_eq!(parse(" \n{\"a\" : 1 }\t").raw(), br#"{"a" : 1 }"#);
    }

    #[test]
    fn get_sees_only_top_level_members() {
        let v = parse(
            r#"{"tags":[{"name":"x","status":{"value":"wrong"}}],"custom_fields":{"name":"no"},
               "s":"name","name":"yes","status":{"label":"A","value":"active"}}"#,
        );
        assert_eq!(raw(v.get("name")), Some(r#""yes""#));
        assert_eq!(raw(v.path(&["status", "value"])), Some(r#""active""#));
        assert_eq!(
            raw(v
                .path(&["tags"])
                .and_then(|t| t.index(0))
                .and_then(|t| t.get("name"))),
            Some(r#""x""#)
        );
        assert!(v.get("value").is_none());
        assert!(v.get("nam").is_none());
        assert!(v.path(&["custom_fields", "name", "x"]).is_none());
        assert!(v.path(&[]).is_some());
    }

    #[test]
    fn get_on_non_objects_and_missing_members() {
        let v = parse(r#"{"status":"active","n":null,"a":[1,2]}"#);
        assert!(v.path(&["status", "value"]).is_none());
        assert!(v.path(&["n", "value"]).is_none());
        assert!(v.path(&["a", "0"]).is_none());
        assert!(parse("[1]").get("a").is_none());
        assert!(parse("{}").get("").is_none());
        assert_eq!(raw(parse(r#"{"":1}"#).get("")), Some("1"));
    }

    #[test]
    fn get_matches_escaped_keys_and_last_duplicate_wins() {
        let v = parse(r#"{"na\u006de":1,"\"q\"":2,"k":3,"k":4}"#);
        assert_eq!(raw(v.get("name")), Some("1"));
        assert_eq!(raw(v.get("\"q\"")), Some("2"));
        assert_eq!(raw(v.get("k")), Some("4"));
    }

    #[test]
    fn members_and_items_keep_raw_tokens_with_whitespace() {
        let v = parse(
            " {  \"a\"  :   \"x\\\"\" ,\n \"b\" : [ 1 , { \"c\" : \"]}\" } ] , \"d\":-1.5e3 } ",
        );
        let got: Vec<(String, &str)> = v
            .members()
            .map(|(k, v)| {
                (
                    k.as_str().unwrap().into_owned(),
                    std::str::from_utf8(v.raw()).unwrap(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("a".into(), r#""x\"""#),
                ("b".into(), r#"[ 1 , { "c" : "]}" } ]"#),
                ("d".into(), "-1.5e3")
            ]
        );
        let b = v.get("b").unwrap();
        let items: Vec<&[u8]> = b.items().map(|i| i.raw()).collect();
        assert_eq!(items, [&b"1"[..], br#"{ "c" : "]}" }"#]);
        assert_eq!(b.index(2).map(|v| v.raw()), None);
        assert_eq!(parse("[]").items().count(), 0);
        assert_eq!(parse("{}").members().count(), 0);
        assert_eq!(parse("1").members().count(), 0);
        assert_eq!(parse("{}").items().count(), 0);
    }

    #[test]
    fn kinds_and_scalars() {
        let v = parse(
            r#"{"o":{},"a":[],"s":"","i":-42,"f":2.5e1,"t":true,"x":false,"n":null,"big":1e400}"#,
        );
        let kind = |k| v.get(k).unwrap().kind();
        assert_eq!(
            ["o", "a", "s", "i", "f", "t", "x", "n"].map(kind),
            [
                Kind::Object,
                Kind::Array,
                Kind::String,
                Kind::Number,
                Kind::Number,
                Kind::Bool,
                Kind::Bool,
                Kind::Null
            ]
        );
        assert_eq!(v.get("i").unwrap().as_i64(), Some(-42));
        assert_eq!(v.get("f").unwrap().as_i64(), None);
        assert_eq!(v.get("f").unwrap().as_f64(), Some(25.0));
        assert_eq!(v.get("big").unwrap().as_f64(), Some(f64::INFINITY));
        assert_eq!(v.get("s").unwrap().as_i64(), None);
        assert_eq!(v.get("t").unwrap().as_bool(), Some(true));
        assert_eq!(v.get("x").unwrap().as_bool(), Some(false));
        assert_eq!(v.get("n").unwrap().as_bool(), None);
        assert!(v.get("n").unwrap().is_null());
        assert!(v.get("s").unwrap().as_f64().is_none());
        assert_eq!(parse("9223372036854775808").as_i64(), None);
    }

    #[test]
    fn strings_decode() {
        let s = |doc: &str| parse(doc).as_str().unwrap().into_owned();
        assert_eq!(s(r#""plain""#), "plain");
        assert!(matches!(
            parse(r#""plain""#).as_str(),
            Some(Cow::Borrowed("plain"))
        ));
        assert_eq!(s(r#""Z\u00fcrich""#), "Zürich");
        assert_eq!(
            s(r#""\ud83d\ude00 caf\u00E9 \"q\" \\ \/ \n\t\b\f\r""#),
            "😀 café \"q\" \\ / \n\t\u{8}\u{c}\r"
        );
        assert_eq!(s("\"raw Tōkyō 東京 🗼\""), "raw Tōkyō 東京 🗼");
        // Lone and misordered surrogates become U+FFFD, keeping what follows.
        assert_eq!(s(r#""\ud83d""#), "\u{fffd}");
        assert_eq!(s(r#""\ude00\ud83d""#), "\u{fffd}\u{fffd}");
        assert_eq!(s(r#""\ud83dx""#), "\u{fffd}x");
        assert_eq!(s(r#""\ud83d\u0041""#), "\u{fffd}A");
        assert_eq!(s(r#""\ud83d\ud83d\ude00""#), "\u{fffd}😀");
        assert_eq!(s(r#""\ud83d\n""#), "\u{fffd}\n");
        assert_eq!(s(r#""\u0000""#), "\u{0}");
        assert!(parse("1").as_str().is_none());
        assert!(parse("null").chars().is_none());
    }

    #[test]
    fn char_counts() {
        let n = |doc: &str| parse(doc).char_count();
        assert_eq!(n(r#""""#), Some(0));
        assert_eq!(n(r#""Z\u00fcrich <1>""#), Some(10));
        assert_eq!(n("\"Zürich <1>\""), Some(10));
        assert_eq!(n(r#""\ud83d\ude00""#), Some(1));
        assert_eq!(n(r#""\ud83d\ude00 caf\u00e9 \"q\" \\ \n\t""#), Some(15));
        assert_eq!(n("\"Tōkyō 東京 🗼\""), Some(10));
        assert_eq!(n("\"Ünïcödé  spaces\""), Some(15));
        assert_eq!(n(r#""\ud83d""#), Some(1));
        assert_eq!(n(r#""\ud83dx""#), Some(2));
        assert_eq!(n("12"), None);
        assert_eq!(n("{}"), None);
    }

    #[test]
    fn str_eq_decodes_without_allocating() {
        assert!(parse(r#""name""#).str_eq("name"));
        assert!(parse(r#""n\u0061me""#).str_eq("name"));
        assert!(parse(r#""\ud83d\ude00""#).str_eq("😀"));
        assert!(!parse(r#""n\u0061me""#).str_eq("nam"));
        assert!(!parse(r#""n\u0061me""#).str_eq("names"));
        assert!(!parse(r#""name""#).str_eq("Name"));
        assert!(!parse("1").str_eq("1"));
    }
}
