"""Launch the kernels of `ml-compile --target=cuda --emit=ptx` from Python.

The generated kernels follow the parameter convention of
runtime/schemas/artifact.fbs (GpuKernel): every memref<?xT> argument is
five 8-byte fields (allocated pointer, aligned pointer, offset, size,
stride), then the `tokens` and `position` indices. This module loads such
PTX with the CUDA driver (ctypes on libcuda.so.1, in the primary context
torch uses) and launches its kernels on torch tensors, so a benchmark can
time them beside PyTorch in one process:

    import torch, ptxlaunch
    module = ptxlaunch.Module(open("kernels.ptx").read())
    kernel = module.kernel("add_w64", shared_bytes=0)
    kernel(grid=tokens, block=256, args=[a, b, out, tokens, position])

Tensors become memref descriptors over their storage (they must be
contiguous); Python ints become index (int64) parameters. Launches go to
torch's current stream, so CUDA events and torch ops order with them.
`ml-dump model.mlart --plan` lists each kernel's grid, block and shared
bytes.
"""
import ctypes
import datetime
import os
import subprocess

import torch

CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8
CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES = 1

_driver = None


def driver():
    """libcuda.so.1, loaded once, with torch's primary context current."""
    global _driver
    if _driver is None:
        torch.cuda.init()
        torch.zeros(1, device="cuda")  # makes the primary context current
        _driver = ctypes.CDLL("libcuda.so.1")
    return _driver


def check(result, what):
    if result != 0:
        name = ctypes.c_char_p()
        driver().cuGetErrorName(result, ctypes.byref(name))
        raise RuntimeError(f"{what}: {name.value.decode() if name.value else result}")


def memref_fields(tensor):
    """The five descriptor fields of a contiguous tensor as memref<?xT>."""
    if not tensor.is_cuda or not tensor.is_contiguous():
        raise ValueError("kernel arguments must be contiguous CUDA tensors")
    ptr = tensor.data_ptr()
    return [ptr, ptr, 0, tensor.numel(), 1]


class Kernel:
    def __init__(self, function, name, shared_bytes):
        self.function, self.name = function, name
        static = ctypes.c_int()
        check(driver().cuFuncGetAttribute(
            ctypes.byref(static), CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES, function),
            f"cuFuncGetAttribute({name})")
        # What the PTX declares statically is not asked for again (the
        # runtime's GpuModule does the same).
        self.dynamic = max(0, shared_bytes - static.value)
        if self.dynamic > 48 * 1024:
            check(driver().cuFuncSetAttribute(
                function, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                self.dynamic), f"cuFuncSetAttribute({name})")

    def __call__(self, grid, block, args):
        """Queues the kernel on torch's current stream. `grid` and `block`
        are ints or (x, y, z); `args` tensors and ints in parameter order."""
        grid = (grid, 1, 1) if isinstance(grid, int) else tuple(grid)
        block = (block, 1, 1) if isinstance(block, int) else tuple(block)
        values = []
        for a in args:
            values += memref_fields(a) if isinstance(a, torch.Tensor) else [int(a)]
        cells = (ctypes.c_uint64 * len(values))(*[v & (2**64 - 1) for v in values])
        params = (ctypes.c_void_p * len(values))(
            *[ctypes.addressof(cells) + 8 * i for i in range(len(values))])
        stream = ctypes.c_void_p(torch.cuda.current_stream().cuda_stream)
        check(driver().cuLaunchKernel(
            self.function, *[ctypes.c_uint(g) for g in grid],
            *[ctypes.c_uint(b) for b in block], ctypes.c_uint(self.dynamic),
            stream, params, None), f"cuLaunchKernel({self.name})")


