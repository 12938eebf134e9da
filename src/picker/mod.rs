//! The full-screen picker of `roundup week`: the week's candidates beside a preview, filter as
//! you type, pick / skip / reorder, and each pick's excerpt, lead-in and note.
//!
//! Three parts, so that all but the last are tested without a terminal:
//! - `state`: the pure state machine, key in, `Action` out;
//! - `view`: `draw(frame, &state)`, tested on ratatui's `TestBackend`;
//! - this module: the thin loop that reads crossterm events, writes every change to the store
//!   at once (quitting, or being killed, loses nothing), reloads the lists and draws; `term`
//!   owns raw mode, the alternate screen (left on return and on panic) and `$EDITOR`.
//!
//! The picker never fetches: excerpt suggestions come from the caller (`app` passes one that may
//! fetch the article page), so this module does not depend on `app`.
//!
//! Keys (the help line shows those of the current mode):
//!
//! ```text
//! list     ↑↓ / j k move, g G first / last, PgUp PgDn scroll the preview, Tab candidates / picks
//!          / filter, Esc clears it; space or p pick / unpick; s skip (not shown again)
//!          J K or shift-↑↓ move the pick down / up in the post; e excerpt; l lead-in; n note
//!          r the post's own fields; q or Ctrl-C quit
//! post     ↑↓ / j k choose title, intro, outro, tags or categories; Enter edits it in the
//!          input (Ctrl-E there opens $EDITOR); E opens $EDITOR at once; Esc back
//! filter   type; Backspace; ↑↓ move; Enter keeps the filter, Esc clears it
//! excerpt  ↑↓ / j k or its number (any number of digits) choose a suggestion; space marks it
//!          to quote several together (in article order, a paragraph each); Enter uses the
//!          marked ones, or the chosen one; w write your own (input); E edit the quote in
//!          $EDITOR; Esc back
//! input    type, ←→ Home End Backspace Delete, Ctrl-U clear; Enter saves (empty clears the
//!          field); Esc cancels; Ctrl-E opens $EDITOR with the text, for long text
//! ```
//!
//! Setting an excerpt, lead-in or note of an entry that is not picked yet picks it, as
//! `roundup pick ENTRY --note ...` does.

mod state;
mod term;
mod view;

use chrono::{DateTime, Utc};
use ratatui::crossterm::event::{self, Event, KeyEventKind};

use crate::config::Config;
use crate::error_chain::one_line;
use crate::model::{EntryDetail, EntryId, PickChange, RoundupEdit, comma_list};
use crate::store::{PickError, Store, StoreError};
use crate::week::{IsoWeek, WeekSpan};
use state::{Action, Field, PickerState, PostFields};

/// Why the picker stopped before the editor quit.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PickerError {
    /// The terminal could not be set up, read or drawn on.
    #[error("cannot use the terminal")]
    Terminal(#[from] std::io::Error),
    /// The database failed (a refused pick, such as one into a published roundup, is shown in
    /// the picker instead).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why excerpt suggestions could not be had (shown in the picker, which goes on).
pub(crate) type SuggestError = Box<dyn std::error::Error + Send + Sync>;

/// An entry's excerpt suggestions, and what went wrong finding them (shown in the picker's
/// status line: the suggester must not print under the picker).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Suggested {
    /// Numbered paragraphs, the first is 1.
    pub paragraphs: Vec<String>,
    /// E.g. an article page that could not be fetched.
    pub warnings: Vec<String>,
}

/// Where the picker gets an entry's excerpt suggestions. It may use the store, e.g. to cache
/// a fetched article page.
pub(crate) type Suggest<'a> =
    dyn FnMut(&mut Store, &EntryDetail) -> Result<Suggested, SuggestError> + 'a;

/// The week the picker works on.
struct Week {
    week: IsoWeek,
    span: WeekSpan,
    /// The title a roundup started by a pick gets.
    default_title: String,
}

impl Week {
    fn reload(&self, store: &Store, state: &mut PickerState) -> Result<(), StoreError> {
        state.refresh(store.candidates(&self.span, false)?, store.picks(self.week)?);
        state.set_post(self.post_fields(store)?);
        Ok(())
    }

    /// The roundup's own fields; before it is started, its default title and nothing else.
    fn post_fields(&self, store: &Store) -> Result<PostFields, StoreError> {
        Ok(match store.find_roundup(self.week)? {
            Some(r) => PostFields {
                title: r.title,
                intro: r.intro.unwrap_or_default(),
                outro: r.outro.unwrap_or_default(),
                tags: r.tags,
                categories: r.categories,
            },
            None => PostFields { title: self.default_title.clone(), ..PostFields::default() },
        })
    }
}

