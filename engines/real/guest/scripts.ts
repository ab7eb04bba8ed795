/**
 * What runs inside every instance: the same static busybox and the same fixed scripts on the
 * host, in each container and in the VM, so that differences come from the engine alone.
 */

/** The line an instance prints once it runs: the end of boot_time. */
export const READY_MARKER = 'virtbench-ready';
/** The line an instance prints once its workloads are done. */
export const DONE_MARKER = 'virtbench-done';
const WORK_PREFIX = 'virtbench-work';
const BOOT_ID_PREFIX = 'virtbench-boot-id';
const DMESG_PREFIX = 'virtbench-dmesg';

/** The in-instance workloads, each timed inside the instance. */
export const WORKLOADS = ['cpu', 'memory', 'syscall', 'disk'] as const;
export type WorkloadName = (typeof WORKLOADS)[number];

/**
 * Fixed sizes of the workloads. They are constants rather than scenario inputs so that every
 * run of every engine does the same work; each takes a few hundred milliseconds natively.
 */
export const WORKLOAD_SIZES = {
  /** Interpreted integer arithmetic in busybox awk: user-mode compute, no system calls. */
  cpuLoopIterations: 400_000,
  /** Reading /dev/zero into a 32 MiB buffer: the kernel clears memory at memory bandwidth. */
  memoryBlockMiB: 32,
  memoryBlocks: 16,
  /** One-byte reads and writes: two system calls per byte. */
  syscallBytes: 100_000,
  /** Sequential write then fsync to the instance's own disk. */
  diskMiB: 32,
} as const;

/**
 * The workload script. Arguments: busybox path, disk target (a file or a block device),
 * repetitions. Time comes from adjtimex (microseconds, readable without privileges), because
 * busybox date has no sub-second format; where the kernel refuses adjtimex (gVisor), from
 * /proc/uptime (10 ms resolution).
 */
export const WORK_SCRIPT = `# virtbench fixed workloads, timed inside the instance so that start-up is excluded.
bb="$1"; target="$2"; reps="$3"
# A kernel that refuses adjtimex (gVisor's) is timed by /proc/uptime instead, to 10 ms.
now() {
  "$bb" adjtimex 2>/dev/null | "$bb" awk '/tv_sec/ { s = $2 } /tv_usec/ { u = $2 } END { if (s == "") exit 1; printf "%d%06d\\n", s, u }' ||
    "$bb" awk '{ printf "%.0f\\n", $1 * 1000000 }' /proc/uptime
}
work() {
  name="$1"; shift
  t0=$(now)
  if "$@" >/dev/null 2>&1; then t1=$(now); echo "${WORK_PREFIX} $name $((t1 - t0))"; else echo "${WORK_PREFIX}-failed $name"; fi
}
i=0
while [ "$i" -lt "$reps" ]; do
  work cpu "$bb" awk 'BEGIN { s = 0; for (i = 0; i < ${WORKLOAD_SIZES.cpuLoopIterations}; i++) s += i % 7; print s }'
  work memory "$bb" dd if=/dev/zero of=/dev/null bs=${WORKLOAD_SIZES.memoryBlockMiB}M count=${WORKLOAD_SIZES.memoryBlocks}
  work syscall "$bb" dd if=/dev/zero of=/dev/null bs=1 count=${WORKLOAD_SIZES.syscallBytes}
  work disk "$bb" dd if=/dev/zero of="$target" bs=1M count=${WORKLOAD_SIZES.diskMiB} conv=fsync
  i=$((i + 1))
done
[ -f "$target" ] && "$bb" rm -f "$target"
echo "${BOOT_ID_PREFIX} $("$bb" cat /proc/sys/kernel/random/boot_id)"
echo "${DONE_MARKER}"
`;

/** An idle instance for density: ready, then asleep until killed. Argument: busybox path. */
export const IDLE_SCRIPT = `# virtbench idle instance: report readiness, then sleep until stopped.
echo "${READY_MARKER}"
while :; do "$1" sleep 3600; done
`;

/** Kernel modules the VM loads to reach its virtio disk, with their dependencies first. */
export const VM_DISK_MODULES = ['virtio_pci', 'virtio_blk'] as const;
/** The same on a machine whose virtio devices sit on MMIO (microvm), found through ACPI. */
export const VM_MMIO_DISK_MODULES = ['virtio_mmio', 'virtio_blk'] as const;
/** The module that shows QEMU's fw_cfg entries in sysfs, which a restored guest watches. */
export const VM_RESTORE_MODULES = ['qemu_fw_cfg'] as const;

