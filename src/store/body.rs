//! How an entry's HTML is stored: its summary and content, compressed together into one `body`
//! blob, kept in `entry_bodies` apart from the entry's row (issue 11: the database held 1.4x
//! the bytes of the feeds it stored, with the content, the summary and their plain text each
//! kept in full). The plain text is not stored: it is
//! the content's (else the summary's) text, made again when an entry is read
//! ([`crate::html_text::html_to_text`], as `update` made it), and the search index is built
//! from it at write time.
//!
//! The blob is one compressed stream over `[flags][summary length, u32 LE][summary][content]`,
//! so a summary that repeats the content's opening costs little. It is written as a Zstandard
//! frame (level [`LEVEL`]); blobs written before are raw DEFLATE streams, and both read back.
//! The two cannot be confused: a Zstandard frame opens with the bytes `28 B5 2F FD`, which no
//! DEFLATE stream can begin with (`28` opens a stored block, whose length `B5 2F` would have
//! to be followed by its complement `4A D0`). Owns that format only; not what the HTML says.
//!
//! Once a database holds enough bodies it trains a Zstandard dictionary on them
//! (store/dictionary.rs), and later frames are packed with it: such a frame names the
//! dictionary's id in its header, and is unpacked with that dictionary, looked up by id. A frame
//! without one (written before the dictionary) reads back as before.
//!
//! Packing is the costliest part of storing an entry, so it need not happen on the single
//! writer: [`PackedPoll::packed`] packs a poll's bodies on the thread that read the feed, and
//! the writer packs only what it was not handed.

use std::cell::RefCell;
use std::io::Read;
use std::sync::Arc;

use flate2::read::DeflateDecoder;
use flate2::{Decompress, FlushDecompress, Status};
use zstd::zstd_safe::{CCtx, DCtx, DDict};

use super::dictionary::{PackDictionary, Packer};
use crate::model::{EntryRecord, FeedPoll, PollResult};

/// Finds the prepared dictionary a frame names by its id (store/dictionary.rs: `Decoders`), or
/// says why it cannot.
pub(super) type FindDictionary<'a> = &'a dyn Fn(u32) -> Result<Arc<DDict<'static>>, String>;

const HAS_SUMMARY: u8 = 1;
const HAS_CONTENT: u8 = 2;

/// The stored form of an entry's summary and content, packed with `dictionary` when given;
/// `None` when it has neither.
pub(super) fn pack(
    summary: Option<&str>,
    content: Option<&str>,
    dictionary: Option<&PackDictionary>,
) -> Option<Vec<u8>> {
    if summary.is_none() && content.is_none() {
        return None;
    }
    let flags =
        u8::from(summary.is_some()) * HAS_SUMMARY + u8::from(content.is_some()) * HAS_CONTENT;
    let summary = summary.unwrap_or_default();
    let content = content.unwrap_or_default();
    let len = u32::try_from(summary.len()).unwrap_or(u32::MAX);
    let mut raw = Vec::with_capacity(5 + summary.len() + content.len());
    raw.push(flags);
    raw.extend_from_slice(&len.to_le_bytes());
    raw.extend_from_slice(&summary.as_bytes()[..len as usize]);
    raw.extend_from_slice(content.as_bytes());
    Some(pack_raw(&raw, dictionary))
}

/// An unpacked body (as [`unpack_raw`] gives it) packed again, with `dictionary` when given.
pub(super) fn pack_raw(raw: &[u8], dictionary: Option<&PackDictionary>) -> Vec<u8> {
    const SIZED: &str = "compressing into a Vec sized by compress_bound";
    match dictionary {
        None => COMPRESSOR.with_borrow_mut(|compressor| compressor.compress(raw).expect(SIZED)),
        Some(dictionary) => DICTIONARY_COMPRESSOR.with_borrow_mut(|cctx| {
            let mut out = Vec::with_capacity(zstd::zstd_safe::compress_bound(raw.len()));
            cctx.compress_using_cdict(&mut out, raw, dictionary.prepared()).expect(SIZED);
            out
        }),
    }
}