/// Runs the picker on the terminal until the editor quits; `suggest` gives the excerpt
/// suggestions of an entry; `feeds_notice`, shown in the header, what the editor should know
/// about the feeds (that some are failing).
pub(crate) fn run_with(
    config: &Config,
    store: &mut Store,
    week: IsoWeek,
    feeds_notice: Option<String>,
    suggest: &mut Suggest<'_>,
) -> Result<(), PickerError> {
    let span = week.span(config.settings.timezone, config.roundup.late_horizon);
    let week = Week { week, span, default_title: config.roundup.title.clone() };
    let mut state =
        PickerState::new(week.week, store.candidates(&week.span, false)?, store.picks(week.week)?);
    state.set_feeds_notice(feeds_notice);
    state.set_post(week.post_fields(store)?);
    let mut screen = term::Screen::enter()?;
    loop {
        load_preview(store, &mut state)?;
        screen.terminal.draw(|f| view::draw(f, &state))?;
        let action = match event::read()? {
            Event::Key(k) if k.kind != KeyEventKind::Release => state.key(k),
            _ => continue,
        };
        if !perform(action, &mut state, store, &week, &mut screen, suggest)? {
            return Ok(());
        }
    }
}

fn load_preview(store: &Store, state: &mut PickerState) -> Result<(), StoreError> {
    if let Some(id) = state.missing_detail()
        && let Some(d) = store.entry(id)?
    {
        state.add_detail(d);
    }
    Ok(())
}

/// Does what a key asked; false to quit.
fn perform(
    mut action: Action,
    state: &mut PickerState,
    store: &mut Store,
    week: &Week,
    screen: &mut term::Screen,
    suggest: &mut Suggest<'_>,
) -> Result<bool, PickerError> {
    loop {
        match action {
            Action::None => return Ok(true),
            Action::Quit => return Ok(false),
            Action::Suggest(id) => {
                state.set_status("finding excerpt suggestions…");
                screen.terminal.draw(|f| view::draw(f, state))?;
                let found = match store.entry(id)? {
                    Some(entry) => suggest(store, &entry).map_err(|e| one_line(&*e)),
                    None => Err(format!("entry {id} is gone")),
                };
                state.set_status("");
                let warnings = found.as_ref().map(|s| s.warnings.join("; ")).unwrap_or_default();
                state.suggestions_ready(id, found.map(|s| s.paragraphs));
                if !warnings.is_empty() {
                    state.set_error(warnings);
                }
                return Ok(true);
            }
            Action::Edit { entry, field, text } => {
                let edited = screen.suspended(|| term::edit(&text, field))?;
                action = state.editor_done(entry, field, edited);
            }
            write => {
                match apply(store, week, &write, Utc::now()) {
                    Ok(done) => state.set_status(done),
                    Err(PickError::Store(e)) => return Err(e.into()),
                    Err(refused) => state.set_error(refused.to_string()),
                }
                week.reload(store, state)?;
                return Ok(true);
            }
        }
    }
}

fn quoted(store: &Store, entry: EntryId) -> String {
    match store.entry(entry) {
        Ok(Some(d)) => format!("“{}”", d.title.as_deref().unwrap_or("(untitled)")),
        _ => format!("entry {entry}"),
    }
}

