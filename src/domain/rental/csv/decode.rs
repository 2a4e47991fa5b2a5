//! The two encodings a CSV file may come in — UTF-8 (with or without a BOM) and
//! Shift_JIS (Windows-31J, what Excel on Japanese Windows writes) — chosen by the
//! request's `charset` or, without one, by whether the bytes are valid UTF-8.

use std::io::{self, Read};

use encoding_rs::{CoderResult, Decoder, Encoding, SHIFT_JIS, UTF_8};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    Utf8,
    /// Windows-31J (the WHATWG `Shift_JIS`).
    ShiftJis,
}

impl Charset {
    /// A `charset` parameter of a Content-Type; `None` for any other encoding.
    pub fn from_label(label: &str) -> Option<Self> {
        let label = label.trim().trim_matches('"').to_ascii_lowercase();
        if matches!(label.as_str(), "cp932" | "ms932" | "sjis" | "shift-jis") {
            return Some(Self::ShiftJis);
        }
        match Encoding::for_label(label.as_bytes()) {
            Some(e) if e == UTF_8 => Some(Self::Utf8),
            Some(e) if e == SHIFT_JIS => Some(Self::ShiftJis),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Utf8 => "UTF-8",
            Self::ShiftJis => "Shift_JIS",
        }
    }

    fn encoding(self) -> &'static Encoding {
        match self {
            Self::Utf8 => UTF_8,
            Self::ShiftJis => SHIFT_JIS,
        }
    }
}

/// Tells whether a byte stream, fed in chunks of any size, is valid UTF-8.
#[derive(Debug, Clone)]
pub struct Utf8Sniffer {
    /// The start of a character cut off at the end of the previous chunk.
    carry: Vec<u8>,
    valid: bool,
}

impl Default for Utf8Sniffer {
    fn default() -> Self {
        Self::new()
    }
}

impl Utf8Sniffer {
    pub fn new() -> Self {
        Self {
            carry: Vec::with_capacity(4),
            valid: true,
        }
    }

    pub fn feed(&mut self, mut chunk: &[u8]) {
        if !self.valid {
            return;
        }
        while !self.carry.is_empty() {
            let Some((&b, rest)) = chunk.split_first() else {
                return;
            };
            chunk = rest;
            self.carry.push(b);
            match std::str::from_utf8(&self.carry) {
                Ok(_) => self.carry.clear(),
                Err(e) if e.error_len().is_some() || self.carry.len() >= 4 => {
                    self.valid = false;
                    return;
                }
                Err(_) => {}
            }
        }
        if let Err(e) = std::str::from_utf8(chunk) {
            match e.error_len() {
                Some(_) => self.valid = false,
                None => self.carry.extend_from_slice(&chunk[e.valid_up_to()..]),
            }
        }
    }

    /// Whether everything fed so far is valid UTF-8 (a character cut off at the end is
    /// not).
    pub fn is_utf8(&self) -> bool {
        self.valid && self.carry.is_empty()
    }

    /// The charset to read the stream with when the request named none.
    pub fn charset(&self) -> Charset {
        if self.is_utf8() {
            Charset::Utf8
        } else {
            Charset::ShiftJis
        }
    }
}

const IN_BUF: usize = 64 * 1024;
/// encoding_rs needs at most 3 output bytes per input byte (plus a little) to make
/// progress; with this much room a decode call always writes something.
const OUT_BUF: usize = 3 * IN_BUF + 16;

/// Reads `inner` in `charset` and yields UTF-8. A leading UTF-8 BOM is dropped; bytes
/// that are not valid in the charset become U+FFFD, which the row reader reports per
/// cell.
pub struct DecodeReader<R> {
    inner: R,
    decoder: Decoder,
    input: Vec<u8>,
    in_pos: usize,
    in_len: usize,
    output: Vec<u8>,
    out_pos: usize,
    out_len: usize,
    eof: bool,
    finished: bool,
}

impl<R: Read> DecodeReader<R> {
    pub fn new(inner: R, charset: Charset) -> Self {
        Self {
            inner,
            decoder: charset.encoding().new_decoder_with_bom_removal(),
            input: vec![0; IN_BUF],
            in_pos: 0,
            in_len: 0,
            output: vec![0; OUT_BUF],
            out_pos: 0,
            out_len: 0,
            eof: false,
            finished: false,
        }
    }

    fn fill(&mut self) -> io::Result<()> {
        self.out_pos = 0;
        self.out_len = 0;
        while self.out_len == 0 && !self.finished {
            if self.in_pos == self.in_len && !self.eof {
                let n = loop {
                    match self.inner.read(&mut self.input) {
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        other => break other?,
                    }
                };
                self.in_pos = 0;
                self.in_len = n;
                self.eof = n == 0;
            }
            let (result, read, written, _) = self.decoder.decode_to_utf8(
                &self.input[self.in_pos..self.in_len],
                &mut self.output,
                self.eof,
            );
            self.in_pos += read;
            self.out_len = written;
            if self.eof && result == CoderResult::InputEmpty && self.in_pos == self.in_len {
                self.finished = true;
            }
        }
        Ok(())
    }
}

impl<R: Read> Read for DecodeReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.out_pos == self.out_len {
            self.fill()?;
        }
        let n = buf.len().min(self.out_len - self.out_pos);
        buf[..n].copy_from_slice(&self.output[self.out_pos..self.out_pos + n]);
        self.out_pos += n;
        Ok(n)
    }
}

/// A CSV reader over `inner` in `charset`. Rows of any length are read (the row reader
/// reports a wrong count of cells); the first record is the header.
pub fn reader<R: Read>(inner: R, charset: Charset) -> ::csv::Reader<DecodeReader<R>> {
    ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(64 * 1024)
        .from_reader(DecodeReader::new(inner, charset))
}
