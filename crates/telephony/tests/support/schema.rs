//! The softphone protocol's JSON Schema (`docs/softphone-protocol.schema.json`): every message
//! the tests' softphones send and receive is checked against it, so the document and the server
//! cannot drift apart unnoticed.

use std::sync::OnceLock;

use jsonschema::Validator;
use serde_json::Value;

/// Which side sent the message.
#[derive(Clone, Copy, Debug)]
pub enum Side {
    Client,
    Server,
}

fn validators() -> &'static (Validator, Validator) {
    static VALIDATORS: OnceLock<(Validator, Validator)> = OnceLock::new();
    VALIDATORS.get_or_init(|| {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../docs/softphone-protocol.schema.json"
        );
        let text = std::fs::read_to_string(path).expect("the protocol schema is readable");
        let root: Value = serde_json::from_str(&text).expect("the protocol schema is JSON");
        // The same document, entered at one side's definition.
        let entry = |definition: &str| {
            let mut schema = root.clone();
            let object = schema.as_object_mut().unwrap();
            object.remove("oneOf");
            object.insert("$ref".into(), format!("#/$defs/{definition}").into());
            jsonschema::validator_for(&schema).expect("the protocol schema compiles")
        };
        (entry("client_message"), entry("server_message"))
    })
}

/// Panics, naming every violation, unless `message` is a valid message from `side`.
pub fn check(side: Side, message: &Value) {
    let (client, server) = validators();
    let validator = match side {
        Side::Client => client,
        Side::Server => server,
    };
    let errors: Vec<String> = validator
        .iter_errors(message)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{side:?} message does not follow docs/softphone-protocol.schema.json: {message}\n{}",
        errors.join("\n")
    );
}

/// Whether `message` is a valid message from `side` (for tests of what the schema refuses).
pub fn is_valid(side: Side, message: &Value) -> bool {
    let (client, server) = validators();
    match side {
        Side::Client => client.is_valid(message),
        Side::Server => server.is_valid(message),
    }
}