/// Writes one change to the store, at once; returns what to tell the editor.
fn apply(
    store: &mut Store,
    week: &Week,
    action: &Action,
    now: DateTime<Utc>,
) -> Result<String, PickError> {
    let (name, title) = (week.week, week.default_title.as_str());
    Ok(match action {
        Action::Pick(id) => {
            let p = store.pick(name, title, *id, &PickChange::default(), now)?;
            format!("picked {} as #{}", quoted(store, *id), p.position)
        }
        Action::Unpick(id) => {
            store.unpick(name, *id, now)?;
            format!("took {} out of {name}", quoted(store, *id))
        }
        Action::Skip(id) => {
            store.skip(name, *id, now)?;
            format!("skipped {}: not shown again", quoted(store, *id))
        }
        Action::Move { entry, position } => {
            let change = PickChange { position: Some(*position), ..Default::default() };
            let p = store.pick(name, title, *entry, &change, now)?;
            format!("moved {} to #{}", quoted(store, *entry), p.position)
        }
        Action::Save { field, text, .. } if field.of_the_post() => {
            if *field == Field::Title && text.trim().is_empty() {
                return Ok("title not changed: the post needs one".to_string());
            }
            let text = Some(text.clone());
            let edit = match field {
                Field::Title => RoundupEdit { title: text, ..Default::default() },
                Field::Intro => RoundupEdit { intro: text, ..Default::default() },
                Field::Outro => RoundupEdit { outro: text, ..Default::default() },
                Field::Tags => {
                    RoundupEdit { tags: text.as_deref().map(comma_list), ..Default::default() }
                }
                _ => RoundupEdit {
                    categories: text.as_deref().map(comma_list),
                    ..Default::default()
                },
            };
            let r = store.edit_roundup(name, title, &edit, now)?;
            let now_set = match field {
                Field::Title => true,
                Field::Intro => r.intro.is_some(),
                Field::Outro => r.outro.is_some(),
                Field::Tags => !r.tags.is_empty(),
                _ => !r.categories.is_empty(),
            };
            let what = if now_set { "saved" } else { "cleared" };
            format!("{what} the {} of the post", field.label())
        }
        Action::Save { entry, field, text } => {
            let text = Some(text.clone());
            let change = match field {
                Field::Excerpt => PickChange { excerpt: text, ..Default::default() },
                Field::Lead => PickChange { lead: text, ..Default::default() },
                _ => PickChange { note: text, ..Default::default() },
            };
            let p = store.pick(name, title, *entry, &change, now)?;
            let now_set = match field {
                Field::Excerpt => p.excerpt.is_some(),
                Field::Lead => p.lead.is_some(),
                _ => p.note.is_some(),
            };
            let what = if now_set { "saved" } else { "cleared" };
            format!("{what} the {} of #{} {}", field.label(), p.position, quoted(store, *entry))
        }
        Action::None | Action::Quit | Action::Suggest(_) | Action::Edit { .. } => String::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    const W48: crate::week::IsoWeek = crate::week::IsoWeek { year: 2024, week: 48 };
    use crate::model::{DatedBy, EntryRecord, FeedPoll, Triage};
    use crate::timefmt::parse_rfc3339;

    fn at(s: &str) -> DateTime<Utc> {
        parse_rfc3339(s).unwrap()
    }

    /// A store with one feed and entries 1..=n in 2024-W48.
    fn store_with(n: usize) -> (tempfile::TempDir, Store) {
        let (dir, mut s) = crate::store::test_store(Utc::now());
        let entries = (1..=n)
            .map(|i| EntryRecord {
                identity: format!("e{i}"),
                url: Some(format!("https://lgiu.example/{i}")),
                title: Some(format!("Post {i}")),
                author: None,
                published: at(&format!("2024-11-{:02}T09:00:00Z", 25 + i)),
                dated_by: DatedBy::Published,
                updated: None,
                summary_html: None,
                content_html: Some("<p>One two three four.</p>".into()),
                text: "One two three four.".into(),
                categories: vec![],
                content_hash: format!("e{i}"),
            })
            .collect();
        s.record_poll(&FeedPoll::stored(
            "lgiu",
            "https://lgiu.example/feed",
            at("2024-11-29T10:00:00Z"),
            entries,
        ))
        .unwrap();
        (dir, s)
    }

    fn week() -> Week {
        let w = IsoWeek::parse("2024-W48").unwrap();
        let span = w.span(chrono_tz::UTC, std::time::Duration::from_secs(14 * 86_400));
        Week { week: w, span, default_title: "Weekly".into() }
    }

    fn order(s: &Store) -> Vec<i64> {
        s.picks(W48).unwrap().iter().map(|p| p.entry.id.0).collect()
    }

    #[test]
    fn every_action_is_written_to_the_store_at_once() {
        let (_d, mut s) = store_with(4);
        let w = week();
        let now = at("2024-11-29T12:00:00Z");
        let msg = apply(&mut s, &w, &Action::Pick(EntryId(2)), now).unwrap();
        assert_eq!(msg, "picked “Post 2” as #1");
        apply(&mut s, &w, &Action::Pick(EntryId(4)), now).unwrap();
        apply(&mut s, &w, &Action::Pick(EntryId(1)), now).unwrap();
        assert_eq!(order(&s), [2, 4, 1]);
        let msg = apply(&mut s, &w, &Action::Move { entry: EntryId(1), position: 2 }, now).unwrap();
        assert_eq!(msg, "moved “Post 1” to #2");
        assert_eq!(order(&s), [2, 1, 4]);
        let note = Action::Save { entry: EntryId(1), field: Field::Note, text: "Read it.".into() };
        assert_eq!(apply(&mut s, &w, &note, now).unwrap(), "saved the note of #2 “Post 1”");
        let excerpt =
            Action::Save { entry: EntryId(3), field: Field::Excerpt, text: "One two.".into() };
        apply(&mut s, &w, &excerpt, now).unwrap();
        let lead =
            Action::Save { entry: EntryId(3), field: Field::Lead, text: "Meanwhile:".into() };
        apply(&mut s, &w, &lead, now).unwrap();
        let picks = s.picks(W48).unwrap();
        assert_eq!(order(&s), [2, 1, 4, 3], "saving a field of an unpicked entry picks it");
        assert_eq!(picks[1].note.as_deref(), Some("Read it."));
        assert_eq!(picks[3].excerpt.as_deref(), Some("One two."));
        assert_eq!(picks[3].lead.as_deref(), Some("Meanwhile:"));
        let clear = Action::Save { entry: EntryId(1), field: Field::Note, text: String::new() };
        assert_eq!(apply(&mut s, &w, &clear, now).unwrap(), "cleared the note of #2 “Post 1”");
        apply(&mut s, &w, &Action::Unpick(EntryId(2)), now).unwrap();
        apply(&mut s, &w, &Action::Skip(EntryId(4)), now).unwrap();
        assert_eq!(order(&s), [1, 3]);
        let c = s.candidates(&w.span, false).unwrap();
        assert_eq!(c.iter().map(|c| c.id.0).collect::<Vec<_>>(), [3, 2, 1], "4 is skipped");
        assert_eq!(c[1].triage, Triage::New, "an unpicked entry is a candidate again");
    }

    #[test]
    fn a_refused_write_is_a_message_not_a_crash() {
        let (_d, mut s) = store_with(1);
        let w = week();
        let err = apply(&mut s, &w, &Action::Unpick(EntryId(1)), Utc::now()).unwrap_err();
        assert!(matches!(err, PickError::NotPicked { .. }), "{err}");
        let err = apply(&mut s, &w, &Action::Pick(EntryId(99)), Utc::now()).unwrap_err();
        assert!(matches!(err, PickError::NoEntry(EntryId(99))), "{err}");
    }

    #[test]
    fn the_state_follows_the_store_after_each_write() {
        let (_d, mut s) = store_with(3);
        let w = week();
        let mut state = PickerState::new(
            w.week,
            s.candidates(&w.span, false).unwrap(),
            s.picks(w.week).unwrap(),
        );
        load_preview(&s, &mut state).unwrap();
        assert_eq!(state.selected(), Some(EntryId(3)), "newest first");
        assert!(state.detail(EntryId(3)).is_some());
        let action = state.key(ratatui::crossterm::event::KeyEvent::from(
            ratatui::crossterm::event::KeyCode::Char('s'),
        ));
        apply(&mut s, &w, &action, Utc::now()).unwrap();
        w.reload(&s, &mut state).unwrap();
        assert_eq!(state.candidates().len(), 2);
        assert_eq!(state.selected(), Some(EntryId(2)));
    }

    /// The shape `app` passes to [`run_with`]: a closure over the config that calls a
    /// suggester returning `anyhow::Result`. It must coerce to [`Suggest`].
    #[test]
    fn an_app_style_suggester_fits_the_callback_type() {
        fn app_like(c: &str, _s: &mut Store, e: &EntryDetail) -> anyhow::Result<Suggested> {
            if c == "offline" {
                let io = std::io::Error::other("connection refused");
                return Err(anyhow::Error::new(io).context("cannot fetch the article"));
            }
            Ok(Suggested { paragraphs: vec![e.text.clone()], warnings: Vec::new() })
        }
        let (_d, mut s) = store_with(1);
        let entry = s.entry(EntryId(1)).unwrap().unwrap();
        let config = String::from("config");
        let suggest: &mut Suggest<'_> =
            &mut |store, entry| app_like(&config, store, entry).map_err(Into::into);
        assert_eq!(suggest(&mut s, &entry).unwrap().paragraphs, ["One two three four."]);
        let config = String::from("offline");
        let suggest: &mut Suggest<'_> =
            &mut |store, entry| app_like(&config, store, entry).map_err(Into::into);
        let err = suggest(&mut s, &entry).unwrap_err();
        assert_eq!(one_line(&*err), "cannot fetch the article: connection refused");
    }
}
