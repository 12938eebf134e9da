//! Entry bodies' Zstandard dictionary (issue 11): trained once per database on its own first
//! bodies, kept in `body_dictionaries` (migration 9), and named by id in the header of every
//! frame packed with it. Bodies are short (a post's HTML, a few KB), so a frame packed alone
//! repeats what every post says (markup, boilerplate, the sector's words); a dictionary made
//! from the database's own posts holds that once.
//!
//! ```text
//! writes ─► [bodies stored ≥ TRAIN_AT?] ─► samples (the first bodies, ≤ SAMPLE_BYTES)
//!        ─► ZDICT training ─► one transaction: the dictionary row, the first bodies repacked
//!        ─► the Packer hands it to every later pack (the writer's and the poll jobs')
//! ```
//!
//! Reading looks a frame's dictionary up by id ([`Decoders`]) and keeps it prepared for the
//! life of the process, so unpacking a body costs what it did without one. A dictionary that
//! is missing or whose bytes do not match the checksum stored with it is an error (named with
//! the entry by the caller), never an empty body; the bodies themselves are left as they are.
//!
//! Owns when to train, on what, the dictionary table and the prepared dictionaries. Does not
//! own the frame format (`body`).

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, PoisonError, RwLock};

use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};
use zstd::zstd_safe::{CDict, DDict};

use super::{Abort, Store, StoreError, body};
use crate::hex::hex;

/// Bodies stored before a dictionary is trained, and the most bytes of them trained on: the
/// first 2,000 bodies, up to 2 MB of them ([`SAMPLE_BYTES`]). Measured (issue 11, see the commit) on the scale
/// bench's 100,000-entry database and on the posts of ../shared/corpus/real: a dictionary from
/// 1,000 bodies (3.2 MB) stores 0.420 of the bytes of the next 20,000 where 4,000 (12.5 MB)
/// store 0.419 and 8,000 0.419 (without one: 0.499), so more samples buy nothing, while
/// training time and memory grow with them (0.3 s and +15 MB for 3 MB, 1.7 s and +24 MB for
/// 12.5 MB, 2.9 s and +36 MB for 25 MB, on this shared 2-core machine). Few enough that most
/// of a database is packed with a dictionary; the bodies stored before it are packed again
/// when it is made (up to [`REPACK_AT_TRAINING`]).
pub(super) const TRAIN_AT: u64 = 2_000;

/// Most bytes of unpacked bodies trained on (and held in memory while training), see
/// [`TRAIN_AT`]: training is bounded in time and memory whatever the bodies' size. With
/// [`TRAINING`]'s settings, 2 MB of the corpus posts packed the rest to 0.379 of their bytes
/// and 2.6 MB to 0.379 (1 MB: 0.381), so more buys nothing but time and memory (training
/// holds about 9 bytes for each byte of samples).
const SAMPLE_BYTES: usize = 2 << 20;

/// Fewest bytes of samples worth training on: a database of very short bodies waits for more.
const MIN_SAMPLE_BYTES: usize = 1 << 20;

/// The largest dictionary trained. Measured with [`TRAIN_AT`]'s samples: 64 KiB stores 0.323
/// of the corpus posts' bytes (32 KiB 0.327, 110 KiB 0.323; without one 0.402) and 0.423 of
/// the scale bench's (32 KiB 0.419, 110 KiB 0.430), and its prepared form takes 113 KB.
const DICTIONARY_BYTES: usize = 64 << 10;

/// The bodies stored before the dictionary that are packed again with it when it is made, at
/// most (the first, by entry id): all of them on a database that trains at [`TRAIN_AT`], a
/// bounded part of an older database that had many before this version.
const REPACK_AT_TRAINING: u64 = 4 * TRAIN_AT;

/// A trained dictionary, prepared for packing at [`body::LEVEL`].
pub(crate) struct PackDictionary {
    id: u32,
    prepared: CDict<'static>,
}

impl PackDictionary {
    /// `bytes` (a dictionary with id `id`) prepared for packing; `None` when Zstandard refuses it.
    fn new(id: u32, bytes: &[u8]) -> Option<PackDictionary> {
        Some(PackDictionary { id, prepared: CDict::try_create(bytes, body::LEVEL)? })
    }

    /// Its id, as each frame packed with it names it.
    pub(super) fn id(&self) -> u32 {
        self.id
    }

    /// Prepared for packing.
    pub(super) fn prepared(&self) -> &CDict<'static> {
        &self.prepared
    }
}

