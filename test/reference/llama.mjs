// llama.cpp (through node-llama-cpp 3.22.1, CPU build) as a reference for
// lmc: per-position logits, greedy continuations and tokenization of a GGUF
// model, under the settings that make llama.cpp exact for F32 weights (KV
// cache F32, flash attention off; see /work/shared/reference-facts.md).
//
//   node llama.mjs --model M.gguf --tokens 1,2,3 [--logits-out F.bin]
//                  [--greedy N] [--threads T] [--ctx N] [--kv F32|F16] [--stats]
//   node llama.mjs --model M.gguf --tokenize TEXT [--no-special]
//   node llama.mjs --model M.gguf --info
//
// --logits-out writes the logits of EVERY prompt position as little-endian
// float32, row-major [n_tokens x n_vocab], no header (the same layout as the
// compiled executable's --logits-out). --greedy N prints the N token ids that
// greedy decoding picks after the prompt (argmax, lowest id on ties) on one
// line. --tokenize prints llama.cpp's ids for TEXT on one line (special-token
// text becomes special ids unless --no-special; no BOS is added). --stats
// prints per-position logit statistics to stderr. Errors go to stderr with
// exit status 1.
import { readFileSync, writeFileSync } from "node:fs";
import { getLlama, LlamaLogLevel } from "node-llama-cpp";

const usage = `usage: node llama.mjs --model M.gguf [--tokens IDS | --tokens-file F]
         [--logits-out F.bin] [--greedy N] [--threads T] [--ctx N] [--kv F32|F16] [--stats]
       node llama.mjs --model M.gguf --tokenize TEXT [--no-special]
       node llama.mjs --model M.gguf --info`;

function fail(msg) {
  process.stderr.write(`llama.mjs: ${msg}\n`);
  process.exit(1);
}

function parseArgs(argv) {
  const opts = {
    model: null, tokens: null, logitsOut: null, greedy: 0, threads: 2,
    ctx: 0, tokenize: null, special: true, stats: false, info: false,
    verbose: false, kv: "F32",
  };
  const intArg = (name, v) => {
    if (v === undefined || !/^\d+$/.test(v)) fail(`${name} expects a non-negative integer, got '${v}'`);
    return Number(v);
  };
  const parseIds = (text, where) => {
    const parts = text.split(/[\s,]+/).filter((s) => s.length > 0);
    return parts.map((p) => {
      if (!/^\d+$/.test(p)) fail(`${where}: '${p}' is not a token id`);
      return Number(p);
    });
  };
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) fail(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case "--model": opts.model = next(); break;
      case "--tokens": opts.tokens = parseIds(next(), "--tokens"); break;
      case "--tokens-file": {
        const f = next();
        let text;
        try { text = readFileSync(f, "utf8"); } catch (e) { fail(`${f}: ${e.message}`); }
        opts.tokens = parseIds(text, f);
        break;
      }
      case "--logits-out": opts.logitsOut = next(); break;
      case "--greedy": opts.greedy = intArg(a, next()); break;
      case "--threads": opts.threads = intArg(a, next()); break;
      case "--ctx": opts.ctx = intArg(a, next()); break;
      case "--kv": {
        opts.kv = next();
        if (opts.kv !== "F32" && opts.kv !== "F16") fail(`--kv expects F32 or F16, got '${opts.kv}'`);
        break;
      }
      case "--tokenize": opts.tokenize = next(); break;
      case "--no-special": opts.special = false; break;
      case "--stats": opts.stats = true; break;
      case "--info": opts.info = true; break;
      case "--verbose": opts.verbose = true; break;
      case "-h": case "--help": process.stdout.write(usage + "\n"); process.exit(0);
      default: fail(`unknown option '${a}'\n${usage}`);
    }
  }
  if (!opts.model) fail(`--model is required\n${usage}`);
  const evaluates = opts.logitsOut !== null || opts.greedy > 0 || opts.stats;
  if (evaluates && (!opts.tokens || opts.tokens.length === 0))
    fail("--logits-out, --greedy and --stats need a non-empty --tokens list");
  if (!evaluates && opts.tokenize === null && !opts.info)
    fail(`nothing to do: give --logits-out, --greedy, --stats, --tokenize or --info\n${usage}`);
  if (opts.threads < 1) fail("--threads must be at least 1");
  return opts;
}

/// The logits Map of one position as a dense Float32Array.
function denseLogits(map, nVocab, position) {
  if (!map) fail(`no logits returned for position ${position}`);
  if (map.size !== nVocab)
    fail(`position ${position}: ${map.size} logits returned, expected ${nVocab}`);
  const row = new Float32Array(nVocab);
  for (const [token, logit] of map) {
    if (!(token >= 0 && token < nVocab)) fail(`position ${position}: logit for token ${token} outside the vocabulary`);
    row[token] = logit;
  }
  return row;
}

