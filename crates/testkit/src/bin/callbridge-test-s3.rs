//! `callbridge-test-s3`: an S3-compatible server (s3s-fs) on loopback for the browser tests,
//! where a tenant set up in the console keeps its recordings. Never part of the product.
//!
//! ```text
//! callbridge-test-s3 --listen 127.0.0.1:0 --root DIR --bucket NAME --access-key ID --secret-key KEY
//! ```
//!
//! Each bucket is a directory under `--root` and each object a file under it
//! (`<root>/<bucket>/<key>`), so a test reads what was uploaded from the disk. Requests are
//! signed (SigV4) with the one access key given. It prints `s3 listening on http://ADDR` once
//! bound (`--listen` port 0: the OS's pick, so a parallel test never races for a port) and serves
//! until SIGINT or SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;

const USAGE: &str = "usage: callbridge-test-s3 --listen 127.0.0.1:PORT --root DIR --bucket NAME \
                     --access-key ID --secret-key KEY";

struct Options {
    listen: SocketAddr,
    root: PathBuf,
    bucket: String,
    access_key: String,
    secret_key: String,
}

/// The options, or what is wrong with them in words.
fn options(args: impl Iterator<Item = String>) -> Result<Options, String> {
    let (mut listen, mut root, mut bucket, mut access_key, mut secret_key) =
        (None, None, None, None, None);
    let mut args = args;
    while let Some(flag) = args.next() {
        let slot = match flag.as_str() {
            "--listen" => &mut listen,
            "--root" => &mut root,
            "--bucket" => &mut bucket,
            "--access-key" => &mut access_key,
            "--secret-key" => &mut secret_key,
            other => return Err(format!("unknown argument {other:?}")),
        };
        *slot = Some(args.next().ok_or_else(|| format!("{flag} needs a value"))?);
    }
    let need =
        |value: Option<String>, flag: &str| value.ok_or_else(|| format!("{flag} is missing"));
    let listen: SocketAddr = need(listen, "--listen")?
        .parse()
        .map_err(|e| format!("--listen: {e}; write 127.0.0.1:PORT"))?;
    if !listen.ip().is_loopback() {
        return Err(format!(
            "--listen {listen} is not a loopback address; write 127.0.0.1:PORT"
        ));
    }
    Ok(Options {
        listen,
        root: PathBuf::from(need(root, "--root")?),
        bucket: need(bucket, "--bucket")?,
        access_key: need(access_key, "--access-key")?,
        secret_key: need(secret_key, "--secret-key")?,
    })
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let options = match options(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(problem) => {
            eprintln!("callbridge-test-s3: {problem}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match serve(options).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(problem) => {
            eprintln!("callbridge-test-s3: {problem}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(options: Options) -> Result<(), String> {
    let bucket = options.root.join(&options.bucket);
    std::fs::create_dir_all(&bucket)
        .map_err(|e| format!("cannot create the bucket {}: {e}", bucket.display()))?;
    let fs = s3s_fs::FileSystem::new(&options.root)
        .map_err(|e| format!("s3s-fs cannot use {}: {e:?}", options.root.display()))?;
    let mut builder = S3ServiceBuilder::new(fs);
    builder.set_auth(SimpleAuth::from_single(
        options.access_key.as_str(),
        options.secret_key.as_str(),
    ));
    let service = builder.build();
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", options.listen))?;
    let bound = listener
        .local_addr()
        .map_err(|e| format!("the bound address: {e}"))?;
    println!("s3 listening on http://{bound}");
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| format!("SIGTERM handler: {e}"))?;
    let mut connections = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            _ = terminate.recv() => break,
            accepted = listener.accept() => {
                let Ok((socket, _)) = accepted else { continue };
                let service = service.clone();
                connections.spawn(async move {
                    let _ = ConnBuilder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(socket), service)
                        .await;
                });
            }
        }
    }
    connections.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Options, String> {
        options(args.iter().map(|a| a.to_string()))
    }

    #[test]
    fn every_option_is_required_and_the_address_must_be_loopback() {
        let full = [
            "--listen",
            "127.0.0.1:0",
            "--root",
            "/tmp/x",
            "--bucket",
            "calls",
            "--access-key",
            "AK",
            "--secret-key",
            "SK",
        ];
        let options = parse(&full).expect("complete options");
        assert_eq!(options.bucket, "calls");
        assert_eq!(options.listen.port(), 0);
        assert_eq!(
            parse(&full[..8]).err().as_deref(),
            Some("--secret-key is missing")
        );
        let mut public = full;
        public[1] = "0.0.0.0:9000";
        let problem = |args: &[&str]| parse(args).err().unwrap_or_default();
        assert!(problem(&public).contains("not a loopback address"));
        assert!(problem(&["--port", "1"]).contains("unknown argument"));
    }
}