/// The dictionary new bodies are packed with, shared by the store and whatever packs bodies
/// before the writer (a poll's jobs): set once it is read from the database or trained, so
/// bodies packed after that use it. `None` until then (those bodies are packed without one).
#[derive(Clone, Default)]
pub(crate) struct Packer(Arc<RwLock<Option<Arc<PackDictionary>>>>);

impl Packer {
    /// The dictionary to pack with now, if any.
    pub(crate) fn dictionary(&self) -> Option<Arc<PackDictionary>> {
        self.0.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    fn set(&self, dictionary: Arc<PackDictionary>) {
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = Some(dictionary);
    }
}

/// Where a store stands with its dictionary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Training {
    /// The database has not been looked at yet (nothing was written).
    NotLooked,
    /// No dictionary yet: about `bodies` stored, and one is trained at `train_at`.
    Counting { bodies: u64, train_at: u64 },
    /// A dictionary is in use, or none will be tried again in this process (training failed,
    /// or the database's one is damaged).
    Settled,
}

impl Store {
    /// The handle bodies packed before the writer take their dictionary from (a poll's jobs):
    /// the database's dictionary once read or trained.
    pub(crate) fn packer(&mut self) -> Result<Packer, StoreError> {
        self.look_for_dictionary()?;
        Ok(self.packer.clone())
    }

    /// The dictionary to pack new bodies with now, if any.
    pub(super) fn pack_dictionary(&mut self) -> Result<Option<Arc<PackDictionary>>, StoreError> {
        self.look_for_dictionary()?;
        Ok(self.packer.dictionary())
    }

