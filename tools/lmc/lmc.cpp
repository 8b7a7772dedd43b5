//===- lmc.cpp - the lmc compiler driver ----------------------------------===//
//
//   lmc compile MODEL -o OUT [--target cpu|cuda] [--gpu-arch ARCH]
//                            [--emit exe|lib|obj|mlir|llvm|ptx] [--no-fuse] [--no-amx]
//                            [--rope-scaling none|linear:F|yarn:F:CTX] [--kv-type f32|f16]
//                            [--prefill-activations f32|int8] [--decode-activations f32|int8]
//   lmc import  MODEL [-o FILE.mlir]
//
//===----------------------------------------------------------------------===//
#include "compiler/Driver.h"
#include "frontends/Import.h"

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

const char *kUsage =
    "usage: lmc compile MODEL -o OUT [--target cpu|cuda] [--gpu-arch ARCH]\n"
    "                   [--emit exe|lib|obj|mlir|llvm|ptx] [--no-fuse] [--no-amx]\n"
    "                   [--rope-scaling none|linear:F|yarn:F:CTX] [--kv-type f32|f16]\n"
    "                   [--prefill-activations f32|int8] [--decode-activations f32|int8]\n"
    "       lmc import MODEL [-o FILE.mlir]\n"
    "\n"
    "MODEL is a .gguf file. `compile` writes OUT (an executable by default,\n"
    "with its weights beside it as OUT.weights); `import` prints the model as\n"
    "primitive tfm IR. --rope-scaling replaces the file's rope scaling, e.g.\n"
    "yarn:4:32768 for Qwen3 at 128K. --kv-type f16 stores the KV cache in\n"
    "half precision (half the memory and the bytes decode reads; default f32).\n"
    "Code is generated for this machine's CPU; where it has AMX, prefill\n"
    "products use AMX tiles (to f32 accuracy) unless --no-amx.\n"
    "--prefill-activations int8 rounds those products' activations to int8\n"
    "per 32 elements, as llama.cpp does, for faster prefill on AMX-INT8\n"
    "(or AVX-512 VNNI where the CPU has no AMX);\n"
    "--decode-activations int8 does the same for decode, on AVX-512 VNNI.\n";

int fail(const std::string &message) {
  std::fprintf(stderr, "lmc: error: %s\n", message.c_str());
  return 1;
}

int usageError(const std::string &message) {
  std::fprintf(stderr, "lmc: error: %s (see lmc --help)\n", message.c_str());
  return 2;
}

/// Parses `args` (after the subcommand) into options; flags take their value
/// from the next argument or after '='.
struct ArgParser {
  std::vector<std::string> args;
  size_t next = 0;
  std::string error;

  bool done() const { return next >= args.size(); }
  /// If args[next] is `flag` (or `flag=value`), consumes it and its value.
  bool take(const char *flag, std::string &value) {
    const std::string &arg = args[next];
    size_t n = std::strlen(flag);
    if (arg == flag) {
      if (next + 1 >= args.size()) {
        error = std::string(flag) + " needs a value";
        return true;
      }
      value = args[next + 1];
      next += 2;
      return true;
    }
    if (arg.compare(0, n, flag) == 0 && arg.size() > n && arg[n] == '=') {
      value = arg.substr(n + 1);
      ++next;
      return true;
    }
    return false;
  }
};

int runCompile(ArgParser &p) {
  lmc::CompileOptions options;
  std::string emit = "exe";
  while (!p.done() && p.error.empty()) {
    const std::string &arg = p.args[p.next];
    if (p.take("-o", options.outputPath) || p.take("--target", options.target) ||
        p.take("--gpu-arch", options.gpuArch) || p.take("--emit", emit) ||
        p.take("--rope-scaling", options.ropeScaling) || p.take("--kv-type", options.kvType) ||
        p.take("--prefill-activations", options.prefillActivations) ||
        p.take("--decode-activations", options.decodeActivations))
      continue;
    if (arg == "--no-fuse") {
      options.fuse = false;
      ++p.next;
    } else if (arg == "--no-amx") {
      options.amx = false;
      ++p.next;
    } else if (!arg.empty() && arg[0] == '-' && arg != "-") {
      return usageError("unknown option '" + arg + "'");
    } else if (options.modelPath.empty()) {
      options.modelPath = arg;
      ++p.next;
    } else {
      return usageError("unexpected argument '" + arg + "'");
    }
  }
  if (!p.error.empty())
    return usageError(p.error);
  if (options.modelPath.empty())
    return usageError("compile needs a MODEL");
  if (!options.ropeScaling.empty()) {
    lmc::frontend::RopeParams rope;
    std::string error;
    if (!lmc::frontend::parseRopeScaling(options.ropeScaling, rope, error))
      return usageError(error);
  }
  if (options.kvType != "f32" && options.kvType != "f16")
    return usageError("unknown KV cache type '" + options.kvType + "' (f32 or f16)");
  for (auto [phase, value] : {std::pair{"prefill", &options.prefillActivations},
                               std::pair{"decode", &options.decodeActivations}})
    if (*value != "f32" && *value != "int8")
      return usageError(std::string("unknown ") + phase + " activation type '" + *value +
                        "' (f32 or int8)");
  if (options.target != "cpu" && options.target != "cuda")
    return usageError("unknown target '" + options.target + "' (cpu or cuda)");
  static const std::pair<const char *, lmc::EmitKind> kinds[] = {
      {"exe", lmc::EmitKind::Executable}, {"lib", lmc::EmitKind::Library},
      {"obj", lmc::EmitKind::Object},     {"mlir", lmc::EmitKind::MLIR},
      {"llvm", lmc::EmitKind::LLVM},      {"ptx", lmc::EmitKind::PTX}};
  bool known = false;
  for (auto [name, kind] : kinds)
    if (emit == name) {
      options.emit = kind;
      known = true;
    }
  if (!known)
    return usageError("unknown --emit kind '" + emit +
                      "' (exe, lib, obj, mlir, llvm or ptx)");
  bool textOutput = options.emit == lmc::EmitKind::MLIR ||
                    options.emit == lmc::EmitKind::LLVM ||
                    options.emit == lmc::EmitKind::PTX;
  if (options.outputPath.empty() && !textOutput)
    return usageError("compile needs -o OUT");
  std::string error;
  if (!lmc::compileModel(options, error))
    return fail(error);
  return 0;
}

int runImport(ArgParser &p) {
  std::string model, output;
  while (!p.done() && p.error.empty()) {
    const std::string &arg = p.args[p.next];
    if (p.take("-o", output))
      continue;
    if (!arg.empty() && arg[0] == '-' && arg != "-")
      return usageError("unknown option '" + arg + "'");
    if (!model.empty())
      return usageError("unexpected argument '" + arg + "'");
    model = arg;
    ++p.next;
  }
  if (!p.error.empty())
    return usageError(p.error);
  if (model.empty())
    return usageError("import needs a MODEL");
  std::string error;
  if (!lmc::importModelToFile(model, output, error))
    return fail(error);
  return 0;
}
} // namespace

int main(int argc, char **argv) {
  if (argc < 2)
    return usageError("missing command");
  std::string command = argv[1];
  if (command == "-h" || command == "--help" || command == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  ArgParser parser{std::vector<std::string>(argv + 2, argv + argc)};
  if (command == "compile")
    return runCompile(parser);
  if (command == "import")
    return runImport(parser);
  return usageError("unknown command '" + command + "' (compile or import)");
}
