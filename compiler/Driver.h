//===- Driver.h - what `lmc compile` and `lmc import` do --------*- C++ -*-===//
#ifndef LMC_COMPILER_DRIVER_H
#define LMC_COMPILER_DRIVER_H

#include <string>

namespace lmc {

enum class EmitKind { Executable, Library, Object, MLIR, LLVM, PTX };

struct CompileOptions {
  std::string modelPath;
  std::string outputPath;
  std::string target = "cpu";
  std::string gpuArch = "sm_90a";
  EmitKind emit = EmitKind::Executable;
  bool fuse = true;
  /// Prefill products on AMX tiles when the host CPU has AMX-BF16
  /// (--no-amx: never).
  bool amx = true;
  /// --prefill-activations: "f32" (exact) or "int8": prefill products round
  /// their activations to int8 per 32 elements, as llama.cpp does, on AMX-INT8
  /// tiles, or with AVX-512 VNNI where the host has no AMX (faster; where it
  /// has neither, or AMX-BF16 without AMX-INT8, nothing changes).
  std::string prefillActivations = "f32";
  /// --decode-activations: "f32" (exact) or "int8": products of few rows
  /// (decode) round their activations the same way and multiply with AVX-512
  /// VNNI (where the host has no AVX512-VNNI nothing changes).
  std::string decodeActivations = "f32";
  /// --kv-type: what the KV cache stores, "f32" (exact) or "f16" (half the
  /// bytes attention reads; llama.cpp's default).
  std::string kvType = "f32";
  /// --rope-scaling, as frontend::parseRopeScaling reads it; empty: the file's.
  std::string ropeScaling;
};

/// Compiles a model as `options` say. Returns false with a one-line message
/// naming the problem.
bool compileModel(const CompileOptions &options, std::string &error);

/// Writes the imported (primitive) tfm IR of a model to `outputPath`, or to
/// stdout when it is empty or "-".
bool importModelToFile(const std::string &modelPath,
                       const std::string &outputPath, std::string &error);

} // namespace lmc

#endif // LMC_COMPILER_DRIVER_H
