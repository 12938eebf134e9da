//! The week's candidates: the entries an editor chooses from, with what was decided about
//! each. What counts as the week's is decided here, in one SQL condition that `candidates` and
//! `entries --week` share ([`IN_WEEK`]).

use rusqlite::named_params;

use super::sql::time;
use super::{Store, StoreError};
use crate::model::{Candidate, Triage};
use crate::timefmt::rfc3339;
use crate::week::WeekSpan;

/// Whether entry `e` belongs to the week bound as `:start`, `:end` and `:late_since` (see
/// [`WeekSpan`]): filed in it, or a late arrival (first seen in it, dated before it but not
/// before `:late_since`).
///
/// What a feed already held at its first successful poll is its backlog (its entries' first
/// seen time is that poll's): never a late arrival, and when undated (filed under the time
/// roundup first saw it) not the week's either. Without this, a first run or a newly added blog
/// put its whole archive into the week (issue 9, item 2).
pub(super) const IN_WEEK: &str = "(
    ((e.published >= :start AND e.published < :end
      AND NOT (e.dated_by = 'first_seen' AND {backlog}))
     OR (e.published < :start AND e.published >= :late_since
         AND e.first_seen >= :start AND e.first_seen < :end AND NOT {backlog})))";

/// Whether entry `e` came with its feed's first successful poll.
const BACKLOG: &str = "e.first_seen <= coalesce(
    (SELECT min(x.started_at) FROM fetches x
     WHERE x.feed_id = e.feed_id AND x.error IS NULL AND x.status BETWEEN 200 AND 299), '')";

/// [`IN_WEEK`] ready to use.
pub(super) fn in_week() -> String {
    IN_WEEK.replace("{backlog}", BACKLOG)
}

impl Store {
    /// The candidates of `week`: the entries that belong to it (see [`IN_WEEK`]), with what was
    /// decided about each. Skipped entries are left out unless `include_skipped`. Newest first.
    pub(crate) fn candidates(
        &self,
        week: &WeekSpan,
        include_skipped: bool,
    ) -> Result<Vec<Candidate>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare(&format!(
                "SELECT e.id, e.feed_id, coalesce(nullif(f.name, ''), nullif(f.title, ''), f.id),
                        e.title, e.url, e.author, e.published, e.dated_by, t.state, t.week,
                        e.published < :start
                 FROM entries e JOIN feeds f ON f.id = e.feed_id
                 LEFT JOIN triage t ON t.entry_id = e.id
                 WHERE {}
                   AND (:all OR t.state IS NOT 'skipped')
                 ORDER BY e.published DESC, e.id DESC",
                in_week()
            ))?;
            let params = named_params! {
                ":start": rfc3339(week.start),
                ":end": rfc3339(week.end),
                ":late_since": rfc3339(week.late_since),
                ":all": include_skipped,
            };
            let rows = stmt.query_map(params, |r| {
                let triage = match r.get::<_, Option<String>>(8)?.as_deref() {
                    Some("picked") => Triage::Picked,
                    Some("skipped") => Triage::Skipped,
                    _ => Triage::New,
                };
                Ok(Candidate {
                    id: r.get(0)?,
                    feed: r.get(1)?,
                    outlet: r.get(2)?,
                    title: r.get(3)?,
                    url: r.get(4)?,
                    author: r.get(5)?,
                    published: time(r, 6)?,
                    dated_by: r.get(7)?,
                    triage,
                    triage_week: r.get(9)?,
                    late: r.get(10)?,
                })
            })?;
            rows.collect()
        })
    }
}

