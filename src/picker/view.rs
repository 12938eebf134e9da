//! Drawing the picker: a header with the week and the two tabs, the list (candidates or picks)
//! beside a preview of the selected entry, a status line and a help line with the keys of the
//! current mode; the excerpt chooser and the one-line input draw over it. Reads the state,
//! never changes it (but for where the list is scrolled to).

use chrono::{DateTime, Datelike, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Clear, List, ListItem, ListState, Paragraph, Wrap};

use crate::model::EntryId;

use super::state::{Field, Mode, POST_FIELDS, PickerState, View};

const HELP_BROWSE: &str = "↑↓ move  / filter  space pick  s skip  J/K reorder  e excerpt  \
                           l lead-in  n note  r post  Tab picks  PgUp/Dn  q quit";
const HELP_POST: &str = "↑↓/jk choose  Enter edit  E open $EDITOR  Esc back";
const HELP_FILTER: &str = "type to filter  ↑↓ move  Enter keep filter  Esc clear";
const HELP_EXCERPT: &str =
    "↑↓/jk/number choose  Space mark more  Enter use it  w write your own  E $EDITOR  Esc back";
const HELP_INPUT: &str =
    "Enter save (empty clears)  Esc cancel  Ctrl-E open $EDITOR  ←→ Home End  Ctrl-U clear";

/// Draws the whole screen.
pub(super) fn draw(frame: &mut Frame, state: &PickerState) {
    let [header, body, status, help] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    draw_header(frame, header, state);
    let (body, input) = match state.mode() {
        Mode::Input(_) => {
            let [b, i] = Layout::vertical([Constraint::Min(3), Constraint::Length(3)]).areas(body);
            (b, Some(i))
        }
        _ => (body, None),
    };
    let [list, preview] =
        Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(body);
    draw_list(frame, list, state);
    match state.mode() {
        // The chooser takes the whole width: paragraphs are long.
        Mode::Excerpt { entry, cursor } => draw_chooser(frame, body, state, *entry, *cursor),
        Mode::Post { cursor } => draw_post(frame, body, state, Some(*cursor)),
        Mode::Input(input) if input.field.of_the_post() => {
            let cursor = POST_FIELDS.iter().position(|f| *f == input.field);
            draw_post(frame, body, state, cursor);
        }
        _ => draw_preview(frame, preview, state),
    }
    if let (Some(area), Mode::Input(input)) = (input, state.mode()) {
        let title = if input.field.of_the_post() {
            format!("the post of {}", state.week())
        } else {
            state
                .detail(input.entry)
                .and_then(|d| d.title.as_deref())
                .unwrap_or("(untitled)")
                .into()
        };
        let block = Block::bordered().title(format!(" {} for: {title} ", capitalised(input.field)));
        let inner = block.inner(area);
        // One line: show the part around the cursor.
        let width = inner.width.max(1) as usize;
        let skip = (input.cursor + 1).saturating_sub(width);
        let shown: String = input.text.chars().skip(skip).take(width).collect();
        frame.render_widget(Paragraph::new(shown).block(block), area);
        frame.set_cursor_position((
            inner.x.saturating_add(u16::try_from(input.cursor - skip).unwrap_or(u16::MAX)),
            inner.y,
        ));
    }
    if let Some(s) = state.status() {
        let style = if s.error { Style::new().fg(Color::Red).bold() } else { Style::new().bold() };
        frame.render_widget(Paragraph::new(Span::styled(s.text.as_str(), style)), status);
    }
    let keys = match state.mode() {
        Mode::Browse => HELP_BROWSE,
        Mode::Filter => HELP_FILTER,
        Mode::Excerpt { .. } => HELP_EXCERPT,
        Mode::Input(_) => HELP_INPUT,
        Mode::Post { .. } => HELP_POST,
    };
    frame.render_widget(Paragraph::new(keys).style(Style::new().reversed()), help);
}

