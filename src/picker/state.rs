//! The picker's state machine: what is on the list, what is selected, which mode the editor is
//! in, and what each key asks for. Pure: a key goes in, an [`Action`] comes out, and the loop in
//! `picker` does the store writes, then hands the store's new lists back with
//! [`PickerState::refresh`]. No terminal, no store, no clock here.

use std::cell::Cell;
use std::collections::{BTreeSet, HashMap};

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::model::{Candidate, EntryDetail, EntryId, PickedItem};
use crate::week::IsoWeek;

/// How far PageUp / PageDown scroll the preview.
const PREVIEW_PAGE: u16 = 10;

/// Which list is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum View {
    /// The week's candidates, newest first.
    Candidates,
    /// The picks, in post order.
    Picks,
}

/// A text field the editor writes: of a pick, or of the post itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Field {
    /// The quoted passage.
    Excerpt,
    /// The words before the excerpt.
    Lead,
    /// The editor's comment after the excerpt.
    Note,
    /// The post's title.
    Title,
    /// The post's opening words.
    Intro,
    /// The post's closing words.
    Outro,
    /// The post's tags, comma-separated.
    Tags,
    /// The post's categories, comma-separated.
    Categories,
}

/// The fields of the post itself, in the order the post screen lists them.
pub(super) const POST_FIELDS: [Field; 5] =
    [Field::Title, Field::Intro, Field::Outro, Field::Tags, Field::Categories];

impl Field {
    /// Its name, for titles and messages.
    pub(super) fn label(self) -> &'static str {
        match self {
            Field::Excerpt => "excerpt",
            Field::Lead => "lead-in",
            Field::Note => "note",
            Field::Title => "title",
            Field::Intro => "intro",
            Field::Outro => "outro",
            Field::Tags => "tags",
            Field::Categories => "categories",
        }
    }

    /// Whether it is a field of the post itself (not of a pick): its `entry` is unused.
    pub(super) fn of_the_post(self) -> bool {
        POST_FIELDS.contains(&self)
    }
}

/// The post's own fields, as the post screen shows them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct PostFields {
    pub title: String,
    pub intro: String,
    pub outro: String,
    pub tags: Vec<String>,
    pub categories: Vec<String>,
}

impl PostFields {
    /// The value of `field` as the editor edits it (lists comma-separated); empty for the
    /// fields of a pick.
    pub(super) fn text(&self, field: Field) -> String {
        match field {
            Field::Title => self.title.clone(),
            Field::Intro => self.intro.clone(),
            Field::Outro => self.outro.clone(),
            Field::Tags => self.tags.join(", "),
            Field::Categories => self.categories.join(", "),
            Field::Excerpt | Field::Lead | Field::Note => String::new(),
        }
    }
}

/// A one-line text input for one field of one pick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Input {
    pub entry: EntryId,
    pub field: Field,
    pub text: String,
    /// The cursor, in characters from the start.
    pub cursor: usize,
}

impl Input {
    fn new(entry: EntryId, field: Field, text: String) -> Input {
        let cursor = text.chars().count();
        Input { entry, field, text, cursor }
    }

    /// Byte offset of the `n`th character.
    fn byte_at(&self, n: usize) -> usize {
        self.text.char_indices().nth(n).map_or(self.text.len(), |(i, _)| i)
    }

    /// Applies an editing key; false when the key is not one.
    fn edit(&mut self, key: KeyEvent) -> bool {
        let len = self.text.chars().count();
        match key.code {
            KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.text.clear();
                self.cursor = 0;
            }
            KeyCode::Char(c)
                if !key.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
            {
                let at = self.byte_at(self.cursor);
                self.text.insert(at, c);
                self.cursor += 1;
            }
            KeyCode::Backspace if self.cursor > 0 => {
                let at = self.byte_at(self.cursor - 1);
                self.text.remove(at);
                self.cursor -= 1;
            }
            KeyCode::Delete if self.cursor < len => {
                let at = self.byte_at(self.cursor);
                self.text.remove(at);
            }
            KeyCode::Left => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::Right => self.cursor = (self.cursor + 1).min(len),
            KeyCode::Home => self.cursor = 0,
            KeyCode::End => self.cursor = len,
            KeyCode::Backspace | KeyCode::Delete => {}
            _ => return false,
        }
        true
    }
}

/// What the editor is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Mode {
    /// Moving through the list.
    Browse,
    /// Typing the filter.
    Filter,
    /// Choosing the excerpt of `entry` from its numbered suggestions.
    Excerpt { entry: EntryId, cursor: usize },
    /// Writing a field in the one-line input.
    Input(Input),
    /// The post's own fields (title, intro, outro, tags, categories); `cursor` indexes
    /// [`POST_FIELDS`].
    Post { cursor: usize },
}

/// What a key asks the loop to do. Every write goes to the store at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Action {
    /// Nothing outside the state (it may have changed itself).
    None,
    /// Leave the picker.
    Quit,
    /// Pick the entry into the week (at the end of the post).
    Pick(EntryId),
    /// Take the entry out of the week.
    Unpick(EntryId),
    /// Triage the entry out: not shown again.
    Skip(EntryId),
    /// Put the pick at this 1-based place in the post.
    Move { entry: EntryId, position: u32 },
    /// Set a field of the entry's pick (picking it if need be); empty text clears the field.
    Save { entry: EntryId, field: Field, text: String },
    /// Find the entry's excerpt suggestions, then call [`PickerState::suggestions_ready`].
    Suggest(EntryId),
    /// Open `$EDITOR` on `text`, then call [`PickerState::editor_done`].
    Edit { entry: EntryId, field: Field, text: String },
}

