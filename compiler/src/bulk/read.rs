//! describe-images JSON from a reader, a buffer at a time, straight into compact records:
//! the text is never held whole and nothing is allocated per image.
//!
//! It accepts a strict subset of what [`crate::image::parse_images_json`] accepts and reads it
//! to the same images; anything else is a [`Decline`].

use std::collections::HashMap;
use std::io::Read;

use super::{Record, Repository};
use crate::image::{Digest, parse_epoch, parse_timestamp};

/// Why the fast path gave up; the general path then reads the input (and words any error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decline(pub &'static str);

type Result<T> = std::result::Result<T, Decline>;

/// The bytes a string may hold on the fast path: ASCII but `"`, `\` and control characters.
const PLAIN: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0x20;
    while b < 0x80 {
        t[b] = b != b'"' as usize && b != b'\\' as usize;
        b += 1;
    }
    t
};

/// Deeper than this, serde_json refuses to recurse; decline well before.
const MAX_DEPTH: usize = 100;

/// Reads a describe-images document (`{"imageDetails": [...]}` or the bare array), grouping
/// the images by repository in the order they first appear.
pub fn read<R: Read>(reader: R) -> Result<Vec<Repository>> {
    let mut p = Parser {
        input: Input::new(reader),
        scratch: Vec::with_capacity(128),
        tags: Vec::with_capacity(256),
        groups: Vec::new(),
        index: HashMap::new(),
        unnamed: None,
    };
    p.document()?;
    Ok(p.groups)
}

/// A buffer over the reader, refilled as it is consumed.
struct Input<R> {
    reader: R,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    eof: bool,
}

const BUFFER: usize = 1 << 20;

impl<R: Read> Input<R> {
    fn new(reader: R) -> Self {
        Input {
            reader,
            buf: vec![0; BUFFER],
            pos: 0,
            end: 0,
            eof: false,
        }
    }

    /// Makes at least one byte available; false at the end of the input.
    #[inline]
    fn fill(&mut self) -> Result<bool> {
        if self.pos < self.end {
            return Ok(true);
        }
        self.refill()
    }

    #[cold]
    fn refill(&mut self) -> Result<bool> {
        while self.pos == self.end {
            if self.eof {
                return Ok(false);
            }
            self.pos = 0;
            self.end = 0;
            match self.reader.read(&mut self.buf) {
                Ok(0) => self.eof = true,
                Ok(n) => self.end = n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return Err(Decline("the input could not be read")),
            }
        }
        Ok(true)
    }

    /// The rest of a string whose opening quote is consumed, where it lies whole in the
    /// buffer (the common case: no copy); `None`, consuming nothing, where it does not.
    #[inline]
    fn string_here(&mut self) -> Result<Option<std::ops::Range<usize>>> {
        let avail = &self.buf[self.pos..self.end];
        let n = plain_run(avail);
        match avail.get(n) {
            None => Ok(None),
            Some(b'"') => {
                let range = self.pos..self.pos + n;
                self.pos += n + 1;
                Ok(Some(range))
            }
            Some(_) => Err(Decline("an escape, control or non-ASCII character")),
        }
    }

    #[inline]
    fn peek(&mut self) -> Result<Option<u8>> {
        Ok(if self.fill()? {
            Some(self.buf[self.pos])
        } else {
            None
        })
    }

    #[inline]
    fn next(&mut self) -> Result<u8> {
        let b = self.peek()?.ok_or(Decline("the input ends early"))?;
        self.pos += 1;
        Ok(b)
    }