/// The post screen: each of the post's own fields with its value, the chosen one marked.
fn draw_post(frame: &mut Frame, area: Rect, state: &PickerState, cursor: Option<usize>) {
    frame.render_widget(Clear, area);
    let block = Block::bordered().title(format!(" The post of {} ", state.week()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = inner.width.saturating_sub(16) as usize;
    let items: Vec<ListItem> = POST_FIELDS
        .iter()
        .map(|f| {
            let value = state.post().text(*f);
            let mut lines: Vec<Line> = if value.is_empty() {
                vec![Line::from(vec![
                    Span::raw(format!("{:<13}", capitalised(*f))),
                    Span::styled("(empty)", Style::new().dim()),
                ])]
            } else {
                let mut wrapped = wrap(&value, width.max(10));
                wrapped.truncate(4);
                wrapped
                    .into_iter()
                    .enumerate()
                    .map(|(j, l)| {
                        let label = if j == 0 { capitalised(*f) } else { String::new() };
                        Line::raw(format!("{label:<13}{l}"))
                    })
                    .collect()
            };
            lines.push(Line::raw(""));
            ListItem::new(Text::from(lines))
        })
        .collect();
    let mut list_state = ListState::default().with_selected(cursor);
    let list = List::new(items)
        .highlight_symbol("▶ ")
        .highlight_style(Style::new().add_modifier(Modifier::REVERSED));
    frame.render_stateful_widget(list, inner, &mut list_state);
}

fn capitalised(field: Field) -> String {
    let label = field.label();
    label[..1].to_uppercase() + &label[1..]
}

fn draw_header(frame: &mut Frame, area: Rect, state: &PickerState) {
    let tab = |name: String, on: bool| {
        if on {
            Span::styled(format!(" {name} "), Style::new().reversed().bold())
        } else {
            Span::raw(format!(" {name} "))
        }
    };
    let mut spans = vec![
        Span::styled(format!("roundup · {} ", state.week()), Style::new().bold()),
        Span::raw(" "),
        tab(format!("Candidates ({})", state.candidates().len()), state.view() == View::Candidates),
        tab(format!("Picks ({})", state.picks().len()), state.view() == View::Picks),
    ];
    if !state.filter().is_empty() || *state.mode() == Mode::Filter {
        spans.push(Span::raw(format!("  filter: {}", state.filter())));
    } else if let Some(notice) = state.feeds_notice() {
        spans.push(Span::raw("  "));
        spans.push(Span::styled(notice.to_string(), Style::new().bold()));
    }
    let line = Line::from(spans);
    let width = u16::try_from(line.width()).unwrap_or(u16::MAX);
    frame.render_widget(Paragraph::new(line), area);
    if *state.mode() == Mode::Filter {
        frame.set_cursor_position((area.x + width.min(area.width.saturating_sub(1)), area.y));
    }
}

/// `s` cut to `n` characters (with an ellipsis) and padded to `n`.
fn fit(s: &str, n: usize) -> String {
    if s.chars().count() > n {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    } else {
        format!("{s:<n$}")
    }
}

/// `Tue 26 Nov 2024 09:00 UTC`.
fn long_date(published: &DateTime<Utc>) -> String {
    published.format("%a %d %b %Y %H:%M UTC").to_string()
}

/// `26 Nov` (in UTC, as stored), with the year when it is not `year` (`02 Mar 2009`): an old
/// post must not pass for this year's.
fn date(published: &DateTime<Utc>, year: i32) -> String {
    if published.year() == year {
        published.format("%d %b").to_string()
    } else {
        published.format("%d %b %Y").to_string()
    }
}

fn draw_list(frame: &mut Frame, area: Rect, state: &PickerState) {
    let (title, items): (String, Vec<ListItem>) = match state.view() {
        View::Candidates => {
            let rows = state.visible_candidates();
            let items = rows
                .iter()
                .map(|c| {
                    let mark = match state.pick_of(c.id) {
                        Some(p) => format!("[x]{:>2}", p.position),
                        None => "[ ]  ".to_string(),
                    };
                    let when = date(&c.published, state.week().monday().year());
                    let mut spans = vec![Span::raw(format!("{mark} {when} "))];
                    if c.late {
                        spans.push(Span::styled("late ", Style::new().fg(Color::Yellow)));
                    }
                    spans.extend([
                        Span::styled(fit(&c.outlet, 12), Style::new().fg(Color::Cyan)),
                        Span::raw("  "),
                        Span::raw(c.title.clone().unwrap_or_else(|| "(untitled)".into())),
                    ]);
                    if let Some(a) = &c.author {
                        spans.push(Span::styled(format!(" — {a}"), Style::new().italic()));
                    }
                    ListItem::new(Line::from(spans))
                })
                .collect();
            (format!(" Candidates ({} of {}) ", rows.len(), state.candidates().len()), items)
        }
        View::Picks => {
            let rows = state.visible_picks();
            let items = rows
                .iter()
                .map(|p| {
                    let has = |v: &Option<String>, name: &'static str| {
                        if v.is_some() { name } else { "" }
                    };
                    let fields: Vec<&str> =
                        [has(&p.lead, "lead-in"), has(&p.excerpt, "excerpt"), has(&p.note, "note")]
                            .into_iter()
                            .filter(|s| !s.is_empty())
                            .collect();
                    let mut spans = vec![
                        Span::raw(format!("{:>2}. ", p.position)),
                        Span::styled(fit(&p.entry.outlet, 12), Style::new().fg(Color::Cyan)),
                        Span::raw("  "),
                        Span::raw(p.entry.title.clone().unwrap_or_else(|| "(untitled)".into())),
                    ];
                    if !fields.is_empty() {
                        spans.push(Span::styled(
                            format!("  [{}]", fields.join(", ")),
                            Style::new().fg(Color::Green),
                        ));
                    }
                    ListItem::new(Line::from(spans))
                })
                .collect();
            (format!(" Picks in post order ({}) ", state.picks().len()), items)
        }
    };
    let empty = items.is_empty();
    let block = Block::bordered().title(title);
    if empty {
        let text = match state.view() {
            View::Candidates if !state.filter().is_empty() => "Nothing matches the filter.",
            View::Candidates => "No candidates this week (fetch first, or all are triaged).",
            View::Picks => "No picks yet: space picks the selected candidate.",
        };
        frame.render_widget(Paragraph::new(text).block(block), area);
        return;
    }
    // Keep the list where it was unless the selection left the visible rows.
    let height = block.inner(area).height.max(1) as usize;
    let cursor = state.cursor();
    let mut offset = state.list_offset.get();
    if cursor < offset {
        offset = cursor;
    } else if cursor >= offset + height {
        offset = cursor + 1 - height;
    }
    state.list_offset.set(offset);
    let mut list_state = ListState::default().with_offset(offset).with_selected(Some(cursor));
    let list = List::new(items)
        .block(block)
        .highlight_symbol("▶")
        .highlight_style(Style::new().add_modifier(Modifier::REVERSED));
    frame.render_stateful_widget(list, area, &mut list_state);
}

fn labelled<'a>(label: &'a str, value: Option<&'a str>) -> Vec<Line<'a>> {
    let mut lines = vec![];
    match value {
        Some(v) => {
            let mut first = true;
            for l in v.lines() {
                let head = if first { format!("{label}: ") } else { String::new() };
                first = false;
                lines.push(Line::from(vec![Span::styled(head, Style::new().bold()), Span::raw(l)]));
            }
        }
        None => lines.push(Line::from(vec![
            Span::styled(format!("{label}: "), Style::new().bold()),
            Span::styled("—", Style::new().dim()),
        ])),
    }
    lines
}

fn draw_preview(frame: &mut Frame, area: Rect, state: &PickerState) {
    let block = Block::bordered().title(" Preview ");
    let Some(id) = state.selected() else {
        frame.render_widget(block, area);
        return;
    };
    let Some(d) = state.detail(id) else {
        frame.render_widget(Paragraph::new("Loading…").block(block), area);
        return;
    };
    let mut lines: Vec<Line> = vec![
        Line::styled(d.title.as_deref().unwrap_or("(untitled)"), Style::new().bold()),
        Line::raw(
            [Some(d.outlet.clone()), d.author.clone(), Some(long_date(&d.published))]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" · "),
        ),
    ];
    if let Some(url) = &d.url {
        lines.push(Line::styled(url.as_str(), Style::new().fg(Color::Blue)));
    }
    if let Some(c) = state.candidates().iter().find(|c| c.id == id) {
        if c.late {
            lines.push(Line::styled("Arrived late (dated before this week).", Style::new().dim()));
        }
        if let Some(w) = c.triage_week.filter(|w| *w != state.week())
            && state.pick_of(id).is_none()
        {
            lines.push(Line::styled(format!("Picked in {w}."), Style::new().dim()));
        }
    }
    lines.push(Line::raw(""));
    if let Some(p) = state.pick_of(id) {
        lines.push(Line::styled(
            format!("Pick #{} of {}", p.position, state.picks().len()),
            Style::new().fg(Color::Green).bold(),
        ));
        lines.extend(labelled("Lead-in", p.lead.as_deref()));
        lines.extend(labelled("Excerpt", p.excerpt.as_deref()));
        lines.extend(labelled("Note", p.note.as_deref()));
        lines.push(Line::raw(""));
    }
    if d.text.trim().is_empty() {
        lines.push(Line::styled("(the feed gives no text)", Style::new().dim()));
    }
    lines.extend(d.text.lines().map(Line::raw));
    let preview = Paragraph::new(Text::from(lines))
        .block(block)
        .wrap(Wrap { trim: false })
        .scroll((state.preview_scroll(), 0));
    frame.render_widget(preview, area);
}