thread_local! {
    /// One compressor per thread, reused for each entry: a new one allocates its tables each
    /// time, which for a short entry costs more than compressing it.
    static COMPRESSOR: RefCell<zstd::bulk::Compressor<'static>> = RefCell::new(
        zstd::bulk::Compressor::new(LEVEL).expect("level 1 is a valid Zstandard level"),
    );
    /// The same for frames packed with a dictionary (the level is the prepared dictionary's).
    static DICTIONARY_COMPRESSOR: RefCell<CCtx<'static>> = RefCell::new(CCtx::create());
}

/// The Zstandard level. Chosen by measurement (issue 11), each entry compressed alone with one
/// reused context: on a cold fetch's 22,964 synthetic entries (56 MB of HTML) level 1 stores
/// 0.443 of the bytes at 173 MB/s, where DEFLATE level 2 (zlib-rs, the format before) stored
/// 0.431 at 66 MB/s and DEFLATE level 1 0.557 at 143 MB/s; on the entries of ../shared/corpus
/// level 1 stores 0.302 at 304 MB/s against DEFLATE 2's 0.298 at 95 MB/s. Packing had been a
/// fifth of a cold fetch's CPU.
pub(super) const LEVEL: i32 = 1;

/// The first four bytes of every Zstandard frame.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xB5, 0x2F, 0xFD];

/// Most bytes a stored body may say it unpacks to: a frame claiming more is damaged (no feed
/// answer that large is read).
const MOST_UNPACKED: u64 = 1 << 30;

/// The stored form of an entry's summary and content ([`pack`]).
fn pack_entry(e: &EntryRecord, dictionary: Option<&PackDictionary>) -> Option<Vec<u8>> {
    pack(e.summary_html.as_deref(), e.content_html.as_deref(), dictionary)
}

/// A poll on its way to the writer, with its entries' bodies in their stored form when they
/// were packed before it.
pub(crate) struct PackedPoll {
    /// The poll.
    pub(crate) poll: FeedPoll,
    /// Each entry's [`pack`]ed body, in the poll's entry order; empty when not packed.
    bodies: Vec<Option<Vec<u8>>>,
}

impl PackedPoll {
    /// `poll` as it is: the writer packs the bodies of the entries it writes (new or changed
    /// ones only).
    pub(crate) fn unpacked(poll: FeedPoll) -> PackedPoll {
        PackedPoll { poll, bodies: Vec::new() }
    }

    /// `poll` with every entry's body packed now, on the caller's thread, with the dictionary
    /// `packer` holds now (if any). For a feed whose entries are all new, which the writer would
    /// otherwise pack one after another.
    pub(crate) fn packed(poll: FeedPoll, packer: &Packer) -> PackedPoll {
        let dictionary = packer.dictionary();
        let bodies = match &poll.result {
            PollResult::Stored { entries, .. } => {
                entries.iter().map(|e| pack_entry(e, dictionary.as_deref())).collect()
            }
            _ => Vec::new(),
        };
        PackedPoll { poll, bodies }
    }

    /// The packed body of entry `i`, if packed.
    pub(super) fn body(&self, i: usize) -> Option<&Option<Vec<u8>>> {
        self.bodies.get(i)
    }
}

/// Entry `i`'s body in its stored form: the one packed before (`prepacked`, from
/// [`PackedPoll::body`]), else packed now into `scratch` with `dictionary`. A body packed
/// before with another dictionary than `dictionary` (which only a dictionary of another
/// database could be) is packed again: every frame stored must name a dictionary this database
/// holds.
pub(super) fn stored<'a>(
    prepacked: Option<&'a Option<Vec<u8>>>,
    e: &EntryRecord,
    dictionary: Option<&PackDictionary>,
    scratch: &'a mut Option<Vec<u8>>,
) -> Option<&'a [u8]> {
    let ours = |body: &[u8]| match dictionary_id(body) {
        None => true,
        Some(id) => dictionary.is_some_and(|d| d.id() == id),
    };
    match prepacked {
        Some(body) if body.as_deref().is_none_or(ours) => body.as_deref(),
        _ => {
            *scratch = pack_entry(e, dictionary);
            scratch.as_deref()
        }
    }
}