    /// Reads the database's dictionary (its newest, should there be several) into the
    /// [`Packer`], or counts its bodies towards training one; once per store.
    fn look_for_dictionary(&mut self) -> Result<(), StoreError> {
        if self.training != Training::NotLooked {
            return Ok(());
        }
        let newest: Option<(i64, Vec<u8>, String)> = self.read(|c| {
            c.query_row(
                "SELECT id, dictionary, sha256 FROM body_dictionaries ORDER BY rowid DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
        })?;
        self.training = match newest {
            Some((id, bytes, sha256)) => {
                // A damaged dictionary packs nothing more: new bodies go without one (the
                // error shows where a body needs it).
                if let Some(dictionary) = u32::try_from(id)
                    .ok()
                    .filter(|&id| checked(id, &bytes, &sha256).is_ok())
                    .and_then(|id| PackDictionary::new(id, &bytes))
                {
                    self.packer.set(Arc::new(dictionary));
                }
                Training::Settled
            }
            None => Training::Counting {
                bodies: self.read(|c| count_bodies(c, TRAIN_AT))?,
                train_at: TRAIN_AT,
            },
        };
        Ok(())
    }

    /// After a write that stored up to `new` more bodies: trains the dictionary when the
    /// database holds enough of them. Never fails the write that came before (it is committed):
    /// should training fail (a busy database, say), bodies are packed without a dictionary, as
    /// before, and the next process tries again.
    pub(super) fn bodies_written(&mut self, new: u64) {
        if self.train_when_due(new).is_err() {
            self.training = Training::Settled;
        }
    }

    fn train_when_due(&mut self, new: u64) -> Result<(), StoreError> {
        let Training::Counting { bodies, train_at } = &mut self.training else {
            return Ok(());
        };
        *bodies += new;
        if *bodies < *train_at {
            return Ok(());
        }
        // `new` counted entries, some of which have no body: count again.
        let train_at = *train_at;
        let counted = self.read(|c| count_bodies(c, train_at))?;
        if counted < train_at {
            self.training = Training::Counting { bodies: counted, train_at };
            return Ok(());
        }
        self.train_dictionary()
    }

    /// Trains the dictionary on the database's first bodies and stores it, with the bodies
    /// stored before it packed again with it, in one transaction; then packs with it. Bounded:
    /// at most [`SAMPLE_BYTES`] of bodies are held and trained on, at most
    /// [`REPACK_AT_TRAINING`] bodies packed again (a slice at a time).
    fn train_dictionary(&mut self) -> Result<(), StoreError> {
        let samples = self.read(read_samples)?;
        if samples.bytes.len() < MIN_SAMPLE_BYTES {
            // Short bodies: try again when there are twice as many.
            let bodies = u64::try_from(samples.sizes.len()).unwrap_or(u64::MAX);
            self.training =
                Training::Counting { bodies, train_at: bodies.saturating_mul(2).max(TRAIN_AT) };
            return Ok(());
        }
        let trained = train(&samples);
        let sample_count = i64::try_from(samples.sizes.len()).unwrap_or(i64::MAX);
        drop(samples);
        let Some((id, dictionary, decoder)) = trained.as_deref().and_then(|trained| {
            let id = zstd::zstd_safe::get_dict_id(trained)?.get();
            Some((id, PackDictionary::new(id, trained)?, DDict::try_create(trained)?))
        }) else {
            self.training = Training::Settled;
            return Ok(());
        };
        let trained = trained.unwrap_or_default();
        let now = crate::timefmt::rfc3339(chrono::Utc::now());
        let stored = self.write(|tx| {
            // Another process may have trained one since this store looked.
            let any: bool =
                tx.query_row("SELECT EXISTS (SELECT 1 FROM body_dictionaries)", [], |r| r.get(0))?;
            if any {
                return Ok::<_, Abort<StoreError>>(false);
            }
            tx.execute(
                "INSERT INTO body_dictionaries (id, dictionary, sha256, samples, trained_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![id, trained, hex(&Sha256::digest(&trained)), sample_count, now],
            )?;
            repack_first_bodies(tx, &dictionary, &decoder)?;
            Ok(true)
        })?;
        if stored {
            self.packer.set(Arc::new(dictionary));
            self.training = Training::Settled;
        } else {
            self.training = Training::NotLooked;
            self.look_for_dictionary()?;
        }
        Ok(())
    }
}

/// Packs the first [`REPACK_AT_TRAINING`] bodies stored without a dictionary again with
/// `dictionary` (inside the transaction that stores it), a slice at a time. A body is replaced
/// only by a frame that reads back to exactly the same bytes (`decoder`) and is smaller; one
/// that does not unpack is left as it is.
fn repack_first_bodies(
    tx: &Connection,
    dictionary: &PackDictionary,
    decoder: &DDict<'_>,
) -> rusqlite::Result<()> {
    let mut slice = tx.prepare(
        "SELECT entry_id, body FROM entry_bodies WHERE entry_id > ?1 ORDER BY entry_id LIMIT 256",
    )?;
    let mut replace = tx.prepare("UPDATE entry_bodies SET body = ?2 WHERE entry_id = ?1")?;
    let mut after = i64::MIN;
    let mut seen = 0;
    while seen < REPACK_AT_TRAINING {
        let rows: Vec<(i64, Vec<u8>)> = slice
            .query_map([after], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let Some(&(last, _)) = rows.last() else { break };
        after = last;
        for (entry_id, stored) in rows {
            seen += 1;
            if body::dictionary_id(&stored).is_some() {
                continue;
            }
            let Ok(raw) = body::unpack_raw(&stored, &|id| Err(format!("dictionary {id}"))) else {
                continue;
            };
            let packed = body::pack_raw(&raw, Some(dictionary));
            let reads_back =
                body::unzstd_with(&packed, raw.len(), decoder).is_ok_and(|back| back == raw);
            if reads_back && packed.len() < stored.len() {
                replace.execute(params![entry_id, packed])?;
            }
        }
    }
    Ok(())
}

/// Bodies stored, counted up to `most` (so a large database is not read through).
fn count_bodies(c: &Connection, most: u64) -> rusqlite::Result<u64> {
    c.query_row(
        "SELECT count(*) FROM (SELECT 1 FROM entry_bodies LIMIT ?1)",
        [i64::try_from(most).unwrap_or(i64::MAX)],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| u64::try_from(n).unwrap_or(0))
}

/// Bodies to train on, as ZDICT takes them: one after another in one buffer, with each one's
/// length. Each body is held once: a list of bodies and the buffer made from it held the
/// samples twice (4 MB more, with 4 MB of samples, at a cold 100,000-feed fetch's peak RSS,
/// which is when the dictionary is trained: heaptrack).
#[derive(Debug, Default)]
struct Samples {
    bytes: Vec<u8>,
    sizes: Vec<usize>,
}

impl Samples {
    /// Room for [`SAMPLE_BYTES`] reserved at once, so the buffer never moves while it fills.
    fn with_room() -> Samples {
        Samples { bytes: Vec::with_capacity(SAMPLE_BYTES), sizes: Vec::new() }
    }

    /// Adds `body`, unless it would take the samples past [`SAMPLE_BYTES`]; whether it did.
    fn add(&mut self, body: &[u8]) -> bool {
        if self.bytes.len() + body.len() > SAMPLE_BYTES {
            return false;
        }
        self.bytes.extend_from_slice(body);
        self.sizes.push(body.len());
        true
    }
}

/// The first bodies (by entry id) packed without a dictionary, unpacked, up to [`SAMPLE_BYTES`]
/// in all. One that does not unpack is left out (reading it shows the error).
fn read_samples(c: &Connection) -> rusqlite::Result<Samples> {
    let mut stmt = c.prepare("SELECT body FROM entry_bodies ORDER BY entry_id")?;
    let mut rows = stmt.query([])?;
    let mut samples = Samples::with_room();
    while let Some(r) = rows.next()? {
        let stored = r.get_ref(0)?.as_blob()?;
        if body::dictionary_id(stored).is_some() {
            continue;
        }
        let Ok(raw) = body::unpack_raw(stored, &|id| Err(format!("dictionary {id}"))) else {
            continue;
        };
        if !samples.add(&raw) {
            break;
        }
    }
    Ok(samples)
}

/// A dictionary trained on `samples` with ZDICT's fastCover at fixed [`TRAINING`] settings, at
/// most [`DICTIONARY_BYTES`]; `None` when Zstandard cannot make one of them.
fn train(samples: &Samples) -> Option<Vec<u8>> {
    use zstd::zstd_safe::zstd_sys;
    let count = u32::try_from(samples.sizes.len()).ok()?;
    let mut dictionary = vec![0; DICTIONARY_BYTES];
    // SAFETY: the two buffers are valid for the lengths passed (`dictionary`'s whole length;
    // `samples.bytes` is exactly the `count` samples whose sizes `samples.sizes` holds), and
    // ZDICT writes at most `dictionary.len()` bytes into it and reads only those.
    let written = unsafe {
        zstd_sys::ZDICT_trainFromBuffer_fastCover(
            dictionary.as_mut_ptr().cast(),
            dictionary.len(),
            samples.bytes.as_ptr().cast(),
            samples.sizes.as_ptr(),
            count,
            TRAINING.params(),
        )
    };
    // SAFETY: a plain function of the returned code.
    if unsafe { zstd_sys::ZDICT_isError(written) } != 0 {
        return None;
    }
    dictionary.truncate(written);
    Some(dictionary)
}

/// fastCover's settings, fixed (ZDICT's default trainer tries five segment sizes, each tested
/// by compressing a quarter of the samples, and tunes its tables for level 3). Measured (issue
/// 11) on the posts of ../shared/corpus, 1,000 held back to pack: the default trainer took
/// 120–450 ms on 1–2 MB of samples and packed them to 0.386–0.390 of their bytes; these
/// settings took 20–140 ms and packed them to 0.379–0.381 (without a dictionary: 0.419).
/// `f` = 18 holds its frequency table in 1 MB where the default 20 takes 4 MB, and packed
/// the same.
struct FastCover {
    /// Segment size, in bytes.
    k: u32,
    /// Length of the runs counted, in bytes.
    d: u32,
    /// log2 of the frequency table's entries.
    f: u32,
}

const TRAINING: FastCover = FastCover { k: 200, d: 8, f: 18 };

impl FastCover {
    fn params(&self) -> zstd::zstd_safe::zstd_sys::ZDICT_fastCover_params_t {
        use zstd::zstd_safe::zstd_sys;
        zstd_sys::ZDICT_fastCover_params_t {
            k: self.k,
            d: self.d,
            f: self.f,
            steps: 0,
            nbThreads: 0,
            splitPoint: 1.0,
            accel: 1,
            shrinkDict: 0,
            shrinkDictMaxRegression: 0,
            // Entropy tables for the level bodies are packed at.
            zParams: zstd_sys::ZDICT_params_t {
                compressionLevel: body::LEVEL,
                notificationLevel: 0,
                dictID: 0,
            },
        }
    }
}

/// Whether `bytes` are dictionary `id` as stored: the checksum stored with it matches and its
/// header names that id. Else why not.
fn checked(id: u32, bytes: &[u8], sha256: &str) -> Result<(), String> {
    if hex(&Sha256::digest(bytes)) != sha256 {
        return Err(format!(
            "dictionary {id} is damaged (its bytes do not match the checksum stored with it)"
        ));
    }
    if zstd::zstd_safe::get_dict_id_from_dict(bytes).map(std::num::NonZeroU32::get) != Some(id) {
        return Err(format!("dictionary {id} is damaged (its header names another id)"));
    }
    Ok(())
}

/// Dictionaries prepared for unpacking, by database file and id, for the life of the process:
/// preparing one costs far more than unpacking a body with it. A dictionary never changes once
/// stored (the table is only added to), so an entry is never stale.
static DECODERS: LazyLock<Mutex<HashMap<String, DecodersOfFile>>> = LazyLock::new(Mutex::default);

/// One database file's prepared dictionaries, by id.
type DecodersOfFile = HashMap<u32, Arc<DDict<'static>>>;

/// Finds the dictionaries a database's frames name, prepared ([`DECODERS`]).
pub(super) struct Decoders<'c> {
    conn: &'c Connection,
}

impl<'c> Decoders<'c> {
    /// The dictionaries of the database `conn` is open on.
    pub(super) fn of(conn: &'c Connection) -> Decoders<'c> {
        Decoders { conn }
    }

    /// Dictionary `id`, prepared for unpacking; else why it cannot be had (not in the
    /// database, damaged, unreadable).
    pub(super) fn get(&self, id: u32) -> Result<Arc<DDict<'static>>, String> {
        let file = self.conn.path().unwrap_or_default();
        let cached = || {
            let all = DECODERS.lock().unwrap_or_else(PoisonError::into_inner);
            all.get(file).and_then(|of_file| of_file.get(&id)).cloned()
        };
        if let Some(found) = cached() {
            return Ok(found);
        }
        let row: Option<(Vec<u8>, String)> = self
            .conn
            .prepare_cached("SELECT dictionary, sha256 FROM body_dictionaries WHERE id = ?1")
            .and_then(|mut s| s.query_row([id], |r| Ok((r.get(0)?, r.get(1)?))).optional())
            .map_err(|e| format!("dictionary {id} cannot be read: {e}"))?;
        let Some((bytes, sha256)) = row else {
            return Err(format!(
                "its stored body was packed with dictionary {id}, which the database does not hold"
            ));
        };
        checked(id, &bytes, &sha256)?;
        let prepared = Arc::new(
            DDict::try_create(&bytes)
                .ok_or_else(|| format!("dictionary {id} is damaged (Zstandard refuses it)"))?,
        );
        // A database in memory has no file to tell it apart by: not kept.
        if !file.is_empty() {
            let mut all = DECODERS.lock().unwrap_or_else(PoisonError::into_inner);
            all.entry(file.to_string()).or_default().insert(id, prepared.clone());
        }
        Ok(prepared)
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, Utc};