    /// The next byte that is not JSON whitespace, not consumed.
    #[inline]
    fn peek_token(&mut self) -> Result<Option<u8>> {
        while let Some(b) = self.peek()? {
            if !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                return Ok(Some(b));
            }
            self.pos += 1;
        }
        Ok(None)
    }

    #[inline]
    fn token(&mut self) -> Result<u8> {
        let b = self.peek_token()?.ok_or(Decline("the input ends early"))?;
        self.pos += 1;
        Ok(b)
    }

    #[inline]
    fn expect(&mut self, want: u8) -> Result<()> {
        if self.token()? == want {
            Ok(())
        } else {
            Err(Decline("unexpected character"))
        }
    }

    /// The rest of a string whose opening quote is consumed, appended to `out` (or only
    /// checked, with `None`).
    fn string(&mut self, mut out: Option<&mut Vec<u8>>) -> Result<()> {
        loop {
            if !self.fill()? {
                return Err(Decline("the input ends in a string"));
            }
            let avail = &self.buf[self.pos..self.end];
            let taken = plain_run(avail);
            if let Some(o) = out.as_deref_mut() {
                o.extend_from_slice(&avail[..taken]);
            }
            self.pos += taken;
            if taken < avail.len() {
                return match self.next()? {
                    b'"' => Ok(()),
                    _ => Err(Decline("an escape, control or non-ASCII character")),
                };
            }
        }
    }

    /// A JSON number's text, checked against the grammar, into `out`.
    fn number(&mut self, out: &mut Vec<u8>) -> Result<()> {
        out.clear();
        while let Some(b) = self.peek()? {
            if !matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') {
                break;
            }
            out.push(b);
            self.pos += 1;
        }
        if valid_number(out) {
            Ok(())
        } else {
            Err(Decline("not a JSON number"))
        }
    }

    fn literal(&mut self, rest: &[u8]) -> Result<()> {
        for &want in rest {
            if self.next()? != want {
                return Err(Decline("not a JSON literal"));
            }
        }
        Ok(())
    }

    /// Checks and skips one value.
    fn skip_value(&mut self, depth: usize, scratch: &mut Vec<u8>) -> Result<()> {
        if depth > MAX_DEPTH {
            return Err(Decline("nested too deep"));
        }
        match self.peek_token()?.ok_or(Decline("the input ends early"))? {
            b'"' => {
                self.pos += 1;
                self.string(None)
            }
            b'{' => {
                self.pos += 1;
                if self.peek_token()? == Some(b'}') {
                    self.pos += 1;
                    return Ok(());
                }
                loop {
                    self.expect(b'"')?;
                    self.string(None)?;
                    self.expect(b':')?;
                    self.skip_value(depth + 1, scratch)?;
                    match self.token()? {
                        b',' => {}
                        b'}' => return Ok(()),
                        _ => return Err(Decline("unexpected character in an object")),
                    }
                }
            }
            b'[' => {
                self.pos += 1;
                if self.peek_token()? == Some(b']') {
                    self.pos += 1;
                    return Ok(());
                }
                loop {
                    self.skip_value(depth + 1, scratch)?;
                    match self.token()? {
                        b',' => {}
                        b']' => return Ok(()),
                        _ => return Err(Decline("unexpected character in an array")),
                    }
                }
            }
            b't' => {
                self.pos += 1;
                self.literal(b"rue")
            }
            b'f' => {
                self.pos += 1;
                self.literal(b"alse")
            }
            b'n' => {
                self.pos += 1;
                self.literal(b"ull")
            }
            _ => self.number(scratch),
        }
    }
}

/// How many bytes `s` starts with that are [`PLAIN`]: eight at a time (strings are most of
/// the text), then one by one in the word that holds the first other byte.
fn plain_run(s: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // A high bit in each byte of `v` that is zero (exact as to whether there is any).
    let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let mut words = 0;
    for chunk in s.chunks_exact(8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        let special = (w & HIGH)
            | (w.wrapping_sub(ONES * 0x20) & !w & HIGH)
            | zero(w ^ (ONES * u64::from(b'"')))
            | zero(w ^ (ONES * u64::from(b'\\')));
        if special != 0 {
            break;
        }
        words += 8;
    }
    let rest = &s[words..];
    words
        + rest
            .iter()
            .position(|&b| !PLAIN[usize::from(b)])
            .unwrap_or(rest.len())
}

/// JSON's number grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
fn valid_number(s: &[u8]) -> bool {
    let digits = |s: &[u8]| s.iter().take_while(|b| b.is_ascii_digit()).count();
    let mut s = s.strip_prefix(b"-").unwrap_or(s);
    match s.first() {
        Some(b'0') => s = &s[1..],
        Some(b'1'..=b'9') => s = &s[digits(s)..],
        _ => return false,
    }
    if let Some(rest) = s.strip_prefix(b".") {
        let n = digits(rest);
        if n == 0 {
            return false;
        }
        s = &rest[n..];
    }
    if let Some(rest) = s.strip_prefix(b"e").or_else(|| s.strip_prefix(b"E")) {
        let rest = rest
            .strip_prefix(b"+")
            .or_else(|| rest.strip_prefix(b"-"))
            .unwrap_or(rest);
        let n = digits(rest);
        if n == 0 {
            return false;
        }
        s = &rest[n..];
    }
    s.is_empty()
}

struct Parser<R> {
    input: Input<R>,
    scratch: Vec<u8>,
    /// An image's tags until its repository is known (reused).
    tags: Vec<u8>,
    groups: Vec<Repository>,
    /// Where each named repository's group is.
    index: HashMap<Box<[u8]>, usize>,
    /// Where the group of the images that name no repository is.
    unnamed: Option<usize>,
}

/// The members of an image detail the general path reads itself (each at most once here).
#[derive(Clone, Copy)]
enum Member {
    Repository = 0,
    Digest,
    Tags,
    Pushed,
    Pulled,
    Size,
    ManifestType,
    ArtifactType,
    Status,
}

