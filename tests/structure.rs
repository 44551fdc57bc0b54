//! The shape of the workspace, checked from its source: no import circle between the modules of any crate, and the
//! domain's layers (`model` → `rules` → `rounds` → `assessments`) used only downwards.
//!
//! A module is a file (`src/a/b.rs` or `src/a/b/mod.rs` is `a::b`); a module imports another when its code names
//! a path through it (`use crate::a::b::X`, `crate::a::f()`, `use super::c`). Code under `#[cfg(test)]` is left
//! out: a test may use anything. Run alone with `cargo test -p ee-tests --test structure`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The domain's layers, lowest first: a module may use its own layer and those before it.
const DOMAIN_LAYERS: [&str; 4] = ["model", "rules", "rounds", "assessments"];

type Graph = BTreeMap<String, BTreeSet<String>>;

/// A crate's modules and, for each, the modules it uses.
fn crate_graph(src: &Path) -> Graph {
    let mut files = Vec::new();
    collect_rs(src, &mut files);
    let modules: BTreeMap<String, PathBuf> = files
        .into_iter()
        .filter_map(|f| module_path(src, &f).map(|m| (m, f)))
        .collect();
    let known: BTreeSet<String> = modules.keys().cloned().collect();
    modules
        .iter()
        .map(|(module, file)| {
            let text = std::fs::read_to_string(file).expect("read a source file");
            let uses = references(module, &without_tests(&text))
                .into_iter()
                .map(|path| resolve(&known, &path))
                .filter(|target| target != module)
                .collect();
            (module.clone(), uses)
        })
        .collect()
}

