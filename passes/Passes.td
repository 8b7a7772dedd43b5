//===- Passes.td - lmc passes ------------------------------*- tablegen -*-===//
#ifndef LMC_PASSES_PASSES_TD
#define LMC_PASSES_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Fusion: primitive tfm subgraphs -> fused tfm ops
//===----------------------------------------------------------------------===//

def TfmFuseRMSNorm : Pass<"tfm-fuse-rms-norm"> {
  let summary = "Fuse x * rsqrt(mean(x*x) + eps) * gain into tfm.rms_norm";
  let description = [{
    Matches the primitive RMSNorm graph along the last axis, with the epsilon
    a constant added before the rsqrt. Operand order of the commutative
    multiplications does not matter.
  }];
  let dependentDialects = ["::lmc::tfm::TfmDialect"];
}

def TfmFuseSwiGLU : Pass<"tfm-fuse-swiglu"> {
  let summary = "Fuse (g * sigmoid(g)) * u into tfm.swiglu, and GPT-OSS's clamped variant into tfm.clamped_swiglu";
  let description = [{
    The clamped variant is `c * sigmoid(c * alpha) * (clamp(u, -L, L) + 1)`
    with `c = clamp(g, max L)`, alpha and L constants.
  }];
  let dependentDialects = ["::lmc::tfm::TfmDialect"];
}

def TfmFuseRope : Pass<"tfm-fuse-rope"> {
  let summary = "Fuse the decomposed rotary embedding into tfm.rope";
  let description = [{
    Matches `x * cos + rotate_half(x) * sin` (NeoX pairing) on
    `[tokens, heads, dim]` tensors where cos and sin are those of one
    `tfm.rope_angles`, each optionally scaled by the same constant (YaRN's
    attention factor), broadcast over heads.
  }];
  let dependentDialects = ["::lmc::tfm::TfmDialect"];
}

def TfmFuseAttention : Pass<"tfm-fuse-attention"> {
  let summary = "Fuse causal grouped-query attention over the KV cache into tfm.attention";
  let description = [{
    Matches `softmax(causal_mask(scale * q k^T)) v` with keys and values read
    from streams 0 and 1 of one cache layer (positions up to start + tokens),
    shared among query heads by repeat_interleave.
  }];
  let dependentDialects = ["::lmc::tfm::TfmDialect"];
}

def TfmAbsorbMLA : Pass<"tfm-absorb-mla"> {
  let summary = "Absorb MLA's key/value up-projections: attention on the latent cache";
  let description = [{
    Rewrites the explicit multi-head latent attention (keys and values of
    every head expanded from the cached latents through W_UK and W_UV) into
    the absorbed form: W_UK folded into the queries (tfm.head_matmul),
    tfm.latent_attention directly on the cache entries, W_UV applied to its
    result (tfm.head_matmul). See AbsorbMLA.cpp for the algebra.
  }];
  let dependentDialects = ["::lmc::tfm::TfmDialect"];
}

def TfmFuseMoe : Pass<"tfm-fuse-moe"> {
  let summary = "Fuse mixture-of-experts routing and expert products into tfm.moe";
  let description = [{
    Matches the primitive MoE layer: router logits `matmul(x, R) [+ bias]`;
    one of the routing graphs (`softmax(top_k(logits).values)` with its
    indices: topk_softmax; `top_k(softmax(logits))` with an optional
    renormalisation `v / reduce_sum(v)`: softmax_topk); gate and up
    `expert_matmul(x, W[ids]) [+ embedding(bias, ids)]`; a fused gated
    activation (tfm.swiglu or tfm.clamped_swiglu, so run after
    --tfm-fuse-swiglu); the down product likewise; and the combination
    `reshape(reduce_sum(down * reshape(weights, [T, k, 1]), along 1))`.
  }];
  let dependentDialects = ["::lmc::tfm::TfmDialect"];
}

def TfmKVCacheType : Pass<"tfm-kv-cache-type", "::mlir::ModuleOp"> {
  let summary = "Choose the element type the KV cache stores (f32 or f16)";
  let description = [{
    Frontends build the cache as f32. This retypes every KV cache value of
    the module (function arguments and results, op results) to store
    `element-type`; cache ops keep reading and writing f32 values, and
    their lowerings convert. An f16 cache halves the bytes attention reads
    per decoded token (what llama.cpp stores by default).
  }];
  let options = [
    Option<"elementType", "element-type", "std::string", /*default=*/"\"f16\"",
           "f32 or f16">
  ];
  let dependentDialects = ["::lmc::tfm::TfmDialect"];
}