/// The id of the dictionary a stored body was packed with, if any (read from its frame
/// header; a DEFLATE blob has none).
pub(super) fn dictionary_id(blob: &[u8]) -> Option<u32> {
    if !blob.starts_with(&ZSTD_MAGIC) {
        return None;
    }
    zstd::zstd_safe::get_dict_id_from_frame(blob).map(std::num::NonZeroU32::get)
}

/// The summary and content back from [`pack`]'s blob (`None`: neither), its dictionary (if it
/// names one) found by `find`. A blob that does not read back is an error naming what was
/// wrong, not an empty entry.
pub(super) fn unpack(
    blob: Option<&[u8]>,
    find: FindDictionary<'_>,
) -> Result<(Option<String>, Option<String>), String> {
    let Some(blob) = blob else {
        return Ok((None, None));
    };
    let raw = unpack_raw(blob, find)?;
    let (flags, len) = header(&raw)?;
    let rest = &raw[5..];
    let summary = rest.get(..len).ok_or_else(cut_short)?;
    let content = &rest[len..];
    let text = |b: &[u8]| {
        String::from_utf8(b.to_vec()).map_err(|_| "its stored body is not UTF-8".to_string())
    };
    Ok((
        if flags & HAS_SUMMARY != 0 { Some(text(summary)?) } else { None },
        if flags & HAS_CONTENT != 0 { Some(text(content)?) } else { None },
    ))
}

/// A stored body unpacked whole, in any of its formats (DEFLATE, a Zstandard frame with or
/// without a dictionary), before its header is read.
pub(super) fn unpack_raw(blob: &[u8], find: FindDictionary<'_>) -> Result<Vec<u8>, String> {
    if blob.starts_with(&ZSTD_MAGIC) {
        return unzstd(blob, find);
    }
    let mut raw = Vec::with_capacity(blob.len() * 3);
    DeflateDecoder::new(blob)
        .read_to_end(&mut raw)
        .map_err(|e| format!("its stored body does not inflate: {e}"))?;
    Ok(raw)
}

thread_local! {
    /// One decompressor per thread, reset for each entry: a new one allocates and zeroes its
    /// state, which cost more than inflating the opening of a short entry.
    static DECOMPRESSOR: RefCell<Decompress> = RefCell::new(Decompress::new(false));
}

/// The start of the HTML an entry's text is made from (its content, else its summary, as
/// [`unpack`] gives them): at most `bytes` bytes, cut at a character boundary, inflating no
/// more of the blob than that takes; and whether that is all of it. For previews, which need a
/// few lines of a long post.
pub(super) fn unpack_opening(
    blob: Option<&[u8]>,
    bytes: usize,
    find: FindDictionary<'_>,
) -> Result<(String, bool), String> {
    let Some(blob) = blob else {
        return Ok((String::new(), true));
    };
    if blob.starts_with(&ZSTD_MAGIC) {
        // A frame is unpacked whole: Zstandard decodes a block (up to 128 KiB) at a time, so
        // stopping early would save little, and it unpacks several times faster than DEFLATE.
        return opening(&unzstd(blob, find)?, bytes);
    }
    DECOMPRESSOR.with_borrow_mut(|d| {
        d.reset(false);
        let mut raw = Vec::with_capacity(bytes.saturating_add(512));
        inflate_to(d, blob, &mut raw, 5)?;
        let (flags, len) = header(&raw)?;
        if let Some((start, wanted)) = opening_span(flags, len, bytes) {
            // One byte more than wanted tells whether the content goes on.
            inflate_to(d, blob, &mut raw, start + wanted + 1)?;
        }
        opening(&raw, bytes)
    })
}

/// The flags and the summary's length at the head of an unpacked body.
fn header(raw: &[u8]) -> Result<(u8, usize), String> {
    let (&flags, rest) = raw.split_first().ok_or_else(cut_short)?;
    let len = rest.get(..4).ok_or_else(cut_short)?;
    Ok((flags, u32::from_le_bytes(len.try_into().expect("four bytes")) as usize))
}