    use super::*;
    use crate::model::{DatedBy, EntryId, EntryRecord, FeedPoll};
    use crate::store::test_store;

    const WORDS: &[&str] = &[
        "council",
        "housing",
        "budget",
        "care",
        "adult",
        "social",
        "planning",
        "tax",
        "grant",
        "schools",
        "transport",
        "report",
        "minister",
        "local",
        "government",
        "funding",
        "reform",
        "devolution",
        "mayor",
        "authority",
        "services",
        "pressure",
        "survey",
        "deficit",
        "homes",
        "children",
        "waste",
        "libraries",
        "roads",
        "climate",
        "net",
        "zero",
        "pensions",
        "audit",
    ];

    /// Entry `n`'s content: a few paragraphs of sector prose in the markup blogs use, different
    /// from post to post (a pseudo-random walk over [`WORDS`]).
    fn post(n: u64) -> String {
        let mut state = n.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        let mut word = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            WORDS[usize::try_from(state % WORDS.len() as u64).unwrap()]
        };
        let mut html = String::from("<div class=\"entry-content\">");
        for _ in 0..4 {
            html.push_str("<p>");
            for _ in 0..20 {
                html.push_str(word());
                html.push(' ');
            }
            html.push_str(
                "<a href=\"https://lgiu.example/briefings/\">read the briefing</a></p>\n",
            );
        }
        html + "</div>"
    }