impl Store {
    /// The first `chars` characters of the text of each entry of `week` (as [`IN_WEEK`]
    /// decides), whitespace collapsed: what a list of candidates shows under each title. Each
    /// comes with the entry's content hash; `known` gives the opening already made for an entry
    /// with that hash, if any (the desk keeps them between pages: making them means unpacking
    /// every entry's body), and only the others are made.
    pub(crate) fn candidate_openings(
        &self,
        week: &WeekSpan,
        chars: usize,
        known: &dyn Fn(crate::model::EntryId, &str) -> Option<String>,
    ) -> Result<Vec<CandidateOpening>, StoreError> {
        self.read(|c| {
            let decoders = super::dictionary::Decoders::of(c);
            let mut stmt = c.prepare(&format!(
                "SELECT e.id, e.content_hash, b.body, e.text_without_html
                 FROM entries e LEFT JOIN entry_bodies b ON b.entry_id = e.id WHERE {}",
                in_week()
            ))?;
            let params = named_params! {
                ":start": rfc3339(week.start),
                ":end": rfc3339(week.end),
                ":late_since": rfc3339(week.late_since),
            };
            let rows = stmt.query_map(params, |r| {
                let id = r.get(0)?;
                let hash: String = r.get(1)?;
                if let Some(text) = known(id, &hash) {
                    return Ok(CandidateOpening { id, hash, text });
                }
                let text = match r.get::<_, Option<String>>(3)? {
                    Some(text) => text,
                    // The text is not stored (store/body.rs): made from the opening of the
                    // HTML, enough of it for `chars` characters of text.
                    None => super::entries::opening_text(r, id, 2, chars, &decoders)?,
                };
                Ok(CandidateOpening { id, hash, text: opening(&text, chars) })
            })?;
            rows.collect()
        })
    }
}

/// The opening of one candidate ([`Store::candidate_openings`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CandidateOpening {
    pub id: crate::model::EntryId,
    /// The entry's content hash: a new one means a new opening.
    pub hash: String,
    pub text: String,
}