/// `text` broken into lines of at most `width` characters, at spaces where possible.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = vec![];
    let mut line = String::new();
    for word in text.split_whitespace() {
        let mut word = word.to_string();
        loop {
            let len = line.chars().count();
            let need = word.chars().count() + usize::from(len > 0);
            if len + need <= width {
                if len > 0 {
                    line.push(' ');
                }
                line.push_str(&word);
                break;
            }
            if len > 0 {
                lines.push(std::mem::take(&mut line));
                continue;
            }
            // A word longer than a line: cut it.
            let head: String = word.chars().take(width).collect();
            word = word.chars().skip(width).collect();
            lines.push(head);
            if word.is_empty() {
                break;
            }
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

fn draw_chooser(frame: &mut Frame, area: Rect, state: &PickerState, entry: EntryId, cursor: usize) {
    frame.render_widget(Clear, area);
    let title = state.detail(entry).and_then(|d| d.title.as_deref()).unwrap_or("(untitled)");
    let block = Block::bordered().title(format!(" Excerpt for: {title} "));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let current = state.pick_of(entry).and_then(|p| p.excerpt.as_deref());
    let mut head: Vec<Line> = match current {
        Some(c) => {
            let mut l = wrap(&format!("Now: {c}"), inner.width as usize);
            l.truncate(3);
            l.into_iter().map(Line::raw).collect()
        }
        None => vec![Line::styled("Now: no excerpt", Style::new().dim())],
    };
    head.push(Line::raw(""));
    let [top, rest] = Layout::vertical([
        Constraint::Length(u16::try_from(head.len()).unwrap_or(u16::MAX)),
        Constraint::Min(1),
    ])
    .areas(inner);
    frame.render_widget(Paragraph::new(Text::from(head)), top);
    let list = state.suggestions(entry).unwrap_or_default();
    if list.is_empty() {
        frame.render_widget(
            Paragraph::new("No paragraphs to quote: w writes your own, E opens $EDITOR.")
                .wrap(Wrap { trim: false }),
            rest,
        );
        return;
    }
    let marks = if state.marked().is_empty() { 0 } else { 2 };
    let width = rest.width.saturating_sub(5 + marks) as usize;
    let items: Vec<ListItem> = list
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mut lines: Vec<Line> = wrap(p, width)
                .into_iter()
                .enumerate()
                .map(|(j, l)| {
                    let n = match (j, state.marked().contains(&i)) {
                        (0, true) => format!("{:>2}. ✓ ", i + 1),
                        (0, false) => format!("{:>2}. ", i + 1),
                        (_, true) => "      ".into(),
                        (_, false) => "    ".into(),
                    };
                    Line::raw(format!("{n}{l}"))
                })
                .collect();
            lines.push(Line::raw(""));
            ListItem::new(Text::from(lines))
        })
        .collect();
    let mut list_state = ListState::default().with_selected(Some(cursor));
    let list = List::new(items)
        .highlight_symbol("▶")
        .highlight_style(Style::new().add_modifier(Modifier::REVERSED));
    frame.render_stateful_widget(list, rest, &mut list_state);
}