    fn record(n: u64) -> EntryRecord {
        EntryRecord {
            identity: format!("post-{n}"),
            url: Some(format!("https://lgiu.example/{n}")),
            title: Some(format!("Post {n}")),
            author: None,
            published: Utc::now() - Duration::hours(i64::try_from(n).unwrap()),
            dated_by: DatedBy::Published,
            updated: None,
            summary_html: Some(format!("<p>Post {n}, in short.</p>")),
            content_html: Some(post(n)),
            text: format!("Post {n}"),
            categories: vec![],
            content_hash: format!("h{n}"),
        }
    }

    /// Stores entries `from..to` of `lgiu`, a hundred a poll, as `fetch`'s writer does.
    fn write(s: &mut Store, from: u64, to: u64) {
        let ids: Vec<u64> = (from..to).collect();
        for chunk in ids.chunks(100) {
            let records = chunk.iter().map(|&n| record(n)).collect();
            s.record_polls(&[FeedPoll::stored(
                "lgiu",
                "https://lgiu.example/feed",
                Utc::now(),
                records,
            )])
            .unwrap();
        }
    }

    /// Each stored body's dictionary id (0: none), by entry id.
    fn dictionary_ids(s: &Store) -> Vec<u32> {
        s.read(|c| {
            let mut stmt = c.prepare("SELECT body FROM entry_bodies ORDER BY entry_id")?;
            let ids = stmt.query_map([], |r| {
                Ok(body::dictionary_id(r.get_ref(0)?.as_blob()?).unwrap_or(0))
            })?;
            ids.collect()
        })
        .unwrap()
    }