/// `text`'s first words, whitespace collapsed, cut at a word boundary within `chars`
/// characters (with `…` when cut).
fn opening(text: &str, chars: usize) -> String {
    let mut out = String::new();
    for word in text.split_whitespace() {
        let needed = out.chars().count() + usize::from(!out.is_empty()) + word.chars().count();
        if needed > chars {
            out.push('…');
            return out;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::EntryId;
    use crate::store::test_store_with;
    use crate::week::IsoWeek;
    use chrono::Utc;

    const WEEK: IsoWeek = IsoWeek { year: 2026, week: 48 };
    fn span() -> WeekSpan {
        WEEK.span(chrono_tz::UTC, std::time::Duration::from_secs(14 * 86_400))
    }

    fn ids(c: &[Candidate]) -> Vec<i64> {
        c.iter().map(|c| c.id.0).collect()
    }

    #[test]
    fn an_opening_from_the_start_of_the_html_is_the_opening_of_all_of_it() {
        let prose = "<p>The survey of 140 councils found that nine in ten expect to raise council \
                     tax by the <a href=\"https://example.org/a/very/long/link\">maximum</a> \
                     allowed &amp; a third are considering selling assets.</p>";
        let samples = [
            prose.repeat(5),
            format!("<p>Short.</p>{}", prose.repeat(3)),
            format!("<script>var x = '<p>not text</p>';</script>{}", prose.repeat(2)),
            format!("<!-- a <b>comment</b> -->{}", prose.repeat(2)),
            format!("<p>{}</p>", "Wordswithoutanyspacesatallforalongwhile".repeat(20)),
            format!("<p>{}</p>", "地方議会の予算 ".repeat(100)),
            "<p>A&nbsp;b &eacute; &#8217; c</p>".repeat(40),
            format!("<p>{}</p>{prose}", "Coun<b>cil</b> ".repeat(30)),
            "<p>Tiny.</p>".to_string(),
            String::new(),
        ];
        let mut enough = 0;
        for html in &samples {
            let whole = crate::html_text::html_to_text(html);
            for chars in [10, 50, 110, 400] {
                for bytes in [chars * 2 + 64, chars, chars * 3, chars * 8 + 256] {
                    let mut cut = html.len().min(bytes);
                    while !html.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    let Some(text) = super::super::entries::text_of_a_cut(&html[..cut], chars)
                    else {
                        continue;
                    };
                    enough += 1;
                    assert_eq!(
                        opening(&text, chars),
                        opening(&whole, chars),
                        "{chars} characters from {bytes} bytes of {html:?}"
                    );
                }
            }
        }
        assert!(enough > 40, "the start was enough {enough} times");
    }

    #[test]
    fn an_opening_is_cut_at_a_word_within_its_length() {
        assert_eq!(opening("  One two\n\nthree four ", 100), "One two three four");
        assert_eq!(opening("One two three four", 9), "One two…");
        assert_eq!(opening("", 9), "");
    }

    #[test]
    fn candidates_are_the_weeks_entries_plus_late_arrivals() {
        let (_d, mut s) = test_store_with(&[
            ("in-week", "2026-11-24T09:00:00Z", "2026-11-24T10:00:00Z"),
            ("late", "2026-11-10T09:00:00Z", "2026-11-25T10:00:00Z"),
            ("old", "2026-11-10T09:00:00Z", "2026-11-10T10:00:00Z"),
            ("next-week", "2026-12-01T09:00:00Z", "2026-12-01T10:00:00Z"),
        ]);
        let c = s.candidates(&span(), false).unwrap();
        assert_eq!(ids(&c), [1, 2]);
        assert!(!c[0].late && c[1].late);
        assert_eq!(c[0].outlet, "LGIU");
        s.skip(WEEK, EntryId(2), Utc::now()).unwrap();
        s.skip(WEEK, EntryId(1), Utc::now()).unwrap();
        assert!(s.candidates(&span(), false).unwrap().is_empty(), "skipped: not shown again");
        let all = s.candidates(&span(), true).unwrap();
        assert_eq!(ids(&all), [1, 2], "--all lists skipped late arrivals like any other");
        assert!(all.iter().all(|c| c.triage == Triage::Skipped));
    }

    #[test]
    fn openings_already_made_for_the_same_content_are_not_made_again() {
        let (_d, s) = test_store_with(&[
            ("one", "2026-11-24T09:00:00Z", "2026-11-24T10:00:00Z"),
            ("two", "2026-11-25T09:00:00Z", "2026-11-25T10:00:00Z"),
        ]);
        let made = s.candidate_openings(&span(), 110, &|_, _| None).unwrap();
        assert_eq!(made.len(), 2);
        assert!(made.iter().all(|o| !o.text.is_empty() && !o.hash.is_empty()), "{made:?}");
        let one = made.iter().find(|o| o.id == EntryId(1)).unwrap().clone();
        let kept = |id: EntryId, hash: &str| {
            (id == one.id && hash == one.hash).then(|| "kept opening".to_string())
        };
        let again = s.candidate_openings(&span(), 110, &kept).unwrap();
        let text = |id| again.iter().find(|o| o.id == EntryId(id)).unwrap().text.clone();
        assert_eq!(text(1), "kept opening", "the same content: the kept one");
        assert_eq!(text(2), made.iter().find(|o| o.id == EntryId(2)).unwrap().text);
        let other_hash = |_: EntryId, _: &str| None;
        let fresh = s.candidate_openings(&span(), 110, &other_hash).unwrap();
        assert_eq!(fresh, made, "nothing kept: all made again, the same");
    }

    /// Issue 9, item 2: a first run, or a blog added this week, put its whole archive (posts
    /// from 2009 to 2022) into the week as late arrivals.
    #[test]
    fn a_feeds_backlog_is_never_a_late_arrival_and_late_ones_are_recent() {
        let first_poll = "2026-11-24T10:00:00Z";
        let later_poll = "2026-11-26T10:00:00Z";
        let (_d, s) = test_store_with(&[
            // The first successful poll: what the feed already held.
            ("archive-2009", "2009-03-02T09:00:00Z", first_poll),
            ("archive-2022", "2022-06-01T09:00:00Z", first_poll),
            ("recent-backlog", "2026-11-20T09:00:00Z", first_poll),
            ("undated-backlog", "", first_poll),
            ("this-week", "2026-11-23T09:00:00Z", first_poll),
            // Later polls: new to the feed.
            ("within-horizon", "2026-11-10T09:00:00Z", later_poll),
            ("beyond-horizon", "2026-11-01T09:00:00Z", later_poll),
            ("undated-new", "", later_poll),
        ]);
        let c = s.candidates(&span(), true).unwrap();
        let titles: Vec<&str> = c.iter().map(|c| c.title.as_deref().unwrap()).collect();
        assert_eq!(titles, ["Post undated-new", "Post this-week", "Post within-horizon"]);
        assert_eq!(c.iter().map(|c| c.late).collect::<Vec<_>>(), [false, false, true]);
        // The horizon is the setting's: a day catches nothing late.
        let narrow = WEEK.span(chrono_tz::UTC, std::time::Duration::from_secs(86_400));
        let c = s.candidates(&narrow, true).unwrap();
        assert_eq!(c.len(), 2, "{c:?}");
    }
}