/// The line under the lists: what just happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Status {
    pub text: String,
    pub error: bool,
}

/// Everything the picker shows, and the rules for changing it.
#[derive(Debug)]
pub(super) struct PickerState {
    week: IsoWeek,
    candidates: Vec<Candidate>,
    picks: Vec<PickedItem>,
    view: View,
    mode: Mode,
    filter: String,
    /// The selected row of each view (index into its visible rows).
    cursors: [usize; 2],
    /// Entries loaded for the preview, by id (picks carry their own).
    details: HashMap<EntryId, EntryDetail>,
    /// Excerpt suggestions already found, by entry id.
    suggestions: HashMap<EntryId, Vec<String>>,
    /// In the excerpt chooser: the suggestions marked to be quoted together (0-based).
    marked: BTreeSet<usize>,
    /// In the excerpt chooser: the number typed so far (digits go to suggestion N, however
    /// many digits N has).
    typed: Option<usize>,
    /// The post's own fields.
    post: PostFields,
    status: Option<Status>,
    preview_scroll: u16,
    /// The first row shown of the list; kept by `draw` so that the list scrolls smoothly.
    pub(super) list_offset: Cell<usize>,
    /// A line about the feeds for the header, e.g. that they are failing (issue 9, item 3).
    feeds_notice: Option<String>,
}

impl PickerState {
    /// The picker for `week` (e.g. `2024-W48`) over the store's candidates and picks.
    pub(super) fn new(
        week: IsoWeek,
        candidates: Vec<Candidate>,
        picks: Vec<PickedItem>,
    ) -> PickerState {
        PickerState {
            week,
            candidates,
            picks,
            view: View::Candidates,
            mode: Mode::Browse,
            filter: String::new(),
            cursors: [0, 0],
            details: HashMap::new(),
            suggestions: HashMap::new(),
            marked: BTreeSet::new(),
            typed: None,
            post: PostFields::default(),
            status: None,
            preview_scroll: 0,
            list_offset: Cell::new(0),
            feeds_notice: None,
        }
    }

    /// Shows `notice` in the header, for the whole session: what the editor should know about
    /// the feeds before trusting the list (that some are failing).
    pub(super) fn set_feeds_notice(&mut self, notice: Option<String>) {
        self.feeds_notice = notice;
    }

    /// The header's line about the feeds, if any.
    pub(super) fn feeds_notice(&self) -> Option<&str> {
        self.feeds_notice.as_deref()
    }

    pub(super) fn week(&self) -> IsoWeek {
        self.week
    }

    pub(super) fn view(&self) -> View {
        self.view
    }

    pub(super) fn mode(&self) -> &Mode {
        &self.mode
    }

    pub(super) fn filter(&self) -> &str {
        &self.filter
    }

    pub(super) fn status(&self) -> Option<&Status> {
        self.status.as_ref()
    }

    pub(super) fn preview_scroll(&self) -> u16 {
        self.preview_scroll
    }

    pub(super) fn candidates(&self) -> &[Candidate] {
        &self.candidates
    }

    pub(super) fn picks(&self) -> &[PickedItem] {
        &self.picks
    }

    /// The pick of `entry` in this week, if it is picked.
    pub(super) fn pick_of(&self, entry: EntryId) -> Option<&PickedItem> {
        self.picks.iter().find(|p| p.entry.id == entry)
    }

    /// The stored entry, when it has been loaded (picks always are).
    pub(super) fn detail(&self, entry: EntryId) -> Option<&EntryDetail> {
        self.pick_of(entry).map(|p| &p.entry).or_else(|| self.details.get(&entry))
    }

    /// The suggestions found for `entry`, if they have been.
    pub(super) fn suggestions(&self, entry: EntryId) -> Option<&[String]> {
        self.suggestions.get(&entry).map(Vec::as_slice)
    }

    /// The post's own fields.
    pub(super) fn post(&self) -> &PostFields {
        &self.post
    }

    /// The post's own fields, as stored now.
    pub(super) fn set_post(&mut self, post: PostFields) {
        self.post = post;
    }

    /// In the excerpt chooser: the suggestions marked to be quoted together (0-based).
    pub(super) fn marked(&self) -> &BTreeSet<usize> {
        &self.marked
    }

    /// The selected entry whose preview has not been loaded yet.
    pub(super) fn missing_detail(&self) -> Option<EntryId> {
        self.selected().filter(|id| self.detail(*id).is_none())
    }

    /// Keeps an entry for the preview.
    pub(super) fn add_detail(&mut self, detail: EntryDetail) {
        self.details.insert(detail.id, detail);
    }

    pub(super) fn set_status(&mut self, text: impl Into<String>) {
        self.status = Some(Status { text: text.into(), error: false });
    }

    pub(super) fn set_error(&mut self, text: impl Into<String>) {
        self.status = Some(Status { text: text.into(), error: true });
    }

    fn matches(&self, outlet: &str, title: Option<&str>, author: Option<&str>) -> bool {
        if self.filter.is_empty() {
            return true;
        }
        let needle = self.filter.to_lowercase();
        [Some(outlet), title, author]
            .into_iter()
            .flatten()
            .any(|s| s.to_lowercase().contains(&needle))
    }

    /// The candidates shown (those matching the filter), in list order.
    pub(super) fn visible_candidates(&self) -> Vec<&Candidate> {
        self.candidates
            .iter()
            .filter(|c| self.matches(&c.outlet, c.title.as_deref(), c.author.as_deref()))
            .collect()
    }

    /// The picks shown (those matching the filter), in post order.
    pub(super) fn visible_picks(&self) -> Vec<&PickedItem> {
        self.picks
            .iter()
            .filter(|p| {
                self.matches(&p.entry.outlet, p.entry.title.as_deref(), p.entry.author.as_deref())
            })
            .collect()
    }

