//! The feed's own shape: every value a string (a number or `null` where IRCC writes a string is read as its text or
//! as empty; a byte-order mark before the document is ignored).

use serde::Deserialize;
use serde_json::Value;

use crate::FeedError;

#[derive(Deserialize)]
pub(crate) struct Feed {
    pub rounds: Vec<Round>,
}

impl Feed {
    pub fn read(bytes: &[u8]) -> Result<Self, FeedError> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let mut doc: Value = serde_json::from_slice(bytes).map_err(|e| FeedError::Json {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        if let Some(rounds) = doc.get_mut("rounds").and_then(Value::as_array_mut) {
            for field in rounds
                .iter_mut()
                .filter_map(Value::as_object_mut)
                .flat_map(|r| r.values_mut())
            {
                match field {
                    Value::Null => *field = Value::String(String::new()),
                    Value::Number(n) => *field = Value::String(n.to_string()),
                    Value::Bool(b) => *field = Value::String(b.to_string()),
                    _ => {}
                }
            }
        }
        serde_json::from_value(doc).map_err(|e| FeedError::Shape(e.to_string()))
    }
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Round {
    pub draw_number: String,
    pub draw_date: String,
    pub draw_date_time: String,
    pub draw_name: String,
    pub draw_size: String,
    #[serde(rename = "drawCRS")]
    pub draw_crs: String,
    pub draw_cut_off: String,
    pub draw_text2: String,
    pub draw_distribution_as_on: String,
    dd1: String,
    dd2: String,
    dd3: String,
    dd4: String,
    dd5: String,
    dd6: String,
    dd7: String,
    dd8: String,
    dd9: String,
    dd10: String,
    dd11: String,
    dd12: String,
    dd13: String,
    dd14: String,
    dd15: String,
    dd16: String,
    dd17: String,
    dd18: String,
}

impl Round {
    /// The value of `dd{i}`, for i in 1..=18.
    pub fn dd(&self, i: usize) -> &str {
        [
            &self.dd1, &self.dd2, &self.dd3, &self.dd4, &self.dd5, &self.dd6, &self.dd7, &self.dd8,
            &self.dd9, &self.dd10, &self.dd11, &self.dd12, &self.dd13, &self.dd14, &self.dd15,
            &self.dd16, &self.dd17, &self.dd18,
        ]
        .get(i.wrapping_sub(1))
        .map_or("", |s| s.as_str())
    }
}