    fn dictionaries(s: &Store) -> Vec<u32> {
        s.read(|c| {
            let mut stmt = c.prepare("SELECT id FROM body_dictionaries")?;
            let ids = stmt.query_map([], |r| r.get(0))?;
            ids.collect()
        })
        .unwrap()
    }

    /// `bodies` as samples, whatever their size.
    fn samples_of(bodies: &[Vec<u8>]) -> Samples {
        Samples { bytes: bodies.concat(), sizes: bodies.iter().map(Vec::len).collect() }
    }

    #[test]
    fn bodies_round_trip_with_and_without_a_dictionary() {
        let samples: Vec<Vec<u8>> = (0..2_000)
            .map(|n| {
                let packed = body::pack(None, Some(&post(n)), None).unwrap();
                body::unpack_raw(&packed, &|_| Err("none".into())).unwrap()
            })
            .collect();
        let trained = train(&samples_of(&samples)).expect("a dictionary");
        let id = zstd::zstd_safe::get_dict_id(&trained).unwrap().get();
        let dictionary = PackDictionary::new(id, &trained).unwrap();
        let decoder = Arc::new(DDict::try_create(&trained).unwrap());
        let find = |asked: u32| {
            if asked == id { Ok(decoder.clone()) } else { Err(format!("no dictionary {asked}")) }
        };
        let long = post(99_999).repeat(40);
        for (s, c) in [
            (Some("<p>Short, é ✓.</p>"), Some(long.as_str())),
            (None, Some("<p>Only content.</p>")),
            (Some("<p>Only a summary.</p>"), None),
            (Some(""), Some("")),
        ] {
            let with = body::pack(s, c, Some(&dictionary)).unwrap();
            let without = body::pack(s, c, None).unwrap();
            assert_eq!(body::dictionary_id(&with), Some(id));
            assert_eq!(body::dictionary_id(&without), None);
            let expected = (s.map(String::from), c.map(String::from));
            assert_eq!(body::unpack(Some(&with), &find).unwrap(), expected);
            assert_eq!(body::unpack(Some(&without), &find).unwrap(), expected);
            for bytes in [0, 7, 100, 1_000_000] {
                assert_eq!(
                    body::unpack_opening(Some(&with), bytes, &find).unwrap(),
                    body::unpack_opening(Some(&without), bytes, &find).unwrap(),
                );
            }
        }
        // What it is for: posts like those it was trained on take far fewer bytes.
        let (mut with, mut without) = (0, 0);
        for n in 10_000..10_200 {
            with += body::pack(None, Some(&post(n)), Some(&dictionary)).unwrap().len();
            without += body::pack(None, Some(&post(n)), None).unwrap().len();
        }
        assert!(with * 3 < without * 2, "{with} bytes with the dictionary, {without} without");
    }

