// RUN: lmc-opt %s --split-input-file --verify-diagnostics

// expected-error @+1 {{last weight dimension (100) must be a multiple of the q8_0 block size (32)}}
tfm.weight_decl @w : !tfm.weight<8x100, q8_0>

// -----

// expected-error @+1 {{unknown weight storage format 'q3_x'}}
tfm.weight_decl @w : !tfm.weight<8x32, q3_x>

// -----

// expected-error @+1 {{weight dimensions must be positive, got 0}}
tfm.weight_decl @w : !tfm.weight<0x32, f32>

// -----

func.func @undeclared() {
  // expected-error @+1 {{'missing' does not name a tfm.weight_decl}}
  %w = tfm.weight @missing : !tfm.weight<8x32, f32>
  return
}

// -----

tfm.weight_decl @w : !tfm.weight<8x32, f32>
func.func @type_differs() {
  // expected-error @+1 {{type '!tfm.weight<8x32, f16>' differs from the declaration's '!tfm.weight<8x32, f32>'}}
  %w = tfm.weight @w : !tfm.weight<8x32, f16>
  return
}

// -----

func.func @matmul_features(%x: tensor<?x16xf32>, %w: !tfm.weight<8x32, f32>) {
  // expected-error @+1 {{input features (16) do not match the weight's in_features (32)}}
  %y = tfm.matmul %x, %w : (tensor<?x16xf32>, !tfm.weight<8x32, f32>) -> tensor<?x8xf32>
  return
}

// -----

func.func @matmul_result(%x: tensor<?x32xf32>, %w: !tfm.weight<8x32, f32>) {
  // expected-error @+1 {{result shape [?x16] does not match the expected [?x8]}}
  %y = tfm.matmul %x, %w : (tensor<?x32xf32>, !tfm.weight<8x32, f32>) -> tensor<?x16xf32>
  return
}

// -----

func.func @broadcast(%a: tensor<?x32xf32>, %b: tensor<16xf32>) {
  // expected-error @+1 {{operand shapes [?x32] and [16] cannot be broadcast together}}
  %y = tfm.add %a, %b : (tensor<?x32xf32>, tensor<16xf32>) -> tensor<?x32xf32>
  return
}

// -----

func.func @reduce_axis(%a: tensor<?x32xf32>) {
  // expected-error @+1 {{axis 2 out of range for rank 2}}
  %y = tfm.reduce_mean %a along 2 : (tensor<?x32xf32>) -> tensor<?x1xf32>
  return
}

// -----

func.func @reduce_keeps_dim(%a: tensor<?x32xf32>) {
  // expected-error @+1 {{result shape [?] does not match the expected [?x1]}}
  %y = tfm.reduce_sum %a along 1 : (tensor<?x32xf32>) -> tensor<?xf32>
  return
}

// -----

func.func @reshape_count(%a: tensor<?x32xf32>) {
  // expected-error @+1 {{cannot reshape [?x32] to [?x4x16]: element counts differ}}
  %y = tfm.reshape %a : (tensor<?x32xf32>) -> tensor<?x4x16xf32>
  return
}

// -----

func.func @reshape_dynamic(%a: tensor<?x32xf32>) {
  // expected-error @+1 {{only the leading dimension may be dynamic}}
  %y = tfm.reshape %a : (tensor<?x32xf32>) -> tensor<2x?xf32>
  return
}

// -----

func.func @transpose_perm(%a: tensor<?x2x16xf32>) {
  // expected-error @+1 {{invalid permutation}}
  %y = tfm.transpose %a [1, 1, 0] : (tensor<?x2x16xf32>) -> tensor<2x2x?xf32>
  return
}

// -----

func.func @slice_range(%a: tensor<?x32xf32>) {
  // expected-error @+1 {{slice [24, 40) out of range for extent 32}}
  %y = tfm.slice %a along 1 from 24 size 16 : (tensor<?x32xf32>) -> tensor<?x16xf32>
  return
}

