//! `roundup serve`: the public folder over HTTP until Ctrl-C or SIGTERM.

use anyhow::{Context, anyhow};

use super::{Exit, load_config, runtime};
use crate::cli::{Cli, ServeArgs};

pub(crate) fn serve(cli: &Cli, args: &ServeArgs) -> anyhow::Result<Exit> {
    let config = load_config(cli)?;
    let public = &config.roundup.public;
    let root = match std::fs::canonicalize(public) {
        Ok(root) if root.is_dir() => root,
        Ok(_) => {
            return Err(anyhow!(
                "the public folder {} is not a folder (see [roundup] public in {})",
                public.display(),
                config.path.display()
            ));
        }
        Err(_) => {
            return Err(anyhow!(
                "the public folder {} does not exist: run `roundup publish` first",
                public.display()
            ));
        }
    };
    let limits = connection_limits(args.header_timeout, args.max_connections);
    let rt = runtime()?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.addr.as_str()).await.map_err(|e| {
            let hint = if e.kind() == std::io::ErrorKind::AddrInUse {
                " (address already in use: is another server running? choose another with --addr)"
            } else {
                ""
            };
            anyhow!("cannot listen on {}: {e}{hint}", args.addr)
        })?;
        let addr = listener.local_addr().context("cannot read the listening address")?;
        println!("roundup: serving {} at http://{addr}/ (Ctrl-C to stop)", public.display());
        crate::serve::serve(listener, root, limits, stop_signal())
            .await
            .context("the server failed")?;
        println!("roundup: stopped");
        Ok(Exit::Ok)
    })
}

/// The limits of `--header-timeout SECS` and `--max-connections N` (of `serve` and `desk`),
/// after raising the open-file limit: at most as many connections as it leaves room for.
pub(super) fn connection_limits(
    header_timeout: u64,
    max_connections: usize,
) -> crate::serve::Limits {
    let files = match crate::serve::raise_open_file_limit() {
        Ok(n) => n,
        Err(e) => {
            eprintln!("roundup: warning: cannot raise the open-file limit: {e}");
            1024
        }
    };
    // Leave room for the files a request reads and the runtime's own.
    let room = usize::try_from(files.saturating_sub(64)).unwrap_or(usize::MAX).max(1);
    crate::serve::Limits {
        header_timeout: std::time::Duration::from_secs(header_timeout.max(1)),
        max_connections: max_connections.min(room),
    }
}

/// Resolves on Ctrl-C or (on Unix) SIGTERM.
pub(super) async fn stop_signal() {
    #[cfg(unix)]
    {
        let Ok(mut term) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        else {
            let _ = tokio::signal::ctrl_c().await;
            return;
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}
