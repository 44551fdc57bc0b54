//! IRCC's side of things, written by a test: feeds with rounds of its choosing, and rule data directories in which
//! the catalogue knows a category that the shipped one does not.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

/// A round as IRCC's feed writes it (every value a string): `number`, held at `date_time` (such as
/// `"September 2, 2026 at 14:00:00 UTC"`, on `date` `"2026-09-02"`), labelled `name`, `size` invitations at CRS `crs`,
/// tie-break `cut_off`.
pub fn feed_round(
    number: &str,
    date: &str,
    date_time: &str,
    name: &str,
    size: u32,
    crs: u32,
) -> Value {
    json!({
        "drawNumber": number,
        "drawDate": date,
        "drawDateTime": date_time,
        "drawName": name,
        "drawSize": size.to_string(),
        "drawCRS": crs.to_string(),
        "drawCutOff": "August 1, 2026 at 10:00:00 UTC",
        "drawText2": "Federal Skilled Worker, Canadian Experience Class and Federal Skilled Trades",
        "drawDistributionAsOn": "",
    })
}

/// A feed document listing `rounds` in this order (IRCC lists the newest first).
pub fn feed(rounds: &[Value]) -> Vec<u8> {
    serde_json::to_vec(&json!({"classes": "wb-tables", "rounds": rounds})).expect("a feed document")
}

/// A directory for `--rules-dir`, removed when dropped.
pub struct RulesDir {
    pub path: PathBuf,
}

impl RulesDir {
    /// The shipped catalogue and round labels plus one category: `id` version 1, in force from `from`, an occupation
    /// category listing NOC 72310 (carpenters), named `name`, whose rounds IRCC labels `label` (without version).
    pub fn with_category(id: &str, name: &str, label: &str, from: &str) -> Self {
        let path =
            std::env::temp_dir().join(format!("ee-test-rules-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&path).expect("create the rules directory");
        let sources = ee_domain::rules::RuleSources::builtin();
        let mut categories: Value =
            serde_json::from_str(sources.categories).expect("categories.json");
        categories["categories"]
            .as_array_mut()
            .expect("a list of categories")
            .push(json!({
                "id": id, "version": 1, "name": name, "effective_from": from, "effective_until": null,
                "requirement": "occupation",
                "occupations": [{"noc": "72310", "title": "Carpenters", "teer": 2}]
            }));
        let mut names: Value =
            serde_json::from_str(ee_ircc_feed::BUILTIN_ROUND_NAMES).expect("round-names.json");
        names["categories"][id] = json!([label]);
        write(&path, "categories.json", &categories);
        write(&path, "round-names.json", &names);
        Self { path }
    }
}

fn write(dir: &Path, name: &str, value: &Value) {
    let text = serde_json::to_string_pretty(value).expect("json");
    std::fs::write(dir.join(name), text).unwrap_or_else(|e| panic!("{name}: {e}"));
}

impl Drop for RulesDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}