    #[test]
    fn the_fixed_training_packs_posts_as_small_as_zdicts_own_search() {
        let raw = |n| {
            let packed = body::pack(None, Some(&post(n)), None).unwrap();
            body::unpack_raw(&packed, &|_| Err("none".into())).unwrap()
        };
        let samples: Vec<Vec<u8>> = (0..1_000).map(raw).collect();
        let packed_size = |trained: &[u8]| {
            let id = zstd::zstd_safe::get_dict_id(trained).unwrap().get();
            let dictionary = PackDictionary::new(id, trained).unwrap();
            (5_000..5_300).map(|n| body::pack_raw(&raw(n), Some(&dictionary)).len()).sum::<usize>()
        };
        let ours = train(&samples_of(&samples)).expect("a dictionary");
        assert!(ours.len() <= DICTIONARY_BYTES);
        let mut theirs = Vec::with_capacity(DICTIONARY_BYTES);
        zstd::zstd_safe::train_from_buffer(
            &mut theirs,
            &samples.concat(),
            &samples.iter().map(Vec::len).collect::<Vec<_>>(),
        )
        .unwrap();
        let (ours, theirs) = (packed_size(&ours), packed_size(&theirs));
        assert!(ours <= theirs, "{ours} bytes with ours, {theirs} with ZDICT's default trainer");
    }

    #[test]
    fn samples_are_taken_in_order_until_the_next_would_pass_the_budget() {
        let mut samples = Samples::with_room();
        assert!(samples.add(b"first"));
        assert!(samples.add(&vec![b'x'; SAMPLE_BYTES - 6]));
        assert!(!samples.add(b"ab"), "one byte over the budget");
        assert!(samples.add(b"a"), "exactly the budget");
        assert_eq!(samples.sizes, [5, SAMPLE_BYTES - 6, 1]);
        assert_eq!(samples.bytes.len(), SAMPLE_BYTES);
        assert!(samples.bytes.starts_with(b"firstxx") && samples.bytes.ends_with(b"xa"));
        assert_eq!(samples.bytes.capacity(), SAMPLE_BYTES, "the buffer never grew");
    }

    #[test]
    fn the_dictionary_is_trained_once_when_enough_bodies_are_stored() {
        let (_dir, mut s) = test_store(Utc::now());
        write(&mut s, 0, TRAIN_AT - 100);
        assert!(dictionaries(&s).is_empty(), "not yet");
        assert!(dictionary_ids(&s).iter().all(|&id| id == 0));
        write(&mut s, TRAIN_AT - 100, TRAIN_AT + 100);
        let trained = dictionaries(&s);
        assert_eq!(trained.len(), 1, "trained when the count crossed {TRAIN_AT}");
        let id = trained[0];
        // The bodies trained on were packed again with it, and every later one is packed
        // with it.
        let ids = dictionary_ids(&s);
        assert_eq!(ids.len(), usize::try_from(TRAIN_AT + 100).unwrap());
        assert!(ids.iter().all(|&d| d == id), "the bodies stored before it were packed again");
        write(&mut s, TRAIN_AT + 100, TRAIN_AT + 300);
        let ids = dictionary_ids(&s);
        assert!(ids[ids.len() - 200..].iter().all(|&d| d == id));
        assert_eq!(dictionaries(&s), [id], "not trained again");
        // Every entry reads back whole, whichever way its body was packed.
        for n in [0, 1, TRAIN_AT - 1, TRAIN_AT + 50, TRAIN_AT + 299] {
            let e = s.entry(EntryId(i64::try_from(n + 1).unwrap())).unwrap().unwrap();
            assert_eq!(e.content_html.as_deref(), Some(post(n).as_str()), "entry {}", n + 1);
        }
        // Another process (a store opened again) packs with the same dictionary, and does not
        // train another.
        let path = s.path.clone();
        drop(s);
        let mut again = Store::open(&path).unwrap();
        write(&mut again, TRAIN_AT + 300, TRAIN_AT + 400);
        assert_eq!(*dictionary_ids(&again).last().unwrap(), id);
        assert_eq!(dictionaries(&again), [id]);
        assert_eq!(again.integrity_check().unwrap(), "ok");
    }

    /// Every frame a database stores names a dictionary it holds: a body packed before the
    /// writer with another database's dictionary is packed again.
    #[test]
    fn a_body_packed_with_another_databases_dictionary_is_packed_again() {
        let (_d1, mut trained) = test_store(Utc::now());
        write(&mut trained, 0, TRAIN_AT + 100);
        let theirs = dictionaries(&trained)[0];
        let (_d2, mut fresh) = test_store(Utc::now());
        let poll =
            FeedPoll::stored("lgiu", "https://lgiu.example/feed", Utc::now(), vec![record(5)]);
        let packed = body::PackedPoll::packed(poll, &trained.packer().unwrap());
        assert_eq!(body::dictionary_id(packed.body(0).unwrap().as_deref().unwrap()), Some(theirs));
        fresh.record_packed_polls(std::slice::from_ref(&packed)).unwrap();
        assert_eq!(dictionary_ids(&fresh), [0], "packed again, without a dictionary");
        let e = fresh.entry(EntryId(1)).unwrap().unwrap();
        assert_eq!(e.content_html.as_deref(), Some(post(5).as_str()));
    }