// -----

func.func @concat_dims(%a: tensor<?x32xf32>, %b: tensor<?x2x16xf32>) {
  // expected-error @+1 {{inputs must have the same rank}}
  %y = tfm.concat %a, %b along 1 : (tensor<?x32xf32>, tensor<?x2x16xf32>) -> tensor<?x64xf32>
  return
}

// -----

func.func @cache_layer(%c: !tfm.kv_cache<2x2x2x16, f32>, %x: tensor<?x2x16xf32>, %p: index) {
  // expected-error @+1 {{layer 2 out of range for a cache of 2 layers}}
  %y = tfm.cache_write %x into %c[layer 2, stream 0] at %p : tensor<?x2x16xf32>, !tfm.kv_cache<2x2x2x16, f32>
  return
}

// -----

func.func @cache_shape(%c: !tfm.kv_cache<2x2x2x16, f32>, %x: tensor<?x4x16xf32>, %p: index) {
  // expected-error @+1 {{values [?x4x16] must be [tokens, 2, 16] to match the cache}}
  %y = tfm.cache_write %x into %c[layer 0, stream 1] at %p : tensor<?x4x16xf32>, !tfm.kv_cache<2x2x2x16, f32>
  return
}

// -----

func.func @attention_heads(%q: tensor<?x5x16xf32>, %c: !tfm.kv_cache<2x2x2x16, f32>, %p: index) {
  // expected-error @+1 {{query heads (5) must be a multiple of the cache's KV heads (2)}}
  %y = tfm.attention %q, %c[layer 0] at %p scale 0.25 : tensor<?x5x16xf32>, !tfm.kv_cache<2x2x2x16, f32> -> tensor<?x5x16xf32>
  return
}

// -----

func.func @attention_dim(%q: tensor<?x4x32xf32>, %c: !tfm.kv_cache<2x2x2x16, f32>, %p: index) {
  // expected-error @+1 {{query head dim (32) differs from the cache's (16)}}
  %y = tfm.attention %q, %c[layer 0] at %p scale 0.25 : tensor<?x4x32xf32>, !tfm.kv_cache<2x2x2x16, f32> -> tensor<?x4x32xf32>
  return
}

// -----

func.func @rms_gain(%x: tensor<?x32xf32>, %g: tensor<16xf32>) {
  // expected-error @+1 {{gain [16] must be [32], the input's last dimension}}
  %y = tfm.rms_norm %x, %g eps 1.0e-6 : (tensor<?x32xf32>, tensor<16xf32>) -> tensor<?x32xf32>
  return
}

// -----

func.func @rms_eps(%x: tensor<?x32xf32>, %g: tensor<32xf32>) {
  // expected-error @+1 {{epsilon must be positive}}
  %y = tfm.rms_norm %x, %g eps 0.0 : (tensor<?x32xf32>, tensor<32xf32>) -> tensor<?x32xf32>
  return
}

// -----

func.func @rope_dim(%x: tensor<?x4x16xf32>, %p: index) {
  // expected-error @+1 {{rotary dim 32 exceeds the head dim 16}}
  %y = tfm.rope %x, %p style<neox> config<dim = 32, base = 10000.0, scaling = none> : tensor<?x4x16xf32>
  return
}

// -----

func.func @rope_config_odd(%x: tensor<?x4x16xf32>, %p: index) {
  // expected-error @+1 {{rope dim must be positive and even, got 15}}
  %y = tfm.rope %x, %p style<neox> config<dim = 15, base = 10000.0, scaling = none> : tensor<?x4x16xf32>
  return
}

// -----

func.func @yarn_needs_context(%p: index) {
  // expected-error @+1 {{yarn scaling needs original_context > 0}}
  %a = tfm.rope_angles %p, %p config<dim = 16, base = 10000.0, scaling = yarn, factor = 4.0> : tensor<?x8xf32>
  return
}

// -----