fn collect_rs(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read a source folder") {
        let path = entry.expect("a folder entry").path();
        if path.is_dir() {
            // src/bin holds crates of their own.
            if path.file_name().is_some_and(|n| n != "bin") {
                collect_rs(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `src/a/b.rs` and `src/a/b/mod.rs` are `a::b`; `lib.rs` and `main.rs` are the crate root, ``.
fn module_path(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?;
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    if parts.len() == 1 && (parts[0] == "lib" || parts[0] == "main") {
        parts.clear();
    }
    Some(parts.join("::"))
}

/// The source without comments and without the items marked `#[cfg(test)]`.
fn without_tests(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let code = line.split("//").next().unwrap_or("");
        if code.trim() == "#[cfg(test)]" {
            // Skip the item: up to the end of its braces, or its `;` when it has none.
            let mut depth = 0i32;
            let mut opened = false;
            for item_line in lines.by_ref() {
                let code = item_line.split("//").next().unwrap_or("");
                for c in code.chars() {
                    match c {
                        '{' => {
                            depth += 1;
                            opened = true;
                        }
                        '}' => depth -= 1,
                        _ => {}
                    }
                }
                if (opened && depth <= 0) || (!opened && code.trim_end().ends_with(';')) {
                    break;
                }
            }
            continue;
        }
        out.push_str(code);
        out.push('\n');
    }
    out
}

/// Every path the code names through `crate::` or `super::`, or a `use` of a child module, made absolute
/// (`a::b::X`).
fn references(module: &str, code: &str) -> Vec<Vec<String>> {
    let here: Vec<String> = if module.is_empty() {
        Vec::new()
    } else {
        module.split("::").map(str::to_owned).collect()
    };
    // `super` of a/b.rs and of a/b/mod.rs (both a::b) is a.
    let parent: Vec<String> = here[..here.len().saturating_sub(1)].to_vec();
    let mut out = Vec::new();
    // `use child::X` in a module names its own child module (or an outside crate, which resolves to no module).
    for line in code.lines() {
        let t = line.trim_start();
        let Some(path) = ["use ", "pub use ", "pub(crate) use "]
            .iter()
            .find_map(|p| t.strip_prefix(p))
        else {
            continue;
        };
        if ["crate::", "super::", "self::", "::"]
            .iter()
            .any(|p| path.starts_with(p))
        {
            continue;
        }
        for p in path_tree(path).0 {
            let mut full = here.clone();
            full.extend(p);
            out.push(full);
        }
    }
    let bytes = code.as_bytes();
    let mut i = 0;
    while i < code.len() {
        let rest = &code[i..];
        let (prefix, base) = if rest.starts_with("crate::") && !preceded_by_ident(bytes, i) {
            ("crate::", Vec::new())
        } else if rest.starts_with("super::") && !preceded_by_ident(bytes, i) {
            ("super::", parent.clone())
        } else {
            i += rest.chars().next().map_or(1, char::len_utf8);
            continue;
        };
        let after = &rest[prefix.len()..];
        let (paths, used) = path_tree(after);
        for p in paths {
            let mut full = base.clone();
            full.extend(p);
            out.push(full);
        }
        i += prefix.len() + used.max(1);
    }
    out
}

fn preceded_by_ident(bytes: &[u8], i: usize) -> bool {
    i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_' || bytes[i - 1] == b'$')
}

/// The paths of `a::b::{c, d::e}` (relative), and how many bytes they took.
fn path_tree(s: &str) -> (Vec<Vec<String>>, usize) {
    let mut segs = Vec::new();
    let mut i = 0;
    loop {
        let ident: String = s[i..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if ident.is_empty() {
            if s[i..].starts_with('{') {
                // A group: each item is a path of its own below the segments so far.
                let mut out = Vec::new();
                i += 1;
                loop {
                    let t = s[i..].trim_start();
                    i += s[i..].len() - t.len();
                    if t.starts_with('}') {
                        i += 1;
                        break;
                    }
                    if t.is_empty() {
                        break;
                    }
                    let (sub, used) = path_tree(t);
                    for p in sub {
                        let mut full = segs.clone();
                        full.extend(p);
                        out.push(full);
                    }
                    i += used.max(1);
                    let t = s[i..].trim_start();
                    i += s[i..].len() - t.len();
                    if t.starts_with(',') {
                        i += 1;
                    }
                }
                return (out, i);
            }
            return (vec![segs], i);
        }
        i += ident.len();
        if ident != "self" {
            segs.push(ident);
        }
        if s[i..].starts_with("::") {
            i += 2;
        } else {
            // ` as alias` is not a path segment.
            return (vec![segs], i);
        }
    }
}

/// The module a path goes through: its longest prefix that is a module.
fn resolve(known: &BTreeSet<String>, path: &[String]) -> String {
    (0..=path.len())
        .rev()
        .map(|n| path[..n].join("::"))
        .find(|m| known.contains(m))
        .unwrap_or_default()
}

/// Every circle of the graph (its strongly connected components of more than one module), each sorted.
fn circles(graph: &Graph) -> Vec<Vec<String>> {
    // Tarjan's algorithm, iterative enough for a few hundred modules.
    struct State<'g> {
        graph: &'g Graph,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on_stack: BTreeSet<&'g str>,
        next: usize,
        out: Vec<Vec<String>>,
    }
    fn visit<'g>(s: &mut State<'g>, v: &'g str) {
        s.index.insert(v, s.next);
        s.low.insert(v, s.next);
        s.next += 1;
        s.stack.push(v);
        s.on_stack.insert(v);
        let graph = s.graph;
        for w in graph.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !graph.contains_key(w) {
                continue;
            }
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).expect("visited");
                *lv = (*lv).min(lw);
            } else if s.on_stack.contains(w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).expect("visited");
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w.to_owned());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.out.push(component);
            }
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    s.out
}

/// The crate root re-exports what it declares: it is not an import of the modules it lists, so it is left out.
fn without_root(graph: &Graph) -> Graph {
    graph
        .iter()
        .filter(|(m, _)| !m.is_empty())
        .map(|(m, uses)| (m.clone(), uses.clone()))
        .collect()
}