impl Member {
    /// The member a key names; `Err` for those only the general path handles.
    fn of(key: &[u8]) -> Result<Option<Member>> {
        Ok(Some(match key {
            b"repositoryName" => Member::Repository,
            b"imageDigest" => Member::Digest,
            b"imageTags" => Member::Tags,
            b"imagePushedAt" => Member::Pushed,
            b"lastRecordedPullTime" => Member::Pulled,
            b"imageSizeInBytes" => Member::Size,
            b"imageManifestMediaType" => Member::ManifestType,
            b"artifactMediaType" => Member::ArtifactType,
            b"imageStatus" => Member::Status,
            b"lastArchivedAt"
            | b"lastActivatedAt"
            | b"childManifestDigests"
            | b"subjectManifestDigest" => {
                return Err(Decline("archive times, index children or a subject"));
            }
            _ => return Ok(None),
        }))
    }
}

impl<R: Read> Parser<R> {
    fn document(&mut self) -> Result<()> {
        match self.input.token()? {
            b'[' => self.details()?,
            b'{' => {
                let mut seen = false;
                if self.input.peek_token()? == Some(b'}') {
                    return Err(Decline("no imageDetails"));
                }
                loop {
                    self.input.expect(b'"')?;
                    self.scratch.clear();
                    self.input.string(Some(&mut self.scratch))?;
                    self.input.expect(b':')?;
                    if self.scratch == b"imageDetails" {
                        if seen {
                            return Err(Decline("imageDetails twice"));
                        }
                        seen = true;
                        self.input.expect(b'[')?;
                        self.details()?;
                    } else {
                        self.input.skip_value(1, &mut self.scratch)?;
                    }
                    match self.input.token()? {
                        b',' => {}
                        b'}' => break,
                        _ => return Err(Decline("unexpected character in the document")),
                    }
                }
                if !seen {
                    return Err(Decline("no imageDetails"));
                }
            }
            _ => return Err(Decline("not a describe-images document")),
        }
        match self.input.peek_token()? {
            None => Ok(()),
            Some(_) => Err(Decline("text after the document")),
        }
    }

    /// The image details, the opening `[` consumed.
    fn details(&mut self) -> Result<()> {
        if self.input.peek_token()? == Some(b']') {
            self.input.pos += 1;
            return Ok(());
        }
        loop {
            self.input.expect(b'{')?;
            self.detail()?;
            match self.input.token()? {
                b',' => {}
                b']' => return Ok(()),
                _ => return Err(Decline("unexpected character in imageDetails")),
            }
        }
    }

    /// One image detail, the opening `{` consumed.
    fn detail(&mut self) -> Result<()> {
        let mut seen = 0u16;
        let mut group: Option<usize> = None;
        let mut digest = None;
        let mut pushed = None;
        let mut pulled = None;
        // Tags go to the arena of the repository, which may only be known later: held here
        // meanwhile (cleared, never shrunk).
        let mut tags: Vec<u8> = std::mem::take(&mut self.tags);
        tags.clear();
        let mut tag_count = 0u32;
        if self.input.peek_token()? == Some(b'}') {
            return Err(Decline("an empty image detail"));
        }
        loop {
            self.input.expect(b'"')?;
            let member = match self.input.string_here()? {
                Some(key) => Member::of(&self.input.buf[key])?,
                None => {
                    self.scratch.clear();
                    self.input.string(Some(&mut self.scratch))?;
                    Member::of(&self.scratch)?
                }
            };
            self.input.expect(b':')?;
            if let Some(m) = member {
                let bit = 1u16 << (m as u16);
                if seen & bit != 0 {
                    return Err(Decline("a member twice"));
                }
                seen |= bit;
                let first = self.input.peek_token()?;
                if first == Some(b'n') {
                    return Err(Decline("a null member"));
                }
            }
            match member {
                None => self.input.skip_value(1, &mut self.scratch)?,
                Some(Member::Repository) => {
                    self.input.expect(b'"')?;
                    group = Some(match self.input.string_here()? {
                        Some(name) => self.group(Some(name)),
                        None => {
                            self.scratch.clear();
                            self.input.string(Some(&mut self.scratch))?;
                            self.group(None)
                        }
                    });
                }
                Some(Member::Digest) => {
                    self.input.expect(b'"')?;
                    let text = match self.input.string_here()? {
                        Some(text) => &self.input.buf[text],
                        None => {
                            self.scratch.clear();
                            self.input.string(Some(&mut self.scratch))?;
                            &self.scratch
                        }
                    };
                    digest = Some(Digest::parse_bytes(text).ok_or(Decline("not an image digest"))?);
                }
                Some(Member::Tags) => {
                    self.input.expect(b'[')?;
                    if self.input.peek_token()? == Some(b']') {
                        self.input.pos += 1;
                    } else {
                        loop {
                            self.input.expect(b'"')?;
                            let at = tags.len();
                            tags.push(0);
                            self.input.string(Some(&mut tags))?;
                            let len = u8::try_from(tags.len() - at - 1)
                                .map_err(|_| Decline("a tag longer than 255 bytes"))?;
                            tags[at] = len;
                            tag_count += 1;
                            match self.input.token()? {
                                b',' => {}
                                b']' => break,
                                _ => return Err(Decline("unexpected character in imageTags")),
                            }
                        }
                    }
                }
                Some(Member::Pushed) => pushed = Some(self.time()?),
                Some(Member::Pulled) => pulled = Some(self.time()?),
                Some(Member::Size) => {
                    self.input.number(&mut self.scratch)?;
                    // serde reads a u64: digits only, in range.
                    let text = std::str::from_utf8(&self.scratch).map_err(|_| Decline("UTF-8"))?;
                    if !self.scratch.iter().all(u8::is_ascii_digit) || text.parse::<u64>().is_err()
                    {
                        return Err(Decline("imageSizeInBytes is not a u64"));
                    }
                }
                Some(Member::ManifestType | Member::ArtifactType) => {
                    self.input.expect(b'"')?;
                    if self.input.string_here()?.is_none() {
                        self.input.string(None)?;
                    }
                }
                Some(Member::Status) => {
                    self.input.expect(b'"')?;
                    self.scratch.clear();
                    self.input.string(Some(&mut self.scratch))?;
                    if self.scratch != b"ACTIVE" {
                        return Err(Decline("an image that is not active"));
                    }
                }
            }
            match self.input.token()? {
                b',' => {}
                b'}' => break,
                _ => return Err(Decline("unexpected character in an image detail")),
            }
        }
        let digest = digest.ok_or(Decline("no imageDigest"))?;
        let pushed = pushed.ok_or(Decline("no imagePushedAt"))?;
        let group = match group {
            Some(g) => g,
            None => self.unnamed_group(),
        };
        let repo = &mut self.groups[group];
        let tags_at =
            u32::try_from(repo.tag_bytes.len()).map_err(|_| Decline("over 4 GiB of tags"))?;
        repo.tag_bytes.extend_from_slice(&tags);
        repo.records.push(Record {
            digest,
            pushed,
            pulled_or_pushed: pulled.unwrap_or(pushed),
            tags_at,
            tag_count,
        });
        self.tags = tags;
        Ok(())
    }

