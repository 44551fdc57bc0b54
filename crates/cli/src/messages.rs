//! The proto3 JSON mapping, through prost-reflect and the descriptor set ee-proto builds for reflection: messages
//! printed as JSON, and files (profiles, rounds) read from JSON or YAML of the same mapping.

use std::path::Path;
use std::sync::OnceLock;

use prost::Message;
use prost_reflect::{
    DescriptorPool, DeserializeOptions, DynamicMessage, MessageDescriptor, SerializeOptions,
};

use crate::error::{Error, Exit};

fn pool() -> &'static DescriptorPool {
    static POOL: OnceLock<DescriptorPool> = OnceLock::new();
    POOL.get_or_init(|| {
        DescriptorPool::decode(ee_proto::FILE_DESCRIPTOR_SET)
            .expect("ee-proto's descriptor set is built with the code and decodes")
    })
}

/// The descriptor of a message of package `expressentry.v1`, by its short name.
pub fn descriptor(name: &str) -> MessageDescriptor {
    let full = format!("expressentry.v1.{name}");
    pool()
        .get_message_by_name(&full)
        .unwrap_or_else(|| panic!("{full} is in ee-proto's descriptor set"))
}

/// A message as JSON text on one line, in the proto3 JSON mapping (lowerCamelCase names, enum names, RFC 3339
/// timestamps, 64-bit integers as strings, default values left out), fields in the order of the .proto file.
pub fn to_json<M: Message>(message: &M, name: &str) -> String {
    let dynamic = DynamicMessage::decode(descriptor(name), message.encode_to_vec().as_slice())
        .expect("a message decodes as its own type");
    let mut text = Vec::new();
    dynamic
        .serialize_with_options(
            &mut serde_json::Serializer::new(&mut text),
            &SerializeOptions::new(),
        )
        .expect("a message serialises to JSON");
    String::from_utf8(text).expect("serde_json writes UTF-8")
}

/// The file's contents as a message of type `name`: JSON (the proto3 JSON mapping) or YAML of the same, chosen by
/// the extension (`.yaml`, `.yml`) or, without one, by the first character. Errors name the file, the line and the
/// field, and exit with the usage status: the file needs fixing.
pub fn read_file<M: Message + Default>(path: &Path, name: &str) -> anyhow::Result<M> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::new(
            Exit::Usage,
            format!("cannot read {}: {e}; check the file name", path.display()),
        )
    })?;
    parse(&text, path, name)
}

/// As [`read_file`], from text.
pub fn parse<M: Message + Default>(text: &str, path: &Path, name: &str) -> anyhow::Result<M> {
    let desc = descriptor(name);
    let options = DeserializeOptions::new().deny_unknown_fields(true);
    let yaml = match path.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml") => true,
        Some(e) if e.eq_ignore_ascii_case("json") => false,
        _ => !text.trim_start().starts_with(['{', '[']),
    };
    let bad = |location: String, field: String, what: String| {
        let field = if field.is_empty() || field == "." {
            String::new()
        } else {
            format!(" {field}:")
        };
        Error::new(
            Exit::Usage,
            format!(
                "{}{location}:{field} {what}; fix the file (the proto3 JSON mapping of {name}, in JSON or YAML)",
                path.display()
            ),
        )
    };
    let dynamic = if yaml {
        let de = serde_yaml_ng::Deserializer::from_str(text);
        let mut track = serde_path_to_error::Track::new();
        let result = DynamicMessage::deserialize_with_options(
            desc,
            serde_path_to_error::Deserializer::new(de, &mut track),
            &options,
        );
        result.map_err(|e| {
            let location = e
                .location()
                .map(|l| format!(": line {}, column {}", l.line(), l.column()))
                .unwrap_or_default();
            let path = track.path().to_string();
            // serde_yaml_ng puts the path before its message; it is printed once, after the location.
            let what = strip_location(&e.to_string());
            let what = what
                .strip_prefix(&format!("{path}: "))
                .map_or(what.clone(), str::to_owned);
            bad(location, path, what)
        })?
    } else {
        let mut de = serde_json::Deserializer::from_str(text);
        let mut track = serde_path_to_error::Track::new();
        let result = DynamicMessage::deserialize_with_options(
            desc,
            serde_path_to_error::Deserializer::new(&mut de, &mut track),
            &options,
        )
        .and_then(|m| de.end().map(|()| m));
        result.map_err(|e| {
            let location = format!(": line {}, column {}", e.line(), e.column());
            let what = strip_location(&e.to_string());
            bad(location, track.path().to_string(), what)
        })?
    };
    Ok(dynamic
        .transcode_to::<M>()
        .expect("a dynamic message transcodes to its own generated type"))
}

