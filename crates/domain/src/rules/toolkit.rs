//! The loading toolkit every rule table uses: the error that names a file and a path, the reader that skips
//! documentation keys, dated rule sets, CLB tiers, and the validators of ranges and tables.

use chrono::NaiveDate;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::model::language::MAX_CLB;

/// A rule file that is not valid: the file, the path of the value within it, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {path}: {message}")]
pub struct RulesError {
    /// The file's name, for example `crs.json`.
    pub file: String,
    /// The value's path, for example `age.with_spouse` or `additional_rules[3].effective_from`; `.` is the whole
    /// file.
    pub path: String,
    pub message: String,
}

impl RulesError {
    pub(crate) fn new(file: &str, path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            file: file.to_owned(),
            path: path.into(),
            message: message.into(),
        }
    }
}

/// Removes the documentation keys (those starting with `_`) from every object.
fn strip_doc_keys(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|key, _| !key.starts_with('_'));
            map.values_mut().for_each(strip_doc_keys);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_doc_keys),
        _ => {}
    }
}

/// Deserialises a rule file, naming the path of any value that does not fit its type.
pub(crate) fn parse<T: DeserializeOwned>(file: &str, json: &str) -> Result<T, RulesError> {
    let mut value: Value =
        serde_json::from_str(json).map_err(|e| RulesError::new(file, ".", e.to_string()))?;
    strip_doc_keys(&mut value);
    serde_path_to_error::deserialize(value).map_err(|e| {
        let message = e.inner().to_string();
        let mut path = e.path().to_string();
        // serde reports a missing key at the object that lacks it; name the key itself.
        if let Some(key) = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
        {
            path = if path == "." {
                key.to_owned()
            } else {
                format!("{path}.{key}")
            };
        }
        RulesError::new(file, path, message)
    })
}

/// A rule set that takes effect on a date and stays in force until the next one.
pub(crate) trait EffectiveFrom {
    fn effective_from(&self) -> NaiveDate;
}

/// Rule sets that replace each other over time, oldest first; never empty. The loader checks their order with
/// [`Dated::validate_order`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "Vec<T>")]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
pub(crate) struct Dated<T> {
    first: T,
    later: Vec<T>,
}

impl<T> TryFrom<Vec<T>> for Dated<T> {
    type Error = &'static str;
    fn try_from(items: Vec<T>) -> Result<Self, Self::Error> {
        let mut items = items.into_iter();
        let first = items.next().ok_or("needs at least one entry")?;
        Ok(Self {
            first,
            later: items.collect(),
        })
    }
}

impl<T: EffectiveFrom> Dated<T> {
    /// Every entry of the list read from `file` at `path` (`additional_rules`) takes effect after the one before.
    pub(crate) fn validate_order(&self, file: &str, path: &str) -> Result<(), RulesError> {
        let mut previous = self.first.effective_from();
        for (i, rule) in self.later.iter().enumerate() {
            let from = rule.effective_from();
            if from <= previous {
                return Err(RulesError::new(
                    file,
                    format!("{path}[{}].effective_from", i + 1),
                    format!(
                        "{from} is not after the entry before it ({previous}): entries must be in date order"
                    ),
                ));
            }
            previous = from;
        }
        Ok(())
    }

    /// The rule set in force on `date`; before the first one took effect, the first.
    pub(crate) fn on(&self, date: NaiveDate) -> &T {
        self.later
            .iter()
            .rev()
            .find(|r| r.effective_from() <= date)
            .unwrap_or(&self.first)
    }

    /// Every rule set, oldest first.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        std::iter::once(&self.first).chain(&self.later)
    }
}

/// Points for a CLB level or more (per ability, or in all four abilities, as the table says).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Tier<T> {
    pub(crate) min_clb: u8,
    pub(crate) points: T,
}

/// The points of the first tier (tiers are listed highest level first) that `level` reaches; none reached, none.
pub(crate) fn tier_points<T: Copy + Default>(tiers: &[Tier<T>], level: u8) -> T {
    tiers
        .iter()
        .find(|t| level >= t.min_clb)
        .map_or_else(T::default, |t| t.points)
}

/// Tiers are listed highest level first, each a CLB level from 1 to 12.
pub(crate) fn validate_tiers<T>(
    file: &str,
    path: &str,
    tiers: &[Tier<T>],
) -> Result<(), RulesError> {
    let mut previous: Option<u8> = None;
    for (i, tier) in tiers.iter().enumerate() {
        let at = format!("{path}[{i}].min_clb");
        validate_range(file, at.as_str(), tier.min_clb, 1..=MAX_CLB)?;
        if previous.is_some_and(|p| tier.min_clb >= p) {
            return Err(RulesError::new(
                file,
                at,
                "tiers must be listed highest level first",
            ));
        }
        previous = Some(tier.min_clb);
    }
    Ok(())
}

/// Fails unless `value` is within `range`.
pub(crate) fn validate_range<N: PartialOrd + std::fmt::Display>(
    file: &str,
    path: impl Into<String>,
    value: N,
    range: std::ops::RangeInclusive<N>,
) -> Result<(), RulesError> {
    if range.contains(&value) {
        Ok(())
    } else {
        Err(RulesError::new(
            file,
            path,
            format!(
                "{value} is out of range: {} to {}",
                range.start(),
                range.end()
            ),
        ))
    }
}

/// Fails unless every entry of a points table is at most `cap`: a table entry over its own cap is a typo.
pub(crate) fn validate_at_most(
    file: &str,
    path: &str,
    table: &[u32],
    cap: u32,
) -> Result<(), RulesError> {
    match table.iter().position(|p| *p > cap) {
        None => Ok(()),
        Some(i) => Err(RulesError::new(
            file,
            format!("{path}[{i}]"),
            format!("{} is more than the cap of {cap}", table[i]),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documentation_keys_are_skipped_everywhere() {
        let mut v: Value = serde_json::from_str(
            r#"{"_comment": "x", "a": [{"_index": 1, "b": 2}], "c": {"_note": 3, "d": 4}}"#,
        )
        .expect("json");
        strip_doc_keys(&mut v);
        assert_eq!(v.to_string(), r#"{"a":[{"b":2}],"c":{"d":4}}"#);
    }
}
