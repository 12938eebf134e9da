//! (stub, being written) `roundup publish`.

use super::Exit;
use crate::cli::{Cli, PublishArgs};

pub(crate) fn publish(_cli: &Cli, _args: &PublishArgs) -> anyhow::Result<Exit> {
    anyhow::bail!("roundup publish is not built yet")
}