    /// The entry ids of the rows shown in the current view.
    fn rows(&self) -> Vec<EntryId> {
        match self.view {
            View::Candidates => self.visible_candidates().iter().map(|c| c.id).collect(),
            View::Picks => self.visible_picks().iter().map(|p| p.entry.id).collect(),
        }
    }

    fn cursor_mut(&mut self) -> &mut usize {
        &mut self.cursors[self.view as usize]
    }

    /// The selected row of the current view.
    pub(super) fn cursor(&self) -> usize {
        let rows = self.rows().len();
        self.cursors[self.view as usize].min(rows.saturating_sub(1))
    }

    /// The entry of the selected row.
    pub(super) fn selected(&self) -> Option<EntryId> {
        self.rows().get(self.cursor()).copied()
    }

    /// Replaces the lists with the store's, keeping each view's selection on the same entry
    /// (or, when it is gone, on the row that took its place).
    pub(super) fn refresh(&mut self, candidates: Vec<Candidate>, picks: Vec<PickedItem>) {
        let view = self.view;
        let mut chosen = [None, None];
        for v in [View::Candidates, View::Picks] {
            self.view = v;
            chosen[v as usize] = self.selected();
        }
        self.candidates = candidates;
        self.picks = picks;
        for v in [View::Candidates, View::Picks] {
            self.view = v;
            if let Some(i) =
                chosen[v as usize].and_then(|id| self.rows().iter().position(|r| *r == id))
            {
                self.cursors[v as usize] = i;
            }
        }
        self.view = view;
    }

    fn move_cursor(&mut self, by: isize) {
        let rows = self.rows().len();
        if rows == 0 {
            return;
        }
        let now = self.cursor() as isize;
        let to = (now + by).clamp(0, rows as isize - 1) as usize;
        if to != self.cursor() {
            self.preview_scroll = 0;
        }
        *self.cursor_mut() = to;
    }