// expected-error @+1 {{KV cache dimensions must be positive}}
func.func @cache_type(%c: !tfm.kv_cache<0x2x2x16, f32>) {
  return
}

// -----

// expected-error @+1 {{KV cache elements must be f32 or f16, got 'bf16'}}
func.func @cache_element_type(%c: !tfm.kv_cache<2x2x2x16, bf16>) {
  return
}

// -----

func.func @expert_weight_rank(%x: tensor<?x32xf32>, %w: !tfm.weight<8x32, f32>, %ids: tensor<?x2xi32>) {
  // expected-error @+1 {{weight must be [experts, out, in], got rank 2}}
  %y = tfm.expert_matmul %x, %w[%ids] : (tensor<?x32xf32>, !tfm.weight<8x32, f32>, tensor<?x2xi32>) -> tensor<?x2x8xf32>
  return
}

// -----

func.func @expert_features(%x: tensor<?x16xf32>, %w: !tfm.weight<4x8x32, f32>, %ids: tensor<?x2xi32>) {
  // expected-error @+1 {{input features (16) do not match the weight's in_features (32)}}
  %y = tfm.expert_matmul %x, %w[%ids] : (tensor<?x16xf32>, !tfm.weight<4x8x32, f32>, tensor<?x2xi32>) -> tensor<?x2x8xf32>
  return
}

// -----

func.func @expert_slots(%x: tensor<?x3x32xf32>, %w: !tfm.weight<4x8x32, f32>, %ids: tensor<?x2xi32>) {
  // expected-error @+1 {{input [?x3x32] does not match experts [?x2]}}
  %y = tfm.expert_matmul %x, %w[%ids] : (tensor<?x3x32xf32>, !tfm.weight<4x8x32, f32>, tensor<?x2xi32>) -> tensor<?x2x8xf32>
  return
}

// -----

func.func @top_k_too_many(%x: tensor<?x8xf32>) {
  // expected-error @+1 {{k (9) must be in [1, 8]}}
  %v, %i = tfm.top_k %x k 9 : (tensor<?x8xf32>) -> (tensor<?x9xf32>, tensor<?x9xi32>)
  return
}

// -----

func.func @clamp_bounds(%x: tensor<?x8xf32>) {
  // expected-error @+1 {{min 2.000000e+00 exceeds max 1.000000e+00}}
  %y = tfm.clamp %x {min = 2.0 : f32, max = 1.0 : f32} : tensor<?x8xf32>
  return
}

// -----

func.func @softmax_sinks(%x: tensor<4x?x?xf32>, %s: tensor<3x1x1xf32>) {
  // expected-error @+1 {{sinks [3x1x1] do not broadcast to [4x?x1]}}
  %y = tfm.softmax %x along 2 sinks %s : tensor<3x1x1xf32> : tensor<4x?x?xf32>
  return
}

// -----

func.func @attention_sinks(%q: tensor<?x4x16xf32>, %c: !tfm.kv_cache<2x2x2x16, f32>, %p: index, %s: tensor<2xf32>) {
  // expected-error @+1 {{sinks [2] must be [4], one per query head}}
  %a = tfm.attention %q, %c[layer 0] at %p scale 0.25 sinks %s : tensor<2xf32> : tensor<?x4x16xf32>, !tfm.kv_cache<2x2x2x16, f32> -> tensor<?x4x16xf32>
  return
}

// -----

func.func @moe_down_shape(%x: tensor<?x32xf32>, %r: !tfm.weight<8x32, f32>, %g: !tfm.weight<8x64x32, f32>, %d: !tfm.weight<8x64x32, f32>) {
  // expected-error @+1 {{down must be [8, 32, 64]}}
  %m = tfm.moe %x router %r gate %g up %g down %d top_k 2 routing<topk_softmax> activation<swiglu> : (tensor<?x32xf32>, !tfm.weight<8x32, f32>, !tfm.weight<8x64x32, f32>, !tfm.weight<8x64x32, f32>, !tfm.weight<8x64x32, f32>) -> tensor<?x32xf32>
  return
}

