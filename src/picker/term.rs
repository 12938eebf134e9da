//! The real terminal: raw mode and the alternate screen for as long as the picker runs (left on
//! return, on error and on panic), stepping out of them while `$EDITOR` runs, and the editor
//! itself.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use ratatui::DefaultTerminal;
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{EnterAlternateScreen, enable_raw_mode};
use ratatui::layout::Rect;

use super::state::Field;

/// The terminal in raw mode on the alternate screen; put back as it was when dropped.
pub(super) struct Screen {
    pub terminal: DefaultTerminal,
}

impl Screen {
    /// Enters raw mode and the alternate screen, and installs a panic hook that leaves them
    /// before the panic message is printed (ratatui's `try_init`).
    pub(super) fn enter() -> io::Result<Screen> {
        Ok(Screen { terminal: ratatui::try_init()? })
    }

    /// Runs `f` on the normal screen in cooked mode (for `$EDITOR`), then comes back.
    pub(super) fn suspended<T>(&mut self, f: impl FnOnce() -> T) -> io::Result<T> {
        self.terminal.show_cursor()?;
        ratatui::try_restore()?;
        let out = f();
        enable_raw_mode()?;
        execute!(io::stdout(), EnterAlternateScreen)?;
        self.redraw_all()?;
        Ok(out)
    }

    /// Makes the next draw paint every cell (after something else wrote to the terminal).
    /// Unlike `Terminal::clear`, this does not ask the terminal where its cursor is, which
    /// some terminals (and emulators in tests) never answer.
    pub(super) fn redraw_all(&mut self) -> io::Result<()> {
        let size = self.terminal.size()?;
        self.terminal.resize(Rect::new(0, 0, size.width, size.height))
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        let _ = self.terminal.show_cursor();
        ratatui::restore();
    }
}

/// The editor to run: `$VISUAL`, else `$EDITOR`, else `vi`.
fn editor_command() -> String {
    ["VISUAL", "EDITOR"]
        .into_iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "vi".to_string())
}

/// A new private file in the temp folder named for `field` (never an existing one: the
/// folder is shared).
fn new_temp_file(field: Field, text: &str) -> io::Result<PathBuf> {
    let dir = std::env::temp_dir();
    for n in 0..100 {
        let path = dir.join(format!("roundup-{}-{n}-{}.md", std::process::id(), field.label()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(&path) {
            Ok(mut f) => {
                f.write_all(text.as_bytes())?;
                if !text.is_empty() && !text.ends_with('\n') {
                    f.write_all(b"\n")?;
                }
                return Ok(path);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other("no free temp file name"))
}

fn run_editor(editor: &str, path: &Path) -> io::Result<std::process::ExitStatus> {
    // Like git: the variable may hold arguments ("code --wait"), so a shell splits it.
    #[cfg(unix)]
    let mut cmd = {
        let mut c = Command::new("sh");
        c.arg("-c").arg(format!("{editor} \"$@\"")).arg(editor).arg(path);
        c
    };
    #[cfg(not(unix))]
    let mut cmd = {
        let mut words = editor.split_whitespace();
        let mut c = Command::new(words.next().unwrap_or("notepad"));
        c.args(words).arg(path);
        c
    };
    cmd.status()
}

/// Opens the editor on `text` and returns what it was saved as (trailing blank space removed),
/// or why not.
pub(super) fn edit(text: &str, field: Field) -> Result<String, String> {
    let path = new_temp_file(field, text).map_err(|e| format!("cannot write a temp file: {e}"))?;
    let editor = editor_command();
    let result = match run_editor(&editor, &path) {
        Ok(status) if status.success() => std::fs::read_to_string(&path)
            .map(|t| t.trim_end().to_string())
            .map_err(|e| format!("cannot read {}: {e}", path.display())),
        Ok(status) => Err(format!("{editor} exited with {status}")),
        Err(e) => Err(format!("cannot run {editor}: {e}")),
    };
    let _ = std::fs::remove_file(&path);
    result
}