    /// Handles one key press.
    pub(super) fn key(&mut self, key: KeyEvent) -> Action {
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            return Action::Quit;
        }
        self.status = None;
        match self.mode.clone() {
            Mode::Browse => self.browse_key(key),
            Mode::Filter => self.filter_key(key),
            Mode::Excerpt { entry, cursor } => self.excerpt_key(entry, cursor, key),
            Mode::Input(input) => self.input_key(input, key),
            Mode::Post { cursor } => self.post_key(cursor, key),
        }
    }

    fn post_key(&mut self, cursor: usize, key: KeyEvent) -> Action {
        let field = POST_FIELDS[cursor.min(POST_FIELDS.len() - 1)];
        match key.code {
            KeyCode::Esc | KeyCode::Char('q') | KeyCode::Char('r') => self.mode = Mode::Browse,
            KeyCode::Up | KeyCode::Char('k') => {
                self.mode = Mode::Post { cursor: cursor.saturating_sub(1) };
            }
            KeyCode::Down | KeyCode::Char('j') => {
                self.mode = Mode::Post { cursor: (cursor + 1).min(POST_FIELDS.len() - 1) };
            }
            KeyCode::Enter => {
                self.mode = Mode::Input(Input::new(EntryId(0), field, self.post.text(field)));
            }
            KeyCode::Char('E') => {
                return Action::Edit { entry: EntryId(0), field, text: self.post.text(field) };
            }
            _ => {}
        }
        Action::None
    }

    /// Where the editor goes back to after writing `field`: the post screen for the post's
    /// fields, the list for a pick's.
    fn after_writing(&mut self, field: Field) {
        self.mode = match POST_FIELDS.iter().position(|f| *f == field) {
            Some(cursor) => Mode::Post { cursor },
            None => Mode::Browse,
        };
    }

    fn browse_key(&mut self, key: KeyEvent) -> Action {
        let shift = key.modifiers.contains(KeyModifiers::SHIFT);
        match key.code {
            KeyCode::Char('q') => return Action::Quit,
            KeyCode::Char('K') => return self.move_pick(-1),
            KeyCode::Char('J') => return self.move_pick(1),
            KeyCode::Up if shift => return self.move_pick(-1),
            KeyCode::Down if shift => return self.move_pick(1),
            KeyCode::Up | KeyCode::Char('k') => self.move_cursor(-1),
            KeyCode::Down | KeyCode::Char('j') => self.move_cursor(1),
            KeyCode::Home | KeyCode::Char('g') => self.move_cursor(isize::MIN / 2),
            KeyCode::End | KeyCode::Char('G') => self.move_cursor(isize::MAX / 2),
            KeyCode::PageDown => {
                self.preview_scroll = self.preview_scroll.saturating_add(PREVIEW_PAGE)
            }
            KeyCode::PageUp => {
                self.preview_scroll = self.preview_scroll.saturating_sub(PREVIEW_PAGE)
            }
            KeyCode::Tab | KeyCode::BackTab => {
                self.view = match self.view {
                    View::Candidates => View::Picks,
                    View::Picks => View::Candidates,
                };
                self.preview_scroll = 0;
            }
            KeyCode::Char('/') => self.mode = Mode::Filter,
            KeyCode::Esc if !self.filter.is_empty() => self.set_filter(String::new()),
            KeyCode::Char(' ') | KeyCode::Char('p') => {
                if let Some(id) = self.selected() {
                    return if self.pick_of(id).is_some() {
                        Action::Unpick(id)
                    } else {
                        Action::Pick(id)
                    };
                }
            }
            KeyCode::Char('s') => {
                if let Some(id) = self.selected() {
                    return Action::Skip(id);
                }
            }
            KeyCode::Char('e') => {
                if let Some(id) = self.selected() {
                    if self.suggestions.contains_key(&id) {
                        self.open_excerpts(id);
                    } else {
                        return Action::Suggest(id);
                    }
                }
            }
            KeyCode::Char('r') => self.mode = Mode::Post { cursor: 0 },
            KeyCode::Char('l') => self.open_input(Field::Lead),
            KeyCode::Char('n') => self.open_input(Field::Note),
            _ => {}
        }
        Action::None
    }

    fn set_filter(&mut self, filter: String) {
        self.filter = filter;
        self.cursors = [0, 0];
        self.preview_scroll = 0;
    }

    fn filter_key(&mut self, key: KeyEvent) -> Action {
        match key.code {
            KeyCode::Enter => self.mode = Mode::Browse,
            KeyCode::Esc => {
                self.set_filter(String::new());
                self.mode = Mode::Browse;
            }
            KeyCode::Up => self.move_cursor(-1),
            KeyCode::Down => self.move_cursor(1),
            KeyCode::Backspace => {
                let mut f = self.filter.clone();
                f.pop();
                self.set_filter(f);
            }
            KeyCode::Char(c)
                if !key.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
            {
                let f = format!("{}{c}", self.filter);
                self.set_filter(f);
            }
            _ => {}
        }
        Action::None
    }

    /// Moves the selected entry's pick `by` places in the post order.
    fn move_pick(&mut self, by: i64) -> Action {
        let Some(id) = self.selected() else { return Action::None };
        let Some(pick) = self.pick_of(id) else {
            self.set_error("not picked: press space to pick it first");
            return Action::None;
        };
        let to = i64::from(pick.position) + by;
        let position = u32::try_from(to).ok().filter(|&p| p >= 1 && p as usize <= self.picks.len());
        let Some(position) = position else {
            self.set_status(format!("already #{} of {}", pick.position, self.picks.len()));
            return Action::None;
        };
        Action::Move { entry: id, position }
    }

    fn current(&self, entry: EntryId, field: Field) -> String {
        let pick = self.pick_of(entry);
        let value = match field {
            Field::Excerpt => pick.and_then(|p| p.excerpt.clone()),
            Field::Lead => pick.and_then(|p| p.lead.clone()),
            Field::Note => pick.and_then(|p| p.note.clone()),
            post_field => Some(self.post.text(post_field)),
        };
        value.unwrap_or_default()
    }

    fn open_input(&mut self, field: Field) {
        if let Some(id) = self.selected() {
            let text = self.current(id, field);
            self.mode = Mode::Input(Input::new(id, field, text));
        }
    }

    /// Opens the chooser on the current excerpt: on its suggestion, or, for a quote of several
    /// paragraphs, with each of its paragraphs marked.
    fn open_excerpts(&mut self, entry: EntryId) {
        let current = self.current(entry, Field::Excerpt);
        let list = self.suggestions(entry).unwrap_or_default();
        let whole = list.iter().position(|p| *p == current);
        let parts: Vec<&str> = current.split("\n\n").map(str::trim).collect();
        let marked: BTreeSet<usize> = if whole.is_none() && parts.len() > 1 {
            let found: Vec<Option<usize>> =
                parts.iter().map(|part| list.iter().position(|p| p == part)).collect();
            found.iter().all(Option::is_some).then(|| found.into_iter().flatten().collect())
        } else {
            None
        }
        .unwrap_or_default();
        let cursor = whole.or_else(|| marked.first().copied()).unwrap_or(0);
        self.marked = marked;
        self.typed = None;
        self.mode = Mode::Excerpt { entry, cursor };
    }

    /// The quote the chooser would save: the marked suggestions, in article order, each a
    /// paragraph; none marked, the one under the cursor.
    fn chosen_quote(&self, list: &[String], cursor: usize) -> Option<String> {
        if self.marked.is_empty() {
            return list.get(cursor).cloned();
        }
        let parts: Vec<&String> = self.marked.iter().filter_map(|&i| list.get(i)).collect();
        Some(crate::excerpt::join_paragraphs(&parts))
    }

    /// The suggestions asked for by [`Action::Suggest`] have come (or could not be had): the
    /// chooser opens either way, so that the editor can still write their own.
    pub(super) fn suggestions_ready(&mut self, entry: EntryId, found: Result<Vec<String>, String>) {
        match found {
            Ok(list) => {
                self.suggestions.insert(entry, list);
            }
            Err(e) => self.set_error(format!("no excerpt suggestions: {e}")),
        }
        self.open_excerpts(entry);
    }

    fn excerpt_key(&mut self, entry: EntryId, cursor: usize, key: KeyEvent) -> Action {
        let list = self.suggestions(entry).unwrap_or_default().to_vec();
        let count = list.len();
        let typed = self.typed.take();
        match key.code {
            KeyCode::Esc | KeyCode::Char('q') => self.mode = Mode::Browse,
            KeyCode::Up | KeyCode::Char('k') => {
                self.mode = Mode::Excerpt { entry, cursor: cursor.saturating_sub(1) };
            }
            KeyCode::Down | KeyCode::Char('j') => {
                self.mode =
                    Mode::Excerpt { entry, cursor: (cursor + 1).min(count.saturating_sub(1)) };
            }
            KeyCode::Char(d @ '0'..='9') => {
                // Digits go to suggestion N, however many digits N has: "1" "2" is 12 when
                // there are 12, else 2.
                let digit = d as usize - '0' as usize;
                let longer = typed.map(|t| t * 10 + digit).filter(|n| (1..=count).contains(n));
                let n = longer.or(Some(digit).filter(|n| (1..=count).contains(n)));
                if let Some(n) = n {
                    self.typed = Some(n);
                    self.mode = Mode::Excerpt { entry, cursor: n - 1 };
                }
            }
            KeyCode::Char(' ') if cursor < count => {
                // Toggles: unmarks a marked one, else marks it.
                let _ = self.marked.remove(&cursor) || self.marked.insert(cursor);
            }
            KeyCode::Enter => {
                if let Some(text) = self.chosen_quote(&list, cursor) {
                    self.marked.clear();
                    self.mode = Mode::Browse;
                    return Action::Save { entry, field: Field::Excerpt, text };
                }
            }
            KeyCode::Char('w') => {
                let text = self.current(entry, Field::Excerpt);
                self.mode = Mode::Input(Input::new(entry, Field::Excerpt, text));
            }
            KeyCode::Char('E') => {
                let text = self
                    .chosen_quote(&list, cursor)
                    .unwrap_or_else(|| self.current(entry, Field::Excerpt));
                return Action::Edit { entry, field: Field::Excerpt, text };
            }
            _ => {}
        }
        Action::None
    }

    fn input_key(&mut self, mut input: Input, key: KeyEvent) -> Action {
        match key.code {
            KeyCode::Enter => {
                self.after_writing(input.field);
                return Action::Save { entry: input.entry, field: input.field, text: input.text };
            }
            KeyCode::Esc => {
                self.after_writing(input.field);
                self.set_status(format!("{} not changed", input.field.label()));
            }
            KeyCode::Char('e') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                return Action::Edit { entry: input.entry, field: input.field, text: input.text };
            }
            _ => {
                if input.edit(key) {
                    self.mode = Mode::Input(input);
                }
            }
        }
        Action::None
    }

    /// `$EDITOR`, opened by [`Action::Edit`], has closed: save what it gave, or say why not
    /// (the input or chooser stays open then).
    pub(super) fn editor_done(
        &mut self,
        entry: EntryId,
        field: Field,
        edited: Result<String, String>,
    ) -> Action {
        match edited {
            Ok(text) => {
                self.after_writing(field);
                Action::Save { entry, field, text }
            }
            Err(e) => {
                self.set_error(format!("{} not changed: {e}", field.label()));
                Action::None
            }
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::model::Triage;

    const W48: IsoWeek = IsoWeek { year: 2024, week: 48 };

    pub(crate) fn candidate(
        id: EntryId,
        outlet: &str,
        title: &str,
        author: Option<&str>,
    ) -> Candidate {
        Candidate {
            id,
            feed: outlet.to_lowercase().into(),
            outlet: outlet.into(),
            title: Some(title.into()),
            url: Some(format!("https://{}.example/{id}", outlet.to_lowercase())),
            author: author.map(str::to_string),
            // 30 November less `id` days: 29 November for entry 1.
            published: crate::timefmt::parse_rfc3339("2024-11-30T09:00:00Z").unwrap()
                - chrono::Duration::days(id.0),
            dated_by: crate::model::DatedBy::Published,
            triage: Triage::New,
            triage_week: None,
            late: false,
        }
    }

    pub(crate) fn detail(c: &Candidate, text: &str) -> EntryDetail {
        EntryDetail {
            id: c.id,
            feed: c.feed.clone(),
            outlet: c.outlet.clone(),
            outlet_url: None,
            title: c.title.clone(),
            url: c.url.clone(),
            author: c.author.clone(),
            published: c.published,
            dated_by: c.dated_by,
            first_seen: c.published,
            summary_html: None,
            content_html: None,
            text: text.into(),
        }
    }

    pub(crate) fn pick(c: &Candidate, position: u32) -> PickedItem {
        PickedItem {
            position,
            section: None,
            lead: None,
            excerpt: None,
            note: None,
            entry: detail(c, "Picked text."),
        }
    }

    pub(crate) fn three() -> Vec<Candidate> {
        vec![
            candidate(EntryId(1), "LGIU", "Council budget approved", Some("Ann Smith")),
            candidate(EntryId(2), "Town Hall", "Housing waiting lists grow", None),
            candidate(EntryId(3), "Civic Tech", "Open data for councils", Some("Bob Jones")),
        ]
    }

    fn press(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn ch(c: char) -> KeyEvent {
        let m = if c.is_uppercase() { KeyModifiers::SHIFT } else { KeyModifiers::NONE };
        KeyEvent::new(KeyCode::Char(c), m)
    }

    fn ctrl(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
    }

    fn typed(state: &mut PickerState, text: &str) {
        for c in text.chars() {
            assert_eq!(state.key(ch(c)), Action::None, "typing {c:?}");
        }
    }

    #[test]
    fn arrows_and_j_k_move_within_the_list_and_stop_at_its_ends() {
        let mut s = PickerState::new(W48, three(), vec![]);
        assert_eq!(s.selected(), Some(EntryId(1)));
        s.key(press(KeyCode::Down));
        s.key(ch('j'));
        assert_eq!(s.selected(), Some(EntryId(3)));
        s.key(ch('j'));
        assert_eq!(s.selected(), Some(EntryId(3)), "stays on the last row");
        s.key(press(KeyCode::Up));
        assert_eq!(s.selected(), Some(EntryId(2)));
        s.key(ch('k'));
        s.key(ch('k'));
        assert_eq!(s.selected(), Some(EntryId(1)));
        s.key(ch('G'));
        assert_eq!(s.selected(), Some(EntryId(3)));
        s.key(ch('g'));
        assert_eq!(s.selected(), Some(EntryId(1)));
    }

    #[test]
    fn space_picks_an_entry_and_takes_a_picked_one_out() {
        let c = three();
        let mut s = PickerState::new(W48, c.clone(), vec![]);
        assert_eq!(s.key(ch(' ')), Action::Pick(EntryId(1)));
        s.refresh(c.clone(), vec![pick(&c[0], 1)]);
        assert_eq!(s.key(ch('p')), Action::Unpick(EntryId(1)));
        s.key(ch('j'));
        assert_eq!(s.key(ch('s')), Action::Skip(EntryId(2)));
    }

    #[test]
    fn the_filter_narrows_the_list_as_you_type_and_esc_clears_it() {
        let mut s = PickerState::new(W48, three(), vec![]);
        s.key(ch('/'));
        assert_eq!(s.mode(), &Mode::Filter);
        typed(&mut s, "hou");
        let titles =
            |s: &PickerState| s.visible_candidates().iter().map(|c| c.id.0).collect::<Vec<_>>();
        assert_eq!(titles(&s), [2], "matches the title, case-insensitively");
        for _ in 0..3 {
            s.key(press(KeyCode::Backspace));
        }
        typed(&mut s, "BOB");
        assert_eq!(titles(&s), [3], "matches the author");
        s.key(press(KeyCode::Enter));
        assert_eq!((s.mode(), s.filter()), (&Mode::Browse, "BOB"));
        s.key(ch('/'));
        for _ in 0..3 {
            s.key(press(KeyCode::Backspace));
        }
        typed(&mut s, "town hall");
        s.key(press(KeyCode::Enter));
        assert_eq!(s.selected(), Some(EntryId(2)), "matches the outlet");
        assert_eq!(s.key(ch(' ')), Action::Pick(EntryId(2)), "keys act on the filtered list");
        s.key(press(KeyCode::Esc));
        assert_eq!(titles(&s), [1, 2, 3], "Esc in the list clears the filter");
        s.key(ch('/'));
        typed(&mut s, "zzz");
        s.key(press(KeyCode::Esc));
        assert_eq!((s.mode(), s.filter()), (&Mode::Browse, ""), "Esc while typing clears it too");
    }

    #[test]
    fn q_quits_but_is_typed_into_inputs_and_ctrl_c_quits_from_anywhere() {
        let mut s = PickerState::new(W48, three(), vec![]);
        assert_eq!(s.key(ch('q')), Action::Quit);
        s.key(ch('/'));
        assert_eq!(s.key(ch('q')), Action::None);
        assert_eq!(s.filter(), "q");
        assert_eq!(s.key(ctrl('c')), Action::Quit);
    }

    #[test]
    fn shift_j_and_k_move_a_pick_in_the_post_order() {
        let c = three();
        let picks = vec![pick(&c[2], 1), pick(&c[0], 2)];
        let mut s = PickerState::new(W48, c.clone(), picks);
        assert_eq!(s.key(ch('K')), Action::Move { entry: EntryId(1), position: 1 });
        assert_eq!(s.key(ch('J')), Action::None, "already last");
        assert!(s.status().unwrap().text.contains("already #2 of 2"));
        let shift_up = KeyEvent::new(KeyCode::Up, KeyModifiers::SHIFT);
        assert_eq!(s.key(shift_up), Action::Move { entry: EntryId(1), position: 1 });
        s.key(ch('j'));
        assert_eq!(s.key(ch('J')), Action::None, "entry 2 is not picked");
        assert!(s.status().unwrap().error);
    }

    #[test]
    fn tab_shows_the_picks_in_post_order_and_keeps_each_views_selection() {
        let c = three();
        let picks = vec![pick(&c[2], 1), pick(&c[0], 2)];
        let mut s = PickerState::new(W48, c.clone(), picks);
        s.key(ch('j'));
        s.key(press(KeyCode::Tab));
        assert_eq!(s.view(), View::Picks);
        assert_eq!(s.selected(), Some(EntryId(3)), "the first pick");
        s.key(ch('j'));
        assert_eq!(s.key(ch(' ')), Action::Unpick(EntryId(1)));
        assert_eq!(s.key(ch('K')), Action::Move { entry: EntryId(1), position: 1 });
        // The store moved it: the selection follows the entry.
        s.refresh(c.clone(), vec![pick(&c[0], 1), pick(&c[2], 2)]);
        assert_eq!((s.cursor(), s.selected()), (0, Some(EntryId(1))));
        s.key(press(KeyCode::Tab));
        assert_eq!(s.selected(), Some(EntryId(2)), "the candidates view kept its row");
    }

    #[test]
    fn a_skipped_entry_leaves_the_list_and_the_next_one_is_selected() {
        let c = three();
        let mut s = PickerState::new(W48, c.clone(), vec![]);
        s.key(ch('j'));
        assert_eq!(s.key(ch('s')), Action::Skip(EntryId(2)));
        s.refresh(vec![c[0].clone(), c[2].clone()], vec![]);
        assert_eq!(s.selected(), Some(EntryId(3)));
        s.key(ch('j'));
        assert_eq!(s.key(ch('s')), Action::Skip(EntryId(3)));
        s.refresh(vec![c[0].clone()], vec![]);
        assert_eq!(s.selected(), Some(EntryId(1)), "the last row was skipped: the one before");
        s.refresh(vec![], vec![]);
        assert_eq!((s.selected(), s.key(ch(' '))), (None, Action::None));
    }

    #[test]
    fn e_finds_suggestions_once_and_enter_saves_the_chosen_one() {
        let c = three();
        let mut s = PickerState::new(W48, c.clone(), vec![]);
        assert_eq!(s.key(ch('e')), Action::Suggest(EntryId(1)));
        s.suggestions_ready(EntryId(1), Ok(vec!["First para.".into(), "Second para.".into()]));
        assert_eq!(s.mode(), &Mode::Excerpt { entry: EntryId(1), cursor: 0 });
        s.key(ch('2'));
        assert_eq!(s.mode(), &Mode::Excerpt { entry: EntryId(1), cursor: 1 });
        s.key(ch('9'));
        assert_eq!(
            s.mode(),
            &Mode::Excerpt { entry: EntryId(1), cursor: 1 },
            "no ninth suggestion"
        );
        let saved =
            Action::Save { entry: EntryId(1), field: Field::Excerpt, text: "Second para.".into() };
        assert_eq!(s.key(press(KeyCode::Enter)), saved);
        assert_eq!(s.mode(), &Mode::Browse);
        let mut picked = pick(&c[0], 1);
        picked.excerpt = Some("Second para.".into());
        s.refresh(c.clone(), vec![picked]);
        assert_eq!(s.key(ch('e')), Action::None, "suggestions are kept");
        assert_eq!(
            s.mode(),
            &Mode::Excerpt { entry: EntryId(1), cursor: 1 },
            "on the current excerpt"
        );
        s.key(press(KeyCode::Up));
        s.key(press(KeyCode::Up));
        assert_eq!(s.mode(), &Mode::Excerpt { entry: EntryId(1), cursor: 0 });
        s.key(press(KeyCode::Esc));
        assert_eq!(s.mode(), &Mode::Browse);
    }

    fn paragraphs(n: usize) -> Vec<String> {
        (1..=n).map(|i| format!("Paragraph {i}.")).collect()
    }

    /// Issue 9, item 5: digits reached only suggestions 1-9.
    #[test]
    fn a_number_of_any_length_reaches_its_suggestion() {
        let mut s = PickerState::new(W48, three(), vec![]);
        s.key(ch('e'));
        s.suggestions_ready(EntryId(1), Ok(paragraphs(12)));
        s.key(ch('1'));
        assert_eq!(s.mode(), &Mode::Excerpt { entry: EntryId(1), cursor: 0 });
        s.key(ch('2'));
        assert_eq!(s.mode(), &Mode::Excerpt { entry: EntryId(1), cursor: 11 }, "12");
        s.key(ch('3'));
        assert_eq!(
            s.mode(),
            &Mode::Excerpt { entry: EntryId(1), cursor: 2 },
            "no 123: a new number, 3"
        );
        s.key(ch('1'));
        s.key(ch('0'));
        assert_eq!(s.mode(), &Mode::Excerpt { entry: EntryId(1), cursor: 9 }, "10");
        s.key(press(KeyCode::Down));
        s.key(ch('1'));
        assert_eq!(
            s.mode(),
            &Mode::Excerpt { entry: EntryId(1), cursor: 0 },
            "another key ends a number"
        );
        assert_eq!(
            s.key(press(KeyCode::Enter)),
            Action::Save { entry: EntryId(1), field: Field::Excerpt, text: "Paragraph 1.".into() }
        );
    }

    /// Issue 9, item 5: the chooser took one paragraph.
    #[test]
    fn marked_suggestions_are_quoted_together_in_article_order() {
        let c = three();
        let mut s = PickerState::new(W48, c.clone(), vec![]);
        s.key(ch('e'));
        s.suggestions_ready(EntryId(1), Ok(paragraphs(12)));
        for k in ['1', '1', ' ', '2', ' ', '5', ' ', ' '] {
            s.key(ch(k));
        }
        assert_eq!(s.marked().iter().copied().collect::<Vec<_>>(), [1, 10], "5 unmarked again");
        assert_eq!(
            s.key(ch('E')),
            Action::Edit {
                entry: EntryId(1),
                field: Field::Excerpt,
                text: "Paragraph 2.\n\nParagraph 11.".into()
            }
        );
        let saved = Action::Save {
            entry: EntryId(1),
            field: Field::Excerpt,
            text: "Paragraph 2.\n\nParagraph 11.".into(),
        };
        assert_eq!(s.key(press(KeyCode::Enter)), saved);
        assert_eq!(s.mode(), &Mode::Browse);
        // Opened again on that quote: its paragraphs are marked, the cursor on the first.
        let mut picked = pick(&c[0], 1);
        picked.excerpt = Some("Paragraph 2.\n\nParagraph 11.".into());
        s.refresh(c.clone(), vec![picked]);
        s.key(ch('e'));
        assert_eq!(s.mode(), &Mode::Excerpt { entry: EntryId(1), cursor: 1 });
        assert_eq!(s.marked().iter().copied().collect::<Vec<_>>(), [1, 10]);
        s.key(press(KeyCode::Esc));
        s.key(ch('e'));
        s.key(ch(' '));
        s.key(ch(' '));
        assert_eq!(s.marked().len(), 2, "space toggles");
    }

    /// Issue 9, item 6: the post's own fields could not be set in the picker.
    #[test]
    fn r_opens_the_post_screen_whose_fields_are_written_like_a_lead_in() {
        let mut s = PickerState::new(W48, three(), vec![]);
        s.set_post(PostFields {
            title: "The week".into(),
            tags: vec!["budgets".into(), "housing".into()],
            ..PostFields::default()
        });
        assert_eq!(s.key(ch('r')), Action::None);
        assert_eq!(s.mode(), &Mode::Post { cursor: 0 });
        s.key(ch('j'));
        assert_eq!(s.key(press(KeyCode::Enter)), Action::None);
        assert!(matches!(s.mode(), Mode::Input(Input { field: Field::Intro, .. })));
        typed(&mut s, "A week of budgets.");
        assert_eq!(
            s.key(press(KeyCode::Enter)),
            Action::Save {
                entry: EntryId(0),
                field: Field::Intro,
                text: "A week of budgets.".into()
            }
        );
        assert_eq!(s.mode(), &Mode::Post { cursor: 1 }, "back on the post screen");
        for _ in 0..2 {
            s.key(ch('j'));
        }
        assert_eq!(
            s.key(ch('E')),
            Action::Edit { entry: EntryId(0), field: Field::Tags, text: "budgets, housing".into() }
        );
        assert_eq!(
            s.editor_done(EntryId(0), Field::Tags, Ok("budgets, bins".into())),
            Action::Save { entry: EntryId(0), field: Field::Tags, text: "budgets, bins".into() }
        );
        assert_eq!(s.mode(), &Mode::Post { cursor: 3 });
        s.key(ch('k'));
        s.key(press(KeyCode::Enter));
        s.key(press(KeyCode::Esc));
        assert_eq!(s.status().unwrap().text, "outro not changed");
        assert_eq!(s.mode(), &Mode::Post { cursor: 2 });
        s.key(press(KeyCode::Esc));
        assert_eq!(s.mode(), &Mode::Browse);
    }

    #[test]
    fn w_in_the_chooser_writes_your_own_excerpt_and_e_edits_a_suggestion() {
        let mut s = PickerState::new(W48, three(), vec![]);
        s.key(ch('e'));
        s.suggestions_ready(EntryId(1), Ok(vec!["First para.".into()]));
        assert_eq!(
            s.key(ch('E')),
            Action::Edit { entry: EntryId(1), field: Field::Excerpt, text: "First para.".into() }
        );
        assert_eq!(
            s.editor_done(EntryId(1), Field::Excerpt, Err("editor exited 1".into())),
            Action::None
        );
        assert!(s.status().unwrap().text.contains("editor exited 1"));
        assert!(matches!(s.mode(), Mode::Excerpt { .. }), "still choosing");
        s.key(ch('w'));
        typed(&mut s, "My own");
        assert_eq!(
            s.key(press(KeyCode::Enter)),
            Action::Save { entry: EntryId(1), field: Field::Excerpt, text: "My own".into() }
        );
    }

    #[test]
    fn failed_suggestions_still_open_the_chooser_to_write_your_own() {
        let mut s = PickerState::new(W48, three(), vec![]);
        s.key(ch('e'));
        s.suggestions_ready(EntryId(1), Err("HTTP 500".into()));
        assert!(s.status().unwrap().error);
        assert_eq!(s.mode(), &Mode::Excerpt { entry: EntryId(1), cursor: 0 });
        assert_eq!(s.key(press(KeyCode::Enter)), Action::None, "nothing to choose");
        assert_eq!(s.key(ch('e')), Action::None);
        s.key(ch('w'));
        assert!(matches!(s.mode(), Mode::Input(Input { field: Field::Excerpt, .. })));
    }

    #[test]
    fn the_note_input_edits_the_current_note_and_enter_saves_it() {
        let c = three();
        let mut p = pick(&c[0], 1);
        p.note = Some("Worth it".into());
        let mut s = PickerState::new(W48, c, vec![p]);
        s.key(ch('n'));
        typed(&mut s, "!");
        s.key(press(KeyCode::Home));
        typed(&mut s, "So ");
        s.key(press(KeyCode::Right));
        s.key(press(KeyCode::Delete));
        s.key(press(KeyCode::End));
        s.key(press(KeyCode::Backspace));
        typed(&mut s, "?");
        assert_eq!(
            s.key(press(KeyCode::Enter)),
            Action::Save { entry: EntryId(1), field: Field::Note, text: "So Wrth it?".into() }
        );
        s.key(ch('l'));
        typed(&mut s, "Lead");
        s.key(ctrl('u'));
        typed(&mut s, "Read this");
        assert_eq!(s.key(press(KeyCode::Esc)), Action::None, "Esc cancels");
        assert_eq!(s.mode(), &Mode::Browse);
        s.key(ch('l'));
        assert_eq!(s.mode(), &Mode::Input(Input::new(EntryId(1), Field::Lead, String::new())));
    }

    #[test]
    fn ctrl_e_in_the_input_opens_the_editor_on_its_text_and_saves_what_comes_back() {
        let mut s = PickerState::new(W48, three(), vec![]);
        s.key(ch('j'));
        s.key(ch('n'));
        typed(&mut s, "Short");
        assert_eq!(
            s.key(ctrl('e')),
            Action::Edit { entry: EntryId(2), field: Field::Note, text: "Short".into() }
        );
        let saved =
            s.editor_done(EntryId(2), Field::Note, Ok("A long note\n\nover two paragraphs".into()));
        assert_eq!(
            saved,
            Action::Save {
                entry: EntryId(2),
                field: Field::Note,
                text: "A long note\n\nover two paragraphs".into()
            }
        );
        assert_eq!(s.mode(), &Mode::Browse);
    }

    #[test]
    fn the_preview_asks_for_the_selected_entry_once() {
        let c = three();
        let mut s = PickerState::new(W48, c.clone(), vec![pick(&c[1], 1)]);
        assert_eq!(s.missing_detail(), Some(EntryId(1)));
        s.add_detail(detail(&c[0], "Text"));
        assert_eq!(s.missing_detail(), None);
        s.key(ch('j'));
        assert_eq!(s.missing_detail(), None, "a pick carries its entry");
        s.key(press(KeyCode::PageDown));
        assert_eq!(s.preview_scroll(), PREVIEW_PAGE);
        s.key(ch('j'));
        assert_eq!((s.missing_detail(), s.preview_scroll()), (Some(EntryId(3)), 0));
    }
}