#[cfg(test)]
mod tests {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    use super::super::state::tests::{candidate, detail, pick, three};
    use super::*;
    const W48: crate::week::IsoWeek = crate::week::IsoWeek { year: 2024, week: 48 };

    fn screen(state: &PickerState, w: u16, h: u16) -> String {
        let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
        t.draw(|f| draw(f, state)).unwrap();
        t.backend().to_string()
    }

    fn key(state: &mut PickerState, c: char) {
        state.key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
    }

    #[test]
    fn the_list_shows_date_outlet_title_and_author_beside_the_selected_entrys_text() {
        let c = three();
        let mut s = PickerState::new(W48, c.clone(), vec![]);
        s.add_detail(detail(&c[0], "The council set its budget.\n\nCouncil tax rises."));
        let out = screen(&s, 120, 12);
        assert!(out.contains("roundup · 2024-W48"), "{out}");
        assert!(out.contains("Candidates (3)") && out.contains("Picks (0)"), "{out}");
        assert!(
            out.contains("[ ]   29 Nov LGIU          Council budget approved — Ann Smith"),
            "{out}"
        );
        assert!(out.contains("Town Hall     Housing waiting lists grow"), "{out}");
        assert!(out.contains("The council set its budget."), "{out}");
        assert!(out.contains("LGIU · Ann Smith · Fri 29 Nov 2024 09:00 UTC"), "{out}");
        assert!(out.contains("https://lgiu.example/1"), "{out}");
        assert!(out.contains("space pick  s skip  J/K reorder  e excerpt"), "{out}");
        assert!(out.contains("q quit"), "{out}");
    }

