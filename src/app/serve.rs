//! (stub, being written) `roundup serve`.

use super::Exit;
use crate::cli::{Cli, ServeArgs};

pub(crate) fn serve(_cli: &Cli, _args: &ServeArgs) -> anyhow::Result<Exit> {
    anyhow::bail!("roundup serve is not built yet")
}
