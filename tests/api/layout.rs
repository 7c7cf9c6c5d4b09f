//! The source tree's layering, checked on the tree itself: the rule folders
//! never import the HTTP layers or the wiring, the rule folders form no cycle
//! among themselves, and no two modules import each other, directly or
//! through others.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The folders that decide, persist or are leaves, lowest last.
const RULE_FOLDERS: [&str; 8] = [
    "oauth", "idm", "oidc", "keys", "store", "db", "crypto", "util",
];
/// What they may never import.
const UPPER: [&str; 4] = ["web", "api", "app", "cli"];

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a source file: src/web/admin/mod.rs is web::admin.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// The code of a file without its unit-test module and comments.
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => text,
    };
    text.lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

fn ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Every path the code names from the crate root: `crate::a::b` and the
/// items of `crate::a::{b, c::d}`, with `super::` resolved against `module`.
fn named_paths(code: &str, module: &[String]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let parent: Vec<String> = module[..module.len().saturating_sub(1)].to_vec();
    let chars: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let rest: String = chars[i..chars.len().min(i + 7)].iter().collect();
        let (prefix, base) = if rest.starts_with("crate::") {
            (7, Vec::new())
        } else if rest.starts_with("super::") {
            (7, parent.clone())
        } else {
            i += 1;
            continue;
        };
        if i > 0 && (ident_char(chars[i - 1]) || chars[i - 1] == ':') {
            i += 1;
            continue;
        }
        let mut j = i + prefix;
        let mut path = base.clone();
        let mut word = String::new();
        while j < chars.len() && (ident_char(chars[j]) || chars[j] == ':') {
            if chars[j] == ':' {
                if !word.is_empty() {
                    path.push(std::mem::take(&mut word));
                }
            } else {
                word.push(chars[j]);
            }
            j += 1;
        }
        if !word.is_empty() {
            path.push(word);
        }
        if j < chars.len() && chars[j] == '{' {
            let close = chars[j..]
                .iter()
                .position(|c| *c == '}')
                .map_or(j, |p| j + p);
            let group: String = chars[j + 1..close].iter().collect();
            for item in group.split(',') {
                let item = item.trim().trim_start_matches('{');
                let mut full = path.clone();
                full.extend(
                    item.split("::")
                        .map(|s| s.trim().split(' ').next().unwrap_or("").to_owned())
                        .filter(|s| !s.is_empty() && s != "self"),
                );
                out.push(full);
            }
        }
        out.push(path);
        i = j.max(i + 1);
    }
    out
}

struct Tree {
    /// Module path to the modules it names (the longest named prefix that is
    /// a file of the tree).
    imports: BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
    /// Module path to its code.
    code: BTreeMap<Vec<String>, String>,
}

fn tree() -> Tree {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let code: BTreeMap<Vec<String>, String> = files
        .iter()
        .map(|f| {
            (
                module_of(&src, f),
                code(&std::fs::read_to_string(f).unwrap()),
            )
        })
        .collect();
    let mut imports: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for (module, text) in &code {
        let targets = imports.entry(module.clone()).or_default();
        for path in named_paths(text, module) {
            let Some(target) = (1..=path.len())
                .rev()
                .map(|n| path[..n].to_vec())
                .find(|p| code.contains_key(p))
            else {
                continue;
            };
            // Naming a module's own ancestor (its parent's items) is not an
            // import of another module; naming a descendant is.
            let ancestor = target.len() < module.len() && module.starts_with(&target);
            if target != *module && !ancestor {
                targets.insert(target);
            }
        }
    }
    Tree { imports, code }
}

#[test]
fn the_rule_folders_never_import_the_http_layers_or_the_wiring() {
    let tree = tree();
    let mut offences = Vec::new();
    for (module, targets) in &tree.imports {
        let Some(top) = module.first() else { continue };
        if !RULE_FOLDERS.contains(&top.as_str()) {
            continue;
        }
        for t in targets {
            if UPPER.contains(&t[0].as_str()) {
                offences.push(format!("{} -> {}", module.join("::"), t.join("::")));
            }
        }
    }
    assert!(tree.code.len() > 50, "the tree was read");
    assert!(offences.is_empty(), "upward imports: {offences:#?}");
}

#[test]
fn the_rule_folders_form_no_cycle() {
    let tree = tree();
    let mut folders: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, targets) in &tree.imports {
        let Some(top) = module.first() else { continue };
        for t in targets {
            if t[0] != *top && RULE_FOLDERS.contains(&top.as_str()) {
                folders.entry(top.clone()).or_default().insert(t[0].clone());
            }
        }
    }
    // Each rule folder may import only the ones listed after it.
    for (from, to) in &folders {
        let rank = RULE_FOLDERS.iter().position(|f| f == from).unwrap();
        for t in to {
            let below = RULE_FOLDERS.iter().position(|f| f == t);
            assert!(
                below.is_some_and(|b| b > rank),
                "{from} imports {t}, which is not below it"
            );
        }
    }
}

#[test]
fn no_modules_import_each_other() {
    let tree = tree();
    // Depth-first search for a back edge.
    fn visit(
        node: &Vec<String>,
        graph: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        state: &mut BTreeMap<Vec<String>, u8>,
        stack: &mut Vec<Vec<String>>,
    ) -> Option<Vec<String>> {
        state.insert(node.clone(), 1);
        stack.push(node.clone());
        for next in graph.get(node).into_iter().flatten() {
            match state.get(next).copied() {
                Some(1) => {
                    let from = stack.iter().position(|n| n == next).unwrap();
                    let mut cycle: Vec<String> =
                        stack[from..].iter().map(|m| m.join("::")).collect();
                    cycle.push(next.join("::"));
                    return Some(cycle);
                }
                Some(_) => {}
                None => {
                    if let Some(c) = visit(next, graph, state, stack) {
                        return Some(c);
                    }
                }
            }
        }
        stack.pop();
        state.insert(node.clone(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for module in tree.imports.keys() {
        if !state.contains_key(module) {
            let cycle = visit(module, &tree.imports, &mut state, &mut Vec::new());
            assert!(cycle.is_none(), "an import cycle: {:?}", cycle.unwrap());
        }
    }
}

#[test]
fn the_path_reader_sees_plain_grouped_and_relative_imports() {
    let module = vec!["web".to_owned(), "pages".to_owned(), "login".to_owned()];
    let paths = named_paths(
        "use crate::store::{self, audit, users::User};\nuse super::form;\nlet x = crate::oauth::grant::handle(c);",
        &module,
    );
    let names: Vec<String> = paths.iter().map(|p| p.join("::")).collect();
    for want in [
        "store",
        "store::audit",
        "store::users::User",
        "web::pages::form",
        "oauth::grant::handle",
    ] {
        assert!(names.iter().any(|n| n == want), "{want} in {names:?}");
    }
}