    #[test]
    fn picks_are_marked_with_their_place_and_the_picks_tab_lists_them_in_order() {
        let c = three();
        let mut first = pick(&c[2], 1);
        first.note = Some("Read this.".into());
        first.excerpt = Some("Open data helps.".into());
        let mut s = PickerState::new(W48, c.clone(), vec![first, pick(&c[0], 2)]);
        let out = screen(&s, 120, 14);
        assert!(out.contains("[x] 2 29 Nov LGIU"), "{out}");
        assert!(out.contains("[x] 1 27 Nov Civic Tech"), "{out}");
        assert!(out.contains("Pick #2 of 2"), "{out}");
        assert!(out.contains("Lead-in: —"), "{out}");
        s.key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE));
        let out = screen(&s, 120, 14);
        assert!(out.contains("Picks in post order (2)"), "{out}");
        assert!(out.contains(" 1. Civic Tech    Open data for councils  [excerpt, note]"), "{out}");
        assert!(out.contains(" 2. LGIU          Council budget approved"), "{out}");
        assert!(out.contains("Excerpt: Open data helps."), "{out}");
        assert!(out.contains("Note: Read this."), "{out}");
    }

    #[test]
    fn the_filter_shows_in_the_header_and_the_list_counts_what_matches() {
        let mut s = PickerState::new(W48, three(), vec![]);
        key(&mut s, '/');
        for c in "budget".chars() {
            key(&mut s, c);
        }
        let out = screen(&s, 120, 10);
        assert!(out.contains("filter: budget"), "{out}");
        assert!(out.contains("Candidates (1 of 3)"), "{out}");
        assert!(!out.contains("Housing"), "{out}");
        assert!(out.contains("Enter keep filter  Esc clear"), "{out}");
        for _ in 0..6 {
            s.key(KeyEvent::new(KeyCode::Backspace, KeyModifiers::NONE));
        }
        key(&mut s, 'x');
        key(&mut s, 'y');
        assert!(screen(&s, 120, 10).contains("Nothing matches the filter."));
    }

    #[test]
    fn the_excerpt_chooser_numbers_the_suggestions_and_marks_the_chosen_one() {
        let c = three();
        let mut s = PickerState::new(W48, c.clone(), vec![]);
        s.add_detail(detail(&c[0], "x"));
        key(&mut s, 'e');
        s.suggestions_ready(
            EntryId(1),
            Ok(vec![
                "The council set its budget on Tuesday night after a debate that ran for four \
                 hours."
                    .into(),
                "Council tax will rise by 4.99 per cent.".into(),
            ]),
        );
        key(&mut s, '2');
        let out = screen(&s, 100, 16);
        assert!(out.contains("Excerpt for: Council budget approved"), "{out}");
        assert!(out.contains("Now: no excerpt"), "{out}");
        assert!(out.contains(" 1. The council set its budget"), "{out}");
        assert!(out.contains("▶ 2. Council tax will rise by 4.99 per cent."), "{out}");
        assert!(out.contains("Enter use it  w write your own"), "{out}");
    }

    #[test]
    fn marked_suggestions_are_ticked_in_the_chooser() {
        let c = three();
        let mut s = PickerState::new(W48, c.clone(), vec![]);
        s.add_detail(detail(&c[0], "x"));
        key(&mut s, 'e');
        s.suggestions_ready(
            EntryId(1),
            Ok(vec!["First para here.".into(), "Second para here.".into()]),
        );
        key(&mut s, '2');
        key(&mut s, ' ');
        let out = screen(&s, 100, 16);
        assert!(out.contains(" 1. First para here."), "{out}");
        assert!(out.contains("▶ 2. ✓ Second para here."), "{out}");
        assert!(out.contains("Space mark more"), "{out}");
    }

    #[test]
    fn the_input_box_names_the_field_and_the_entry() {
        let c = vec![candidate(EntryId(7), "LGIU", "Budget night", None)];
        let mut s = PickerState::new(W48, c.clone(), vec![pick(&c[0], 1)]);
        key(&mut s, 'n');
        for ch in "Worth a read".chars() {
            key(&mut s, ch);
        }
        let out = screen(&s, 100, 12);
        assert!(out.contains("Note for: Budget night"), "{out}");
        assert!(out.contains("│Worth a read"), "{out}");
        assert!(out.contains("Ctrl-E open $EDITOR"), "{out}");
    }

    /// Issue 9, item 2: old posts showed as `02 Mar`, as if this year's, and late arrivals were
    /// not told apart in the list.
    #[test]
    fn the_list_shows_the_year_of_other_years_posts_and_marks_late_arrivals() {
        let mut old = candidate(EntryId(1), "Archive", "From the archive", None);
        old.published = "2009-03-02T09:00:00Z".parse().unwrap();
        let mut late = candidate(EntryId(2), "LGIU", "Arrived late", None);
        late.published = "2024-11-15T09:00:00Z".parse().unwrap();
        late.late = true;
        let fresh = candidate(EntryId(3), "LGIU", "This week", None);
        let s = PickerState::new(W48, vec![fresh, late, old], vec![]);
        let out = screen(&s, 100, 12);
        let line = |text: &str| out.lines().find(|l| l.contains(text)).unwrap_or("").to_string();
        assert!(line("From the archive").contains("02 Mar 2009"), "{out}");
        assert!(line("Arrived late").contains("15 Nov late"), "{out}");
        assert!(line("This week").contains("27 Nov "), "{out}");
        assert!(
            !line("This week").contains("2024") && !line("This week").contains("late"),
            "{out}"
        );
    }

    #[test]
    fn status_messages_and_empty_lists_are_shown() {
        let mut s = PickerState::new(W48, vec![], vec![]);
        s.set_error("the 2024-W48 roundup is published");
        let out = screen(&s, 100, 8);
        assert!(out.contains("No candidates this week"), "{out}");
        assert!(out.contains("the 2024-W48 roundup is published"), "{out}");
    }

    #[test]
    fn failing_feeds_are_said_in_the_header() {
        let mut s = PickerState::new(W48, vec![], vec![]);
        s.set_feeds_notice(Some("11 of 11 feeds failing: no network? `roundup feeds list`".into()));
        let out = screen(&s, 120, 8);
        let header = out.lines().next().unwrap_or_default();
        assert!(header.contains("11 of 11 feeds failing: no network?"), "{out}");
    }

    #[test]
    fn a_long_list_scrolls_to_keep_the_selection_in_view() {
        let many: Vec<_> =
            (1..=30).map(|i| candidate(EntryId(i), "Blog", &format!("Post {i}"), None)).collect();
        let mut s = PickerState::new(W48, many, vec![]);
        for _ in 0..20 {
            key(&mut s, 'j');
        }
        let out = screen(&s, 100, 12);
        assert!(out.contains("Post 21"), "{out}");
        assert!(!out.contains("Post 1 "), "{out}");
        key(&mut s, 'k');
        let again = screen(&s, 100, 12);
        assert!(again.contains("Post 21") && again.contains("Post 20"), "{again}");
    }

    #[test]
    fn wrapping_breaks_at_spaces_and_cuts_overlong_words() {
        assert_eq!(wrap("one two three", 7), ["one two", "three"]);
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert!(wrap("", 4).is_empty());
    }
}
