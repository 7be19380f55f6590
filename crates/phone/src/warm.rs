//! [`warm_up`]: pay the numbering library's one-time costs at start-up.

use crate::classify::{classify, CallerId};
use crate::matching::match_stored;
use crate::numbering;
use crate::region::Region;
use crate::variants::storage_variants;

/// Runs the data's example numbers of each region (tenant regions, and
/// the countries most callers come from) through [`classify`],
/// [`storage_variants`] and [`match_stored`], so that the library loads its
/// data and compiles the patterns those regions need before the first call
/// rings instead of during it (a cold parse takes milliseconds; a warm one
/// microseconds). Idempotent, no IO.
pub fn warm_up(regions: &[Region]) {
    for region in regions {
        let code = region.country_code();
        for national in numbering::examples(*region) {
            let CallerId::Dialable(number) = classify(&format!("+{code}{national}"), *region)
            else {
                continue;
            };
            for variant in storage_variants(&number) {
                let _ = match_stored(&variant, &number, *region);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warm_up_accepts_any_regions() {
        warm_up(&[]);
        warm_up(&[Region::parse("JP").unwrap(), Region::parse("US").unwrap()]);
    }
}
