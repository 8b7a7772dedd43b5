# lit configuration for lmc's IR tests.
import os
import lit.formats

config.name = "lmc"
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".mlir"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.lmc_binary_dir, "test", "lit")

# lmc's tools first, then FileCheck, not, count from LLVM.
config.environment["PATH"] = os.pathsep.join(
    [config.lmc_tools_dir, config.llvm_tools_dir, config.environment.get("PATH", os.environ["PATH"])])