    /// Bodies stored before the dictionary (DEFLATE from before Zstandard, frames without a
    /// dictionary) read back beside those packed with it.
    #[test]
    fn bodies_stored_before_the_dictionary_still_read_back() {
        let (_dir, mut s) = test_store(Utc::now());
        write(&mut s, 0, TRAIN_AT + 100);
        let id = dictionaries(&s)[0];
        let deflated = {
            use std::io::Write;
            let mut raw = vec![2u8, 0, 0, 0, 0];
            raw.extend_from_slice(b"<p>Deflated long ago.</p>");
            let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::new(2));
            z.write_all(&raw).unwrap();
            z.finish().unwrap()
        };
        let plain = body::pack(None, Some("<p>Packed without a dictionary.</p>"), None).unwrap();
        s.read(|c| {
            c.execute("UPDATE entry_bodies SET body = ?1 WHERE entry_id = 1", [&deflated])?;
            c.execute("UPDATE entry_bodies SET body = ?1 WHERE entry_id = 2", [&plain])
        })
        .unwrap();
        let content = |n: i64| s.entry(EntryId(n)).unwrap().unwrap().content_html.unwrap();
        assert_eq!(content(1), "<p>Deflated long ago.</p>");
        assert_eq!(content(2), "<p>Packed without a dictionary.</p>");
        assert_eq!(content(3), post(2));
        assert_eq!(dictionary_ids(&s)[2], id);
    }

    /// A frame naming a dictionary the database does not hold (or holds damaged) is an error
    /// that names the entry, and the body is left as it was.
    #[test]
    fn a_missing_or_damaged_dictionary_is_an_error_naming_the_entry() {
        let (_dir, mut s) = test_store(Utc::now());
        write(&mut s, 0, TRAIN_AT + 100);
        let id = dictionaries(&s)[0];
        let before: Vec<u8> = s
            .read(|c| {
                c.query_row("SELECT body FROM entry_bodies WHERE entry_id = 7", [], |r| r.get(0))
            })
            .unwrap();
        // Damaged: a byte of the dictionary changed (in another process: this one has it
        // prepared already, so the test reads through a store on a copy of the file).
        s.read(|c| {
            let mut bytes: Vec<u8> =
                c.query_row("SELECT dictionary FROM body_dictionaries", [], |r| r.get(0))?;
            bytes[100] ^= 0x55;
            c.execute("UPDATE body_dictionaries SET dictionary = ?1", [bytes])
        })
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let copy = dir.path().join("copy.sqlite3");
        s.read(|c| c.execute("VACUUM INTO ?1", [copy.to_str().unwrap()])).unwrap();
        let damaged = Store::open(&copy).unwrap();
        let err = damaged.entry(EntryId(7)).unwrap_err().to_string();
        assert!(
            err.contains("entry 7:") && err.contains(&format!("dictionary {id} is damaged")),
            "{err}"
        );
        // Missing.
        damaged.read(|c| c.execute("DELETE FROM body_dictionaries", [])).unwrap();
        let copy2 = dir.path().join("copy2.sqlite3");
        damaged.read(|c| c.execute("VACUUM INTO ?1", [copy2.to_str().unwrap()])).unwrap();
        let missing = Store::open(&copy2).unwrap();
        let err = missing.entry(EntryId(7)).unwrap_err().to_string();
        assert!(
            err.contains("entry 7:")
                && err.contains(&format!("dictionary {id}, which the database does not hold")),
            "{err}"
        );
        let week = crate::week::IsoWeek::containing(Utc::now(), chrono_tz::UTC)
            .span(chrono_tz::UTC, std::time::Duration::from_secs(14 * 86_400));
        let err = missing.candidate_openings(&week, 100, &|_, _| None).unwrap_err().to_string();
        assert!(err.contains("entry ") && err.contains("does not hold"), "{err}");
        let after: Vec<u8> = missing
            .read(|c| {
                c.query_row("SELECT body FROM entry_bodies WHERE entry_id = 7", [], |r| r.get(0))
            })
            .unwrap();
        assert_eq!(after, before, "the body is left as it was");
    }
}
