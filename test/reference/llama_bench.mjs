// llama.cpp speed on a GGUF model, for bench/bench.py: prefill of a prompt of
// random token ids, then greedy decoding, on the CPU with T threads.
//
//   node llama_bench.mjs --model M.gguf [--threads T] [--prompt N] [--gen N] [--seed S]
//
// Prints one JSON object: wall-clock times through the node binding
// (prompt_ms, ttft_ms, decode_ms) and llama.cpp's own counters from
// llama_perf_context (llama_prompt_ms, llama_eval_ms, llama_eval_tokens), which
// exclude the binding's per-token overhead. KV cache F16 and flash attention
// as llama.cpp defaults them: this is the speed a user gets.
import { getLlama, LlamaLogLevel } from "node-llama-cpp";

function fail(msg) {
  process.stderr.write(`llama_bench.mjs: ${msg}\n`);
  process.exit(1);
}

const opts = { model: null, threads: 2, prompt: 512, gen: 128, seed: 1 };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; ++i) {
  const key = argv[i].replace(/^--/, "");
  if (!(key in opts) || i + 1 >= argv.length) fail(`bad argument '${argv[i]}'`);
  opts[key] = key === "model" ? argv[++i] : Number(argv[++i]);
}
if (!opts.model) fail("--model is required");

// llama_perf_context_print lines, e.g.
// "llama_perf_context_print: prompt eval time =  5183.96 ms /   512 tokens (...)"
const perf = {};
function logger(level, message) {
  const m = /(prompt eval|eval) time =\s*([\d.]+) ms \/\s*(\d+)/.exec(message);
  if (m) perf[m[1]] = { ms: Number(m[2]), tokens: Number(m[3]) };
}

const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.info,
                               logger, maxThreads: opts.threads });
const model = await llama.loadModel({ modelPath: opts.model, gpuLayers: 0 });
const nVocab = model.fileInfo.metadata.tokenizer.ggml.tokens.length;
let state = opts.seed >>> 0;
const random = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32;
const prompt = Array.from({ length: opts.prompt }, () => Math.floor(random() * Math.min(nVocab, 100000)));

const context = await model.createContext({
  contextSize: opts.prompt + opts.gen + 16, batchSize: 512, threads: opts.threads,
  sequences: 1, performanceTracking: true,
});
const seq = context.getSequence();
const t0 = performance.now();
const first = await seq.controlledEvaluate(
  prompt.map((t, i) => (i === prompt.length - 1 ? [t, { generateNext: { token: true } }] : t)));
const t1 = performance.now();
let token = first[prompt.length - 1].next.token;
let ttft = performance.now() - t0;
const t2 = performance.now();
for (let n = 1; n < opts.gen; ++n) {
  const out = await seq.controlledEvaluate([[token, { generateNext: { token: true } }]]);
  token = out[0].next.token;
}
const t3 = performance.now();
await context.printTimings();
process.stdout.write(JSON.stringify({
  prompt_tokens: opts.prompt, gen_tokens: opts.gen, threads: opts.threads,
  prompt_ms: t1 - t0, ttft_ms: ttft, decode_ms: t3 - t2,
  llama_prompt_ms: perf["prompt eval"]?.ms ?? null,
  llama_eval_ms: perf["eval"]?.ms ?? null, llama_eval_tokens: perf["eval"]?.tokens ?? null,
}) + "\n");
await context.dispose();
await model.dispose();
await llama.dispose();