fn cut_short() -> String {
    "its stored body is cut short".to_string()
}

/// Where an opening of `bytes` bytes lies in an unpacked body with `flags` and a summary of
/// `len` bytes: its start and length; `None` when the body holds neither summary nor content.
fn opening_span(flags: u8, len: usize, bytes: usize) -> Option<(usize, usize)> {
    if flags & HAS_CONTENT != 0 {
        Some((5 + len, bytes))
    } else if flags & HAS_SUMMARY != 0 {
        Some((5, len.min(bytes)))
    } else {
        None
    }
}

/// [`unpack_opening`] from `raw`, an unpacked body, whole or at least one byte past the
/// opening.
fn opening(raw: &[u8], bytes: usize) -> Result<(String, bool), String> {
    let (flags, len) = header(raw)?;
    let Some((start, wanted)) = opening_span(flags, len, bytes) else {
        return Ok((String::new(), true));
    };
    let whole_summary = if flags & HAS_CONTENT != 0 { start } else { start + wanted };
    if raw.len() < whole_summary {
        return Err(cut_short());
    }
    let html = &raw[start..raw.len().min(start + wanted)];
    let whole = if flags & HAS_CONTENT != 0 { raw.len() - start <= wanted } else { wanted == len };
    match std::str::from_utf8(html) {
        Ok(text) => Ok((text.to_string(), whole)),
        // Cut inside a character: up to it.
        Err(e) if e.error_len().is_none() && !whole => {
            Ok((String::from_utf8_lossy(&html[..e.valid_up_to()]).into_owned(), false))
        }
        Err(_) => Err("its stored body is not UTF-8".to_string()),
    }
}

thread_local! {
    /// One Zstandard decompressor per thread, reused: a new one allocates its state each time.
    static UNZSTD: RefCell<zstd::bulk::Decompressor<'static>> = RefCell::new(
        zstd::bulk::Decompressor::new().expect("a Zstandard context can be made"),
    );
    /// The same for frames packed with a dictionary, handed the prepared dictionary each time.
    static DICTIONARY_UNZSTD: RefCell<DCtx<'static>> = RefCell::new(DCtx::create());
}

/// A Zstandard-packed body, unpacked whole; with the dictionary its frame names, found by
/// `find`, when it names one.
fn unzstd(blob: &[u8], find: FindDictionary<'_>) -> Result<Vec<u8>, String> {
    let damaged = |e: &dyn std::fmt::Display| format!("its stored body does not unpack: {e}");
    let size = match zstd::zstd_safe::get_frame_content_size(blob) {
        Ok(Some(size)) if size <= MOST_UNPACKED => size,
        Ok(Some(size)) => return Err(damaged(&format!("it says it holds {size} bytes"))),
        Ok(None) => return Err(damaged(&"its frame gives no size")),
        Err(_) => return Err(cut_short()),
    };
    let size = usize::try_from(size).map_err(|_| damaged(&"it is too large for memory"))?;
    match dictionary_id(blob) {
        None => UNZSTD.with_borrow_mut(|d| d.decompress(blob, size)).map_err(|e| damaged(&e)),
        Some(id) => {
            let dictionary = find(id)?;
            unzstd_with(blob, size, &dictionary)
                .map_err(|e| damaged(&format!("{e} (with dictionary {id})")))
        }
    }
}

/// A frame packed with `dictionary`, unpacked whole: `size` bytes.
pub(super) fn unzstd_with(
    blob: &[u8],
    size: usize,
    dictionary: &DDict<'_>,
) -> Result<Vec<u8>, String> {
    let mut raw = Vec::with_capacity(size);
    DICTIONARY_UNZSTD
        .with_borrow_mut(|d| d.decompress_using_ddict(&mut raw, blob, dictionary))
        .map_err(|code| zstd::zstd_safe::get_error_name(code).to_string())?;
    if raw.len() != size {
        return Err(format!("it gave {} bytes of the {size} its frame says", raw.len()));
    }
    Ok(raw)
}

