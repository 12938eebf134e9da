//! `roundup desk`: the editor's desk in the browser (see [`crate::desk`]) until Ctrl-C or
//! SIGTERM; `roundup desk --set-password` writes the password's hash to the feeds file.

use anyhow::{Context, anyhow, bail};

use super::week::resolve_week;
use super::{Exit, configured, database_path, fetcher, load_config, open_store, runtime};
use crate::cli::{Cli, DeskArgs};
use crate::config::Config;
use crate::desk::{Access, DeskOptions, DeskState};

/// The environment variable whose Argon2 hash wins over `[desk] password_hash`.
pub(crate) const PASSWORD_HASH_ENV: &str = "ROUNDUP_DESK_PASSWORD_HASH";

pub(crate) fn desk(cli: &Cli, args: &DeskArgs) -> anyhow::Result<Exit> {
    let config = load_config(cli)?;
    if args.set_password {
        return set_password(&config);
    }
    let week = resolve_week(&args.week, &config)?;
    // Migrate and sync the feeds once, as every writing command does.
    drop(open_store(cli, &config)?);
    let password_hash = match std::env::var(PASSWORD_HASH_ENV) {
        Ok(hash) if !hash.trim().is_empty() => {
            crate::config::check_password_hash(hash.trim())
                .map_err(|m| anyhow!("{PASSWORD_HASH_ENV} {m}"))?;
            Some(hash.trim().to_string())
        }
        _ => config.desk.password_hash.clone(),
    };
    let limits = super::serve::connection_limits(args.header_timeout, args.max_connections);
    let rt = runtime()?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.addr.as_str()).await.map_err(|e| {
            let hint = if e.kind() == std::io::ErrorKind::AddrInUse {
                " (address already in use: is another desk running? choose another with --addr)"
            } else {
                ""
            };
            anyhow!("cannot listen on {}: {e}{hint}", args.addr)
        })?;
        let addr = listener.local_addr().context("cannot read the listening address")?;
        let loopback = addr.ip().is_loopback();
        if !loopback && password_hash.is_none() {
            bail!(
                "the desk writes to the database, so on {addr} (not loopback) it needs a password: \
                 run `roundup desk --set-password` first (or set {PASSWORD_HASH_ENV})"
            );
        }
        let access = Access {
            password_hash,
            behind_tls: args.behind_tls,
            allowed_hosts: loopback.then(|| Access::loopback(addr.port()).allowed_hosts).flatten(),
        };
        let login = if access.password_hash.is_some() { ", password required" } else { "" };
        let state = DeskState::new(DeskOptions {
            week,
            db_path: database_path(cli, &config),
            fetcher: fetcher(&config)?,
            intervals: configured(&config),
            access,
            config,
        })?;
        println!("roundup: desk for {week} at http://{addr}/{login} (Ctrl-C to stop)");
        crate::desk::serve(listener, state, limits, super::serve::stop_signal())
            .await
            .context("the desk failed")?;
        println!("roundup: stopped");
        Ok(Exit::Ok)
    })
}

/// Asks for the password twice (without echo on a terminal) and writes its hash to the feeds
/// file's `[desk]` table.
fn set_password(config: &Config) -> anyhow::Result<Exit> {
    let first = read_password("New desk password: ")?;
    if first.chars().count() < 8 {
        bail!("the password must have at least 8 characters; nothing was changed");
    }
    let second = read_password("The same again: ")?;
    if first != second {
        bail!("the two passwords differ; nothing was changed");
    }
    let hash = crate::desk::hash_password(&first)?;
    crate::feeds_file::set_desk_password_hash(&config.path, &hash)?;
    println!(
        "roundup: wrote the desk password's hash to [desk] password_hash in {}",
        config.path.display()
    );
    Ok(Exit::Ok)
}

/// One line from stdin, echo turned off while it is typed when stdin is a terminal.
fn read_password(prompt: &str) -> anyhow::Result<String> {
    use std::io::{BufRead, IsTerminal, Write};
    let stdin = std::io::stdin();
    let terminal = stdin.is_terminal();
    eprint!("{prompt}");
    std::io::stderr().flush()?;
    let echo = if terminal { EchoOff::new() } else { None };
    let mut line = String::new();
    let read = stdin.lock().read_line(&mut line);
    drop(echo);
    if terminal {
        eprintln!();
    }
    if read? == 0 {
        bail!("no password given; nothing was changed");
    }
    Ok(line.trim_end_matches(['\n', '\r']).to_string())
}

/// The terminal's echo turned off until dropped.
struct EchoOff(libc::termios);

impl EchoOff {
    fn new() -> Option<EchoOff> {
        // SAFETY: termios is plain data; tcgetattr fills it for fd 0 or fails.
        let mut t: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: fd 0 is stdin; `t` is a valid termios to write into.
        if unsafe { libc::tcgetattr(0, &mut t) } != 0 {
            return None;
        }
        let saved = t;
        t.c_lflag &= !libc::ECHO;
        // SAFETY: `t` is the terminal's own settings with ECHO cleared.
        (unsafe { libc::tcsetattr(0, libc::TCSANOW, &t) } == 0).then_some(EchoOff(saved))
    }
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        // SAFETY: restores the settings read in `new`.
        unsafe {
            libc::tcsetattr(0, libc::TCSANOW, &self.0);
        }
    }
}
