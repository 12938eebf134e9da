//! (stub, to be written) The full-screen picker of `roundup week`.

use crate::config::Config;
use crate::store::Store;
use crate::timefmt::IsoWeek;

/// Runs the picker on the terminal until the editor quits.
pub fn run(_config: &Config, _store: &mut Store, _week: IsoWeek) -> std::io::Result<()> {
    Ok(())
}
