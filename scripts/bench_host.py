"""bench_host - the facts about this machine that a saved benchmark carries,
so that two runs, or two hosts, can be told apart and compared: kernel,
CPU, what kind of KVM it is, how its idle CPUs wait, QEMU's version, exitlab's `git describe`,
load, pinning and date. Imported by scripts/bench; read from /proc, /sys
and the programs themselves, nothing guessed.
"""
import datetime
import os
import platform
import re
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def cpu_model():
    m = re.search(r"^model name\s*:\s*(.*)$", _read("/proc/cpuinfo"), re.M)
    return m.group(1).strip() if m else platform.processor() or "unknown"


def kvm_kind():
    """VMX, SVM or PVM (KVM's software backend), from the loaded modules
    and the CPU flags; 'nested' when the host is itself a guest with
    hardware virtualization; 'none' without /dev/kvm."""
    if not os.path.exists("/dev/kvm"):
        return "none"
    flags = re.search(r"^flags\s*:(.*)$", _read("/proc/cpuinfo"), re.M)
    flags = set(flags.group(1).split()) if flags else set()
    in_vm = "hypervisor" in flags
    if os.path.isdir("/sys/module/kvm_pvm"):
        return "PVM (software)" + (", inside a VM" if in_vm else "")
    for mod, name, flag in (("kvm_intel", "VMX", "vmx"), ("kvm_amd", "SVM", "svm")):
        if os.path.isdir(f"/sys/module/{mod}") or flag in flags:
            return name + (" (nested: the host is a guest)" if in_vm else "")
    return "unknown"


def qemu_version():
    qemu = os.environ.get("QEMU", "qemu-system-x86_64")
    try:
        out = subprocess.run([qemu, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(r"version (\S+)", out)
    return m.group(1) if m else None


def git_describe():
    try:
        p = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty", "--tags"],
                           capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return p.stdout.strip() or None


def cpuidle():
    """The idle driver and governor, with the halt-polling window where the
    haltpoll driver runs: how long an idle CPU spins before it halts. It
    decides what waking a sleeping thread costs on a VM host, where a
    halted CPU is woken through the hypervisor below (a notify's I/O
    thread, say). None where the kernel has no cpuidle."""
    base = "/sys/devices/system/cpu/cpuidle/"
    drv, gov = _read(base + "current_driver").strip(), _read(base + "current_governor").strip()
    if not drv:
        return None
    ns = _read("/sys/module/haltpoll/parameters/guest_halt_poll_ns").strip()
    return f"{drv} driver, {gov or 'no'} governor" + (f", guest_halt_poll_ns={ns}" if drv == "haltpoll" and ns else "")


def loadavg():
    parts = _read("/proc/loadavg").split()
    return [float(x) for x in parts[:3]] if len(parts) >= 3 else None


def facts(pin):
    return {
        "kernel": platform.release(),
        "cpu_model": cpu_model(),
        "cpus": os.cpu_count(),
        "kvm": kvm_kind(),
        "cpuidle": cpuidle(),
        "qemu_version": qemu_version(),
        "exitlab": git_describe(),
        "loadavg_start": loadavg(),
        "pin": pin,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
