//! A small compact JSON writer.

use crate::json::{self, Value};

/// Builds compact JSON (no spaces) into one buffer that the SDK reuses for
/// every event. Commas are placed for you; the calls chain:
///
/// ```ignore
/// out.begin_object().key("site").string("Zürich").key("n").uint(1).end_object();
/// // {"site":"Zürich","n":1}
/// ```
///
/// The writer does not check the structure: open and close what you write.
#[derive(Debug, Default)]
pub struct Writer {
    buf: Vec<u8>,
    /// Whether the next key or value needs a comma before it: set after a
    /// value, cleared after an opening bracket or a key.
    comma: bool,
}

impl Writer {
    /// An empty writer.
    pub const fn new() -> Writer {
        Writer {
            buf: Vec::new(),
            comma: false,
        }
    }

    /// Empties the writer, keeping its buffer.
    pub fn clear(&mut self) {
        self.buf.clear();
        self.comma = false;
    }

    /// What has been written.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// Whether nothing has been written.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    fn separate(&mut self) {
        if self.comma {
            self.buf.push(b',');
        }
    }

    /// Writes `{`.
    pub fn begin_object(&mut self) -> &mut Writer {
        self.separate();
        self.buf.push(b'{');
        self.comma = false;
        self
    }

    /// Writes `}`.
    pub fn end_object(&mut self) -> &mut Writer {
        self.buf.push(b'}');
        self.comma = true;
        self
    }

    /// Writes `[`.
    pub fn begin_array(&mut self) -> &mut Writer {
        self.separate();
        self.buf.push(b'[');
        self.comma = false;
        self
    }

    /// Writes `]`.
    pub fn end_array(&mut self) -> &mut Writer {
        self.buf.push(b']');
        self.comma = true;
        self
    }

    /// Writes a member's key and its colon; write its value next.
    pub fn key(&mut self, key: &str) -> &mut Writer {
        self.separate();
        self.quote(key);
        self.buf.push(b':');
        self.comma = false;
        self
    }

    /// Writes `s` as a JSON string: `"` and `\` backslash-escaped, control
    /// characters (below U+0020) as `\u00XX` in lowercase hex, everything
    /// else as raw UTF-8 (the rule of examples/README.md).
    pub fn string(&mut self, s: &str) -> &mut Writer {
        self.separate();
        self.quote(s);
        self.comma = true;
        self
    }

    /// Copies a value read from the input exactly as it is written there:
    /// a string keeps its escapes, a number its text.
    pub fn value(&mut self, v: Value<'_>) -> &mut Writer {
        self.separate();
        self.buf.extend_from_slice(v.raw());
        self.comma = true;
        self
    }

    /// Writes a signed integer.
    pub fn int(&mut self, n: i64) -> &mut Writer {
        self.separate();
        if n < 0 {
            self.buf.push(b'-');
        }
        self.digits(n.unsigned_abs());
        self.comma = true;
        self
    }

    /// Writes an unsigned integer.
    pub fn uint(&mut self, n: u64) -> &mut Writer {
        self.separate();
        self.digits(n);
        self.comma = true;
        self
    }

    /// Writes a number in the shortest form that reads back as `f`; `null`
    /// for NaN and the infinities, which JSON cannot represent.
    pub fn float(&mut self, f: f64) -> &mut Writer {
        if f.is_finite() {
            self.separate();
            self.buf.extend_from_slice(f.to_string().as_bytes());
            self.comma = true;
            self
        } else {
            self.null()
        }
    }

    /// Writes `true` or `false`.
    pub fn bool(&mut self, b: bool) -> &mut Writer {
        self.separate();
        self.buf
            .extend_from_slice(if b { b"true" } else { b"false" });
        self.comma = true;
        self
    }

    /// Writes `null`.
    pub fn null(&mut self) -> &mut Writer {
        self.separate();
        self.buf.extend_from_slice(b"null");
        self.comma = true;
        self
    }

    /// Decimal digits without going through `core::fmt`, which keeps the
    /// formatting machinery out of plugins that write only integers.
    fn digits(&mut self, mut n: u64) {
        // u64::MAX has 20 digits; they are made from the last one.
        let mut tmp = [0u8; 20];
        let mut i = tmp.len();
        while let Some(d) = i.checked_sub(1).and_then(|k| tmp.get_mut(k)) {
            *d = b'0' + (n % 10) as u8;
            i -= 1;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.buf.extend_from_slice(tmp.get(i..).unwrap_or_default());
    }

    fn quote(&mut self, s: &str) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let bytes = s.as_bytes();
        self.buf.reserve(bytes.len() + 2);
        self.buf.push(b'"');
        // Runs that need no escape are found a word at a time and copied
        // whole; most strings are one run.
        let mut i = json::find_special(bytes, 0);
        self.buf
            .extend_from_slice(bytes.get(..i).unwrap_or_default());
        while let Some(&c) = bytes.get(i) {
            match c {
                b'"' | b'\\' => self.buf.extend_from_slice(&[b'\\', c]),
                _ => self.buf.extend_from_slice(&[
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    HEX[usize::from(c >> 4)],
                    HEX[usize::from(c & 15)],
                ]),
            }
            let next = json::find_special(bytes, i + 1);
            self.buf
                .extend_from_slice(bytes.get(i + 1..next).unwrap_or_default());
            i = next;
        }
        self.buf.push(b'"');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(w: &Writer) -> &str {
        std::str::from_utf8(w.as_bytes()).unwrap()
    }

    #[test]
    fn commas_and_nesting() {
        let mut w = Writer::new();
        w.begin_object()
            .key("a")
            .int(-12)
            .key("b")
            .begin_array()
            .uint(0)
            .bool(true)
            .null()
            .begin_object()
            .end_object()
            .begin_array()
            .end_array()
            .end_array()
            .key("c")
            .begin_object()
            .key("d")
            .bool(false)
            .end_object()
            .key("e")
            .string("x")
            .end_object();
        assert_eq!(
            text(&w),
            r#"{"a":-12,"b":[0,true,null,{},[]],"c":{"d":false},"e":"x"}"#
        );
        w.clear();
        assert!(w.is_empty());
        w.begin_object().end_object();
        assert_eq!(text(&w), "{}");
    }

    #[test]
    fn integers() {
        let mut w = Writer::new();
        w.begin_array()
            .int(i64::MIN)
            .int(i64::MAX)
            .int(0)
            .uint(u64::MAX)
            .uint(7)
            .end_array();
        assert_eq!(
            text(&w),
            "[-9223372036854775808,9223372036854775807,0,18446744073709551615,7]"
        );
    }

    #[test]
    fn floats() {
        let mut w = Writer::new();
        w.begin_array()
            .float(2.5)
            .float(-0.1)
            .float(1e21)
            .float(f64::NAN)
            .float(f64::INFINITY)
            .end_array();
        assert_eq!(text(&w), "[2.5,-0.1,1000000000000000000000,null,null]");
    }

    #[test]
    fn string_escapes_follow_the_readme() {
        let mut w = Writer::new();
        w.begin_object()
            .key("Z\u{fc}rich \"ns\" \\ \t")
            .string("\u{0}\u{1f}\n\r\u{7f}é😀/<>&")
            .end_object();
        assert_eq!(
            text(&w),
            "{\"Zürich \\\"ns\\\" \\\\ \\u0009\":\"\\u0000\\u001f\\u000a\\u000d\u{7f}é😀/<>&\"}"
        );
    }

    #[test]
    fn escapes_at_every_offset() {
        let naive = |s: &str| {
            let mut out = String::from("\"");
            for c in s.chars() {
                match c {
                    '"' | '\\' => {
                        out.push('\\');
                        out.push(c);
                    }
                    c if c < ' ' => out.push_str(&format!("\\u{:04x}", c as u32)),
                    c => out.push(c),
                }
            }
            out + "\""
        };
        for pad in 0..20 {
            for special in ["\"", "\\", "\n", "\u{1}", "é", "😀", "\"\"", ""] {
                let s = format!("{}{}{}", "x".repeat(pad), special, "y".repeat(pad % 9));
                let mut w = Writer::new();
                w.string(&s);
                assert_eq!(text(&w), naive(&s), "{:?}", s);
            }
        }
    }

    #[test]
    fn values_are_copied_raw() {
        let doc = Value::parse(br#"{"s":"act\"ive\\","n":1.50,"o":{ "a" : [ 1 ] }}"#).unwrap();
        let mut w = Writer::new();
        w.begin_object();
        for (k, v) in doc.members() {
            w.key(&k.as_str().unwrap()).value(v);
        }
        w.end_object();
        assert_eq!(
            text(&w),
            r#"{"s":"act\"ive\\","n":1.50,"o":{ "a" : [ 1 ] }}"#
        );
    }
}