/** The line a VM prints once it waits to be checkpointed (start mode restore). */
export const CHECKPOINT_MARKER = 'virtbench-checkpoint';
/**
 * The fw_cfg entry a checkpointed guest polls: "0" while it is being saved, "1" once QEMU
 * restored it (both one byte, as the guest's driver sized the entry before the checkpoint).
 */
export const RESTORE_FW_CFG = { name: 'opt/virtbench/restored', saved: '0', restored: '1' } as const;

/**
 * /init of the VM's initramfs. It prints the readiness marker first, on the serial console and
 * into the kernel log, so the guest's own clock dates the end of boot (as Kata's launch-time
 * metric does); then it follows vbmode= from the kernel command line: boot (power off at
 * once), idle (sleep), work (run the workloads against the virtio disk) or restore (wait to be
 * checkpointed, then, once restored, print the marker again and power off).
 */
export const VM_INIT_SCRIPT = `#!/bin/busybox sh
echo ${READY_MARKER}
echo ${READY_MARKER} > /dev/kmsg
bb=/bin/busybox
# The kernel log (read with syslog(2), no /proc needed) dates /init and the marker on the guest clock.
$bb dmesg | $bb grep -e 'Run /init as init process' -e '${READY_MARKER}' | while read -r line; do echo "${DMESG_PREFIX} $line"; done
# vbmode= and vbreps= on the kernel command line reach init as environment variables.
case "\${vbmode:-boot}" in
  work)
    $bb mount -t proc proc /proc
    $bb mount -t sysfs sysfs /sys
    $bb mount -t devtmpfs devtmpfs /dev
    for module in $($bb cat /vb/modules); do $bb insmod "/lib/modules/$module.ko" 2>/dev/null; done
    n=0; while [ ! -b /dev/vda ] && [ "$n" -lt 500 ]; do $bb usleep 10000; n=$((n + 1)); done
    # Without a disk the disk workload must fail rather than time a write to RAM.
    target=/dev/vda; [ -b "$target" ] || target=/proc/virtbench-no-disk
    $bb sh /vb/work.sh $bb "$target" "\${vbreps:-1}"
    ;;
  idle)
    while :; do $bb sleep 3600; done
    ;;
  restore)
    # Wait to be checkpointed; a restored copy sees the fw_cfg entry change, then reports ready.
    $bb mount -t sysfs sysfs /sys
    for module in $($bb cat /vb/restore-modules); do $bb insmod "/lib/modules/$module.ko" 2>/dev/null; done
    state=/sys/firmware/qemu_fw_cfg/by_name/${RESTORE_FW_CFG.name}/raw
    if [ -r "$state" ]; then
      echo ${CHECKPOINT_MARKER}
      v=${RESTORE_FW_CFG.saved}; while [ "$v" != ${RESTORE_FW_CFG.restored} ]; do $bb usleep 1000; read -r v < "$state"; done
      echo ${READY_MARKER}
    else
      echo "${CHECKPOINT_MARKER}-unavailable: no $state"
    fi
    ;;
esac
exec $bb poweroff -f
`;

/** Per-workload elapsed microseconds, in the order the instance printed them. */
export type WorkTimes = Record<WorkloadName, number[]>;

export interface WorkReport {
  readonly times: WorkTimes;
  readonly bootId?: string;
}

export function parseWorkOutput(lines: readonly string[]): WorkReport {
  const times: WorkTimes = { cpu: [], memory: [], syscall: [], disk: [] };
  let bootId: string | undefined;
  for (const line of lines) {
    const work = line.match(new RegExp(`${WORK_PREFIX} (\\w+) (-?\\d+)`));
    if (work && (WORKLOADS as readonly string[]).includes(work[1]!)) {
      times[work[1] as WorkloadName].push(Number(work[2]));
      continue;
    }
    const boot = line.match(new RegExp(`${BOOT_ID_PREFIX} ([0-9a-f-]{36})`));
    if (boot) bootId = boot[1];
  }
  return { times, bootId };
}

/** Guest-clock times (seconds since the guest kernel started) of /init starting and of the marker. */
export interface GuestBootStamps {
  readonly initStartS?: number;
  readonly readyS?: number;
}

export function parseGuestDmesg(lines: readonly string[]): GuestBootStamps {
  let initStartS: number | undefined;
  let readyS: number | undefined;
  for (const line of lines) {
    if (!line.includes(DMESG_PREFIX)) continue;
    const stamp = line.match(/\[\s*(\d+\.\d+)\]/);
    if (!stamp) continue;
    const seconds = Number(stamp[1]);
    if (line.includes('Run /init as init process')) initStartS = seconds;
    else if (line.includes(READY_MARKER) && !line.includes('Run /init')) readyS = seconds;
  }
  return { initStartS, readyS };
}