/// serde's messages end with " at line L column C"; the location is printed once, before the field.
fn strip_location(message: &str) -> String {
    let message = match message.find(" at line ") {
        Some(i) => &message[..i],
        None => message,
    };
    crate::error::one_line(message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ee_proto::v1::{CandidateProfile, EducationLevel};

    #[test]
    fn json_and_yaml_read_the_same_profile() {
        let json = r#"{"education": "EDUCATION_LEVEL_MASTERS", "dateOfBirth": {"year": 1990, "month": 5, "day": 1},
            "profileSubmittedAt": "2024-01-02T03:04:05Z"}"#;
        let yaml = "# a comment\neducation: EDUCATION_LEVEL_MASTERS\ndateOfBirth: {year: 1990, month: 5, day: 1}\n\
                    profileSubmittedAt: 2024-01-02T03:04:05Z\n";
        let a: CandidateProfile = parse(json, Path::new("p.json"), "CandidateProfile").unwrap();
        let b: CandidateProfile = parse(yaml, Path::new("p.yaml"), "CandidateProfile").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.education, EducationLevel::Masters as i32);
        assert_eq!(a.profile_submitted_at.unwrap().seconds, 1_704_164_645);
        let back: serde_json::Value =
            serde_json::from_str(&to_json(&a, "CandidateProfile")).unwrap();
        assert_eq!(back["education"], "EDUCATION_LEVEL_MASTERS");
        assert_eq!(back["profileSubmittedAt"], "2024-01-02T03:04:05Z");
    }

    #[test]
    fn errors_name_the_line_and_the_field() {
        let json = "{\n  \"dateOfBirth\": {\"year\": 1990},\n  \"education\": \"PHD\"\n}";
        let e = parse::<CandidateProfile>(json, Path::new("p.json"), "CandidateProfile")
            .unwrap_err()
            .downcast::<Error>()
            .unwrap();
        assert_eq!(e.exit, Exit::Usage);
        assert!(e.message.contains("line 3"), "{}", e.message);
        assert!(e.message.contains("education"), "{}", e.message);
        // serde_yaml_ng places an unknown key at its mapping (line 2 here), and a bad value at the value.
        let yaml = "dateOfBirth:\n  year: 1990\n  mnth: 5\n";
        let e = parse::<CandidateProfile>(yaml, Path::new("p.yaml"), "CandidateProfile")
            .unwrap_err()
            .downcast::<Error>()
            .unwrap();
        assert!(e.message.contains("line 2"), "{}", e.message);
        assert!(
            e.message
                .contains("dateOfBirth: unrecognized field name 'mnth'"),
            "{}",
            e.message
        );
        let yaml = "dateOfBirth:\n  year: 1990\neducation: PHD\n";
        let e = parse::<CandidateProfile>(yaml, Path::new("p.yml"), "CandidateProfile")
            .unwrap_err()
            .downcast::<Error>()
            .unwrap();
        assert!(e.message.contains("line 3"), "{}", e.message);
        assert!(e.message.contains("education"), "{}", e.message);
    }
}