/// Inflates `blob` through `d` onto `out` until it holds at least `target` bytes or the stream
/// ends; whether it ended.
fn inflate_to(
    d: &mut Decompress,
    blob: &[u8],
    out: &mut Vec<u8>,
    target: usize,
) -> Result<bool, String> {
    while out.len() < target {
        let read = usize::try_from(d.total_in()).expect("fits: it is at most blob.len()");
        let before = out.len();
        out.reserve(target - out.len());
        let status = d
            .decompress_vec(&blob[read..], out, FlushDecompress::None)
            .map_err(|e| format!("its stored body does not inflate: {e}"))?;
        if status == Status::StreamEnd {
            return Ok(true);
        }
        let progressed = out.len() > before || usize::try_from(d.total_in()).ok() != Some(read);
        if status == Status::BufError || !progressed {
            return Err("its stored body is cut short".to_string());
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::Compression;
    use flate2::write::DeflateEncoder;

    use super::*;

    /// For bodies packed without a dictionary: a store that holds none.
    fn no_dictionary(id: u32) -> Result<Arc<DDict<'static>>, String> {
        Err(format!("dictionary {id} is not in the database"))
    }

    #[test]
    fn summary_and_content_read_back_exactly_empty_or_missing() {
        for (s, c) in [
            (Some("<p>Short.</p>"), Some("<p>Short.</p><p>And the rest, é ✓.</p>")),
            (None, Some("<p>Only content.</p>")),
            (Some("<p>Only a summary.</p>"), None),
            (Some(""), Some("")),
            (Some(""), None),
        ] {
            let blob = pack(s, c, None).unwrap();
            assert_eq!(
                unpack(Some(&blob), &no_dictionary).unwrap(),
                (s.map(String::from), c.map(String::from))
            );
        }
        assert_eq!(pack(None, None, None), None);
        assert_eq!(unpack(None, &no_dictionary).unwrap(), (None, None));
    }

    #[test]
    fn the_reused_compressor_writes_what_a_new_one_writes_entry_after_entry() {
        for n in [0usize, 1, 100, 70_000] {
            let content = "<p>Council tax and housing.</p>".repeat(n);
            let blob = pack(Some("Summary"), Some(&content), None).unwrap();
            let mut raw = vec![HAS_SUMMARY | HAS_CONTENT, 7, 0, 0, 0];
            raw.extend_from_slice(b"Summary");
            raw.extend_from_slice(content.as_bytes());
            assert_eq!(blob, zstd::bulk::compress(&raw, LEVEL).unwrap(), "{n} paragraphs");
            assert!(blob.starts_with(&ZSTD_MAGIC));
            let back = unpack(Some(&blob), &no_dictionary).unwrap();
            assert_eq!(back, (Some("Summary".to_string()), Some(content)));
        }
    }

    /// A body as databases written before Zstandard hold it: raw DEFLATE, level 2.
    fn deflated(summary: Option<&str>, content: Option<&str>) -> Vec<u8> {
        let flags =
            u8::from(summary.is_some()) * HAS_SUMMARY + u8::from(content.is_some()) * HAS_CONTENT;
        let summary = summary.unwrap_or_default();
        let mut raw = vec![flags];
        raw.extend_from_slice(&u32::try_from(summary.len()).unwrap().to_le_bytes());
        raw.extend_from_slice(summary.as_bytes());
        raw.extend_from_slice(content.unwrap_or_default().as_bytes());
        let mut z = DeflateEncoder::new(Vec::new(), Compression::new(2));
        z.write_all(&raw).unwrap();
        z.finish().unwrap()
    }

    #[test]
    fn bodies_stored_as_deflate_before_still_read_back_whole_and_in_part() {
        let long = "<p>Council tax, é ✓ and housing.</p>".repeat(500);
        for (s, c) in [
            (Some("<p>Short.</p>"), Some(long.as_str())),
            (None, Some("<p>Only content.</p>")),
            (Some(long.as_str()), None),
            (Some(""), Some("")),
        ] {
            let old = deflated(s, c);
            assert!(!old.starts_with(&ZSTD_MAGIC));
            let new = pack(s, c, None).unwrap();
            assert_eq!(
                unpack(Some(&old), &no_dictionary).unwrap(),
                unpack(Some(&new), &no_dictionary).unwrap()
            );
            assert_eq!(
                unpack(Some(&old), &no_dictionary).unwrap(),
                (s.map(String::from), c.map(String::from))
            );
            for bytes in [0, 1, 13, 100, 1_000_000] {
                assert_eq!(
                    unpack_opening(Some(&old), bytes, &no_dictionary).unwrap(),
                    unpack_opening(Some(&new), bytes, &no_dictionary).unwrap(),
                    "{bytes} bytes of {s:?} / {c:?}"
                );
            }
        }
    }

    #[test]
    fn prose_is_stored_in_well_under_half_its_size() {
        let para = "<p>The survey of 140 councils found that nine in ten expect to raise council \
                    tax by the maximum allowed, and a third are considering selling assets.</p>";
        let content = (0..12).map(|i| format!("{para}<p>Paragraph {i}.</p>")).collect::<String>();
        let summary = "The survey of 140 councils found that nine in ten expect to raise…";
        let blob = pack(Some(summary), Some(&content), None).unwrap();
        assert!(blob.len() * 2 < content.len(), "{} of {}", blob.len(), content.len());
    }

    #[test]
    fn an_opening_is_the_start_of_the_content_else_of_the_summary() {
        let long = "<p>Council tax, é ✓ and housing.</p>".repeat(2_000);
        for (s, c) in [
            (Some("<p>Short.</p>"), Some(long.as_str())),
            (Some(long.as_str()), Some("<p>Only a little content.</p>")),
            (None, Some(long.as_str())),
            (Some(long.as_str()), None),
            (Some("<p>Only a summary, é.</p>"), None),
            (Some(""), Some("")),
            (Some("x"), Some("")),
        ] {
            let blob = pack(s, c, None).unwrap();
            let html = c.or(s).unwrap();
            for bytes in [0, 1, 10, 11, 12, 13, 100, 1136, 1_000_000] {
                let mut cut = html.len().min(bytes);
                while !html.is_char_boundary(cut) {
                    cut -= 1;
                }
                assert_eq!(
                    unpack_opening(Some(&blob), bytes, &no_dictionary).unwrap(),
                    (html[..cut].to_string(), bytes >= html.len()),
                    "{bytes} bytes of {s:?} / {c:?}"
                );
            }
        }
        assert_eq!(unpack_opening(None, 100, &no_dictionary).unwrap(), (String::new(), true));
    }

    #[test]
    fn a_damaged_blob_is_an_error_not_an_empty_entry() {
        assert!(unpack(Some(b"not deflate at all"), &no_dictionary).is_err());
        assert!(unpack_opening(Some(b"not deflate at all"), 100, &no_dictionary).is_err());
        let mut z = DeflateEncoder::new(Vec::new(), Compression::new(3));
        z.write_all(&[HAS_SUMMARY, 200, 0, 0, 0, b'x']).unwrap();
        let short = z.finish().unwrap();
        assert!(unpack(Some(&short), &no_dictionary).unwrap_err().contains("cut short"));
        assert!(
            unpack_opening(Some(&short), 100, &no_dictionary).unwrap_err().contains("cut short")
        );
        let blob =
            pack(Some("<p>A summary.</p>"), Some(&"<p>Text.</p>".repeat(100)), None).unwrap();
        assert!(unpack(Some(&blob[..blob.len() / 2]), &no_dictionary).is_err());
        assert!(unpack_opening(Some(&blob[..blob.len() / 2]), 100_000, &no_dictionary).is_err());
        assert!(unpack(Some(&blob[..3]), &no_dictionary).is_err());
        let mut garbled = blob.clone();
        garbled[4..].iter_mut().for_each(|b| *b = !*b);
        assert!(unpack(Some(&garbled), &no_dictionary).is_err());
        assert!(unpack_opening(Some(&garbled), 100, &no_dictionary).is_err());
        let old = deflated(Some("<p>A summary.</p>"), Some(&"<p>Text.</p>".repeat(100)));
        assert!(unpack_opening(Some(&old[..old.len() / 2]), 100_000, &no_dictionary).is_err());
    }
}