function argmax(row) {
  let best = 0;
  for (let i = 1; i < row.length; ++i) if (row[i] > row[best]) best = i;
  return best;
}

function rowStats(row) {
  let min = Infinity, max = -Infinity, sum = 0, sum2 = 0, finite = true;
  for (const v of row) {
    if (!Number.isFinite(v)) finite = false;
    min = Math.min(min, v); max = Math.max(max, v); sum += v; sum2 += v * v;
  }
  const mean = sum / row.length;
  return { min, max, mean, std: Math.sqrt(Math.max(0, sum2 / row.length - mean * mean)), finite, argmax: argmax(row) };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const llama = await getLlama({
    gpu: false,
    build: "never",
    logLevel: opts.verbose ? LlamaLogLevel.debug : LlamaLogLevel.error,
    maxThreads: opts.threads,
  });
  const evaluates = opts.logitsOut !== null || opts.greedy > 0 || opts.stats;
  let model;
  try {
    model = await llama.loadModel({
      modelPath: opts.model,
      gpuLayers: 0,
      vocabOnly: !evaluates && !opts.info,
    });
  } catch (e) {
    fail(`${opts.model}: llama.cpp cannot load the model: ${e.message}`);
  }
  const nTokens = model.fileInfo?.metadata?.tokenizer?.ggml?.tokens?.length;
  if (opts.tokens && nTokens !== undefined) {
    const bad = opts.tokens.find((t) => t >= nTokens);
    if (bad !== undefined) fail(`token id ${bad} is outside the vocabulary (${nTokens} tokens)`);
  }

  if (opts.info) {
    const md = model.fileInfo.metadata;
    const info = {
      architecture: md.general?.architecture,
      name: md.general?.name,
      trainContextSize: model.trainContextSize,
      tokens: md.tokenizer?.ggml?.tokens?.length,
      tensors: model.fileInfo.tensorInfo?.length,
      fileSize: model.size,
    };
    process.stdout.write(JSON.stringify(info) + "\n");
  }

  if (opts.tokenize !== null) {
    const ids = model.tokenize(opts.tokenize, opts.special);
    process.stdout.write(Array.from(ids).join(" ") + "\n");
  }

  if (evaluates) {
    const prompt = opts.tokens;
    const needed = prompt.length + opts.greedy;
    const contextSize = Math.max(opts.ctx, needed + 1, 32);
    let context;
    try {
      context = await model.createContext({
        contextSize,
        batchSize: Math.min(contextSize, 512),
        threads: opts.threads,
        flashAttention: false,
        experimentalKvCacheKeyType: opts.kv,
        experimentalKvCacheValueType: opts.kv,
        sequences: 1,
      });
    } catch (e) {
      fail(`cannot create a context of ${contextSize} tokens: ${e.message}`);
    }
    const seq = context.getSequence();
    const allPositions = opts.logitsOut !== null || opts.stats;
    const input = prompt.map((t, i) =>
      allPositions || i === prompt.length - 1
        ? [t, { generateNext: { logits: true } }]
        : t);
    const out = await seq.controlledEvaluate(input);
    // The vocabulary size is the number of logits llama.cpp returns.
    const last = out[prompt.length - 1]?.next?.logits;
    if (!last) fail("llama.cpp returned no logits for the last prompt position");
    const vocab = last.size;

    if (allPositions) {
      const all = new Float32Array(prompt.length * vocab);
      for (let i = 0; i < prompt.length; ++i) {
        const row = denseLogits(out[i]?.next?.logits, vocab, i);
        all.set(row, i * vocab);
        if (opts.stats) {
          const s = rowStats(row);
          process.stderr.write(
            `pos ${i} token ${prompt[i]}: min ${s.min.toFixed(4)} max ${s.max.toFixed(4)} ` +
            `mean ${s.mean.toFixed(4)} std ${s.std.toFixed(4)} argmax ${s.argmax}` +
            (s.finite ? "" : " NON-FINITE") + "\n");
        }
      }
      if (opts.logitsOut !== null) {
        const buf = Buffer.from(all.buffer, all.byteOffset, all.byteLength);
        try { writeFileSync(opts.logitsOut, buf); } catch (e) { fail(`${opts.logitsOut}: ${e.message}`); }
      }
    }

    if (opts.greedy > 0) {
      const generated = [];
      let row = denseLogits(last, vocab, prompt.length - 1);
      for (let n = 0; n < opts.greedy; ++n) {
        const next = argmax(row);
        generated.push(next);
        if (n + 1 === opts.greedy) break;
        const res = await seq.controlledEvaluate([[next, { generateNext: { logits: true } }]]);
        row = denseLogits(res[0]?.next?.logits, vocab, prompt.length + n);
      }
      process.stdout.write(generated.join(" ") + "\n");
    }
    await context.dispose();
  }
  await model.dispose();
  await llama.dispose();
}

main().catch((e) => fail(e?.stack ?? String(e)));