    /// A time as a JSON number (epoch seconds) or string (ISO 8601), as nanoseconds.
    fn time(&mut self) -> Result<i64> {
        let t = if self.input.peek_token()? == Some(b'"') {
            self.input.pos += 1;
            self.scratch.clear();
            self.input.string(Some(&mut self.scratch))?;
            let text = std::str::from_utf8(&self.scratch).map_err(|_| Decline("UTF-8"))?;
            parse_timestamp(text).map_err(|_| Decline("not a timestamp"))?
        } else {
            self.input.number(&mut self.scratch)?;
            let text = std::str::from_utf8(&self.scratch).map_err(|_| Decline("UTF-8"))?;
            parse_epoch(text).map_err(|_| Decline("not a timestamp"))?
        };
        i64::try_from(t.as_nanosecond()).map_err(|_| Decline("a time past 2262"))
    }

    /// The group of the repository named at `name` in the buffer, or else in `scratch`.
    fn group(&mut self, name: Option<std::ops::Range<usize>>) -> usize {
        let name: &[u8] = match name {
            Some(r) => &self.input.buf[r],
            None => &self.scratch,
        };
        if let Some(last) = self.groups.len().checked_sub(1)
            && self.groups[last].name.as_deref().map(str::as_bytes) == Some(name)
        {
            return last;
        }
        if let Some(&g) = self.index.get(name) {
            return g;
        }
        self.groups.push(Repository {
            // Only ASCII is ever read.
            name: Some(String::from_utf8_lossy(name).into_owned()),
            ..Repository::default()
        });
        self.index.insert(Box::from(name), self.groups.len() - 1);
        self.groups.len() - 1
    }

    /// The group of the images that name no repository.
    fn unnamed_group(&mut self) -> usize {
        *self.unnamed.get_or_insert_with(|| {
            self.groups.push(Repository::default());
            self.groups.len() - 1
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_run_stops_at_the_first_byte_a_string_needs_care_for() {
        for special in [b'"', b'\\', 0x00, 0x1f, 0x80, 0xff] {
            for len in 0..40 {
                for at in 0..len {
                    let mut s = vec![b'a'; len];
                    s[at] = special;
                    // A later special byte must not hide the first.
                    if at + 1 < len {
                        s[len - 1] = 0x01;
                    }
                    assert_eq!(plain_run(&s), at, "{special:#x} at {at} of {len}");
                }
                assert_eq!(plain_run(&vec![0x7f; len]), len);
                assert_eq!(plain_run(&vec![b' '; len]), len);
            }
        }
    }
}