/// Each circle with the imports that close it: `a -> b -> a`.
fn describe(graph: &Graph, circle: &[String]) -> String {
    let members: BTreeSet<&String> = circle.iter().collect();
    let edges: Vec<String> = circle
        .iter()
        .flat_map(|m| {
            graph[m]
                .iter()
                .filter(|t| members.contains(t))
                .map(move |t| format!("{m} -> {t}"))
        })
        .collect();
    edges.join(", ")
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace")
        .to_owned()
}

fn crate_sources() -> Vec<(String, PathBuf)> {
    let mut out: Vec<(String, PathBuf)> = std::fs::read_dir(workspace().join("crates"))
        .expect("crates/")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.join("src").is_dir())
        .map(|p| {
            let name = p
                .file_name()
                .expect("a name")
                .to_string_lossy()
                .into_owned();
            (name, p.join("src"))
        })
        .collect();
    out.sort();
    out
}

#[test]
fn no_crate_has_an_import_circle() {
    let mut found = Vec::new();
    for (name, src) in crate_sources() {
        let graph = without_root(&crate_graph(&src));
        for circle in circles(&graph) {
            found.push(format!("{name}: {}", describe(&graph, &circle)));
        }
    }
    assert!(
        found.is_empty(),
        "import circles (break each by moving what both sides need below them):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_domain_uses_its_layers_downwards_only() {
    let graph = crate_graph(&workspace().join("crates/domain/src"));
    let layer = |m: &str| {
        let top = m.split("::").next().unwrap_or("");
        DOMAIN_LAYERS.iter().position(|l| *l == top)
    };
    let mut wrong = Vec::new();
    for (module, uses) in &graph {
        if module.is_empty() {
            continue;
        }
        let Some(own) = layer(module) else {
            wrong.push(format!(
                "{module} is in no layer (put it under {})",
                DOMAIN_LAYERS.join(", ")
            ));
            continue;
        };
        for target in uses {
            match layer(target) {
                Some(l) if l <= own => {}
                Some(l) => wrong.push(format!(
                    "{module} ({}) uses {target} ({}), a layer above it",
                    DOMAIN_LAYERS[own], DOMAIN_LAYERS[l]
                )),
                None => wrong.push(format!(
                    "{module} uses {target:?}: name the module, not the crate root's re-export"
                )),
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(
        graph.keys().filter(|m| !m.is_empty()).count() >= 20,
        "the domain's modules were not found: {:?}",
        graph.keys().collect::<Vec<_>>()
    );
}

/// The checker itself: a circle written into a crate is found, through `use` groups, `super::` and inline paths.
#[test]
fn a_circle_is_found() {
    let dir = std::env::temp_dir().join(format!("ee-structure-{}", std::process::id()));
    let src = dir.join("src");
    std::fs::create_dir_all(src.join("a")).expect("a temporary crate");
    let write = |p: &str, t: &str| std::fs::write(src.join(p), t).expect("write");
    write("lib.rs", "pub mod a;\npub mod c;\n");
    write("a/mod.rs", "pub mod b;\npub mod d;\n");
    write("a/b.rs", "use crate::{c::{X, Y as Z}, a::d};\n");
    write(
        "a/d.rs",
        "#[cfg(test)]\nmod tests {\n    use crate::c::X;\n}\npub fn f() -> u8 { 1 }\n",
    );
    write(
        "c.rs",
        "pub struct X;\npub struct Y;\nfn g() { let _ = crate::a::b::h(); }\n",
    );
    let graph = without_root(&crate_graph(&src));
    std::fs::remove_dir_all(&dir).expect("clean up");
    assert_eq!(
        graph["a::b"],
        BTreeSet::from(["c".to_owned(), "a::d".to_owned()])
    );
    assert!(graph["a::d"].is_empty(), "test code is left out");
    assert_eq!(
        circles(&graph),
        vec![vec!["a::b".to_owned(), "c".to_owned()]]
    );
}