class Module:
    """A loaded PTX module (the driver JIT-compiles it for the device)."""

    def __init__(self, ptx):
        d = driver()
        d.cuModuleLoadData.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_char_p]
        d.cuModuleGetFunction.argtypes = [ctypes.POINTER(ctypes.c_void_p),
                                          ctypes.c_void_p, ctypes.c_char_p]
        d.cuFuncGetAttribute.argtypes = [ctypes.POINTER(ctypes.c_int), ctypes.c_int,
                                         ctypes.c_void_p]
        d.cuFuncSetAttribute.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
        d.cuLaunchKernel.argtypes = [ctypes.c_void_p] + [ctypes.c_uint] * 7 + [
            ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
        self.handle = ctypes.c_void_p()
        text = ptx.encode() if isinstance(ptx, str) else ptx
        check(d.cuModuleLoadData(ctypes.byref(self.handle), text + b"\0"),
              "cuModuleLoadData")

    def kernel(self, name, shared_bytes=0):
        """The kernel `name`, set up for `shared_bytes` of shared memory a
        block (the artifact's shared_bytes)."""
        f = ctypes.c_void_p()
        check(driver().cuModuleGetFunction(ctypes.byref(f), self.handle,
                                           name.encode()),
              f"cuModuleGetFunction({name})")
        return Kernel(f, name, shared_bytes)


def time_ms(fn, reps, warmup=2, graph_calls=0):
    """Median milliseconds of one call of `fn` over `reps` timings (CUDA
    events). With graph_calls > 0, `fn` is captured that many times into
    one CUDA graph and each timing replays it: device time without the
    host's launch cost (ctypes and torch dispatch take tens of us a call)."""
    for _ in range(warmup):
        fn()
    run, calls = fn, 1
    if graph_calls:
        torch.cuda.synchronize()
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            for _ in range(graph_calls):
                fn()
        run, calls = graph.replay, graph_calls
        run()
    times = []
    for _ in range(reps):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        run()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end) / calls)
    return sorted(times)[len(times) // 2]


def copy_bandwidth():
    """Bytes/s of a 1 GiB device-to-device copy (read + written)."""
    src = torch.empty(1 << 30, dtype=torch.uint8, device="cuda")
    dst = torch.empty_like(src)
    ms = time_ms(lambda: dst.copy_(src), 21, warmup=3)
    del src, dst
    return 2 * (1 << 30) / (ms / 1e3)


def plan_specs(text):
    """{kernel name: (grid x, per_token, block x, shared bytes)} from the
    text of `ml-dump ARTIFACT --plan` (the launch geometry the runtime uses)."""
    import re
    specs = {}
    for m in re.finditer(r"kernel (\S+): grid (\d+)( per token)? x \d+( per sequence)? x \d+, "
                         r"block (\d+) x \d+ x \d+, (\d+) bytes shared", text):
        specs[m.group(1)] = (int(m.group(2)), bool(m.group(3)), int(m.group(5)),
                             int(m.group(6)))
    return specs


def launch_specs(ml_dump, artifact):
    """plan_specs of `ml-dump ARTIFACT --plan`, run here, or of that output
    saved in a .txt file (where the artifact's weights are not at hand)."""
    import subprocess
    if artifact.endswith(".txt"):
        return plan_specs(open(artifact).read())
    return plan_specs(subprocess.run([ml_dump, artifact, "--plan"], check=True,
                                     capture_output=True, text=True).stdout)


def add_kernel_arguments(parser):
    """The arguments every kernel benchmark takes: the PTX, the artifact
    whose plan gives the launch geometry (or that plan saved as .txt), the
    ml-dump that prints it, and the commit to print."""
    parser.add_argument("--commit",
                        help="the project commit to print (default: git rev-parse; "
                        "the GPU machine has no git)")
    parser.add_argument("--ptx", required=True)
    parser.add_argument("--artifact", required=True,
                        help="the model's .mlart, or its `ml-dump --plan` saved as .txt")
    parser.add_argument("--ml-dump", default="build/bin/ml-dump")


def provenance(commit=None):
    """What a result needs beside it: the date (UTC), the GPU, its driver,
    torch, and the project commit (`commit`, else git's HEAD where git is
    there: the GPU machine has none, so pass --commit there)."""
    if not commit:
        try:
            commit = subprocess.run(
                ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                check=True, cwd=os.path.dirname(os.path.abspath(__file__))).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            commit = "unknown"
    try:
        driver = subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                                capture_output=True, text=True, check=True).stdout.split()[0]
    except (OSError, subprocess.CalledProcessError, IndexError):
        driver = "unknown"
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (f"{date}, {torch.cuda.get_device_name()} (driver {driver}), torch {torch.__version__}, "
            f"commit {commit}")