//===----------------------------------------------------------------------===//
// CPU lowering
//===----------------------------------------------------------------------===//

def ConvertTfmToCPU : Pass<"convert-tfm-to-cpu", "::mlir::ModuleOp"> {
  let summary = "Lower tfm to memrefs and loops for the CPU";
  let description = [{
    Tensors become memrefs; every tfm op becomes a call to a kernel function
    specialised on its static shapes and formats (one per distinct signature,
    shared by all layers), or inline linalg for the primitive elementwise ops.
    Weights are views into the `weights` argument at their declared offsets.
  }];
  let options = [
    Option<"amx", "amx", "bool", /*default=*/"false",
           "Run prefill products with block-quantized weights on AMX-BF16 "
           "tiles (to f32 accuracy, see passes/cpu/AmxMatmul.h); the target "
           "must have AMX">,
    Option<"amxInt8", "amx-int8", "bool", /*default=*/"false",
           "With amx: round the activations of those products to int8 per 32 "
           "elements, as llama.cpp does, and multiply on AMX-INT8 tiles "
           "(faster, ~2 % rms logit error); the target must have AMX-INT8">,
    Option<"vnniInt8", "vnni-int8", "bool", /*default=*/"false",
           "Without amx: round the activations of those products to int8 "
           "per 32 elements, as amx-int8 does, and multiply them with "
           "AVX-512 VNNI instead of AMX tiles; the target must have "
           "AVX512-VNNI">,
    Option<"int8Rows", "int8-rows", "bool", /*default=*/"false",
           "Round the activations of products with few rows (decode) to "
           "int8 per 32 elements, as llama.cpp does, and multiply them by "
           "block-quantized weights with AVX-512 VNNI; the target must have "
           "AVX512-VNNI">
  ];
  let dependentDialects = [
    "::mlir::amx::AMXDialect",
    "::mlir::arith::ArithDialect", "::mlir::func::FuncDialect",
    "::mlir::linalg::LinalgDialect", "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect", "::lmc::cpu::CPUDialect"
  ];
}

def LmcOutlineLoops : Pass<"lmc-outline-loops", "::mlir::ModuleOp"> {
  let summary = "Outline the top-level loop nests of public functions into shared functions";
  let description = [{
    Every top-level `scf.for` of a public function becomes a call of a
    private `noinline` function of the values it uses; identical outlined
    functions are merged. Keeps the model's forward function small, which
    LLVM's loop passes need to stay fast on deep models.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect", "::mlir::scf::SCFDialect"];
}

def LmcOutlineParallel : Pass<"lmc-outline-parallel", "::mlir::ModuleOp"> {
  let summary = "Outline scf.parallel loops into functions run by the runtime's threads";
  let description = [{
    Every one-dimensional `scf.parallel` becomes a function of
    (captured values..., begin, end) that runs the iterations [begin, end),
    and an `lmc_cpu.parallel_call` that hands it to the runtime's thread pool.
    Static stack buffers (`memref.alloca` without operands) of the body move
    to the function's entry: one per chunk, not one per iteration (which
    overflowed the stack when one thread ran every iteration).
  }];
  let dependentDialects = ["::lmc::cpu::CPUDialect", "::mlir::func::FuncDialect",
                           "::mlir::scf::SCFDialect"];
}

def LmcFreeAfterLastUse : Pass<"lmc-free-after-last-use", "::mlir::func::FuncOp"> {
  let summary = "Move each memref.dealloc up to just after the last use of its buffer";
  let description = [{
    Ownership-based buffer deallocation frees buffers at the end of their
    block, so the forward function of a model held every intermediate
    tensor of every layer until it returned (1.7 GB for a 512-token
    Qwen3-0.6B prefill). A buffer allocated in a block and freed at its end
    is freed instead right after the last op of the block that uses it or a
    view of it. Buffers whose aliases escape through anything but view ops
    are left alone.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def LmcApproximateMath : Pass<"lmc-approximate-math"> {
  let summary = "Replace f32 math.exp by a polynomial approximation that vectorizes";
  let description = [{
    LLVM has no vector exp for x86 without a vector math library, so a
    `math.exp` on a vector becomes one libm call per lane (a quarter of a
    512-token prefill went to scalar expf in softmax and SiLU). This rewrites
    f32 exp, scalar and vector, into MLIR's range reduction and polynomial
    (relative error a few ulp), which stays in vector registers.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
                           "::mlir::vector::VectorDialect"];
}

#endif // LMC_PASSES_PASSES_TD
