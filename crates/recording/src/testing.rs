//! Test support for other crates' tests and benches (feature `testing`): a real S3 server
//! (s3s-fs over hyper) on 127.0.0.1, with a switch that makes it answer 503.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

pub const ACCESS_KEY: &str = "AKIDCALLBRIDGETEST";
pub const SECRET_KEY: &str = "test-secret-key-for-s3s-fs";
pub const BUCKET: &str = "recordings";

/// A real S3 server (s3s-fs over hyper) on 127.0.0.1, with a switch that makes it answer 503.
pub struct S3Server {
    pub endpoint: String,
    available: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
    _root: tempfile::TempDir,
}

impl S3Server {
    pub async fn start() -> Self {
        use hyper_util::rt::{TokioExecutor, TokioIo};
        use hyper_util::server::conn::auto::Builder as ConnBuilder;
        use s3s::auth::SimpleAuth;
        use s3s::service::S3ServiceBuilder;

        let root = tempfile::tempdir().expect("a temporary directory");
        std::fs::create_dir(root.path().join(BUCKET)).expect("the bucket directory");
        let fs = s3s_fs::FileSystem::new(root.path()).expect("s3s-fs starts");
        let mut builder = S3ServiceBuilder::new(fs);
        builder.set_auth(SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
        let service = builder.build();

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let endpoint = format!("http://{}", listener.local_addr().expect("bound"));
        let available = Arc::new(AtomicBool::new(true));
        let switch = Arc::clone(&available);
        let task = tokio::spawn(async move {
            // Connections live in this set, so aborting the server task closes them too.
            let mut connections = tokio::task::JoinSet::new();
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    continue;
                };
                let service = service.clone();
                let switch = Arc::clone(&switch);
                let handler = hyper::service::service_fn(move |request| {
                    let service = service.clone();
                    let up = switch.load(Ordering::SeqCst);
                    async move {
                        if up {
                            hyper::service::Service::call(&service, request).await
                        } else {
                            Ok(hyper::Response::builder()
                                .status(503)
                                .body(s3s::Body::from("unavailable".to_string()))
                                .expect("a static response"))
                        }
                    }
                });
                connections.spawn(async move {
                    let _ = ConnBuilder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(socket), handler)
                        .await;
                });
            }
        });
        Self {
            endpoint,
            available,
            task,
            _root: root,
        }
    }

    /// Where the bucket's objects are files (`<root>/<bucket>/<key>`).
    pub fn root(&self) -> &Path {
        self._root.path()
    }

    pub fn set_available(&self, up: bool) {
        self.available.store(up, Ordering::SeqCst);
    }

    pub fn config(&self, prefix: &str) -> crate::RecordingStoreConfig {
        crate::RecordingStoreConfig::S3 {
            bucket: BUCKET.into(),
            region: "us-east-1".into(),
            endpoint: Some(self.endpoint.clone()),
            allow_http: true,
            credentials: crate::S3Credentials::AccessKey {
                id: ACCESS_KEY.into(),
                secret: SECRET_KEY.into(),
                session_token: None,
            },
            prefix: prefix.into(),
        }
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}
