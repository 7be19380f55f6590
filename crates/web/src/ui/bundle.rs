//! The browser softphone's files, embedded at compile time by `build.rs` from `ui/dist/`.

/// One file of the built bundle.
#[derive(Debug)]
pub(crate) struct Asset {
    /// Relative to `ui/dist/`, `/`-separated: `index.html`, `assets/index-CKsNuDgi.js`.
    pub path: &'static str,
    pub body: &'static [u8],
    /// The same bytes gzipped by the UI build (`ui/scripts/precompress.mjs`), when that was
    /// smaller.
    pub gzip: Option<&'static [u8]>,
    /// A strong entity tag of `body`, quoted.
    pub etag: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/ui_bundle.rs"));