// -----

func.func @moe_groups(%x: tensor<?x32xf32>, %r: !tfm.weight<8x32, f32>, %g: !tfm.weight<8x64x32, f32>, %d: !tfm.weight<8x32x64, f32>) {
  // expected-error @+1 {{expert groups need sigmoid routing}}
  %m = tfm.moe %x router %r gate %g up %g down %d top_k 2 routing<softmax_topk> activation<swiglu> {groups = 2} : (tensor<?x32xf32>, !tfm.weight<8x32, f32>, !tfm.weight<8x64x32, f32>, !tfm.weight<8x64x32, f32>, !tfm.weight<8x32x64, f32>) -> tensor<?x32xf32>
  return
}

// -----

func.func @moe_top_k(%x: tensor<?x32xf32>, %r: !tfm.weight<8x32, f32>, %g: !tfm.weight<8x64x32, f32>, %d: !tfm.weight<8x32x64, f32>) {
  // expected-error @+1 {{top_k (9) must be in [1, 8]}}
  %m = tfm.moe %x router %r gate %g up %g down %d top_k 9 routing<topk_softmax> activation<swiglu> : (tensor<?x32xf32>, !tfm.weight<8x32, f32>, !tfm.weight<8x64x32, f32>, !tfm.weight<8x64x32, f32>, !tfm.weight<8x32x64, f32>) -> tensor<?x32xf32>
  return
}

// -----

func.func @head_matmul_heads(%x: tensor<?x3x8xf32>, %w: !tfm.weight<4x16x8, f32>) {
  // expected-error @+1 {{input [?x3x8] must be [tokens, 4, 8] for the weight [4x16x8]}}
  %y = tfm.head_matmul %x, %w : (tensor<?x3x8xf32>, !tfm.weight<4x16x8, f32>) -> tensor<?x4x16xf32>
  return
}

// -----

func.func @latent_cache_heads(%q: tensor<?x4x20xf32>, %c: !tfm.kv_cache<1x1x2x20, f32>, %p: index) {
  // expected-error @+1 {{a latent cache has one head, not 2}}
  %a = tfm.latent_attention %q, %c[layer 0] at %p scale 1.0 values 16 : tensor<?x4x20xf32>, !tfm.kv_cache<1x1x2x20, f32> -> tensor<?x4x16xf32>
  return
}

// -----

func.func @latent_value_dim(%q: tensor<?x4x20xf32>, %c: !tfm.kv_cache<1x1x1x20, f32>, %p: index) {
  // expected-error @+1 {{value_dim must be in [1, 20]}}
  %a = tfm.latent_attention %q, %c[layer 0] at %p scale 1.0 values 21 : tensor<?x4x20xf32>, !tfm.kv_cache<1x1x1x20, f32> -> tensor<?x4x21xf32>
  return
}

// -----

func.func @one_hot_shape(%i: tensor<?x2xi32>) {
  // expected-error @+1 {{result shape [?x2x3] does not match the expected [?x2x4]}}
  %y = tfm.one_hot %i classes 4 : (tensor<?x2xi32>) -> tensor<?x2x3xf32>
  return
}

// -----

func.func @masked_fill_mask(%x: tensor<?x4x4xf32>, %m: tensor<?x3x1xf32>) {
  // expected-error @+1 {{mask [?x3x1] does not broadcast to [?x4x4]}}
  %y = tfm.masked_fill %x, %m fill 0.0 : tensor<?x4x4xf32>, tensor<?x3x1xf32>
  return
}

// -----

func.func @take_along_rank(%x: tensor<?x16xf32>, %i: tensor<?xi32>) {
  // expected-error @+1 {{indices must have the input's rank}}
  %y = tfm.take_along %x[%i] : (tensor<?x16xf32>, tensor<?xi32>) -> tensor<?xf32>
  return
}
