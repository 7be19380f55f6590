//! Embeds the browser softphone's built bundle (`ui/dist/`, made by `npm run build` in `ui/`)
//! into the binary: generates `$OUT_DIR/ui_bundle.rs`, the asset table `src/ui/` serves, with
//! each file's bytes (`include_bytes!`), its precompressed `.gz` beside it when the build made
//! one, and an entity tag computed here from the bytes.
//!
//! Without `ui/dist/` (cargo run before the UI was built) the build still succeeds and the table
//! is `None`: the server then answers `/` with a 503 page saying how to build the UI.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let ui = manifest.join("../../ui");
    let dist = ui.join("dist");
    let out =
        PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo")).join("ui_bundle.rs");

    let code = if dist.join("index.html").is_file() {
        // A directory is scanned whole: any rebuilt file re-runs this script.
        println!("cargo:rerun-if-changed={}", dist.display());
        bundle_table(&dist)
    } else {
        // Watching `ui/` notices `npm run build` creating `dist/` (a missing path would make
        // cargo re-run this script, and rebuild the crate, on every build).
        println!("cargo:rerun-if-changed={}", ui.display());
        "/// `ui/dist/` was missing when this binary was built.\n\
         pub(crate) static BUNDLE: Option<&[Asset]> = None;\n"
            .to_string()
    };
    std::fs::write(&out, code).expect("writing the UI asset table");
}

fn bundle_table(dist: &Path) -> String {
    let mut files = Vec::new();
    collect(dist, dist, &mut files);
    files.sort();
    let mut code = String::from(
        "/// The bundle built from `ui/dist/`, in path order.\n\
         pub(crate) static BUNDLE: Option<&[Asset]> = Some(&[\n",
    );
    for relative in files.iter().filter(|f| !f.ends_with(".gz")) {
        let path = dist.join(relative);
        let bytes = std::fs::read(&path).expect("reading a UI file");
        let gz = dist.join(format!("{relative}.gz"));
        let gzip = if files.iter().any(|f| *f == format!("{relative}.gz")) {
            format!("Some(include_bytes!({:?}))", gz.display().to_string())
        } else {
            "None".to_string()
        };
        writeln!(
            code,
            "    Asset {{ path: {relative:?}, body: include_bytes!({:?}), gzip: {gzip}, etag: \"\\\"{:016x}\\\"\" }},",
            path.display().to_string(),
            fnv1a(&bytes),
        )
        .expect("writing to a string");
    }
    code.push_str("]);\n");
    code
}

/// Every file under `dir`, as `/`-separated paths relative to `root`.
fn collect(root: &Path, dir: &Path, into: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).expect("reading ui/dist") {
        let path = entry.expect("reading ui/dist").path();
        if path.is_dir() {
            collect(root, &path, into);
        } else {
            let relative = path.strip_prefix(root).expect("under ui/dist");
            let parts: Vec<_> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            into.push(parts.join("/"));
        }
    }
}

/// FNV-1a, 64 bits: an entity tag only has to change when the bytes do.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
